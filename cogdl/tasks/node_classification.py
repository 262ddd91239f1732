"""Semi-supervised node classification on a fixed split (e.g. the Planetoid public split).

Loss: cross-entropy on the training nodes. Optimiser: Adam with L2 weight decay `weight_decay` on
all weights, unless the model's `parameter_groups` decays some of them differently (GCNII).
Selection: by default the epoch with the best validation accuracy (ties: lower validation loss);
`select_on` picks another rule of `cogdl.trainer.fit`; early stopping after `patience` epochs
without improvement. Test is evaluated once,
with the selected weights. Metrics: `acc`, `micro_f1`, `macro_f1` on `val` and `test`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from cogdl.config import Choice, Interval
from cogdl.data.dataset import Dataset
from cogdl.errors import DataError
from cogdl.nn.functional import maybe_sparse
from cogdl.metrics import accuracy, classification_metrics
from cogdl.models.base import parameter_groups
from cogdl.registry import register_task
from cogdl.tasks.base import Task
from cogdl.trainer import SELECTION_RULES, fit


@dataclass
class NodeClassificationConfig:
    epochs: int = field(default=200, metadata={"help": "maximum training epochs"})
    patience: int = field(default=100, metadata={"help": "epochs without validation improvement before stopping"})
    lr: float = field(default=0.01, metadata={"help": "Adam learning rate"})
    weight_decay: float = field(default=5e-4, metadata={"help": "L2 weight decay (Adam)"})
    normalize_features: bool = field(default=True, metadata={"help": "divide each feature row by its sum"})
    select_on: str = field(default="acc", metadata={"help": "model selection rule on validation (cogdl.trainer)"})

    constraints = {"epochs": Interval(1), "patience": Interval(1), "lr": Interval(0.0), "weight_decay": Interval(0.0),
                   "select_on": Choice(*SELECTION_RULES)}


def row_normalize(x: torch.Tensor) -> torch.Tensor:
    """Scale each row to sum 1 (rows summing to 0 stay 0), as the GCN and GAT reference code does."""
    total = x.sum(1, keepdim=True)
    return x / torch.where(total == 0, torch.ones_like(total), total)


def prepare_node_split(dataset: Dataset, normalize_features: bool, task: str) -> Dataset:
    """Check that `train`, `val` and `test` hold labelled nodes; row-normalise features if asked."""
    if getattr(dataset, "kind", None) == "igb":
        raise DataError(f"dataset {dataset.info.name!r} holds {len(dataset.graphs)} IGB graphs: run it with "
                        f"`cogdl train --benchmark igb --task {task} ...` (cogdl.benchmarks.igb_protocol)")
    if getattr(dataset, "kind", None) is not None:  # HGB folders and TU graph collections
        raise DataError(f"dataset {dataset.info.name!r} is not a node classification dataset with a split (e.g. cora)")
    graph = dataset.graph
    for split in ("train", "val", "test"):
        mask = graph.masks.get(split)
        if mask is None or not bool(mask.any()):
            raise DataError(f"dataset {dataset.info.name!r} has no {split!r} nodes for {task}")
        if bool((graph.y[mask] < 0).any()):
            raise DataError(f"dataset {dataset.info.name!r}: {split!r} contains unlabelled nodes")
    if normalize_features:
        graph.x = row_normalize(graph.x)
    return dataset


def node_optimizer(model, lr: float, weight_decay: float) -> torch.optim.Adam:
    """Adam over the model's parameter groups (`cogdl.models.base.parameter_groups`)."""
    return torch.optim.Adam(parameter_groups(model, weight_decay), lr=lr)


def cross_entropy_step(model, graph, x, mask: torch.Tensor, optimizer) -> float:
    """One optimiser step on the cross-entropy of the nodes in `mask`; returns the loss."""
    optimizer.zero_grad()
    loss = F.cross_entropy(model(graph, x)[mask], graph.y[mask])
    loss.backward()
    optimizer.step()
    return loss.item()


@register_task("node_classification")
class NodeClassification(Task):
    """Train on `train`, select on `val`, report `val_*` and `test_*` acc / micro-F1 / macro-F1."""

    Config = NodeClassificationConfig
    search_metric = "val_acc"

    def prepare(self, dataset: Dataset, config: NodeClassificationConfig) -> Dataset:
        return prepare_node_split(dataset, config.normalize_features, "node_classification")

    def run(self, model, dataset: Dataset, config: NodeClassificationConfig, device, progress=None, context=None):
        graph = dataset.graph.to(device)
        x, y, masks = maybe_sparse(graph.x), graph.y, graph.masks
        optimizer = node_optimizer(model, config.lr, config.weight_decay)

        def train_step() -> float:
            return cross_entropy_step(model, graph, x, masks["train"], optimizer)

        def validate() -> tuple[float, float]:
            logits = model(graph, x)[masks["val"]]
            return accuracy(y[masks["val"]], logits.argmax(1)), F.cross_entropy(logits, y[masks["val"]]).item()

        outcome = fit(model, train_step, validate, config.epochs, config.patience, progress, config.select_on,
                      context.on_epoch if context else None)
        with torch.no_grad():
            prediction = model(graph, x).argmax(1)
        metrics = {}
        for split in ("val", "test") if context is None or context.evaluate_test else ("val",):
            for name, value in classification_metrics(y[masks[split]], prediction[masks[split]]).items():
                metrics[f"{split}_{name}"] = value
        metrics.update(best_epoch=outcome.best_epoch, epochs_run=outcome.epochs_run,
                       fit_seconds=outcome.seconds)
        return metrics
