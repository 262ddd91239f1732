"""Self-supervised node classification: pretrain, freeze, linear probe (GraphMAE's protocol).

"GraphMAE: Self-Supervised Masked Graph Autoencoders", Hou et al., KDD 2022, sec. 4.1.
1. Pretrain the model's own self-supervised `loss(graph, x)` on the whole graph (no labels) for
   `epochs` epochs with Adam; with `cosine_schedule` the learning rate follows
   lr_e = lr * (1 + cos(pi e / epochs)) / 2.
2. Freeze: embeddings H = model(graph, x).
3. Probe: logistic regression (one linear layer, cross-entropy) on H of the public `train` nodes,
   Adam with `probe_lr` / `probe_weight_decay` for `probe_epochs`; the epoch with the best
   validation accuracy is kept and tested once (the `node_classification` task's loop).
Features are row-normalised first (`normalize_features`), as GraphMAE's Planetoid loader does.
Metrics: `test_acc`, `val_acc` (and F1s) of the probe, `pretrain_seconds`, `final_loss`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import torch
from torch import nn

from cogdl.config import Interval
from cogdl.data.dataset import Dataset, DatasetInfo
from cogdl.data.graph import Graph
from cogdl.nn.functional import maybe_sparse
from cogdl.registry import register_task
from cogdl.tasks.base import Task
from cogdl.tasks.node_classification import NodeClassification, NodeClassificationConfig, prepare_node_split
from cogdl.trainer import pretrain


@dataclass
class SSLNodeClassificationConfig:
    epochs: int = field(default=1500, metadata={"help": "pretraining epochs"})
    lr: float = field(default=1e-3, metadata={"help": "pretraining Adam learning rate"})
    weight_decay: float = field(default=2e-4, metadata={"help": "pretraining L2 weight decay"})
    cosine_schedule: bool = field(default=True, metadata={"help": "cosine learning-rate decay over the pretraining epochs"})
    probe_epochs: int = field(default=300, metadata={"help": "linear-probe training epochs"})
    probe_lr: float = field(default=1e-2, metadata={"help": "linear-probe Adam learning rate"})
    probe_weight_decay: float = field(default=1e-4, metadata={"help": "linear-probe L2 weight decay"})
    normalize_features: bool = field(default=True, metadata={"help": "divide each feature row by its sum"})

    constraints = {"epochs": Interval(1), "lr": Interval(0.0), "weight_decay": Interval(0.0), "probe_epochs": Interval(1),
                   "probe_lr": Interval(0.0), "probe_weight_decay": Interval(0.0)}


class LinearProbe(nn.Module):
    """Logistic regression on fixed embeddings (the graph is ignored)."""

    def __init__(self, width: int, num_classes: int):
        super().__init__()
        self.linear = nn.Linear(width, num_classes)

    def forward(self, graph, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x)


@register_task("ssl_node_classification")
class SSLNodeClassification(Task):
    """Self-supervised pretraining, then a logistic-regression probe on the frozen embeddings."""

    Config = SSLNodeClassificationConfig

    def prepare(self, dataset: Dataset, config: SSLNodeClassificationConfig) -> Dataset:
        return prepare_node_split(dataset, config.normalize_features, "ssl_node_classification")

    def run(self, model, dataset: Dataset, config: SSLNodeClassificationConfig, device, progress=None, context=None):
        graph = dataset.graph.to(device)
        x = maybe_sparse(graph.x)  # bag-of-words features stay sparse in the first layer

        def step(optimizer) -> float:
            optimizer.zero_grad()
            loss = model.loss(graph, x)
            loss.backward()
            optimizer.step()
            return loss.item()

        started = time.perf_counter()
        final_loss = pretrain(model, step, config.epochs, config.lr, config.weight_decay, config.cosine_schedule, progress)
        pretrain_seconds = time.perf_counter() - started
        with torch.no_grad():
            embeddings = model(graph, x).detach()
        frozen = Graph(graph.rowptr, graph.col, x=embeddings, y=graph.y, masks=graph.masks)
        info = DatasetInfo(dataset.info.name, embeddings.shape[1], dataset.info.num_classes)
        probe_config = NodeClassificationConfig(epochs=config.probe_epochs, patience=config.probe_epochs,
                                                lr=config.probe_lr, weight_decay=config.probe_weight_decay,
                                                normalize_features=False, select_on="acc")
        probe = LinearProbe(embeddings.shape[1], info.num_classes).to(device)
        metrics = NodeClassification().run(probe, Dataset(frozen, info), probe_config, device)
        metrics.update(pretrain_seconds=pretrain_seconds, final_loss=final_loss)
        return metrics
