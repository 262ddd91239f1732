"""Random walks: the C++ kernel and the pure-PyTorch reference against node2vec's exact transition
probabilities, and the kernel's reproducibility."""

import numpy as np
import pytest
import torch

from cogdl.data.graph import Graph
from cogdl.ops.walks import random_walks, random_walks_reference


def _graph() -> Graph:
    """A small graph with a triangle, a tail, a hub and a node without neighbours (node 7)."""
    edges = [(0, 1), (1, 2), (2, 0), (2, 3), (3, 4), (4, 5), (5, 6), (2, 5), (2, 6), (1, 5)]
    src = torch.tensor([a for a, b in edges] + [b for a, b in edges])
    dst = torch.tensor([b for a, b in edges] + [a for a, b in edges])
    return Graph.from_coo(dst, src, 8)


def exact_second_step(graph: Graph, t: int, v: int, p: float, q: float) -> dict[int, float]:
    """node2vec's normalised alpha_pq(t, x) over the neighbours x of v (sec. 3.2.2 of the paper)."""
    neighbours = lambda u: set(graph.col[graph.rowptr[u]:graph.rowptr[u + 1]].tolist())  # noqa: E731
    weights = {x: 1 / p if x == t else 1.0 if x in neighbours(t) else 1 / q for x in neighbours(v)}
    total = sum(weights.values())
    return {x: w / total for x, w in weights.items()}


@pytest.mark.parametrize("walker", [random_walks, random_walks_reference], ids=["cpu", "reference"])
@pytest.mark.parametrize("p, q", [(1.0, 1.0), (0.25, 4.0), (4.0, 0.25)])
def test_second_steps_follow_node2vec_probabilities(walker, p, q):
    graph = _graph()
    walks = walker(graph.rowptr, graph.col, torch.full((60000,), 2), 3, p, q, 7).numpy()
    for t in (1, 3, 6):  # condition on the first step 2 -> t
        after = walks[walks[:, 1] == t, 2]
        expected = exact_second_step(graph, 2, t, p, q)
        observed = {x: float(np.mean(after == x)) for x in expected}
        assert set(np.unique(after)) <= set(expected)
        deviation = max(abs(observed[x] - expected[x]) for x in expected)
        assert deviation < 5 * np.sqrt(0.25 / after.size), (t, observed, expected)


def test_first_step_is_uniform_over_neighbours():
    graph = _graph()
    walks = random_walks(graph.rowptr, graph.col, torch.full((40000,), 2), 2, 0.25, 4.0, 3).numpy()
    counts = np.bincount(walks[:, 1], minlength=8)[[0, 1, 3, 5, 6]] / walks.shape[0]
    assert np.allclose(counts, 0.2, atol=0.015)


@pytest.mark.parametrize("walker", [random_walks, random_walks_reference], ids=["cpu", "reference"])
def test_walks_follow_edges_and_stop_at_a_node_without_neighbours(walker):
    graph = _graph()
    starts = torch.tensor([0, 3, 7, 6] * 50)
    walks = walker(graph.rowptr, graph.col, starts, 10, 0.5, 2.0, 0).numpy()
    assert (walks[:, 0] == starts.numpy()).all()
    assert (walks[starts.numpy() == 7, 1:] == -1).all()
    edges = set(zip(graph.row.tolist(), graph.col.tolist()))
    for walk in walks[starts.numpy() != 7]:
        assert all((int(a), int(b)) in edges for a, b in zip(walk[:-1], walk[1:]))


def test_kernel_walks_repeat_for_a_seed_whatever_the_threads():
    graph = _graph()
    starts = torch.arange(7).repeat(500)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = random_walks(graph.rowptr, graph.col, starts, 20, 0.25, 4.0, 11)
        torch.set_num_threads(max(2, threads))
        many = random_walks(graph.rowptr, graph.col, starts, 20, 0.25, 4.0, 11)
    finally:
        torch.set_num_threads(threads)
    assert torch.equal(one, many)
    from cogdl.ops import cpu

    assert cpu._sampling_extension is not None  # the kernel ran, not the fallback
    assert not torch.equal(one, random_walks(graph.rowptr, graph.col, starts, 20, 0.25, 4.0, 12))


def test_bad_parameters_are_named():
    graph = _graph()
    with pytest.raises(Exception, match="p > 0 and q > 0"):
        random_walks(graph.rowptr, graph.col, torch.tensor([0]), 5, 0.0, 1.0)


@pytest.mark.parametrize("walker", [random_walks, random_walks_reference], ids=["cpu", "reference"])
def test_weighted_steps_follow_alpha_times_the_edge_weight(walker):
    graph = _graph()
    weight = (graph.row + graph.col + 1).double()  # symmetric: w_uv = u + v + 1
    walks = walker(graph.rowptr, graph.col, torch.full((60000,), 2), 3, 0.5, 2.0, 5, edge_weight=weight).numpy()
    weight_of = {(int(r), int(c)): float(w) for r, c, w in zip(graph.row, graph.col, weight)}
    first = {x: weight_of[(2, x)] for x in (0, 1, 3, 5, 6)}
    for x, w in first.items():
        assert abs(np.mean(walks[:, 1] == x) - w / sum(first.values())) < 0.01
    after = walks[walks[:, 1] == 1, 2]
    alpha = exact_second_step(graph, 2, 1, 0.5, 2.0)
    expected = {x: a * weight_of[(1, x)] for x, a in alpha.items()}
    total = sum(expected.values())
    for x, value in expected.items():
        assert abs(np.mean(after == x) - value / total) < 5 * np.sqrt(0.25 / after.size)
