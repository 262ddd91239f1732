import json
import statistics
import sys
from pathlib import Path

import pytest
import yaml

import cogdl
from cogdl.experiment import parse_seeds
from cogdl.errors import ConfigError


def test_parse_seeds_ranges_and_lists():
    assert parse_seeds("0-3") == [0, 1, 2, 3] and parse_seeds("0,5") == [0, 5] and parse_seeds("7") == [7]
    with pytest.raises(ConfigError, match="--seeds 'a-b'"):
        parse_seeds("a-b")


def test_experiment_python_api_writes_the_run_folder_contract(tmp_path, data_root, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["should-not-be-read", "--model", "gat"])
    result = cogdl.experiment(task="node_classification", model="gcn", dataset="cora", seeds=[0, 1],
                              out=tmp_path, data_root=data_root, epochs=20, patience=5)
    run = result.run_dir
    assert run.parent == tmp_path / "node_classification" / "cora" / "gcn"
    assert sorted(p.name for p in run.iterdir()) == [
        "config.resolved.yaml", "env.json", "seed_0", "seed_1", "summary.csv", "summary.json"]
    summary = json.loads((run / "summary.json").read_text())
    assert (summary["task"], summary["model"], summary["dataset"], summary["n"]) == ("node_classification", "gcn", "cora", 2)
    values = summary["metrics"]["test_acc"]["values"]
    assert summary["metrics"]["test_acc"]["std"] == pytest.approx(statistics.stdev(values))
    assert set(summary["metrics"]) == {f"{s}_{m}" for s in ("val", "test") for m in ("acc", "micro_f1", "macro_f1")}
    seed_metrics = json.loads((run / "seed_1" / "metrics.json").read_text())
    assert seed_metrics["test_acc"] == values[1] and 0 <= seed_metrics["test_acc"] <= 1
    assert 1 <= seed_metrics["best_epoch"] <= 20
    config = yaml.safe_load((run / "config.resolved.yaml").read_text())
    assert config["epochs"] == 20 and config["hidden_size"] == 64
    env = json.loads((run / "env.json").read_text())
    assert env["packages"]["torch"] and env["device"] == "cpu"
    assert not list(run.parent.glob(".partial-*"))


def test_experiment_resolved_config_is_accepted_by_config_flag(tmp_path, data_root):
    first = cogdl.experiment("node_classification", "mlp", "citeseer", [3], out=tmp_path, data_root=data_root,
                             epochs=5, hidden_size=8)
    again = cogdl.experiment("node_classification", "mlp", "citeseer", [3], out=tmp_path, data_root=data_root,
                             config_file=first.run_dir / "config.resolved.yaml")
    assert again.config == first.config
    assert again.summary["test_acc"]["values"] == first.summary["test_acc"]["values"]


def test_train_from_a_run_folder_repeats_the_run_bit_for_bit(cli, tmp_path, data_root):
    first = ["train", "--task", "node_classification", "--model", "mlp", "--dataset", "citeseer", "--seeds", "3,5",
             "--set", "epochs=5", "hidden_size=8", "--data-root", str(data_root)]
    status, out, _ = cli(*first, "--out", str(tmp_path / "a"))
    run = out.strip().splitlines()[-1]
    status, out, err = cli("train", "--from", run, "--out", str(tmp_path / "b"), "--data-root", str(data_root))
    assert status == 0, err
    again = out.strip().splitlines()[-1]
    summary, repeated = (json.loads((Path(d) / "summary.json").read_text()) for d in (run, again))
    assert repeated["seeds"] == [3, 5] and repeated["protocol"] == "seeds"
    assert {k: v["values"] for k, v in repeated["metrics"].items()} == {k: v["values"] for k, v in summary["metrics"].items()}
    assert (Path(again) / "config.resolved.yaml").read_text() == (Path(run) / "config.resolved.yaml").read_text()
    status, _, err = cli("train", "--from", run, "--model", "gcn", "--out", str(tmp_path / "c"))
    assert status == 2 and "--model gcn: the run of --from" in err and "has model 'mlp'" in err
    status, _, err = cli("train", "--from", str(tmp_path), "--out", str(tmp_path / "c"))
    assert status == 2 and err.count("\n") == 1 and "not a complete run folder" in err
    assert not (tmp_path / "c").exists()


def test_experiment_same_seed_reproduces(data_root):
    runs = [cogdl.experiment("node_classification", "gat", "cora", [4], out=None, data_root=data_root, epochs=5)
            for _ in range(2)]
    assert runs[0].records[0]["val_acc"] == runs[1].records[0]["val_acc"]


def test_gcn_on_cora_learns(data_root):
    result = cogdl.experiment("node_classification", "gcn", "cora", [0], out=None, data_root=data_root)
    assert result.summary["test_acc"]["mean"] >= 0.80


def test_cli_train_prints_table_and_run_folder_last(cli, tmp_path, data_root):
    status, out, err = cli("train", "--task", "node_classification", "--model", "gcn", "--dataset", "cora",
                           "--seed", "0", "1", "--set", "epochs=10", "--out", str(tmp_path), "--data-root", str(data_root))
    assert status == 0 and err == ""  # stderr is not a TTY: no progress bar
    lines = out.strip().splitlines()
    assert lines[-1].startswith(str(tmp_path / "node_classification" / "cora" / "gcn"))
    assert any(line.startswith("test_acc") and "± " in line and "(n=2)" in line for line in lines)


def test_cli_model_that_does_not_support_task_is_exit_2(cli, monkeypatch, data_root):
    from cogdl.registry import MODELS

    monkeypatch.setattr(MODELS.get("mlp"), "supported_tasks", ("graph_classification",))
    status, _, err = cli("train", "--task", "node_classification", "--model", "mlp", "--dataset", "cora")
    assert status == 2 and "does not support task 'node_classification'" in err


def test_cli_env_and_info(cli):
    status, out, _ = cli("env")
    assert status == 0 and json.loads(out)["packages"]["cogdl"]
    status, out, _ = cli("info", "model", "gat")
    assert status == 0 and "num_heads: int = 8" in out and "attn_dropout" in out
    status, out, _ = cli("info", "dataset", "cora")
    assert status == 0 and "num_nodes" in out and "sha256" in out


def test_cli_bad_arguments_are_one_line_exit_2(cli):
    status, _, err = cli("train", "--task", "node_classification")
    assert status == 2 and err.count("\n") == 1 and "required" in err


@pytest.mark.parametrize("args, message", [
    # trained both runs, then died with a FileExistsError traceback
    (["--task", "node_classification", "--model", "gcn", "--dataset", "cora", "--seed", "0", "0"],
     "seed 0 is given twice; give each seed once"),
    # died with a ValueError traceback from the model's constructor
    (["--task", "ssl_node_classification", "--model", "graphmae", "--dataset", "cora", "--set", "hidden_size=510"],
     "--set: hidden_size=510 must be divisible by num_heads=4 when encoder='gat'"),
    # was accepted: a learning rate of 0 trains nothing
    (["--task", "node_classification", "--model", "gcn", "--dataset", "cora", "--set", "lr=0"],
     "--set: lr=0.0 must be in (0.0, inf)"),
])
def test_cli_bad_values_exit_2_with_one_line_before_anything_trains(cli, tmp_path, data_root, args, message):
    status, out, err = cli("train", *args, "--out", str(tmp_path / "runs"), "--data-root", str(data_root))
    assert status == 2 and err.count("\n") == 1 and message in err, err
    assert out == "" and not (tmp_path / "runs").exists()


def test_cli_help_does_not_import_torch():
    """`cogdl --help` stays fast: torch, PyG and the registries are imported only where needed."""
    import subprocess

    code = "import sys; sys.argv = ['cogdl', '--help']\ntry:\n import cogdl.cli; cogdl.cli.main(['--help'])\n" \
           "except SystemExit: pass\nprint(sorted(m for m in ('torch', 'torch_geometric', 'numpy') if m in sys.modules))"
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert shown.stdout.strip().splitlines()[-1] == "[]", shown.stdout + shown.stderr
