"""Stochastic per-group quantisation, the storage of activation-compressed training.

"GACT: Activation Compressed Training for Generic Network Architectures", Liu et al., ICML 2022,
and "EXACT: Scalable Graph Neural Networks Training via Extreme Activation Compression", Liu et
al., ICLR 2022. A float tensor is flattened into groups of `G` values; group `g` keeps its
minimum `m_g` and step `s_g = (max_g - m_g) / (2^b - 1)`, and each value becomes the integer

    q = floor((x - m_g) / s_g + u),     u ~ U[0, 1)

packed `8 / b` to a byte; `u` comes from a counter hash of the value's index and a seed, the
same on every backend (`reference.quantize` is the oracle; `cpu` and `triton` give its bytes).
Dequantised, `x^ = m_g + q s_g`. Stochastic rounding makes it unbiased, E[x^] = x, so a gradient
linear in x (a weight's gradient X^T dY) computed from x^ is an unbiased estimate; one value's
error is below one step `s_g`. Boolean tensors (e.g. torch's dropout masks), and where a tensor is
positive (all that relu's backward reads of its output), are packed to one bit per value, without loss.
Storage per value: `b` bits plus 64 bits of (m_g, s_g) per group (0.25 bits at G = 256).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from cogdl.ops.backends import kernels_for

BITS = (2, 4, 8)
GROUP_SIZES = tuple(2**k for k in range(3, 13))
#: called with the bytes of each tensor an op keeps for backward past autograd's saved-tensor hooks
exact_listeners: list[Callable[[int], None]] = []


def keep_exact(*tensors: torch.Tensor | None) -> tuple:
    """`tensors`, to be kept for backward as ctx attributes rather than through `save_for_backward`,
    so that activation compression never quantises them (an op whose backward needs them exactly);
    their bytes are reported to the active saved-tensor counters."""
    size = sum(t.numel() * t.element_size() for t in tensors if t is not None)
    for listener in exact_listeners:
        listener(size)
    return tensors


@dataclass
class Quantized:
    """A tensor stored in `bits` bits per value (`bits` = 1: where it is positive, `pack_positive`)."""

    packed: torch.Tensor  # uint8, 8 // bits values per byte
    minimum: torch.Tensor | None  # [groups] (float tensors)
    step: torch.Tensor | None  # [groups]
    shape: torch.Size
    dtype: torch.dtype
    bits: int
    group_size: int = 0

    @property
    def nbytes(self) -> int:
        extra = 0 if self.minimum is None else 2 * self.minimum.numel() * self.minimum.element_size()
        return self.packed.numel() + extra


def quantize(x: torch.Tensor, bits: int, group_size: int = 256, generator: torch.Generator | None = None) -> Quantized:
    """`x` (float) in `bits` in {2, 4, 8} per value, stochastically rounded; the hash seed comes from
    `generator` (a CPU generator; default: torch's), so seeding it repeats the draws on every backend."""
    if bits not in BITS:
        raise ValueError(f"bits must be one of {BITS}, found {bits}")
    if group_size not in GROUP_SIZES:
        raise ValueError(f"group_size must be a power of two from 8 to 4096, found {group_size}")
    flat = x.detach().reshape(-1).float().contiguous()
    if flat.numel() == 0:
        empty = flat.new_empty(0)
        return Quantized(empty.to(torch.uint8), empty, empty, x.shape, x.dtype, bits, group_size)
    seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator).item())
    packed, minimum, step = kernels_for(flat).quantize(flat, bits, group_size, seed)
    return Quantized(packed, minimum, step, x.shape, x.dtype, bits, group_size)


def pack_positive(x: torch.Tensor) -> Quantized:
    """Where `x` is positive, one bit per value, exactly (a boolean tensor: where it is true, i.e.
    the tensor itself); `dequantize` gives it back as 1 / 0 in `x`'s dtype (a boolean tensor: as
    it was). Packed by the kernels straight from `x`, with no byte-per-value temporary."""
    flat = x.detach().reshape(-1)
    if flat.dtype not in (torch.float32, torch.bool):
        flat = flat > 0
    packed = kernels_for(flat).pack_positive(flat.contiguous())
    return Quantized(packed, None, None, x.shape, x.dtype, 1)


def dequantize(q: Quantized) -> torch.Tensor:
    """The tensor `q` stores (for floats: an unbiased estimate of the quantised one)."""
    numel = q.shape.numel()
    if q.minimum is None:  # pack_positive's bits
        as_kernel_gives = q.dtype if q.dtype in (torch.float32, torch.bool) else torch.float32
        return kernels_for(q.packed).unpack_positive(q.packed, numel, as_kernel_gives).view(q.shape).to(q.dtype)
    if numel == 0:
        return torch.empty(q.shape, dtype=q.dtype, device=q.packed.device)
    values = kernels_for(q.packed).dequantize(q.packed, q.minimum, q.step, q.bits, q.group_size, numel)
    return values.view(q.shape).to(q.dtype)
