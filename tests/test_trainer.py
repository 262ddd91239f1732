import pytest
import torch

from cogdl.trainer import fit


def scripted_fit(history, patience=100, select_on="acc"):
    """Run `fit` on a model whose single weight records the epoch, validating with scripted values."""
    model = torch.nn.Linear(1, 1, bias=False)
    epoch = [0]

    def train_step():
        epoch[0] += 1
        with torch.no_grad():
            model.weight.fill_(epoch[0])
        return 0.0

    def validate():
        return history[epoch[0] - 1]

    outcome = fit(model, train_step, validate, len(history), patience, select_on=select_on)
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
