"""The model contract: a `torch.nn.Module` built from `(Config, DatasetInfo)`.

Every model declares
- `Config`: a dataclass with each hyper-parameter typed, defaulted and documented
  (`metadata={"help": ...}`), and beside it `Config.constraints` (ranges and choices as data);
- `supported_tasks`: the names of the tasks it can serve;
- `__init__(self, config, info)`: build the layers from the config and the dataset's sizes;
- `forward(graph, x)`: return logits `[N, C]` for node-level tasks;
- optionally `parameter_groups(weight_decay)`: the optimiser's parameter groups, where the paper
  decays some weights differently from the task's `weight_decay` (default: one group).
"""

from __future__ import annotations

from typing import Callable, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from cogdl.data.dataset import DatasetInfo
from cogdl.nn.functional import dropout


class Model(nn.Module):
    Config: ClassVar[type]
    supported_tasks: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config, info: DatasetInfo):
        super().__init__()
        self.config = config
        self.info = info


def parameter_groups(module: nn.Module, weight_decay: float) -> list[dict]:
    """The optimiser's parameter groups of `module`: its own `parameter_groups(weight_decay)` where
    it has one (a model that decays some weights differently, e.g. GCNII), else every parameter
    with `weight_decay`."""
    own = getattr(module, "parameter_groups", None)
    return own(weight_decay) if own is not None else [{"params": list(module.parameters()), "weight_decay": weight_decay}]


def stacked_forward(layers: nn.ModuleList, graph, x, p: float, training: bool,
                    activation: Callable[[torch.Tensor], torch.Tensor] = F.relu) -> torch.Tensor:
    """`x` through `layers` with dropout `p` on every layer's input and `activation` between layers
    (not after the last): the layout of the GCN, GAT and R-GCN reference implementations."""
    for k, layer in enumerate(layers):
        x = layer(graph, dropout(x, p, training))
        if k < len(layers) - 1:
            x = activation(x)
    return x
