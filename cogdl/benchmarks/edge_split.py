"""A seeded random edge split for link prediction on one homogeneous graph (GAE's protocol).

Kipf & Welling, "Variational Graph Auto-Encoders", NeurIPS 2016 workshop, sec. 3: of the graph's
undirected edges (each pair {u, v}, u != v, once; self-loops dropped), a random `val_ratio` (5%)
validate and `test_ratio` (10%) test; they are removed from the graph the encoder passes messages
on, which keeps the other 85% (both directions). Validation and test negatives are as many node
pairs that are not edges of the full graph, distinct from each other and from one another's
(no collisions); training negatives are drawn afresh each epoch among the non-edges of the
training graph. Edge ids index the undirected edges sorted by (min, max) endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from cogdl.data.graph import Graph
from cogdl.errors import DataError


@dataclass(frozen=True)
class EdgeSplit:
    """`[2, k]` node pairs of each part (u < v for positives) and the message-passing graph."""

    train: torch.Tensor
    val: torch.Tensor
    test: torch.Tensor
    val_negative: torch.Tensor
    test_negative: torch.Tensor
    train_ids: torch.Tensor
    val_ids: torch.Tensor
    test_ids: torch.Tensor
    graph: Graph
    train_keys: np.ndarray  # sorted u * N + v of the training edges, for drawing non-edges each epoch


def undirected_edges(graph: Graph) -> np.ndarray:
    """`[2, M]` the undirected edges {u, v}, u < v, each once, sorted."""
    src, dst = graph.col.numpy(), graph.row.numpy()
    low, high = np.minimum(src, dst), np.maximum(src, dst)
    keep = low != high
    keys = np.unique(low[keep] * graph.num_nodes + high[keep])
    return np.stack([keys // graph.num_nodes, keys % graph.num_nodes])


def non_edges(num: int, num_nodes: int, forbidden_keys: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """`[2, num]` distinct pairs u < v whose key u * N + v is not in the sorted `forbidden_keys`."""
    chosen = np.empty(0, dtype=np.int64)
    capacity = num_nodes * (num_nodes - 1) // 2 - forbidden_keys.size
    if num > capacity:
        raise DataError(f"cannot draw {num} non-edges: the graph has only {capacity} node pairs that are not edges")
    while chosen.size < num:
        u = rng.integers(0, num_nodes, 2 * (num - chosen.size) + 16)
        v = rng.integers(0, num_nodes, u.size)
        keys = np.minimum(u, v) * num_nodes + np.maximum(u, v)
        keys = keys[(u != v) & ~np.isin(keys, forbidden_keys, assume_unique=False)]
        _, first = np.unique(np.concatenate([chosen, keys]), return_index=True)
        chosen = np.concatenate([chosen, keys])[np.sort(first)][:num]
    return np.stack([chosen // num_nodes, chosen % num_nodes])


def random_edge_split(graph: Graph, seed: int, val_ratio: float, test_ratio: float) -> EdgeSplit:
    """The split of the module docstring, drawn with `numpy.random.default_rng(seed)`."""
    edges = undirected_edges(graph)
    m, n = edges.shape[1], graph.num_nodes
    num_val, num_test = int(m * val_ratio), int(m * test_ratio)
    if num_val == 0 or num_test == 0 or num_val + num_test >= m:
        raise DataError(f"cannot split {m} edges into {val_ratio:.0%} validation and {test_ratio:.0%} test "
                        "with some of each and some left to train")
    rng = np.random.default_rng(seed)
    order = rng.permutation(m)
    val_ids, test_ids, train_ids = (np.sort(order[:num_val]), np.sort(order[num_val:num_val + num_test]),
                                    np.sort(order[num_val + num_test:]))
    all_keys = edges[0] * n + edges[1]
    negatives = non_edges(num_val + num_test, n, all_keys, rng)
    train = edges[:, train_ids]
    src, dst = torch.from_numpy(np.concatenate([train[0], train[1]])), torch.from_numpy(np.concatenate([train[1], train[0]]))
    message_graph = Graph.from_coo(dst, src, n, x=graph.x)
    as_tensor = torch.from_numpy
    return EdgeSplit(as_tensor(train), as_tensor(edges[:, val_ids]), as_tensor(edges[:, test_ids]),
                     as_tensor(negatives[:, :num_val]), as_tensor(negatives[:, num_val:]), as_tensor(train_ids),
                     as_tensor(val_ids), as_tensor(test_ids), message_graph, all_keys[train_ids])


def training_non_edges(split: EdgeSplit, num: int, generator: np.random.Generator) -> torch.Tensor:
    """`[2, num]` random pairs that are not training edges of `split` (redrawn each epoch)."""
    return torch.from_numpy(non_edges(num, split.graph.num_nodes, split.train_keys, generator))
