"""GAT: "Graph Attention Networks", Velickovic et al., ICLR 2018.

Per layer and head k (eq. 1-4): e_ij = LeakyReLU(a^k . [W^k h_i || W^k h_j]),
alpha_ij = softmax_j(e_ij) over N(i) + {i}, h'_i = ELU(||_k sum_j alpha_ij^k W^k h_j).
The output layer averages `num_out_heads` heads instead of concatenating them (eq. 6).

Symbols: `H` = num_heads, each of `hidden_size / H` features (a hidden layer outputs
`hidden_size`), `L` = num_layers (the output layer included).
Dropout (`dropout`) on every layer's input and on the attention weights (`attn_dropout`).
Shapes: `x` `[N, F]` -> logits `[N, C]`. Mini-batches (`LayerWise`) sample blocks of the graph
with self loops; attention is then normalised over the kept edges.
Paper settings: Cora/CiteSeer 8 heads x 8 features (hidden_size 64), dropout 0.6, lr 0.005,
weight decay 5e-4; PubMed 8 output heads, lr 0.01, weight decay 1e-3.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from cogdl.config import Divisible, Interval
from cogdl.models.base import LayerWise, Model, ModelSizes, SparseInput, stacked_forward, stacked_layer
from cogdl.nn import GATConv
from cogdl.registry import register_model


@dataclass
class GATConfig:
    hidden_size: int = field(default=64, metadata={"help": "width of every hidden layer (all heads together)"})
    num_heads: int = field(default=8, metadata={"help": "attention heads in hidden layers"})
    num_out_heads: int = field(default=1, metadata={"help": "attention heads averaged in the output layer"})
    num_layers: int = field(default=2, metadata={"help": "number of GAT layers"})
    dropout: float = field(default=0.6, metadata={"help": "dropout on each layer's input"})
    attn_dropout: float = field(default=0.6, metadata={"help": "dropout on the attention coefficients"})
    value_dropout: float = field(default=0.0, metadata={"help": "dropout on the projected features that are aggregated (authors' code: 0.6)"})
    negative_slope: float = field(default=0.2, metadata={"help": "LeakyReLU slope of the attention scores"})

    constraints = {
        "hidden_size": Interval(1), "num_heads": Interval(1), "num_out_heads": Interval(1), "num_layers": Interval(1),
        "dropout": Interval(0.0, 1.0, open_high=True), "attn_dropout": Interval(0.0, 1.0, open_high=True),
        "value_dropout": Interval(0.0, 1.0, open_high=True),
        "negative_slope": Interval(0.0),
    }
    rules = (Divisible("hidden_size", "num_heads"),)


@register_model("gat")
class GAT(Model, SparseInput, LayerWise):
    """Velickovic et al.'s GAT for node classification."""

    Config = GATConfig
    supported_tasks = ("node_classification", "hetero_node_classification", "hetero_link_prediction",
                       "link_prediction")

    def __init__(self, config: GATConfig, sizes: ModelSizes):
        super().__init__(config, sizes)
        c = config
        layers, width = [], sizes.in_features
        for _ in range(c.num_layers - 1):
            layers.append(GATConv(width, c.hidden_size // c.num_heads, c.num_heads, True, c.negative_slope,
                                  c.attn_dropout, value_dropout=c.value_dropout))
            width = c.hidden_size
        layers.append(GATConv(width, sizes.out_features, c.num_out_heads, False, c.negative_slope, c.attn_dropout,
                              value_dropout=c.value_dropout))
        self.layers = nn.ModuleList(layers)
        self.num_layers = c.num_layers

    def message_graph(self, graph):
        return graph.with_self_loops()

    def layer(self, k: int, graph, h: torch.Tensor) -> torch.Tensor:
        return stacked_layer(self.layers, k, graph, h, self.config.dropout, self.training, F.elu)

    def forward(self, graph, x: torch.Tensor) -> torch.Tensor:
        return stacked_forward(self.layers, graph, x, self.config.dropout, self.training, F.elu)
