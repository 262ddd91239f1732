import pytest
import torch
from torch_geometric.nn import SAGEConv as PyGSAGEConv

from cogdl.nn import SAGEConv
from cogdl.nn.functional import SparseFeatures
from graphs import catalogue_graph, dense_adjacency, random_graph


@pytest.mark.parametrize("aggregator, pyg_aggr", [("mean", "mean"), ("sum", "sum"), ("max", "max")])
def test_sage_conv_matches_pyg_with_same_weights(aggregator, pyg_aggr):
    torch.manual_seed(0)
    graph, edge_index = random_graph()
    x = torch.randn(graph.num_nodes, 16)
    ours, theirs = SAGEConv(16, 8, aggregator), PyGSAGEConv(16, 8, aggr=pyg_aggr)
    with torch.no_grad():
        ours.bias.copy_(torch.randn(8))
        theirs.lin_l.weight.copy_(ours.weight_neigh)
        theirs.lin_l.bias.copy_(ours.bias)
        theirs.lin_r.weight.copy_(ours.weight_self)
    torch.testing.assert_close(ours(graph, x), theirs(x, edge_index), atol=1e-5, rtol=1e-5)


def test_sage_conv_mean_matches_the_dense_formula_with_empty_rows_and_sparse_input():
    graph = catalogue_graph("empty_rows")
    conv = SAGEConv(3, 2, normalize=True)
    x = torch.rand(5, 3) * (torch.rand(5, 3) < 0.5)
    adjacency = dense_adjacency(graph, dtype=torch.float32)
    mean = adjacency / adjacency.sum(1, keepdim=True).clamp(min=1)
    expected = torch.nn.functional.normalize(x @ conv.weight_self.t() + mean @ x @ conv.weight_neigh.t() + conv.bias, dim=-1)
    torch.testing.assert_close(conv(graph, SparseFeatures.from_dense(x)), expected)
    torch.testing.assert_close(conv(graph, x), expected)


def test_sage_conv_rejects_an_unknown_aggregator():
    with pytest.raises(ValueError, match="aggregator 'lstm': expected one of mean, sum, max"):
        SAGEConv(3, 2, "lstm")
