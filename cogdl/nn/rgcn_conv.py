"""Relational graph convolution.

"Modeling Relational Data with Graph Convolutional Networks", Schlichtkrull et al., ESWC 2018,
eq. (2) with the basis decomposition of eq. (3):

    h'_i = W_0 h_i + sum_r sum_{j in N_r(i)} (1 / |N_r(i)|) W_r h_j,
    W_r  = sum_b a_rb V_b      (when `num_bases` > 0; otherwise one free W_r per relation)

Each relation's normalised sum is a mean-SpMM over that relation's sub-graph (`cogdl.ops.spmm`).
"""

from __future__ import annotations

import torch
from torch import nn

from cogdl.data.graph import Graph
from cogdl.nn.relations import relation_graphs
from cogdl.ops import spmm


class RGCNConv(nn.Module):
    """One R-GCN layer.

    Args:
        in_channels, out_channels: widths.
        num_relations: number of edge types `R` (`graph.num_edge_types`).
        num_bases: number of shared bases `B` (0: a full matrix per relation).
        bias: add a learnable bias.

    Shapes: typed graph with `N` nodes, `x` `[N, F_in]` -> `[N, F_out]`.
    """

    def __init__(self, in_channels: int, out_channels: int, num_relations: int, num_bases: int = 0, bias: bool = True):
        super().__init__()
        self.num_relations, self.num_bases = num_relations, num_bases
        count = num_bases if num_bases > 0 else num_relations
        self.basis = nn.Parameter(torch.empty(count, in_channels, out_channels))
        self.coefficients = nn.Parameter(torch.empty(num_relations, num_bases)) if num_bases > 0 else None
        self.self_weight = nn.Parameter(torch.empty(in_channels, out_channels))
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        gain = nn.init.calculate_gain("relu")
        nn.init.xavier_uniform_(self.basis, gain=gain)
        nn.init.xavier_uniform_(self.self_weight, gain=gain)
        if self.coefficients is not None:
            nn.init.xavier_uniform_(self.coefficients, gain=gain)
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def relation_weights(self) -> torch.Tensor:
        """`[R, F_in, F_out]`."""
        if self.coefficients is None:
            return self.basis
        return torch.einsum("rb,bio->rio", self.coefficients, self.basis)

    def forward(self, graph: Graph, x: torch.Tensor) -> torch.Tensor:
        out = x @ self.self_weight
        for weight, sub_graph in zip(self.relation_weights(), relation_graphs(graph)):
            if sub_graph.num_edges:
                out = out + spmm(sub_graph, x @ weight, reduce="mean")
        return out + self.bias if self.bias is not None else out
