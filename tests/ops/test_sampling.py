"""Neighbour sampling: the C++ kernel and the pure-PyTorch reference against the exact law of
uniform sampling (inclusion frequencies, subset frequencies, draws with replacement), their
structure and relabelling, and the kernel's reproducibility."""

import itertools
from collections import Counter

import numpy as np
import pytest
import torch

from cogdl.data.graph import Graph
from cogdl.ops.sampling import sample_blocks, sample_hop, sample_hop_reference

HOPS = [sample_hop, sample_hop_reference]
IDS = ["cpu", "reference"]


def _graph() -> Graph:
    """Node 0 a hub with 10 in-neighbours, node 1 with 2, node 2 with none, a chain 3 -> 4 -> 5."""
    edges = [(s, 0) for s in range(1, 11)] + [(3, 1), (4, 1), (3, 4), (4, 5)]
    src = torch.tensor([s for s, _ in edges])
    dst = torch.tensor([d for _, d in edges])
    return Graph.from_coo(dst, src, 11)


@pytest.mark.parametrize("hop", HOPS, ids=IDS)
@pytest.mark.parametrize("replace", [False, True])
def test_sample_hop_structure_and_relabelling(hop, replace):
    graph = _graph()
    nodes = torch.tensor([4, 0, 2, 1])
    rowptr, local, inputs, edges = hop(graph.rowptr, graph.col, nodes, 3, replace, 5)
    degree = graph.rowptr.diff()[nodes]
    expected = torch.where(degree == 0, 0, 3) if replace else degree.clamp(max=3)
    assert rowptr.diff().tolist() == expected.tolist()
    assert inputs[:4].tolist() == nodes.tolist() and inputs.unique().numel() == inputs.numel()
    assert torch.equal(inputs[local], graph.col[edges])  # the local column is the edge's source
    for i, node in enumerate(nodes.tolist()):  # every kept edge is an edge of its row
        kept = edges[rowptr[i]:rowptr[i + 1]]
        assert bool(((kept >= graph.rowptr[node]) & (kept < graph.rowptr[node + 1])).all())
        if not replace:
            assert kept.unique().numel() == kept.numel()


@pytest.mark.parametrize("hop", HOPS, ids=IDS)
def test_sample_hop_without_replacement_draws_every_subset_equally_often(hop):
    graph, draws = _graph(), 6000
    subsets = Counter()
    for seed in range(draws):
        _, _, _, edges = hop(graph.rowptr, graph.col, torch.tensor([0]), 3, False, seed)
        subsets[tuple(sorted(edges.tolist()))] += 1
    assert len(subsets) == 120 and all(len(s) == 3 for s in subsets)  # C(10, 3) subsets, all seen
    counts = np.array(list(subsets.values()), dtype=float)
    chi2 = ((counts - draws / 120) ** 2 / (draws / 120)).sum()
    assert chi2 < 119 + 5 * np.sqrt(2 * 119), chi2  # 119 degrees of freedom: mean 119, sd 15.4


@pytest.mark.parametrize("hop", HOPS, ids=IDS)
def test_sample_hop_with_replacement_draws_each_edge_uniformly_and_independently(hop):
    graph, draws = _graph(), 4000
    picks = torch.stack([hop(graph.rowptr, graph.col, torch.tensor([0]), 2, True, seed)[3] for seed in range(draws)])
    picks = picks - graph.rowptr[0]
    frequency = torch.bincount(picks.flatten(), minlength=10).double() / picks.numel()
    assert float((frequency - 0.1).abs().max()) < 5 * np.sqrt(0.09 / picks.numel())
    same = float((picks[:, 0] == picks[:, 1]).double().mean())  # independent draws repeat with probability 1/10
    assert abs(same - 0.1) < 5 * np.sqrt(0.09 / draws)


def test_sample_hop_kernel_repeats_for_a_seed_at_any_thread_count():
    generator = torch.Generator().manual_seed(0)
    dst, src = torch.randint(0, 3000, (60000,), generator=generator), torch.randint(0, 3000, (60000,), generator=generator)
    graph = Graph.from_coo(dst, src, 3000)
    nodes = torch.randperm(3000, generator=generator)[:2000]
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = sample_hop(graph.rowptr, graph.col, nodes, 5, False, 11)
        torch.set_num_threads(2)
        two = sample_hop(graph.rowptr, graph.col, nodes, 5, False, 11)
    finally:
        torch.set_num_threads(threads)
    assert all(torch.equal(a, b) for a, b in zip(one, two))
    other = sample_hop(graph.rowptr, graph.col, nodes, 5, False, 12)
    assert not torch.equal(one[3], other[3])


@pytest.mark.parametrize("hop", HOPS, ids=IDS)
def test_sample_hop_with_fanout_minus_one_keeps_every_edge_in_order(hop):
    graph = _graph()
    rowptr, _, _, edges = hop(graph.rowptr, graph.col, torch.tensor([1, 0]), -1, True, 0)
    expected = list(range(graph.rowptr[1], graph.rowptr[2])) + list(range(graph.rowptr[0], graph.rowptr[1]))
    assert sorted(edges[:2].tolist()) == expected[:2] and sorted(edges[2:].tolist()) == expected[2:]
    assert rowptr.tolist() == [0, 2, 12]


@pytest.mark.parametrize("hop", HOPS, ids=IDS)
def test_sample_hop_rejects_a_node_listed_twice(hop):
    graph = _graph()
    with pytest.raises(ValueError, match="listed twice"):
        hop(graph.rowptr, graph.col, torch.tensor([0, 3, 0]), 2, False, 0)


def test_sample_blocks_chain_hops_first_layer_first_with_horvitz_thompson_scale():
    graph = _graph()
    blocks = sample_blocks(graph, torch.tensor([0, 1]), [4, 2], seed=3)
    last, first = blocks[1], blocks[0]  # hop 1 from the seeds is the last layer
    assert last.graph.num_nodes == 2 and last.input_nodes[:2].tolist() == [0, 1]
    assert torch.equal(first.input_nodes[:first.graph.num_nodes], last.input_nodes)
    assert last.scale.tolist() == [10 / 4, 1.0]
    assert first.graph.num_nodes == last.input_nodes.numel()


def test_sum_over_a_sampled_block_estimates_the_full_sum_without_bias():
    graph = _graph()
    x = torch.randn(11, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    full = x[graph.col[graph.rowptr[0]:graph.rowptr[1]]].sum(0)
    estimates = []
    for seed in range(3000):
        block = sample_blocks(graph, torch.tensor([0]), [3], seed=seed)[0]
        estimates.append((x[block.input_nodes][block.graph.col] * block.sum_weights().double().view(-1, 1)).sum(0))
    mean = torch.stack(estimates).mean(0)
    spread = torch.stack(estimates).std(0) / np.sqrt(3000)
    assert bool(((mean - full).abs() < 5 * spread).all()), (mean, full)


def test_reference_and_kernel_agree_on_inclusion_probability_k_over_d():
    graph = _graph()
    for hop in HOPS:
        hits = Counter()
        for seed in range(3000):
            hits.update(hop(graph.rowptr, graph.col, torch.tensor([0]), 4, False, seed)[3].tolist())
        frequency = np.array([hits[e] for e in range(int(graph.rowptr[0]), int(graph.rowptr[1]))]) / 3000
        assert np.abs(frequency - 0.4).max() < 5 * np.sqrt(0.24 / 3000), (hop.__name__, frequency)
        assert set(itertools.chain(hits)) <= set(range(int(graph.rowptr[0]), int(graph.rowptr[1])))


def test_sample_hop_kernel_large_fanouts_shuffle_partially_with_inclusion_k_over_d():
    """Fan-outs above 64 take the kernel's partial Fisher-Yates path instead of Floyd's."""
    graph = Graph.from_coo(torch.zeros(100, dtype=torch.long), torch.arange(1, 101), 101)
    hits = torch.zeros(100)
    for seed in range(400):
        edges = sample_hop(graph.rowptr, graph.col, torch.tensor([0]), 70, False, seed)[3]
        assert edges.unique().numel() == 70
        hits[edges] += 1
    assert float((hits / 400 - 0.7).abs().max()) < 5 * np.sqrt(0.21 / 400)
