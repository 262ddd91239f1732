"""Shared steps of the matrix-factorisation embeddings (NetMF, ProNE, HOPE).

`adjacency(graph)`: the graph as a SciPy CSR matrix A (edge weights where the graph has them);
`svd_embedding(M, d)`: U_d sqrt(Sigma_d) of a truncated SVD of M, the factor every one of these
methods keeps (randomized SVD, Halko et al. 2011, seeded). A matrix of rank below d (a graph of
fewer than d nodes) gives its full factor, padded with zero columns to width d.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.utils.extmath import randomized_svd


def adjacency(graph) -> sp.csr_matrix:
    """`[N, N]` float64 CSR of `graph` (row i holds the edges into node i; the sets are symmetric)."""
    n = graph.num_nodes
    weight = graph.edge_weight.double().numpy() if graph.edge_weight is not None else np.ones(graph.num_edges)
    return sp.csr_matrix((weight, graph.col.numpy(), graph.rowptr.numpy()), shape=(n, n))


def svd_embedding(matrix, dim: int, seed: int, n_iter: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """`(U_d sqrt(Sigma_d), V_d sqrt(Sigma_d))` of the rank-`dim` truncated SVD of `matrix`."""
    rank = min(dim, *matrix.shape)
    u, sigma, vt = randomized_svd(matrix, n_components=rank, n_iter=n_iter, random_state=seed)
    root = np.sqrt(sigma)
    return pad_columns(u * root, dim), pad_columns(vt.T * root, dim)


def pad_columns(x: np.ndarray, width: int) -> np.ndarray:
    """`x` with zero columns appended up to `width`."""
    return np.pad(x, ((0, 0), (0, width - x.shape[1]))) if x.shape[1] < width else x
