import math

import torch
from torch_geometric.nn import GCN2Conv

from cogdl.nn import GCNIIConv, gcn_norm, gcnii_beta
from graphs import catalogue_graph, dense_adjacency, random_graph


def test_gcnii_conv_matches_pyg_gcn2conv():
    torch.manual_seed(0)
    graph, edge_index = random_graph()
    h, h0 = torch.randn(graph.num_nodes, 8), torch.randn(graph.num_nodes, 8)
    ours, theirs = GCNIIConv(8, alpha=0.1), GCN2Conv(8, alpha=0.1, theta=0.5, layer=3)
    with torch.no_grad():
        theirs.weight1.copy_(ours.weight.t())
    torch.testing.assert_close(ours(graph, h, h0, gcnii_beta(0.5, 3)), theirs(h, h0, edge_index), atol=1e-5, rtol=1e-5)


def test_gcnii_conv_matches_the_dense_formula():
    graph = catalogue_graph("self_loops_and_repeats")
    conv = GCNIIConv(4, alpha=0.3)
    h, h0 = torch.randn(3, 4), torch.randn(3, 4)
    looped, weight = gcn_norm(graph)
    support = 0.7 * dense_adjacency(looped, weight, torch.float32) @ h + 0.3 * h0
    beta = gcnii_beta(1.0, 2)
    assert beta == math.log(1.5)
    torch.testing.assert_close(conv(graph, h, h0, beta), (1 - beta) * support + beta * support @ conv.weight.t())


def test_gcnii_star_maps_the_smoothed_input_and_the_residual_apart():
    """GCNII* as the authors' code computes it: theta [Â h || h0] W + (1 - theta) ((1 - alpha) Â h + alpha h0)."""
    graph = catalogue_graph("self_loops_and_repeats")
    conv = GCNIIConv(4, alpha=0.3, variant=True)
    assert conv.weight.shape == (4, 8)
    h, h0 = torch.randn(3, 4), torch.randn(3, 4)
    looped, weight = gcn_norm(graph)
    smoothed = dense_adjacency(looped, weight, torch.float32) @ h
    beta = gcnii_beta(1.5, 3)
    expected = beta * torch.cat([smoothed, h0], 1) @ conv.weight.t() + (1 - beta) * (0.7 * smoothed + 0.3 * h0)
    torch.testing.assert_close(conv(graph, h, h0, beta), expected)
