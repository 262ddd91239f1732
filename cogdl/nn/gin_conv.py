"""Graph isomorphism network layer.

"How Powerful are Graph Neural Networks?", Xu, Hu, Leskovec & Jegelka, ICLR 2019, eq. (4.1).

Matrix form:   X' = MLP((1 + eps) X + A X)
Per node:      x'_i = MLP((1 + eps) x_i + sum_{j in N(i)} x_j)

Symbols: `A` the adjacency (rows = destinations, self loops count as neighbours), `eps` a scalar,
fixed (GIN-0: 0) or learned (`train_eps`); `MLP` the given module, in the paper two linear layers
with batch norm and ReLU between them (`gin_mlp`).
"""

from __future__ import annotations

import torch
from torch import nn

from cogdl.data.graph import Graph
from cogdl.ops import spmm


def gin_mlp(in_channels: int, hidden_channels: int, out_channels: int, norm: nn.Module | None = None,
            activation: nn.Module | None = None) -> nn.Sequential:
    """The paper's 2-layer MLP: Linear -> norm -> activation -> Linear (default norm: batch norm
    over `hidden_channels`; default activation: ReLU; pass `nn.Identity()` for none)."""
    return nn.Sequential(nn.Linear(in_channels, hidden_channels),
                         nn.BatchNorm1d(hidden_channels) if norm is None else norm,
                         nn.ReLU() if activation is None else activation,
                         nn.Linear(hidden_channels, out_channels))


class GINConv(nn.Module):
    """One GIN layer.

    Args:
        mlp: the update function, `[N, F_in] -> [N, F_out]`.
        eps: the initial (or fixed) `eps` (default 0).
        train_eps: learn `eps` (default False: GIN-0).

    Shapes: graph with `N` nodes, `x` `[N, F_in]` -> `[N, F_out]`.
    """

    def __init__(self, mlp: nn.Module, eps: float = 0.0, train_eps: bool = False):
        super().__init__()
        self.mlp = mlp
        self.initial_eps = eps
        if train_eps:
            self.eps = nn.Parameter(torch.tensor(float(eps)))
        else:
            self.register_buffer("eps", torch.tensor(float(eps)))

    def reset_parameters(self) -> None:
        self.eps.data.fill_(self.initial_eps)
        for module in self.mlp.modules():
            if module is not self.mlp and hasattr(module, "reset_parameters"):
                module.reset_parameters()

    def forward(self, graph: Graph, x: torch.Tensor) -> torch.Tensor:
        return self.mlp((1 + self.eps) * x + spmm(graph, x))
