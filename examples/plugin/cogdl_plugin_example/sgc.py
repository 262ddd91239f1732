"""SGC: "Simplifying Graph Convolutional Networks", Wu et al., ICML 2019.

Matrix form:  Y = softmax(Â^K X W),   Â = D^{-1/2} (A + I) D^{-1/2}
Per node:     h_i^{k+1} = sum_{j in N(i) + {i}} h_j^k / sqrt(d_i d_j),  logits_i = h_i^K W + b

Symbols: `K` = num_hops propagation steps without non-linearity, `W` `[F, C]`.
Shapes: `x` `[N, F]` -> logits `[N, C]`.
NOTE: `W` is applied before the K propagation steps (Â^K (X W) = (Â^K X) W), so propagation
runs on C columns instead of F.
"""

from dataclasses import dataclass, field

from torch import nn

from cogdl.config import Interval
from cogdl.models.base import Model, ModelSizes
from cogdl.nn import gcn_norm
from cogdl.nn.functional import dropout, project
from cogdl.ops import spmm


@dataclass
class SGCConfig:
    num_hops: int = field(default=2, metadata={"help": "propagation steps K"})
    dropout: float = field(default=0.0, metadata={"help": "dropout on the input features"})

    constraints = {"num_hops": Interval(0), "dropout": Interval(0.0, 1.0, open_high=True)}


class SGC(Model):
    """Wu et al.'s simplified GCN: K propagation steps, then one linear layer."""

    Config = SGCConfig
    supported_tasks = ("node_classification",)

    def __init__(self, config: SGCConfig, sizes: ModelSizes):
        super().__init__(config, sizes)
        self.linear = nn.Linear(sizes.in_features, sizes.out_features)

    def forward(self, graph, x):
        h = project(dropout(x, self.config.dropout, self.training), self.linear.weight)
        looped, weight = gcn_norm(graph)
        for _ in range(self.config.num_hops):
            h = spmm(looped, h, weight)
        return h + self.linear.bias
