"""`as_dataset`: what `cogdl.experiment(dataset=...)` accepts besides a registered name.

A CogDL dataset shape is used as it is; a PyG `Data`, `HeteroData` or PyG dataset goes through
`cogdl.data.pyg.dataset_from_pyg`; a DGL graph through `cogdl.data.dgl.dataset_from_dgl`.
"""

from __future__ import annotations

from cogdl.data.dataset import Dataset


def as_dataset(obj, name: str | None = None) -> Dataset:
    """`obj` as a CogDL dataset shape (named `name`, where the conversion names it)."""
    if isinstance(obj, Dataset):
        return obj
    package = type(obj).__module__.split(".")[0]
    if package == "torch_geometric":
        from cogdl.data.pyg import dataset_from_pyg

        return dataset_from_pyg(obj, name)
    if package == "dgl":
        from cogdl.data.dgl import dataset_from_dgl

        return dataset_from_dgl(obj, name or "dgl-graph")
    raise TypeError(f"dataset: expected a registered name, a CogDL dataset, a PyG Data/HeteroData/dataset or a "
                    f"DGL graph, not a {type(obj).__module__}.{type(obj).__name__}")
