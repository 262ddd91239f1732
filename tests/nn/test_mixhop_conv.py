import torch
from torch_geometric.nn import MixHopConv as PyGMixHopConv

from cogdl.nn import MixHopConv, gcn_norm
from cogdl.nn.functional import SparseFeatures
from graphs import catalogue_graph, dense_adjacency, random_graph


def test_mixhop_conv_matches_pyg_with_same_weights():
    torch.manual_seed(0)
    graph, edge_index = random_graph()
    x = torch.randn(graph.num_nodes, 16)
    ours, theirs = MixHopConv(16, 4, max_power=2), PyGMixHopConv(16, 4, powers=[0, 1, 2])
    with torch.no_grad():
        ours.bias.copy_(torch.randn(12))
        theirs.bias.copy_(ours.bias)
        for lin, weight in zip(theirs.lins, ours.weights):
            lin.weight.copy_(weight)
    torch.testing.assert_close(ours(graph, x), theirs(x, edge_index), atol=1e-5, rtol=1e-5)


def test_mixhop_conv_concatenates_adjacency_powers_for_sparse_input():
    graph = catalogue_graph("empty_rows")
    conv = MixHopConv(3, 2, max_power=3)
    x = torch.rand(5, 3) * (torch.rand(5, 3) < 0.6)
    looped, weight = gcn_norm(graph)
    a_hat = dense_adjacency(looped, weight, torch.float32)
    expected = torch.cat([torch.linalg.matrix_power(a_hat, j) @ x @ w.t() for j, w in enumerate(conv.weights)], 1)
    torch.testing.assert_close(conv(graph, SparseFeatures.from_dense(x)), expected + conv.bias)
