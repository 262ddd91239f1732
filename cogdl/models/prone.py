"""ProNE: sparse matrix factorisation, then spectral propagation.

Zhang, Dong, Wang, Tang & Ding, "ProNE: Fast and Scalable Network Representation Learning",
IJCAI 2019.
1. Sparse factorisation (sec. 3.1): on the edges (i, j) of A only,
       M_ij = log p_ij - log(lambda P_D,j),   p_ij = A_ij / D_i,   P_D,j ∝ (sum_i p_ij)^0.75,
   with lambda = 1 negative sample; R_d = U_d sqrt(Sigma_d) of a
   randomized truncated SVD of the sparse M, rows L2-normalised.
2. Spectral propagation (sec. 3.2): with the self-looped A' = I + A and L = I - D'^-1 A', filter
   R_d by the band-pass g(L) = exp(-theta/2 ((L - mu I)^2 - I)) via its Chebyshev expansion of
   order k (modified Bessel coefficients I_r(theta)), and embed
       E = A' (R_d - g(L) R_d),
   then keep U_d sqrt(Sigma_d) of E's SVD, rows L2-normalised. Paper settings: k = 10,
   mu = 0.2, theta = 0.5, d = 128.
With X = (L - mu I)^2 / 2 - I, exp(-theta X) = I_0(theta) T_0(X) + 2 sum_r (-1)^r I_r(theta) T_r(X),
so g(L) = exp(-theta X) up to the constant exp(-theta/2), absorbed by the final normalisation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
import torch
from scipy.special import iv
from sklearn.preprocessing import normalize

from cogdl.config import Interval
from cogdl.nn.factorization import adjacency, pad_columns, svd_embedding
from cogdl.models.shallow import ShallowEmbeddingModel
from cogdl.registry import register_model


@dataclass
class ProNEConfig:
    embedding_dim: int = field(default=128, metadata={"help": "width d of each node's vector"})
    order: int = field(default=10, metadata={"help": "Chebyshev expansion order k of the spectral filter (1: no propagation)"})
    mu: float = field(default=0.2, metadata={"help": "centre mu of the band-pass filter"})
    theta: float = field(default=0.5, metadata={"help": "width theta of the band-pass filter"})

    constraints = {"embedding_dim": Interval(1), "order": Interval(1), "theta": Interval(0.0, open_low=True)}


def sparse_factorization(a: sp.csr_matrix, dim: int, seed: int) -> np.ndarray:
    """Step 1: R_d of the module docstring."""
    p = normalize(a, norm="l1")
    context = np.asarray(p.sum(axis=0)).ravel() ** 0.75
    context /= context.sum()
    m = p.tocoo()
    values = np.log(m.data) - np.log(context[m.col])
    m = sp.csr_matrix((values, (m.row, m.col)), shape=a.shape)
    vectors, _ = svd_embedding(m, dim, seed)
    return normalize(vectors)


def spectral_propagation(a: sp.csr_matrix, r: np.ndarray, order: int, mu: float, theta: float) -> np.ndarray:
    """Step 2: the propagated, re-factorised embedding of the module docstring."""
    if order == 1:
        return r
    n = a.shape[0]
    looped = sp.eye(n, format="csr") + a
    shifted = sp.eye(n, format="csr") - normalize(looped, norm="l1") - mu * sp.eye(n, format="csr")  # L - mu I

    def x_times(v):  # X v with X = (L - mu I)^2 / 2 - I
        return 0.5 * (shifted @ (shifted @ v)) - v

    previous, current = r, x_times(r)
    filtered = iv(0, theta) * previous - 2 * iv(1, theta) * current
    for k in range(2, order):
        previous, current = current, 2 * x_times(current) - previous
        filtered += (-1) ** k * 2 * iv(k, theta) * current
    u, sigma, _ = np.linalg.svd(looped @ (r - filtered), full_matrices=False)
    return normalize(pad_columns(u * np.sqrt(sigma), r.shape[1]))


@register_model("prone")
class ProNE(ShallowEmbeddingModel):
    """Sparse factorisation of a shifted log-proximity matrix, enhanced by band-pass propagation."""

    Config = ProNEConfig

    def fit_embed(self, graph, seed: int) -> torch.Tensor:
        c = self.config
        a = adjacency(graph)
        r = sparse_factorization(a, c.embedding_dim, seed)
        return torch.from_numpy(spectral_propagation(a, r, c.order, c.mu, c.theta).astype(np.float32))
