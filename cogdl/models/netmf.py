"""NetMF: network embedding as explicit factorisation of DeepWalk's implicit matrix.

Qiu, Dong, Ma, Li, Wang & Tang, "Network Embedding as Matrix Factorization: Unifying DeepWalk,
LINE, PTE, and node2vec", WSDM 2018. With A the (weighted) adjacency, D its degree matrix,
vol(G) = sum_ij A_ij, window T and b negative samples, DeepWalk implicitly factorises
    M = vol(G) / (b T) * (sum_{r=1..T} (D^-1 A)^r) D^-1,
and NetMF embeds with the rank-d truncated SVD of log(max(M, 1)) = U Sigma V^T as U_d sqrt(Sigma_d).
- small window (`rank: 0`, Algorithm 1): M computed exactly (dense; for graphs of some 10^4 nodes);
- large window (`rank: h > 0`, Algorithm 2): with the top-h eigenpairs U_h Lambda_h of
  D^-1/2 A D^-1/2, M ~ vol(G)/b * D^-1/2 U_h (1/T sum_{r=1..T} Lambda_h^r) U_h^T D^-1/2.
The paper runs T = 1 and T = 10 (h = 256 on BlogCatalog, PPI and Wikipedia), b = 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg
import torch

from cogdl.config import Interval
from cogdl.nn.factorization import adjacency, svd_embedding
from cogdl.models.shallow import ShallowEmbeddingModel
from cogdl.registry import register_model


@dataclass
class NetMFConfig:
    embedding_dim: int = field(default=128, metadata={"help": "width d of each node's vector"})
    window: int = field(default=10, metadata={"help": "context window T"})
    rank: int = field(default=256, metadata={"help": "eigenpairs h of the large-window approximation; 0: exact M (small window)"})
    negative: float = field(default=1.0, metadata={"help": "negative samples b"})

    constraints = {"embedding_dim": Interval(1), "window": Interval(1), "rank": Interval(0),
                   "negative": Interval(0.0, open_low=True)}


def deepwalk_matrix(a: sp.csr_matrix, window: int, rank: int, negative: float, seed: int) -> np.ndarray:
    """Dense M of the module docstring (exact when `rank` is 0, else from the top-`rank` eigenpairs)."""
    degree = np.asarray(a.sum(axis=1)).ravel()
    degree[degree == 0] = 1.0
    volume = a.sum()
    if rank == 0:
        transition = sp.diags(1.0 / degree) @ a
        power, total = np.eye(a.shape[0]), np.zeros(a.shape)
        for _ in range(window):
            power = np.asarray(transition.T @ power.T).T  # power @ transition, with the sparse side on the left
            total += power
        return volume / (negative * window) * total / degree[None, :]
    inv_root = sp.diags(1.0 / np.sqrt(degree))
    normalized = inv_root @ a @ inv_root
    start = np.random.default_rng(seed).standard_normal(a.shape[0])
    eigenvalues, eigenvectors = scipy.sparse.linalg.eigsh(normalized, k=min(rank, a.shape[0] - 1), which="LA", v0=start)
    filtered = np.zeros_like(eigenvalues)
    power = np.ones_like(eigenvalues)
    for _ in range(window):
        power = power * eigenvalues
        filtered += power
    filtered /= window
    scaled = eigenvectors / np.sqrt(degree)[:, None]
    return volume / negative * (scaled * np.maximum(filtered, 0.0)) @ scaled.T


@register_model("netmf")
class NetMF(ShallowEmbeddingModel):
    """Truncated SVD of log(max(M, 1)), M DeepWalk's closed-form matrix."""

    Config = NetMFConfig

    def fit_embed(self, graph, seed: int) -> torch.Tensor:
        c = self.config
        m = deepwalk_matrix(adjacency(graph), c.window, c.rank, c.negative, seed)
        np.log(np.maximum(m, 1.0), out=m)
        vectors, _ = svd_embedding(m, c.embedding_dim, seed)
        return torch.from_numpy(vectors.astype(np.float32))
