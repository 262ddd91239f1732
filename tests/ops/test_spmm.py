import pytest
import torch

from cogdl.ops import spmm
from graphs import CATALOGUE, catalogue_graph, dense_adjacency


@pytest.mark.parametrize("name", sorted(CATALOGUE))
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_spmm_matches_dense_reference(name, dtype):
    graph = catalogue_graph(name)
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(graph.num_nodes, 5, dtype=dtype, generator=generator)
    weight = torch.rand(graph.num_edges, dtype=dtype, generator=generator)
    expected = dense_adjacency(graph, weight, dtype) @ x
    tolerance = 1e-5 if dtype == torch.float32 else 1e-12
    torch.testing.assert_close(spmm(graph, x, weight), expected, atol=tolerance, rtol=tolerance)


def test_spmm_without_weights_sums_neighbours():
    graph = catalogue_graph("empty_rows")
    x = torch.arange(5.0).unsqueeze(1)
    out = spmm(graph, x)
    assert out.squeeze(1).tolist() == [1.0 + 2.0, 0.0, 1.0, 0.0, 0.0]


def test_spmm_multi_head_shape():
    graph = catalogue_graph("bipartite")
    x = torch.randn(graph.num_nodes, 2, 3)
    out = spmm(graph, x)
    assert out.shape == (graph.num_nodes, 2, 3)
    torch.testing.assert_close(out.reshape(graph.num_nodes, -1), spmm(graph, x.reshape(graph.num_nodes, -1)))


@pytest.mark.parametrize("name", ["empty_rows", "bipartite", "self_loops_and_repeats"])
def test_spmm_gradcheck_features_and_weights(name):
    graph = catalogue_graph(name)
    x = torch.randn(graph.num_nodes, 3, dtype=torch.float64, requires_grad=True)
    weight = torch.rand(graph.num_edges, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x, w: spmm(graph, x, w), (x, weight))
