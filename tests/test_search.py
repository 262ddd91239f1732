import os
import signal
import subprocess
import sys
import time

import optuna
import pytest
import torch

import cogdl.search
from cogdl.errors import ConfigError
from cogdl.search import load_space, run_search, space_size
from helpers import REPO

SPACE = """\
lr: {type: float, low: 1.0e-3, high: 0.1, log: true}
hidden_size: {type: int, low: 16, high: 128, step: 16}
dropout: {type: float, low: 0.1, high: 0.8}
"""


@pytest.mark.parametrize("text, message", [
    ("lrr: {type: float, low: 0.1, high: 1}\n", "lrr: not a hyper-parameter of model 'gcn' or task"),
    ("lr: {type: float, low: 0.1, high: 1, logg: true}\n", "lr: unknown key 'logg' for type float"),
    ("lr: {type: float, low: 1, high: 0.1}\n", "lr: expected numbers low <= high"),
    ("lr: {type: float, low: 0, high: 1, log: true}\n", "lr: a log scale needs low > 0"),
    ("select_on: {type: categorical, choices: []}\n", "select_on: 'choices' must be a non-empty list"),
    ("lr: 0.01\n", "lr: expected a mapping with type float, int or categorical"),
])
def test_search_space_rejects_a_bad_spec_naming_the_file_and_key(tmp_path, text, message):
    path = tmp_path / "space.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_space(path, "node_classification", "gcn")
    assert str(caught.value).startswith(f"{path}: ") and message in str(caught.value)


class _Unreadable(torch.Tensor):
    """The test mask of a search's dataset: moving it to a device is allowed, any other use of it
    (indexing labels or predictions with it, counting it) fails the test."""

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if func is torch.Tensor.to:
            return args[0]
        raise AssertionError(f"the search read the test split ({getattr(func, '__name__', func)})")


def hide_test_split(monkeypatch):
    """Make every node-classification dataset's test mask `_Unreadable` after `prepare`."""
    from cogdl.tasks.node_classification import NodeClassification

    prepare = NodeClassification.prepare

    def guarded(self, dataset, config):
        dataset = prepare(self, dataset, config)
        dataset.graph.masks["test"] = dataset.graph.masks["test"].as_subclass(_Unreadable)
        return dataset

    monkeypatch.setattr(NodeClassification, "prepare", guarded)


def test_hidden_test_split_fails_a_run_that_evaluates_test(monkeypatch, data_root):
    from cogdl.experiment import experiment

    hide_test_split(monkeypatch)
    with pytest.raises(AssertionError, match="the search read the test split"):
        experiment("node_classification", "gcn", "cora", [0], out=None, data_root=data_root, epochs=2)


def test_search_never_reads_the_test_split_and_starts_from_the_defaults(monkeypatch, tmp_path, data_root):
    hide_test_split(monkeypatch)
    (tmp_path / "space.yaml").write_text(SPACE)
    space = load_space(tmp_path / "space.yaml", "node_classification", "gcn")
    study = run_search("node_classification", "gcn", "cora", space, 4, seeds_per_trial=2, base={"epochs": 20},
                       data_root=data_root)
    values = [t.value for t in study.trials]
    assert len(values) == 4 and all(0.3 < v <= 1 for v in values)
    assert study.trials[0].params == {"lr": 0.01, "hidden_size": 64, "dropout": 0.5}  # GCN's defaults
    assert study.best_value >= study.trials[0].value


def test_search_does_not_run_a_task_that_would_read_test(tmp_path, data_root):
    with pytest.raises(ConfigError) as caught:
        run_search("ssl_graph_classification", "graphmae", "mutag", {}, 1, data_root=data_root)
    assert "does not support search" in str(caught.value) and "node_classification" in str(caught.value)


DISCRETE = """\
hidden_size: {type: int, low: 16, high: 128, step: 16}
dropout: {type: categorical, choices: [0.2, 0.5]}
"""


def _done_params(study) -> list[tuple]:
    done = study.get_trials(states=(optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED))
    return [tuple(sorted(t.params.items())) for t in done]


def test_a_resumed_search_draws_no_parameters_twice_and_stops_when_the_space_is_spent(tmp_path, data_root):
    (tmp_path / "space.yaml").write_text(DISCRETE)
    space = load_space(tmp_path / "space.yaml", "node_classification", "gcn")
    assert space_size(space) == 16 and space_size({"lr": {"type": "float", "low": 0.1, "high": 1.0}}) is None
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    search = dict(storage=storage, study_name="s", base={"epochs": 3}, data_root=data_root)
    run_search("node_classification", "gcn", "cora", space, 6, **search)
    study = run_search("node_classification", "gcn", "cora", space, 12, **search)  # resumed with more trials
    drawn = _done_params(study)
    assert len(drawn) == 12 and len(set(drawn)) == 12
    repeats = [t for t in study.trials if t.user_attrs.get("repeat")]
    assert all(t.state == optuna.trial.TrialState.FAIL for t in repeats)  # drawn again, trained nothing
    study = run_search("node_classification", "gcn", "cora", space, 20, **search)  # more than the space holds
    drawn = _done_params(study)
    assert len(drawn) == 16 and len(set(drawn)) == 16


def _finished(storage: str) -> list:
    try:
        study = optuna.load_study(study_name="gcn-cora", storage=storage)
    except KeyError:  # not created yet
        return []
    return study.get_trials(states=(optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED))


def test_a_trial_left_by_a_process_killed_before_its_first_heartbeat_is_failed_on_resume(tmp_path, data_root):
    """Optuna never calls such a trial stale; counted as running, it would cost the study a trial for ever."""
    (tmp_path / "space.yaml").write_text(SPACE)
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    orphan = optuna.create_study(storage=storage, study_name="s", direction="maximize").ask()  # RUNNING, no heartbeat
    study = run_search("node_classification", "gcn", "cora", load_space(tmp_path / "space.yaml", "node_classification",
                       "gcn"), 2, storage=storage, study_name="s", base={"epochs": 5}, data_root=data_root)
    assert study.trials[orphan.number].state == optuna.trial.TrialState.FAIL
    assert len(study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))) == 2


def test_a_trial_killed_before_optunas_heartbeat_thread_beat_is_failed_on_resume(tmp_path, data_root, monkeypatch):
    """The kill lands after the objective began but before Optuna's heartbeat thread first beat (it
    runs beside the objective): the objective's own beat makes the trial stale on resume, so it is
    failed instead of counting as running for ever."""
    (tmp_path / "space.yaml").write_text(SPACE)
    space = load_space(tmp_path / "space.yaml", "node_classification", "gcn")
    storage = f"sqlite:///{tmp_path / 'study.db'}"

    class Killed(BaseException):  # as SIGKILL: Optuna does not end the trial
        pass

    def killed(*args, **kwargs):
        raise Killed()

    with monkeypatch.context() as patch:
        patch.setattr(optuna.storages._heartbeat.HeartbeatThread, "start", lambda self: None)  # not beaten yet
        patch.setattr(optuna.storages._heartbeat.HeartbeatThread, "join", lambda self: None)
        patch.setattr(cogdl.search, "experiment", killed)
        with pytest.raises(Killed):
            run_search("node_classification", "gcn", "cora", space, 2, storage=storage, study_name="s",
                       base={"epochs": 5}, data_root=data_root)
    study = run_search("node_classification", "gcn", "cora", space, 2, storage=storage, study_name="s",
                       base={"epochs": 5}, data_root=data_root)
    assert study.trials[0].user_attrs.get("began") and study.trials[0].state == optuna.trial.TrialState.FAIL
    assert len(study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))) == 2


def test_search_killed_and_rerun_with_its_storage_completes_the_remaining_trials(tmp_path, data_root):
    (tmp_path / "space.yaml").write_text(SPACE)
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    command = [sys.executable, "-m", "cogdl", "search", "--task", "node_classification", "--model", "gcn",
               "--dataset", "cora", "--space", str(tmp_path / "space.yaml"), "--n-trials", "8", "--storage", storage,
               "--study-name", "gcn-cora", "--set", "epochs=30", "--eval-seeds", "100-101",
               "--out", str(tmp_path / "out"), "--data-root", str(data_root)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    first = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while len(_finished(storage)) < 3 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    first.send_signal(signal.SIGKILL)
    first.wait()
    before = {t.number: t.value for t in _finished(storage)}
    assert 3 <= len(before) < 8, "the first process was not killed part-way"
    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    study = optuna.load_study(study_name="gcn-cora", storage=storage)
    after = {t.number: t.value for t in _finished(storage)}
    assert len(after) == 8 and all(after[n] == v for n, v in before.items())  # kept, not rerun
    states = [t.state for t in study.trials]
    assert states.count(optuna.trial.TrialState.FAIL) <= 1  # at most the trial the kill interrupted
    folder = tmp_path / "out" / "node_classification" / "cora" / "gcn" / "gcn-cora"
    assert (folder / "candidate.yaml").is_file()
    assert "best config on seeds 100-101" in rerun.stdout
    evaluated = sorted((folder / "eval-runs").rglob("seed_*"))
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and "was evaluated on seeds 100-101 before" in again.stdout, again.stderr
    assert sorted((folder / "eval-runs").rglob("seed_*")) == evaluated  # no evaluation seed trained again
    assert again.stdout.splitlines()[-2] == rerun.stdout.splitlines()[-2]  # the same evaluation printed
