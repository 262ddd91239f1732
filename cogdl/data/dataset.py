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
    """

    name: str
    num_features: int
    num_classes: int
    multi_label: bool = False
    metric: str = "acc"


@dataclass
class Dataset:
    graph: Graph
    info: DatasetInfo
