import pytest
import torch

from cogdl.ops import sddmm
from graphs import CATALOGUE, catalogue_graph, with_index_dtype


@pytest.mark.parametrize("name", sorted(CATALOGUE))
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("index_dtype", [torch.int32, torch.int64])
def test_sddmm_matches_per_edge_dot(backend, name, dtype, index_dtype):
    graph = with_index_dtype(catalogue_graph(name), index_dtype)
    g = torch.Generator().manual_seed(0)
    a = torch.randn(graph.num_nodes, 3, 19, dtype=dtype, generator=g)
    b = torch.randn(graph.num_nodes, 3, 19, dtype=dtype, generator=g)
    expected = (a[graph.row] * b[graph.col]).sum(-1)
    torch.testing.assert_close(sddmm(graph, a, b), expected)
    torch.testing.assert_close(sddmm(graph, a[:, 0], b[:, 0]), expected[:, 0])


@pytest.mark.parametrize("name", ["empty_rows", "bipartite", "self_loops_and_repeats"])
def test_sddmm_gradcheck(backend, name):
    graph = catalogue_graph(name)
    a = torch.randn(graph.num_nodes, 2, 3, dtype=torch.float64, requires_grad=True)
    b = torch.randn(graph.num_nodes, 2, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, b: sddmm(graph, a, b), (a, b))
