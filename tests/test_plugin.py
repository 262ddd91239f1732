"""The example plugin installs into this environment and trains by name from the CLI."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import REPO, run_subprocess

PLUGIN = REPO / "examples" / "plugin"


@pytest.fixture(scope="module")
def installed_plugin():
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(pip + ["install", "--no-deps", "--no-build-isolation", str(PLUGIN)], check=True, timeout=300)
    yield "cogdl-plugin-example"
    subprocess.run(pip + ["uninstall", "-y", "cogdl-plugin-example"], check=True, timeout=300)


def test_plugin_model_is_listed_with_its_distribution(installed_plugin):
    listed = run_subprocess("list", "models", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    assert rows["example_sgc"]["source"] == installed_plugin
    assert rows["example_sgc"]["tasks"] == ["node_classification"]
    assert rows["example_pyg_sage"]["source"] == installed_plugin


def test_plugin_model_trains_from_the_cli(installed_plugin, tmp_path):
    trained = run_subprocess("train", "--task", "node_classification", "--dataset", "cora", "--model",
                             "example_sgc", "--set", "epochs=100", "lr=0.2", "--out", str(tmp_path))
    assert trained.returncode == 0, trained.stderr
    run_dir = Path(trained.stdout.strip().splitlines()[-1])
    assert run_dir.parent == tmp_path / "node_classification" / "cora" / "example_sgc"
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["model"] == "example_sgc"
    assert summary["metrics"]["test_acc"]["mean"] > 0.7


def test_plugin_runs_the_model_contract_in_its_own_test(installed_plugin):
    """examples/plugin/tests runs cogdl.testing.check_model on its model, as plugins should."""
    checked = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(PLUGIN / "tests")],
                             capture_output=True, text=True, timeout=600, cwd=PLUGIN)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "4 passed" in checked.stdout


def test_plugin_wrapping_pyg_graphsage_trains_from_the_cli(installed_plugin, tmp_path):
    """PyG's own GraphSAGE, published by the plugin through `cogdl.models.pyg_adapter`, trains by name."""
    trained = run_subprocess("train", "--task", "node_classification", "--dataset", "cora", "--model",
                             "example_pyg_sage", "--set", "epochs=100", "--out", str(tmp_path))
    assert trained.returncode == 0, trained.stderr
    summary = json.loads((Path(trained.stdout.strip().splitlines()[-1]) / "summary.json").read_text())
    assert summary["model"] == "example_pyg_sage"
    assert summary["metrics"]["test_acc"]["mean"] > 0.7
