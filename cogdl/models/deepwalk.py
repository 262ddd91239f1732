"""DeepWalk: skip-gram over uniform random walks.

Perozzi, Al-Rfou & Skiena, "DeepWalk: Online Learning of Social Representations", KDD 2014.
From every node start `walks_per_node` truncated random walks of `walk_length` nodes (gamma and t
in the paper); treat each walk as a sentence and train skip-gram with hierarchical softmax
(`cogdl.nn.skipgram`) over a `window`-sized context w:
    max_Phi  sum_walks sum_{u_i} sum_{-w <= j <= w, j != 0} log Pr(u_{i+j} | Phi(u_i)).
Defaults are the paper's BlogCatalog settings (d = 128, gamma = 80, t = 40, w = 10).
Walks are uniform over the neighbours (`weighted=true`: in proportion to edge weights) and run in
`cogdl.ops.walks` (seeded: the walks of a seed repeat).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from cogdl.config import Interval
from cogdl.nn.skipgram import skipgram
from cogdl.ops.walks import random_walks
from cogdl.models.shallow import ShallowEmbeddingModel
from cogdl.registry import register_model


@dataclass
class DeepWalkConfig:
    embedding_dim: int = field(default=128, metadata={"help": "width d of each node's vector"})
    walk_length: int = field(default=40, metadata={"help": "nodes per walk (t)"})
    walks_per_node: int = field(default=80, metadata={"help": "walks started at every node (gamma)"})
    window: int = field(default=10, metadata={"help": "skip-gram context window (w)"})
    negative: int = field(default=0, metadata={"help": "negative samples per pair; 0: hierarchical softmax (the paper's)"})
    epochs: int = field(default=1, metadata={"help": "skip-gram passes over the walks"})
    weighted: bool = field(default=False, metadata={"help": "walk in proportion to edge weights (false: uniformly, the paper's)"})
    workers: int = field(default=1, metadata={"help": "skip-gram threads: 1 repeats the vectors exactly; 0: every core, faster, not bit-reproducible"})

    constraints = {"embedding_dim": Interval(1), "walk_length": Interval(2), "walks_per_node": Interval(1),
                   "window": Interval(1), "negative": Interval(0), "epochs": Interval(1), "workers": Interval(0)}


def walk_embeddings(graph, config, seed: int, p: float = 1.0, q: float = 1.0) -> torch.Tensor:
    """Skip-gram vectors of `walks_per_node` walks from every node (node2vec-biased unless p = q = 1)."""
    starts = torch.arange(graph.num_nodes).repeat(config.walks_per_node)
    weight = graph.edge_weight if config.weighted else None
    walks = random_walks(graph.rowptr, graph.col, starts, config.walk_length, p, q, seed, edge_weight=weight).numpy()
    vectors = skipgram(walks, graph.num_nodes, config.embedding_dim, config.window, config.negative, config.epochs,
                       config.workers, seed, hierarchical_softmax=config.negative == 0)
    return torch.from_numpy(np.ascontiguousarray(vectors))


@register_model("deepwalk")
class DeepWalk(ShallowEmbeddingModel):
    """Skip-gram (hierarchical softmax) over uniform truncated random walks."""

    Config = DeepWalkConfig

    def fit_embed(self, graph, seed: int) -> torch.Tensor:
        return walk_embeddings(graph, self.config, seed)
