"""HOPE: High-Order Proximity preserved Embedding, with the Katz index.

Ou, Cui, Pei, Zhang & Zhu, "Asymmetric Transitivity Preserving Graph Embedding", KDD 2016.
The Katz proximity S = (I - beta A)^-1 beta A (sum_r beta^r A^r where the series converges) is
factorised as S ~ U_s U_t^T by its rank-d/2 truncated SVD, U_s = U sqrt(Sigma), U_t = V sqrt(Sigma):
    min || S - U_s U_t^T ||_F^2,
and a node's embedding is [U_s, U_t] (source and target halves). S is computed densely (graphs of
some 10^4 nodes); the paper's JDGSVD, which avoids forming S, is not used.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from cogdl.config import Interval
from cogdl.errors import ConfigError
from cogdl.models.base import ModelSizes
from cogdl.nn.factorization import adjacency, svd_embedding
from cogdl.models.shallow import ShallowEmbeddingModel
from cogdl.registry import register_model


@dataclass
class HOPEConfig:
    embedding_dim: int = field(default=128, metadata={"help": "width d of each node's vector (source and target halves)"})
    beta: float = field(default=0.01, metadata={"help": "Katz decay beta"})

    constraints = {"embedding_dim": Interval(2), "beta": Interval(0.0, open_low=True)}


@register_model("hope")
class HOPE(ShallowEmbeddingModel):
    """Truncated SVD of the Katz proximity matrix; source and target factors concatenated."""

    Config = HOPEConfig

    def __init__(self, config: HOPEConfig, sizes: ModelSizes):
        super().__init__(config, sizes)
        if config.embedding_dim % 2:
            raise ConfigError(f"hope: embedding_dim={config.embedding_dim} must be even (source and target halves)")

    def fit_embed(self, graph, seed: int) -> torch.Tensor:
        beta_a = self.config.beta * adjacency(graph).toarray()
        katz = np.linalg.solve(np.eye(beta_a.shape[0]) - beta_a, beta_a)
        source, target = svd_embedding(katz, self.config.embedding_dim // 2, seed)
        return torch.from_numpy(np.hstack([source, target]).astype(np.float32))
