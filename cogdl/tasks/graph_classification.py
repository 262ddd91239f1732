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

from cogdl.config import Interval
from cogdl.data.dataset import GraphCollectionDataset, GraphSplitDataset
from cogdl.data.graph_collection import iterate_batches
from cogdl.errors import DataError
from cogdl.models.base import GraphLevel, ModelSizes
from cogdl.registry import register_task
from cogdl.tasks.base import SeedContext, Task
from cogdl.trainer import loop_fields


@dataclass
class GraphClassificationConfig(loop_fields(epochs=350, patience=350, lr=0.01, weight_decay=0.0, select_on="acc",
                                            schedule="step", lr_step=50, lr_gamma=0.5)):
    batch_size: int = field(default=32, metadata={"help": "graphs per mini-batch"})
    folds: int = field(default=10, metadata={"help": "cross-validation folds"})
    val_ratio: float = field(default=0.1, metadata={"help": "share of each fold's training graphs that validates"})

    constraints = {"batch_size": Interval(1), "folds": Interval(2), "val_ratio": Interval(0.01, 0.99)}


def graph_folds(labels: np.ndarray, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(other graph ids, test graph ids) of each of `folds` stratified folds, shuffled with `seed`."""
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(labels.size), labels))


def check_folds(dataset: GraphCollectionDataset, folds: int) -> GraphCollectionDataset:
    """The dataset itself, once every class has at least `folds` graphs."""
    counts = np.bincount(dataset.graphs.y.numpy())
    if counts.min() < folds:
        raise DataError(f"dataset {dataset.info.name!r}: a class has {counts.min()} graphs, fewer than the {folds} folds")
    return dataset


def evaluate(model, graphs, ids: torch.Tensor, batch_size: int, trainer) -> tuple[float, float]:
    """(accuracy, mean cross-entropy) of `model` on the graphs `ids`."""
    correct, loss = 0, 0.0
    for ids_batch in iterate_batches(ids, batch_size):
        batch = trainer.place(graphs.batch(ids_batch))
        logits = model(batch.graph, batch.graph.x, batch.graph_index, batch.num_graphs)
        correct += int((logits.argmax(1) == batch.y).sum())
        loss += float(F.cross_entropy(logits, batch.y, reduction="sum"))
    return correct / ids.numel(), loss / ids.numel()


@register_task("graph_classification")
class GraphClassification(Task):
    """Stratified k-fold cross-validation; report test accuracy averaged over the folds."""

    Config = GraphClassificationConfig
    accepts = (GraphCollectionDataset, GraphSplitDataset)
    requires = (GraphLevel,)
    quick_config = {"epochs": 2, "folds": 2, "val_ratio": 0.2, "batch_size": 8}

    def prepare(self, dataset, config: GraphClassificationConfig):
        return dataset if isinstance(dataset, GraphSplitDataset) else check_folds(dataset, config.folds)

    def model_sizes(self, prepared, config) -> ModelSizes:
        return ModelSizes(prepared.info.num_features, prepared.info.num_classes)

    def epochs_per_seed(self, config: GraphClassificationConfig) -> int:
        return config.epochs * config.folds

    def run(self, model, prepared, config: GraphClassificationConfig, context: SeedContext):
        loop = (context.trainer(config, fused_adam=True), torch.Generator().manual_seed(context.seed),
                context.output_check("one row per graph of the batch, one column per class"))
        if isinstance(prepared, GraphSplitDataset):
            split = prepared.split
            return fit_split(model, prepared, split["train"], split["val"], split["test"] if context.evaluate_test else None,
                             config, *loop)
        labels = prepared.graphs.y.numpy()
        initial = copy.deepcopy(model.state_dict())
        fold_records = []
        for rest, test_ids in graph_folds(labels, config.folds, context.seed):
            train_ids, val_ids = train_test_split(rest, test_size=config.val_ratio, stratify=labels[rest],
                                                  random_state=context.seed)
            train_ids, val_ids, test_ids = (torch.from_numpy(np.sort(i)) for i in (train_ids, val_ids, test_ids))
            model.load_state_dict(initial)
            fold = fit_split(model, prepared, train_ids, val_ids, test_ids, config, *loop)
            fold_records.append({"test": test_ids.tolist(), **fold})
        context.artifacts["folds.json"] = json.dumps(fold_records) + "\n"
        test_accs = np.array([r["test_acc"] for r in fold_records])
        return {"test_acc": float(test_accs.mean()), "test_acc_fold_std": float(test_accs.std(ddof=1)),
                "val_acc": float(np.mean([r["val_acc"] for r in fold_records]))}


def fit_split(model, prepared, train_ids: torch.Tensor, val_ids: torch.Tensor, test_ids: torch.Tensor | None,
              config: GraphClassificationConfig, trainer, generator: torch.Generator, check) -> dict:
    """Train `model` on the graphs `train_ids` in batches shuffled by `generator`, keep the epoch the
    selection rule picks on `val_ids`, and (unless `test_ids` is None) test that epoch's weights
    once on `test_ids`; `check` checks the model's first output (`SeedContext.output_check`)."""
    graphs = prepared.graphs

    def train_epoch(optimizer) -> float:
        total = 0.0
        for ids in iterate_batches(train_ids, config.batch_size, generator):
            batch = trainer.place(graphs.batch(ids))
            optimizer.zero_grad()
            logits = check(model(batch.graph, batch.graph.x, batch.graph_index, batch.num_graphs),
                           (batch.num_graphs, prepared.info.num_classes))
            loss = F.cross_entropy(logits, batch.y)
            loss.backward()
            optimizer.step()
            total += loss.item() * ids.numel()
        return total / train_ids.numel()

    outcome = trainer.fit(model, train_epoch, lambda: evaluate(model, graphs, val_ids, config.batch_size, trainer))
    record = {"val_acc": outcome.best_val_score, "best_epoch": outcome.best_epoch}
    if test_ids is not None:
        with torch.no_grad():
            record["test_acc"] = evaluate(model, graphs, test_ids, config.batch_size, trainer)[0]
    return record
