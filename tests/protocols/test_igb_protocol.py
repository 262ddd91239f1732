"""IGB's protocol on a small igb-cora (4 graphs): selection on mean validation, refit, run folder."""

import csv
import json

import pytest
import yaml

import cogdl
from cogdl.config import load_grid
from cogdl.datasets.igb import build_igb
from cogdl.errors import ConfigError
from cogdl.protocols.base import grid_settings
from cogdl.tasks import node_classification
from cogdl.tasks.node_classification import NodeClassification

QUICK = {"epochs": 30, "patience": 30}
GRID = {"hidden_size": [4, 32], "lr": [0.01]}


@pytest.fixture(scope="module")
def small_igb(tmp_path_factory, data_root):
    root = tmp_path_factory.mktemp("igb") / "data"
    root.mkdir()
    (root / "cora").symlink_to(data_root / "cora")
    build_igb("igb-cora", root, graphs=4, walk_length=200, seed=0)
    return root


def run_igb(grid, jobs=1, out=None, data_root=None):
    return cogdl.experiment("node_classification", "gcn", "igb-cora", [0], protocol="igb", grid=grid, jobs=jobs,
                            out=out, data_root=data_root, **QUICK)


def test_igb_protocol_picks_the_best_mean_validation_and_refits_for_the_best_epochs(small_igb, tmp_path, monkeypatch):
    refit_steps, contexts = [], []
    real_step = node_classification.cross_entropy_step
    real_run = NodeClassification.run

    def counted_step(model, graph, x, mask, optimizer):
        if contexts[-1].refit_epochs is not None:
            refit_steps.append(1)
        return real_step(model, graph, x, mask, optimizer)

    def recorded_run(self, model, prepared, config, context):
        assert context.evaluate_test == (context.refit_epochs is not None)  # selection runs never evaluate test
        contexts.append(context)
        return real_run(self, model, prepared, config, context)

    monkeypatch.setattr(node_classification, "cross_entropy_step", counted_step)
    monkeypatch.setattr(NodeClassification, "run", recorded_run)
    result = run_igb(GRID, data_root=small_igb, out=tmp_path / "runs")
    chosen = result.extra["chosen_setting"]
    means = [float(row["mean_val_acc"]) for row in csv.DictReader(result.files["grid.csv"].splitlines())]
    assert chosen == max(range(2), key=lambda k: (means[k], -k))
    assert result.config["hidden_size"] == GRID["hidden_size"][chosen]
    assert [c.refit_epochs for c in contexts[-4:]] == [r["best_epoch"] for r in result.records]
    assert len(refit_steps) == sum(r["best_epoch"] for r in result.records)
    assert result.summary["test_acc"]["n"] == 4

    folder = result.run_dir
    summary = json.loads((folder / "summary.json").read_text())
    assert (summary["n"], summary["unit"], summary["seeds"], summary["chosen_setting"]) == (4, "graph", [0], chosen)
    assert yaml.safe_load((folder / "config.resolved.yaml").read_text())["hidden_size"] == result.config["hidden_size"]
    assert [row["hidden_size"] for row in csv.DictReader(open(folder / "grid.csv"))] == ["4", "32"]
    assert sorted(p.name for p in folder.glob("graph_*")) == ["graph_0", "graph_1", "graph_2", "graph_3"]
    assert json.loads((folder / "env.json").read_text())["igb_manifest"]["graphs"] == 4


def test_igb_protocol_gives_the_same_result_in_worker_processes(small_igb):
    one = run_igb({"hidden_size": [8]}, data_root=small_igb, jobs=1)
    two = run_igb({"hidden_size": [8]}, data_root=small_igb, jobs=2)
    assert one.records == two.records


def test_igb_cli_prints_the_grid_and_the_run_folder(small_igb, tmp_path, cli):
    grid = tmp_path / "grid.yaml"
    grid.write_text("hidden_size: [8, 16]\n")
    status, out, err = cli("train", "--protocol", "igb", "--task", "node_classification", "--model", "gcn",
                           "--dataset", "igb-cora", "--grid", str(grid), "--set", "epochs=20", "patience=20",
                           "--data-root", str(small_igb), "--out", str(tmp_path / "runs"))
    assert status == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("setting 0 (hidden_size=8): mean val_acc") and "4 graph(s)" in out
    assert sum("<- chosen" in line for line in lines) == 1
    assert lines[-1].startswith(str(tmp_path / "runs" / "node_classification" / "igb-cora" / "gcn"))


@pytest.mark.parametrize("args, message", [
    (["--dataset", "cora", "--protocol", "igb"], "protocol igb runs over many i.i.d. graphs (e.g. igb-cora); 'cora' (a single graph with a node split) has none"),
    (["--dataset", "igb-cora", "--grid", "GRID"], "protocol 'seeds' takes no --grid; protocols that do: errica, igb"),
    (["--dataset", "igb-cora", "--protocol", "igb", "--grid", "GRID_BAD"], "--grid: unknown key 'hiden_size'"),
    (["--dataset", "igb-cora", "--protocol", "igb", "--seeds", "0-1"], "protocol igb takes one seed"),
    (["--dataset", "igb-cora", "--protocol", "igbb"], "unknown protocol 'igbb' (did you mean 'igb'?)"),
])
def test_igb_cli_errors_are_one_line_with_status_2(small_igb, tmp_path, cli, args, message):
    (tmp_path / "grid.yaml").write_text("hidden_size: [8]\n")
    (tmp_path / "bad.yaml").write_text("hiden_size: [8]\n")
    args = [str(tmp_path / "grid.yaml") if a == "GRID" else str(tmp_path / "bad.yaml") if a == "GRID_BAD" else a
            for a in args]
    status, _, err = cli("train", "--task", "node_classification", "--model", "gcn", "--data-root", str(small_igb), *args)
    assert status == 2 and message in err and err.count("\n") == 1


def test_igb_grid_file_and_settings(tmp_path):
    path = tmp_path / "grid.yaml"
    path.write_text("lr: [0.01, 0.005]\nhidden_size: 16\ndropout: [0.5, 0.6]\n")
    grid = load_grid(path)
    assert grid == {"lr": [0.01, 0.005], "hidden_size": [16], "dropout": [0.5, 0.6]}
    assert grid_settings(grid)[:2] == [{"lr": 0.01, "hidden_size": 16, "dropout": 0.5},
                                       {"lr": 0.01, "hidden_size": 16, "dropout": 0.6}]
    path.write_text("lr: []\n")
    with pytest.raises(ConfigError, match="lr: expected at least one value"):
        load_grid(path)


def test_igb_run_is_recorded_over_graphs_and_reproduced_exactly(small_igb, tmp_path, cli):
    from cogdl.leaderboard import record
    from helpers import REPO

    board = tmp_path / "board" / "igb"
    board.mkdir(parents=True)
    header = yaml.safe_load((REPO / "leaderboard" / "igb" / "node_classification.yaml").read_text())["protocol"]
    (board / "node_classification.yaml").write_text(yaml.safe_dump({"protocol": header, "entries": []}))
    result = run_igb(GRID, data_root=small_igb, out=tmp_path / "runs")
    entry = record([result.run_dir], board / "node_classification.yaml")
    assert (entry["measured"]["n"], entry["measured"]["seeds"]) == (4, [0])
    assert entry["measured"]["mean"] == round(100 * result.summary["test_acc"]["mean"], 2)
    assert entry["config"]["hidden_size"] == GRID["hidden_size"][result.extra["chosen_setting"]]

    status, out, err = cli("reproduce", "igb", "--leaderboard", str(tmp_path / "board"), "--check",
                           "--data-root", str(small_igb), "--out", str(tmp_path / "repro"))
    assert status == 0, err
    row = json.loads((tmp_path / "repro").glob("igb-full-*/report.json").__next__().read_text())["rows"][0]
    assert (row["status"], row["n"], row["delta"]) == ("pass", 4, 0.0)
