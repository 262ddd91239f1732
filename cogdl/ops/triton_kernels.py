"""The `triton` backend: Triton kernels for CUDA tensors (and CPU tensors under TRITON_INTERPRET=1).

Each kernel walks a CSR row (or a column of the cached transpose) in tiles of `BLOCK_E` edges and
`BLOCK_D` features; a program owns one output row and head, so no atomics are needed. The fused
GAT kernels keep two `[N, H]` row statistics instead of any `[E, H]` tensor and regenerate the
dropout mask from the same counter hash as `reference.keep_mask`.

SpMM is autotuned on the GPU (tile length and warps per program, keyed on the width, the heads
and the graph's mean degree rounded to a power of two): rows of a sparse graph hold a few edges,
and the best tile differs between a citation graph and a dense one. Triton's interpreter cannot
time configurations, so it runs the one default.
"""

from __future__ import annotations

import math
import os

import torch
import triton
import triton.language as tl

BLOCK_E = 32


def ensure_available():
    if os.environ.get("TRITON_INTERPRET") != "1" and not torch.cuda.is_available():
        raise RuntimeError("Triton kernels need a CUDA device (or TRITON_INTERPRET=1 on the CPU)")


def _block(width: int) -> int:
    return max(16, min(128, triton.next_power_of_2(width)))


def _full_block(width: int) -> int:
    if width > 1024:
        raise ValueError(f"the fused GAT kernels support at most 1024 features per head, found {width}")
    return max(16, triton.next_power_of_2(width))


def _threshold(p: float) -> int:
    """Keep an edge when its 32-bit hash is >= this; equals `hash / 2**32 >= p` exactly."""
    return math.ceil(p * 2**32)


@triton.jit
def _hash32(seed, index):
    """`reference.hash32`, as uint32."""
    x = index.to(tl.uint32) ^ seed.to(tl.uint32)  # int64 -> uint32 keeps the low 32 bits
    x = x ^ (x >> 16)
    x = x * 0x7FEB352D
    x = x ^ (x >> 15)
    x = x * 0x5BD1E995
    return x ^ (x >> 16)


@triton.jit
def _keep(seed, index, threshold):
    return _hash32(seed, index).to(tl.int64) >= threshold


# -- SpMM -----------------------------------------------------------------------------------------
def _spmm_configs() -> list:
    if os.environ.get("TRITON_INTERPRET") == "1":
        return [triton.Config({"BLOCK_E": BLOCK_E}, num_warps=4)]
    return [triton.Config({"BLOCK_E": e}, num_warps=w) for e in (8, 16, 32, 64) for w in (1, 4)]


def _quick_bench(kernel_call, quantiles=None, **_):
    """Autotuning timer: a short warm-up and 20 ms of repeats per configuration (Triton's default
    spends 125 ms on each, which adds up over the shapes of a test run)."""
    return triton.testing.do_bench(kernel_call, warmup=5, rep=20, quantiles=quantiles)


@triton.autotune(configs=_spmm_configs(), key=["H", "D", "MEAN_DEGREE", "HAS_WEIGHT", "REDUCE"],
                 do_bench=_quick_bench)
@triton.jit
def _spmm_kernel(rowptr, col, weight, x, out, arg, H, D, MEAN_DEGREE, HAS_WEIGHT: tl.constexpr,
                 REDUCE: tl.constexpr, BLOCK_E: tl.constexpr, BLOCK_D: tl.constexpr):
    row = tl.program_id(0)
    head = tl.program_id(1)
    offs_d = tl.program_id(2) * BLOCK_D + tl.arange(0, BLOCK_D)
    mask_d = offs_d < D
    start = tl.load(rowptr + row).to(tl.int64)
    end = tl.load(rowptr + row + 1).to(tl.int64)
    if REDUCE == 2:
        acc = tl.full([BLOCK_D], float("-inf"), out.dtype.element_ty)
        best = tl.full([BLOCK_D], -1, tl.int64)
    else:
        acc = tl.zeros([BLOCK_D], out.dtype.element_ty)
    for base in range(start, end, BLOCK_E):
        offs_e = base + tl.arange(0, BLOCK_E)
        mask_e = offs_e < end
        j = tl.load(col + offs_e, mask=mask_e, other=0).to(tl.int64)
        tile = tl.load(x + (j[:, None] * H + head) * D + offs_d[None, :], mask=mask_e[:, None] & mask_d[None, :],
                       other=0.0)
        if HAS_WEIGHT:
            w = tl.load(weight + offs_e * H + head, mask=mask_e, other=0.0)
            tile = tile * w[:, None]
        if REDUCE == 2:
            tile = tl.where(mask_e[:, None], tile, float("-inf"))
            tile_max = tl.max(tile, axis=0)
            tile_arg = tl.argmax(tile, axis=0).to(tl.int64) + base
            better = tile_max > acc
            best = tl.where(better, tile_arg, best)
            acc = tl.where(better, tile_max, acc)
        else:
            acc += tl.sum(tile, axis=0)
    if REDUCE == 1:
        acc = acc / tl.maximum(end - start, 1).to(acc.dtype)
    if REDUCE == 2:
        acc = tl.where(end > start, acc, 0.0)
        tl.store(arg + (row * H + head) * D + offs_d, best, mask=mask_d)
    tl.store(out + (row * H + head) * D + offs_d, acc, mask=mask_d)


def spmm(rowptr, col, weight, x, num_rows: int, reduce: str = "sum"):
    x = x.contiguous()
    heads, width = x.shape[1], x.shape[2]
    out = torch.empty(num_rows, heads, width, dtype=x.dtype, device=x.device)
    arg = torch.empty(num_rows, heads, width, dtype=torch.long, device=x.device) if reduce == "max" else out
    block = _block(width)
    w = weight.contiguous() if weight is not None else x
    grid = (num_rows, heads, triton.cdiv(width, block))
    mean_degree = 1 << (col.numel() // max(1, num_rows)).bit_length()  # an autotuning key, not an input
    _spmm_kernel[grid](rowptr, col, w, x, out, arg, heads, width, mean_degree, HAS_WEIGHT=weight is not None,
                       REDUCE={"sum": 0, "mean": 1, "max": 2}[reduce], BLOCK_D=block)
    return out, (arg if reduce == "max" else None)


# -- SDDMM ----------------------------------------------------------------------------------------
@triton.jit
def _sddmm_kernel(row, col, a, b, out, E, H, D, BLOCK_E: tl.constexpr, BLOCK_D: tl.constexpr):
    offs_e = tl.program_id(0) * BLOCK_E + tl.arange(0, BLOCK_E)
    head = tl.program_id(1)
    mask_e = offs_e < E
    i = tl.load(row + offs_e, mask=mask_e, other=0).to(tl.int64)
    j = tl.load(col + offs_e, mask=mask_e, other=0).to(tl.int64)
    acc = tl.zeros([BLOCK_E], out.dtype.element_ty)
    for d0 in range(0, D, BLOCK_D):
        offs_d = d0 + tl.arange(0, BLOCK_D)
        mask = mask_e[:, None] & (offs_d[None, :] < D)
        ta = tl.load(a + (i[:, None] * H + head) * D + offs_d[None, :], mask=mask, other=0.0)
        tb = tl.load(b + (j[:, None] * H + head) * D + offs_d[None, :], mask=mask, other=0.0)
        acc += tl.sum(ta * tb, axis=1)
    tl.store(out + offs_e * H + head, acc, mask=mask_e)


def _rows(rowptr, num_edges):
    return torch.repeat_interleave(torch.arange(rowptr.numel() - 1, device=rowptr.device), rowptr.diff(),
                                   output_size=num_edges)


def sddmm(rowptr, col, a, b):
    a, b = a.contiguous(), b.to(a.dtype).contiguous()
    num_edges, heads, width = col.numel(), a.shape[1], a.shape[2]
    out = torch.empty(num_edges, heads, dtype=a.dtype, device=a.device)
    grid = (triton.cdiv(num_edges, BLOCK_E), heads)
    _sddmm_kernel[grid](_rows(rowptr, num_edges), col, a, b, out, num_edges, heads, width,
                        BLOCK_E=BLOCK_E, BLOCK_D=_block(width))
    return out


# -- edge softmax ---------------------------------------------------------------------------------
@triton.jit
def _edge_softmax_kernel(rowptr, scores, out, H, BLOCK_E: tl.constexpr):
    row = tl.program_id(0)
    head = tl.program_id(1)
    start = tl.load(rowptr + row).to(tl.int64)
    end = tl.load(rowptr + row + 1).to(tl.int64)
    m = tl.full([BLOCK_E], float("-inf"), out.dtype.element_ty)
    for base in range(start, end, BLOCK_E):
        offs = base + tl.arange(0, BLOCK_E)
        m = tl.maximum(m, tl.load(scores + offs * H + head, mask=offs < end, other=float("-inf")))
    row_max = tl.max(m, axis=0)
    total = tl.zeros([BLOCK_E], out.dtype.element_ty)
    for base in range(start, end, BLOCK_E):
        offs = base + tl.arange(0, BLOCK_E)
        s = tl.load(scores + offs * H + head, mask=offs < end, other=float("-inf"))
        total += tl.where(offs < end, tl.exp(s - row_max), 0.0)
    row_sum = tl.sum(total, axis=0)
    for base in range(start, end, BLOCK_E):
        offs = base + tl.arange(0, BLOCK_E)
        s = tl.load(scores + offs * H + head, mask=offs < end, other=0.0)
        tl.store(out + offs * H + head, tl.exp(s - row_max) / row_sum, mask=offs < end)


@triton.jit
def _edge_softmax_backward_kernel(rowptr, alpha, grad, out, H, BLOCK_E: tl.constexpr):
    row = tl.program_id(0)
    head = tl.program_id(1)
    start = tl.load(rowptr + row).to(tl.int64)
    end = tl.load(rowptr + row + 1).to(tl.int64)
    total = tl.zeros([BLOCK_E], out.dtype.element_ty)
    for base in range(start, end, BLOCK_E):
        offs = base + tl.arange(0, BLOCK_E)
        mask = offs < end
        total += tl.load(alpha + offs * H + head, mask=mask, other=0.0) * tl.load(grad + offs * H + head, mask=mask, other=0.0)
    row_total = tl.sum(total, axis=0)
    for base in range(start, end, BLOCK_E):
        offs = base + tl.arange(0, BLOCK_E)
        mask = offs < end
        a = tl.load(alpha + offs * H + head, mask=mask, other=0.0)
        g = tl.load(grad + offs * H + head, mask=mask, other=0.0)
        tl.store(out + offs * H + head, a * (g - row_total), mask=mask)


def edge_softmax(rowptr, scores):
    scores = scores.contiguous()
    out = torch.empty_like(scores)
    _edge_softmax_kernel[(rowptr.numel() - 1, scores.shape[1])](rowptr, scores, out, scores.shape[1], BLOCK_E=BLOCK_E)
    return out


def edge_softmax_backward(rowptr, alpha, grad):
    out = torch.empty_like(alpha)
    _edge_softmax_backward_kernel[(rowptr.numel() - 1, alpha.shape[1])](rowptr, alpha.contiguous(),
                                                                        grad.contiguous(), out, alpha.shape[1],
                                                                        BLOCK_E=BLOCK_E)
    return out


# -- fused GAT ------------------------------------------------------------------------------------
@triton.jit
def _gat_scores(offs_e, mask_e, i, j, head, a_src, a_dst, bias, H, slope, HAS_BIAS: tl.constexpr):
    """Pre-activation and leaky-relu scores of a tile of edges (i may be a scalar or a tile)."""
    i = i + 0 * offs_e  # broadcast a scalar row or column index to the tile
    j = j + 0 * offs_e
    pre = tl.load(a_src + j * H + head, mask=mask_e, other=0.0) + tl.load(a_dst + i * H + head, mask=mask_e, other=0.0)
    if HAS_BIAS:
        pre += tl.load(bias + offs_e * H + head, mask=mask_e, other=0.0)
    return pre, tl.where(pre > 0, pre, pre * slope)


@triton.jit
def _gat_forward_kernel(rowptr, col, feat, a_src, a_dst, bias, out, row_max, row_sum, H, D, slope_scale, seed, threshold,
                        HAS_BIAS: tl.constexpr, DROPOUT: tl.constexpr, BLOCK_E: tl.constexpr,
                        BLOCK_D: tl.constexpr):
    row = tl.program_id(0)
    head = tl.program_id(1)
    slope = tl.load(slope_scale)
    scale = tl.load(slope_scale + 1)
    offs_d = tl.arange(0, BLOCK_D)
    mask_d = offs_d < D
    start = tl.load(rowptr + row).to(tl.int64)
    end = tl.load(rowptr + row + 1).to(tl.int64)
    m = tl.full([BLOCK_E], float("-inf"), out.dtype.element_ty)
    for base in range(start, end, BLOCK_E):
        offs_e = base + tl.arange(0, BLOCK_E)
        mask_e = offs_e < end
        j = tl.load(col + offs_e, mask=mask_e, other=0).to(tl.int64)
        _, z = _gat_scores(offs_e, mask_e, row, j, head, a_src, a_dst, bias, H, slope, HAS_BIAS)
        m = tl.maximum(m, tl.where(mask_e, z, float("-inf")))
    mx = tl.max(m, axis=0)
    total = tl.zeros([BLOCK_E], out.dtype.element_ty)
    for base in range(start, end, BLOCK_E):
        offs_e = base + tl.arange(0, BLOCK_E)
        mask_e = offs_e < end
        j = tl.load(col + offs_e, mask=mask_e, other=0).to(tl.int64)
        _, z = _gat_scores(offs_e, mask_e, row, j, head, a_src, a_dst, bias, H, slope, HAS_BIAS)
        total += tl.where(mask_e, tl.exp(z - mx), 0.0)
    sm = tl.sum(total, axis=0)
    acc = tl.zeros([BLOCK_D], out.dtype.element_ty)
    for base in range(start, end, BLOCK_E):
        offs_e = base + tl.arange(0, BLOCK_E)
        mask_e = offs_e < end
        j = tl.load(col + offs_e, mask=mask_e, other=0).to(tl.int64)
        _, z = _gat_scores(offs_e, mask_e, row, j, head, a_src, a_dst, bias, H, slope, HAS_BIAS)
        alpha = tl.where(mask_e, tl.exp(z - mx) / sm, 0.0)
        if DROPOUT:
            alpha = tl.where(_keep(seed, offs_e * H + head, threshold), alpha * scale, 0.0)
        tile = tl.load(feat + (j[:, None] * H + head) * D + offs_d[None, :], mask=mask_e[:, None] & mask_d[None, :],
                       other=0.0)
        acc += tl.sum(alpha[:, None] * tile, axis=0)
    tl.store(out + (row * H + head) * D + offs_d, acc, mask=mask_d)
    tl.store(row_max + row * H + head, mx)
    tl.store(row_sum + row * H + head, sm)


@triton.jit
def _gat_row_tile(offs_e, mask_e, row, head, col, feat, a_src, a_dst, bias, mx, sm, g_row, offs_d, mask_d, H, D,
                  slope, scale, seed, threshold, HAS_BIAS: tl.constexpr, DROPOUT: tl.constexpr):
    """For a tile of row `row`'s edges: pre-activation scores, softmax weights and the gradient
    w.r.t. the (dropped) weights, `g_e = d_e <grad_out[row], feat[j]>`."""
    j = tl.load(col + offs_e, mask=mask_e, other=0).to(tl.int64)
    pre, z = _gat_scores(offs_e, mask_e, row, j, head, a_src, a_dst, bias, H, slope, HAS_BIAS)
    alpha = tl.where(mask_e, tl.exp(z - mx) / sm, 0.0)
    tile = tl.load(feat + (j[:, None] * H + head) * D + offs_d[None, :], mask=mask_e[:, None] & mask_d[None, :],
                   other=0.0)
    g = tl.sum(tile * g_row[None, :], axis=1)
    if DROPOUT:
        g = tl.where(_keep(seed, offs_e * H + head, threshold), g * scale, 0.0)
    return pre, alpha, g


@triton.jit
def _gat_backward_rows_kernel(rowptr, col, feat, a_src, a_dst, bias, row_max, row_sum, grad_out, c, grad_dst,
                              grad_bias, H, D, slope_scale, seed, threshold, HAS_BIAS: tl.constexpr,
                              DROPOUT: tl.constexpr, BIAS_GRAD: tl.constexpr, BLOCK_E: tl.constexpr,
                              BLOCK_D: tl.constexpr):
    row = tl.program_id(0)
    head = tl.program_id(1)
    slope = tl.load(slope_scale)
    scale = tl.load(slope_scale + 1)
    offs_d = tl.arange(0, BLOCK_D)
    mask_d = offs_d < D
    start = tl.load(rowptr + row).to(tl.int64)
    end = tl.load(rowptr + row + 1).to(tl.int64)
    mx = tl.load(row_max + row * H + head)
    sm = tl.load(row_sum + row * H + head)
    g_row = tl.load(grad_out + (row * H + head) * D + offs_d, mask=mask_d, other=0.0)
    total = tl.zeros([BLOCK_E], grad_out.dtype.element_ty)
    for base in range(start, end, BLOCK_E):
        offs_e = base + tl.arange(0, BLOCK_E)
        mask_e = offs_e < end
        _, alpha, g = _gat_row_tile(offs_e, mask_e, row, head, col, feat, a_src, a_dst, bias, mx, sm, g_row, offs_d,
                                    mask_d, H, D, slope, scale, seed, threshold, HAS_BIAS, DROPOUT)
        total += alpha * g
    c_row = tl.sum(total, axis=0)
    tl.store(c + row * H + head, c_row)
    acc = tl.zeros([BLOCK_E], grad_out.dtype.element_ty)
    for base in range(start, end, BLOCK_E):
        offs_e = base + tl.arange(0, BLOCK_E)
        mask_e = offs_e < end
        pre, alpha, g = _gat_row_tile(offs_e, mask_e, row, head, col, feat, a_src, a_dst, bias, mx, sm, g_row, offs_d,
                                      mask_d, H, D, slope, scale, seed, threshold, HAS_BIAS, DROPOUT)
        grad_s = alpha * (g - c_row) * tl.where(pre > 0, 1.0, slope)
        acc += grad_s
        if BIAS_GRAD:
            tl.store(grad_bias + offs_e * H + head, grad_s, mask=mask_e)
    tl.store(grad_dst + row * H + head, tl.sum(acc, axis=0))


@triton.jit
def _gat_backward_columns_kernel(t_rowptr, t_col, t_perm, feat, a_src, a_dst, bias, row_max, row_sum, grad_out, c,
                                 grad_src, grad_feat, H, D, slope_scale, seed, threshold, HAS_BIAS: tl.constexpr,
                                 DROPOUT: tl.constexpr, BLOCK_E: tl.constexpr, BLOCK_D: tl.constexpr):
    src = tl.program_id(0)
    head = tl.program_id(1)
    slope = tl.load(slope_scale)
    scale = tl.load(slope_scale + 1)
    offs_d = tl.arange(0, BLOCK_D)
    mask_d = offs_d < D
    start = tl.load(t_rowptr + src).to(tl.int64)
    end = tl.load(t_rowptr + src + 1).to(tl.int64)
    h_src = tl.load(feat + (src * H + head) * D + offs_d, mask=mask_d, other=0.0)
    acc_feat = tl.zeros([BLOCK_D], grad_out.dtype.element_ty)
    acc_src = tl.zeros([BLOCK_E], grad_out.dtype.element_ty)
    for base in range(start, end, BLOCK_E):
        offs_k = base + tl.arange(0, BLOCK_E)
        mask_k = offs_k < end
        e = tl.load(t_perm + offs_k, mask=mask_k, other=0).to(tl.int64)
        i = tl.load(t_col + offs_k, mask=mask_k, other=0).to(tl.int64)
        pre, z = _gat_scores(e, mask_k, i, src, head, a_src, a_dst, bias, H, slope, HAS_BIAS)
        mx = tl.load(row_max + i * H + head, mask=mask_k, other=0.0)
        sm = tl.load(row_sum + i * H + head, mask=mask_k, other=1.0)
        alpha = tl.where(mask_k, tl.exp(z - mx) / sm, 0.0)
        g_tile = tl.load(grad_out + (i[:, None] * H + head) * D + offs_d[None, :],
                         mask=mask_k[:, None] & mask_d[None, :], other=0.0)
        g = tl.sum(g_tile * h_src[None, :], axis=1)
        weight = alpha
        if DROPOUT:
            kept = _keep(seed, e * H + head, threshold)
            g = tl.where(kept, g * scale, 0.0)
            weight = tl.where(kept, alpha * scale, 0.0)
        c_i = tl.load(c + i * H + head, mask=mask_k, other=0.0)
        acc_src += alpha * (g - c_i) * tl.where(pre > 0, 1.0, slope)
        acc_feat += tl.sum(weight[:, None] * g_tile, axis=0)
    tl.store(grad_src + src * H + head, tl.sum(acc_src, axis=0))
    tl.store(grad_feat + (src * H + head) * D + offs_d, acc_feat, mask=mask_d)


def _params(slope: float, p: float, like: torch.Tensor):
    """`[slope, 1 / (1 - p)]` in the feature dtype (float scalars would reach the kernel as fp32)."""
    return torch.tensor([slope, 1.0 / (1.0 - p)], dtype=like.dtype, device=like.device)


def gat_forward(rowptr, col, h, a_src, a_dst, bias, slope: float, p: float, seed: int):
    h = h.contiguous()
    num_rows, heads, width = rowptr.numel() - 1, h.shape[1], h.shape[2]
    out = torch.empty(num_rows, heads, width, dtype=h.dtype, device=h.device)
    row_max = torch.empty(num_rows, heads, dtype=h.dtype, device=h.device)
    row_sum = torch.empty(num_rows, heads, dtype=h.dtype, device=h.device)
    _gat_forward_kernel[(num_rows, heads)](
        rowptr, col, h, a_src, a_dst, bias if bias is not None else a_src, out, row_max, row_sum, heads, width,
        _params(slope, p, h), seed, _threshold(p), HAS_BIAS=bias is not None, DROPOUT=p > 0, BLOCK_E=BLOCK_E,
        BLOCK_D=_full_block(width))
    return out, (row_max, row_sum)


def gat_backward(rowptr, col, h, a_src, a_dst, bias, slope, p, seed, state, grad_out, t_rowptr, t_col, t_perm,
                 need_bias_grad: bool):
    row_max, row_sum = state
    num_rows, heads, width = rowptr.numel() - 1, h.shape[1], h.shape[2]
    c = torch.empty(num_rows, heads, dtype=h.dtype, device=h.device)
    grad_dst = torch.empty_like(a_dst)
    grad_src = torch.empty_like(a_src)
    grad_feat = torch.empty_like(h)
    grad_bias = torch.empty(col.numel(), heads, dtype=h.dtype, device=h.device) if need_bias_grad else c
    params, threshold = _params(slope, p, h), _threshold(p)
    bias_arg = bias if bias is not None else a_src
    common = dict(HAS_BIAS=bias is not None, DROPOUT=p > 0, BLOCK_E=BLOCK_E, BLOCK_D=_full_block(width))
    _gat_backward_rows_kernel[(num_rows, heads)](
        rowptr, col, h, a_src, a_dst, bias_arg, row_max, row_sum, grad_out, c, grad_dst, grad_bias, heads, width,
        params, seed, threshold, BIAS_GRAD=need_bias_grad, **common)
    _gat_backward_columns_kernel[(h.shape[0], heads)](
        t_rowptr, t_col, t_perm, h, a_src, a_dst, bias_arg, row_max, row_sum, grad_out, c, grad_src, grad_feat,
        heads, width, params, seed, threshold, **common)
    return grad_feat, grad_src, grad_dst, (grad_bias if need_bias_grad else None)


# -- stochastic per-group quantisation (cogdl/ops/quantize.py) -----------------------------------
@triton.jit
def _quantize_kernel(x, packed, minimum, step, n, seed, BITS: tl.constexpr, G: tl.constexpr):
    """One program per group of `G` values: its min and step, stochastic rounding, packing."""
    PER: tl.constexpr = 8 // BITS
    LEVELS: tl.constexpr = (1 << BITS) - 1
    group = tl.program_id(0).to(tl.int64)
    offs = group * G + tl.arange(0, G)
    mask = offs < n
    v = tl.load(x + offs, mask=mask, other=0.0)
    lo = tl.min(tl.where(mask, v, float("inf")), 0)
    width = tl.math.div_rn(tl.max(tl.where(mask, v, float("-inf")), 0) - lo, LEVELS * 1.0)
    divisor = tl.where(width > 0, width, 1.0)
    uniform = (_hash32(seed, offs) >> 8).to(tl.float32) * (1.0 / 16777216.0)
    q = tl.floor(tl.math.div_rn(v - lo, divisor) + uniform)
    q = tl.where(mask, tl.minimum(tl.maximum(q, 0.0), LEVELS * 1.0).to(tl.int32), 0)
    shifts = tl.arange(0, PER) * BITS
    byte = tl.sum(tl.reshape(q, (G // PER, PER)) << shifts[None, :], 1)
    byte_offs = group * (G // PER) + tl.arange(0, G // PER)
    tl.store(packed + byte_offs, byte.to(tl.uint8), mask=byte_offs < (n + PER - 1) // PER)
    tl.store(minimum + group, lo)
    tl.store(step + group, width)


@triton.jit
def _dequantize_kernel(packed, minimum, step, out, n, BITS: tl.constexpr, G: tl.constexpr):
    PER: tl.constexpr = 8 // BITS
    group = tl.program_id(0).to(tl.int64)
    offs = group * G + tl.arange(0, G)
    mask = offs < n
    byte = tl.load(packed + offs // PER, mask=mask, other=0).to(tl.int32)
    q = (byte >> ((offs % PER) * BITS).to(tl.int32)) & ((1 << BITS) - 1)
    tl.store(out + offs, tl.load(minimum + group) + q.to(tl.float32) * tl.load(step + group), mask=mask)


def quantize(x, bits: int, group_size: int, seed: int):
    n, per_byte = x.numel(), 8 // bits
    groups = triton.cdiv(n, group_size)
    packed = torch.empty(triton.cdiv(n, per_byte), dtype=torch.uint8, device=x.device)
    minimum, step = x.new_empty(groups), x.new_empty(groups)
    _quantize_kernel[(groups,)](x, packed, minimum, step, n, seed, BITS=bits, G=group_size)
    return packed, minimum, step


def dequantize(packed, minimum, step, bits: int, group_size: int, numel: int):
    out = minimum.new_empty(numel)
    _dequantize_kernel[(minimum.numel(),)](packed, minimum, step, out, numel, BITS=bits, G=group_size)
    return out


@triton.jit
def _pack_positive_kernel(x, packed, n, BLOCK: tl.constexpr):
    """`BLOCK` bytes a program, each from 8 values: whether each is positive, the first in the lowest bit."""
    byte_offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    offs = byte_offs[:, None] * 8 + tl.arange(0, 8)[None, :]
    positive = (tl.load(x + offs, mask=offs < n, other=0) > 0).to(tl.int32)
    byte = tl.sum(positive << tl.arange(0, 8)[None, :], 1)
    tl.store(packed + byte_offs, byte.to(tl.uint8), mask=byte_offs < (n + 7) // 8)


@triton.jit
def _unpack_positive_kernel(packed, out, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    byte = tl.load(packed + offs // 8, mask=mask, other=0).to(tl.int32)
    tl.store(out + offs, ((byte >> (offs % 8).to(tl.int32)) & 1).to(out.dtype.element_ty), mask=mask)


def pack_positive(x):
    n = x.numel()
    packed = torch.empty(triton.cdiv(n, 8), dtype=torch.uint8, device=x.device)
    source = x.view(torch.uint8) if x.dtype == torch.bool else x
    if n:
        _pack_positive_kernel[(triton.cdiv(n, 8 * 128),)](source, packed, n, BLOCK=128)
    return packed


def unpack_positive(packed, numel: int, dtype: torch.dtype):
    out = torch.empty(numel, dtype=dtype, device=packed.device)
    target = out.view(torch.uint8) if dtype == torch.bool else out
    if numel:
        _unpack_positive_kernel[(triton.cdiv(numel, 1024),)](packed, target, numel, BLOCK=1024)
    return out
