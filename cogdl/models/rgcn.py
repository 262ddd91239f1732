"""R-GCN: "Modeling Relational Data with Graph Convolutional Networks", Schlichtkrull et al.,
ESWC 2018 (eq. 2-3; the layer is `cogdl.nn.RGCNConv`):

    h^{l+1}_i = sigma(W_0^l h^l_i + sum_r sum_{j in N_r(i)} (1/|N_r(i)|) W_r^l h^l_j)

on the typed graph of a heterogeneous dataset, one relation per edge type (forward, reverse and
self-loop types of `HeteroGraph.to_homogeneous()`). Dropout on each layer's input, ReLU between
layers. Shapes: `x` `[N, F]` -> `[N, C]`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from cogdl.config import Interval
from cogdl.models.base import Model, ModelSizes, stacked_forward
from cogdl.nn import RGCNConv
from cogdl.registry import register_model


@dataclass
class RGCNConfig:
    hidden_size: int = field(default=64, metadata={"help": "width of every hidden layer"})
    num_layers: int = field(default=2, metadata={"help": "number of R-GCN layers (the last one outputs classes)"})
    num_bases: int = field(default=0, metadata={"help": "shared basis matrices (0: one matrix per relation)"})
    dropout: float = field(default=0.5, metadata={"help": "dropout on each layer's input"})

    constraints = {"hidden_size": Interval(1), "num_layers": Interval(1), "num_bases": Interval(0),
                   "dropout": Interval(0.0, 1.0, open_high=True)}


@register_model("rgcn")
class RGCN(Model):
    """Schlichtkrull et al.'s R-GCN for heterogeneous node classification and link prediction."""

    Config = RGCNConfig
    supported_tasks = ("hetero_node_classification", "hetero_link_prediction")

    def __init__(self, config: RGCNConfig, sizes: ModelSizes):
        super().__init__(config, sizes)
        widths = [sizes.in_features] + [config.hidden_size] * (config.num_layers - 1) + [sizes.out_features]
        self.layers = nn.ModuleList(RGCNConv(i, o, sizes.num_edge_types, config.num_bases)
                                    for i, o in zip(widths[:-1], widths[1:]))

    def forward(self, graph, x: torch.Tensor) -> torch.Tensor:
        return stacked_forward(self.layers, graph, x, self.config.dropout, self.training)
