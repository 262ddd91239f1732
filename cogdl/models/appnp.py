"""APPNP: "Predict then Propagate: Graph Neural Networks meet Personalized PageRank", Klicpera,
Bojchevski & Günnemann, ICLR 2019.

    H = MLP(X),   Z = APPNP_K(H) = alpha (I - (1 - alpha) Â)^{-1} H, by K power iterations (eq. 3-4)

Symbols: the MLP is `cogdl.models.mlp` (dropout on every layer's input, ReLU between layers),
`Â = D^{-1/2} (A + I) D^{-1/2}`, `alpha` the teleport probability, `K` = `num_iterations`
(`cogdl.nn.appnp_propagate`). The paper's setting: 2 layers of 64, dropout 0.5, alpha 0.1, K 10.
NOTE: the paper also drops adjacency entries (dropout 0.5 on Â) in every iteration; we propagate
over the whole Â.
Shapes: `x` `[N, F]` -> logits `[N, C]`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from cogdl.config import Interval
from cogdl.models.base import Model, ModelSizes, SparseInput
from cogdl.models.mlp import MLP, MLPConfig
from cogdl.nn import appnp_propagate
from cogdl.registry import register_model


@dataclass
class APPNPConfig:
    hidden_size: int = field(default=64, metadata={"help": "width of the MLP's hidden layers"})
    num_layers: int = field(default=2, metadata={"help": "linear layers of the MLP"})
    dropout: float = field(default=0.5, metadata={"help": "dropout probability on each MLP layer's input"})
    alpha: float = field(default=0.1, metadata={"help": "teleport (restart) probability"})
    num_iterations: int = field(default=10, metadata={"help": "power iterations K of the propagation"})

    constraints = {"hidden_size": Interval(1), "num_layers": Interval(1), "dropout": Interval(0.0, 1.0, open_high=True),
                   "alpha": Interval(0.0, 1.0), "num_iterations": Interval(0)}


@register_model("appnp")
class APPNP(Model, SparseInput):
    """An MLP's predictions propagated by approximate personalised PageRank."""

    Config = APPNPConfig
    supported_tasks = ("node_classification",)

    def __init__(self, config: APPNPConfig, sizes: ModelSizes):
        super().__init__(config, sizes)
        self.mlp = MLP(MLPConfig(config.hidden_size, config.num_layers, config.dropout), sizes)

    def forward(self, graph, x: torch.Tensor) -> torch.Tensor:
        return appnp_propagate(graph, self.mlp(graph, x), self.config.alpha, self.config.num_iterations)
