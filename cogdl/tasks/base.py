"""The task contract: data preparation, loss, metrics, training step and model selection.

A task declares a `Config` dataclass (the training loop's knobs, e.g. `epochs`, `patience`,
`lr`, `weight_decay`) and implements
- `prepare(dataset, config) -> dataset`: done once per experiment, shared by every seed; the
  returned dataset's `info` is what models are built from;
- `run(model, dataset, config, device, progress, context) -> {metric: value}`: train one freshly
  built model and evaluate it, returning metric names with the split first (`test_acc`,
  `val_acc`...) and fractions in [0, 1], plus bookkeeping such as `best_epoch`.
Tasks know no model by name: they receive a built `Model`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, ClassVar


@dataclass
class SeedContext:
    """What one seed's run may know and leave behind.

    Attributes:
        seed: the run seed (already applied to Python, NumPy and torch).
        artifacts: file name -> text, written into `seed_<k>/` of the run folder (e.g. the split).
        export_predictions: whether the user asked for prediction files (`--export-predictions`).
        predictions: file name -> text, written into the export folder when asked for.
        evaluate_test: False in a hyper-parameter search: the run must not touch the test split
            and returns validation metrics only (tasks with `search_metric` honour it).
        on_epoch: `(epoch, validation score)` after each validation, for a search's pruner.
    """

    seed: int = 0
    artifacts: dict[str, str] = field(default_factory=dict)
    export_predictions: bool = False
    predictions: dict[str, str] = field(default_factory=dict)
    evaluate_test: bool = True
    on_epoch: Callable[[int, float], None] | None = None


class Task:
    Config: ClassVar[type]
    #: the validation metric `cogdl search` maximises; None: the task does not support search
    #: (it would have to honour `SeedContext.evaluate_test` and `on_epoch`)
    search_metric: ClassVar[str | None] = None

    def prepare(self, dataset, config):
        return dataset

    def epochs_per_seed(self, config) -> int:
        """The epochs one seed's run trains (the progress bar counts them)."""
        return getattr(config, "epochs", 1)

    def run(self, model, dataset, config, device, progress=None, context: SeedContext | None = None) -> dict[str, float]:
        raise NotImplementedError
