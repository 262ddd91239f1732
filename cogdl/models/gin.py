"""GIN: "How Powerful are Graph Neural Networks?", Xu, Hu, Leskovec & Jegelka, ICLR 2019.

Node update (eq. 4.1), layer k = 1 .. L, with dropout (`dropout`) on each layer's input:
    h_i^k = ReLU(BN(MLP^k((1 + eps) h_i^{k-1} + sum_{j in N(i)} h_j^{k-1})))
Graph readout (eq. 4.2), over every layer including the input h^0 = x:
    score(G) = sum_{k=0}^{L} Dropout(W_k POOL({h_i^k : i in G}) + b_k)     (`readout_dropout`)

Symbols: `L` = num_layers GIN layers, `MLP` two linear layers with batch norm (`gin_mlp`), `POOL`
sum (the paper), mean or max.
NOTE: the paper counts the input as a layer (its L = 5 is four GIN layers, our num_layers = 4), and
its dropout acts on the readout's scores only (our `readout_dropout`; `dropout` defaults to 0).
`input_mlp` is the GIN of Errica et al. ("A Fair Comparison of Graph Neural Networks for Graph
Classification", ICLR 2020; their `GIN.py`): h^0 = ReLU(BN(W_2 ReLU(BN(W_1 x)))) embeds the input
first, and the readout reads h^0 instead of x; their `hidden_units: [64, 64, 64, 64]` is four GIN
layers of width 64 after it. NOTE: their code pools layer 0's scores (POOL(W_0 h^0)) where we score
the pooled h^0 (the same for mean pooling; with sum the bias counts once per graph, not per node),
and applies layer 0's dropout in evaluation too (`F.dropout` without `training`); we do not.
Shapes: the disjoint union of B graphs, `x` `[N, F]`, `graph_index` `[N]` -> logits `[B, C]`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from cogdl.config import Choice, Interval
from cogdl.models.base import GraphLevel, Model, ModelSizes
from cogdl.nn import GINConv, gin_mlp, global_pool
from cogdl.nn.functional import dropout
from cogdl.nn.pooling import POOLINGS
from cogdl.registry import register_model


@dataclass
class GINConfig:
    hidden_size: int = field(default=64, metadata={"help": "width of every GIN layer"})
    num_layers: int = field(default=4, metadata={"help": "GIN layers (the paper's L = 5 counts the input too)"})
    dropout: float = field(default=0.0, metadata={"help": "dropout on each GIN layer's input"})
    readout_dropout: float = field(default=0.5, metadata={"help": "dropout on each layer's readout score (the paper's)"})
    pooling: str = field(default="sum", metadata={"help": "graph readout: sum (the paper), mean or max"})
    train_eps: bool = field(default=False, metadata={"help": "learn eps (GIN-eps) instead of fixing it at 0 (GIN-0)"})
    input_mlp: bool = field(default=False, metadata={"help": "embed x with a 2-layer MLP before the GIN layers "
                                                             "(Errica et al.'s GIN)"})

    constraints = {"hidden_size": Interval(1), "num_layers": Interval(1), "dropout": Interval(0.0, 1.0, open_high=True),
                   "readout_dropout": Interval(0.0, 1.0, open_high=True), "pooling": Choice(*POOLINGS)}


@register_model("gin")
class GIN(Model, GraphLevel):
    """GIN-0 / GIN-eps for graph classification, with a readout from every layer."""

    Config = GINConfig
    supported_tasks = ("graph_classification",)

    def __init__(self, config: GINConfig, sizes: ModelSizes):
        super().__init__(config, sizes)
        if config.input_mlp:
            self.embed = nn.Sequential(gin_mlp(sizes.in_features, config.hidden_size, config.hidden_size),
                                       nn.BatchNorm1d(config.hidden_size), nn.ReLU())
        first = config.hidden_size if config.input_mlp else sizes.in_features
        widths = [first] + [config.hidden_size] * config.num_layers
        self.convs = nn.ModuleList(GINConv(gin_mlp(i, config.hidden_size, config.hidden_size), train_eps=config.train_eps)
                                   for i in widths[:-1])
        self.norms = nn.ModuleList(nn.BatchNorm1d(config.hidden_size) for _ in widths[:-1])
        self.heads = nn.ModuleList(nn.Linear(w, sizes.out_features) for w in widths)

    def forward(self, graph, x: torch.Tensor, graph_index: torch.Tensor, num_graphs: int) -> torch.Tensor:
        layers = [self.embed(x) if self.config.input_mlp else x]
        for conv, norm in zip(self.convs, self.norms):
            layers.append(F.relu(norm(conv(graph, dropout(layers[-1], self.config.dropout, self.training)))))
        score = 0
        for h, head in zip(layers, self.heads):
            pooled = global_pool(h, graph_index, num_graphs, self.config.pooling)
            score = score + dropout(head(pooled), self.config.readout_dropout, self.training)
        return score
