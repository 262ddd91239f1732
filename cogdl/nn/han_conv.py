"""Heterogeneous graph attention layer.

"Heterogeneous Graph Attention Network", Wang, Ji, Shi, Wang, Cui, Yu & Ye, WWW 2019, eq. (1)-(9):
node-level attention on each metapath graph, then semantic-level attention across metapaths.

    z_i^P  = ||_k ELU( sum_{j in N^P(i)} alpha_ij^{P,k} W^{P,k} h_j )         eq. (1)-(5): GAT on M_P
    w_P    = (1 / |V|) sum_{i in V} q^T tanh(W z_i^P + b)                     eq. (7)
    beta_P = softmax_P(w_P)                                                  eq. (8)
    Z_i    = sum_P beta_P z_i^P                                              eq. (9)

Symbols: `P` a metapath and `N^P(i)` the nodes that reach i along it (`cogdl.nn.relations`),
`W^{P,k}` the k-th head's projection of the metapath's own GAT layer (`GATConv`), `q` `[S]`, `W`
`[S, H*D]` and `b` the semantic attention shared by all metapaths, `V` the target nodes.
NOTE: our `GATConv` adds a self loop to every node; the DGL GATConv of the authors' and HGB's code
does not, though the metapath graph of a symmetric metapath already holds every node's own loop.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from cogdl.data.graph import Graph
from cogdl.nn.gat_conv import GATConv


class HANConv(nn.Module):
    """One HAN layer over `num_metapaths` metapath graphs of the same nodes.

    Args:
        in_channels: input width `F_in`.
        out_channels: width `D` of each head.
        num_heads: heads `H` of each metapath's GAT.
        num_metapaths: number of metapath graphs the layer is given.
        attn_dropout: dropout on the node-level attention coefficients.
        negative_slope: LeakyReLU slope of the node-level attention scores.
        semantic_hidden: width `S` of the semantic attention.

    Shapes: `graphs` (one `Graph` per metapath, `T` nodes each), `x` `[T, F_in]` -> `[T, H*D]`.
    """

    def __init__(self, in_channels: int, out_channels: int, num_heads: int, num_metapaths: int,
                 attn_dropout: float = 0.0, negative_slope: float = 0.2, semantic_hidden: int = 128):
        super().__init__()
        self.convs = nn.ModuleList(GATConv(in_channels, out_channels, num_heads, negative_slope=negative_slope,
                                           attn_dropout=attn_dropout) for _ in range(num_metapaths))
        self.semantic = nn.Sequential(nn.Linear(out_channels * num_heads, semantic_hidden), nn.Tanh(),
                                      nn.Linear(semantic_hidden, 1, bias=False))

    def forward(self, graphs: list[Graph], x: torch.Tensor) -> torch.Tensor:
        z = torch.stack([F.elu(conv(graph, x)) for conv, graph in zip(self.convs, graphs)], 1)  # [T, P, H*D]
        beta = torch.softmax(self.semantic(z).mean(0), 0)  # [P, 1]
        return (beta * z).sum(1)
