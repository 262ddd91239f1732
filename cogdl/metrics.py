"""Metrics as fractions in [0, 1]: classification (single- or multi-label) and link ranking.

Single-label inputs are `[N]` integer class ids. Multi-label inputs are `[N, C]` 0/1 indicator
matrices (predictions thresholded by the caller). Macro-F1 averages per-class F1 over the classes
present in the targets or the predictions, as scikit-learn does; micro-F1 pools the counts.
Link prediction: ROC-AUC and average precision over all candidate links, OGB's Hits@K and HGB's MRR
per head node.
"""

from __future__ import annotations

import numpy as np


def _as_numpy(a) -> np.ndarray:
    return a.detach().cpu().numpy() if hasattr(a, "detach") else np.asarray(a)


def accuracy(y_true, y_pred) -> float:
    """Share of exactly right predictions (for multi-label: rows whose label set is exact)."""
    y_true, y_pred = _as_numpy(y_true), _as_numpy(y_pred)
    if y_true.size == 0:
        raise ValueError("accuracy of an empty set")
    equal = y_true == y_pred
    return float(equal.all(axis=1).mean() if equal.ndim == 2 else equal.mean())


def _one_hot(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indicator matrices over the classes present in either input."""
    if y_true.ndim == 2:
        present = np.flatnonzero((y_true != 0).any(0) | (y_pred != 0).any(0))
        return y_true[:, present] != 0, y_pred[:, present] != 0, present
    present = np.union1d(y_true, y_pred)
    return y_true[:, None] == present[None, :], y_pred[:, None] == present[None, :], present


def f1_score(y_true, y_pred, average: str = "macro") -> float:
    """Micro or macro F1; a class with no true and no predicted member scores 0 in macro."""
    truth, pred, _ = _one_hot(_as_numpy(y_true), _as_numpy(y_pred))
    tp = (truth & pred).sum(0).astype(np.float64)
    fp = (~truth & pred).sum(0).astype(np.float64)
    fn = (truth & ~pred).sum(0).astype(np.float64)
    if average == "micro":
        denominator = 2 * tp.sum() + fp.sum() + fn.sum()
        return float(2 * tp.sum() / denominator) if denominator else 0.0
    if average == "macro":
        denominator = 2 * tp + fp + fn
        per_class = np.divide(2 * tp, denominator, out=np.zeros_like(tp), where=denominator > 0)
        return float(per_class.mean()) if per_class.size else 0.0
    raise ValueError(f"average must be 'micro' or 'macro', found {average!r}")


def classification_metrics(y_true, y_pred) -> dict[str, float]:
    """`{"acc", "micro_f1", "macro_f1"}` of one split."""
    return {
        "acc": accuracy(y_true, y_pred),
        "micro_f1": f1_score(y_true, y_pred, "micro"),
        "macro_f1": f1_score(y_true, y_pred, "macro"),
    }


def roc_auc(labels, scores) -> float:
    """Area under the ROC curve: the probability that a random positive outscores a random
    negative, ties counting one half (the Mann-Whitney U statistic over average ranks)."""
    labels, scores = _as_numpy(labels).astype(bool), _as_numpy(scores).astype(np.float64)
    positives, negatives = int(labels.sum()), int((~labels).sum())
    if positives == 0 or negatives == 0:
        raise ValueError("ROC-AUC needs at least one positive and one negative")
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    ranks = np.empty(scores.size, dtype=np.float64)
    starts = np.flatnonzero(np.r_[True, sorted_scores[1:] != sorted_scores[:-1]])
    ends = np.r_[starts[1:], scores.size]
    for start, end in zip(starts, ends):  # average rank (1-based) within each group of ties
        ranks[order[start:end]] = (start + end + 1) / 2.0
    return float((ranks[labels].sum() - positives * (positives + 1) / 2.0) / (positives * negatives))


def mrr_per_head(heads, labels, scores) -> float:
    """HGB's MRR: for each head node, 1 / (1 + rank of its best-scored positive among its
    candidates), averaged over the heads that have a positive. Ties keep the candidates' order."""
    heads, labels, scores = _as_numpy(heads), _as_numpy(labels).astype(bool), _as_numpy(scores)
    order = np.lexsort((-scores, heads))  # by head, then by descending score (stable)
    heads, labels = heads[order], labels[order]
    starts = np.flatnonzero(np.r_[True, heads[1:] != heads[:-1]])
    reciprocal = []
    for start, end in zip(starts, np.r_[starts[1:], heads.size]):
        hits = np.flatnonzero(labels[start:end])
        if hits.size:
            reciprocal.append(1.0 / (1 + hits[0]))
    if not reciprocal:
        raise ValueError("MRR needs at least one positive")
    return float(np.mean(reciprocal))


def average_precision(labels, scores) -> float:
    """Area under the precision-recall curve as scikit-learn's `average_precision_score` computes it:
    sum_k (R_k - R_{k-1}) P_k over the distinct score thresholds, highest first (no interpolation)."""
    labels, scores = _as_numpy(labels).astype(bool), _as_numpy(scores).astype(np.float64)
    positives = int(labels.sum())
    if positives == 0:
        raise ValueError("average precision needs at least one positive")
    order = np.argsort(-scores, kind="mergesort")
    sorted_scores, hits = scores[order], labels[order]
    last_of_threshold = np.r_[sorted_scores[1:] != sorted_scores[:-1], True]
    true_positives = np.cumsum(hits)[last_of_threshold]
    predicted = (np.flatnonzero(last_of_threshold) + 1).astype(np.float64)
    recall = true_positives / positives
    precision = true_positives / predicted
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def hits_at_k(positive_scores, negative_scores, k: int) -> float:
    """OGB's Hits@K: the share of positives scored above the K-th highest negative (1 with fewer
    than K negatives)."""
    positive_scores, negative_scores = _as_numpy(positive_scores), _as_numpy(negative_scores)
    if negative_scores.size < k:
        return 1.0
    threshold = np.partition(negative_scores, negative_scores.size - k)[negative_scores.size - k]
    return float((positive_scores > threshold).mean())
