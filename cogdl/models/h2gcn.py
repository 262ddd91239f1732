"""H2GCN: "Beyond Homophily in Graph Neural Networks: Current Limitations and Effective Designs",
Zhu, Yan, Zhao, Heimann, Akoglu & Koutra, NeurIPS 2020 (sec. 3.2, eq. 4-8).

Matrix form:
    R^(0) = ReLU(X W_e)                                      ego embedding (D1)
    R^(k) = [ Â_1 R^(k-1) || Â_2 R^(k-1) ],  k = 1..K        1- and 2-hop aggregation, no ReLU (D1, D2)
    R     = [ R^(0) || R^(1) || ... || R^(K) ]               combined intermediate representations (D3)
    logits = dropout(R) W_c + b_c
Per node:  r_i^(k) = [ sum_{j in N̄_1(i)} r_j^(k-1) / sqrt(d_1(i) d_1(j)) ||
                       sum_{j in N̄_2(i)} r_j^(k-1) / sqrt(d_2(i) d_2(j)) ]

Symbols: `Â_1`, `Â_2` the symmetric-normalised exact 1- and 2-hop adjacencies without self loops
(`cogdl.nn.hop_graphs`), so a node's own features enter only through R^(0) (design D1: ego and
neighbour embeddings kept apart); `W_e` `[F, p]` without bias, p = hidden_size; `K` = num_layers
rounds (H2GCN-1: 1, H2GCN-2: 2); R is `(2^(K+1) - 1) p` wide; `W_c` `[(2^(K+1) - 1) p, C]`.
`embedding_activation` false drops the ReLU of R^(0) (the authors' grid tries both); `dropout` acts
on R only, as the authors' network setup `M64-R-T1-G-V-T2-G-V-C1-C2-D0.5-MO` places it.
NOTE: the authors' l2 regulariser `lambda * ||W||^2` adds `2 lambda W` to the gradient; our
`weight_decay` adds `wd * W`, so their 5e-4 and 1e-5 are weight_decay 1e-3 and 2e-5.
Shapes: `x` `[N, F]` (dense or sparse) -> logits `[N, C]`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from cogdl.config import Interval
from cogdl.models.base import Model, ModelSizes, SparseInput
from cogdl.nn.functional import dropout, project
from cogdl.nn.hop_graphs import exact_hop_graphs
from cogdl.ops import spmm
from cogdl.registry import register_model


@dataclass
class H2GCNConfig:
    hidden_size: int = field(default=64, metadata={"help": "width p of the ego embedding R^(0)"})
    num_layers: int = field(default=2, metadata={"help": "aggregation rounds K (H2GCN-1: 1, H2GCN-2: 2)"})
    dropout: float = field(default=0.5, metadata={"help": "dropout on the combined representation R"})
    embedding_activation: bool = field(default=True, metadata={"help": "ReLU on the ego embedding R^(0)"})

    constraints = {"hidden_size": Interval(1), "num_layers": Interval(1), "dropout": Interval(0.0, 1.0, open_high=True)}


def h2gcn_rounds(graph, r0: torch.Tensor, rounds: int) -> list[torch.Tensor]:
    """`[R^(0), R^(1), ..., R^(K)]`: each round concatenates the 1- and 2-hop aggregations of the last."""
    hop_graphs = exact_hop_graphs(graph, 2)
    out = [r0]
    for _ in range(rounds):
        out.append(torch.cat([spmm(hop, out[-1], weight) for hop, weight in hop_graphs], dim=1))
    return out


@register_model("h2gcn")
class H2GCN(Model, SparseInput):
    """Ego embedding, K rounds of separate 1- and 2-hop aggregation, all rounds concatenated."""

    Config = H2GCNConfig
    supported_tasks = ("node_classification",)

    def __init__(self, config: H2GCNConfig, sizes: ModelSizes):
        super().__init__(config, sizes)
        self.embed = nn.Linear(sizes.in_features, config.hidden_size, bias=False)
        self.classify = nn.Linear((2 ** (config.num_layers + 1) - 1) * config.hidden_size, sizes.out_features)

    def forward(self, graph, x):
        r0 = project(x, self.embed.weight)
        if self.config.embedding_activation:
            r0 = torch.relu(r0)
        combined = torch.cat(h2gcn_rounds(graph, r0, self.config.num_layers), dim=1)
        return self.classify(dropout(combined, self.config.dropout, self.training))
