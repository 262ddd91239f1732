"""Homogeneous link prediction: the edge split, the metrics, and GAE / ProNE on Cora."""

import json

import numpy as np
import pytest
import torch
from sklearn.metrics import average_precision_score, roc_auc_score

from cogdl.benchmarks.edge_split import random_edge_split, undirected_edges
from cogdl.experiment import experiment
from cogdl.metrics import average_precision, hits_at_k, roc_auc
from cogdl.protocols.base import load_dataset
from cogdl.tasks.link_prediction import full_reconstruction_loss


def test_edge_split_holds_out_disjoint_edges_and_true_non_edges(data_root):
    graph = load_dataset("cora", data_root).graph
    split = random_edge_split(graph, 3, 0.05, 0.10)
    edges = undirected_edges(graph)
    keys = lambda pairs: set((pairs[0] * graph.num_nodes + pairs[1]).tolist())  # noqa: E731
    all_keys = keys(torch.from_numpy(edges))
    train, val, test = keys(split.train), keys(split.val), keys(split.test)
    assert len(train) + len(val) + len(test) == len(all_keys) == edges.shape[1]
    assert not (train & val or train & test or val & test)
    assert (len(val), len(test)) == (int(edges.shape[1] * 0.05), int(edges.shape[1] * 0.10))
    canonical = lambda pairs: keys(torch.stack([pairs.min(0).values, pairs.max(0).values]))  # noqa: E731
    negatives = canonical(split.val_negative) | canonical(split.test_negative)
    assert len(negatives) == len(val) + len(test) and not negatives & all_keys
    held_out = val | test
    message = canonical(torch.stack([split.graph.row, split.graph.col]))
    assert message == train and not message & held_out
    again = random_edge_split(graph, 3, 0.05, 0.10)
    assert torch.equal(again.test, split.test) and torch.equal(again.test_negative, split.test_negative)
    assert not torch.equal(random_edge_split(graph, 4, 0.05, 0.10).test, split.test)


def test_ranking_metrics_agree_with_scikit_learn_with_ties():
    rng = np.random.default_rng(0)
    labels = rng.random(500) < 0.3
    scores = np.round(rng.random(500) + labels * 0.3, 1)  # many ties
    assert average_precision(labels, scores) == pytest.approx(average_precision_score(labels, scores), abs=1e-12)
    assert roc_auc(labels, scores) == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)
    assert hits_at_k(np.array([3.0, 2.0, 1.0]), np.array([2.5, 0.5, 0.1]), 1) == pytest.approx(1 / 3)
    assert hits_at_k(np.array([3.0, 2.0, 1.0]), np.array([2.5, 0.5, 0.1]), 2) == 1.0
    assert hits_at_k(np.array([0.0]), np.array([1.0]), 5) == 1.0


def test_full_reconstruction_loss_equals_the_weighted_dense_cross_entropy():
    z = torch.randn(7, 3)
    pairs = torch.tensor([[0, 1, 2, 3], [1, 2, 3, 4]])
    loops = torch.arange(7)
    positive = torch.cat([pairs, pairs.flip(0), torch.stack([loops, loops])], 1)
    label = torch.zeros(7, 7)
    label[positive[0], positive[1]] = 1
    p = label.sum()
    dense = 49 / (2 * (49 - p)) * torch.nn.functional.binary_cross_entropy_with_logits(
        z @ z.T, label, pos_weight=(49 - p) / p)
    assert full_reconstruction_loss(z, positive).item() == pytest.approx(dense.item(), rel=1e-5)


def test_gae_on_cora_separates_held_out_edges_and_writes_its_split(tmp_path, data_root):
    result = experiment("link_prediction", "gae", "cora", [0], out=tmp_path / "runs", data_root=data_root, epochs=60)
    metrics = result.records[0]
    assert metrics["test_roc_auc"] > 0.85 and metrics["test_ap"] > 0.85
    record = json.loads((result.run_dir / "seed_0" / "split.json").read_text())
    assert len(record["test"]) == int(5278 * 0.10) and len(record["sha256"]) == 64


def test_embedding_models_score_links_by_the_dot_product(tmp_path, data_root):
    result = experiment("link_prediction", "prone", "cora", [0], out=tmp_path / "runs", data_root=data_root)
    assert result.records[0]["test_roc_auc"] > 0.75
