"""GraphSAGE layer: "Inductive Representation Learning on Large Graphs", Hamilton, Ying & Leskovec,
NeurIPS 2017, Algorithm 1 (lines 4-5).

Matrix form:  X' = X W_self^T + AGG(A, X) W_neigh^T + b
Per node:     x'_i = W_self x_i + W_neigh agg_{j in N(i)} x_j + b,   then x'_i / ||x'_i||_2 if `normalize`

Symbols: `N(i)` the sources of node `i`'s incoming edges (no self loop added), `agg` the mean, sum
or element-wise max over them (0 for a node without neighbours), `W_self`, `W_neigh` `[F_out, F_in]`.
NOTE: the paper concatenates [x_i || agg] before one weight matrix; that equals the two weights
summed here (PyG's `SAGEConv` layout). On a `RowBlock` of sampled edges (the paper's Algorithm 2,
`cogdl.ops.sampling`) `agg` runs over the kept edges; `sum` then weights them by the row's scale
d_i / s_i (an unbiased estimate of the full sum).
For `mean` and `sum` the projection comes first (the same by linearity, and narrower); `max`
aggregates the raw features.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from cogdl.data.graph import Graph, RowBlock
from cogdl.nn.functional import SparseFeatures, project
from cogdl.ops import spmm

AGGREGATORS = ("mean", "sum", "max")


class SAGEConv(nn.Module):
    """One GraphSAGE layer.

    Args:
        in_channels: input width `F_in`.
        out_channels: output width `F_out`.
        aggregator: `mean` (default), `sum` or `max`.
        normalize: L2-normalise each output row (default False).
        bias: add a learnable bias (default True).

    Shapes: graph with `N` nodes, `x` `[N, F_in]` (dense or `SparseFeatures`) -> `[N, F_out]`; a
    `RowBlock` with `R` rows and `M` inputs, `x` `[M, F_in]` (dense) -> `[R, F_out]`.
    """

    def __init__(self, in_channels: int, out_channels: int, aggregator: str = "mean", normalize: bool = False,
                 bias: bool = True):
        super().__init__()
        if aggregator not in AGGREGATORS:
            raise ValueError(f"aggregator {aggregator!r}: expected one of {', '.join(AGGREGATORS)}")
        self.aggregator, self.normalize = aggregator, normalize
        self.weight_self = nn.Parameter(torch.empty(out_channels, in_channels))
        self.weight_neigh = nn.Parameter(torch.empty(out_channels, in_channels))
        self.bias = nn.Parameter(torch.empty(out_channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.xavier_uniform_(self.weight_self)
        nn.init.xavier_uniform_(self.weight_neigh)
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def forward(self, graph: Graph | RowBlock, x) -> torch.Tensor:
        x_dst, weight = x, None
        if isinstance(graph, RowBlock):
            x_dst, weight = x[graph.rows_in_inputs], graph.sum_weights() if self.aggregator == "sum" else None
            graph = graph.graph
        if self.aggregator == "max":
            dense = x.to_dense() if isinstance(x, SparseFeatures) else x
            neigh = spmm(graph, dense, reduce="max") @ self.weight_neigh.t()
        else:
            neigh = spmm(graph, project(x, self.weight_neigh), weight, reduce=self.aggregator)
        out = project(x_dst, self.weight_self) + neigh
        if self.bias is not None:
            out = out + self.bias
        return F.normalize(out, p=2.0, dim=-1) if self.normalize else out
