"""MixHop: "MixHop: Higher-Order Graph Convolutional Architectures via Sparsified Neighborhood
Mixing", Abu-El-Haija et al., ICML 2019.

    H^{l+1} = dropout(ReLU(||_{j=0..p} Â^j H^l W_j^l)),  l = 0..L-1,   logits = H^L W_out + b_out

Symbols: `||` column concatenation over the powers (`cogdl.nn.MixHopConv`), `p` = max_power, each
power `hidden_size` wide, `L` = num_layers. The layout (dropout after each MixHop layer, a linear
output layer) is that of IGB's MixHop baseline (THUDM/IGB `model/mixhop.py`: two layers over
powers 0, 1, 2).
NOTE: the paper learns the widths per power with group-lasso sparsification; we fix one width.
Shapes: `x` `[N, F]` -> logits `[N, C]`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from cogdl.config import Interval
from cogdl.models.base import Model
from cogdl.nn import MixHopConv
from cogdl.nn.functional import dropout
from cogdl.registry import register_model


@dataclass
class MixHopConfig:
    hidden_size: int = field(default=60, metadata={"help": "output width of each power in each layer"})
    num_layers: int = field(default=2, metadata={"help": "MixHop layers before the linear output layer"})
    max_power: int = field(default=2, metadata={"help": "the highest power of the adjacency (powers 0..max_power)"})
    dropout: float = field(default=0.5, metadata={"help": "dropout probability after each MixHop layer"})

    constraints = {"hidden_size": Interval(1), "num_layers": Interval(1), "max_power": Interval(0),
                   "dropout": Interval(0.0, 1.0, open_high=True)}


@register_model("mixhop")
class MixHop(Model):
    """Higher-order graph convolution mixing powers of the adjacency."""

    Config = MixHopConfig
    supported_tasks = ("node_classification",)

    def __init__(self, config: MixHopConfig, info):
        super().__init__(config, info)
        width = (config.max_power + 1) * config.hidden_size
        sizes = [info.num_features] + [width] * (config.num_layers - 1)
        self.layers = nn.ModuleList(MixHopConv(size, config.hidden_size, config.max_power) for size in sizes)
        self.output = nn.Linear(width, info.num_classes)

    def forward(self, graph, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = dropout(F.relu(layer(graph, x)), self.config.dropout, self.training)
        return self.output(x)
