import pytest
import torch

from cogdl.ops import edge_softmax
from graphs import CATALOGUE, catalogue_graph


def dense_softmax_reference(graph, scores):
    """Per destination row, softmax over its incoming edges, computed edge by edge."""
    out = torch.empty_like(scores)
    for i in range(graph.num_nodes):
        lo, hi = graph.rowptr[i].item(), graph.rowptr[i + 1].item()
        if hi > lo:
            out[lo:hi] = torch.softmax(scores[lo:hi], dim=0)
    return out


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_edge_softmax_matches_reference(backend, name):
    graph = catalogue_graph(name)
    scores = torch.randn(graph.num_edges, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(edge_softmax(graph, scores), dense_softmax_reference(graph, scores))


def test_edge_softmax_large_scores_do_not_overflow(backend):
    graph = catalogue_graph("self_loops_and_repeats")
    scores = torch.full((graph.num_edges,), 1000.0)
    alpha = edge_softmax(graph, scores)
    assert torch.isfinite(alpha).all()
    row_sums = torch.zeros(graph.num_nodes).index_add_(0, graph.row, alpha)
    torch.testing.assert_close(row_sums, torch.ones(graph.num_nodes))


def test_edge_softmax_gradcheck(backend):
    graph = catalogue_graph("empty_rows")
    scores = torch.randn(graph.num_edges, 2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda s: edge_softmax(graph, s), (scores,))
