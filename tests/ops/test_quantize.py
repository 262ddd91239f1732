"""Stochastic per-group quantisation (`cogdl.ops.quantize`): unbiased, within one step, packed,
and the same bytes on every backend."""

import pytest
import torch

from cogdl.ops.quantize import dequantize, pack_positive, quantize


@pytest.mark.parametrize("numel", [1, 1073])
@pytest.mark.parametrize("bits", [2, 4, 8])
@pytest.mark.parametrize("group_size", [8, 256])
def test_every_backend_stores_the_references_bytes(backend, monkeypatch, numel, bits, group_size):
    x = torch.randn(numel, generator=torch.Generator().manual_seed(numel)) * 5 + 1

    def stored(name):
        monkeypatch.setenv("COGDL_OPS", name)
        torch.manual_seed(7)
        return quantize(x, bits, group_size)

    ours, reference = stored(backend), stored("reference")
    assert torch.equal(ours.packed, reference.packed)
    assert torch.equal(ours.minimum, reference.minimum) and torch.equal(ours.step, reference.step)
    monkeypatch.setenv("COGDL_OPS", backend)
    restored = dequantize(reference)
    monkeypatch.setenv("COGDL_OPS", "reference")
    torch.testing.assert_close(restored, dequantize(reference))  # within an ulp (a fused multiply-add)


@pytest.mark.parametrize("bits", [2, 4, 8])
def test_dequantised_values_are_within_one_step_and_unbiased(backend, bits):
    torch.manual_seed(0)
    x = torch.randn(37, 29) * 3  # 1073 values: the last group of 256 is partial
    draws = torch.stack([dequantize(quantize(x, bits)) for _ in range(400)])
    q = quantize(x, bits)
    step = q.step.repeat_interleave(256)[:x.numel()].view_as(x)
    assert draws.shape[1:] == x.shape and draws.dtype == x.dtype
    assert bool(((draws - x).abs() <= step * (1 + 1e-5) + 1e-6).all())
    # the mean of 400 independent draws: its error has std <= step / 2 / sqrt(400)
    assert bool(((draws.mean(0) - x).abs() <= 6 * step / 2 / 20 + 1e-6).all())
    if bits == 2:
        assert not torch.equal(draws[0], draws[1])  # stochastic rounding, not nearest


def test_storage_size_and_a_constant_group():
    x = torch.full((1024,), 1.5)
    q = quantize(x, 2)
    assert q.nbytes == 1024 // 4 + 2 * 4 * 4  # 2 bits a value, a min and a step per group of 256
    assert torch.equal(dequantize(q), x)


@pytest.mark.parametrize("numel", [0, 1, 1001, 4096])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bool])
def test_every_backend_packs_where_a_tensor_is_positive_to_one_bit_exactly(backend, monkeypatch, numel, dtype):
    x = torch.randn(3, numel, generator=torch.Generator().manual_seed(numel))
    x[:, ::7] = 0.0  # relu's zeros: not positive
    x = x > 0.5 if dtype == torch.bool else x.to(dtype)
    packed = pack_positive(x)
    assert packed.nbytes == -(-x.numel() // 8)
    restored = dequantize(packed)
    assert restored.dtype == dtype and restored.shape == x.shape
    assert torch.equal(restored, (x > 0).to(dtype))  # a boolean tensor: itself
    monkeypatch.setenv("COGDL_OPS", "reference")
    assert torch.equal(packed.packed, pack_positive(x).packed)


def test_unknown_bit_width_is_refused():
    with pytest.raises(ValueError, match="bits"):
        quantize(torch.randn(10), 3)


def test_unsupported_group_size_is_refused():
    with pytest.raises(ValueError, match="group_size"):
        quantize(torch.randn(10), 2, group_size=100)
