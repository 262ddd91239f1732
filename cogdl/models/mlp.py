"""MLP: the graph-free baseline, a multi-layer perceptron on node features alone.

    h^{l+1} = ReLU(dropout(h^l) W_l + b_l),   logits = dropout(h^{L-1}) W_{L-1} + b_{L-1}

Shapes: `x` `[N, F]` (dense or sparse COO) -> logits `[N, C]`; the graph is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from cogdl.config import Interval
from cogdl.models.base import Model, ModelSizes, SparseInput
from cogdl.nn.functional import dropout, project
from cogdl.registry import register_model


@dataclass
class MLPConfig:
    hidden_size: int = field(default=64, metadata={"help": "width of every hidden layer"})
    num_layers: int = field(default=2, metadata={"help": "number of linear layers"})
    dropout: float = field(default=0.5, metadata={"help": "dropout probability on each layer's input"})

    constraints = {"hidden_size": Interval(1), "num_layers": Interval(1), "dropout": Interval(0.0, 1.0, open_high=True)}


@register_model("mlp")
class MLP(Model, SparseInput):
    """Feature-only multi-layer perceptron."""

    Config = MLPConfig
    supported_tasks = ("node_classification",)

    def __init__(self, config: MLPConfig, sizes: ModelSizes):
        super().__init__(config, sizes)
        widths = [sizes.in_features] + [config.hidden_size] * (config.num_layers - 1) + [sizes.out_features]
        self.layers = nn.ModuleList(nn.Linear(i, o) for i, o in zip(widths[:-1], widths[1:]))

    def forward(self, graph, x: torch.Tensor) -> torch.Tensor:
        for k, layer in enumerate(self.layers):
            x = project(dropout(x, self.config.dropout, self.training), layer.weight) + layer.bias
            if k < len(self.layers) - 1:
                x = F.relu(x)
        return x
