import torch
from torch_geometric.nn import APPNP as PyGAPPNP

from cogdl.nn import appnp_propagate, gcn_norm
from graphs import catalogue_graph, dense_adjacency, random_graph


def test_appnp_propagate_matches_pyg():
    torch.manual_seed(0)
    graph, edge_index = random_graph()
    h = torch.randn(graph.num_nodes, 5)
    torch.testing.assert_close(appnp_propagate(graph, h, 0.1, 10), PyGAPPNP(K=10, alpha=0.1)(h, edge_index),
                               atol=1e-5, rtol=1e-5)


def test_appnp_propagate_converges_to_personalised_pagerank():
    graph = catalogue_graph("empty_rows")
    looped, weight = gcn_norm(graph)
    a_hat = dense_adjacency(looped, weight)
    h = torch.randn(graph.num_nodes, 3, dtype=torch.float64)
    exact = 0.2 * torch.linalg.solve(torch.eye(graph.num_nodes, dtype=torch.float64) - 0.8 * a_hat, h)
    torch.testing.assert_close(appnp_propagate(graph, h.float(), 0.2, 200).double(), exact, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(appnp_propagate(graph, h.float(), 0.2, 0), h.float())
