import numpy as np
import pytest
from sklearn.metrics import accuracy_score
from sklearn.metrics import f1_score as sk_f1

from cogdl.metrics import accuracy, classification_metrics, f1_score, mrr_per_head, roc_auc


@pytest.mark.parametrize("seed", range(5))
def test_single_label_metrics_match_sklearn(seed):
    rng = np.random.default_rng(seed)
    y_true, y_pred = rng.integers(0, 5, 200), rng.integers(0, 6, 200)
    assert accuracy(y_true, y_pred) == pytest.approx(accuracy_score(y_true, y_pred))
    for average in ("micro", "macro"):
        assert f1_score(y_true, y_pred, average) == pytest.approx(sk_f1(y_true, y_pred, average=average))


@pytest.mark.parametrize("seed", range(5))
def test_multi_label_f1_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    y_true, y_pred = rng.integers(0, 2, (100, 4)), rng.integers(0, 2, (100, 4))
    y_true[:, 3] = 0  # a class that is never true
    for average in ("micro", "macro"):
        expected = sk_f1(y_true, y_pred, average=average, zero_division=0)
        assert f1_score(y_true, y_pred, average) == pytest.approx(expected)


def test_classification_metrics_names_and_range():
    metrics = classification_metrics([0, 1, 1, 2], [0, 1, 2, 2])
    assert set(metrics) == {"acc", "micro_f1", "macro_f1"}
    assert metrics["acc"] == 0.75 and all(0 <= v <= 1 for v in metrics.values())


def test_accuracy_of_empty_set_is_an_error():
    with pytest.raises(ValueError, match="empty"):
        accuracy([], [])


@pytest.mark.parametrize("seed", range(3))
def test_roc_auc_matches_sklearn_with_ties(seed):
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, 300)
    scores = np.round(rng.random(300) + 0.3 * labels, 1)  # rounded: many ties
    assert roc_auc(labels, scores) == pytest.approx(roc_auc_score(labels, scores))


def test_roc_auc_needs_both_classes():
    with pytest.raises(ValueError, match="positive and one negative"):
        roc_auc([1, 1], [0.2, 0.3])


def test_mrr_per_head_ranks_the_best_positive_of_each_head():
    heads = [0, 0, 0, 1, 1, 2, 2]
    labels = [1, 0, 0, 0, 1, 0, 0]
    scores = [0.2, 0.9, 0.1, 0.8, 0.7, 0.5, 0.4]
    # head 0: positive ranked 2nd -> 1/2; head 1: 2nd -> 1/2; head 2 has no positive and is left out
    assert mrr_per_head(heads, labels, scores) == pytest.approx(0.5)
    assert mrr_per_head([3, 3], [1, 1], [0.1, 0.2]) == 1.0
