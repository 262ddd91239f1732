import pytest
import torch
import torch.nn.functional as F

import cogdl.ops.backends as backends
from cogdl.ops import gat_aggregate
from cogdl.ops.reference import keep_mask
from graphs import CATALOGUE, catalogue_graph, random_graph, with_index_dtype
from available import AVAILABLE


def inputs(graph, heads=2, width=3, dtype=torch.float64, seed=0, grad=False):
    g = torch.Generator().manual_seed(seed)
    n = graph.num_nodes
    tensors = (torch.randn(n, heads, width, dtype=dtype, generator=g), torch.randn(n, heads, dtype=dtype, generator=g),
               torch.randn(n, heads, dtype=dtype, generator=g), torch.randn(graph.num_edges, heads, dtype=dtype, generator=g))
    return [t.requires_grad_(grad) for t in tensors]


def per_node_loop(graph, h, a_src, a_dst, bias, slope):
    expected = torch.zeros_like(h)
    for i in range(graph.num_nodes):
        lo, hi = graph.rowptr[i].item(), graph.rowptr[i + 1].item()
        if hi > lo:
            src = graph.col[lo:hi]
            alpha = torch.softmax(F.leaky_relu(a_src[src] + a_dst[i] + bias[lo:hi], slope), dim=0)
            expected[i] = (alpha.unsqueeze(-1) * h[src]).sum(0)
    return expected


@pytest.mark.parametrize("name", sorted(CATALOGUE))
@pytest.mark.parametrize("index_dtype", [torch.int32, torch.int64])
def test_gat_aggregate_matches_per_node_loop(backend, name, index_dtype):
    graph = with_index_dtype(catalogue_graph(name), index_dtype)
    h, a_src, a_dst, bias = inputs(graph, width=37)
    out = gat_aggregate(graph, h, a_src, a_dst, negative_slope=0.1, edge_bias=bias)
    torch.testing.assert_close(out, per_node_loop(graph, h, a_src, a_dst, bias, 0.1))


def run_with_fixed_mask(graph, dropout):
    def run(h, a_src, a_dst, bias):
        torch.manual_seed(3)  # the same dropout mask on every call
        return gat_aggregate(graph, h, a_src, a_dst, 0.2, dropout, training=True, edge_bias=bias)

    return run


@pytest.mark.parametrize("name", ["empty_rows", "bipartite", "self_loops_and_repeats"])
@pytest.mark.parametrize("dropout", [0.0, 0.4])
def test_gat_aggregate_gradcheck_with_bias_and_dropout(backend, name, dropout):
    if backend == "triton":
        pytest.skip("the interpreter is too slow for gradcheck; test_gat_aggregate_gradients_match_reference covers it")
    graph = catalogue_graph(name)
    assert torch.autograd.gradcheck(run_with_fixed_mask(graph, dropout), tuple(inputs(graph, grad=True)))


@pytest.mark.parametrize("name", ["empty_rows", "bipartite", "self_loops_and_repeats"])
@pytest.mark.parametrize("dropout", [0.0, 0.4])
def test_gat_aggregate_gradients_match_reference(monkeypatch, name, dropout):
    """Every backend's gradients equal the reference's, which gradcheck verifies."""
    graph = catalogue_graph(name)
    grads = {}
    for backend in AVAILABLE:
        monkeypatch.setenv("COGDL_OPS", backend)
        tensors = inputs(graph, grad=True)
        run_with_fixed_mask(graph, dropout)(*tensors).pow(2).sum().backward()
        grads[backend] = [t.grad for t in tensors]
    for backend, values in grads.items():
        for ours, expected in zip(values, grads["reference"]):
            torch.testing.assert_close(ours, expected, msg=f"{backend} gradients differ from reference")


def test_gat_aggregate_dropout_mask_is_the_same_on_every_backend(monkeypatch):
    graph = catalogue_graph("hub")
    h, a_src, a_dst, _ = inputs(graph, heads=4, width=5)
    outputs = {}
    for name in AVAILABLE:
        monkeypatch.setenv("COGDL_OPS", name)
        torch.manual_seed(11)
        outputs[name] = gat_aggregate(graph, h, a_src, a_dst, attn_dropout=0.5, training=True)
    for name, out in outputs.items():
        torch.testing.assert_close(out, outputs["reference"], msg=f"{name} differs from reference")


def test_keep_mask_rate_and_determinism():
    mask = keep_mask(seed=123, num_edges=20000, num_heads=4, p=0.3, device="cpu")
    assert abs(mask.float().mean().item() - 0.7) < 0.01
    assert torch.equal(mask, keep_mask(123, 20000, 4, 0.3, "cpu"))
    assert not torch.equal(mask, keep_mask(124, 20000, 4, 0.3, "cpu"))


def test_gat_aggregate_without_training_ignores_dropout(backend):
    graph = catalogue_graph("bipartite")
    h, a_src, a_dst, _ = inputs(graph)
    torch.testing.assert_close(gat_aggregate(graph, h, a_src, a_dst, attn_dropout=0.9, training=False),
                               gat_aggregate(graph, h, a_src, a_dst))


def test_forced_unknown_backend_is_a_config_error(monkeypatch):
    from cogdl.errors import ConfigError

    monkeypatch.setenv("COGDL_OPS", "cuda-magic")
    with pytest.raises(ConfigError, match="COGDL_OPS='cuda-magic': expected one of reference, cpu, triton"):
        backends.kernels_for(torch.zeros(1))


def test_cpu_backend_builds_here():
    """The op tests run on every backend in AVAILABLE; a broken build must fail, not shrink the list."""
    assert "cpu" in AVAILABLE


def test_gat_aggregate_on_a_rectangular_row_block_matches_reference(monkeypatch):
    """A `row_block` (some destination rows, sources numbered among fewer inputs): every backend's
    output and gradients equal the full graph's at those rows."""
    from cogdl.data.graph import in_neighbours, row_block

    graph = random_graph(num_nodes=40, num_edges=70)[0].with_self_loops()
    rows = torch.arange(0, graph.num_nodes, 7)
    inputs_ = in_neighbours(graph, rows)
    block = row_block(graph, rows, inputs_)
    assert block.graph.num_cols == inputs_.numel() < graph.num_nodes
    h, a_src, a_dst, _ = inputs(graph, grad=True)
    full = gat_aggregate(graph, h, a_src, a_dst)[rows]
    expected = torch.autograd.grad(full.pow(2).sum(), [h, a_src, a_dst])
    for backend in AVAILABLE:
        monkeypatch.setenv("COGDL_OPS", backend)
        out = gat_aggregate(block.graph, h[inputs_], a_src[inputs_], a_dst[rows])
        torch.testing.assert_close(out, full, msg=f"{backend} output differs")
        for ours, theirs in zip(torch.autograd.grad(out.pow(2).sum(), [h, a_src, a_dst]), expected):
            torch.testing.assert_close(ours, theirs, msg=f"{backend} gradients differ")


def test_ops_reject_features_of_another_graph():
    """A shape mismatch is a clear error, never an out-of-bounds kernel access."""
    from cogdl.ops import sddmm, spmm

    graph = random_graph(num_nodes=30, num_edges=60)[0]
    other = torch.randn(31, 4)
    with pytest.raises(ValueError, match="spmm: x has 31 rows, the graph has 30 source nodes"):
        spmm(graph, other)
    with pytest.raises(ValueError, match="sddmm: a has 31 rows, the graph has 30 destination rows"):
        sddmm(graph, other, torch.randn(30, 4))
    h, a_src, a_dst, _ = inputs(graph)
    with pytest.raises(ValueError, match="gat_aggregate: attn_dst has 29 rows"):
        gat_aggregate(graph, h, a_src, a_dst[:29])
