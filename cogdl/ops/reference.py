"""Reference kernels: torch.sparse CSR products, `index_add` and `scatter_reduce`.

Always available, on any device, and the oracle every other backend is tested against. These are
the non-differentiable primitives; the autograd rules that combine them live beside the public
ops (`spmm.py`, `sddmm.py`, `edge_softmax.py`, `gat_aggregate.py`) and are shared by all backends.

Shapes: CSR `rowptr` `[N + 1]`, `col` `[E]` (rows = destination nodes); node tensors are
`[N or M, H, D]`, edge tensors `[E, H]`.
"""

from __future__ import annotations

import warnings

import torch
import torch.nn.functional as F

# torch announces its CSR support as "beta" once per process; it is our reference path.
warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta", category=UserWarning)



def rows_of(rowptr: torch.Tensor, num_edges: int) -> torch.Tensor:
    return torch.repeat_interleave(torch.arange(rowptr.numel() - 1, device=rowptr.device), rowptr.diff(),
                                   output_size=num_edges)


def spmm(rowptr, col, weight, x, num_rows: int, reduce: str = "sum"):
    """`out[i, h] = reduce_{e = (j -> i)} w[e, h] * x[j, h]`; returns `(out, argmax edge or None)`.

    `weight` is `[E, H]` or None (all ones); `x` is `[M, H, D]`. Empty rows give 0; for `max`,
    the argmax is the edge id per `(i, h, d)` or -1 for an empty row.
    """
    num_heads, width = x.shape[1], x.shape[2]
    if reduce in ("sum", "mean") and num_heads == 1:
        values = torch.ones(col.numel(), dtype=x.dtype, device=x.device) if weight is None else weight[:, 0]
        adjacency = torch.sparse_csr_tensor(rowptr, col.to(rowptr.dtype), values.to(x.dtype),
                                            size=(num_rows, x.shape[0]), check_invariants=False)
        out = (adjacency @ x[:, 0, :]).unsqueeze(1)
    else:
        row = rows_of(rowptr, col.numel())
        messages = x[col.long()]
        if weight is not None:
            messages = messages * weight.unsqueeze(-1)
        if reduce == "max":
            out = torch.full((num_rows, num_heads, width), float("-inf"), dtype=x.dtype, device=x.device)
            index = row.view(-1, 1, 1).expand_as(messages)
            out = out.scatter_reduce(0, index, messages, reduce="amax", include_self=True)
            winner = messages == out[row]
            edge_ids = torch.arange(col.numel(), device=x.device).view(-1, 1, 1).expand_as(messages)
            candidates = torch.where(winner, edge_ids, torch.full_like(edge_ids, col.numel()))
            arg = torch.full((num_rows, num_heads, width), col.numel(), dtype=torch.long, device=x.device)
            arg = arg.scatter_reduce(0, index, candidates, reduce="amin", include_self=True)
            empty = (rowptr.diff() == 0).view(-1, 1, 1)
            return out.masked_fill(empty, 0.0), arg.masked_fill(empty, -1)
        out = torch.zeros(num_rows, num_heads, width, dtype=x.dtype, device=x.device).index_add_(0, row, messages)
    if reduce == "mean":
        out = out / rowptr.diff().clamp(min=1).to(x.dtype).view(-1, 1, 1)
    return out, None


def sddmm(rowptr, col, a, b):
    """`out[e, h] = <a[i, h], b[j, h]>` for every edge `e = (j -> i)`; `a` `[N, H, D]`, `b` `[M, H, D]`."""
    row = rows_of(rowptr, col.numel())
    return (a[row] * b[col.long()]).sum(-1)


def edge_softmax(rowptr, scores):
    """Softmax of `[E, H]` scores over each row's edges (max subtracted first)."""
    row = rows_of(rowptr, scores.shape[0])
    num_rows = rowptr.numel() - 1
    index = row.view(-1, 1).expand_as(scores)
    row_max = torch.full((num_rows, scores.shape[1]), float("-inf"), dtype=scores.dtype, device=scores.device)
    row_max = row_max.scatter_reduce(0, index, scores, reduce="amax", include_self=True)
    exp = (scores - row_max[row]).exp()
    row_sum = torch.zeros_like(row_max).index_add_(0, row, exp)
    return exp / row_sum[row]


def edge_softmax_backward(rowptr, alpha, grad):
    """`grad_s = alpha * (grad - sum_row(alpha * grad))`, the softmax Jacobian-vector product."""
    row = rows_of(rowptr, alpha.shape[0])
    total = torch.zeros(rowptr.numel() - 1, alpha.shape[1], dtype=alpha.dtype, device=alpha.device)
    total = total.index_add_(0, row, alpha * grad)
    return alpha * (grad - total[row])


# -- the counter hash shared by every backend: dropout masks, stochastic rounding -----------------
_M1, _M2 = 0x7FEB352D, 0x5BD1E995  # odd multipliers < 2**31 so that int64 products never overflow


def hash32(index: torch.Tensor, seed: int) -> torch.Tensor:
    """The 32-bit counter hash every backend computes for `(seed, index)` (int64 values below 2**32)."""
    x = (index & 0xFFFFFFFF) ^ seed
    x = x ^ (x >> 16)
    x = (x * _M1) & 0xFFFFFFFF
    x = x ^ (x >> 15)
    x = (x * _M2) & 0xFFFFFFFF
    return x ^ (x >> 16)


def keep_mask(seed: int, num_edges: int, num_heads: int, p: float, device) -> torch.Tensor:
    """Bernoulli(1 - p) keep decisions for `[E, H]` attention weights from a counter-based hash.

    Every backend computes `hash32(seed ^ (e * H + h)) / 2**32 >= p` with the same 32-bit hash, so
    the backward pass regenerates the mask instead of storing it, and backends agree bit for bit.
    """
    index = torch.arange(num_edges * num_heads, device=device, dtype=torch.int64).view(num_edges, num_heads)
    return hash32(index, seed).to(torch.float64) * (1.0 / 2**32) >= p


def dropout_scale(seed: int, numel: int, p: float, device) -> torch.Tensor:
    """`[numel]` float32 inverted-dropout multipliers, `1 / (1 - p)` where `keep_mask` keeps, else 0."""
    keep = keep_mask(seed, numel, 1, p, device).view(-1)
    return keep.to(torch.float32) * (1.0 / (1.0 - p))


# -- stochastic per-group quantisation (cogdl/ops/quantize.py) ------------------------------------
def pack_bits(q: torch.Tensor, bits: int) -> torch.Tensor:
    """uint8 values below 2^bits, `8 // bits` to a byte (the first in the lowest bits)."""
    per_byte = 8 // bits
    q = F.pad(q, (0, -q.numel() % per_byte)).view(-1, per_byte)
    shifts = torch.arange(0, 8, bits, dtype=torch.uint8, device=q.device)
    return (q << shifts).sum(1, dtype=torch.uint8) if per_byte > 1 else q[:, 0].contiguous()


def unpack_bits(packed: torch.Tensor, bits: int, numel: int) -> torch.Tensor:
    shifts = torch.arange(0, 8, bits, dtype=torch.uint8, device=packed.device)
    return ((packed.unsqueeze(1) >> shifts) & ((1 << bits) - 1)).view(-1)[:numel]


def pack_positive(x: torch.Tensor) -> torch.Tensor:
    """Whether each value of float32 or bool `x` `[n]` is positive (true), 8 to a byte."""
    return pack_bits((x > 0).to(torch.uint8), 1)


def unpack_positive(packed: torch.Tensor, numel: int, dtype: torch.dtype) -> torch.Tensor:
    """`[numel]` 1 / 0 in float32 (or true / false in bool `dtype`) from `pack_positive`'s bytes."""
    return unpack_bits(packed, 1, numel).to(dtype)


def quantize(x: torch.Tensor, bits: int, group_size: int, seed: int):
    """`(packed, minimum, step)` of float32 `x` `[n]` (n > 0): value i of group g becomes
    `floor((x_i - m_g) / s_g + u_i)`, `u_i = (hash32(seed, i) >> 8) / 2**24`."""
    n = x.numel()
    groups = torch.cat([x, x[-1:].expand(-n % group_size)]).view(-1, group_size)  # padding keeps min and max
    minimum = groups.min(1).values
    step = (groups.max(1).values - minimum) / (2**bits - 1)
    scaled = (groups - minimum[:, None]) / torch.where(step > 0, step, 1.0)[:, None]
    index = torch.arange(groups.numel(), device=x.device).view_as(groups)
    uniform = (hash32(index, seed) >> 8).to(torch.float32) * (1.0 / 2**24)
    q = torch.floor(scaled + uniform).clamp_(0, 2**bits - 1).to(torch.uint8)
    return pack_bits(q.view(-1)[:n], bits), minimum, step


def dequantize(packed, minimum, step, bits: int, group_size: int, numel: int) -> torch.Tensor:
    """float32 `[numel]`: `m_g + q_i s_g`."""
    q = F.pad(unpack_bits(packed, bits, numel), (0, -numel % group_size)).view(-1, group_size)
    return (minimum[:, None] + q * step[:, None]).view(-1)[:numel]


def _gat_alpha(rowptr, col, a_src, a_dst, bias, slope):
    row = rows_of(rowptr, col.numel())
    scores = a_src[col.long()] + a_dst[row]
    if bias is not None:
        scores = scores + bias
    return edge_softmax(rowptr, F.leaky_relu(scores, slope))


def gat_forward(rowptr, col, h, a_src, a_dst, bias, slope: float, p: float, seed: int):
    """Fused GAT forward (see `gat_aggregate.py`); returns `([N, H, D], state for the backward)`."""
    alpha = _gat_alpha(rowptr, col, a_src, a_dst, bias, slope)
    if p > 0:
        alpha = alpha * keep_mask(seed, alpha.shape[0], alpha.shape[1], p, alpha.device) / (1.0 - p)
    return spmm(rowptr, col, alpha, h, rowptr.numel() - 1, "sum")[0], None


def gat_backward(rowptr, col, h, a_src, a_dst, bias, slope, p, seed, state, grad_out, t_rowptr, t_col, t_perm,
                 need_bias_grad: bool):
    """Gradients of `gat_forward` w.r.t. `(h, a_src, a_dst, bias)`, by differentiating the reference."""
    with torch.enable_grad():
        inputs = [t.detach().requires_grad_() for t in (h, a_src, a_dst)]
        bias_in = None if bias is None else bias.detach().requires_grad_(need_bias_grad)
        out, _ = gat_forward(rowptr, col, *inputs, bias_in, slope, p, seed)
        wrt = inputs + ([bias_in] if need_bias_grad else [])
        grads = torch.autograd.grad(out, wrt, grad_out)
    return (*grads[:3], grads[3] if need_bias_grad else None)
