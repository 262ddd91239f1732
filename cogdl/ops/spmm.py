"""Sparse-dense matrix product over a graph's CSR adjacency.

    out[i] = reduce_{e = (j -> i)} w_e * x[j]      reduce in {sum, mean, max}; rows = destinations

Backward: `grad_x = A^T grad_out` over the graph's cached transpose (its CSC), scaled by
1/deg for `mean` and routed through the argmax for `max`; `grad_w_e = <grad_out[i], x[j]>` (an
SDDMM). The kernels come from `cogdl.ops.backends`.

Mixed precision: bfloat16 features keep float32 edge weights and come out bfloat16. A backend
that sums them in float32 itself says so (`bf16_spmm(reduce, heads, width)`, the CPU kernel for
one head of width 16-128: half the bytes gathered); otherwise they are widened to float32 first.
"""

from __future__ import annotations

import torch

from cogdl.data.graph import Graph
from cogdl.ops.backends import check_rows, kernels_for

REDUCTIONS = ("sum", "mean", "max")


def _run_spmm(kernels, rowptr, col, weight, x, num_rows: int, reduce: str):
    """The backend's SpMM, with bfloat16 `x` widened to float32 where the backend cannot sum it."""
    if x.dtype != torch.bfloat16 or getattr(kernels, "bf16_spmm", lambda *shape: False)(reduce, *x.shape[1:]):
        return kernels.spmm(rowptr, col, weight, x, num_rows, reduce)
    out, arg = kernels.spmm(rowptr, col, weight, x.float(), num_rows, reduce)
    return out.to(x.dtype), arg


class _SpMM(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, graph: Graph, reduce: str):
        kernels = kernels_for(x)
        out, arg = _run_spmm(kernels, graph.rowptr, graph.col, weight, x, graph.num_nodes, reduce)
        ctx.graph, ctx.reduce, ctx.kernels, ctx.x_shape, ctx.x_dtype = graph, reduce, kernels, x.shape, x.dtype
        ctx.save_for_backward(x if ctx.needs_input_grad[1] else None, weight, arg)  # x: only for the weights' gradient
        return out

    @staticmethod
    def backward(ctx, grad_out):
        x, weight, arg = ctx.saved_tensors
        graph, reduce, kernels = ctx.graph, ctx.reduce, ctx.kernels
        grad_out = grad_out.contiguous()
        if reduce == "mean":
            grad_out = grad_out / graph.in_degree().clamp(min=1).to(grad_out.dtype).view(-1, 1, 1)
        grad_x = grad_weight = None
        if reduce == "max":
            return _max_backward(ctx, x, weight, arg, grad_out)
        if ctx.needs_input_grad[0]:
            t_rowptr, t_col, t_perm = graph.transposed()
            t_weight = None if weight is None else weight[t_perm]
            grad_x = _run_spmm(kernels, t_rowptr, t_col, t_weight, grad_out.to(ctx.x_dtype), ctx.x_shape[0], "sum")[0]
        if ctx.needs_input_grad[1]:
            grad_weight = kernels.sddmm(graph.rowptr, graph.col, grad_out.to(weight.dtype), x.to(weight.dtype))
        return grad_x, grad_weight, None, None


def _max_backward(ctx, x, weight, arg, grad_out):
    """Each output entry's gradient goes to its argmax edge (none for empty rows)."""
    graph = ctx.graph
    valid = arg >= 0
    edge = arg[valid]
    heads = torch.arange(ctx.x_shape[1], device=arg.device).view(1, -1, 1).expand_as(arg)[valid]
    dims = torch.arange(ctx.x_shape[2], device=arg.device).view(1, 1, -1).expand_as(arg)[valid]
    src = graph.col[edge].long()
    g = grad_out[valid]
    grad_x = grad_weight = None
    if ctx.needs_input_grad[0]:
        w = 1.0 if weight is None else weight[edge, heads]
        grad_x = grad_out.new_zeros(ctx.x_shape, dtype=ctx.x_dtype)
        grad_x.index_put_((src, heads, dims), (g * w).to(ctx.x_dtype), accumulate=True)
    if ctx.needs_input_grad[1]:
        grad_weight = torch.zeros_like(weight)
        grad_weight.index_put_((edge, heads), (g * x[src, heads, dims]).to(weight.dtype), accumulate=True)
    return grad_x, grad_weight, None, None


def spmm(graph: Graph, x: torch.Tensor, edge_weight: torch.Tensor | None = None, reduce: str = "sum") -> torch.Tensor:
    """`reduce_{e = (j -> i)} w_e * x[j]` for every destination `i` (weight 1 when none is given).

    Args:
        graph: the adjacency (CSR, rows = destinations), `N` nodes and `E` edges.
        x: `[N, F]` or `[N, H, F]` source features.
        edge_weight: optional `[E]` (or `[E, H]` with `[N, H, F]` features) weights; default the
            graph's own; differentiable.
        reduce: `sum`, `mean` (over the incoming edges) or `max` (0 for a node without edges).

    Returns:
        `[N, F]` or `[N, H, F]`, like `x`.
    """
    if reduce not in REDUCTIONS:
        raise ValueError(f"reduce must be one of {REDUCTIONS}, found {reduce!r}")
    if edge_weight is None:
        edge_weight = graph.edge_weight
    x3 = x.reshape(x.shape[0], 1, -1) if x.dim() == 2 else x
    check_rows("spmm", graph, sources=[("x", x3)], edges=[("edge_weight", edge_weight)])
    weight = None
    if edge_weight is not None:
        weight = edge_weight.to(torch.float32 if x.dtype == torch.bfloat16 else x.dtype)
        weight = weight.reshape(-1, 1) if weight.dim() == 1 else weight
        if weight.shape[1] != x3.shape[1]:
            raise ValueError(f"edge weights have {weight.shape[1]} heads, features have {x3.shape[1]}")
    out = _SpMM.apply(x3, weight, graph, reduce)
    return out.reshape(graph.num_nodes, *x.shape[1:])
