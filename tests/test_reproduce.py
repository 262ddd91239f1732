import json
from pathlib import Path

import pytest
import yaml

from cogdl.config import load_yaml
from cogdl.leaderboard.files import tolerance
from helpers import REPO

PLANETOID = REPO / "leaderboard" / "planetoid"


@pytest.mark.parametrize("args, bound", [
    ((0.5, None, 100, 0.58, 10), 0.5),                 # no std in the paper: the floor holds
    ((0.5, 0.7, 100, 2.0, 10), 2 * (0.7**2 / 100 + 2.0**2 / 10) ** 0.5),
    ((0.5, 0.4, None, 0.6, 5), 2 * (0.4**2 / 5 + 0.6**2 / 5) ** 0.5),  # no n in the paper: as many runs as ours
    ((0.5, None, None, None, 1), 0.5),
])
def test_tolerance_is_the_larger_of_the_floor_and_two_standard_errors(args, bound):
    assert tolerance(*args) == pytest.approx(bound)


def _board_root(tmp_path, **changes):
    """A leaderboard root holding planetoid's node_classification file with cora / gcn cut to 20
    epochs over seeds `seeds`, its reference mean set to `reference` and its `tolerance`."""
    board = load_yaml(PLANETOID / "node_classification.yaml")
    entry = next(e for e in board["entries"] if (e["dataset"], e["model"]) == ("cora", "gcn"))
    entry["config"]["epochs"] = 20
    entry["measured"]["seeds"] = changes.get("seeds", [0])
    entry["reference"]["mean"] = changes.get("reference", entry["reference"]["mean"])
    entry["tolerance"] = changes.get("tolerance", entry["tolerance"])
    (tmp_path / "board" / "planetoid").mkdir(parents=True)
    (tmp_path / "board" / "planetoid" / "node_classification.yaml").write_text(yaml.safe_dump(board))
    return tmp_path / "board"


def _report(out: str) -> dict:
    """The report.json of the folder `cogdl reproduce` printed last."""
    with open(f"{out.strip().splitlines()[-1]}/report.json") as handle:
        return json.load(handle)


def _smoke_reproduction_checks(cli, tmp_path, data_root, *select) -> set[str]:
    """Run the smoke tier of planetoid's entries selected by `select` (reproduce's own options) with
    --check; return the report's rows (`task: dataset / model`), after asserting that each passed on
    seed 0 against its reference and that report.md lists them all."""
    status, out, err = cli("reproduce", "planetoid", "--tier", "smoke", "--check", "--out", str(tmp_path),
                           "--data-root", str(data_root), *select)
    assert status == 0, out + err
    report = _report(out)
    for row in report["rows"]:
        assert row["status"] in ("pass", "not measured")
        assert row["status"] == "not measured" or (row["seeds"] == [0] and row["target"] == "reference")
    assert (tmp_path / out.strip().splitlines()[-1] / "report.md").read_text().count("| ") >= len(report["rows"])
    return {row["entry"] for row in report["rows"]}


def _planetoid_entries(dataset: str | None = None) -> set[str]:
    """The Planetoid board's entries (on `dataset` alone when given) as reproduce names its rows."""
    return {f"{f.stem}: {e['dataset']} / {e['model']}" for f in PLANETOID.glob("*.yaml")
            for e in load_yaml(f)["entries"] if dataset in (None, e["dataset"])}


def test_reproduce_planetoid_smoke_tier_runs_every_model_of_the_board_on_cora(cli, tmp_path, data_root):
    """Each model of the Planetoid board (every task) runs end to end and learns; the same on all three
    graphs is the slow test below (GraphMAE on PubMed and CiteSeer alone cost CI a minute and a half)."""
    checked = _smoke_reproduction_checks(cli, tmp_path, data_root, "--dataset", "cora")
    assert checked == _planetoid_entries("cora")
    model_of = lambda label: label.rsplit(" / ", 1)[1]  # noqa: E731
    assert {model_of(label) for label in checked} == {model_of(label) for label in _planetoid_entries()}


@pytest.mark.slow
def test_reproduce_planetoid_smoke_tier_checks_every_entry(cli, tmp_path, data_root):
    assert _smoke_reproduction_checks(cli, tmp_path, data_root) == _planetoid_entries()


def test_reproduce_check_fails_an_entry_that_moved_from_its_reference(cli, tmp_path, data_root):
    root = _board_root(tmp_path, reference=30.0)
    args = ("reproduce", "planetoid", "--model", "gcn", "--dataset", "cora", "--leaderboard", str(root),
            "--out", str(tmp_path / "out"), "--data-root", str(data_root))
    status, out, _ = cli(*args, "--check")
    row, = _report(out)["rows"]
    assert status == 1 and row["status"] == "fail" and row["target_mean"] == 30.0
    assert row["delta"] == pytest.approx(row["mean"] - 30.0, abs=0.01) and row["bound"] == 0.5
    status, out, _ = cli(*args)  # without --check the report is written and the exit status is 0
    assert status == 0 and _report(out)["rows"][0]["status"] == "fail"


def test_reproduce_a_widened_tolerance_decides_and_its_reason_is_reported(cli, tmp_path, data_root):
    args = ("reproduce", "planetoid", "--model", "gcn", "--dataset", "cora", "--data-root", str(data_root), "--check")
    status, out, _ = cli(*args, "--leaderboard", str(_board_root(tmp_path / "a", reference=30.0)),
                         "--out", str(tmp_path / "a"))
    delta = _report(out)["rows"][0]["delta"]
    assert status == 1 and delta > 1
    reason = "the authors' code gives this on our split (measured: command, numbers)"
    root = _board_root(tmp_path / "b", reference=30.0, tolerance={"abs": delta + 0.5, "reason": reason})
    status, out, err = cli(*args, "--leaderboard", str(root), "--out", str(tmp_path / "b"))
    row, = _report(out)["rows"]
    assert status == 0, out + err
    assert row["status"] == "pass" and row["bound"] == pytest.approx(delta + 0.5, abs=0.01)
    report_md = (Path(out.strip().splitlines()[-1]) / "report.md").read_text()
    assert f"- node_classification: cora / gcn: tolerance {delta + 0.5} points. {reason}" in report_md


def test_reproduce_jobs_run_the_seeds_apart_with_the_same_values(cli, tmp_path, data_root):
    root = _board_root(tmp_path, seeds=[0, 1])
    values = []
    for jobs in ("1", "2"):
        status, out, err = cli("reproduce", "planetoid", "--model", "gcn", "--dataset", "cora", "--jobs", jobs,
                               "--leaderboard", str(root), "--out", str(tmp_path / jobs), "--data-root", str(data_root))
        assert status in (0, 1), err
        row, = _report(out)["rows"]
        values.append(row["values"])
    assert values[0] == values[1] and len(values[0]) == 2 and values[0][0] != values[0][1]


@pytest.mark.parametrize("args, message", [
    (("planetoidd",), "unknown benchmark 'planetoidd'"),
    (("planetoid", "--model", "nosuch"), "no entry of benchmark 'planetoid' matches"),
    (("planetoid", "--jobs", "0"), "--jobs 0: expected a number >= 1"),
])
def test_reproduce_bad_request_is_one_line_and_status_2(cli, tmp_path, args, message):
    status, _, err = cli("reproduce", *args, "--out", str(tmp_path))
    assert status == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not any(tmp_path.iterdir())


def test_reproduce_resume_reuses_the_saved_runs_and_runs_the_missing_ones(cli, tmp_path, data_root):
    root = _board_root(tmp_path, seeds=[0, 1])
    args = ("reproduce", "planetoid", "--model", "gcn", "--dataset", "cora", "--leaderboard", str(root),
            "--out", str(tmp_path / "out"), "--data-root", str(data_root))
    status, out, err = cli(*args)
    assert status == 0, err
    first = _report(out)
    saved = sorted((tmp_path / "out" / "planetoid-full-runs").glob("*.json"))
    assert len(saved) == 2 and first["reused_runs"] == 0
    # as if the reproduction had been killed after one run: one file gone, the other's value marked
    by_seed = {json.loads(path.read_text())["records"][0]["seed"]: path for path in saved}
    by_seed[1].unlink()
    marked = json.loads(by_seed[0].read_text())
    marked["records"][0]["test_acc"] = 0.123
    by_seed[0].write_text(json.dumps(marked))
    status, out, err = cli(*args, "--resume")
    resumed = _report(out)
    row, = resumed["rows"]
    assert status == 0, err
    assert resumed["reused_runs"] == 1 and row["values"] == [12.3, first["rows"][0]["values"][1]]
    assert row["commits"] == first["rows"][0]["commits"] and by_seed[1].exists()
    assert "saved by an earlier invocation" in (Path(out.strip().splitlines()[-1]) / "report.md").read_text()
    status, out, _ = cli(*args)  # without --resume every run is made again
    assert _report(out)["rows"][0]["values"] == first["rows"][0]["values"] and _report(out)["reused_runs"] == 0


def test_reproduce_resume_names_a_damaged_saved_run(cli, tmp_path, data_root):
    root = _board_root(tmp_path)
    args = ("reproduce", "planetoid", "--model", "gcn", "--dataset", "cora", "--leaderboard", str(root),
            "--out", str(tmp_path / "out"), "--data-root", str(data_root))
    assert cli(*args)[0] == 0
    saved, = (tmp_path / "out" / "planetoid-full-runs").glob("*.json")
    saved.write_text("{not json")
    reports = set((tmp_path / "out").iterdir())
    status, _, err = cli(*args, "--resume")
    assert status == 2 and str(saved) in err and len(err.strip().splitlines()) == 1
    assert set((tmp_path / "out").iterdir()) == reports
    saved.write_text(json.dumps({"commit": "abc", "records": [{"seed": 0, "seconds": 1.0}]}))  # lacks its metric
    status, _, err = cli(*args, "--resume")
    assert status == 2 and f"{saved}: not a kept run (KeyError: \"a record has no number 'test_acc'\")" in err
    assert set((tmp_path / "out").iterdir()) == reports


def test_graphmae_on_mutag_reproduces_at_the_thread_count_its_entry_records(data_root, monkeypatch):
    """Issue 32: reproduced with two threads, the entry's seeds moved (86.92 +- 0.60 against the
    recorded 86.71 +- 0.37, measured with one, on an AMD EPYC box where seed 0 gives 86.17 with one
    thread and 87.22 with two; an Intel Xeon box gives 87.22 with either). The entry now records its
    count, and a reproduction runs a seed at that count whatever this process's is."""
    import importlib

    import torch

    import cogdl
    from cogdl.leaderboard.reproduce import plan, run_unit
    from cogdl.threads import team_of

    item = plan("tu", "full", task="ssl_graph_classification", model="graphmae", dataset="mutag")[0]
    assert item.entry["measured"]["threads"] == 1
    experiment_module = importlib.import_module("cogdl.experiment")
    run, threads_seen = experiment_module.experiment, []

    def counting_threads(*args, **kwargs):
        threads_seen.append(torch.get_num_threads())
        return run(*args, **kwargs)

    monkeypatch.setattr(experiment_module, "experiment", counting_threads)
    with team_of(2):
        reproduced = run_unit(item, [0], 1, data_root)[0]["test_acc"]
    assert threads_seen == [1]
    with team_of(1):
        alone = cogdl.experiment("ssl_graph_classification", "graphmae", "mutag", [0], out=None, data_root=data_root,
                                 **item.config).records[0]["test_acc"]
    assert reproduced == alone
