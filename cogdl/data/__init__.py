"""Graph containers, dataset shapes, the data root and dataset cards.

The names below are imported on first use, so that modules of this package that need no torch
(`cogdl.data.atomic`, `cogdl.data.cards`) stay cheap to import.
"""

import importlib

_EXPORTS = {
    "Graph": "cogdl.data.graph",
    **{name: "cogdl.data.dataset" for name in ("Dataset", "DatasetInfo", "NodeSplitDataset", "LabelledGraphDataset", "HeteroNodeDataset",
                                               "HeteroLinkDataset", "GraphCollectionDataset", "IIDGraphsDataset",
                                               "SplitFamilyDataset")},
    # interop with PyG (a dependency) and DGL (optional): `cogdl.data.pyg`, `cogdl.data.dgl`
    **{name: "cogdl.data.pyg" for name in ("from_pyg", "to_pyg", "dataset_from_pyg")},
    **{name: "cogdl.data.dgl" for name in ("from_dgl", "to_dgl", "dataset_from_dgl")},
    "as_dataset": "cogdl.data.interop",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'cogdl.data' has no attribute {name!r}")
