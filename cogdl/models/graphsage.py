"""GraphSAGE: "Inductive Representation Learning on Large Graphs", Hamilton, Ying & Leskovec, NeurIPS 2017.

Layers (Algorithm 1, with the layer of `cogdl.nn.SAGEConv`):
    h_i^{l+1} = sigma(W_self^l h_i^l + W_neigh^l agg_{j in N(i)} h_j^l + b^l),   logits = h^L

Symbols: `agg` the `aggregator` (mean by default), `L` = num_layers, `sigma` ReLU between layers
(none after the last), dropout on every layer's input.
Full-batch, every neighbour is aggregated; in mini-batches (`batch_size`, `fanouts` of the node
task) a fixed number of neighbours per node is sampled at each layer, as in the paper's Algorithm 2.
Shapes: `x` `[N, F]` -> logits `[N, C]`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from cogdl.config import Choice, Interval
from cogdl.models.base import LayerWise, Model, ModelSizes, SparseInput, stacked_forward, stacked_layer
from cogdl.nn import SAGEConv
from cogdl.nn.sage_conv import AGGREGATORS
from cogdl.registry import register_model


@dataclass
class GraphSAGEConfig:
    hidden_size: int = field(default=64, metadata={"help": "width of every hidden layer"})
    num_layers: int = field(default=2, metadata={"help": "number of SAGE layers (the last one outputs classes)"})
    dropout: float = field(default=0.5, metadata={"help": "dropout probability on each layer's input"})
    aggregator: str = field(default="mean", metadata={"help": "neighbour aggregation: mean, sum or max"})
    normalize: bool = field(default=False, metadata={"help": "L2-normalise each layer's output rows"})

    constraints = {"hidden_size": Interval(1), "num_layers": Interval(1), "dropout": Interval(0.0, 1.0, open_high=True),
                   "aggregator": Choice(*AGGREGATORS)}


@register_model("graphsage")
class GraphSAGE(Model, SparseInput, LayerWise):
    """GraphSAGE with mean / sum / max aggregation, full-batch or on sampled mini-batches."""

    Config = GraphSAGEConfig
    supported_tasks = ("node_classification", "link_prediction")

    def __init__(self, config: GraphSAGEConfig, sizes: ModelSizes):
        super().__init__(config, sizes)
        widths = [sizes.in_features] + [config.hidden_size] * (config.num_layers - 1) + [sizes.out_features]
        self.layers = nn.ModuleList(
            SAGEConv(i, o, config.aggregator, normalize=config.normalize and k < config.num_layers - 1)
            for k, (i, o) in enumerate(zip(widths[:-1], widths[1:])))
        self.num_layers = config.num_layers

    def message_graph(self, graph):
        return graph

    def layer(self, k: int, graph, h: torch.Tensor) -> torch.Tensor:
        return stacked_layer(self.layers, k, graph, h, self.config.dropout, self.training)

    def forward(self, graph, x: torch.Tensor) -> torch.Tensor:
        return stacked_forward(self.layers, graph, x, self.config.dropout, self.training)
