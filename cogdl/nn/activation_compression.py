"""Activation-compressed training: what autograd saves for backward is stored in a few bits.

GACT (Liu et al., ICML 2022) and EXACT (Liu et al., ICLR 2022): the activations a layer keeps
for its backward pass dominate training memory on large graphs; stored quantised (`cogdl.ops.
quantize`: per-group min/step, stochastic rounding, so a gradient linear in them stays unbiased)
they take `b / 32` of the space. Here through `torch.autograd.graph.saved_tensors_hooks`, so
every model and layer is covered without changes:

- floating-point tensors produced by the forward pass (they have a `grad_fn`) and of at least
  `min_numel` values are quantised to `bits` bits;
- boolean tensors (e.g. torch's dropout masks) are packed to one bit per value, exactly;
- leaves (parameters, input features) are kept as they are: they stay in memory anyway;
- an output that its own op reads back through a nonlinearity (`EXACT_OUTPUTS`: softmax's
  y (g - <g, y>), log_softmax's exp(y), sigmoid's y (1 - y), tanh's 1 - y^2) is kept as it is:
  E[f(y^)] != f(y) for a stochastically rounded y^, so a quantised one would bias the gradient
  (the log-probabilities of a cross-entropy over 2000 nodes x 16 classes made 2-bit GCN training
  on synthetic-200k diverge);
- relu's output, which relu's backward reads only where it is positive, is stored for relu as
  that sign, one bit per value, exactly (GACT and EXACT store ReLU's mask so); an op that saves
  the same tensor later for its values gets them quantised besides;
- what an op keeps exactly past the hooks (`cogdl.ops.quantize.keep_exact`: the fused GAT's
  attention logits) is counted as saved and stored as it is.

A tensor that several ops save (a GraphSAGE layer's input, projected by its self and its
neighbour weights) is stored once: while the tensor is alive and unchanged (its version
counter), a second save returns what the first one stored, and is not counted again.

`SavedTensorCounter` adds up, for every distinct tensor saved, its bytes as given and as stored.

The rounding draws come from a generator of their own, seeded from torch's initial seed when the
block opens: compression does not move torch's random stream, so a compressed run draws the same
initialisation and dropout masks as the uncompressed run of its seed (a paired comparison), and
`bits=None` (counting only) trains exactly as without the block.
"""

from __future__ import annotations

import weakref
from contextlib import contextmanager
from dataclasses import dataclass

import torch

from cogdl.ops import quantize as quantize_module
from cogdl.ops.quantize import Quantized, dequantize, pack_positive, quantize


#: ops whose backward reads their output through a nonlinearity: that output is kept exactly
EXACT_OUTPUTS = frozenset({"SoftmaxBackward0", "LogSoftmaxBackward0", "SigmoidBackward0", "TanhBackward0"})
#: ops whose backward reads only where their output is positive: it is stored for them as that sign
SIGN_OUTPUTS = frozenset({"ReluBackward0"})


@dataclass
class SavedTensorCounter:
    """Bytes of the tensors autograd saved for backward: `activations` as they were and as
    `stored`, and `leaves` (parameters and inputs, referenced, not copied)."""

    activations: int = 0
    stored: int = 0
    leaves: int = 0

    @property
    def ratio(self) -> float:
        return self.activations / self.stored if self.stored else 1.0


@dataclass
class SignOf:
    """Where a tensor is positive, one bit per value (`pack_positive`); restored as 1.0 / 0.0 in its
    dtype, which a relu backward (`grad * (y > 0)`) reads exactly as it would read the tensor."""

    positive: Quantized

    @property
    def nbytes(self) -> int:
        return self.positive.nbytes

    def restore(self) -> torch.Tensor:
        return dequantize(self.positive)


@contextmanager
def compressed_activations(bits: int | None, counter: SavedTensorCounter | None = None, min_numel: int = 1024):
    """Within the block, tensors saved for backward are stored in `bits` bits (None or 0: as they
    are, still counted by `counter`)."""
    counter = counter if counter is not None else SavedTensorCounter()
    generator = torch.Generator().manual_seed(torch.initial_seed())

    # id of a live saved tensor -> (a weak reference to it, its version, its stored copy, or None
    # where it is stored as it is: the table never holds a saved tensor alive)
    already = {}

    def pack(tensor: torch.Tensor):
        key, seen = id(tensor), already.get(id(tensor))
        if seen is not None and (seen[0]() is not tensor or seen[1] != tensor._version):
            seen = None
        if seen is not None and not isinstance(seen[2], SignOf):
            return tensor if seen[2] is None else seen[2]
        stored = store(tensor, first=seen is None)  # after relu's own save of its sign, another op's save of its values
        already[key] = (weakref.ref(tensor, lambda _: already.pop(key, None)), tensor._version,
                        None if stored is tensor else stored)
        return stored

    def store(tensor: torch.Tensor, first: bool):
        """What is kept of `tensor` (counted once, at its `first` save; a later save adds what it stores)."""
        size = tensor.numel() * tensor.element_size()
        if tensor.grad_fn is None and tensor.dtype != torch.bool:
            counter.leaves += size
            return tensor
        if first:
            counter.activations += size
        stored = representation(tensor, first)
        counter.stored += size if stored is tensor else stored.nbytes
        return stored

    def representation(tensor: torch.Tensor, first: bool):
        producer = tensor.grad_fn.name() if tensor.grad_fn is not None else None
        if not bits or tensor.numel() < min_numel:
            return tensor
        if tensor.dtype == torch.bool:
            return pack_positive(tensor)
        if not tensor.is_floating_point() or producer in EXACT_OUTPUTS:
            return tensor
        if first and producer in SIGN_OUTPUTS:  # the first save of relu's output is relu's own
            return SignOf(pack_positive(tensor))
        return quantize(tensor, bits, generator=generator)

    def unpack(stored):
        if isinstance(stored, SignOf):
            return stored.restore()
        return dequantize(stored) if isinstance(stored, Quantized) else stored

    def kept_exact(size: int):
        counter.activations += size
        counter.stored += size

    quantize_module.exact_listeners.append(kept_exact)
    try:
        with torch.autograd.graph.saved_tensors_hooks(pack, unpack):
            yield counter
    finally:
        quantize_module.exact_listeners.remove(kept_exact)
