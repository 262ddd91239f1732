"""Softmax of edge scores over each destination node's incoming edges.

    alpha_e = exp(s_e) / sum_{e' -> dst(e)} exp(s_e')
"""

from __future__ import annotations

import torch

from cogdl.data.graph import Graph


def edge_softmax(graph: Graph, scores: torch.Tensor) -> torch.Tensor:
    """Normalise `[E]` or `[E, H]` scores per destination row; a row's weights sum to 1.

    The row maximum is subtracted first, so large scores do not overflow.
    """
    row = graph.row
    index = row.view(-1, *([1] * (scores.dim() - 1))).expand_as(scores)
    shape = (graph.num_nodes, *scores.shape[1:])
    row_max = torch.full(shape, float("-inf"), dtype=scores.dtype, device=scores.device)
    row_max = row_max.scatter_reduce(0, index, scores.detach(), reduce="amax", include_self=True)
    exp = (scores - row_max[row]).exp()
    row_sum = torch.zeros(shape, dtype=scores.dtype, device=scores.device).index_add_(0, row, exp)
    return exp / row_sum[row]
