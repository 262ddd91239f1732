"""Runs spread over a cluster: a real local Ray cluster (a head and a worker node on loopback) and a
real PostgreSQL server that two search processes share a study on."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest

import cogdl
from cogdl.protocols.executors import map_runs

from services import postgres_server, ray_cluster

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cluster():
    with ray_cluster() as address:
        yield address


def test_ray_executor_gives_the_records_of_local_execution(cluster, data_root):
    common = dict(task="node_classification", model="gcn", dataset="cora", seeds=range(3), out=None, epochs=30,
                  data_root=data_root)
    local = cogdl.experiment(**common, jobs=2)
    remote = cogdl.experiment(**common, executor="ray", address=cluster)
    strip = lambda records: [{k: v for k, v in r.items() if k != "fit_seconds"} for r in records]  # noqa: E731
    assert strip(remote.records) == strip(local.records)


def test_ray_executor_retries_a_killed_worker_and_records_each_run_once(cluster, tmp_path):
    marker = tmp_path / "killed-once"

    def square(k: int) -> int:
        if k == 2 and not marker.exists():
            marker.write_text("the first attempt of run 2 kills its worker")
            os._exit(1)
        return k * k

    recorded = []
    values = map_runs(square, [(k,) for k in range(4)], executor="ray", address=cluster,
                      on_result=lambda index, value: recorded.append(index))
    assert marker.exists() and values == [0, 1, 4, 9]
    assert sorted(recorded) == [0, 1, 2, 3]  # the retried run recorded once


def test_reproduce_on_ray_gives_the_report_of_local_execution(cli, cluster, tmp_path, data_root):
    reports = []
    for name, extra in (("local", ["--jobs", "2"]), ("ray", ["--executor", "ray", "--address", cluster])):
        status, out, err = cli("reproduce", "planetoid", "--tier", "smoke", "--model", "gcn", "--dataset", "cora",
                               "--out", str(tmp_path / name), "--data-root", str(data_root), "--check", *extra)
        assert status == 0, out + err
        with open(f"{out.strip().splitlines()[-1]}/report.json") as handle:
            reports.append({row["entry"]: (row["mean"], row["status"]) for row in json.load(handle)["rows"]})
    assert reports[0] == reports[1] and len(reports[0]) >= 1


def test_ray_executor_with_an_unreachable_address_is_one_clear_error(cli, tmp_path):
    pytest.importorskip("ray")
    code, _, err = cli("train", "--task", "node_classification", "--dataset", "cora", "--model", "gcn",
                       "--executor", "ray", "--address", "127.0.0.1:1", "--out", str(tmp_path))
    assert code == 2 and "cannot join the Ray cluster" in err


def test_two_search_processes_share_one_postgresql_study(tmp_path, data_root):
    space = tmp_path / "space.yaml"
    space.write_text("lr: {type: categorical, choices: [0.001, 0.003, 0.01, 0.03, 0.1]}\n"
                     "dropout: {type: float, low: 0.0, high: 0.8, step: 0.2}\n")  # 25 sets: draws would repeat
    with postgres_server() as url:
        command = [sys.executable, "-m", "cogdl", "search", "--task", "node_classification", "--model", "gcn",
                   "--dataset", "cora", "--space", str(space), "--n-trials", "20", "--storage", url,
                   "--study-name", "shared", "--set", "epochs=5", "--eval-seeds", "100",
                   "--data-root", str(data_root)]
        env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
        first = subprocess.Popen([*command, "--out", str(tmp_path / "a")], env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and first.poll() is None:  # the second joins once the study exists
            try:
                if optuna.load_study(study_name="shared", storage=url).trials:
                    break
            except KeyError:
                pass
            time.sleep(0.2)
        second = subprocess.run([*command, "--out", str(tmp_path / "b")], env=env, capture_output=True, text=True,
                                timeout=600)
        out, err = first.communicate(timeout=600)
        assert first.returncode == 0 and second.returncode == 0, err + second.stderr
        study = optuna.load_study(study_name="shared", storage=url)
        finished = [t for t in study.trials if t.state in (optuna.trial.TrialState.COMPLETE,
                                                          optuna.trial.TrialState.PRUNED)]
        assert len(finished) == 20  # none lost, none beyond the 20 asked for
        params = [tuple(sorted(t.params.items())) for t in finished]
        assert len(set(params)) == 20  # no parameters evaluated twice, in a space where draws repeat
        others = [t for t in study.trials if t not in finished]
        assert all(t.user_attrs.get("surplus") or t.user_attrs.get("repeat") for t in others)  # trained nothing
        assert "(20 complete" in out or "(20 complete" in second.stdout
