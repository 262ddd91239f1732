"""Node classification in mini-batches of sampled blocks (GraphSAGE's Algorithm 2) for `LayerWise` models.

An epoch steps once per batch of `batch_size` shuffled training nodes, on the blocks that compute
their outputs, drawn with `fanouts` (`cogdl.minibatch.NeighborLoader`); the loss is the
cross-entropy of those nodes. After each epoch, validation runs exact layer-wise inference over
the whole graph (`eval_batch_size` rows at a time), so selection, early stopping and the reported
metrics are those of the full-batch task. The graph and the features stay in host memory; each
batch's blocks and input rows move to the run's device.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from cogdl.config import Interval
from cogdl.distributed import world
from cogdl.errors import ConfigError
from cogdl.metrics import accuracy
from cogdl.minibatch import NeighborLoader, layerwise_inference, parse_fanouts
from cogdl.models.base import LayerWise


@dataclass
class MiniBatchFields:
    """The mini-batch settings of a node task (off by default: `batch_size=0` trains full-batch)."""

    batch_size: int = field(default=0, metadata={"help": "training nodes per mini-batch (0: full-batch training)"})
    fanouts: str = field(default="", metadata={
        "help": "mini-batches: edges sampled per node at each hop from the seeds, one per layer, e.g. 15,10,5 (-1 or empty: all)"})
    replace: bool = field(default=False, metadata={"help": "mini-batches: sample edges with replacement"})
    num_workers: int = field(default=0, metadata={"help": "mini-batches: background sampling processes"})
    eval_batch_size: int = field(default=4096, metadata={"help": "mini-batches: rows per batch of layer-wise inference"})

    constraints = {"batch_size": Interval(0), "num_workers": Interval(0), "eval_batch_size": Interval(1)}


def fit_minibatch(model, graph, num_classes: int, trainer, config, context):
    """Train `model` in mini-batches on the `train` nodes of `graph`, select on `val` with
    layer-wise inference; `(predicted class of every node, TrainOutcome)` of the selected weights."""
    if not isinstance(model, LayerWise):
        raise ConfigError(f"{context.model} cannot train in mini-batches (batch_size={config.batch_size}): it is not "
                          "LayerWise (cogdl.models.base); use batch_size=0")
    if context.refit_epochs is not None:
        raise ConfigError("mini-batch training has no refit on train + validation; use batch_size=0 with this protocol")
    graph = graph.to("cpu")
    view = model.message_graph(graph)
    fanouts = parse_fanouts(config.fanouts, model.num_layers)
    x, y, masks = graph.x, graph.y, graph.masks
    rank, size = world()
    loader = NeighborLoader(view, masks["train"].nonzero().squeeze(1), config.batch_size, fanouts, config.replace,
                            context.seed, config.num_workers, rank, size)
    module, device = trainer.parallel(model), trainer.device
    check = context.output_check("one row per seed node, one column per class")

    def train_epoch(optimizer) -> float:
        total, count = 0.0, 0
        for seeds, blocks in loader:
            optimizer.zero_grad()
            logits = check(module(trainer.place(blocks), x[blocks[0].input_nodes].to(device)),
                           (seeds.numel(), num_classes))
            loss = F.cross_entropy(logits, y[seeds].to(device))
            loss.backward()
            optimizer.step()
            total, count = total + loss.item() * seeds.numel(), count + seeds.numel()
        return total / max(count, 1)

    def predict() -> torch.Tensor:
        return layerwise_inference(model, view, x, config.eval_batch_size, device)

    def validate() -> tuple[float, float]:
        logits = predict()[masks["val"]]
        return accuracy(y[masks["val"]], logits.argmax(1)), F.cross_entropy(logits, y[masks["val"]]).item()

    outcome = trainer.fit(model, train_epoch, validate)
    return predict().argmax(1), outcome
