"""Simple-HGN attention layer.

"Are we really making much progress? Revisiting, benchmarking and refining heterogeneous graph
neural networks", Lv, Ding et al., KDD 2021, Section 6 (eq. 5-6).

For an edge `j -> i` of type `r(i, j)` and head `k`:
    s_ij^k     = LeakyReLU(a_src^k . W^k x_j + a_dst^k . W^k x_i + a_edge^k . W_r^k e_r)
    alpha_ij^k = softmax_j(s_ij^k),   then attention dropout
    alpha_ij^k <- (1 - beta) alpha_ij^k + beta alpha_prev_ij^k         (residual attention)
    x'_i       = sum_j alpha_ij^k W^k x_j  (+ W_res x_i when `residual`)

`e_r` is a learned embedding of edge type `r` (width `edge_dim`) and `W_r^k` its per-head
projection, so the edge term is one number per (edge type, head). `alpha_prev` is the previous
layer's attention, detached (as in the authors' code). The layer returns its attention for the
next layer; a one-head layer fed an `H`-head attention mixes in its head mean (what the authors'
broadcasting computes once the output heads are averaged). Heads are returned unmerged, `[N, H, D]`; the model flattens or averages them.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from cogdl.data.graph import Graph
from cogdl.nn.functional import dropout
from cogdl.ops import edge_softmax, gat_aggregate, spmm


class SimpleHGNConv(nn.Module):
    """One Simple-HGN layer.

    Args:
        in_channels: input width `F_in`.
        out_channels: width `D` of each head.
        num_heads: heads `H`.
        num_edge_types: number of edge types (`graph.num_edge_types`).
        edge_dim: width of the edge-type embedding.
        negative_slope: LeakyReLU slope of the scores.
        attn_dropout: dropout on the normalised attention.
        residual: add a projection of the input (identity when widths match).
        beta: weight of the previous layer's attention (0 disables residual attention).

    Shapes: graph with `N` nodes, `E` edges and `graph.edge_type` `[E]`; `x` `[N, F_in]`;
    `previous_attention` `[E, H]` or None -> (`[N, H, D]`, attention `[E, H]` detached, or None
    when `return_attention` is False).
    """

    def __init__(self, in_channels: int, out_channels: int, num_heads: int, num_edge_types: int, edge_dim: int,
                 negative_slope: float = 0.2, attn_dropout: float = 0.0, residual: bool = False, beta: float = 0.0):
        super().__init__()
        self.out_channels, self.num_heads = out_channels, num_heads
        self.negative_slope, self.attn_dropout, self.beta = negative_slope, attn_dropout, beta
        self.weight = nn.Linear(in_channels, num_heads * out_channels, bias=False)
        self.edge_embedding = nn.Embedding(num_edge_types, edge_dim)
        self.edge_weight = nn.Linear(edge_dim, num_heads * edge_dim, bias=False)
        self.att_src = nn.Parameter(torch.empty(1, num_heads, out_channels))
        self.att_dst = nn.Parameter(torch.empty(1, num_heads, out_channels))
        self.att_edge = nn.Parameter(torch.empty(1, num_heads, edge_dim))
        self.residual = None
        if residual:
            same = in_channels == num_heads * out_channels
            self.residual = nn.Identity() if same else nn.Linear(in_channels, num_heads * out_channels, bias=False)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        gain = nn.init.calculate_gain("relu")
        for p in (self.weight.weight, self.edge_weight.weight, self.att_src, self.att_dst, self.att_edge):
            nn.init.xavier_normal_(p, gain=gain)
        if isinstance(self.residual, nn.Linear):
            nn.init.xavier_normal_(self.residual.weight, gain=gain)

    def attention_vectors(self) -> torch.Tensor:
        """`[2H, F_in]`: `a^k . W^k x = (W^k^T a^k) . x`, so the per-node score halves are one
        product with `x` instead of a pass over the `[N, H, D]` projection."""
        w = self.weight.weight.view(self.num_heads, self.out_channels, -1)
        return torch.cat([torch.einsum("hd,hdi->hi", a[0], w) for a in (self.att_src, self.att_dst)])

    def edge_type_scores(self) -> torch.Tensor:
        """`[T, H]` attention term of each edge type."""
        e = self.edge_weight(self.edge_embedding.weight).view(-1, self.num_heads, self.att_edge.shape[-1])
        return (e * self.att_edge).sum(-1)

    def forward(self, graph: Graph, x: torch.Tensor, previous_attention: torch.Tensor | None = None,
                return_attention: bool = True):
        h = self.weight(x).view(-1, self.num_heads, self.out_channels)
        attn_src, attn_dst = (x @ self.attention_vectors().t()).split(self.num_heads, dim=1)
        edge_bias = self.edge_type_scores()[graph.edge_type]
        attention = None
        if previous_attention is None and not return_attention:
            # nothing to mix in or hand on: the fused kernel keeps no [E, H] tensors
            out = gat_aggregate(graph, h, attn_src, attn_dst, self.negative_slope, self.attn_dropout,
                                self.training, edge_bias)
        else:
            scores = F.leaky_relu(attn_src[graph.col] + attn_dst[graph.row] + edge_bias, self.negative_slope)
            alpha = dropout(edge_softmax(graph, scores), self.attn_dropout, self.training)
            if previous_attention is not None and self.beta > 0:
                if previous_attention.shape[1] != self.num_heads:  # into a one-head layer: head mean
                    previous_attention = previous_attention.mean(1, keepdim=True)
                alpha = alpha * (1 - self.beta) + previous_attention * self.beta
            out = spmm(graph, h, alpha)
            attention = alpha.detach()
        if self.residual is not None:
            out = out + self.residual(x).view(-1, self.num_heads, self.out_channels)
        return out, attention
