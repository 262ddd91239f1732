"""Sparse-dense matrix product over a graph's CSR adjacency.

    out[i] = sum_{e = (j -> i)} w_e * x[j]        (rows of the CSR are destination nodes)

Reference path: torch.sparse CSR products. The backward pass multiplies by the transpose, whose
CSR (the graph's CSC) is built once and cached on the graph; gradients to the edge weights use
the per-edge dot products `<grad_out[i], x[j]>`.
"""

from __future__ import annotations

import warnings

import torch

from cogdl.data.graph import Graph

# torch announces its CSR support as "beta" once per process; it is our reference path.
warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta", category=UserWarning)


def _csr_matmul(rowptr, col, weight, num_rows: int, x: torch.Tensor) -> torch.Tensor:
    adjacency = torch.sparse_csr_tensor(rowptr, col, weight, size=(num_rows, x.shape[0]), check_invariants=False)
    return adjacency @ x


class _SpMM(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, graph: Graph):
        ctx.graph = graph
        ctx.save_for_backward(x, weight)
        return _csr_matmul(graph.rowptr, graph.col, weight, graph.num_nodes, x)

    @staticmethod
    def backward(ctx, grad_out):
        x, weight = ctx.saved_tensors
        graph = ctx.graph
        grad_x = grad_weight = None
        if ctx.needs_input_grad[0]:
            t_rowptr, t_col, t_perm = graph.transposed()
            grad_x = _csr_matmul(t_rowptr, t_col, weight[t_perm], x.shape[0], grad_out)
        if ctx.needs_input_grad[1]:
            grad_weight = (grad_out[graph.row] * x[graph.col]).sum(-1)
        return grad_x, grad_weight, None


def spmm(graph: Graph, x: torch.Tensor, edge_weight: torch.Tensor | None = None) -> torch.Tensor:
    """`A @ x` with `A[i, j] = w_e` for every edge `e = (j -> i)` (weight 1 when none is given).

    Args:
        graph: the adjacency (CSR, rows = destinations), `N` nodes and `E` edges.
        x: `[N, F]` (or `[N, H, F]`) source features.
        edge_weight: optional `[E]` weights (default: the graph's, else 1); differentiable.

    Returns:
        `[N, F]` (or `[N, H, F]`) aggregated features.
    """
    if edge_weight is None:
        edge_weight = graph.edge_weight
    if edge_weight is None:
        edge_weight = torch.ones(graph.num_edges, dtype=x.dtype, device=x.device)
    flat = x.reshape(x.shape[0], -1)
    return _SpMM.apply(flat, edge_weight.to(x.dtype), graph).reshape(graph.num_nodes, *x.shape[1:])
