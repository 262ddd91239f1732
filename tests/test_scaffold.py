"""`cogdl new model`: the generated plugin installs, passes the contract and trains on Planetoid."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import DATA_ROOT, run_subprocess


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


def test_generated_model_trains_on_planetoid_as_generated(generated):
    """Cora, CiteSeer and PubMed, in one process that finds the model by its entry point."""
    code = ("import json, cogdl; print(json.dumps({d: cogdl.experiment('node_classification', 'my_gnn', d, out=None, "
            "epochs=100).summary['test_acc']['mean'] for d in ('cora', 'citeseer', 'pubmed')}))")
    env = dict(os.environ, COGDL_DATA=str(DATA_ROOT), COGDL_OFFLINE="1")
    trained = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, env=env)
    assert trained.returncode == 0, trained.stderr
    accuracy = json.loads(trained.stdout.strip().splitlines()[-1])
    assert accuracy["cora"] >= 0.78 and accuracy["citeseer"] >= 0.66 and accuracy["pubmed"] >= 0.76, accuracy


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
