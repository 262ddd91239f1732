import numpy as np
import pytest
import scipy.sparse as sp

from cogdl.datasets.igb_sampler import (SPLIT_CODES, IGBSampler, acceptance_probability, edge_label_distribution,
                                  kl_divergence, label_distribution)


def _ring_with_chords(n: int = 60, seed: int = 0):
    """An undirected ring plus random chords, with 3 classes in blocks of the ring (homophilous)."""
    rng = np.random.default_rng(seed)
    src = np.concatenate([np.arange(n), rng.integers(0, n, 40)])
    dst = np.concatenate([(np.arange(n) + 1) % n, rng.integers(0, n, 40)])
    keep = src != dst
    adjacency = sp.coo_matrix((np.ones(keep.sum()), (src[keep], dst[keep])), shape=(n, n)).tocsr()
    adjacency = ((adjacency + adjacency.T) > 0).astype(np.float32).tocsr()
    adjacency.sort_indices()
    labels = (np.arange(n) * 3) // n
    return adjacency.indptr.astype(np.int64), adjacency.indices.astype(np.int64), labels


def test_igb_walk_traverses_walk_length_distinct_edges_of_the_source():
    rowptr, col, labels = _ring_with_chords()
    sampler = IGBSampler(rowptr, col, labels, 3, walk_length=25, seed=0)
    nodes, edges = sampler.walk()
    source = {(u, int(v)) for u in range(rowptr.size - 1) for v in col[rowptr[u]:rowptr[u + 1]]}
    assert edges.shape == (2, 25)
    assert all((int(a), int(b)) in source and a < b for a, b in edges.T)
    assert set(nodes.tolist()) == set(edges.ravel().tolist())  # the visited nodes are the edges' ends
    assert np.all(np.diff(nodes) > 0)


@pytest.mark.parametrize("kind", ["rw", "mhrw"])
def test_igb_sampler_is_fixed_by_its_seed(kind):
    rowptr, col, labels = _ring_with_chords()

    def draw(seed):
        graphs = IGBSampler(rowptr, col, labels, 3, 20, kind, seed=seed).sample(6, burn_in=2)
        return [(g.nodes.tolist(), g.edges.tolist(), g.split.tolist()) for g in graphs]

    assert draw(3) == draw(3)
    assert draw(3) != draw(4)


def test_igb_sampled_graph_has_local_edges_and_a_10_10_80_split():
    rowptr, col, labels = _ring_with_chords()
    graph = IGBSampler(rowptr, col, labels, 3, 30, seed=1).draw()
    n = graph.nodes.size
    assert graph.edges.min() >= 0 and graph.edges.max() < n
    counts = np.bincount(graph.split, minlength=3)
    assert counts[SPLIT_CODES["train"]] == int(n * 0.1) and counts[SPLIT_CODES["val"]] == int(n * 0.1)
    assert counts.sum() == n


def test_igb_walk_stops_at_a_node_without_neighbours():
    rowptr = np.array([0, 1, 2, 2])  # nodes 0 - 1 linked, node 2 isolated
    col = np.array([1, 0])
    sampler = IGBSampler(rowptr, col, np.array([0, 1, 0]), 2, walk_length=10, seed=0)
    sampler.position = 2
    nodes, edges = sampler.walk()
    assert nodes.tolist() == [2] and edges.shape == (2, 0)


def test_igb_acceptance_follows_the_median_of_accepted_divergences():
    inf = float("inf")
    assert acceptance_probability([inf], [inf], 3.0, 5.0, 5) == 1.0  # nothing accepted yet
    assert acceptance_probability([inf, 0.2], [inf, 0.1], 3.0, 5.0, 5) == 1.0  # median of two is +inf
    # medians (+inf counts) 0.2 and 0.1; the candidate is twice as far on nodes, four times on edges: (1/4)^5
    assert acceptance_probability([inf, 0.1, 0.2], [inf, 0.05, 0.1], 0.4, 0.4, 5) == pytest.approx(0.25 ** 5)
    assert acceptance_probability([inf, 0.1, 0.2], [inf, 0.05, 0.1], 0.01, 0.01, 5) == 1.0


def test_igb_label_distributions_and_kl():
    labels = np.array([0, 0, 1, 2])
    assert label_distribution(labels, 3).tolist() == [0.5, 0.25, 0.25]
    edges = np.array([[0, 0, 2], [1, 2, 3]])  # pairs {0,0}, {0,1}, {1,2}
    dist = edge_label_distribution(labels, edges, 3)
    # upper triangle of the 3x3 pair counts, row-major: {0,0} {0,1} {0,2} {1,1} {1,2} {2,2}
    expected = np.array([1, 1, 0, 0, 1, 0]) + 1e-5
    np.testing.assert_allclose(dist, expected / expected.sum())
    p = np.array([0.5, 0.5])
    assert kl_divergence(p, p) == 0.0
    assert kl_divergence(p, np.array([0.9, 0.1])) == pytest.approx(0.5 * np.log(0.5 / 0.9) + 0.5 * np.log(0.5 / 0.1))


def test_igb_sampler_rejects_an_unknown_walk():
    rowptr, col, labels = _ring_with_chords()
    with pytest.raises(ValueError, match="sampler 'bfs': expected one of rw, mhrw"):
        IGBSampler(rowptr, col, labels, 3, 10, "bfs")
