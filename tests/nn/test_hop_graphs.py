"""Exact k-hop neighbourhoods of H2GCN against a dense computation from the definition."""

import torch

from cogdl.data.graph import Graph
from cogdl.nn.hop_graphs import exact_hop_graphs
from graphs import dense_adjacency, random_graph


def dense_exact_hops(graph: Graph, hops: int) -> list[torch.Tensor]:
    """From the definition: shortest-path distance exactly k on the undirected graph, normalised."""
    n = graph.num_nodes
    a = torch.zeros(n, n, dtype=torch.float64)
    a[graph.row, graph.col] = 1.0
    a = ((a + a.T) > 0).double()
    a.fill_diagonal_(0)
    distance = torch.full((n, n), float("inf"), dtype=torch.float64)
    distance.fill_diagonal_(0)
    frontier = torch.eye(n, dtype=torch.float64)
    for k in range(1, hops + 1):
        frontier = ((frontier @ a) > 0).double()
        distance[(frontier > 0) & torch.isinf(distance)] = k
    out = []
    for k in range(1, hops + 1):
        exact = (distance == k).double()
        degree = exact.sum(1)
        inv = torch.where(degree > 0, degree.clamp(min=1).rsqrt(), torch.zeros_like(degree))
        out.append(inv[:, None] * exact * inv[None, :])
    return out


def test_exact_hops_match_the_definition_on_a_directed_graph_with_self_loops():
    graph, _ = random_graph(num_nodes=30, num_edges=70)
    loops = torch.arange(0, 30, 3)
    graph = Graph.from_coo(torch.cat([graph.row, loops]), torch.cat([graph.col, loops]), 30)
    for (hop, weight), expected in zip(exact_hop_graphs(graph, 3), dense_exact_hops(graph, 3)):
        torch.testing.assert_close(dense_adjacency(hop, weight.double()), expected)


def test_hop_graphs_have_no_self_loops_and_are_cached():
    graph, _ = random_graph(num_nodes=20, num_edges=50)
    first = exact_hop_graphs(graph, 2)
    assert exact_hop_graphs(graph, 2) is first
    for hop, _ in first:
        assert not bool((hop.row == hop.col).any())
