"""The training loop shared by tasks: epochs, early stopping, the best checkpoint, progress.

Model selection (`select_on`):
- `"acc"`: the epoch with the highest validation score, ties broken by the lower validation loss;
- `"loss"`: the epoch with the lowest validation loss;
- `"acc+loss"`: the GAT reference code's rule - keep an epoch whose validation score is at least
  the best seen so far and whose validation loss is at most the lowest seen so far;
- `"loss_only"`: the lowest validation loss, and early stopping looks at the loss alone (HGB's
  `EarlyStopping`: a loss equal to the lowest counts as no worse);
- `"acc_only"`: the last epoch whose validation score is at least the best so far, and early
  stopping looks at the score alone (the GAT authors' rule for CiteSeer, PetarV-/GAT issue #14).
Early stopping (other rules): training ends after `patience` epochs in which neither the
validation score rose above its best nor the validation loss fell below its lowest (also the GAT
reference rule). The selected epoch's weights are restored before the task evaluates test.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass
from typing import Callable

import torch

SELECTION_RULES = ("acc", "loss", "acc+loss", "loss_only", "acc_only")


@dataclass
class TrainOutcome:
    best_epoch: int
    best_val_score: float
    epochs_run: int
    seconds: float


def fit(model: torch.nn.Module, train_step: Callable[[], float],
        validate: Callable[[], tuple[float, float]], epochs: int, patience: int, progress=None,
        select_on: str = "acc", on_epoch: Callable[[int, float], None] | None = None) -> TrainOutcome:
    """Run `train_step` each epoch and `validate` -> (score, loss) after it; restore the selected weights.

    `progress`, when given, is a tqdm-like object whose `update(1)` is called once per epoch;
    `on_epoch(epoch, validation score)`, when given, is called after each validation (a search
    reports to its pruner there, and may stop the run by raising).
    """
    start = time.perf_counter()
    best_key = (float("-inf"), float("-inf"))
    best_epoch, best_score, best_state = 0, float("-inf"), copy.deepcopy(model.state_dict())
    top_score, low_loss, waited = float("-inf"), float("inf"), 0
    epoch = 0
    for epoch in range(1, epochs + 1):
        model.train()
        train_step()
        model.eval()
        with torch.no_grad():
            score, loss = validate()
        if on_epoch is not None:
            on_epoch(epoch, score)
        if select_on == "acc":
            selected = (score, -loss) > best_key
        elif select_on == "loss":
            selected = -loss > best_key[1]
        elif select_on == "loss_only":
            selected = -loss >= best_key[1]
        elif select_on == "acc_only":
            selected = score >= top_score
        else:
            selected = score >= top_score and loss <= low_loss
        if selected:
            best_key, best_epoch, best_score = (score, -loss), epoch, score
            best_state = copy.deepcopy(model.state_dict())
        improved = selected if select_on in ("loss_only", "acc_only") else score > top_score or loss < low_loss
        if improved:
            top_score, low_loss, waited = max(score, top_score), min(loss, low_loss), 0
        else:
            waited += 1
        if progress is not None:
            progress.update(1)
        if waited >= patience:
            break
    model.load_state_dict(best_state)
    model.eval()
    return TrainOutcome(best_epoch, best_score, epoch, time.perf_counter() - start)


def fused_adam(model, lr: float, weight_decay: float) -> torch.optim.Adam:
    """Adam with its fused update: the same step in one pass over each tensor, several times
    cheaper per step on CPU than the per-tensor loop (it matters for many small batches)."""
    return torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay, fused=True)


def pretrain(model, epoch_of, epochs: int, lr: float, weight_decay: float, cosine: bool, progress=None) -> float:
    """Self-supervised pretraining: `epoch_of(optimizer)` runs one epoch (one or more steps) and
    returns its loss; Adam, with the cosine decay lr_e = lr (1 + cos(pi e / epochs)) / 2 when
    `cosine` (GraphMAE's schedule). Returns the last epoch's loss; the model is left in eval mode."""
    optimizer = fused_adam(model, lr, weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda e: (1 + math.cos(math.pi * e / epochs)) / 2 if cosine else 1.0)
    model.train()
    loss = float("nan")
    for _ in range(epochs):
        loss = epoch_of(optimizer)
        scheduler.step()
        if progress is not None:
            progress.update(1)
    model.eval()
    return loss
