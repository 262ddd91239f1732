"""node2vec: skip-gram with negative sampling over second-order biased random walks.

Grover & Leskovec, "node2vec: Scalable Feature Learning for Networks", KDD 2016.
Having stepped t -> v, the walk moves to a neighbour x of v with probability proportional to
    alpha_pq(t, x) w_vx,   alpha_pq(t, x) = 1/p if d(t, x) = 0,   1 if d(t, x) = 1,   1/q if d(t, x) = 2
(p: return, q: in-out; `cogdl.ops.walks`); then skip-gram with negative sampling,
    max_f sum_u [ -log Z_u + sum_{n in N_S(u)} f(n) . f(u) ],   Z_u approximated by negative samples.
Defaults are the paper's (d = 128, r = 10 walks per node, l = 80, k = 10, one epoch); p and q were
tuned per dataset over {0.25, 0.5, 1, 2, 4} in the paper.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from cogdl.config import Interval
from cogdl.models.deepwalk import DeepWalkConfig, walk_embeddings
from cogdl.models.shallow import ShallowEmbeddingModel
from cogdl.registry import register_model


@dataclass
class Node2VecConfig(DeepWalkConfig):
    walk_length: int = field(default=80, metadata={"help": "nodes per walk (l)"})
    walks_per_node: int = field(default=10, metadata={"help": "walks started at every node (r)"})
    negative: int = field(default=5, metadata={"help": "negative samples per pair; 0: hierarchical softmax"})
    weighted: bool = field(default=True, metadata={"help": "steps in proportion to edge weights, as the authors' code (false: ignore them)"})
    p: float = field(default=1.0, metadata={"help": "return parameter: weight 1/p to step back to the previous node"})
    q: float = field(default=1.0, metadata={"help": "in-out parameter: weight 1/q to move two hops from the previous node"})

    constraints = {**DeepWalkConfig.constraints, "p": Interval(0.0, open_low=True), "q": Interval(0.0, open_low=True)}


@register_model("node2vec")
class Node2Vec(ShallowEmbeddingModel):
    """Skip-gram (negative sampling) over node2vec's p, q-biased random walks."""

    Config = Node2VecConfig

    def fit_embed(self, graph, seed: int) -> torch.Tensor:
        return walk_embeddings(graph, self.config, seed, self.config.p, self.config.q)
