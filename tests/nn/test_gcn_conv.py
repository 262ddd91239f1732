import torch
from torch_geometric.nn import GCNConv as PyGGCNConv

from cogdl.nn import GCNConv, gcn_norm
from graphs import catalogue_graph, dense_adjacency, random_graph


def test_gcn_conv_matches_pyg_with_same_weights():
    torch.manual_seed(0)
    graph, edge_index = random_graph()
    x = torch.randn(graph.num_nodes, 16)
    ours, theirs = GCNConv(16, 8), PyGGCNConv(16, 8)
    with torch.no_grad():
        theirs.lin.weight.copy_(ours.weight)
        ours.bias.copy_(torch.randn(8))
        theirs.bias.copy_(ours.bias)
    torch.testing.assert_close(ours(graph, x), theirs(x, edge_index), atol=1e-5, rtol=1e-5)


def test_gcn_norm_matches_dense_formula_with_self_loops_replaced():
    graph = catalogue_graph("self_loops_and_repeats")
    looped, weight = gcn_norm(graph)
    adjacency = dense_adjacency(graph)
    adjacency.fill_diagonal_(0)
    adjacency += torch.eye(graph.num_nodes, dtype=adjacency.dtype)
    inv_sqrt = adjacency.sum(1).pow(-0.5)
    expected = inv_sqrt[:, None] * adjacency * inv_sqrt[None, :]
    torch.testing.assert_close(dense_adjacency(looped, weight), expected)


def test_gcn_conv_isolated_node_keeps_its_own_features():
    graph = catalogue_graph("empty_rows")
    conv = GCNConv(3, 3, bias=False)
    with torch.no_grad():
        conv.weight.copy_(torch.eye(3))
    x = torch.randn(5, 3)
    torch.testing.assert_close(conv(graph, x)[4], x[4])
