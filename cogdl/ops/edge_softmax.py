"""Softmax of edge scores over each destination node's incoming edges.

    alpha_e = exp(s_e - m_i) / sum_{e' -> i} exp(s_e' - m_i),   m_i = max_{e' -> i} s_e'

Backward: `grad_s = alpha * (grad - sum_row(alpha * grad))`.
"""

from __future__ import annotations

import torch

from cogdl.data.graph import Graph
from cogdl.ops.backends import check_rows, kernels_for


class _EdgeSoftmax(torch.autograd.Function):
    @staticmethod
    def forward(ctx, scores, graph: Graph):
        kernels = kernels_for(scores)
        alpha = kernels.edge_softmax(graph.rowptr, scores)
        ctx.graph, ctx.kernels = graph, kernels
        ctx.save_for_backward(alpha)
        return alpha

    @staticmethod
    def backward(ctx, grad):
        (alpha,) = ctx.saved_tensors
        return ctx.kernels.edge_softmax_backward(ctx.graph.rowptr, alpha, grad.contiguous()), None


def edge_softmax(graph: Graph, scores: torch.Tensor) -> torch.Tensor:
    """Normalise `[E]` or `[E, H]` scores per destination row; each non-empty row sums to 1."""
    scores2 = scores.unsqueeze(1) if scores.dim() == 1 else scores
    check_rows("edge_softmax", graph, edges=[("scores", scores2)])
    alpha = _EdgeSoftmax.apply(scores2.contiguous(), graph)
    return alpha[:, 0] if scores.dim() == 1 else alpha
