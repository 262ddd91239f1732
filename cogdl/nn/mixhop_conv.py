"""MixHop layer: "MixHop: Higher-Order Graph Convolutional Architectures via Sparsified Neighborhood
Mixing", Abu-El-Haija et al., ICML 2019, eq. (4).

Matrix form:  H' = ||_{j in P} Â^j H W_j   (column-wise concatenation over the powers P = {0..p})
Per node:     h'_i = ||_j (Â^j H W_j)_i,   Â^0 = I

Symbols: `Â = D^{-1/2} (A + I) D^{-1/2}` (`cogdl.nn.gcn_norm`), `W_j` `[F_out, F_in]` one weight
per power, with a bias per power. The product is taken as Â^j (H W_j), which equals (Â^j H) W_j
and propagates the narrower matrix. The non-linearity is the model's.
"""

from __future__ import annotations

import torch
from torch import nn

from cogdl.data.graph import Graph
from cogdl.nn.functional import project
from cogdl.nn.gcn_conv import gcn_propagate


class MixHopConv(nn.Module):
    """One MixHop layer over powers 0..`max_power`.

    Args:
        in_channels: input width `F_in`.
        out_channels: output width per power `F_out` (the layer outputs `(max_power + 1) F_out`).
        max_power: the highest power `p` of Â (default 2).

    Shapes: graph with `N` nodes, `x` `[N, F_in]` (dense or `SparseFeatures`) -> `[N, (p + 1) F_out]`.
    """

    def __init__(self, in_channels: int, out_channels: int, max_power: int = 2):
        super().__init__()
        self.weights = nn.ParameterList(nn.Parameter(torch.empty(out_channels, in_channels))
                                        for _ in range(max_power + 1))
        self.bias = nn.Parameter(torch.empty((max_power + 1) * out_channels))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for weight in self.weights:
            nn.init.xavier_uniform_(weight)
        nn.init.zeros_(self.bias)

    def forward(self, graph: Graph, x) -> torch.Tensor:
        outputs = []
        for power, weight in enumerate(self.weights):
            h = project(x, weight)
            for _ in range(power):
                h = gcn_propagate(graph, h)
            outputs.append(h)
        return torch.cat(outputs, dim=-1) + self.bias
