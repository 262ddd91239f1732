"""The fused GAT step: attention scores, edge softmax, attention dropout and weighted aggregation.

"Graph Attention Networks", Velickovic et al., ICLR 2018, equations (1)-(4):

    s_e     = a_src[j] + a_dst[i] (+ b_e)                  for e = (j -> i), per head
    alpha_e = softmax over the incoming edges of i of LeakyReLU(s_e)
    out[i]  = sum_{e = (j -> i)} dropout(alpha_e) * h[j]

`a_src[j] = <att_src, h[j]>` and `a_dst[i] = <att_dst, h[i]>` are the two halves of the paper's
`a^T [W h_i || W h_j]`, computed per node before the edge loop. `b_e` is an optional per-edge
bias (Simple-HGN adds its edge-type term there).

The fast backends keep no `[E, H]` tensor between forward and backward: they save two `[N, H]`
row statistics (max and sum of the softmax) and recompute each edge's weight, and the dropout
mask is regenerated from a counter-based hash of (seed, edge, head) (`reference.keep_mask`), so
every backend drops the same edges for the same seed.

The backward recomputes each edge's weight from `a_src`, `a_dst` against the saved row max and sum,
so those two `[N, H]` inputs are kept exactly (`keep_exact`), never quantised by activation
compression: quantised logits would no longer match the statistics, and the recomputed weights of
a row would not sum to one.
"""

from __future__ import annotations

import torch

from cogdl.data.graph import Graph
from cogdl.ops.backends import check_rows, kernels_for
from cogdl.ops.quantize import keep_exact


class _GATAggregate(torch.autograd.Function):
    @staticmethod
    def forward(ctx, h, attn_src, attn_dst, edge_bias, graph: Graph, negative_slope: float, p: float, seed: int):
        kernels = kernels_for(h)
        out, state = kernels.gat_forward(graph.rowptr, graph.col, h, attn_src, attn_dst, edge_bias,
                                         negative_slope, p, seed)
        ctx.graph, ctx.kernels, ctx.args, ctx.state = graph, kernels, (negative_slope, p, seed), state
        ctx.save_for_backward(h, edge_bias)
        ctx.attention = keep_exact(attn_src, attn_dst)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (h, edge_bias), (attn_src, attn_dst) = ctx.saved_tensors, ctx.attention
        graph = ctx.graph
        grads = ctx.kernels.gat_backward(graph.rowptr, graph.col, h, attn_src, attn_dst, edge_bias, *ctx.args,
                                         ctx.state, grad_out.contiguous(), *graph.transposed(),
                                         edge_bias is not None and ctx.needs_input_grad[3])
        return (*grads, None, None, None, None)


def gat_aggregate(graph: Graph, h: torch.Tensor, attn_src: torch.Tensor, attn_dst: torch.Tensor,
                  negative_slope: float = 0.2, attn_dropout: float = 0.0, training: bool = False,
                  edge_bias: torch.Tensor | None = None) -> torch.Tensor:
    """Aggregate `h` `[N, H, D]` with attention from `attn_src`, `attn_dst` `[N, H]`.

    Args:
        graph: CSR adjacency, rows = destination nodes (add self loops beforehand if wanted).
        h: `[N, H, D]` projected node features.
        attn_src, attn_dst: `[N, H]` per-node halves of the attention logits.
        negative_slope: LeakyReLU slope of the scores.
        attn_dropout: dropout probability on the normalised attention weights (when `training`);
            the mask's seed is drawn from torch's default generator.
        training: apply attention dropout.
        edge_bias: optional `[E, H]` term added to the scores before the LeakyReLU.

    Returns:
        `[N, H, D]` aggregated features.
    """
    check_rows("gat_aggregate", graph, sources=[("h", h), ("attn_src", attn_src)],
               destinations=[("attn_dst", attn_dst)], edges=[("edge_bias", edge_bias)])
    p = attn_dropout if training else 0.0
    seed = int(torch.randint(0, 2**31 - 1, (1,)).item()) if p > 0 else 0
    dtype = torch.float32 if h.dtype == torch.bfloat16 else h.dtype  # bfloat16 (autocast) runs in float32
    bias = None if edge_bias is None else edge_bias.to(dtype).contiguous()
    out = _GATAggregate.apply(h.to(dtype).contiguous(), attn_src.to(dtype).contiguous(),
                              attn_dst.to(dtype).contiguous(), bias, graph, float(negative_slope), float(p), seed)
    return out.to(h.dtype)
