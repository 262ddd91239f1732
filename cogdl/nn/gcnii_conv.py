"""GCNII layer: "Simple and Deep Graph Convolutional Networks", Chen, Wei, Huang, Ding & Li, ICML 2020, eq. (5).

Matrix form:  H^{l+1} = ((1 - alpha) Â H^l + alpha H^0) ((1 - beta_l) I + beta_l W_l)
Per node:     s_i = (1 - alpha) sum_{j in N(i) + {i}} h_j^l / sqrt(d_i d_j) + alpha h_i^0,
              h_i^{l+1} = (1 - beta_l) s_i + beta_l W_l s_i

GCNII* (`variant`, eq. 6) maps the smoothed representation and the initial residual apart:
              H^{l+1} = (1 - beta_l) ((1 - alpha) Â H^l + alpha H^0) + beta_l (Â H^l W_l1 + H^0 W_l2)
(the authors' code: `[Â H^l || H^0] [W_l1; W_l2]`).

Symbols: `Â = D^{-1/2} (A + I) D^{-1/2}` (`cogdl.nn.gcn_norm`), `H^0` the first layer's
representation (initial residual, weight `alpha`), `W_l` `[F, F]` (identity mapping, weight
`beta_l = log(lambda / l + 1)`, set by the model per layer). The non-linearity is the model's.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from cogdl.data.graph import Graph
from cogdl.nn.gcn_conv import gcn_propagate


def gcnii_beta(lmbda: float, layer: int) -> float:
    """beta_l = log(lambda / l + 1) for layer `l` >= 1."""
    return math.log(lmbda / layer + 1)


class GCNIIConv(nn.Module):
    """One GCNII layer (no bias, as the paper's).

    Args:
        channels: width `F` of `h` and `h0`.
        alpha: weight of the initial residual `h0`.
        variant: GCNII* (eq. 6): a weight `[F, 2F]` maps `[Â h || h0]` (default False).

    Shapes: graph with `N` nodes, `h`, `h0` `[N, F]`, a float `beta` -> `[N, F]`.
    """

    def __init__(self, channels: int, alpha: float, variant: bool = False):
        super().__init__()
        self.alpha, self.variant = alpha, variant
        self.weight = nn.Parameter(torch.empty(channels, 2 * channels if variant else channels))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.xavier_uniform_(self.weight)

    def forward(self, graph: Graph, h: torch.Tensor, h0: torch.Tensor, beta: float) -> torch.Tensor:
        smoothed = gcn_propagate(graph, h)
        support = (1 - self.alpha) * smoothed + self.alpha * h0
        mapped = torch.cat([smoothed, h0], 1) if self.variant else support
        return (1 - beta) * support + beta * (mapped @ self.weight.t())
