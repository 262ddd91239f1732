"""`cogdl new model`: the generated plugin installs, passes the contract and trains on Planetoid."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import run_subprocess


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("scaffold")
    made = run_subprocess("new", "model", "my_gnn", "--out", str(out))
    assert made.returncode == 0, made.stderr
    folder = Path(made.stdout.strip().splitlines()[-1])
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(pip + ["install", "--no-deps", "--no-build-isolation", str(folder)], check=True, timeout=300)
    yield folder
    subprocess.run(pip + ["uninstall", "-y", "cogdl-my-gnn"], check=True, timeout=300)


def test_new_model_writes_a_package_with_its_entry_point_and_test(cli, tmp_path):
    status, out, _ = cli("new", "model", "my_gnn", "--out", str(tmp_path))
    folder = Path(out.strip().splitlines()[-1])
    assert status == 0 and folder == tmp_path / "cogdl-my-gnn"
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) == [
        "README.md", "cogdl_my_gnn/__init__.py", "cogdl_my_gnn/model.py", "pyproject.toml", "tests/test_model.py"]
    assert 'my_gnn = "cogdl_my_gnn.model:MyGnn"' in (folder / "pyproject.toml").read_text()


def test_generated_model_passes_its_own_contract_test(generated):
    checked = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(generated / "tests")],
                             capture_output=True, text=True, timeout=600, cwd=generated)
    assert checked.returncode == 0 and "2 passed" in checked.stdout, checked.stdout + checked.stderr


@pytest.mark.parametrize("dataset, floor", [("cora", 0.75), ("citeseer", 0.62), ("pubmed", 0.73)])
def test_generated_model_trains_on_planetoid_as_generated(generated, tmp_path, dataset, floor):
    trained = run_subprocess("train", "--task", "node_classification", "--dataset", dataset, "--model", "my_gnn",
                             "--out", str(tmp_path))
    assert trained.returncode == 0, trained.stderr
    summary = json.loads((Path(trained.stdout.strip().splitlines()[-1]) / "summary.json").read_text())
    assert summary["metrics"]["test_acc"]["mean"] >= floor


@pytest.mark.parametrize("args, message", [
    (["My-GNN"], "model name 'My-GNN': expected lower-case letters"),
    (["gcn"], "model name 'gcn' is a built-in model's"),
])
def test_new_model_refuses_bad_or_reserved_names(cli, tmp_path, args, message):
    status, _, err = cli("new", "model", *args, "--out", str(tmp_path))
    assert status == 2 and message in err and err.count("\n") == 1
    assert not any(tmp_path.iterdir())


def test_new_model_never_overwrites(cli, tmp_path):
    assert cli("new", "model", "twice", "--out", str(tmp_path))[0] == 0
    status, _, err = cli("new", "model", "twice", "--out", str(tmp_path))
    assert status == 2 and "cogdl-twice exists; nothing was written" in err
