"""The training loop every task and protocol shares: optimizer, schedule, epochs, selection,
early stopping, the best checkpoint, progress and epoch hooks, on one device.

Loop settings are declared once, in `LoopConfig`, and composed into each task's Config with
`loop_fields(epochs=..., lr=...)`, which takes the fields a task has with that task's defaults (a
pretraining loop has no validation, hence no `patience` or `select_on`; a second loop, such as a
linear probe, takes them with a prefix: `probe_epochs`, `probe_lr`).

Model selection (`select_on`), on the validation score and loss after each epoch:
- `"acc"`: the epoch with the highest validation score, ties broken by the lower validation loss;
- `"loss"`: the epoch with the lowest validation loss;
- `"acc+loss"`: the GAT reference code's rule - keep an epoch whose validation score is at least
  the best seen so far and whose validation loss is at most the lowest seen so far;
- `"loss_only"`: the lowest validation loss, and early stopping looks at the loss alone (HGB's
  `EarlyStopping`: a loss equal to the lowest counts as no worse);
- `"acc_only"`: the last epoch whose validation score is at least the best so far, and early
  stopping looks at the score alone (the GAT authors' rule for CiteSeer, PetarV-/GAT issue #14);
- `"last"`: the last epoch trained; validation is recorded but selects nothing (the GAE paper
  reports its model after all its epochs).
Early stopping (the first three rules): training ends after `patience` epochs in which neither the
validation score rose above its best nor the validation loss fell below its lowest (also the GAT
reference rule). The selected epoch's weights are restored before the task evaluates test. A loop
without validation trains every epoch and keeps the last weights.

Optimizer: Adam over the model's parameter groups (`cogdl.models.base.parameter_groups`), with the
learning rate scheduled per epoch (`schedule`): `constant`; `cosine`, lr_e = lr (1 + cos(pi e /
epochs)) / 2 (GraphMAE's); `step`, lr multiplied by `lr_gamma` every `lr_step` epochs (GIN's);
`onecycle`, PyTorch's `OneCycleLR` over the epochs with a 5% warm-up (HGB's HGT): lr rises from
lr/25 to lr along a half cosine, then falls to lr/2.5e5 along another, while Adam's beta1 moves
from 0.95 to 0.85 and back.
NOTE: `fused_adam` picks PyTorch's fused Adam, the same update in one pass per tensor, several
times cheaper per step on CPU; it pays in loops of many small steps (mini-batches, pretraining).
Its rounding differs from the per-tensor loop's in the last bit, so each loop keeps the kind it
recorded its leaderboard results with.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import time
import typing
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import torch

from cogdl import distributed
from cogdl.threads import free_core_threads
from cogdl.config import Choice, ConfigError, Interval
from cogdl.models.base import parameter_groups

SELECTION_RULES = ("acc", "loss", "acc+loss", "loss_only", "acc_only", "last")
SCHEDULES = ("constant", "cosine", "step", "onecycle")


@dataclass
class LoopConfig:
    """The settings of one training loop (each field also a hyper-parameter of the tasks that take it)."""

    epochs: int = field(default=200, metadata={"help": "training epochs (at most, with early stopping)"})
    patience: int | None = field(default=None, metadata={
        "help": "epochs without validation improvement before stopping (null: never stop early)"})
    lr: float = field(default=0.01, metadata={"help": "Adam learning rate"})
    weight_decay: float = field(default=0.0, metadata={
        "help": "L2 weight decay (Adam; a model's parameter groups may decay some weights differently)"})
    select_on: str = field(default="acc", metadata={"help": "model selection rule on validation (cogdl.trainer)"})
    schedule: str = field(default="constant", metadata={"help": "learning-rate schedule: constant, cosine, step or onecycle"})
    lr_step: int = field(default=50, metadata={"help": "schedule=step: epochs between learning-rate decays"})
    lr_gamma: float = field(default=0.5, metadata={"help": "schedule=step: learning-rate factor at each decay"})

    constraints = {"epochs": Interval(1), "patience": Interval(1), "lr": Interval(0.0, open_low=True),
                   "weight_decay": Interval(0.0), "select_on": Choice(*SELECTION_RULES), "schedule": Choice(*SCHEDULES),
                   "lr_step": Interval(1), "lr_gamma": Interval(0.0, 1.0, open_low=True)}

    @classmethod
    def of(cls, config, prefix: str = "", **overrides) -> "LoopConfig":
        """The loop settings held by a task's `config` under `prefix` (fields it lacks keep these
        defaults), then `overrides`."""
        values = {f.name: getattr(config, prefix + f.name) for f in dataclasses.fields(cls)
                  if hasattr(config, prefix + f.name)}
        return cls(**{**values, **overrides})


def loop_fields(prefix: str = "", label: str = "", **defaults) -> type:
    """A dataclass base holding the `LoopConfig` fields named in `defaults`, with those defaults,
    named `prefix + name`, their help prefixed by `label`; their constraints come along."""
    hints = typing.get_type_hints(LoopConfig)
    own = {f.name: f for f in dataclasses.fields(LoopConfig)}
    unknown = set(defaults) - set(own)
    if unknown:
        raise TypeError(f"loop_fields: not a loop setting: {sorted(unknown)}")
    fields = [(prefix + name, hints[name], field(default=value, metadata={"help": label + own[name].metadata["help"]}))
              for name, value in defaults.items()]
    base = dataclasses.make_dataclass(f"{prefix.title().replace('_', '')}LoopSettings", fields)
    base.constraints = {prefix + name: LoopConfig.constraints[name] for name in defaults}
    return base


@dataclass
class Epoch:
    """What an epoch hook sees: the epoch (from 1), its training loss and, in a loop with
    validation, the validation score and loss; `step` numbers the epochs on across the runs of
    one experiment (a search's pruner reports by it), and equals `epoch` within one loop."""

    epoch: int
    train_loss: float
    val_score: float | None = None
    val_loss: float | None = None
    step: int = 0


@dataclass
class TrainOutcome:
    best_epoch: int
    best_val_score: float
    epochs_run: int
    seconds: float
    last_train_loss: float


class Trainer:
    """One loop's settings on one device, with the run's progress bar and epoch hooks.

    Args:
        loop: the loop settings.
        device: where the model and the data live (`place`).
        progress: a tqdm-like object whose `update(1)` is called once per epoch, or None.
        hooks: called with an `Epoch` after every epoch (a search reports to its pruner there and
            may stop the run by raising).
        fused_adam: use PyTorch's fused Adam (see the module docstring).
    """

    def __init__(self, loop: LoopConfig, device: torch.device | str = "cpu", progress=None,
                 hooks: Sequence[Callable[[Epoch], None]] = (), fused_adam: bool = False):
        if loop.select_on not in SELECTION_RULES:
            raise ConfigError(f"select_on={loop.select_on!r} must be one of {', '.join(SELECTION_RULES)}")
        if loop.schedule not in SCHEDULES:
            raise ConfigError(f"schedule={loop.schedule!r} must be one of {', '.join(SCHEDULES)}")
        self.loop, self.device, self.progress = loop, torch.device(device), progress
        self.hooks, self.fused_adam = tuple(hooks), fused_adam

    def place(self, obj: Any) -> Any:
        """`obj` (a tensor, module, graph, feature matrix, or a list of them; None stays None) on the device."""
        if obj is None:
            return None
        if isinstance(obj, (list, tuple)):
            return type(obj)(self.place(item) for item in obj)
        return obj.to(self.device)

    def shard(self, nodes: torch.Tensor) -> torch.Tensor:
        """This process's share of the training `nodes` under data parallelism (all of them in one process)."""
        return distributed.shard(nodes)

    def parallel(self, model: torch.nn.Module) -> torch.nn.Module:
        """`model` as a training step calls it: wrapped to average gradients over the processes
        under data parallelism (`cogdl.distributed`), else the model itself."""
        return distributed.parallel(model)

    def optimizer(self, model: torch.nn.Module) -> torch.optim.Adam:
        """Adam over the model's parameter groups, with the loop's learning rate and weight decay."""
        groups = parameter_groups(model, self.loop.weight_decay)
        return torch.optim.Adam(groups, lr=self.loop.lr, fused=True) if self.fused_adam else \
            torch.optim.Adam(groups, lr=self.loop.lr)

    def scheduler(self, optimizer: torch.optim.Optimizer, epochs: int):
        loop = self.loop
        if loop.schedule == "step":
            return torch.optim.lr_scheduler.StepLR(optimizer, loop.lr_step, loop.lr_gamma)
        if loop.schedule == "onecycle":
            return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=loop.lr, total_steps=epochs, pct_start=0.05)
        factor = (lambda e: (1 + math.cos(math.pi * e / epochs)) / 2) if loop.schedule == "cosine" else (lambda e: 1.0)
        return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)

    def fit(self, model: torch.nn.Module, train_epoch: Callable[[torch.optim.Optimizer], float],
            validate: Callable[[], tuple[float, float]] | None = None, epochs: int | None = None) -> TrainOutcome:
        """Train `model` for up to `epochs` (default: the loop's) epochs and leave it in eval mode.

        Each epoch calls `train_epoch(optimizer)` (one or more optimiser steps; returns the epoch's
        training loss) in train mode, steps the schedule, then, when `validate` is given, calls it
        in eval mode without gradients for `(score, loss)` and applies the selection rule. With
        validation, the selected epoch's weights are restored at the end.
        """
        epochs = self.loop.epochs if epochs is None else epochs
        optimizer = self.optimizer(model)
        scheduler = self.scheduler(optimizer, epochs)
        selection = _Selection(self.loop.select_on, self.loop.patience) if validate is not None else None
        best_state = copy.deepcopy(model.state_dict()) if selection is not None else None
        start, epoch, loss = time.perf_counter(), 0, float("nan")
        threads = free_core_threads()
        for epoch in range(1, epochs + 1):
            threads.adjust()  # a team no larger than the cores other processes leave free
            model.train()
            loss = train_epoch(optimizer)
            scheduler.step()
            report = Epoch(epoch, loss, step=epoch)
            stop = False
            if selection is not None:
                model.eval()
                with torch.no_grad():
                    report.val_score, report.val_loss = validate()
                if selection.update(epoch, report.val_score, report.val_loss):
                    best_state = copy.deepcopy(model.state_dict())
                stop = selection.exhausted()
            for hook in self.hooks:
                hook(report)
            if self.progress is not None:
                self.progress.update(1)
            if stop:
                break
        if best_state is not None:
            model.load_state_dict(best_state)
        model.eval()
        best_epoch, best_score = (selection.best_epoch, selection.best_score) if selection else (epoch, float("nan"))
        return TrainOutcome(best_epoch, best_score, epoch, time.perf_counter() - start, loss)


class _Selection:
    """The selection rule and early-stopping counter of `fit` (see the module docstring)."""

    def __init__(self, rule: str, patience: int | None):
        self.rule, self.patience = rule, patience
        self.best_key = (float("-inf"), float("-inf"))
        self.best_epoch, self.best_score = 0, float("-inf")
        self.top_score, self.low_loss, self.waited = float("-inf"), float("inf"), 0

    def update(self, epoch: int, score: float, loss: float) -> bool:
        """Record one validation; True when this epoch is the new selected one."""
        if self.rule == "acc":
            selected = (score, -loss) > self.best_key
        elif self.rule == "loss":
            selected = -loss > self.best_key[1]
        elif self.rule == "loss_only":
            selected = -loss >= self.best_key[1]
        elif self.rule == "acc_only":
            selected = score >= self.top_score
        elif self.rule == "acc+loss":
            selected = score >= self.top_score and loss <= self.low_loss
        elif self.rule == "last":
            selected = True
        else:
            raise ConfigError(f"select_on={self.rule!r} must be one of {', '.join(SELECTION_RULES)}")
        if selected:
            self.best_key, self.best_epoch, self.best_score = (score, -loss), epoch, score
        improved = selected if self.rule in ("loss_only", "acc_only") else score > self.top_score or loss < self.low_loss
        if improved:
            self.top_score, self.low_loss, self.waited = max(score, self.top_score), min(loss, self.low_loss), 0
        else:
            self.waited += 1
        return selected

    def exhausted(self) -> bool:
        return self.patience is not None and self.waited >= self.patience
