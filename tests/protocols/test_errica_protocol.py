"""The `errica` protocol and the `<tu>-errica` datasets: per fold, select on the inner hold-out
without reading the test fold, retrain the chosen setting three times, test only those."""

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
import yaml
import torch

import cogdl
import cogdl.leaderboard
from cogdl.data.dataset import GraphFoldsDataset
from cogdl.datasets.errica import load_errica, parse_folds
from cogdl.datasets.tu import load_tu_folder
from cogdl.environment import cpu_model
from cogdl.errors import DataError
from cogdl.protocols import errica
from cogdl.protocols.errica import RETRAINS
from cogdl.tasks import graph_classification
from cogdl.threads import fixed_team, team_of

from tu_fixtures import write_tu_folder

GRID = {"hidden_size": [4, 16]}


def tiny_folds(tmp_path, num_folds: int = 3) -> GraphFoldsDataset:
    collection = load_tu_folder(write_tu_folder(tmp_path / "planted", num_graphs=36))
    order = torch.randperm(36, generator=torch.Generator().manual_seed(0))
    folds = []
    for k in range(num_folds):
        test = order[k * 12:(k + 1) * 12]
        rest = torch.cat([order[:k * 12], order[(k + 1) * 12:]])
        folds.append({"train": rest[:18].sort().values, "val": rest[18:].sort().values, "test": test.sort().values})
    return GraphFoldsDataset(info=collection.info, graphs=collection.graphs, folds=folds)


def test_each_fold_selects_on_its_hold_out_and_only_the_retrainings_read_its_test_fold(tmp_path, monkeypatch):
    dataset = tiny_folds(tmp_path)
    evaluated = []
    real_evaluate = graph_classification.evaluate

    def spy(model, graphs, ids, batch_size, trainer):
        evaluated.append(tuple(ids.tolist()))
        return real_evaluate(model, graphs, ids, batch_size, trainer)

    monkeypatch.setattr(graph_classification, "evaluate", spy)
    result = cogdl.experiment("graph_classification", "gin", dataset, seeds=[7], protocol="errica", grid=GRID,
                              out=tmp_path / "runs", epochs=4, batch_size=8)
    tests = [tuple(fold["test"].tolist()) for fold in dataset.folds]
    assert [evaluated.count(t) for t in tests] == [RETRAINS] * 3  # one test per retraining, none in selection
    assert [(r["fold"], r["seed"]) for r in result.records] == [(0, 7), (1, 8), (2, 9)]
    table = list(csv.DictReader(io.StringIO((result.run_dir / "selection.csv").read_text())))
    assert len(table) == len(GRID["hidden_size"]) * 3
    for record in result.records:
        rows = [row for row in table if int(row["fold"]) == record["fold"]]
        best = max(rows, key=lambda row: (float(row["val_acc"]), -int(row["setting"])))
        assert record["setting"] == int(best["setting"]) and record["val_acc"] == float(best["val_acc"])
        assert [row["chosen"] for row in rows].count("True") == 1
        assert len(record["retrain_test_accs"]) == RETRAINS
        assert record["test_acc"] == pytest.approx(np.mean(record["retrain_test_accs"]))
    summary = json.loads((result.run_dir / "summary.json").read_text())
    assert summary["unit"] == "fold" and summary["grid"] == GRID and summary["retrains"] == RETRAINS


def test_a_retraining_is_a_graph_split_run_from_its_own_seed(tmp_path):
    dataset = tiny_folds(tmp_path, 2)
    with fixed_team():  # one team size throughout: the same seed sums in the same order
        result = cogdl.experiment("graph_classification", "gin", dataset, seeds=[3], protocol="errica", out=None,
                                  epochs=4, batch_size=8)
        folds = len(dataset.folds)
        for k, record in enumerate(result.records):
            alone = [cogdl.experiment("graph_classification", "gin", dataset.fold_dataset(k), out=None, epochs=4,
                                      seeds=[3 + (r + 1) * folds + k], batch_size=8).records[0]["test_acc"]
                     for r in range(RETRAINS)]
            assert record["retrain_test_accs"] == alone


def test_jobs_do_not_change_the_result_at_one_thread_per_run(tmp_path):
    """GIN's BatchNorm rounds differently at another thread count (`cogdl.threads`), so both run
    with one thread per run: in this process, and in each of the two worker processes."""
    dataset = tiny_folds(tmp_path)
    with team_of(1, processes=2):
        one = cogdl.experiment("graph_classification", "gin", dataset, [0], protocol="errica", grid=GRID, out=None,
                               epochs=3, batch_size=8)
        two = cogdl.experiment("graph_classification", "gin", dataset, [0], protocol="errica", grid=GRID, out=None,
                               epochs=3, batch_size=8, jobs=2)
    assert one.records == two.records


def test_a_stopped_run_continues_from_its_kept_runs_without_repeating_them(tmp_path, monkeypatch):
    """`runs_dir` keeps every selection and retraining run; a second call reads back those kept (here
    all but four, as if the first call had stopped before them) and trains only the rest."""
    dataset = tiny_folds(tmp_path, 2)
    kept = tmp_path / "kept"
    with fixed_team():
        first = cogdl.experiment("graph_classification", "gin", dataset, [0], protocol="errica", grid=GRID, out=None,
                                 epochs=3, batch_size=8, runs_dir=kept)
        files = sorted(kept.glob("*.json"))
        assert len(files) == len(GRID["hidden_size"]) * 2 + RETRAINS * 2 and first.extra["kept_runs"]["read_back"] == 0
        for lost in files[::4]:
            lost.unlink()
        trained = []
        real_run = errica._one_run
        monkeypatch.setattr(errica, "_one_run", lambda *call: trained.append(call[2:]) or real_run(*call))
        again = cogdl.experiment("graph_classification", "gin", dataset, [0], protocol="errica", grid=GRID, out=None,
                                 epochs=3, batch_size=8, runs_dir=kept)
    assert again.records == first.records
    assert len(trained) == len(files[::4]) and again.extra["kept_runs"]["read_back"] == len(files) - len(trained)
    assert sorted(kept.glob("*.json")) == files
    # the wall time of the first call that made the runs read back: from its start to the last of them
    # (summary.json's 0.1 s rounding aside)
    assert first.extra["kept_runs"]["earlier_wall_seconds"] == 0
    assert 0 < again.extra["kept_runs"]["earlier_wall_seconds"] <= first.wall_seconds + 0.05
    # each kept run names the CPU model it ran on: values repeat bit for bit only on the same model
    assert {json.loads(f.read_text())["cpu"] for f in files} == {cpu_model()} == set(again.extra["kept_runs"]["cpus"])


def test_a_protocol_run_shows_its_runs_progress_those_read_back_included(tmp_path, monkeypatch):
    from cogdl.protocols import run_store

    bars = []

    class Bar:  # what the tqdm bar was told: its total, the runs done at the start, the updates
        def __init__(self, enabled, total, description, unit, done):
            self.enabled, self.total, self.description, self.closed = enabled, total, description, False
            self.read_back = self.done = done
            bars.append(self)

        def update(self, n):
            self.done += n

        def close(self):
            self.closed = True

    monkeypatch.setattr(run_store, "progress_bar", lambda *args: Bar(*args))
    dataset, kept = tiny_folds(tmp_path, 2), tmp_path / "kept"
    settings = dict(protocol="errica", grid=GRID, out=None, epochs=1, batch_size=8, runs_dir=kept, progress=True)
    selection, retrain = len(GRID["hidden_size"]) * 2, RETRAINS * 2
    with fixed_team():
        cogdl.experiment("graph_classification", "gin", dataset, [0], **settings)
        assert [(b.enabled, b.description.split(": ")[-1], b.total, b.done, b.closed) for b in bars] == [
            (True, "selection runs", selection, selection, True), (True, "retrain runs", retrain, retrain, True)]
        bars.clear()
        for lost in sorted(kept.glob("*.json"))[:2]:
            lost.unlink()
        cogdl.experiment("graph_classification", "gin", dataset, [0], **settings)
    assert [b.done for b in bars] == [selection, retrain] and sum(b.read_back for b in bars) == selection + retrain - 2


def test_a_kept_run_without_its_times_is_refused_by_name(tmp_path):
    dataset, kept = tiny_folds(tmp_path, 2), tmp_path / "kept"
    settings = dict(protocol="errica", grid=GRID, out=None, epochs=1, batch_size=8, runs_dir=kept)
    with fixed_team():
        cogdl.experiment("graph_classification", "gin", dataset, [0], **settings)
        untimed = sorted(kept.glob("*.json"))[0]
        untimed.write_text(json.dumps({k: v for k, v in json.loads(untimed.read_text()).items() if k != "started"}))
        with pytest.raises(DataError, match=f"{untimed.name}: not a kept run .no start and finish times.; delete it"):
            cogdl.experiment("graph_classification", "gin", dataset, [0], **settings)


def test_the_published_folds_load_with_the_papers_features(data_root):
    proteins = load_errica("proteins", data_root)
    assert proteins.info.name == "proteins-errica" and proteins.info.num_features == 3
    tested = torch.cat([fold["test"] for fold in proteins.folds]).sort().values
    assert len(proteins.folds) == 10 and torch.equal(tested, torch.arange(1113))
    for fold in proteins.folds:  # 90/10 of the other nine folds, stratified like the test fold
        assert fold["train"].numel() + fold["val"].numel() + fold["test"].numel() == 1113
        assert abs(fold["val"].numel() - 0.1 * (1113 - fold["test"].numel())) < 1
        assert abs(proteins.graphs.y[fold["test"]].float().mean() - proteins.graphs.y.float().mean()) < 0.01
    imdb = load_errica("imdb-binary", data_root)
    degree = torch.bincount(imdb.graphs.src, minlength=imdb.graphs.x.shape[0])
    assert imdb.info.num_features == 1 and torch.equal(imdb.graphs.x[:, 0], degree.float())


@pytest.mark.parametrize("folds, problem", [
    ([{"test": [0, 1], "model_selection": [{"train": [2, 9], "validation": [3]}]}], "graph id 9 out of range"),
    ([{"test": [0, 1], "model_selection": [{"train": [1, 2], "validation": [3]}]}], "a graph is in two"),
    ([{"test": [0], "model_selection": [{"train": [1, 2], "validation": [3]}]}], "exactly once"),
    ([{"test": [0, 1, 2, 3]}], "not a splits file"),
])
def test_a_bad_splits_file_is_one_error_naming_it(folds, problem):
    with pytest.raises(DataError, match=problem) as error:
        parse_folds(json.dumps(folds).encode(), "root/errica-splits/X_splits.json", 4)
    assert "X_splits.json" in str(error.value)


def test_the_protocol_the_task_and_the_dataset_must_fit(cli, tmp_path, data_root):
    status, _, err = cli("train", "--task", "graph_classification", "--model", "gin", "--dataset", "mutag",
                         "--protocol", "errica", "--out", str(tmp_path))
    assert status == 2 and "has none" in err
    status, _, err = cli("train", "--task", "graph_classification", "--model", "gin", "--dataset", "nci1-errica",
                         "--out", str(tmp_path))
    assert status == 2 and "protocols that run it: errica" in err
    status, _, err = cli("train", "--task", "graph_classification", "--model", "gin", "--dataset", "nci1-errica",
                         "--protocol", "errica", "--seeds", "0-1", "--out", str(tmp_path))
    assert status == 2 and "takes one seed" in err
    status, _, err = cli("train", "--task", "graph_classification", "--model", "gin", "--dataset", "mutag",
                         "--runs-dir", str(tmp_path / "kept"), "--out", str(tmp_path))
    assert status == 2 and "protocol 'seeds' does not keep runs" in err and "errica" in err and err.count("\n") == 1
    assert not (tmp_path / "kept").exists()


def test_an_entry_records_its_grid_and_reproduces_by_selecting_among_it_again(cli, tmp_path, data_root, monkeypatch):
    from cogdl.leaderboard.files import load_leaderboard
    from cogdl.leaderboard.reproduce import compare, plan, run_planned
    from cogdl.protocols.run_store import RunStore

    root = tmp_path / "leaderboard"
    (root / "tu").mkdir(parents=True)
    grid_file = tmp_path / "grid.yaml"
    grid_file.write_text("hidden_size: [8, 16]\n")
    with fixed_team():  # one team size over every run: the record's thread count holds throughout, as in reproduce
        status, out, err = cli("train", "--protocol", "errica", "--task", "graph_classification", "--model",
                               "deep_multisets", "--dataset", "imdb-binary-errica", "--grid", str(grid_file), "--set", "epochs=2",
                               "--out", str(tmp_path / "runs"))
        assert status == 0, err
        run = out.strip().splitlines()[-1]
        status, out, err = cli("train", "--from", run, "--out", str(tmp_path / "again"))
        assert status == 0, err
        first, again = (json.loads((Path(d) / "summary.json").read_text()) for d in (run, out.strip().splitlines()[-1]))
        assert again["grid"] == {"hidden_size": [8, 16]} and again["metrics"] == first["metrics"]  # --from repeats it
        board = root / "tu" / "graph_classification_errica.yaml"
        shipped = load_leaderboard(cogdl.leaderboard.leaderboard_dir() / "tu" / "graph_classification_errica.yaml")
        board.write_text(yaml.safe_dump({"protocol": shipped["protocol"], "entries": []}, sort_keys=False))
        status, _, err = cli("leaderboard", "record", run, str(board))
        assert status == 0, err
        entry = load_leaderboard(board)["entries"][0]
        assert entry["grid"] == {"hidden_size": [8, 16]} and entry["measured"]["n"] == 10
        planned = plan("tu", "full", root=root)
        records = run_planned(planned, RunStore(tmp_path / "store", None, resume=False))
        row = compare(planned[0], records[0], "full")
        assert row["target"] == "recorded" and row["mean"] == entry["measured"]["mean"] and row["status"] == "pass"
        assert row["cpus"] == [cpu_model()]
        # a reproduction stopped inside the entry (its unit unsaved) resumes from the entry's kept runs
        unit, = (tmp_path / "store").glob("*.json")
        unit.unlink()
        inner, = (tmp_path / "store").glob("*-runs")
        assert len(list(inner.glob("*.json"))) == 2 * 10 + 3 * 10  # 2 settings x 10 folds, then 3 retrains per fold
        older = next(inner.glob("*.json"))  # as if kept before runs recorded their CPU: the report says so
        older.write_text(json.dumps({k: v for k, v in json.loads(older.read_text()).items() if k != "cpu"}))
        monkeypatch.setattr(errica, "_one_run", lambda *call: pytest.fail(f"run again: {call[1:]}"))
        resumed = run_planned(planned, RunStore(tmp_path / "store", None, resume=True))
        assert [r["test_acc"] for r in resumed[0]] == [r["test_acc"] for r in records[0]]
        assert compare(planned[0], resumed[0], "full")["cpus"] == sorted([cpu_model(), "unknown"])
