import dataclasses
import math

import pytest
import torch

from cogdl.config import ConfigError, resolve
from cogdl.trainer import Epoch, LoopConfig, Trainer, loop_fields


def scripted_fit(history, patience=100, select_on="acc", hooks=()):
    """Fit a model whose single weight records the epoch, validating with scripted values."""
    model = torch.nn.Linear(1, 1, bias=False)
    epoch = [0]

    def train_epoch(optimizer):
        epoch[0] += 1
        with torch.no_grad():
            model.weight.fill_(epoch[0])
        return 0.0

    def validate():
        return history[epoch[0] - 1]

    trainer = Trainer(LoopConfig(epochs=len(history), patience=patience, select_on=select_on), hooks=hooks)
    outcome = trainer.fit(model, train_epoch, validate)
    assert model.weight.item() == outcome.best_epoch  # the selected weights are restored
    return outcome


HISTORY = [(0.5, 1.0), (0.7, 0.9), (0.7, 0.8), (0.8, 0.95), (0.6, 0.7), (0.6, 0.75)]


@pytest.mark.parametrize("rule,expected", [("acc", 4), ("loss", 5), ("acc+loss", 3), ("loss_only", 5), ("acc_only", 4)])
def test_fit_selection_rules(rule, expected):
    assert scripted_fit(HISTORY, select_on=rule).best_epoch == expected


def test_fit_acc_ties_go_to_the_lower_loss():
    assert scripted_fit([(0.7, 0.9), (0.7, 0.8), (0.7, 0.85)]).best_epoch == 2


def test_fit_stops_after_patience_epochs_without_improvement():
    history = [(0.5, 1.0), (0.6, 0.9)] + [(0.55, 0.95)] * 10
    outcome = scripted_fit(history, patience=3)
    assert outcome.epochs_run == 5 and outcome.best_epoch == 2


def test_fit_loss_only_stops_on_the_loss_alone():
    # the score keeps rising, the loss does not: "acc" rules keep going, "loss_only" stops
    history = [(0.5, 1.0), (0.6, 0.9)] + [(0.6 + 0.01 * k, 0.95) for k in range(1, 11)]
    assert scripted_fit(history, patience=3, select_on="loss").epochs_run == 12
    outcome = scripted_fit(history, patience=3, select_on="loss_only")
    assert outcome.epochs_run == 5 and outcome.best_epoch == 2


def test_fit_acc_only_takes_the_last_tie_and_stops_on_the_score_alone():
    # ties go to the later epoch (>=); the loss keeps falling, yet "acc_only" stops on the score
    history = [(0.5, 1.0), (0.7, 0.9), (0.7, 0.8)] + [(0.65, 0.8 - 0.01 * k) for k in range(1, 10)]
    outcome = scripted_fit(history, patience=3, select_on="acc_only")
    assert outcome.best_epoch == 3 and outcome.epochs_run == 6
    assert scripted_fit(history, patience=3, select_on="acc").epochs_run == 12


def test_trainer_unknown_selection_rule_is_an_error_not_acc_plus_loss():
    with pytest.raises(ConfigError, match="select_on='accuracy' must be one of acc, loss, acc\\+loss"):
        Trainer(LoopConfig(select_on="accuracy"))


def test_fit_hooks_see_every_epoch_with_its_validation():
    seen = []
    scripted_fit(HISTORY, hooks=[seen.append])
    assert [(e.epoch, e.step, e.val_score, e.val_loss) for e in seen] == [(k + 1, k + 1, *h) for k, h in enumerate(HISTORY)]


def test_fit_without_validation_trains_every_epoch_and_keeps_the_last_weights():
    model = torch.nn.Linear(1, 1, bias=False)
    steps = []

    def train_epoch(optimizer):
        steps.append(1)
        with torch.no_grad():
            model.weight.fill_(len(steps))
        return float(len(steps))

    outcome = Trainer(LoopConfig(epochs=7, patience=1)).fit(model, train_epoch, epochs=4)
    assert len(steps) == 4 and model.weight.item() == 4 and outcome.last_train_loss == 4.0
    assert not model.training


@pytest.mark.parametrize("schedule, expected", [
    ("constant", [0.1] * 4),
    ("cosine", [0.1 * (1 + math.cos(math.pi * e / 4)) / 2 for e in range(4)]),
    ("step", [0.1, 0.1, 0.05, 0.05]),
    # 40 epochs: the warm-up ends at epoch 0.05 * 40 - 1 = 1, then a half cosine down to lr / 2.5e5 at epoch 39
    ("onecycle", [0.1 / 25] + [0.1 / 2.5e5 + (0.1 - 0.1 / 2.5e5) * (1 + math.cos(math.pi * (e - 1) / 38)) / 2
                                for e in range(1, 40)]),
])
def test_fit_schedules_the_learning_rate_per_epoch(schedule, expected):
    model = torch.nn.Linear(1, 1)
    rates = []
    loop = LoopConfig(epochs=len(expected), lr=0.1, schedule=schedule, lr_step=2, lr_gamma=0.5)
    Trainer(loop).fit(model, lambda optimizer: rates.append(optimizer.param_groups[0]["lr"]) or 0.0)
    assert rates == pytest.approx(expected)


def test_trainer_optimizer_honours_the_models_parameter_groups():
    class TwoDecays(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)

        def parameter_groups(self, weight_decay):
            return [{"params": list(self.a.parameters()), "weight_decay": 0.1},
                    {"params": list(self.b.parameters()), "weight_decay": weight_decay}]

    for fused in (False, True):
        optimizer = Trainer(LoopConfig(weight_decay=5e-4), fused_adam=fused).optimizer(TwoDecays())
        assert [g["weight_decay"] for g in optimizer.param_groups] == [0.1, 5e-4]


def test_loop_fields_compose_the_loop_settings_with_a_tasks_defaults_and_constraints():
    @dataclasses.dataclass
    class TaskConfig(loop_fields(epochs=30, lr=0.5), loop_fields(prefix="probe_", label="probe: ", epochs=3)):
        own: int = 1

    names = [f.name for f in dataclasses.fields(TaskConfig)]
    assert sorted(names) == ["epochs", "lr", "own", "probe_epochs"]  # no patience: not a field of this task
    config = TaskConfig()
    assert (config.epochs, config.lr, config.probe_epochs) == (30, 0.5, 3)
    assert dataclasses.fields(TaskConfig)[names.index("probe_epochs")].metadata["help"].startswith("probe: training epochs")
    assert LoopConfig.of(config) == LoopConfig(epochs=30, lr=0.5)
    assert LoopConfig.of(config, "probe_") == LoopConfig(epochs=3)
    with pytest.raises(ConfigError, match=r"--set: lr=0.0 must be in \(0.0, inf\)"):
        resolve(TaskConfig, TaskConfig, [("--set", {"lr": 0.0})])
    with pytest.raises(ConfigError, match=r"--set: probe_epochs=0 must be in \[1, inf\)"):
        resolve(TaskConfig, TaskConfig, [("--set", {"probe_epochs": 0})])
    with pytest.raises(TypeError, match="not a loop setting"):
        loop_fields(epoch=3)


def test_epoch_report_is_plain_data():
    assert Epoch(3, 0.5).step == 0 and Epoch(3, 0.5, 0.8, 0.4, step=13).step == 13
