"""Saved weights and `cogdl predict` / `cogdl embed`: a run's recorded metrics come out again
exactly from its `seed_<k>/model.pt`, and mismatched datasets or files are one clear line."""

from __future__ import annotations

import csv
import dataclasses
import json
import pickle
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from cogdl.checkpoint import checkpoint_bytes, load_checkpoint
from cogdl.errors import DataError
from cogdl.inference import check_sizes
from cogdl.models.base import ModelSizes

#: full batch, attention, mini-batches with layer-wise inference, bfloat16
SETTINGS = {
    "gcn": ["epochs=20"],
    "gat": ["epochs=10"],
    "graphsage": ["epochs=2", "batch_size=1024", "fanouts=3,3"],
    "mlp": ["epochs=10", "precision=bf16"],
}


def train(cli, tmp_path, model: str, dataset: str = "cora", seeds: str = "0-1") -> Path:
    status, out, err = cli("train", "--task", "node_classification", "--model", model, "--dataset", dataset,
                           "--seeds", seeds, "--out", str(tmp_path / "runs"), "--set", *SETTINGS[model])
    assert status == 0, err
    return Path(out.strip().splitlines()[-1])


@pytest.mark.parametrize("model", SETTINGS)
def test_predict_reproduces_the_recorded_metrics_exactly(cli, tmp_path, data_root, model):
    run_dir = train(cli, tmp_path, model)
    for seed in (0, 1):
        status, out, err = cli("predict", str(run_dir), "--seed", str(seed), "--out", str(tmp_path / "p.csv"))
        assert status == 0, err
        recorded = json.loads((run_dir / f"seed_{seed}" / "metrics.json").read_text())
        line = next(row for row in out.splitlines() if row.startswith("test_acc"))
        assert f"(recorded {100 * recorded['test_acc']:.2f}, same)" in line
    with open(tmp_path / "p.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2708 and set(rows[0]) == {"node", "prediction"}


def test_predict_computes_the_same_accuracy_as_training(tmp_path, data_root):
    """The library call: the metrics of the applied weights equal the recorded ones, value for value."""
    from cogdl.experiment import experiment
    from cogdl.inference import apply_run

    result = experiment("node_classification", "gcn", "cora", seeds=[3], out=tmp_path, epochs=15)
    applied = apply_run(result.run_dir)
    for name in ("test_acc", "val_acc", "test_macro_f1"):
        assert applied.metrics[name] == result.records[0][name]


def test_checkpoint_holds_plain_tensors_and_sizes(cli, tmp_path, data_root):
    run_dir = train(cli, tmp_path, "gcn", seeds="0")
    sizes, state = load_checkpoint(run_dir / "seed_0" / "model.pt")
    assert sizes == {"in_features": 1433, "out_features": 7, "num_edge_types": 0, "num_node_types": 0,
                     "target_type": None, "schema": ()}
    assert all(isinstance(v, torch.Tensor) for v in state.values())


def test_embed_writes_one_row_per_node(cli, tmp_path, data_root):
    run_dir = train(cli, tmp_path, "gcn", seeds="0")
    status, out, err = cli("embed", str(run_dir), "--out", str(tmp_path / "e.npy"))
    assert status == 0, err
    assert np.load(tmp_path / "e.npy").shape == (2708, 7)


def test_mismatched_dataset_and_bad_files_are_one_line(cli, tmp_path, data_root):
    run_dir = train(cli, tmp_path, "gcn", seeds="0")
    status, _, err = cli("predict", str(run_dir), "--dataset", "citeseer")
    assert status == 2 and "has 3703 node features" in err and "'cora' with 1433" in err
    status, _, err = cli("predict", str(run_dir), "--dataset", "hgb-acm")
    assert status == 2 and "does not take dataset 'hgb-acm'" in err
    status, _, err = cli("predict", str(run_dir), "--seed", "5")
    assert status == 2 and "no seed 5" in err
    status, _, err = cli("predict", str(tmp_path))
    assert status == 2 and "not a complete run folder" in err

    class Payload:  # a pickle that would run code when loaded without weights_only
        def __reduce__(self):
            return (Path.touch, (tmp_path / "owned",))

    (run_dir / "seed_0" / "model.pt").write_bytes(pickle.dumps(Payload()))
    status, _, err = cli("predict", str(run_dir))
    assert status == 2 and "not a CogDL checkpoint" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "owned").exists()


def test_a_typed_graph_must_match_the_saved_types_target_and_schema(tmp_path):
    acm = ModelSizes(in_features=64, out_features=3, num_edge_types=8, num_node_types=4, target_type=0,
                     schema=((0, 0, 0), (2, 0, 1), (3, 1, 0)))
    model = torch.nn.Linear(1, 1)
    model.sizes = acm
    (tmp_path / "model.pt").write_bytes(checkpoint_bytes(model))
    saved = ModelSizes(**load_checkpoint(tmp_path / "model.pt")[0])
    check_sizes(saved, acm, "hgb-acm", tmp_path, "hgb-acm")  # the saved lists equal the computed tuples
    for change, message in [({"num_node_types": 3}, "node types 3"), ({"target_type": 1}, "target node type 1"),
                            ({"schema": ((0, 0, 0), (2, 0, 2), (3, 2, 0))}, "[[0, 0, 0], [2, 0, 2], [3, 2, 0]]")]:
        with pytest.raises(DataError, match=re.escape(message)):
            check_sizes(saved, dataclasses.replace(acm, **change), "other", tmp_path, "hgb-acm")


def test_a_task_without_predict_points_to_embed(tmp_path, data_root, cli):
    status, out, err = cli("train", "--task", "ssl_node_classification", "--model", "graphmae", "--dataset", "cora",
                           "--out", str(tmp_path), "--set", "epochs=2", "probe_epochs=2")
    assert status == 0, err
    run_dir = Path(out.strip().splitlines()[-1])
    status, _, err = cli("predict", str(run_dir))
    assert status == 2 and "cogdl embed" in err
    status, _, err = cli("embed", str(run_dir), "--out", str(tmp_path / "e.npy"))
    assert status == 0, err
    assert np.load(tmp_path / "e.npy").shape[0] == 2708
