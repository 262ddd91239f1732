"""Graph-level readout: one vector per graph of a batch from its nodes' vectors.

    h_G = READOUT({h_i : i in G}),  READOUT in {sum, mean, max}

Sum pooling is what GIN's analysis calls injective on multisets (Xu et al., ICLR 2019, sec. 4.2);
mean and max are the common alternatives (GraphMAE picks one per dataset). An empty graph gets zeros.
"""

from __future__ import annotations

import torch

POOLINGS = ("sum", "mean", "max")


def global_pool(x: torch.Tensor, graph_index: torch.Tensor, num_graphs: int, reduce: str = "sum") -> torch.Tensor:
    """`[N, F]` node vectors and `graph_index` `[N]` (the graph of each node) -> `[num_graphs, F]`."""
    if reduce not in POOLINGS:
        raise ValueError(f"reduce must be one of {POOLINGS}, found {reduce!r}")
    out = torch.zeros(num_graphs, x.shape[1], dtype=x.dtype, device=x.device)
    if reduce == "max":
        index = graph_index.unsqueeze(1).expand_as(x)
        return out.scatter_reduce(0, index, x, "amax", include_self=False)
    out = out.index_add(0, graph_index, x)
    if reduce == "mean":
        counts = torch.bincount(graph_index, minlength=num_graphs).clamp(min=1).to(x.dtype)
        out = out / counts.unsqueeze(1)
    return out
