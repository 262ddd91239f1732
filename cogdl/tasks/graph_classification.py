"""Supervised graph classification with stratified 10-fold cross-validation (TU datasets).

Protocol: the run seed draws stratified folds (`graph_folds`); for each fold k, fold k tests, and
a stratified `val_ratio` of the other folds validates the epoch to keep (`select_on`, default the
best validation accuracy); the rest trains. Every fold starts from the same initial weights.
Reported per seed: `test_acc` = mean accuracy over the folds (the number TU papers report),
`test_acc_fold_std` its spread over folds, `val_acc` likewise; the fold ids go to `folds.json`.
NOTE: GIN's paper (Xu et al., ICLR 2019) has no validation set: it reports the epoch with the best
test accuracy averaged over the folds. We select on held-out training graphs instead, so the test
folds are never used for a choice; expect numbers a little below the paper's.
Training: Adam, cross-entropy, shuffled mini-batches of `batch_size` graphs, the learning rate
multiplied by `lr_gamma` every `lr_step` epochs (GIN: 0.5 every 50).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.model_selection import StratifiedKFold, train_test_split

from cogdl.config import Choice, Interval
from cogdl.data.graph_collection import iterate_batches
from cogdl.errors import DataError
from cogdl.registry import register_task
from cogdl.tasks.base import Task
from cogdl.trainer import SELECTION_RULES, fit, fused_adam


@dataclass
class GraphClassificationConfig:
    epochs: int = field(default=350, metadata={"help": "training epochs per fold"})
    patience: int = field(default=350, metadata={"help": "epochs without validation improvement before a fold stops"})
    lr: float = field(default=0.01, metadata={"help": "Adam learning rate"})
    weight_decay: float = field(default=0.0, metadata={"help": "L2 weight decay (Adam)"})
    batch_size: int = field(default=32, metadata={"help": "graphs per mini-batch"})
    lr_step: int = field(default=50, metadata={"help": "epochs between learning-rate decays"})
    lr_gamma: float = field(default=0.5, metadata={"help": "learning-rate factor at each decay"})
    folds: int = field(default=10, metadata={"help": "cross-validation folds"})
    val_ratio: float = field(default=0.1, metadata={"help": "share of each fold's training graphs that validates"})
    select_on: str = field(default="acc", metadata={"help": "model selection rule on validation (cogdl.trainer)"})

    constraints = {"epochs": Interval(1), "patience": Interval(1), "lr": Interval(0.0), "weight_decay": Interval(0.0),
                   "batch_size": Interval(1), "lr_step": Interval(1), "lr_gamma": Interval(0.0, 1.0), "folds": Interval(2),
                   "val_ratio": Interval(0.01, 0.99), "select_on": Choice(*SELECTION_RULES)}


def graph_folds(labels: np.ndarray, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(other graph ids, test graph ids) of each of `folds` stratified folds, shuffled with `seed`."""
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(labels.size), labels))


def evaluate(model, graphs, ids: torch.Tensor, batch_size: int, device) -> tuple[float, float]:
    """(accuracy, mean cross-entropy) of `model` on the graphs `ids`."""
    correct, loss = 0, 0.0
    for ids_batch in iterate_batches(ids, batch_size):
        batch = graphs.batch(ids_batch).to(device)
        logits = model(batch.graph, batch.graph.x, batch.graph_index, batch.num_graphs)
        correct += int((logits.argmax(1) == batch.y).sum())
        loss += float(F.cross_entropy(logits, batch.y, reduction="sum"))
    return correct / ids.numel(), loss / ids.numel()


@register_task("graph_classification")
class GraphClassification(Task):
    """Stratified k-fold cross-validation; report test accuracy averaged over the folds."""

    Config = GraphClassificationConfig

    def prepare(self, dataset, config: GraphClassificationConfig):
        if getattr(dataset, "kind", None) != "graphs":
            raise DataError(f"dataset {dataset.info.name!r} is not a graph classification dataset (e.g. mutag, tu:PATH)")
        counts = np.bincount(dataset.graphs.y.numpy())
        if counts.min() < config.folds:
            raise DataError(f"dataset {dataset.info.name!r}: a class has {counts.min()} graphs, fewer than the {config.folds} folds")
        return dataset

    def epochs_per_seed(self, config: GraphClassificationConfig) -> int:
        return config.epochs * config.folds

    def run(self, model, dataset, config: GraphClassificationConfig, device, progress=None, context=None):
        seed = context.seed if context else 0
        graphs, labels = dataset.graphs, dataset.graphs.y.numpy()
        initial = copy.deepcopy(model.state_dict())
        generator = torch.Generator().manual_seed(seed)
        fold_records = []
        for rest, test_ids in graph_folds(labels, config.folds, seed):
            train_ids, val_ids = train_test_split(rest, test_size=config.val_ratio, stratify=labels[rest], random_state=seed)
            train_ids, val_ids, test_ids = (torch.from_numpy(np.sort(i)) for i in (train_ids, val_ids, test_ids))
            model.load_state_dict(initial)
            optimizer = fused_adam(model, config.lr, config.weight_decay)
            scheduler = torch.optim.lr_scheduler.StepLR(optimizer, config.lr_step, config.lr_gamma)

            def train_step() -> float:
                total = 0.0
                for ids in iterate_batches(train_ids, config.batch_size, generator):
                    batch = graphs.batch(ids).to(device)
                    optimizer.zero_grad()
                    loss = F.cross_entropy(model(batch.graph, batch.graph.x, batch.graph_index, batch.num_graphs), batch.y)
                    loss.backward()
                    optimizer.step()
                    total += loss.item() * ids.numel()
                scheduler.step()
                return total / train_ids.numel()

            def validate() -> tuple[float, float]:
                return evaluate(model, graphs, val_ids, config.batch_size, device)

            outcome = fit(model, train_step, validate, config.epochs, config.patience, progress, config.select_on)
            model.eval()
            with torch.no_grad():
                test_acc, _ = evaluate(model, graphs, test_ids, config.batch_size, device)
            fold_records.append({"test": test_ids.tolist(), "val_acc": outcome.best_val_score, "test_acc": test_acc,
                                 "best_epoch": outcome.best_epoch})
        if context is not None:
            context.artifacts["folds.json"] = json.dumps(fold_records) + "\n"
        test_accs = np.array([r["test_acc"] for r in fold_records])
        return {"test_acc": float(test_accs.mean()), "test_acc_fold_std": float(test_accs.std(ddof=1)),
                "val_acc": float(np.mean([r["val_acc"] for r in fold_records]))}
