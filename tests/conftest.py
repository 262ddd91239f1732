"""Shared fixtures: the real data root, a CLI runner, small hand-made graphs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA_ROOT = Path(os.environ.get("COGDL_DATA") or REPO.parent / "shared" / "datasets").resolve()


@pytest.fixture(scope="session")
def data_root() -> Path:
    """The real datasets (`COGDL_DATA`, as CI sets it); a missing root fails loudly, never skips."""
    if not (DATA_ROOT / "cora").is_dir():
        pytest.fail(f"data root {DATA_ROOT} has no cora/: set COGDL_DATA to the shared datasets folder")
    return DATA_ROOT


@pytest.fixture
def copy_dataset(tmp_path, data_root):
    """Copy one dataset's files into a fresh data root under tmp_path (for corruption tests)."""

    def copy(dataset_id: str) -> Path:
        root = tmp_path / "data"
        shutil.copytree(data_root / dataset_id, root / dataset_id)
        for f in (root / dataset_id).iterdir():
            f.chmod(0o644)
        return root

    return copy


@pytest.fixture
def cli(capsys):
    """Run `cogdl ARGS` in-process; returns (exit status, stdout, stderr)."""
    from cogdl.cli import main

    def run(*args: str):
        try:
            status = main(list(args))
        except SystemExit as exc:
            status = exc.code
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run


def run_subprocess(*args: str, env_extra: dict | None = None, cwd=None) -> subprocess.CompletedProcess:
    """Run `python -m cogdl ARGS` in a child process (for behaviour that involves the process)."""
    env = dict(os.environ, COGDL_DATA=str(DATA_ROOT), COGDL_OFFLINE="1", **(env_extra or {}))
    return subprocess.run([sys.executable, "-m", "cogdl", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=600)
