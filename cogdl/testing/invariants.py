"""`check_dataset`: the invariants every loaded dataset holds, whatever file it came from.

A loader either returns a dataset that passes `check_dataset` or raises `DataError` naming the
file: the fuzzing suite (`tests/test_fuzz_loaders.py`) holds every path-based loader to that, and a plugin's
loader can be held to it the same way. A broken invariant raises `DatasetInvariantError` saying
which one. What is checked, per shape (`cogdl.data.dataset`):

- a `Graph`: CSR offsets from 0 to `E`, non-decreasing; every source id in `[0, num_cols)`; edge
  weights, features and float targets finite; `[N]` labels in `[-1, C)` or `[N, C]` targets in
  {0, 1}; split masks `[N]` bool; features `[N, F]` with `F` = `info.num_features` (where given);
- a typed graph: per-type features `[count, F_t]`, finite; every link's ends in the node ranges of
  the link type's start and end types; labels over global ids; train and test ids labelled, of the
  target type and disjoint; test links of declared link types with ends in range;
- a graph collection: node and edge offsets from 0, non-decreasing, covering the arrays; every
  edge inside its own graph; features `[N, F]` finite; graph labels in `[0, C)`.
"""

from __future__ import annotations

import torch

from cogdl.data.dataset import (Dataset, GraphCollectionDataset, HeteroLinkDataset, HeteroNodeDataset,
                                IIDGraphsDataset, LabelledGraphDataset, NodeSplitDataset, SplitFamilyDataset)
from cogdl.data.graph import Graph


class DatasetInvariantError(AssertionError):
    """A loaded dataset breaks an invariant of its shape."""


def _require(holds, what: str) -> None:
    if not bool(holds):
        raise DatasetInvariantError(what)


def _finite(tensor: torch.Tensor | None, what: str) -> None:
    if tensor is not None and tensor.is_floating_point():
        _require(torch.isfinite(tensor).all(), f"{what}: not every value is finite")


def _offsets(ptr: torch.Tensor, total: int, what: str) -> None:
    _require(ptr.dim() == 1 and ptr.numel() >= 1 and int(ptr[0]) == 0 and int(ptr[-1]) == total,
             f"{what}: offsets must run from 0 to {total}")
    _require((ptr.diff() >= 0).all(), f"{what}: offsets decrease")


def _in_range(ids: torch.Tensor, low: int, high: int, what: str) -> None:
    _require(ids.numel() == 0 or (int(ids.min()) >= low and int(ids.max()) < high),
             f"{what}: ids outside [{low}, {high})")


def _labels(y: torch.Tensor, rows: int, classes: int, what: str) -> None:
    _require(y.shape[0] == rows, f"{what}: {y.shape[0]} rows for {rows} nodes")
    if y.dim() == 1:
        _require(not y.is_floating_point(), f"{what}: class ids must be integers")
        _in_range(y, -1, classes, what)
    else:
        _require(y.dim() == 2 and y.shape[1] == classes, f"{what}: expected [{rows}, {classes}]")
        _require(((y == 0) | (y == 1)).all(), f"{what}: multi-label targets must be 0 or 1")


def check_graph(graph: Graph, num_features: int | None = None, num_classes: int | None = None) -> None:
    """The invariants of one homogeneous `Graph` (module docstring)."""
    n = graph.num_nodes
    _offsets(graph.rowptr, graph.num_edges, "graph rowptr")
    _in_range(graph.col, 0, graph.num_cols, "graph col")
    if graph.edge_weight is not None:
        _require(graph.edge_weight.shape == (graph.num_edges,), "graph edge_weight: expected one weight per edge")
        _finite(graph.edge_weight, "graph edge_weight")
    if graph.x is not None and torch.is_tensor(graph.x):
        _require(graph.x.dim() == 2 and graph.x.shape[0] == n, f"graph x: expected [{n}, F], got {list(graph.x.shape)}")
        _require(num_features in (None, 0) or graph.x.shape[1] == num_features,
                 f"graph x: {graph.x.shape[1]} columns, the info says {num_features}")
        _finite(graph.x, "graph x")
    if graph.y is not None and num_classes is not None:
        _labels(graph.y, n, num_classes, "graph y")
    for name, mask in graph.masks.items():
        _require(mask.dtype == torch.bool and mask.shape == (n,), f"graph mask {name!r}: expected [{n}] bool")


def _check_hetero_graph(graph, what: str) -> None:
    _require(len(graph.counts) == len(graph.features) == len(graph.node_type_names),
             f"{what}: node type names, counts and features differ in length")
    _require(all(c >= 0 for c in graph.counts), f"{what}: a negative node count")
    for t, features in enumerate(graph.features):
        if features is not None:
            _require(features.dim() == 2 and features.shape[0] == graph.counts[t],
                     f"{what}: features of node type {t}: expected {graph.counts[t]} rows")
            _finite(features, f"{what}: features of node type {t}")
    for relation in graph.relations:
        where = f"{what}: link type {relation.id}"
        _require(0 <= relation.src_type < graph.num_node_types and 0 <= relation.dst_type < graph.num_node_types,
                 f"{where}: node types outside the graph's")
        _require(relation.src.shape == relation.dst.shape, f"{where}: heads and tails differ in length")
        src_range, dst_range = graph.type_range(relation.src_type), graph.type_range(relation.dst_type)
        _in_range(relation.src, src_range.start, src_range.stop, f"{where} heads")
        _in_range(relation.dst, dst_range.start, dst_range.stop, f"{where} tails")
        if relation.weight is not None:
            _require(relation.weight.shape == relation.src.shape, f"{where}: one weight per link expected")
            _finite(relation.weight, f"{where} weights")


def check_dataset(dataset: Dataset) -> None:
    """Raise `DatasetInvariantError` naming the first invariant `dataset` breaks (module docstring)."""
    info = dataset.info
    _require(isinstance(dataset, HeteroLinkDataset) or info.num_classes >= 1, f"info: {info.num_classes} classes")
    if isinstance(dataset, (NodeSplitDataset, LabelledGraphDataset)):
        check_graph(dataset.graph, info.num_features, info.num_classes)
    elif isinstance(dataset, SplitFamilyDataset):
        check_graph(dataset.graph, info.num_features, info.num_classes)
        for split in dataset.splits:
            check_graph(dataset.graph.with_node_fields(masks=split))
    elif isinstance(dataset, IIDGraphsDataset):
        for graph in dataset.graphs:
            check_graph(graph, info.num_features, info.num_classes)
    elif isinstance(dataset, HeteroNodeDataset):
        graph = dataset.graph
        _check_hetero_graph(graph, "typed graph")
        _labels(dataset.y, graph.num_nodes, info.num_classes, "labels")
        target = graph.type_range(dataset.target_type)
        labelled = dataset.y >= 0 if dataset.y.dim() == 1 else dataset.y.sum(1) > 0
        for name, ids in (("train", dataset.train_ids), ("test", dataset.test_ids)):
            _in_range(ids, target.start, target.stop, f"{name} ids")
            _require(labelled[ids].all(), f"{name} ids: a node without a label")
        _require(not set(dataset.train_ids.tolist()) & set(dataset.test_ids.tolist()), "train and test ids overlap")
    elif isinstance(dataset, HeteroLinkDataset):
        graph = dataset.graph
        _check_hetero_graph(graph, "typed graph")
        relations = {relation.id: relation for relation in graph.relations}
        for link_type, (heads, tails) in dataset.test_links.items():
            _require(link_type in relations, f"test links of link type {link_type}: not a link type of the graph")
            relation = relations[link_type]
            head_range, tail_range = graph.type_range(relation.src_type), graph.type_range(relation.dst_type)
            _in_range(heads, head_range.start, head_range.stop, f"test links {link_type} heads")
            _in_range(tails, tail_range.start, tail_range.stop, f"test links {link_type} tails")
    elif isinstance(dataset, GraphCollectionDataset):
        graphs = dataset.graphs
        _offsets(graphs.node_ptr, graphs.x.shape[0], "collection node_ptr")
        _offsets(graphs.edge_ptr, graphs.src.numel(), "collection edge_ptr")
        _require(graphs.node_ptr.numel() == graphs.edge_ptr.numel() == graphs.y.numel() + 1,
                 "collection: offsets and labels disagree on the number of graphs")
        graph_of_edge = torch.repeat_interleave(torch.arange(len(graphs)), graphs.edge_ptr.diff())
        for ends in (graphs.src, graphs.dst):
            _require(((ends >= graphs.node_ptr[graph_of_edge]) & (ends < graphs.node_ptr[graph_of_edge + 1])).all(),
                     "collection: an edge leaves its graph")
        _finite(graphs.x, "collection x")
        _in_range(graphs.y, 0, info.num_classes, "collection y")
    else:
        raise DatasetInvariantError(f"{type(dataset).__name__}: no invariants known for this shape")
