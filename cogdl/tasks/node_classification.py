"""Semi-supervised node classification on a fixed split (e.g. the Planetoid public split).

Loss: cross-entropy on the training nodes. Optimiser: Adam with L2 weight decay `weight_decay` on
all weights, unless the model's `parameter_groups` decays some of them differently (GCNII).
Selection: by default the epoch with the best validation accuracy (ties: lower validation loss);
`select_on` picks another rule of `cogdl.trainer`; early stopping after `patience` epochs
without improvement. Test is evaluated once, with the selected weights.
Refit (`SeedContext.refit_epochs`, IGB's protocol): train on train + validation nodes for a fixed
number of epochs, without validation, then test.
Metrics: `acc`, `micro_f1`, `macro_f1` on `val` and `test`.
Mini-batches (`batch_size` > 0, models with the `LayerWise` ability): each epoch steps once per
batch of shuffled training nodes on blocks sampled with `fanouts` (`cogdl.minibatch`);
validation and test use exact layer-wise inference, so selection and metrics mean what they mean
full-batch. Under data parallelism (`torchrun`, `cogdl train --nproc N`) each process trains on its
shard of the training nodes, and gradients are averaged over the processes (`cogdl.distributed`).
Mixed precision (`precision=bf16`): training and evaluation run under `torch.autocast` with
bfloat16, so projections and activations are bfloat16 while weights, losses and SpMM sums stay
float32 (`cogdl.ops.spmm`).
Activation compression (`activation_compression=2|4|8`, GACT/EXACT): what autograd saves for
backward is stored in that many bits (`cogdl.nn.activation_compression`); 32 stores it as it is
but still counts it. The run then reports `saved_mb_per_epoch` (activations as given),
`stored_mb_per_epoch` (as stored) and `peak_memory_mb`, the run's peak memory above what the
process held when it began (`cogdl.peak_memory`: peak RSS growth, or CUDA's peak allocation).
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from cogdl.data.dataset import NodeSplitDataset
from cogdl.config import Choice
from cogdl.errors import DataError
from cogdl.metrics import accuracy, classification_metrics
from cogdl.models.base import ModelSizes, model_input
from cogdl.nn.activation_compression import compressed_activations
from cogdl.peak_memory import PeakMemory
from cogdl.registry import register_task
from cogdl.tasks.base import SeedContext, Task
from cogdl.minibatch import layerwise_inference
from cogdl.tasks.minibatch_node import MiniBatchFields, fit_minibatch
from cogdl.trainer import loop_fields


@dataclass
class NodeClassificationConfig(loop_fields(epochs=200, patience=100, lr=0.01, weight_decay=5e-4, select_on="acc"),
                               MiniBatchFields):
    normalize_features: bool = field(default=True, metadata={"help": "divide each feature row by its sum"})
    precision: str = field(default="fp32", metadata={
        "help": "fp32, or bf16: train and evaluate under torch.autocast in bfloat16 (float32 weights and sums)"})

    activation_compression: int = field(default=0, metadata={
        "help": "bits for the activations saved for backward: 2, 4 or 8 (GACT); 32 counts them uncompressed; 0 off"})

    constraints = {"precision": Choice("fp32", "bf16"), "activation_compression": Choice(0, 2, 4, 8, 32)}


def row_normalize(x: torch.Tensor) -> torch.Tensor:
    """Scale each row to sum 1 (rows summing to 0 stay 0), as the GCN and GAT reference code does."""
    total = x.sum(1, keepdim=True)
    return x / torch.where(total == 0, torch.ones_like(total), total)


def prepare_node_split(dataset: NodeSplitDataset, normalize_features: bool, task: str) -> NodeSplitDataset:
    """Check that `train`, `val` and `test` hold labelled nodes; a copy with row-normalised features if asked."""
    graph = dataset.graph
    for split in ("train", "val", "test"):
        mask = graph.masks.get(split)
        if mask is None or not bool(mask.any()):
            raise DataError(f"dataset {dataset.info.name!r} has no {split!r} nodes for {task}")
        if bool((graph.y[mask] < 0).any()):
            raise DataError(f"dataset {dataset.info.name!r}: {split!r} contains unlabelled nodes")
    if not normalize_features:
        return dataset
    return NodeSplitDataset(info=dataset.info, graph=graph.with_node_fields(x=row_normalize(graph.x)))


def cross_entropy_step(forward, graph, x, mask: torch.Tensor, optimizer) -> float:
    """One optimiser step on the cross-entropy of the logits `forward(graph, x)` (the model, or the
    model with its output checked) at the nodes in `mask`; returns the loss."""
    optimizer.zero_grad()
    loss = F.cross_entropy(forward(graph, x)[mask], graph.y[mask])
    loss.backward()
    optimizer.step()
    return loss.item()


def split_metrics(y: torch.Tensor, prediction: torch.Tensor, masks: dict, splits) -> dict[str, float]:
    """`{split}_{metric}` of `classification_metrics` for each split."""
    return {f"{split}_{name}": value for split in splits
            for name, value in classification_metrics(y[masks[split]], prediction[masks[split]]).items()}


@register_task("node_classification")
class NodeClassification(Task):
    """Train on `train`, select on `val`, report `val_*` and `test_*` acc / micro-F1 / macro-F1."""

    Config = NodeClassificationConfig
    accepts = (NodeSplitDataset,)
    search_metric = "val_acc"
    supports_refit = True
    data_parallel = True

    def prepare(self, dataset: NodeSplitDataset, config: NodeClassificationConfig) -> NodeSplitDataset:
        return prepare_node_split(dataset, config.normalize_features, "node_classification")

    def model_sizes(self, prepared: NodeSplitDataset, config) -> ModelSizes:
        return ModelSizes(prepared.info.num_features, prepared.info.num_classes)

    def run(self, model, prepared: NodeSplitDataset, config: NodeClassificationConfig, context: SeedContext):
        bits = config.activation_compression
        peak = PeakMemory(context.device) if bits else None
        with torch.autocast(torch.device(context.device).type, torch.bfloat16, enabled=config.precision == "bf16"), \
                compressed_activations(bits if bits < 32 else None) if bits else nullcontext() as saved:
            metrics = self.train_and_evaluate(model, prepared, config, context)
        if bits:
            epochs = max(1, metrics.get("epochs_run", 1))
            metrics.update(saved_mb_per_epoch=saved.activations / epochs / 2**20,
                           stored_mb_per_epoch=saved.stored / epochs / 2**20)
            if peak.mb() is not None:
                metrics["peak_memory_mb"] = peak.mb()
        return metrics

    def train_and_evaluate(self, model, prepared: NodeSplitDataset, config: NodeClassificationConfig,
                         context: SeedContext):
        trainer = context.trainer(config)
        if config.batch_size > 0:
            prediction, outcome = fit_minibatch(model, prepared.graph, prepared.info.num_classes, trainer, config,
                                                context)
            return selected_metrics(prepared.graph, prediction, outcome, context.evaluate_test)
        graph = trainer.place(prepared.graph)
        check = context.output_check("one row per node, one column per class")
        shape = (graph.num_nodes, prepared.info.num_classes)

        def forward(graph, x, module=model):
            return check(module(graph, x), shape)

        if context.refit_epochs is None:
            return fit_and_evaluate(model, graph, trainer, context.evaluate_test, forward)
        x, masks = model_input(model, graph.x), graph.masks
        fit_mask = masks["train"] | masks["val"]
        outcome = trainer.fit(model, lambda optimizer: cross_entropy_step(forward, graph, x, fit_mask, optimizer),
                              epochs=context.refit_epochs)
        with torch.no_grad():
            prediction = model(graph, x).argmax(1)
        return {**split_metrics(graph.y, prediction, masks, ("test",)), "epochs_run": outcome.epochs_run,
                "fit_seconds": outcome.seconds}

    def predict(self, model, prepared: NodeSplitDataset, config: NodeClassificationConfig, device) -> torch.Tensor:
        """`[N, C]` logits of a trained model for every node, as `run` evaluates them (full batch, or
        exact layer-wise inference for a model trained in mini-batches; bf16 under `precision=bf16`)."""
        graph = prepared.graph
        with torch.no_grad(), torch.autocast(torch.device(device).type, torch.bfloat16,
                                             enabled=config.precision == "bf16"):
            if config.batch_size > 0:
                return layerwise_inference(model, model.message_graph(graph), graph.x, config.eval_batch_size, device)
            graph = graph.to(device)
            return model(graph, model_input(model, graph.x))

    def prediction_metrics(self, prepared: NodeSplitDataset, outputs: torch.Tensor) -> dict[str, float]:
        graph = prepared.graph
        splits = [s for s in ("train", "val", "test") if s in graph.masks]
        return split_metrics(graph.y, outputs.argmax(1).cpu(), graph.masks, splits)


def fit_and_evaluate(model, graph, trainer, evaluate_test: bool = True, forward=None) -> dict[str, float]:
    """Train `model` on the `train` nodes of `graph` (on the trainer's device) with `trainer`'s loop,
    selecting on `val`; return the selected weights' metrics on `val` (and `test`). Training calls
    `forward(graph, x, module)` (default: the module itself), where `module` is the model, or the
    model wrapped for data parallelism, which then trains on this process's shard of the nodes."""
    x, y, masks = model_input(model, graph.x), graph.y, graph.masks

    def validate() -> tuple[float, float]:
        logits = model(graph, x)[masks["val"]]
        return accuracy(y[masks["val"]], logits.argmax(1)), F.cross_entropy(logits, y[masks["val"]]).item()

    module, train_nodes = trainer.parallel(model), trainer.shard(masks["train"].nonzero().squeeze(1))
    step_forward = module if forward is None else (lambda graph, x: forward(graph, x, module))
    outcome = trainer.fit(model, lambda optimizer: cross_entropy_step(step_forward, graph, x, train_nodes, optimizer),
                          validate)
    with torch.no_grad():
        prediction = model(graph, x).argmax(1)
    return selected_metrics(graph, prediction, outcome, evaluate_test)


def selected_metrics(graph, prediction: torch.Tensor, outcome, evaluate_test: bool) -> dict[str, float]:
    """The metrics of the selected weights' `prediction` on `val` (and `test`), and the loop's bookkeeping."""
    splits = ("val", "test") if evaluate_test else ("val",)
    return {**split_metrics(graph.y, prediction, graph.masks, splits), "best_epoch": outcome.best_epoch,
            "epochs_run": outcome.epochs_run, "fit_seconds": outcome.seconds}
