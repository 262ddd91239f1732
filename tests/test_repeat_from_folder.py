"""Every built-in model repeats its metrics exactly from its run folder (`cogdl train --from`), for
every task it declares, on the tiny dataset of that task's shape (`cogdl.testing.tiny_datasets`)."""

import json
from pathlib import Path

import pytest

from cogdl.registry import DATASETS, MODELS, TASKS
from cogdl.testing.tiny_datasets import tiny_dataset
from cogdl.threads import fixed_team

PAIRS = [(e.name, task) for e in MODELS.entries() if e.source == "built-in" for task in e.obj.supported_tasks]


def _values(run: str) -> dict:
    per_seed = sorted(Path(run).glob("seed_*/metrics.json"))
    return {p.parent.name: {k: v for k, v in json.loads(p.read_text()).items() if not k.endswith("_seconds")}
            for p in per_seed}


@pytest.mark.parametrize("model, task", PAIRS, ids=lambda v: v)
def test_a_run_repeats_bit_for_bit_from_its_folder(cli, tmp_path, monkeypatch, model, task):
    task_cls = TASKS.get(task)
    name = f"tiny-{task_cls.accepts[0].__name__.lower()}"
    monkeypatch.setattr(DATASETS, "_entries", dict(DATASETS._entries))
    DATASETS.add(name, lambda root, shape=task_cls.accepts[0]: tiny_dataset(shape), "tests")
    settings = [f"{k}={v}" for k, v in task_cls.quick_config.items()]
    with fixed_team():  # one team size for both runs, whatever the load (`cogdl.threads`)
        status, out, err = cli("train", "--task", task, "--model", model, "--dataset", name, "--seeds", "1,2",
                               "--set", *settings, "--out", str(tmp_path / "first"))
        assert status == 0, err
        first = out.strip().splitlines()[-1]
        status, out, err = cli("train", "--from", first, "--out", str(tmp_path / "again"))
        assert status == 0, err
    again = out.strip().splitlines()[-1]
    assert _values(again) == _values(first) and len(_values(first)) == 2
    assert (Path(again) / "config.resolved.yaml").read_text() == (Path(first) / "config.resolved.yaml").read_text()
