"""The task contract: data preparation, loss, metrics, training step and model selection.

A task declares a `Config` dataclass (the training loop's knobs, e.g. `epochs`, `patience`,
`lr`, `weight_decay`) and implements
- `prepare(dataset, config) -> dataset`: done once per experiment, shared by every seed;
- `run(model, dataset, config, device, progress) -> {metric: value}`: train one freshly built
  model and evaluate it, returning metric names with the split first (`test_acc`, `val_acc`...)
  and fractions in [0, 1], plus bookkeeping such as `best_epoch`.
Tasks know no model by name: they receive a built `Model`.
"""

from __future__ import annotations

from typing import ClassVar


class Task:
    Config: ClassVar[type]

    def prepare(self, dataset, config):
        return dataset

    def run(self, model, dataset, config, device, progress=None) -> dict[str, float]:
        raise NotImplementedError
