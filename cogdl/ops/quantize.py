"""Stochastic per-group quantisation, the storage of activation-compressed training.

"GACT: Activation Compressed Training for Generic Network Architectures", Liu et al., ICML 2022,
and "EXACT: Scalable Graph Neural Networks Training via Extreme Activation Compression", Liu et
al., ICLR 2022. A float tensor is flattened into groups of `G` values; group `g` keeps its
minimum `m_g` and step `s_g = (max_g - m_g) / (2^b - 1)`, and each value becomes the integer

    q = floor((x - m_g) / s_g + u),     u ~ U[0, 1)

packed `8 / b` to a byte. Dequantised, `x^ = m_g + q s_g`. Stochastic rounding makes it unbiased,
E[x^] = x, so a gradient computed from x^ is an unbiased estimate; one value's error is below one
step `s_g`. Boolean tensors (dropout masks) are packed to one bit per value, without loss.
Storage per value: `b` bits plus 64 bits of (m_g, s_g) per group (0.25 bits at G = 256).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

BITS = (2, 4, 8)


@dataclass
class Quantized:
    """A tensor stored in `bits` bits per value (`bits` = 1: a packed boolean tensor)."""

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


def _pack(q: torch.Tensor, bits: int) -> torch.Tensor:
    """uint8 values below 2^bits, `8 // bits` to a byte (the first in the lowest bits)."""
    per_byte = 8 // bits
    q = torch.nn.functional.pad(q, (0, -q.numel() % per_byte)).view(-1, per_byte)
    shifts = torch.arange(0, 8, bits, dtype=torch.uint8, device=q.device)
    return (q << shifts).sum(1, dtype=torch.uint8) if per_byte > 1 else q[:, 0].contiguous()


def _unpack(packed: torch.Tensor, bits: int, numel: int) -> torch.Tensor:
    shifts = torch.arange(0, 8, bits, dtype=torch.uint8, device=packed.device)
    mask = (1 << bits) - 1
    return ((packed.unsqueeze(1) >> shifts) & mask).view(-1)[:numel]


def quantize(x: torch.Tensor, bits: int, group_size: int = 256) -> Quantized:
    """`x` (float) in `bits` in {2, 4, 8} per value, stochastically rounded; the random draws come
    from torch's generator of `x`'s device."""
    if bits not in BITS:
        raise ValueError(f"bits must be one of {BITS}, found {bits}")
    flat = x.detach().reshape(-1)
    groups = torch.nn.functional.pad(flat, (0, -flat.numel() % group_size)).view(-1, group_size).float()
    minimum = groups.min(1).values
    step = (groups.max(1).values - minimum) / (2**bits - 1)
    scaled = (groups - minimum[:, None]) / torch.where(step > 0, step, 1.0)[:, None]
    q = torch.floor(scaled + torch.rand_like(scaled)).clamp_(0, 2**bits - 1).to(torch.uint8)
    return Quantized(_pack(q.view(-1)[:flat.numel()], bits), minimum, step, x.shape, x.dtype, bits, group_size)


def pack_bool(x: torch.Tensor) -> Quantized:
    """A boolean tensor in one bit per value (exact)."""
    return Quantized(_pack(x.reshape(-1).to(torch.uint8), 1), None, None, x.shape, x.dtype, 1)


def dequantize(q: Quantized) -> torch.Tensor:
    """The tensor `q` stores (for floats: an unbiased estimate of the quantised one)."""
    numel = q.shape.numel()
    values = _unpack(q.packed, q.bits, numel)
    if q.minimum is None:
        return values.view(q.shape).to(q.dtype)
    values = torch.nn.functional.pad(values, (0, -numel % q.group_size)).view(-1, q.group_size).float()
    return (q.minimum[:, None] + values * q.step[:, None]).view(-1)[:numel].view(q.shape).to(q.dtype)
