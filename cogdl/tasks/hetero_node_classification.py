"""Node classification on a heterogeneous graph with HGB's protocol (Lv, Ding et al., KDD 2021).

Inputs: HGB's `feats_type` choice of node features (`cogdl.nn.typed_input.hgb_input_features`),
projected per node type to `input_dim` (`TypedInputProjection`), on the typed graph with reverse
links and self loops (`HeteroGraph.to_homogeneous()`); the model maps `[N, input_dim]` to class
logits. Split: `label.dat.test` tests; 20% of `label.dat`, drawn with the run seed, validates
(`cogdl.benchmarks.hgb`); the ids and their sha256 go to `seed_<k>/split.json`.
Loss: cross-entropy, or for multi-label data binary cross-entropy on sigmoid outputs (predicted
label: logit > 0). Selection: lowest validation loss, early stopping after `patience` epochs
without a lower one (`select_on="loss_only"`, HGB's `EarlyStopping`).
Metrics: `macro_f1` (primary) and `micro_f1` on `val` and `test`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from cogdl.benchmarks.hgb import hgb_node_split, node_submission, split_record, submission_name
from cogdl.config import Choice, Interval
from cogdl.data.dataset import HeteroNodeDataset
from cogdl.data.graph import Graph
from cogdl.metrics import f1_score
from cogdl.models.base import ModelSizes
from cogdl.nn.relations import graph_schema
from cogdl.nn.typed_input import TypedInputProjection, TypedInputs, hgb_input_features
from cogdl.registry import register_task
from cogdl.tasks.base import SeedContext, Task
from cogdl.trainer import loop_fields


@dataclass
class HeteroNodeClassificationConfig(loop_fields(epochs=300, patience=30, lr=5e-4, weight_decay=1e-4,
                                                 select_on="loss_only", schedule="constant")):
    feats_type: int = field(default=3, metadata={"help": "HGB input features: 0 all, 1 target + zeros, 2 target + one-hot ids, 3 one-hot ids"})
    input_dim: int = field(default=64, metadata={"help": "width of the per-type input projection"})
    val_ratio: float = field(default=0.2, metadata={"help": "share of label.dat that validates"})

    constraints = {"feats_type": Choice(0, 1, 2, 3), "input_dim": Interval(1), "val_ratio": Interval(0.01, 0.99)}


@dataclass(frozen=True)
class TypedNodeData:
    """A prepared HGB node dataset: the typed graph with reverse links and self loops, and the inputs."""

    dataset: HeteroNodeDataset
    graph: Graph
    inputs: TypedInputs


class HeteroNodeClassifier(nn.Module):
    """The task's per-type input projection followed by the model."""

    def __init__(self, projection: TypedInputProjection, model: nn.Module):
        super().__init__()
        self.projection, self.model = projection, model

    def forward(self, graph, inputs: list) -> torch.Tensor:
        return self.model(graph, self.projection(inputs))


@register_task("hetero_node_classification")
class HeteroNodeClassification(Task):
    """HGB node classification: train on `label.dat`, select on its held-out 20%, test on `label.dat.test`."""

    Config = HeteroNodeClassificationConfig
    accepts = (HeteroNodeDataset,)
    quick_config = {"epochs": 3, "input_dim": 8}

    def prepare(self, dataset: HeteroNodeDataset, config: HeteroNodeClassificationConfig) -> TypedNodeData:
        hetero = dataset.graph
        inputs = hgb_input_features(hetero.features, hetero.counts, dataset.target_type, config.feats_type)
        return TypedNodeData(dataset, hetero.to_homogeneous(), inputs)

    def model_sizes(self, prepared: TypedNodeData, config: HeteroNodeClassificationConfig) -> ModelSizes:
        graph = prepared.graph
        return ModelSizes(config.input_dim, prepared.dataset.info.num_classes, graph.num_edge_types,
                          prepared.dataset.graph.num_node_types, prepared.dataset.target_type, graph_schema(graph))

    def run(self, model, prepared: TypedNodeData, config: HeteroNodeClassificationConfig, context: SeedContext):
        dataset = prepared.dataset
        train_ids, val_ids = hgb_node_split(dataset.train_ids, context.seed, config.val_ratio)
        test_ids = dataset.test_ids
        context.artifacts["split.json"] = json.dumps(split_record(train=train_ids, val=val_ids, test=test_ids)) + "\n"
        trainer = context.trainer(config)
        net = trainer.place(HeteroNodeClassifier(prepared.inputs.projection(config.input_dim), model))
        graph, inputs, y = trainer.place(prepared.graph), trainer.place(prepared.inputs).features, trainer.place(dataset.y)
        multi_label = dataset.info.multi_label
        loss_of = F.binary_cross_entropy_with_logits if multi_label else F.cross_entropy
        check = context.output_check("one row per node of the typed graph, one column per class")
        shape = (graph.num_nodes, dataset.info.num_classes)

        def predict(logits):
            return (logits > 0).long() if multi_label else logits.argmax(1)

        def train_epoch(optimizer) -> float:
            optimizer.zero_grad()
            loss = loss_of(check(net(graph, inputs), shape)[train_ids], y[train_ids])
            loss.backward()
            optimizer.step()
            return loss.item()

        def validate() -> tuple[float, float]:
            logits = net(graph, inputs)[val_ids]
            return f1_score(y[val_ids], predict(logits), "macro"), loss_of(logits, y[val_ids]).item()

        outcome = trainer.fit(net, train_epoch, validate)
        with torch.no_grad():
            prediction = predict(net(graph, inputs)).cpu()
        y = y.cpu()
        metrics = {}
        for split, ids in (("val", val_ids), ("test", test_ids)):
            metrics[f"{split}_macro_f1"] = f1_score(y[ids], prediction[ids], "macro")
            metrics[f"{split}_micro_f1"] = f1_score(y[ids], prediction[ids], "micro")
        if context.export_predictions:
            node_types = prepared.graph.node_type[test_ids]
            name = submission_name(dataset.info.name, context.seed)
            context.predictions[name] = node_submission(test_ids, node_types, prediction[test_ids])
        metrics.update(best_epoch=outcome.best_epoch, epochs_run=outcome.epochs_run, fit_seconds=outcome.seconds)
        return metrics
