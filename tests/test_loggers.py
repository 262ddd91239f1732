"""`--logger tensorboard|mlflow|csv`: each seed's epochs land in the tracker's own format, read back
by the tracker's own reader, and a killed run leaves a log that still reads."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import DATA_ROOT

EPOCHS = 15


def tensorboard_scalars(folder: Path) -> dict[str, list[tuple[int, float]]]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(folder))
    events.Reload()
    return {tag: [(e.step, e.value) for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]}


def mlflow_runs(store: Path, experiment: str):
    import mlflow

    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    mlflow.set_tracking_uri(store.resolve().as_uri())
    return mlflow.search_runs(experiment_names=[experiment], output_format="list")


@pytest.fixture(scope="module")
def logged_run(tmp_path_factory):
    from cogdl.experiment import experiment

    out = tmp_path_factory.mktemp("logged")
    os.environ.pop("MLFLOW_TRACKING_URI", None)  # mlflow.set_tracking_uri (in a reader below) exports it
    result = experiment("node_classification", "gcn", "cora", seeds=[0, 1], out=out, epochs=EPOCHS,
                        logger=["tensorboard", "mlflow", "csv"], patience=None)
    env = json.loads((result.run_dir / "env.json").read_text())
    return out, Path(env["logs"]["root"]), result


def test_tensorboard_event_files_hold_every_epoch(logged_run):
    _, root, result = logged_run
    for seed in (0, 1):
        scalars = tensorboard_scalars(root / f"seed_{seed}")
        assert {"train_loss", "val_score", "val_loss"} <= set(scalars)
        assert [step for step, _ in scalars["train_loss"]] == list(range(1, EPOCHS + 1))
        assert scalars["final/test_acc"][0][1] == pytest.approx(result.records[seed]["test_acc"])


def test_mlflow_runs_are_found_by_search_runs(logged_run):
    out, _, result = logged_run
    runs = {run.info.run_name: run for run in mlflow_runs(out / "mlruns", "node_classification/cora/gcn")}
    assert set(runs) == {"seed 0", "seed 1"}
    run = runs["seed 1"]
    assert run.info.status == "FINISHED"
    assert run.data.params["lr"] == "0.01" and run.data.params["epochs"] == str(EPOCHS)
    assert run.data.metrics["final_test_acc"] == pytest.approx(result.records[1]["test_acc"])
    import mlflow

    history = mlflow.MlflowClient().get_metric_history(run.info.run_id, "val_loss")
    assert sorted(m.step for m in history) == list(range(1, EPOCHS + 1))


def test_csv_log_has_one_row_per_epoch_and_the_config(logged_run):
    _, root, result = logged_run
    with open(root / "seed_0" / "epochs.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["epoch"]) for r in rows] == list(range(1, EPOCHS + 1))
    assert float(rows[-1]["val_score"]) >= 0
    assert "hidden_size: 64" in (root / "seed_0" / "config.yaml").read_text()
    assert json.loads((root / "seed_0" / "metrics.json").read_text())["test_acc"] == result.records[0]["test_acc"]


def test_a_killed_run_leaves_readable_logs(tmp_path):
    env = dict(os.environ, COGDL_DATA=str(DATA_ROOT), COGDL_OFFLINE="1")
    env.pop("MLFLOW_TRACKING_URI", None)  # else the run logs to the store a reader above pointed mlflow at
    command = [sys.executable, "-m", "cogdl", "train", "--task", "node_classification", "--model", "gcn",
               "--dataset", "cora", "--out", str(tmp_path), "--logger", "tensorboard", "mlflow", "csv",
               "--set", "epochs=100000", "patience=100000"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            logs = list(tmp_path.glob("logs/*/*/*/*/seed_0/epochs.csv"))
            if logs and len(logs[0].read_text().splitlines()) > 20:
                break
            time.sleep(0.2)
        else:
            pytest.fail("the run logged no epochs within 120 s")
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    seed_dir = logs[0].parent
    with open(seed_dir / "epochs.csv") as handle:
        epochs = [int(row["epoch"]) for row in csv.DictReader(handle)]
    assert epochs == list(range(1, len(epochs) + 1)) and len(epochs) >= 20
    assert len(tensorboard_scalars(seed_dir)["train_loss"]) >= 20
    (run,) = mlflow_runs(tmp_path / "mlruns", "node_classification/cora/gcn")
    assert run.info.status == "RUNNING" and run.data.metrics["train_loss"] > 0
    assert not list(tmp_path.glob("node_classification/cora/gcn/*"))  # no half-written run folder


def test_logger_names_and_protocols_are_checked(cli, tmp_path):
    status, _, err = cli("train", "--task", "node_classification", "--model", "gcn", "--dataset", "cora",
                         "--logger", "wandb", "--out", str(tmp_path))
    assert status == 2 and "expected one of tensorboard, mlflow, csv" in err
    status, _, err = cli("train", "--task", "node_classification", "--model", "gcn", "--dataset", "cora",
                         "--logger", "csv", "csv", "--out", str(tmp_path))
    assert status == 2 and "twice" in err
    status, _, err = cli("train", "--task", "node_classification", "--model", "gcn", "--dataset", "igb-cora",
                         "--protocol", "igb", "--logger", "csv", "--out", str(tmp_path))
    assert status == 2 and "protocol 'igb'" in err
