"""LINE: Large-scale Information Network Embedding, first- and second-order proximity.

Tang, Qu, Wang, Zhang, Yan & Mei, "LINE: Large-scale Information Network Embedding", WWW 2015.
Edges (i, j) are sampled in proportion to their weight, K negatives n per edge from
P_n(v) ∝ d_v^0.75, and asynchronous SGD minimises (eqs. 7-8 with negative sampling)
    first order:  -log sigma(u_j . u_i) - sum_K log sigma(-u_n . u_i)
    second order: -log sigma(c_j . u_i) - sum_K log sigma(-c_n . u_i)   (c: context vectors),
with the learning rate decayed linearly from rho_0 = 0.025 towards 0 over the samples. Each order
has embedding_dim / 2 columns; the embedding is both, each row L2-normalised, concatenated (the
paper's LINE(1st+2nd)). `order` 1 or 2 keeps one of them at full width.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from cogdl.config import Choice, Interval
from cogdl.errors import ConfigError
from cogdl.models.base import ModelSizes
from cogdl.models.shallow import ShallowEmbeddingModel
from cogdl.registry import register_model


@dataclass
class LINEConfig:
    embedding_dim: int = field(default=128, metadata={"help": "width d of each node's vector (both orders together)"})
    order: int = field(default=3, metadata={"help": "1: first order, 2: second order, 3: both, concatenated"})
    samples_per_node: int = field(default=1000, metadata={"help": "edge samples per node, for each order"})
    negative: int = field(default=5, metadata={"help": "negative samples K per edge"})
    batch_size: int = field(default=1024, metadata={"help": "edges per SGD step"})
    lr: float = field(default=0.025, metadata={"help": "starting learning rate rho_0, decayed linearly"})

    constraints = {"embedding_dim": Interval(1), "order": Choice(1, 2, 3), "samples_per_node": Interval(1),
                   "negative": Interval(1), "batch_size": Interval(1), "lr": Interval(0.0, open_low=True)}


def train_order(edges: torch.Tensor, edge_weight: torch.Tensor, num_nodes: int, dim: int, second: bool,
                config: LINEConfig, generator: torch.Generator) -> torch.Tensor:
    """`[N, dim]` vectors of one order, trained as in the module docstring."""
    vertex = nn.Embedding(num_nodes, dim, sparse=True)
    nn.init.uniform_(vertex.weight, -0.5 / dim, 0.5 / dim, generator=generator)
    context = nn.Embedding(num_nodes, dim, sparse=True) if second else vertex
    if second:
        nn.init.zeros_(context.weight)
    params = list(vertex.parameters()) + (list(context.parameters()) if second else [])
    optimizer = torch.optim.SGD(params, lr=config.lr)
    edge_mass = torch.cumsum(edge_weight.double(), 0)
    degree = torch.zeros(num_nodes, dtype=torch.float64).index_add_(0, edges[0], edge_weight.double())
    noise_mass = torch.cumsum(degree ** 0.75, 0)
    steps = max(1, config.samples_per_node * num_nodes // config.batch_size)
    for step in range(steps):
        optimizer.param_groups[0]["lr"] = config.lr * max(1e-4, 1.0 - step / steps)
        picked = torch.searchsorted(edge_mass, torch.rand(config.batch_size, generator=generator, dtype=torch.float64)
                                    * edge_mass[-1]).clamp(max=edges.shape[1] - 1)
        heads, tails = edges[0, picked], edges[1, picked]
        noise = torch.searchsorted(noise_mass, torch.rand(config.batch_size, config.negative, generator=generator,
                                                          dtype=torch.float64) * noise_mass[-1]).clamp(max=num_nodes - 1)
        u = vertex(heads)
        positive = (u * context(tails)).sum(-1)
        negative = torch.einsum("bd,bkd->bk", u, context(noise))
        loss = -(F.logsigmoid(positive).sum() + F.logsigmoid(-negative).sum())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return F.normalize(vertex.weight.detach(), dim=1)


@register_model("line")
class LINE(ShallowEmbeddingModel):
    """First- and second-order proximity embeddings by edge sampling and negative sampling."""

    Config = LINEConfig

    def __init__(self, config: LINEConfig, sizes: ModelSizes):
        super().__init__(config, sizes)
        if config.order == 3 and config.embedding_dim % 2:
            raise ConfigError(f"line: embedding_dim={config.embedding_dim} must be even with order=3 (two halves)")

    def fit_embed(self, graph, seed: int) -> torch.Tensor:
        generator = torch.Generator().manual_seed(seed)
        edges = torch.stack([graph.col, graph.row])  # (source, destination) of every directed edge
        weight = graph.edge_weight if graph.edge_weight is not None else torch.ones(graph.num_edges)
        orders = {1: [False], 2: [True], 3: [False, True]}[self.config.order]
        dim = self.config.embedding_dim // len(orders)
        return torch.cat([train_order(edges, weight, graph.num_nodes, dim, second, self.config, generator)
                          for second in orders], dim=1)
