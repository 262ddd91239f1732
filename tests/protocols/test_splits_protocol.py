"""The `splits` protocol: one run per fixed split, split k from seed + k, the same with --jobs."""

import json
from pathlib import Path

import cogdl
from cogdl.data.dataset import DatasetInfo, SplitFamilyDataset
from cogdl.data.graph import Graph

import torch


def tiny_family(num_splits: int = 3) -> SplitFamilyDataset:
    torch.manual_seed(0)
    n = 40
    src, dst = torch.randint(0, n, (160,)), torch.randint(0, n, (160,))
    graph = Graph.from_coo(torch.cat([dst, src]), torch.cat([src, dst]), n, x=torch.randn(n, 6),
                           y=torch.randint(0, 3, (n,)))
    splits = []
    for k in range(num_splits):
        order = torch.randperm(n, generator=torch.Generator().manual_seed(k))
        masks = {name: torch.zeros(n, dtype=torch.bool) for name in ("train", "val", "test")}
        masks["train"][order[:20]], masks["val"][order[20:30]], masks["test"][order[30:]] = True, True, True
        splits.append(masks)
    return SplitFamilyDataset(info=DatasetInfo("tiny-family", 6, 3), graph=graph, splits=splits)


def test_one_record_per_split_each_from_seed_plus_k(tmp_path):
    family = tiny_family()
    result = cogdl.experiment("node_classification", "gcn", family, seeds=[5], protocol="splits", out=tmp_path,
                              epochs=5)
    assert [(r["split"], r["seed"]) for r in result.records] == [(0, 5), (1, 6), (2, 7)]
    assert result.summary["test_acc"]["n"] == 3
    assert sorted(p.name for p in result.run_dir.glob("split_*")) == ["split_0", "split_1", "split_2"]
    assert json.loads((result.run_dir / "summary.json").read_text())["unit"] == "split"
    single = cogdl.experiment("node_classification", "gcn", family.split_dataset(1), seeds=[6], out=None, epochs=5)
    assert single.records[0]["test_acc"] == result.records[1]["test_acc"]


def test_jobs_do_not_change_the_result():
    family = tiny_family(4)
    one = cogdl.experiment("node_classification", "mlp", family, [0], protocol="splits", out=None, epochs=10)
    two = cogdl.experiment("node_classification", "mlp", family, [0], protocol="splits", out=None, epochs=10, jobs=2)
    assert [r["test_acc"] for r in one.records] == [r["test_acc"] for r in two.records]


def test_the_protocol_and_the_dataset_must_fit(cli, tmp_path, data_root):
    status, _, err = cli("train", "--task", "node_classification", "--model", "gcn", "--dataset", "texas",
                         "--out", str(tmp_path))
    assert status == 2 and "protocols that run it: splits" in err
    status, _, err = cli("train", "--task", "node_classification", "--model", "gcn", "--dataset", "cora",
                         "--protocol", "splits", "--out", str(tmp_path))
    assert status == 2 and "has none" in err
    status, _, err = cli("train", "--task", "node_classification", "--model", "gcn", "--dataset", "texas",
                         "--protocol", "splits", "--seeds", "0-1", "--out", str(tmp_path))
    assert status == 2 and "takes one seed" in err
    status, out, err = cli("train", "--task", "node_classification", "--model", "gcn", "--dataset", "texas",
                           "--protocol", "splits", "--set", "epochs=5", "--out", str(tmp_path))
    assert status == 0, err
    assert "10 split(s)" in out and Path(out.strip().splitlines()[-1]).is_dir()
