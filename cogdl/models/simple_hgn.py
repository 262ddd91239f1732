"""Simple-HGN: "Are we really making much progress? Revisiting, benchmarking and refining
heterogeneous graph neural networks", Lv, Ding et al., KDD 2021, Section 6.

GAT with three changes for typed graphs (see `cogdl.nn.SimpleHGNConv` for the layer equation):
learnable edge-type embeddings in the attention score, residual connections on node
representations (hidden and output layers) and on attention (`beta`), and L2 normalisation of
the output:
    h^0 = typed input projection (task),  h^l = ELU(||_k SimpleHGNConv_k(h^{l-1})),  l = 1..L-1
    out = mean_k SimpleHGNConv_k(h^{L-1}) / ||.||_2          (node classification, `[N, C]`)
Link prediction uses `embed()`: the L2-normalised h^0, each hidden layer's head mean and the
output, concatenated (the authors' LP variant); a decoder of the task scores links from it.

Symbols: `L` = num_layers attention layers: L - 1 hidden layers of `num_heads` heads, each of
`hidden_size / num_heads` features, then one output layer (one head). Paper settings (HGB): 8 heads
of 64 (hidden_size 512), edge_dim 64, slope 0.05, beta 0.05, dropout 0.5, 2 hidden layers on DBLP
and ACM, 5 on IMDB.
NOTE: HGB's code counts hidden layers only (`--num-layers 2` builds three attention layers); our
`num_layers` counts every attention layer, as for every model here, so HGB's 2 is our 3.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from cogdl.config import Divisible, Interval
from cogdl.models.base import Model, ModelSizes, NodeEmbedder
from cogdl.nn import SimpleHGNConv
from cogdl.nn.functional import dropout
from cogdl.registry import register_model

EPSILON = 1e-12


@dataclass
class SimpleHGNConfig:
    hidden_size: int = field(default=512, metadata={"help": "width of every hidden layer (all heads together)"})
    num_heads: int = field(default=8, metadata={"help": "attention heads in hidden layers"})
    num_layers: int = field(default=3, metadata={"help": "attention layers, the one-head output layer included"})
    edge_dim: int = field(default=64, metadata={"help": "width of the edge-type embedding"})
    dropout: float = field(default=0.5, metadata={"help": "dropout on each layer's input"})
    attn_dropout: float = field(default=0.5, metadata={"help": "dropout on the attention coefficients"})
    negative_slope: float = field(default=0.05, metadata={"help": "LeakyReLU slope of the attention scores"})
    beta: float = field(default=0.05, metadata={"help": "weight of the previous layer's attention (residual attention)"})
    residual: bool = field(default=True, metadata={"help": "residual connections on node representations"})

    constraints = {
        "hidden_size": Interval(1), "num_heads": Interval(1), "num_layers": Interval(2), "edge_dim": Interval(1),
        "dropout": Interval(0.0, 1.0, open_high=True), "attn_dropout": Interval(0.0, 1.0, open_high=True),
        "negative_slope": Interval(0.0), "beta": Interval(0.0, 1.0),
    }
    rules = (Divisible("hidden_size", "num_heads"),)


def l2_normalize(x: torch.Tensor) -> torch.Tensor:
    return x / x.norm(dim=-1, keepdim=True).clamp(min=EPSILON)


@register_model("simple_hgn")
class SimpleHGN(Model, NodeEmbedder):
    """Simple-HGN on a typed graph (`graph.edge_type`)."""

    Config = SimpleHGNConfig
    supported_tasks = ("hetero_node_classification", "hetero_link_prediction")

    def __init__(self, config: SimpleHGNConfig, sizes: ModelSizes):
        super().__init__(config, sizes)
        c = config
        width, layers = sizes.in_features, []
        for k in range(c.num_layers - 1):
            layers.append(SimpleHGNConv(width, c.hidden_size // c.num_heads, c.num_heads, sizes.num_edge_types,
                                        c.edge_dim, c.negative_slope, c.attn_dropout, residual=c.residual and k > 0,
                                        beta=c.beta))
            width = c.hidden_size
        layers.append(SimpleHGNConv(width, sizes.out_features, 1, sizes.num_edge_types, c.edge_dim,
                                    c.negative_slope, c.attn_dropout, residual=c.residual, beta=c.beta))
        self.layers = nn.ModuleList(layers)
        self.embedding_dim = sizes.in_features + (c.num_layers - 1) * (c.hidden_size // c.num_heads) + sizes.out_features

    def _layers(self, graph, x: torch.Tensor, keep_attention_for_output: bool):
        """Yield each hidden layer's `[N, H, D]` output, then the output layer's `[N, C]`."""
        attention = None
        for layer in self.layers[:-1]:
            h, attention = layer(graph, dropout(x, self.config.dropout, self.training), attention)
            h = F.elu(h)
            yield h
            x = h.flatten(1)
        previous = attention if keep_attention_for_output else None
        out, _ = self.layers[-1](graph, dropout(x, self.config.dropout, self.training), previous,
                                 return_attention=False)
        yield out.mean(1)

    def forward(self, graph, x: torch.Tensor) -> torch.Tensor:
        *_, out = self._layers(graph, x, keep_attention_for_output=False)
        return l2_normalize(out)

    def embed(self, graph, x: torch.Tensor) -> torch.Tensor:
        """`[N, embedding_dim]`: normalised input, hidden head means and output, concatenated."""
        parts = [l2_normalize(x)]
        for k, h in enumerate(self._layers(graph, x, keep_attention_for_output=True)):
            parts.append(l2_normalize(h.mean(1) if k < self.config.num_layers - 1 else h))
        return torch.cat(parts, 1)
