import pytest
import torch
from torch_geometric.nn import GINConv as PyGGINConv

from cogdl.nn import GINConv, gin_mlp
from graphs import CATALOGUE, catalogue_graph, dense_adjacency, random_graph


@pytest.mark.parametrize("name", sorted(CATALOGUE))
@pytest.mark.parametrize("eps", [0.0, 0.3])
def test_gin_conv_matches_dense_formula(name, eps):
    torch.manual_seed(0)
    graph = catalogue_graph(name)
    x = torch.randn(graph.num_nodes, 4)
    conv = GINConv(torch.nn.Identity(), eps=eps)
    expected = (1 + eps) * x.double() + dense_adjacency(graph) @ x.double()
    torch.testing.assert_close(conv(graph, x), expected.float(), atol=1e-5, rtol=1e-5)


def test_gin_conv_matches_pyg_with_the_same_mlp():
    torch.manual_seed(0)
    graph, edge_index = random_graph()
    x = torch.randn(graph.num_nodes, 8)
    mlp = gin_mlp(8, 16, 4).eval()
    ours, theirs = GINConv(mlp, eps=0.1, train_eps=True), PyGGINConv(mlp, eps=0.1, train_eps=True)
    torch.testing.assert_close(ours(graph, x), theirs(x, edge_index), atol=1e-5, rtol=1e-5)


def test_gin_conv_learns_eps_only_when_asked():
    assert [n for n, _ in GINConv(torch.nn.Identity(), train_eps=True).named_parameters()] == ["eps"]
    assert list(GINConv(torch.nn.Identity()).parameters()) == []
