"""The model contract: a `torch.nn.Module` built from `(Config, DatasetInfo)`.

Every model declares
- `Config`: a dataclass with each hyper-parameter typed, defaulted and documented
  (`metadata={"help": ...}`), and beside it `Config.constraints` (ranges and choices as data);
- `supported_tasks`: the names of the tasks it can serve;
- `__init__(self, config, info)`: build the layers from the config and the dataset's sizes;
- `forward(graph, x)`: return logits `[N, C]` for node-level tasks.
"""

from __future__ import annotations

from typing import ClassVar

from torch import nn

from cogdl.data.dataset import DatasetInfo


class Model(nn.Module):
    Config: ClassVar[type]
    supported_tasks: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config, info: DatasetInfo):
        super().__init__()
        self.config = config
        self.info = info
