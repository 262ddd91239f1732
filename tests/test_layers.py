"""The layering of DESIGN.md, checked by import-linter with the contracts in pyproject.toml."""

import os
import shutil
import subprocess
import sys

from helpers import REPO


def lint_imports(cwd, package_root) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(package_root))
    command = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    return subprocess.run([sys.executable, "-c", command, "--config", str(cwd / "pyproject.toml"), "--no-cache"],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_layers_and_acyclic_packages_are_kept():
    checked = lint_imports(REPO, REPO)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Contracts: 2 kept, 0 broken." in checked.stdout


def test_an_upward_import_breaks_the_layers_contract(tmp_path):
    """ops importing the CLI (a lower layer reaching up) is caught, naming both modules."""
    shutil.copytree(REPO / "cogdl", tmp_path / "cogdl", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path)
    spmm = tmp_path / "cogdl" / "ops" / "spmm.py"
    spmm.write_text(spmm.read_text() + "\nfrom cogdl import cli  # noqa: E402,F401\n")
    checked = lint_imports(tmp_path, tmp_path)
    assert checked.returncode != 0
    assert "cogdl.ops.spmm -> cogdl.cli" in checked.stdout and "BROKEN" in checked.stdout
