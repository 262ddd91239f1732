"""Self-supervised node classification: pretrain, freeze, linear probe (GraphMAE's protocol).

"GraphMAE: Self-Supervised Masked Graph Autoencoders", Hou et al., KDD 2022, sec. 4.1.
1. Pretrain the model's own self-supervised `loss(graph, x)` on the whole graph (no labels) for
   `epochs` epochs with Adam; with `schedule=cosine` the learning rate follows
   lr_e = lr * (1 + cos(pi e / epochs)) / 2.
2. Freeze: embeddings H = model(graph, x).
3. Probe: logistic regression (one linear layer, cross-entropy) on H of the public `train` nodes,
   Adam with `probe_lr` / `probe_weight_decay` for `probe_epochs`; the epoch with the best
   validation accuracy is kept and tested once (the `node_classification` task's loop).
Features are row-normalised first (`normalize_features`), as GraphMAE's Planetoid loader does.
Metrics: `test_acc`, `val_acc` (and F1s) of the probe, `pretrain_seconds`, `final_loss`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from cogdl.data.dataset import NodeSplitDataset
from cogdl.data.graph import Graph
from cogdl.models.base import ModelSizes, SelfSupervised, model_input
from cogdl.registry import register_task
from cogdl.tasks.base import SeedContext, Task
from cogdl.tasks.node_classification import fit_and_evaluate, prepare_node_split
from cogdl.trainer import loop_fields


@dataclass
class SSLNodeClassificationConfig(loop_fields(epochs=1500, lr=1e-3, weight_decay=2e-4, schedule="cosine"),
                                  loop_fields(prefix="probe_", label="linear probe: ", epochs=300, lr=1e-2,
                                              weight_decay=1e-4)):
    normalize_features: bool = field(default=True, metadata={"help": "divide each feature row by its sum"})


class LinearProbe(nn.Module):
    """Logistic regression on fixed embeddings (the graph is ignored)."""

    def __init__(self, width: int, num_classes: int):
        super().__init__()
        self.linear = nn.Linear(width, num_classes)

    def forward(self, graph, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x)


def self_supervised_step(loss_of, graph, x, optimizer) -> float:
    """One optimiser step on the loss `loss_of(graph, x)` (the model's own, maybe checked); returns it."""
    optimizer.zero_grad()
    loss = loss_of(graph, x)
    loss.backward()
    optimizer.step()
    return loss.item()


@register_task("ssl_node_classification")
class SSLNodeClassification(Task):
    """Self-supervised pretraining, then a logistic-regression probe on the frozen embeddings."""

    Config = SSLNodeClassificationConfig
    accepts = (NodeSplitDataset,)
    requires = (SelfSupervised,)
    quick_config = {"epochs": 2, "probe_epochs": 3}

    def prepare(self, dataset: NodeSplitDataset, config: SSLNodeClassificationConfig) -> NodeSplitDataset:
        return prepare_node_split(dataset, config.normalize_features, "ssl_node_classification")

    def model_sizes(self, prepared: NodeSplitDataset, config) -> ModelSizes:
        return ModelSizes(prepared.info.num_features, None)

    def run(self, model, prepared: NodeSplitDataset, config: SSLNodeClassificationConfig, context: SeedContext):
        pretraining = context.trainer(config, fused_adam=True)
        graph = pretraining.place(prepared.graph)
        x = model_input(model, graph.x)  # bag-of-words features stay sparse for a SparseInput model
        check = context.output_check("a scalar loss; embeddings: one row per node, embedding_dim columns")

        def loss_of(graph, x):
            return check(model.loss(graph, x), ())

        outcome = pretraining.fit(model, lambda optimizer: self_supervised_step(loss_of, graph, x, optimizer))
        with torch.no_grad():
            embeddings = context.output_check("one row per node, embedding_dim columns")(
                model(graph, x), (graph.num_nodes, model.embedding_dim)).detach()
        frozen = Graph(graph.rowptr, graph.col, x=embeddings, y=graph.y, masks=graph.masks)
        probing = context.trainer(config, prefix="probe_", main=False)
        probe = probing.place(LinearProbe(embeddings.shape[1], prepared.info.num_classes))
        metrics = fit_and_evaluate(probe, frozen, probing)
        return {**metrics, "pretrain_seconds": outcome.seconds, "final_loss": outcome.last_train_loss}
