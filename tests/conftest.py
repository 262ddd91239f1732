"""Shared fixtures: the real data root, a CLI runner."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import torch

# Without a GPU the Triton kernels run in Triton's interpreter. Triton reads this when it is first
# imported (PyG may import it early), so it is set here, before any test module loads.
if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")

from helpers import DATA_ROOT  # noqa: E402


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
