"""Dataset shapes built from a graph that another library (PyG, DGL) held: shared by
`cogdl.data.pyg` and `cogdl.data.dgl`, so both read labels, masks and class counts the same way."""

from __future__ import annotations

import torch

from cogdl.data.dataset import DatasetInfo, HeteroNodeDataset, LabelledGraphDataset, NodeSplitDataset
from cogdl.data.graph import Graph
from cogdl.data.hetero_graph import HeteroGraph
from cogdl.errors import DataError

SPLITS = ("train", "val", "test")


def classes_in(y: torch.Tensor) -> int:
    """`1 + max(y)` over the labelled entries (-1 marks none); 0 without any."""
    labelled = y[y >= 0]
    return int(labelled.max()) + 1 if labelled.numel() else 0


def node_dataset(graph: Graph, name: str, where: str, num_classes: int | None = None):
    """A `NodeSplitDataset` when the graph has train/val/test masks; a `LabelledGraphDataset` when
    it has `[N, C]` float labels and no masks. `num_classes` defaults to `1 + max(y)`."""
    if graph.y is None:
        raise DataError(f"{where}: no node labels; node tasks need them")
    num_features = 0 if graph.x is None else graph.x.shape[1]
    if graph.y.dim() == 2 and not graph.masks:
        info = DatasetInfo(name, num_features, graph.y.shape[1], multi_label=True, metric="micro_f1")
        return LabelledGraphDataset(info=info, graph=graph)
    missing = [s for s in SPLITS if s not in graph.masks]
    if missing:
        raise DataError(f"{where}: no {', '.join(s + ' mask' for s in missing)}; a node task needs train, val "
                        "and test masks")
    multi_label = graph.y.dim() == 2
    classes = graph.y.shape[1] if multi_label else (num_classes or classes_in(graph.y))
    return NodeSplitDataset(info=DatasetInfo(name, num_features, int(classes), multi_label=multi_label), graph=graph)


def labelled_type(dataset: HeteroNodeDataset) -> tuple[str, torch.Tensor, dict[str, torch.Tensor]]:
    """`(name, labels, {"train": mask, "test": mask})` of a dataset's labelled node type, over its
    nodes (local ids): what `to_pyg` / `to_dgl` attach to that type; `hetero_node_dataset` inverts it."""
    ids = dataset.graph.type_range(dataset.target_type)
    masks = {}
    for split, chosen in (("train", dataset.train_ids), ("test", dataset.test_ids)):
        masks[split] = torch.zeros(len(ids), dtype=torch.bool)
        masks[split][chosen - ids.start] = True
    return dataset.graph.node_type_names[dataset.target_type], dataset.y[ids.start:ids.stop], masks


def hetero_node_dataset(graph: HeteroGraph, name: str, where: str, target: int, local_y, train_mask,
                        test_mask) -> HeteroNodeDataset:
    """A `HeteroNodeDataset` from labels `[n_t]` (or `[n_t, C]` multi-label) and boolean train and
    test masks over the nodes of the labelled type `target`."""
    type_name = graph.node_type_names[target]
    if local_y is None or train_mask is None or test_mask is None:
        raise DataError(f"{where}: node type {type_name!r} needs labels, a train mask and a test mask")
    ids = graph.type_range(target)
    for label, tensor in (("labels", local_y), ("train mask", train_mask), ("test mask", test_mask)):
        if tensor.shape[0] != len(ids):
            raise DataError(f"{where}: node type {type_name!r} has {len(ids)} nodes but {tensor.shape[0]} {label}")
    multi_label = local_y.dim() == 2
    y = torch.zeros(graph.num_nodes, local_y.shape[1]) if multi_label else torch.full((graph.num_nodes,), -1)
    y = y.to(local_y.dtype)
    y[ids.start:ids.stop] = local_y
    classes = local_y.shape[1] if multi_label else classes_in(local_y)
    info = DatasetInfo(name, 0, classes, multi_label=multi_label, metric="macro_f1")
    return HeteroNodeDataset(info=info, graph=graph, source=where, target_type=target, y=y,
                             train_ids=train_mask.nonzero().flatten() + ids.start,
                             test_ids=test_mask.nonzero().flatten() + ids.start)
