import pytest
import torch

from cogdl.ops import spmm
from graphs import CATALOGUE, catalogue_graph, dense_adjacency, with_index_dtype


def dense_reduce(graph, weight, x, reduce):
    """Row by row from the dense adjacency: the oracle."""
    adjacency = dense_adjacency(graph, weight, x.dtype)
    mask = dense_adjacency(graph, None, x.dtype) > 0
    out = torch.zeros(graph.num_nodes, x.shape[1], dtype=x.dtype)
    for i in range(graph.num_nodes):
        if reduce == "max":
            row = graph.rowptr[i].item(), graph.rowptr[i + 1].item()
            if row[1] > row[0]:
                src = graph.col[row[0]:row[1]].long()
                out[i] = (weight[row[0]:row[1], None] * x[src]).max(0).values
        elif mask[i].any():
            out[i] = adjacency[i] @ x
            if reduce == "mean":
                out[i] /= graph.in_degree()[i]
    return out


@pytest.mark.parametrize("name", sorted(CATALOGUE))
@pytest.mark.parametrize("reduce", ["sum", "mean", "max"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("index_dtype", [torch.int32, torch.int64])
def test_spmm_matches_dense_reference(backend, name, reduce, dtype, index_dtype):
    graph = with_index_dtype(catalogue_graph(name), index_dtype)
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(graph.num_nodes, 37, dtype=dtype, generator=generator)  # 37: not a block multiple
    weight = torch.rand(graph.num_edges, dtype=dtype, generator=generator)
    # the summation order differs between backends: allow rounding that grows with the row length
    tolerance = (1e-5 if dtype == torch.float32 else 1e-12) * max(1.0, graph.in_degree().max().item() ** 0.5)
    torch.testing.assert_close(spmm(graph, x, weight, reduce), dense_reduce(graph, weight, x, reduce),
                               atol=tolerance, rtol=tolerance)


def test_spmm_without_weights_sums_neighbours(backend):
    graph = catalogue_graph("empty_rows")
    x = torch.arange(5.0).unsqueeze(1)
    assert spmm(graph, x).squeeze(1).tolist() == [1.0 + 2.0, 0.0, 1.0, 0.0, 0.0]


def test_spmm_multi_head_weights(backend):
    graph = catalogue_graph("bipartite")
    x = torch.randn(graph.num_nodes, 2, 3, dtype=torch.float64)
    weight = torch.rand(graph.num_edges, 2, dtype=torch.float64)
    out = spmm(graph, x, weight)
    for head in range(2):
        torch.testing.assert_close(out[:, head], spmm(graph, x[:, head], weight[:, head]))


@pytest.mark.parametrize("name", ["empty_rows", "bipartite", "self_loops_and_repeats"])
@pytest.mark.parametrize("reduce", ["sum", "mean", "max"])
def test_spmm_gradcheck_features_and_weights(backend, name, reduce):
    graph = catalogue_graph(name)
    x = torch.randn(graph.num_nodes, 3, dtype=torch.float64, requires_grad=True)
    weight = torch.rand(graph.num_edges, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x, w: spmm(graph, x, w, reduce), (x, weight))


def test_spmm_rejects_an_unknown_reduction():
    with pytest.raises(ValueError, match="reduce must be one of"):
        spmm(catalogue_graph("empty_rows"), torch.zeros(5, 1), reduce="min")


@pytest.mark.parametrize("width", [16, 32, 64, 128])
@pytest.mark.parametrize("reduce", ["sum", "mean"])
def test_spmm_at_the_register_widths_matches_dense_reference(backend, width, reduce):
    """The CPU kernel has its own path for one head of width 16, 32, 64 or 128 (the accumulator in
    registers); it must agree with the oracle like the general path, empty rows included."""
    graph = catalogue_graph("empty_rows")
    generator = torch.Generator().manual_seed(2)
    x = torch.randn(graph.num_nodes, width, dtype=torch.float64, generator=generator)
    weight = torch.rand(graph.num_edges, dtype=torch.float64, generator=generator)
    torch.testing.assert_close(spmm(graph, x, weight, reduce), dense_reduce(graph, weight, x, reduce))
    torch.testing.assert_close(spmm(graph, x, None, reduce), dense_reduce(graph, torch.ones_like(weight), x, reduce))


@pytest.mark.parametrize("width", [64, 37])  # 64: summed as bfloat16 by the CPU kernel; 37: widened first
@pytest.mark.parametrize("reduce", ["sum", "mean", "max"])
def test_spmm_of_bfloat16_features_sums_in_float32(backend, width, reduce):
    """bfloat16 features come out bfloat16 with float32 edge weights and float32 sums: within
    bfloat16's rounding of the float32 result of the same (rounded) inputs, gradients included."""
    graph = catalogue_graph("self_loops_and_repeats")
    generator = torch.Generator().manual_seed(3)
    x = torch.randn(graph.num_nodes, width, generator=generator).to(torch.bfloat16).requires_grad_()
    weight = torch.rand(graph.num_edges, generator=generator)
    out = spmm(graph, x, weight, reduce)
    assert out.dtype == torch.bfloat16
    x32 = x.detach().float().requires_grad_()
    expected = spmm(graph, x32, weight, reduce)
    torch.testing.assert_close(out.float(), expected, atol=1e-2, rtol=1e-2)
    grad = torch.randn(out.shape, generator=generator)
    out.backward(grad.to(torch.bfloat16))
    expected.backward(grad.to(torch.bfloat16).float())
    assert x.grad.dtype == torch.bfloat16
    torch.testing.assert_close(x.grad.float(), x32.grad, atol=1e-2, rtol=1e-2)
