"""What a dataset loader returns: the graph plus the facts a model and a task need about it."""

from __future__ import annotations

from dataclasses import dataclass

from cogdl.data.graph import Graph


@dataclass(frozen=True)
class DatasetInfo:
    """Sizes a model is built from and the task's default metric.

    Args:
        name: the registered dataset id.
        num_features: node feature width `F`.
        num_classes: number of classes `C`.
        multi_label: whether a node may carry several labels (targets are `[N, C]`).
        metric: the default metric name without its split (`"acc"`, `"macro_f1"`, ...).
        num_edge_types: edge types of a typed graph (`HeteroGraph.to_homogeneous()`), else 0.

    For link prediction, `num_classes` is the width of the node embeddings the model outputs.
    """

    name: str
    num_features: int
    num_classes: int
    multi_label: bool = False
    metric: str = "acc"
    num_edge_types: int = 0


@dataclass
class Dataset:
    graph: Graph
    info: DatasetInfo
