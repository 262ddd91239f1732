"""HGB's splits, negatives and submission files (`cogdl.benchmarks.hgb`)."""

import numpy as np
import torch

from cogdl.benchmarks.hgb import (hgb_link_split, hgb_node_split, link_submission, link_test_candidates,
                                  node_submission, split_record, submission_name)


def test_node_split_is_seeded_disjoint_and_20_percent():
    ids = torch.arange(100, 1317)
    train, val = hgb_node_split(ids, seed=3)
    again_train, again_val = hgb_node_split(ids, seed=3)
    assert torch.equal(train, again_train) and torch.equal(val, again_val)
    assert val.numel() == int(1217 * 0.2) and train.numel() + val.numel() == 1217
    assert set(train.tolist()).isdisjoint(val.tolist()) and torch.equal(torch.sort(train).values, train)
    assert not torch.equal(val, hgb_node_split(ids, seed=4)[1])


def test_split_record_hash_changes_with_the_ids():
    a = split_record(train=torch.tensor([1, 2]), val=torch.tensor([3]))
    b = split_record(train=torch.tensor([1, 3]), val=torch.tensor([2]))
    assert a["train"] == [1, 2] and a["sha256"] != b["sha256"] and len(a["sha256"]) == 64


def test_link_split_keeps_each_heads_first_link_in_training():
    rng = np.random.default_rng(0)
    heads = torch.from_numpy(rng.integers(0, 50, 2000))
    tails = torch.from_numpy(rng.integers(50, 150, 2000))
    train, val = hgb_link_split(heads, tails, seed=0)
    assert torch.equal(train, ~val)
    assert 0.05 < val.float().mean() < 0.15
    for head in heads.unique().tolist():
        mine = (heads == head).nonzero().flatten()
        first = mine[torch.argmin(tails[mine])]  # links sorted by (head, tail)
        assert bool(train[first])


def test_random_negatives_avoid_neighbours_and_match_positive_counts():
    heads, tails = torch.tensor([0, 0, 1]), torch.tensor([5, 6, 7])
    known = [(torch.tensor([0, 0, 1, 1]), torch.tensor([5, 6, 7, 8]))]
    h, t, y = link_test_candidates("random", heads, tails, range(5, 10), known, 10)
    assert y.sum() == 3 and (1 - y).sum() == 3
    negatives = {(a, b) for a, b, label in zip(h.tolist(), t.tolist(), y.tolist()) if label == 0}
    assert all(b in range(5, 10) and (a, b) not in {(0, 5), (0, 6), (1, 7), (1, 8)} for a, b in negatives)
    again = link_test_candidates("random", heads, tails, range(5, 10), known, 10)
    assert torch.equal(t, again[1])  # seed 1, as HGB


def test_two_hop_negatives_are_two_hop_non_neighbours():
    # users 0-2, items 5-7, links 0-5, 1-5, 1-6, 2-6, 2-7: no item is two hops from a user
    known = [(torch.tensor([0, 1, 1, 2, 2]), torch.tensor([5, 5, 6, 6, 7]))]
    heads, tails = torch.tensor([0, 2]), torch.tensor([5, 7])
    h, t, y = link_test_candidates("2hop", heads, tails, range(5, 8), known, 8)
    negatives = [(a, b) for a, b, label in zip(h.tolist(), t.tolist(), y.tolist()) if label == 0]
    assert negatives == [] and y.tolist() == [1, 1]
    # a user-user link 0-1 makes item 6 (not 5, a neighbour) two hops from user 0
    known.append((torch.tensor([0]), torch.tensor([1])))
    h, t, y = link_test_candidates("2hop", heads, tails, range(5, 8), known, 8)
    negatives = [(a, b) for a, b, label in zip(h.tolist(), t.tolist(), y.tolist()) if label == 0]
    assert negatives == [(0, 6)]


def test_submission_formats():
    text = node_submission(torch.tensor([3, 9]), torch.tensor([0, 0]), torch.tensor([[1, 0, 1], [0, 1, 0]]))
    assert text == "3\t\t0\t0,2\n9\t\t0\t1\n"
    assert node_submission(torch.tensor([4]), torch.tensor([1]), torch.tensor([2])) == "4\t\t1\t2\n"
    assert link_submission([(1, 7, 0, 0.25)]) == "1\t7\t0\t0.25\n"
    assert submission_name("hgb-dblp", 2) == "DBLP_2.txt"
    assert submission_name("hgb:/data/my_graph", 0) == "my_graph_0.txt"
