"""Graph attention layer.

"Graph Attention Networks", Velickovic et al., ICLR 2018, eq. (1)-(6).

Per node, for each head k (with one self loop per node):
    e_ij^k     = LeakyReLU(a_src^k . W^k x_j + a_dst^k . W^k x_i)
    alpha_ij^k = softmax_j(e_ij^k)                    over j in N(i) + {i}
    x'_i       = ||_k sum_j alpha_ij^k W^k x_j  (concat)   or   mean_k (...)  (last layer) , + b

Symbols: `W^k` `[F_in, D]` per head, `a_src^k`, `a_dst^k` `[D]`, `H` heads, `b` `[H*D]` or `[D]`.
NOTE: the paper writes one vector `a` over `[W x_i || W x_j]`; splitting it into `a_dst` and
`a_src` is the same function and lets the per-node products be computed once, not once per edge.
NOTE: `value_dropout` follows the authors' code, which also drops the projected features `W x_j`
before aggregating them (the attention scores use the undropped ones); the paper does not say so.
"""

from __future__ import annotations

import torch
from torch import nn

from cogdl.data.graph import Graph, RowBlock, row_block
from cogdl.nn.functional import dropout, project
from cogdl.ops import gat_aggregate


class GATConv(nn.Module):
    """One multi-head GAT layer.

    Args:
        in_channels: input width `F_in`.
        out_channels: width `D` of each head.
        num_heads: number of heads `H` (default 1).
        concat: concatenate the heads (`[N, H*D]`) or average them (`[N, D]`) (default True).
        negative_slope: LeakyReLU slope of the attention scores (default 0.2).
        attn_dropout: dropout on the normalised attention coefficients (default 0.0).
        bias: add a learnable bias (default True).
        value_dropout: dropout on the projected features `W x_j` that are aggregated, after the
            attention scores are computed from them (default 0.0).

    Shapes: graph with `N` nodes, `x` `[N, F_in]` (dense or sparse COO) -> `[N, H*D]` or `[N, D]`.
    """

    def __init__(self, in_channels: int, out_channels: int, num_heads: int = 1, concat: bool = True,
                 negative_slope: float = 0.2, attn_dropout: float = 0.0, bias: bool = True,
                 value_dropout: float = 0.0):
        super().__init__()
        self.out_channels, self.num_heads, self.concat = out_channels, num_heads, concat
        self.negative_slope, self.attn_dropout, self.value_dropout = negative_slope, attn_dropout, value_dropout
        self.weight = nn.Parameter(torch.empty(num_heads * out_channels, in_channels))
        self.att_src = nn.Parameter(torch.empty(1, num_heads, out_channels))
        self.att_dst = nn.Parameter(torch.empty(1, num_heads, out_channels))
        self.bias = nn.Parameter(torch.empty(num_heads * out_channels if concat else out_channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for p in (self.weight, self.att_src, self.att_dst):
            nn.init.xavier_uniform_(p)
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def forward(self, graph: Graph, x: torch.Tensor, rows: torch.Tensor | None = None) -> torch.Tensor:
        """`rows`, when given, selects the output rows wanted (`[R, ...]` is returned); only their
        edges are aggregated. With one head, no `value_dropout`, dense `x` and `F_in < D`, they are
        computed by aggregating the inputs and projecting only those rows: sum_j alpha_ij W x_j =
        W sum_j alpha_ij x_j, with the attention vectors folded through W (a . W x = (W^T a) . x);
        the same result, fewer FLOPs."""
        if rows is not None and self.can_project_after(x):
            out = self.aggregate_rows(graph, x, rows) @ self.weight.t()
            return out + self.bias if self.bias is not None else out
        adjacency = graph if rows is None else row_block(graph.with_self_loops(), rows)
        return self.propagate(adjacency, project(x, self.weight))

    def can_project_after(self, x) -> bool:
        """Whether `aggregate_rows` applies: one head, no `value_dropout`, dense `x`, `F_in < D`."""
        return (self.num_heads == 1 and self.value_dropout == 0.0 and torch.is_tensor(x)
                and self.weight.shape[1] < self.weight.shape[0])

    def aggregate_rows(self, graph: Graph, x: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        """sum_j alpha_ij x_j at `rows` (`[R, F_in]`), the attention taken through W; the layer's
        output there is this times W^T, plus b (one head, `can_project_after(x)`)."""
        block = row_block(graph.with_self_loops(), rows)
        attn_src = (x @ (self.weight.t() @ self.att_src[0, 0])).unsqueeze(1)
        attn_dst = (x[rows] @ (self.weight.t() @ self.att_dst[0, 0])).unsqueeze(1)
        mixed = gat_aggregate(block.graph, x.unsqueeze(1), attn_src, attn_dst, self.negative_slope,
                              self.attn_dropout, self.training)
        return mixed[:, 0]

    def propagate(self, graph: Graph | RowBlock, projected: torch.Tensor) -> torch.Tensor:
        """The layer from its projected input `x W^T` `[N, H*D]`: attention, aggregation, bias.
        Given a `RowBlock` of the graph with self loops (`row_block`), only the block's rows are
        computed, and `projected` holds the block's inputs only (`[M, H*D]` -> `[R, ...]`)."""
        h = projected.view(-1, self.num_heads, self.out_channels)
        if isinstance(graph, RowBlock):
            adjacency, h_dst = graph.graph, h[graph.rows_in_inputs]
        else:
            adjacency, h_dst = graph.with_self_loops(), h
        attn_src = (h * self.att_src).sum(-1)
        attn_dst = (h_dst * self.att_dst).sum(-1)
        values = dropout(h, self.value_dropout, self.training)
        out = gat_aggregate(adjacency, values, attn_src, attn_dst, self.negative_slope,
                            self.attn_dropout, self.training)
        out = out.reshape(-1, self.num_heads * self.out_channels) if self.concat else out.mean(dim=1)
        return out + self.bias if self.bias is not None else out
