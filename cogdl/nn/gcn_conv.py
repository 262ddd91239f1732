"""Graph convolution of Kipf & Welling.

"Semi-Supervised Classification with Graph Convolutional Networks", Kipf & Welling, ICLR 2017, eq. (2).

Matrix form:   X' = D^{-1/2} (A + I) D^{-1/2} X W + b
Per node:      x'_i = sum_{j in N(i) + {i}} x_j W / sqrt(d_i d_j) + b

Symbols: `A` the adjacency (rows = destinations), `I` one self loop per node (existing self loops
are replaced), `d_i = 1 + sum_j A_ij` the in-degree with the self loop, `W` `[F_in, F_out]`, `b` `[F_out]`.
On a sampled block of the normalised graph (`gcn_norm_graph`, `cogdl.ops.sampling`) the sum runs
over the kept edges, each weighted 1/sqrt(d_i d_j) times the row's scale d_i / s_i (an unbiased
estimate of the full sum; exact when the block keeps every edge).

The product is associative, so the layer picks the cheaper order (`aggregate_first`): aggregating
the input `(Â X) W` runs its SpMM on `F_in` columns, and needs the transposed SpMM of the backward
only when `X` itself needs a gradient; projecting first `Â (X W)` runs it on `F_out` columns, and
always needs the transposed one to reach `W` in training.
"""

from __future__ import annotations

import torch
from torch import nn

from cogdl.data.graph import Graph, RowBlock
from cogdl.nn.functional import project
from cogdl.ops import spmm


def gcn_norm(graph: Graph) -> tuple[Graph, torch.Tensor]:
    """The self-loop graph and its edge weights `w_e / sqrt(d_i d_j)`, cached on `graph`."""

    def compute():
        looped = graph.with_self_loops()
        weight = looped.edge_weight
        if weight is None:
            weight = torch.ones(looped.num_edges, device=looped.col.device)
        degree = torch.zeros(looped.num_nodes, dtype=weight.dtype, device=weight.device).index_add_(0, looped.row, weight)
        inv_sqrt = degree.pow(-0.5).masked_fill(degree == 0, 0.0)
        return looped, inv_sqrt[looped.row] * weight * inv_sqrt[looped.col]

    return graph.cached("gcn_norm", compute)


def gcn_norm_graph(graph: Graph) -> Graph:
    """`D^{-1/2} (A + I) D^{-1/2}` as a weighted graph: what a sampled GCN block is drawn from."""
    looped, norm = gcn_norm(graph)
    return graph.cached("gcn_norm_graph", lambda: Graph(looped.rowptr, looped.col, norm))


def gcn_propagate(graph: Graph, x: torch.Tensor) -> torch.Tensor:
    """D^{-1/2} (A + I) D^{-1/2} x: the layer's propagation without its weight."""
    looped, norm = gcn_norm(graph)
    return spmm(looped, x, norm)


class GCNConv(nn.Module):
    """One GCN layer.

    Args:
        in_channels: input width `F_in`.
        out_channels: output width `F_out`.
        bias: add a learnable bias (default True).

    Shapes: graph with `N` nodes, `x` `[N, F_in]` (dense or sparse COO) -> `[N, F_out]`; a `RowBlock`
    of `gcn_norm_graph` with `R` rows and `M` inputs, `x` `[M, F_in]` -> `[R, F_out]`.
    """

    def __init__(self, in_channels: int, out_channels: int, bias: bool = True):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels))
        self.bias = nn.Parameter(torch.empty(out_channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.xavier_uniform_(self.weight)
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def forward(self, graph: Graph | RowBlock, x: torch.Tensor) -> torch.Tensor:
        adjacency, weight = (graph.graph, graph.sum_weights()) if isinstance(graph, RowBlock) else gcn_norm(graph)
        if aggregate_first(x, self.weight):  # the bias joins the projection's product (one pass fewer)
            return nn.functional.linear(spmm(adjacency, x, weight), self.weight, self.bias)
        out = spmm(adjacency, project(x, self.weight), weight)
        return out + self.bias if self.bias is not None else out


def aggregate_first(x, weight: torch.Tensor) -> bool:
    """Whether `(Â x) W^T` costs fewer SpMM columns than `Â (x W^T)` (forward plus backward).

    Aggregating first: `F_in` columns, twice if `x` needs a gradient. Projecting first: `F_out`
    columns, twice if `W` gets a gradient (the transposed SpMM carries it back). Sparse input
    (`SparseFeatures`) is always projected first."""
    if not isinstance(x, torch.Tensor) or x.is_sparse:
        return False
    grads = torch.is_grad_enabled()
    out_features, in_features = weight.shape
    return in_features * (1 + (grads and x.requires_grad)) <= out_features * (1 + (grads and weight.requires_grad))
