"""Per-node-type input projection for heterogeneous graphs (HGB's `fc_list`).

Node types carry features of different widths, or none. Each type `t` gets its own linear map to
a common width: h_i = W_t x_i + b_t for a node i of type t. A type given as one-hot ids (its
`features` entry is None) uses the equivalent lookup h_i = W_t[:, i - offset_t] + b_t, so no
`[n_t, n_t]` identity is ever built. The result is one `[N, D]` matrix in global id order.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from cogdl.nn.functional import maybe_sparse, project


class TypedInputProjection(nn.Module):
    """Args:
        in_dims: per type, the feature width (or the number of nodes of a one-hot-id type).
        one_hot: per type, whether its input is one-hot ids instead of a feature matrix.
        out_dim: the common width `D`.

    Forward: `features` (per type, `[n_t, F_t]` dense / `SparseFeatures`, or None for one-hot
    types) -> `[N, D]`.
    """

    def __init__(self, in_dims: list[int], one_hot: list[bool], out_dim: int):
        super().__init__()
        self.one_hot = list(one_hot)
        self.layers = nn.ModuleList(nn.Linear(d, out_dim) for d in in_dims)
        for layer in self.layers:  # as HGB: Xavier normal with gain 1.414
            nn.init.xavier_normal_(layer.weight, gain=1.414)

    def forward(self, features: list) -> torch.Tensor:
        parts = []
        for layer, one_hot, x in zip(self.layers, self.one_hot, features):
            parts.append(layer.weight.t() + layer.bias if one_hot else project(x, layer.weight) + layer.bias)
        return torch.cat(parts, 0)


@dataclass(frozen=True)
class TypedInputs:
    """Per node type: its input (a `[n_t, F_t]` matrix, or None for one-hot ids), the input width
    `in_dims[t]` (the node count of a one-hot type) and whether it is one-hot ids."""

    features: list
    in_dims: list[int]
    one_hot: list[bool]

    def to(self, device) -> "TypedInputs":
        return TypedInputs([None if x is None else x.to(device) for x in self.features], self.in_dims, self.one_hot)

    def projection(self, out_dim: int) -> TypedInputProjection:
        """A fresh projection of these inputs to width `out_dim`."""
        return TypedInputProjection(self.in_dims, self.one_hot, out_dim)


def hgb_input_features(features: list[torch.Tensor | None], counts: list[int], target_type: int | None,
                       feats_type: int) -> TypedInputs:
    """HGB's `feats_type` choices of per-type inputs.

    0: every type's own features (one-hot ids for a type without features);
    1: the target type's features, zeros of width 10 for the others;
    2: the target type's features, one-hot ids for the others;
    3: one-hot ids for every type.
    Sparse enough matrices become `SparseFeatures`.
    """
    inputs, in_dims, one_hot = [], [], []
    for t, (x, count) in enumerate(zip(features, counts)):
        keep_own = feats_type == 0 or (feats_type in (1, 2) and t == target_type)
        if keep_own and x is not None:
            inputs.append(maybe_sparse(x))
            in_dims.append(x.shape[1])
            one_hot.append(False)
        elif feats_type == 1 and t != target_type:
            inputs.append(torch.zeros(count, 10))
            in_dims.append(10)
            one_hot.append(False)
        else:
            inputs.append(None)
            in_dims.append(count)
            one_hot.append(True)
    return TypedInputs(inputs, in_dims, one_hot)
