"""APPNP propagation: "Predict then Propagate: Graph Neural Networks meet Personalized PageRank",
Klicpera, Bojchevski & Günnemann, ICLR 2019, eq. (3)-(4).

Matrix form:  Z^0 = H,   Z^{k+1} = (1 - alpha) Â Z^k + alpha H,   output Z^K
Per node:     z_i^{k+1} = (1 - alpha) sum_{j in N(i) + {i}} z_j^k / sqrt(d_i d_j) + alpha h_i

Symbols: `H` `[N, C]` the predictions to propagate, `Â = D^{-1/2} (A + I) D^{-1/2}` (GCN's
normalised adjacency, `cogdl.nn.gcn_norm`), `alpha` the teleport probability, `K` iterations.
It approximates personalised PageRank, Z = alpha (I - (1 - alpha) Â)^{-1} H, as K grows; it has
no weights of its own.
"""

from __future__ import annotations

import torch

from cogdl.data.graph import Graph
from cogdl.nn.gcn_conv import gcn_propagate


def appnp_propagate(graph: Graph, h: torch.Tensor, alpha: float, iterations: int) -> torch.Tensor:
    """Z^K of `h` on `graph` (shapes: `h` `[N, C]` -> `[N, C]`)."""
    z = h
    for _ in range(iterations):
        z = (1 - alpha) * gcn_propagate(graph, z) + alpha * h
    return z
