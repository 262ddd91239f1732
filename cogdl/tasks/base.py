"""The task contract: data preparation, model sizes, loss, metrics and the steps of the loop.

A task declares
- `Config`: a dataclass of its hyper-parameters, composed from the loop settings it takes
  (`cogdl.trainer.loop_fields`) and its own fields;
- `accepts`: the dataset shapes (`cogdl.data.dataset`) it runs on; `requires`: the model
  abilities (`cogdl.models.base`) it needs; `search_metric`: the validation metric a search
  maximises (None: the task cannot keep the test split unread); `supports_refit`: whether it can
  train on train + validation for a fixed number of epochs (`SeedContext.refit_epochs`);
  `data_parallel`: whether it trains over several processes (`cogdl.distributed`: it shards its
  training examples with `Trainer.shard` and steps through `Trainer.parallel`);
  `quick_config`: settings under which it runs in about a second on a tiny dataset (the contract
  checks of `cogdl.testing`);
and implements
- `prepare(dataset, config) -> prepared`: once per dataset, shared by every seed; returns new
  objects (the loaded dataset is never changed);
- `model_sizes(prepared, config) -> ModelSizes`: what the model must map;
- `run(model, prepared, config, context) -> {metric: value}`: train one freshly built model with
  the loop of `context.trainer(config)` and evaluate it, returning metric names with the split
  first (`test_acc`, `val_acc`...) and fractions in [0, 1], plus bookkeeping such as `best_epoch`;
- optionally `predict(model, prepared, config, device) -> [N, C]`: a trained model's outputs for
  every node, computed as the task's evaluation computes them, and `prediction_metrics(prepared,
  outputs)`: the metrics of those outputs on the splits the dataset has (`cogdl predict`).
Tasks know no model, dataset or benchmark by name: they receive a built model and a dataset of a
shape they accept, and protocols (`cogdl.protocols`) decide how runs are organised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, ClassVar

import torch

from cogdl.errors import ModelError
from cogdl.trainer import Epoch, LoopConfig, Trainer


@dataclass
class SeedContext:
    """What one run (one seed, or one graph of a benchmark) may know and leave behind.

    Attributes:
        seed: the run seed (already applied to Python, NumPy and torch).
        device: where the run trains.
        progress: a tqdm-like bar counting epochs, or None.
        hooks: epoch hooks of the main loop (`cogdl.trainer.Epoch`), e.g. a search's pruner.
        evaluate_test: False in a hyper-parameter search or a protocol's selection runs: the run
            must not touch the test split and returns validation metrics only.
        refit_epochs: when set, train on train + validation for exactly this many epochs, without
            validation, and report test metrics (a protocol's refit; tasks with `supports_refit`).
        export_predictions: whether the user asked for prediction files (`--export-predictions`).
        artifacts: file name -> text (or bytes), written into the run's folder (e.g. the split).
        save_weights: whether the run keeps the selected weights as the artifact `model.pt`
            (`cogdl.checkpoint`; the `seeds` protocol asks for them).
        predictions: file name -> text, written into the export folder when asked for.
        model, task, dataset: what runs, for messages (`model` as "model 'gcn' (built-in)").
    """

    seed: int = 0
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    progress: object | None = None
    hooks: tuple[Callable[[Epoch], None], ...] = ()
    evaluate_test: bool = True
    refit_epochs: int | None = None
    export_predictions: bool = False
    artifacts: dict[str, str | bytes] = field(default_factory=dict)
    save_weights: bool = False
    predictions: dict[str, str] = field(default_factory=dict)
    model: str = "the model"
    task: str = ""
    dataset: str = ""

    def trainer(self, config, prefix: str = "", fused_adam: bool = False, main: bool = True) -> Trainer:
        """The loop of the settings `config` holds under `prefix`, on this run's device; the main
        loop (`main`) also counts on the progress bar and calls the epoch hooks."""
        return Trainer(LoopConfig.of(config, prefix), self.device, self.progress if main else None,
                       self.hooks if main else (), fused_adam)

    def output_check(self, meaning: str) -> Callable[[torch.Tensor, tuple[int, ...]], torch.Tensor]:
        """A function `check(output, expected_shape)` that passes a model's output through and, on
        its first call, checks it: a floating-point tensor of the expected shape (`meaning` says
        what its rows and columns are) with finite values; anything else is a `ModelError` naming
        the model, task and dataset."""
        checked = []

        def check(output, expected: tuple[int, ...]):
            if checked:
                return output
            checked.append(True)
            if not isinstance(output, torch.Tensor):
                problem = f"returned a {type(output).__name__}, not a torch.Tensor"
            elif not output.is_floating_point():
                problem = f"returned a {output.dtype} tensor; expected floating point"
            elif tuple(output.shape) != tuple(expected):
                problem = f"returned shape {list(output.shape)}; expected {list(expected)} ({meaning})"
            elif not bool(torch.isfinite(output).all()):
                problem = "returned values that are not finite (nan or inf)"
            else:
                return output
            raise ModelError(f"{self.model} {problem} on task {self.task!r}, dataset {self.dataset!r}")

        return check


class Task:
    Config: ClassVar[type]
    accepts: ClassVar[tuple[type, ...]] = ()
    requires: ClassVar[tuple[type, ...]] = ()
    search_metric: ClassVar[str | None] = None
    supports_refit: ClassVar[bool] = False
    data_parallel: ClassVar[bool] = False
    quick_config: ClassVar[dict] = {"epochs": 3}

    def prepare(self, dataset, config):
        return dataset

    def model_sizes(self, prepared, config):
        raise NotImplementedError

    def epochs_per_seed(self, config) -> int:
        """The epochs one run's main loop trains at most (the progress bar counts them)."""
        return config.epochs

    def run(self, model, prepared, config, context: SeedContext) -> dict[str, float]:
        raise NotImplementedError

    def predict(self, model, prepared, config, device) -> torch.Tensor:
        raise NotImplementedError

    def prediction_metrics(self, prepared, outputs: torch.Tensor) -> dict[str, float]:
        raise NotImplementedError
