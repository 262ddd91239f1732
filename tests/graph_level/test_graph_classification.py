"""Supervised graph classification end to end on a planted TU-format folder."""

import json

import numpy as np

from cogdl import experiment
from cogdl.tasks.graph_classification import graph_folds
from tu_fixtures import planted_graphs, write_tu_folder


def test_gin_separates_cycles_from_stars_with_stratified_folds(tmp_path):
    folder = write_tu_folder(tmp_path / "planted", node_labels=False)
    result = experiment("graph_classification", "gin", f"tu:{folder}", seeds=[0], out=tmp_path / "runs",
                        epochs=12, folds=4, hidden_size=16, num_layers=3, lr=0.02, batch_size=10)
    assert result.summary["test_acc"]["mean"] > 0.9
    folds = json.loads((result.run_dir / "seed_0" / "folds.json").read_text())
    tested = sorted(i for fold in folds for i in fold["test"])
    assert tested == list(range(40)) and len(folds) == 4
    labels = np.array([g[3] for g in planted_graphs()])
    assert all(np.bincount(labels[fold["test"]]).tolist() == [5, 5] for fold in folds)


def test_graph_folds_depend_on_the_seed_only():
    labels = np.array([0, 1] * 30)
    first, again, other = ([test for _, test in graph_folds(labels, 10, seed)] for seed in (0, 0, 1))
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other))


def test_errica_gin_and_the_structure_agnostic_baseline_learn_the_planted_graphs(tmp_path):
    folder = write_tu_folder(tmp_path / "planted", node_labels=False)
    gin = experiment("graph_classification", "gin", f"tu:{folder}", seeds=[0], out=None, epochs=12, folds=4,
                     hidden_size=16, num_layers=2, lr=0.02, batch_size=10, input_mlp=True)
    assert gin.summary["test_acc"]["mean"] > 0.9
    # cycles and stars of 5-8 nodes differ in their multiset of degrees, which is all the baseline sees
    baseline = experiment("graph_classification", "deep_multisets", f"tu:{folder}", seeds=[0], out=None, epochs=30,
                          folds=4, hidden_size=16, lr=0.02, batch_size=10, schedule="constant")
    assert baseline.summary["test_acc"]["mean"] > 0.9
