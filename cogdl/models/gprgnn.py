"""GPR-GNN: "Adaptive Universal Generalized PageRank Graph Neural Network", Chien, Peng, Li &
Milenkovic, ICLR 2021.

Matrix form (eq. 3-4): an MLP predicts per node, then a learnable polynomial of the normalised
adjacency propagates the predictions,
    H = MLP(X),    Z = sum_{k=0}^{K} gamma_k Â^k H,    Â = D^{-1/2} (A + I) D^{-1/2}
Per node:  z_i = sum_k gamma_k h_i^(k),   h_i^(k+1) = sum_{j in N(i) + {i}} h_j^(k) / sqrt(d_i d_j)

Symbols: `gamma` `[K + 1]` the generalized PageRank weights, learned with the rest; `K` =
num_iterations; the MLP is `cogdl.models.mlp` (num_layers linear layers, dropout on each one's
input, ReLU between). The weights start at personalised PageRank's, gamma_k = alpha (1 - alpha)^k
for k < K and gamma_K = (1 - alpha)^K (the paper's PPR initialisation), so at initialisation the
model is APPNP; learning them lets the filter become high-pass on heterophilous graphs.
Dropout `propagation_dropout` acts on H before the propagation (the authors' `dprate`). As the
authors' code, gamma takes no weight decay (`parameter_groups`).
NOTE: the authors offer other initialisations (SGC, NPPR, random); only PPR, the one their
experiments report, is here.
Shapes: `x` `[N, F]` -> logits `[N, C]`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from cogdl.config import Interval
from cogdl.models.base import Model, ModelSizes, SparseInput
from cogdl.models.mlp import MLP, MLPConfig
from cogdl.nn import gcn_propagate
from cogdl.nn.functional import dropout
from cogdl.registry import register_model


@dataclass
class GPRGNNConfig:
    hidden_size: int = field(default=64, metadata={"help": "width of the MLP's hidden layers"})
    num_layers: int = field(default=2, metadata={"help": "linear layers of the MLP"})
    dropout: float = field(default=0.5, metadata={"help": "dropout probability on each MLP layer's input"})
    propagation_dropout: float = field(default=0.5, metadata={"help": "dropout on the MLP's output before propagation"})
    num_iterations: int = field(default=10, metadata={"help": "propagation steps K (the filter's degree)"})
    alpha: float = field(default=0.1, metadata={"help": "teleport probability of the PPR initialisation of gamma"})

    constraints = {"hidden_size": Interval(1), "num_layers": Interval(1), "dropout": Interval(0.0, 1.0, open_high=True),
                   "propagation_dropout": Interval(0.0, 1.0, open_high=True), "num_iterations": Interval(0),
                   "alpha": Interval(0.0, 1.0)}


def ppr_weights(alpha: float, steps: int) -> torch.Tensor:
    """gamma_k = alpha (1 - alpha)^k for k < K, gamma_K = (1 - alpha)^K: `[K + 1]`, summing to 1."""
    gamma = alpha * (1 - alpha) ** torch.arange(steps + 1, dtype=torch.float64)
    gamma[-1] = (1 - alpha) ** steps
    return gamma.float()


def gpr_propagate(graph, h: torch.Tensor, gamma: torch.Tensor) -> torch.Tensor:
    """sum_k gamma_k Â^k h over k = 0 .. len(gamma) - 1."""
    out = gamma[0] * h
    for weight in gamma[1:]:
        h = gcn_propagate(graph, h)
        out = out + weight * h
    return out


@register_model("gprgnn")
class GPRGNN(Model, SparseInput):
    """An MLP's predictions propagated by a learned generalized-PageRank polynomial of Â."""

    Config = GPRGNNConfig
    supported_tasks = ("node_classification",)

    def __init__(self, config: GPRGNNConfig, sizes: ModelSizes):
        super().__init__(config, sizes)
        self.mlp = MLP(MLPConfig(config.hidden_size, config.num_layers, config.dropout), sizes)
        self.gamma = nn.Parameter(ppr_weights(config.alpha, config.num_iterations))

    def parameter_groups(self, weight_decay: float) -> list[dict]:
        return [{"params": list(self.mlp.parameters()), "weight_decay": weight_decay},
                {"params": [self.gamma], "weight_decay": 0.0}]

    def forward(self, graph, x) -> torch.Tensor:
        h = dropout(self.mlp(graph, x), self.config.propagation_dropout, self.training)
        return gpr_propagate(graph, h, self.gamma)
