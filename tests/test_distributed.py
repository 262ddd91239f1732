"""Data-parallel training (DDP, gloo on loopback): one step over two processes equals the
single-process step, and `cogdl train --nproc 2` trains one model, full-batch and in mini-batches,
with rank 0 alone writing the run folder."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from cogdl.distributed import free_port
from cogdl.models.base import ModelSizes
from cogdl.registry import MODELS
from cogdl.tasks.node_classification import cross_entropy_step
from cogdl.testing.tiny_datasets import node_split
from cogdl.trainer import LoopConfig, Trainer

REPO = Path(__file__).resolve().parents[1]


def _model_and_graph():
    graph = node_split(seed=0, num_nodes=40).graph
    torch.manual_seed(0)
    cls = MODELS.get("gcn")
    return cls(cls.Config(dropout=0.0), ModelSizes(graph.x.shape[1], 3)), graph


def _one_step(trainer: Trainer, model, graph) -> dict:
    train = trainer.shard(graph.masks["train"].nonzero().squeeze(1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    cross_entropy_step(trainer.parallel(model), graph, graph.x, train, optimizer)
    return {k: v.clone() for k, v in model.state_dict().items()}


def _rank(rank: int, port: int, out: str) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
    try:
        model, graph = _model_and_graph()
        torch.save(_one_step(Trainer(LoopConfig()), model, graph), f"{out}/rank{rank}.pt")
        dist.barrier()  # leave together: a rank that tears gloo down while the other still talks aborts
    finally:
        dist.destroy_process_group()


def test_a_data_parallel_step_equals_the_single_process_step_on_all_nodes(tmp_path):
    model, graph = _model_and_graph()
    assert int(graph.masks["train"].sum()) % 2 == 0  # equal shards: the mean of shard means is the mean
    single = _one_step(Trainer(LoopConfig()), model, graph)
    mp.spawn(_rank, args=(free_port(), str(tmp_path)), nprocs=2, join=True)
    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1)]
    for name, value in single.items():
        torch.testing.assert_close(ranks[0][name], ranks[1][name], rtol=0, atol=0)  # replicas stay equal
        torch.testing.assert_close(ranks[0][name], value, rtol=1e-5, atol=1e-6)


def _train(tmp_path, data_root, *extra):
    command = [sys.executable, "-m", "cogdl", "train", "--task", "node_classification", "--dataset", "cora",
               "--data-root", str(data_root), "--out", str(tmp_path / "runs"), *extra]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)


def _folders(tmp_path):
    return [p for p in (tmp_path / "runs").glob("node_classification/cora/*/*") if p.is_dir()]


def test_cli_nproc_2_trains_gcn_on_cora_within_noise_of_one_process(tmp_path, data_root):
    one = _train(tmp_path / "one", data_root, "--model", "gcn")
    two = _train(tmp_path / "two", data_root, "--model", "gcn", "--nproc", "2")
    assert one.returncode == 0 and two.returncode == 0, two.stderr
    assert two.stdout.count("test_acc") == 1  # rank 0 reports, the other rank stays quiet
    folder, = _folders(tmp_path / "two")
    assert json.loads((folder / "env.json").read_text())["data_parallel"] == {"processes": 2, "backend": "gloo"}
    accuracy = [json.loads((f / "seed_0" / "metrics.json").read_text())["test_acc"]
                for f in (_folders(tmp_path / "one")[0], folder)]
    assert abs(accuracy[0] - accuracy[1]) < 0.02, accuracy  # GCN's seed-to-seed sd on Cora is ~0.006


def test_cli_nproc_2_trains_in_mini_batches(tmp_path, data_root):
    run = _train(tmp_path, data_root, "--model", "graphsage", "--nproc", "2", "--set", "batch_size=32",
                 "fanouts=10,5", "epochs=40")
    assert run.returncode == 0, run.stderr
    folder, = _folders(tmp_path)
    assert json.loads((folder / "seed_0" / "metrics.json").read_text())["test_acc"] > 0.72


@pytest.mark.parametrize("extra", [["--jobs", "2"], ["--executor", "ray"]])
def test_cli_nproc_does_not_combine_with_other_executors(cli, tmp_path, extra):
    code, _, err = cli("train", "--task", "node_classification", "--dataset", "cora", "--model", "gcn", "--nproc",
                       "2", *extra, "--out", str(tmp_path))
    assert code == 2 and "does not combine" in err


def test_cli_nproc_refuses_a_task_that_does_not_train_data_parallel(cli, tmp_path):
    code, _, err = cli("train", "--task", "graph_classification", "--dataset", "mutag", "--model", "gin", "--nproc",
                       "2", "--out", str(tmp_path))
    assert code == 2 and "does not train data parallel" in err and "node_classification" in err
