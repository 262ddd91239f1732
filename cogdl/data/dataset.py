"""What a dataset loader returns: one of a few dataset shapes, each with its `DatasetInfo`.

A task declares the shapes it accepts (`Task.accepts`) and a protocol the shapes it runs over
(`Protocol.accepts`), so a mismatch is found before anything trains and the error, "task T does not
take dataset D (a collection of labelled graphs); tasks that do: ...", is generated from those
declarations. Shapes are frozen: a task's `prepare` returns new objects and never changes the
loaded dataset (the same one may be prepared again with another config, or for another graph).

| shape                    | holds                                            | loaded from            |
|--------------------------|--------------------------------------------------|------------------------|
| `NodeSplitDataset`       | one `Graph` with `train` / `val` / `test` masks  | Planetoid              |
| `LabelledGraphDataset`   | one `Graph` with multi-label nodes, no split     | network-embedding sets |
| `HeteroNodeDataset`      | a `HeteroGraph` with labelled nodes of one type  | HGB node classification |
| `HeteroLinkDataset`      | a `HeteroGraph` with held-out test links         | HGB link prediction    |
| `GraphCollectionDataset` | many small labelled graphs                       | TU                     |
| `IIDGraphsDataset`       | many i.i.d. graphs, each a node-split graph      | IGB                    |
| `SplitFamilyDataset`     | one `Graph` with a fixed family of node splits   | geom-gcn's ten splits  |
| `GraphSplitDataset`      | labelled graphs with a train / val / test split  | one fold of the next   |
| `GraphFoldsDataset`      | labelled graphs with fixed outer folds           | Errica et al.'s folds  |

A task that splits for itself (seeded shuffles of nodes, a random edge split) accepts the single-graph
shapes `SINGLE_GRAPH_SHAPES`.
A new shape (an edge-split graph, knowledge-graph triples) is one more frozen dataclass here,
deriving from `Dataset` with its own `shape` description.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch

from cogdl.data.graph import Graph
from cogdl.data.graph_collection import GraphCollection
from cogdl.data.hetero_graph import HeteroGraph


@dataclass(frozen=True)
class DatasetInfo:
    """Facts about a dataset that models and tasks read.

    Args:
        name: the registered dataset id.
        num_features: node feature width `F` (0 where node types carry features of different
            widths, as in HGB: the task chooses the inputs).
        num_classes: number of classes `C` of the labels.
        multi_label: whether a node may carry several labels (targets are `[N, C]`).
        metric: the default metric name without its split (`"acc"`, `"macro_f1"`, ...).
    """

    name: str
    num_features: int
    num_classes: int
    multi_label: bool = False
    metric: str = "acc"


@dataclass(frozen=True)
class Dataset:
    """Base of the dataset shapes; `shape` says in words what a dataset of the class holds."""

    shape: ClassVar[str] = "a dataset"
    info: DatasetInfo

    def describe(self) -> str:
        """`'cora' (a single graph with a node split)`, for messages."""
        return f"{self.info.name!r} ({self.shape})"


@dataclass(frozen=True, kw_only=True)
class NodeSplitDataset(Dataset):
    """One graph whose nodes are split by the boolean masks `graph.masks["train" | "val" | "test"]`."""

    shape: ClassVar[str] = "a single graph with a node split"
    graph: Graph


@dataclass(frozen=True, kw_only=True)
class LabelledGraphDataset(Dataset):
    """One graph whose nodes carry multi-label targets `graph.y` `[N, C]` (float 0/1) and no split:
    the tasks that take it draw their own (DeepWalk's seeded shuffles, a random edge split)."""

    shape: ClassVar[str] = "a single graph with multi-labelled nodes and no split"
    graph: Graph


@dataclass(frozen=True, kw_only=True)
class HeteroNodeDataset(Dataset):
    """A heterogeneous graph with labelled nodes of one type (HGB node classification).

    Attributes:
        graph: the typed graph.
        source: where it was read from (for messages and exports).
        target_type: the labelled node type.
        y: labels over global ids: `[N]` int64 (-1 unlabelled) or `[N, C]` float 0/1 (multi-label).
        train_ids, test_ids: global ids of the training (`label.dat`) and test nodes.
    """

    shape: ClassVar[str] = "a heterogeneous graph with labelled nodes"
    graph: HeteroGraph
    source: str
    target_type: int
    y: torch.Tensor
    train_ids: torch.Tensor
    test_ids: torch.Tensor


@dataclass(frozen=True, kw_only=True)
class HeteroLinkDataset(Dataset):
    """A heterogeneous graph with held-out test links (HGB link prediction).

    Attributes:
        graph: the training graph; source: where it was read from.
        test_links: link type -> `(heads, tails)` of the test links.
    """

    shape: ClassVar[str] = "a heterogeneous graph with test links"
    graph: HeteroGraph
    source: str
    test_links: dict[int, tuple[torch.Tensor, torch.Tensor]]


@dataclass(frozen=True, kw_only=True)
class GraphCollectionDataset(Dataset):
    """Many small graphs with one label each (`graphs.y`), for graph-level tasks."""

    shape: ClassVar[str] = "a collection of labelled graphs"
    graphs: GraphCollection


@dataclass(frozen=True, kw_only=True)
class IIDGraphsDataset(Dataset):
    """Many i.i.d. graphs sampled from one source (IGB), each with a node split; `manifest` records
    how they were drawn. Its graphs run under a protocol that repeats a node task over them."""

    shape: ClassVar[str] = "many i.i.d. graphs, each with a node split"
    graphs: list[Graph]
    manifest: dict

    def graph_dataset(self, g: int) -> NodeSplitDataset:
        """Graph `g` as a node-split dataset (sharing the graph's cached structure)."""
        return NodeSplitDataset(info=self.info, graph=self.graphs[g])


@dataclass(frozen=True, kw_only=True)
class SplitFamilyDataset(Dataset):
    """One graph with a fixed family of node splits (geom-gcn's ten 48/32/20 splits): `splits[k]`
    maps `"train" | "val" | "test"` to a `[N]` bool mask. It runs under a protocol that repeats a
    node task over the splits (`cogdl.protocols.splits`)."""

    shape: ClassVar[str] = "a single graph with a fixed family of node splits"
    graph: Graph
    splits: list[dict[str, torch.Tensor]]

    def split_dataset(self, k: int) -> NodeSplitDataset:
        """Split `k` as a node-split dataset (sharing the graph's cached structure)."""
        return NodeSplitDataset(info=self.info, graph=self.graph.with_node_fields(masks=self.splits[k]))


@dataclass(frozen=True, kw_only=True)
class GraphSplitDataset(Dataset):
    """Many small labelled graphs split into train / validation / test graphs: `split` maps
    `"train" | "val" | "test"` to sorted `[n]` int64 graph ids. A graph task trains on it once."""

    shape: ClassVar[str] = "a collection of labelled graphs with a train / validation / test split"
    graphs: GraphCollection
    split: dict[str, torch.Tensor]


@dataclass(frozen=True, kw_only=True)
class GraphFoldsDataset(Dataset):
    """Many small labelled graphs with fixed outer folds (Errica et al.'s published splits):
    `folds[k]` maps `"train" | "val" | "test"` to the graph ids of fold k (test: the outer test
    fold; train / val: the inner hold-out split of the rest). It runs under a protocol that selects
    and tests per fold (`cogdl.protocols.errica`)."""

    shape: ClassVar[str] = "a collection of labelled graphs with fixed outer folds"
    graphs: GraphCollection
    folds: list[dict[str, torch.Tensor]]

    def fold_dataset(self, k: int) -> GraphSplitDataset:
        """Fold `k` as a graph-split dataset (sharing the graphs)."""
        return GraphSplitDataset(info=self.info, graphs=self.graphs, split=self.folds[k])


#: the shapes that are one homogeneous graph (for tasks that draw their own split)
SINGLE_GRAPH_SHAPES = (NodeSplitDataset, LabelledGraphDataset)
