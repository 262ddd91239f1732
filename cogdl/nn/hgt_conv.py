"""Heterogeneous graph transformer layer.

"Heterogeneous Graph Transformer", Hu, Dong, Wang & Sun, WWW 2020, eq. (1)-(5), as HGB's HGT
(`NC/benchmark/methods/HGT/model.py`, after DGL's example) computes it. For an edge e = (j -> i)
of edge type r, with tau(.) the node type and head k of `H`, width `d` each:

    K^k(j) = K-Linear^k_{tau(j)}(h_j),  Q^k(i) = Q-Linear^k_{tau(i)}(h_i),  V^k(j) = V-Linear^k_{tau(j)}(h_j)
    ATT^k(e) = softmax_{e' in E_r(i)} ( K^k(j) W^{ATT}_{r,k} Q^k(i)^T * mu_{r,k} / sqrt(d) )   eq. (3)
    MSG^k(e) = V^k(j) W^{MSG}_{r,k}                                                           eq. (4)
    m_i      = (1 / |R_{tau(i)}|) sum_r || _k sum_{e in E_r(i)} ATT^k(e) MSG^k(e)                eq. (5)
    h'_i     = LN_{tau(i)}( sigma(s_{tau(i)}) A-Linear_{tau(i)}(m_i) + (1 - sigma(s_{tau(i)})) h_i ), then dropout

Symbols: `E_r(i)` the links of type r into i, `R_t` the edge types that end at node type t,
`mu` `[R, H]` the relation priors (initially 1), `W^{ATT}`, `W^{MSG}` `[R, H, d, d]` (Xavier-uniform over
the whole tensor, fan-in H*d*d and fan-out R*d*d, as HGB's code initialises them), `s` `[T]` the skip gates,
`LN_t` a LayerNorm per node type (`use_norm`, else the identity).
NOTE: the paper normalises attention over all of i's links at once and sums the messages; HGB's
code (DGL's `multi_update_all(..., cross_reducer="mean")`) normalises per edge type and averages
the edge types, which is what we compute, as HGB's Table 3 numbers come from it. Self loops of the
typed graph are left out (HGB's graph has none; the skip gate carries a node's own state).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from cogdl.data.graph import Graph
from cogdl.nn.functional import dropout
from cogdl.nn.relations import relation_graphs, type_rows
from cogdl.ops import edge_softmax, sddmm, spmm


def per_type(modules: nn.ModuleList, x: torch.Tensor, rows: list[torch.Tensor]) -> torch.Tensor:
    """`modules[t]` applied to the rows of node type t, for every t (`rows`: each type's node ids)."""
    out = None
    for module, ids in zip(modules, rows):
        part = module(x[ids])
        out = (x.new_empty(x.shape[0], part.shape[1]) if out is None else out).index_copy(0, ids, part)
    return out


class HGTConv(nn.Module):
    """One HGT layer.

    Args:
        channels: input and output width (`H * d`).
        num_heads: heads `H`.
        num_node_types: node types `T`.
        schema: `(edge type, source type, destination type)` of the typed graph's links
            (`ModelSizes.schema`); edge types absent from it carry no messages.
        dropout: dropout on the layer's output (HGB: 0.2).
        use_norm: a LayerNorm per node type on the output.

    Shapes: typed graph with `N` nodes, `h` `[N, H*d]` -> `[N, H*d]`.
    """

    def __init__(self, channels: int, num_heads: int, num_node_types: int, schema, dropout: float = 0.2,
                 use_norm: bool = False):
        super().__init__()
        self.num_heads, self.head_dim, self.dropout = num_heads, channels // num_heads, dropout
        self.relations = sorted({r for r, _, _ in schema})
        into = torch.zeros(num_node_types)
        for r, dst in {(r, d) for r, _, d in schema}:
            into[dst] += 1
        self.register_buffer("relations_into_type", into.clamp(min=1), persistent=False)
        self.key, self.query, self.value, self.out = (
            nn.ModuleList(nn.Linear(channels, channels) for _ in range(num_node_types)) for _ in range(4))
        num_relations = max(self.relations, default=-1) + 1
        self.relation_prior = nn.Parameter(torch.ones(num_relations, num_heads))
        self.relation_att = nn.Parameter(torch.empty(num_relations, num_heads, self.head_dim, self.head_dim))
        self.relation_msg = nn.Parameter(torch.empty(num_relations, num_heads, self.head_dim, self.head_dim))
        self.skip = nn.Parameter(torch.ones(num_node_types))
        self.norms = nn.ModuleList(nn.LayerNorm(channels) for _ in range(num_node_types)) if use_norm else None
        for p in (self.relation_att, self.relation_msg):
            nn.init.xavier_uniform_(p)

    def forward(self, graph: Graph, h: torch.Tensor) -> torch.Tensor:
        rows = type_rows(graph, self.skip.numel())
        shape = (h.shape[0], self.num_heads, self.head_dim)
        key, query, value = (per_type(f, h, rows).view(shape) for f in (self.key, self.query, self.value))
        messages = torch.zeros_like(key)
        sub_graphs = relation_graphs(graph)
        for r in self.relations:
            sub = sub_graphs[r]
            transformed_key = torch.einsum("nhd,hde->nhe", key, self.relation_att[r])
            scores = sddmm(sub, query, transformed_key) * (self.relation_prior[r] / math.sqrt(self.head_dim))
            message = torch.einsum("nhd,hde->nhe", value, self.relation_msg[r])
            messages = messages + spmm(sub, message, edge_softmax(sub, scores))
        node_type = graph.node_type
        mixed = messages.reshape(h.shape) / self.relations_into_type[node_type].unsqueeze(1)
        gate = torch.sigmoid(self.skip)[node_type].unsqueeze(1)
        out = per_type(self.out, mixed, rows) * gate + h * (1 - gate)
        if self.norms is not None:
            out = per_type(self.norms, out, rows)
        return dropout(out, self.dropout, self.training)
