"""The fused GAT step: attention scores, edge softmax and weighted aggregation.

"Graph Attention Networks", Velickovic et al., ICLR 2018, equations (1)-(4):

    s_e     = LeakyReLU(a_src[j] + a_dst[i] (+ b_e))          for e = (j -> i), per head
    alpha_e = softmax over the incoming edges of i of s_e
    out[i]  = sum_{e = (j -> i)} dropout(alpha_e) * h[j]

`a_src[j] = <att_src, h[j]>` and `a_dst[i] = <att_dst, h[i]>` are the two halves of the paper's
`a^T [W h_i || W h_j]`, computed per node before the edge loop. `b_e` is an optional per-edge
bias (Simple-HGN adds its edge-type term there).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from cogdl.data.graph import Graph
from cogdl.ops.edge_softmax import edge_softmax


def gat_aggregate(graph: Graph, h: torch.Tensor, attn_src: torch.Tensor, attn_dst: torch.Tensor,
                  negative_slope: float = 0.2, attn_dropout: float = 0.0, training: bool = False,
                  edge_bias: torch.Tensor | None = None) -> torch.Tensor:
    """Aggregate `h` `[N, H, D]` with attention from `attn_src`, `attn_dst` `[N, H]`.

    Args:
        graph: CSR adjacency, rows = destination nodes (add self loops beforehand if wanted).
        h: `[N, H, D]` projected node features.
        attn_src, attn_dst: `[N, H]` per-node halves of the attention logits.
        negative_slope: LeakyReLU slope of the scores.
        attn_dropout: dropout probability on the normalised attention weights (when `training`).
        edge_bias: optional `[E, H]` term added to the scores before the LeakyReLU.

    Returns:
        `[N, H, D]` aggregated features.
    """
    scores = attn_src[graph.col] + attn_dst[graph.row]
    if edge_bias is not None:
        scores = scores + edge_bias
    alpha = edge_softmax(graph, F.leaky_relu(scores, negative_slope))
    alpha = F.dropout(alpha, attn_dropout, training)
    messages = h[graph.col] * alpha.unsqueeze(-1)
    return torch.zeros(graph.num_nodes, *h.shape[1:], dtype=h.dtype, device=h.device).index_add_(0, graph.row, messages)
