"""GCN: "Semi-Supervised Classification with Graph Convolutional Networks", Kipf & Welling, ICLR 2017.

Matrix form (two layers, eq. 9 of the paper):
    Z = softmax(Â ReLU(Â X W0) W1),    Â = D^{-1/2} (A + I) D^{-1/2}
Per node:  h_i^{l+1} = sigma(sum_{j in N(i) + {i}} h_j^l W_l / sqrt(d_i d_j))

Symbols: `X` `[N, F]` features, `W_l` layer weights, `d_i` degree with self loop, `L` = num_layers.
Dropout is applied to the input of every layer, as in the reference implementation. HGB's GCN
baseline (Lv, Ding et al., KDD 2021) uses ELU between layers (`activation=elu`) and begins with a
propagation that has no weight and no dropout before it (`input_propagation=true`):
    H^0 = sigma(Â X),  then the L weighted layers above on H^0.
NOTE: the layers add a learnable bias by default (as PyG's GCNConv); the paper's code
(`GraphConvolution(bias=False)` in tkipf/gcn) has none, so the paper's setting is `bias=false`.
Shapes: `x` `[N, F]` -> logits `[N, C]`. Mini-batches (`LayerWise`) sample blocks of `Â`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from cogdl.config import Choice, Interval
from cogdl.errors import ConfigError
from cogdl.models.base import LayerWise, Model, ModelSizes, SparseInput, stacked_forward, stacked_layer
from cogdl.nn import GCNConv, gcn_norm_graph, gcn_propagate
from cogdl.registry import register_model


ACTIVATIONS = {"relu": F.relu, "elu": F.elu}


@dataclass
class GCNConfig:
    hidden_size: int = field(default=64, metadata={"help": "width of every hidden layer"})
    num_layers: int = field(default=2, metadata={"help": "number of GCN layers (the last one outputs classes)"})
    dropout: float = field(default=0.5, metadata={"help": "dropout probability on each layer's input"})
    activation: str = field(default="relu", metadata={"help": "between layers: relu (the paper) or elu (HGB's GCN baseline)"})
    input_propagation: bool = field(default=False, metadata={"help": "first propagate the input without a weight, then the activation (HGB's GCN baseline)"})
    bias: bool = field(default=True, metadata={"help": "learnable bias in every layer (the paper's code has none)"})

    constraints = {"hidden_size": Interval(1), "num_layers": Interval(1), "dropout": Interval(0.0, 1.0, open_high=True),
                   "activation": Choice(*ACTIVATIONS)}


@register_model("gcn")
class GCN(Model, SparseInput, LayerWise):
    """Kipf & Welling's GCN for node classification."""

    Config = GCNConfig
    supported_tasks = ("node_classification", "hetero_node_classification", "hetero_link_prediction",
                       "link_prediction")

    def __init__(self, config: GCNConfig, sizes: ModelSizes):
        super().__init__(config, sizes)
        widths = [sizes.in_features] + [config.hidden_size] * (config.num_layers - 1) + [sizes.out_features]
        self.layers = nn.ModuleList(GCNConv(i, o, bias=config.bias) for i, o in zip(widths[:-1], widths[1:]))
        self.num_layers = config.num_layers

    def message_graph(self, graph):
        if self.config.input_propagation:
            raise ConfigError("gcn with input_propagation=true has a weightless first propagation that "
                              "mini-batches do not sample; train it full-batch (batch_size=0)")
        return gcn_norm_graph(graph)

    def layer(self, k: int, graph, h: torch.Tensor) -> torch.Tensor:
        return stacked_layer(self.layers, k, graph, h, self.config.dropout, self.training,
                             ACTIVATIONS[self.config.activation])

    def forward(self, graph, x: torch.Tensor) -> torch.Tensor:
        activation = ACTIVATIONS[self.config.activation]
        if self.config.input_propagation:
            x = activation(gcn_propagate(graph, x))
        return stacked_forward(self.layers, graph, x, self.config.dropout, self.training, activation)
