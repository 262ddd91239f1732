"""Unsupervised node classification: the classifier, top-k prediction, embedding files, real data."""

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier

from cogdl.experiment import experiment
from cogdl.tasks.unsupervised_node_classification import fit_one_vs_rest, top_k_predictions


def test_one_vs_rest_solver_reaches_scikit_learns_optimum():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((300, 16))
    labels = (x @ rng.standard_normal((16, 5)) + rng.standard_normal((300, 5)) > 0.8)
    weight, bias = fit_one_vs_rest(x, labels, c=1.0)
    ours = 1 / (1 + np.exp(-(x @ weight.numpy() + bias.numpy())))
    reference = OneVsRestClassifier(LogisticRegression(C=1.0, tol=1e-10, max_iter=10000)).fit(x, labels)
    assert np.abs(ours - reference.predict_proba(x)).max() < 1e-4


def test_top_k_predicts_as_many_labels_as_each_node_has():
    probabilities = np.array([[0.1, 0.9, 0.5], [0.3, 0.2, 0.1], [0.2, 0.4, 0.6]])
    predicted = top_k_predictions(probabilities, np.array([2, 1, 3]))
    assert predicted.tolist() == [[0, 1, 1], [1, 0, 0], [1, 1, 1]]


def test_prone_on_ppi_learns_and_saved_embeddings_evaluate_again_the_same(tmp_path, data_root):
    path = tmp_path / "emb{seed}.npy"
    first = experiment("unsupervised_node_classification", "prone", "ppi-ne", [0], out=tmp_path / "runs",
                       data_root=data_root, train_ratio=0.5, num_shuffles=2, save_embeddings=str(path))
    embeddings = np.load(tmp_path / "emb0.npy")
    assert embeddings.shape == (3890, 128)
    again = experiment("unsupervised_node_classification", "prone", "ppi-ne", [0], out=tmp_path / "runs",
                       data_root=data_root, train_ratio=0.5, num_shuffles=2, load_embeddings=str(path))
    assert again.records[0]["test_micro_f1"] == first.records[0]["test_micro_f1"]
    # a random embedding scores some 0.08 Micro-F1 here; ProNE's structure is far above it
    assert first.records[0]["test_micro_f1"] > 0.2
    np.save(tmp_path / "emb0.npy", embeddings[:, :5] * 0 + np.random.default_rng(0).standard_normal((3890, 5)))
    chance = experiment("unsupervised_node_classification", "prone", "ppi-ne", [0], out=tmp_path / "runs",
                        data_root=data_root, train_ratio=0.5, num_shuffles=2, load_embeddings=str(path))
    assert chance.records[0]["test_micro_f1"] < 0.12


def test_load_embeddings_of_the_wrong_shape_is_named(cli, tmp_path, data_root):
    np.save(tmp_path / "short.npy", np.zeros((10, 4), dtype=np.float32))
    status, _, err = cli("train", "--task", "unsupervised_node_classification", "--model", "prone", "--dataset",
                         "ppi-ne", "--load-embeddings", str(tmp_path / "short.npy"), "--out", str(tmp_path / "runs"))
    assert status == 2 and "short.npy: expected a floating-point array of 3890 rows" in err
    assert not (tmp_path / "runs").exists()


def test_single_label_planetoid_is_read_as_one_label_per_node(tmp_path, data_root):
    result = experiment("unsupervised_node_classification", "prone", "cora", [0], out=tmp_path / "runs",
                        data_root=data_root, num_shuffles=1)
    assert 0.5 < result.records[0]["test_micro_f1"] <= 1.0
