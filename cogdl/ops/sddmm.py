"""Sampled dense-dense matrix product: one dot product per edge.

    out[e, h] = <a[i, h], b[j, h]>        for every edge e = (j -> i), per head h

Backward: `grad_a = A_g b` and `grad_b = A_g^T a`, SpMMs whose edge weights are the incoming
gradient `g` (the second one over the graph's cached transpose).
"""

from __future__ import annotations

import torch

from cogdl.data.graph import Graph
from cogdl.ops.backends import check_rows, kernels_for


class _SDDMM(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a, b, graph: Graph):
        kernels = kernels_for(a)
        ctx.graph, ctx.kernels = graph, kernels
        ctx.save_for_backward(a, b)
        return kernels.sddmm(graph.rowptr, graph.col, a, b)

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.saved_tensors
        graph, kernels = ctx.graph, ctx.kernels
        grad_out = grad_out.contiguous()
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_a = kernels.spmm(graph.rowptr, graph.col, grad_out, b, graph.num_nodes, "sum")[0]
        if ctx.needs_input_grad[1]:
            t_rowptr, t_col, t_perm = graph.transposed()
            grad_b = kernels.spmm(t_rowptr, t_col, grad_out[t_perm], a, b.shape[0], "sum")[0]
        return grad_a, grad_b, None


def sddmm(graph: Graph, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-edge dot products of destination rows of `a` and source rows of `b`.

    Args:
        graph: CSR adjacency with `N` destination rows and `E` edges.
        a: `[N, D]` or `[N, H, D]` (destination side).
        b: `[M, D]` or `[M, H, D]` (source side).

    Returns:
        `[E]` for 2-d inputs, `[E, H]` for multi-head inputs, in the graph's edge order.
    """
    single = a.dim() == 2
    a3 = a.unsqueeze(1) if single else a
    b3 = b.unsqueeze(1) if single else b
    check_rows("sddmm", graph, sources=[("b", b3)], destinations=[("a", a3)])
    out = _SDDMM.apply(a3, b3.to(a.dtype), graph)
    return out[:, 0] if single else out
