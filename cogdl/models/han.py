"""HAN: "Heterogeneous Graph Attention Network", Wang, Ji, Shi, Wang, Cui, Yu & Ye, WWW 2019.

On the target nodes `V` of a typed graph (`ModelSizes.target_type`):

    h^0 = x_V,   h^l = HANConv^l(M_{P_1..P_m}, dropout(h^{l-1})),   out = h^L W_o + b_o

where each `HANConv` (`cogdl.nn.HANConv`, eq. (1)-(9)) runs one GAT per metapath graph `M_P`
(`cogdl.nn.relations`) and mixes them by semantic attention. Rows of other node types are 0.

Metapaths: `metapaths` lists edge-type ids, e.g. HGB's HAN uses APA, APTPA, APCPA on DBLP
(`0-3,0-1-4-3,0-2-5-3`), MDM, MAM, MKM on IMDB (`0-1,2-3,4-5`) and PPSP (both citation
directions), PAP, PSP, PTP on ACM (`0-4-5,1-4-5,2-3,4-5,6-7`). Empty (the default): T-T where the
target type links to itself, and T-U-T for every type U it links with.
Paper settings (and HGB's, `NC/benchmark/methods/HAN`): one layer, 8 heads of 8, dropout 0.6 on
inputs and attention, semantic attention width 128, lr 0.005, weight decay 0.001.
Shapes: typed graph with `N` nodes, `x` `[N, F]` -> `[N, C]`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from cogdl.config import Interval
from cogdl.errors import ConfigError
from cogdl.models.base import Model, ModelSizes
from cogdl.nn.functional import dropout
from cogdl.nn.han_conv import HANConv
from cogdl.nn.relations import (check_metapath, metapath_graph, parse_metapaths, type_metapath_graph,
                                type_metapath_neighbours, type_rows)
from cogdl.registry import register_model


@dataclass
class HANConfig:
    hidden_size: int = field(default=8, metadata={"help": "width of each attention head"})
    num_heads: int = field(default=8, metadata={"help": "node-level attention heads"})
    num_layers: int = field(default=1, metadata={"help": "HAN layers before the output layer"})
    dropout: float = field(default=0.6, metadata={"help": "dropout on each layer's input"})
    attn_dropout: float = field(default=0.6, metadata={"help": "dropout on the node-level attention coefficients"})
    semantic_hidden: int = field(default=128, metadata={"help": "width of the semantic-level attention"})
    metapaths: str = field(default="", metadata={
        "help": "edge-type ids per metapath, e.g. 0-3,0-1-4-3 (empty: T-T and T-U-T by node types)"})

    constraints = {"hidden_size": Interval(1), "num_heads": Interval(1), "num_layers": Interval(1),
                   "dropout": Interval(0.0, 1.0, open_high=True), "attn_dropout": Interval(0.0, 1.0, open_high=True),
                   "semantic_hidden": Interval(1)}


@register_model("han")
class HAN(Model):
    """Wang et al.'s HAN for node classification on a typed graph."""

    Config = HANConfig
    supported_tasks = ("hetero_node_classification",)

    def __init__(self, config: HANConfig, sizes: ModelSizes):
        super().__init__(config, sizes)
        if sizes.target_type is None:
            raise ConfigError("model han: the task names no target node type")
        self.paths = parse_metapaths(config.metapaths, "model han: metapaths")
        for path in self.paths:
            check_metapath(sizes.schema, path, sizes.target_type, "model han: metapaths")
        self.neighbour_types = [] if self.paths else type_metapath_neighbours(sizes.schema, sizes.target_type)
        count = len(self.paths) or len(self.neighbour_types)
        if count == 0:
            raise ConfigError(f"model han: node type {sizes.target_type} links to no node type and back; "
                              f"give metapaths")
        width = config.hidden_size * config.num_heads
        self.layers = nn.ModuleList(
            HANConv(sizes.in_features if k == 0 else width, config.hidden_size, config.num_heads, count,
                    config.attn_dropout, semantic_hidden=config.semantic_hidden) for k in range(config.num_layers))
        self.output = nn.Linear(width, sizes.out_features)

    def metapath_graphs(self, graph) -> tuple[list, torch.Tensor]:
        """The metapath graphs on the target nodes (cached on `graph`), and the target rows."""
        target = self.sizes.target_type
        rows = type_rows(graph, self.sizes.num_node_types)[target]
        if self.paths:
            return [metapath_graph(graph, path, rows) for path in self.paths], rows
        return [type_metapath_graph(graph, target, other, rows) for other in self.neighbour_types], rows

    def forward(self, graph, x: torch.Tensor) -> torch.Tensor:
        graphs, rows = self.metapath_graphs(graph)
        h = x[rows]
        for layer in self.layers:
            h = layer(graphs, dropout(h, self.config.dropout, self.training))
        out = x.new_zeros(graph.num_nodes, self.sizes.out_features)
        return out.index_copy(0, rows, self.output(h))
