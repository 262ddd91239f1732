"""MixHop: "MixHop: Higher-Order Graph Convolutional Architectures via Sparsified Neighborhood
Mixing", Abu-El-Haija et al., ICML 2019.

    H^0 = dropout(X, input_dropout),
    H^{l+1} = dropout(ReLU(||_{j=0..p} Â^j H^l W_j^l)),  l = 0..L-1,   logits = H^L W_out + b_out

Symbols: `||` column concatenation over the powers (`cogdl.nn.MixHopConv`), `p` = max_power, a
hidden layer `hidden_size` wide (each power `hidden_size / (p + 1)`), `L` = num_layers. The layout
(dropout after each MixHop layer, a linear output layer) is that of IGB's MixHop baseline
(THUDM/IGB `model/mixhop.py`: two layers over powers 0, 1, 2).
NOTE: that baseline does not drop the raw features, so here `dropout` acts on the input of every
layer but the first, whose input takes `input_dropout` (default 0, as IGB's).
NOTE: the paper learns the widths per power with group-lasso sparsification; we fix one width.
Shapes: `x` `[N, F]` -> logits `[N, C]`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from cogdl.config import Divisible, Interval
from cogdl.models.base import Model, ModelSizes, SparseInput
from cogdl.nn import MixHopConv
from cogdl.nn.functional import dropout
from cogdl.registry import register_model


@dataclass
class MixHopConfig:
    hidden_size: int = field(default=180, metadata={"help": "width of every hidden layer (all powers together)"})
    num_layers: int = field(default=2, metadata={"help": "MixHop layers before the linear output layer"})
    max_power: int = field(default=2, metadata={"help": "the highest power of the adjacency (powers 0..max_power)"})
    dropout: float = field(default=0.5, metadata={"help": "dropout probability on the input of every later layer"})
    input_dropout: float = field(default=0.0, metadata={"help": "dropout probability on the raw features"})

    constraints = {"hidden_size": Interval(1), "num_layers": Interval(1), "max_power": Interval(0),
                   "dropout": Interval(0.0, 1.0, open_high=True), "input_dropout": Interval(0.0, 1.0, open_high=True)}
    rules = (Divisible("hidden_size", "max_power", plus=1),)


@register_model("mixhop")
class MixHop(Model, SparseInput):
    """Higher-order graph convolution mixing powers of the adjacency."""

    Config = MixHopConfig
    supported_tasks = ("node_classification",)

    def __init__(self, config: MixHopConfig, sizes: ModelSizes):
        super().__init__(config, sizes)
        widths = [sizes.in_features] + [config.hidden_size] * (config.num_layers - 1)
        per_power = config.hidden_size // (config.max_power + 1)
        self.layers = nn.ModuleList(MixHopConv(size, per_power, config.max_power) for size in widths)
        self.output = nn.Linear(config.hidden_size, sizes.out_features)

    def forward(self, graph, x: torch.Tensor) -> torch.Tensor:
        x = dropout(x, self.config.input_dropout, self.training)
        for layer in self.layers:
            x = dropout(F.relu(layer(graph, x)), self.config.dropout, self.training)
        return self.output(x)
