"""Tiny datasets of every shape (`cogdl.data.dataset`), built in memory from a seed, for the
contract checks: a task and every model that declares it run end to end on them in a second.

| shape                    | tiny dataset                                                        |
|--------------------------|---------------------------------------------------------------------|
| `NodeSplitDataset`       | 30 nodes, 12 sparse non-negative features, 3 classes, 12/9/9 split   |
| `LabelledGraphDataset`   | the same graph without features or split, 3 labels + 1 shared label  |
| `HeteroNodeDataset`      | 20 papers (6 features, 3 classes) and 10 featureless authors        |
| `HeteroLinkDataset`      | 15 users (4 features) and 15 items; 8 items per user, 2 held out    |
| `GraphCollectionDataset` | 20 graphs of 4-7 nodes, 2 classes (cycles vs. stars), 3 features    |
| `IIDGraphsDataset`       | 3 node-split graphs like the first row                              |
"""

from __future__ import annotations

import torch

from cogdl.data.dataset import (Dataset, DatasetInfo, GraphCollectionDataset, HeteroLinkDataset, HeteroNodeDataset,
                                IIDGraphsDataset, LabelledGraphDataset, NodeSplitDataset)
from cogdl.data.graph import Graph
from cogdl.data.graph_collection import GraphCollection
from cogdl.data.hetero_graph import HeteroGraph, Relation


def _symmetric(src: torch.Tensor, dst: torch.Tensor, num_nodes: int, **fields) -> Graph:
    keep = src != dst
    src, dst = src[keep], dst[keep]
    return Graph.from_coo(torch.cat([dst, src]), torch.cat([src, dst]), num_nodes, **fields)


def node_split(seed: int = 0, num_nodes: int = 30, num_features: int = 12, num_classes: int = 3) -> NodeSplitDataset:
    generator = torch.Generator().manual_seed(seed)
    y = torch.arange(num_nodes) % num_classes
    # a node links mostly within its class, so a model can learn
    src = torch.randint(0, num_nodes, (4 * num_nodes,), generator=generator)
    dst = (src + num_classes * torch.randint(1, 4, (4 * num_nodes,), generator=generator)) % num_nodes
    x = torch.rand(num_nodes, num_features, generator=generator) * (torch.rand(num_nodes, num_features,
                                                                            generator=generator) < 0.15)
    x[torch.arange(num_nodes), y] += 1.0
    cut = [0, 12 * num_nodes // 30, 21 * num_nodes // 30, num_nodes]
    masks = {name: (torch.arange(num_nodes) >= cut[k]) & (torch.arange(num_nodes) < cut[k + 1])
             for k, name in enumerate(("train", "val", "test"))}
    graph = _symmetric(src, dst, num_nodes, x=x, y=y, masks=masks)
    return NodeSplitDataset(info=DatasetInfo("tiny-node-split", num_features, num_classes), graph=graph)


def labelled_graph(seed: int = 0) -> LabelledGraphDataset:
    """`node_split`'s graph, featureless and unsplit, each node with its class and every fifth node
    also with a fourth label (multi-label)."""
    graph = node_split(seed).graph
    y = torch.nn.functional.one_hot(graph.y, 4).float()
    y[::5, 3] = 1.0
    info = DatasetInfo("tiny-labelled-graph", 0, 4, multi_label=True, metric="micro_f1")
    return LabelledGraphDataset(info=info, graph=Graph(graph.rowptr, graph.col, y=y))


def hetero_nodes(seed: int = 0) -> HeteroNodeDataset:
    generator = torch.Generator().manual_seed(seed)
    papers, authors, classes = 20, 10, 3
    y_paper = torch.arange(papers) % classes
    writes_src = papers + torch.randint(0, authors, (40,), generator=generator)
    writes_dst = torch.randint(0, papers, (40,), generator=generator)
    cites_src = torch.randint(0, papers, (30,), generator=generator)
    cites_dst = (cites_src + classes) % papers
    relations = [Relation(0, "author-paper", 1, 0, writes_src, writes_dst, torch.ones(40)),
                 Relation(1, "paper-paper", 0, 0, cites_src, cites_dst, torch.ones(30))]
    features = torch.rand(papers, 6, generator=generator)
    features[torch.arange(papers), y_paper] += 1.0
    graph = HeteroGraph(["paper", "author"], [papers, authors], [features, None], relations)
    y = torch.cat([y_paper, torch.full((authors,), -1)])
    return HeteroNodeDataset(info=DatasetInfo("tiny-hetero-nodes", 0, classes, metric="macro_f1"), graph=graph,
                             source="memory", target_type=0, y=y, train_ids=torch.arange(14),
                             test_ids=torch.arange(14, papers))


def hetero_links(seed: int = 0) -> HeteroLinkDataset:
    generator = torch.Generator().manual_seed(seed)
    users, items, per_user = 15, 15, 8
    heads = torch.arange(users).repeat_interleave(per_user)
    tails = users + (heads + torch.randint(0, 5, (users * per_user,), generator=generator)) % items
    pairs = torch.unique(torch.stack([heads, tails]), dim=1)
    test = torch.zeros(pairs.shape[1], dtype=torch.bool)
    test[torch.randperm(pairs.shape[1], generator=generator)[:pairs.shape[1] // 5]] = True
    friends_src = torch.arange(users)
    friends_dst = (friends_src + 1) % users
    relations = [Relation(0, "user-item", 0, 1, pairs[0][~test], pairs[1][~test], torch.ones(int((~test).sum()))),
                 Relation(1, "user-user", 0, 0, friends_src, friends_dst, torch.ones(users))]
    graph = HeteroGraph(["user", "item"], [users, items], [torch.rand(users, 4, generator=generator), None], relations)
    return HeteroLinkDataset(info=DatasetInfo("tiny-hetero-links", 0, 0, metric="roc_auc"), graph=graph,
                             source="memory", test_links={0: (pairs[0][test], pairs[1][test])})


def graph_collection(seed: int = 0, num_graphs: int = 20) -> GraphCollectionDataset:
    """Cycles (class 0) and stars (class 1) of 4-7 nodes, node features one-hot degree buckets."""
    generator = torch.Generator().manual_seed(seed)
    src, dst, node_ptr, edge_ptr = [], [], [0], [0]
    for g in range(num_graphs):
        n = int(torch.randint(4, 8, (1,), generator=generator))
        local = torch.arange(n)
        a, b = (local, (local + 1) % n) if g % 2 == 0 else (torch.zeros(n - 1, dtype=torch.long), local[1:])
        src += [node_ptr[-1] + torch.cat([a, b])]
        dst += [node_ptr[-1] + torch.cat([b, a])]
        node_ptr.append(node_ptr[-1] + n)
        edge_ptr.append(edge_ptr[-1] + 2 * a.numel())
    src, dst = torch.cat(src), torch.cat(dst)
    degree = torch.bincount(dst, minlength=node_ptr[-1]).clamp(max=3) - 1
    graphs = GraphCollection(src, dst, torch.tensor(node_ptr), torch.tensor(edge_ptr),
                             torch.nn.functional.one_hot(degree, 3).float(), torch.arange(num_graphs) % 2)
    return GraphCollectionDataset(info=DatasetInfo("tiny-graphs", 3, 2), graphs=graphs)


def iid_graphs(seed: int = 0, count: int = 3) -> IIDGraphsDataset:
    graphs = [node_split(seed + k).graph for k in range(count)]
    return IIDGraphsDataset(info=node_split(seed).info, graphs=graphs, manifest={"tiny": True, "seed": seed})


TINY = {NodeSplitDataset: node_split, LabelledGraphDataset: labelled_graph, HeteroNodeDataset: hetero_nodes, HeteroLinkDataset: hetero_links,
        GraphCollectionDataset: graph_collection, IIDGraphsDataset: iid_graphs}


def tiny_dataset(shape: type[Dataset], seed: int = 0) -> Dataset:
    """A tiny dataset of `shape`; a plugin shape without one is named in the error."""
    if shape not in TINY:
        raise KeyError(f"cogdl.testing has no tiny dataset of shape {shape.__name__}; add one to "
                       f"cogdl.testing.tiny_datasets.TINY")
    return TINY[shape](seed)
