"""H2GCN's exact k-hop neighbourhoods, each symmetric-normalised.

"Beyond Homophily in Graph Neural Networks: Current Limitations and Effective Designs", Zhu, Yan,
Zhao, Heimann, Akoglu & Koutra, NeurIPS 2020, sec. 3.1 (design D2) and eq. (5).

Matrix form:   Â_k = D_k^{-1/2} A_k D_k^{-1/2},   A_k = [ (A + I)^k > 0 ] - [ (A + I)^{k-1} > 0 ]
Per node:      N̄_k(i) = { j : the shortest path from j to i has exactly k edges },
               (Â_k h)_i = sum_{j in N̄_k(i)} h_j / sqrt(d_k(i) d_k(j))

Symbols: `A` the binary adjacency (weights and self loops ignored, rows = destinations), `A_k`
the exact k-hop adjacency (no self loops: node i is in no N̄_k(i) for k >= 1), `d_k(i) = |N̄_k(i)|`
(a node without k-hop neighbours aggregates 0). The graph is taken as undirected, as in the
authors' code (`TransformSPAdj.nhoodSplit`, then the symmetric normalisation of each hop).
Shapes: `graph` with N nodes -> `hops` graphs on the same N nodes, with `[E_k]` edge weights.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch

from cogdl.data.graph import Graph


def exact_hop_graphs(graph: Graph, hops: int = 2) -> list[tuple[Graph, torch.Tensor]]:
    """`[(graph of N̄_k, weights of Â_k) for k = 1..hops]`, computed once per graph and cached."""

    def compute():
        n = graph.num_nodes
        row, col = graph.row.cpu().numpy(), graph.col.cpu().numpy()
        adjacency = sp.csr_matrix((np.ones(row.size, dtype=np.float32), (row, col)), shape=(n, n))
        adjacency = ((adjacency + adjacency.T) > 0).astype(np.float32)
        step = (adjacency + sp.identity(n, dtype=np.float32, format="csr")).tocsr()
        reached, out = sp.identity(n, dtype=np.float32, format="csr"), []
        for _ in range(hops):
            wider = ((reached @ step) > 0).astype(np.float32).tocsr()
            exact = (wider - reached).tocsr()
            exact.eliminate_zeros()
            out.append(_normalised(exact, graph.rowptr.device))
            reached = wider
        return out

    return graph.cached(f"exact_hops_{hops}", compute)


def _normalised(exact: sp.csr_matrix, device) -> tuple[Graph, torch.Tensor]:
    exact.sort_indices()
    degree = np.asarray(exact.sum(1)).ravel()
    inv_sqrt = np.where(degree > 0, 1.0 / np.sqrt(np.maximum(degree, 1)), 0.0).astype(np.float32)
    rows = np.repeat(np.arange(exact.shape[0]), np.diff(exact.indptr))
    weight = inv_sqrt[rows] * inv_sqrt[exact.indices]
    hop = Graph(torch.from_numpy(exact.indptr.astype(np.int64)).to(device),
                torch.from_numpy(exact.indices.astype(np.int64)).to(device))
    return hop, torch.from_numpy(weight).to(device)
