"""GCNII: "Simple and Deep Graph Convolutional Networks", Chen, Wei, Huang, Ding & Li, ICML 2020.

    H^0 = ReLU(dropout(X) W_in + b_in)
    H^l = ReLU(GCNII_l(dropout(H^{l-1}), H^0)),  l = 1..L,   beta_l = log(lambda / l + 1)   (eq. 5)
    logits = dropout(H^L) W_out + b_out

Symbols: `GCNII_l` the layer of `cogdl.nn.GCNIIConv` (initial residual `alpha`, identity mapping
`beta_l`), `L` = num_layers. The paper's Cora setting: 64 layers of 64, alpha 0.1, lambda 0.5,
dropout 0.6; the default here is 16 layers (a quarter of the cost; set num_layers=64 for the paper's).
`variant` selects GCNII* (eq. 6, the authors' `--variant`), whose results their README reports on
the heterophily sets, read as directed graphs (the `<name>-directed` datasets). Weight decay as the paper's code (chennnM/GCNII `train.py`): `conv_weight_decay` (0.01) on the
GCNII layers' W_l, the task's `weight_decay` (5e-4) on W_in, b_in, W_out, b_out.
Shapes: `x` `[N, F]` -> logits `[N, C]`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from cogdl.config import Interval
from cogdl.models.base import Model, ModelSizes, SparseInput
from cogdl.nn import GCNIIConv, gcnii_beta
from cogdl.nn.functional import dropout, project
from cogdl.registry import register_model


@dataclass
class GCNIIConfig:
    hidden_size: int = field(default=64, metadata={"help": "width of every layer"})
    num_layers: int = field(default=16, metadata={"help": "GCNII layers between the input and output linear layers"})
    dropout: float = field(default=0.6, metadata={"help": "dropout probability on each layer's input"})
    alpha: float = field(default=0.1, metadata={"help": "weight of the initial residual H^0"})
    lmbda: float = field(default=0.5, metadata={"help": "lambda of the identity-mapping weight beta_l = log(lambda / l + 1)"})
    conv_weight_decay: float = field(default=0.01, metadata={"help": "L2 weight decay of the GCNII layers (the dense layers take the task's weight_decay)"})
    variant: bool = field(default=False, metadata={"help": "GCNII* (eq. 6): separate weights for the smoothed input and the initial residual"})

    constraints = {"hidden_size": Interval(1), "num_layers": Interval(1), "dropout": Interval(0.0, 1.0, open_high=True),
                   "alpha": Interval(0.0, 1.0), "lmbda": Interval(0.0), "conv_weight_decay": Interval(0.0)}


@register_model("gcnii")
class GCNII(Model, SparseInput):
    """Deep GCN with initial residual and identity mapping."""

    Config = GCNIIConfig
    supported_tasks = ("node_classification",)

    def __init__(self, config: GCNIIConfig, sizes: ModelSizes):
        super().__init__(config, sizes)
        self.input = nn.Linear(sizes.in_features, config.hidden_size)
        self.convs = nn.ModuleList(GCNIIConv(config.hidden_size, config.alpha, config.variant)
                                   for _ in range(config.num_layers))
        self.output = nn.Linear(config.hidden_size, sizes.out_features)

    def parameter_groups(self, weight_decay: float) -> list[dict]:
        dense = [*self.input.parameters(), *self.output.parameters()]
        return [{"params": list(self.convs.parameters()), "weight_decay": self.config.conv_weight_decay},
                {"params": dense, "weight_decay": weight_decay}]

    def forward(self, graph, x: torch.Tensor) -> torch.Tensor:
        p, training = self.config.dropout, self.training
        h0 = F.relu(project(dropout(x, p, training), self.input.weight) + self.input.bias)
        h = h0
        for layer, conv in enumerate(self.convs, start=1):
            h = F.relu(conv(graph, dropout(h, p, training), h0, gcnii_beta(self.config.lmbda, layer)))
        return self.output(dropout(h, p, training))
