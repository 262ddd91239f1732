"""The structure-agnostic baseline of Errica et al. for graph classification: a DeepSets model that
sees each graph as the multiset of its node features.

"A Fair Comparison of Graph Neural Networks for Graph Classification", Errica, Podda, Bacciu &
Micheli, ICLR 2020, sec. 5 ("Baselines", the social-set baseline; their `DeepMultisets.py`),
after "Deep Sets", Zaheer et al., NeurIPS 2017:

    score(G) = W_3 ReLU(W_2 sum_{i in G} ReLU(W_1 x_i + b_1) + b_2) + b_3

Symbols: `x_i` node i's features (for the social sets its degree), `W_1`, `W_2` of width
`hidden_size`. The edges are never read, so what a GNN scores above it is what the structure adds.
Shapes: the disjoint union of B graphs, `x` `[N, F]`, `graph_index` `[N]` -> logits `[B, C]`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from cogdl.config import Interval
from cogdl.models.base import GraphLevel, Model, ModelSizes
from cogdl.nn import global_pool
from cogdl.registry import register_model


@dataclass
class DeepMultisetsConfig:
    hidden_size: int = field(default=32, metadata={"help": "width of the node and graph layers"})

    constraints = {"hidden_size": Interval(1)}


@register_model("deep_multisets")
class DeepMultisets(Model, GraphLevel):
    """Node MLP, sum over each graph's nodes, graph MLP: graph classification without the edges."""

    Config = DeepMultisetsConfig
    supported_tasks = ("graph_classification",)

    def __init__(self, config: DeepMultisetsConfig, sizes: ModelSizes):
        super().__init__(config, sizes)
        self.node = nn.Linear(sizes.in_features, config.hidden_size)
        self.graph = nn.Linear(config.hidden_size, config.hidden_size)
        self.out = nn.Linear(config.hidden_size, sizes.out_features)

    def forward(self, graph, x: torch.Tensor, graph_index: torch.Tensor, num_graphs: int) -> torch.Tensor:
        pooled = global_pool(F.relu(self.node(x)), graph_index, num_graphs, "sum")
        return self.out(F.relu(self.graph(pooled)))
