"""Paths and a subprocess runner shared by the tests (a plain module: conftest names collide)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA_ROOT = Path(os.environ.get("COGDL_DATA") or REPO.parent / "shared" / "datasets").resolve()


def run_subprocess(*args: str, env_extra: dict | None = None, cwd=None) -> subprocess.CompletedProcess:
    """Run `python -m cogdl ARGS` in a child process (for behaviour that involves the process)."""
    env = dict(os.environ, COGDL_DATA=str(DATA_ROOT), COGDL_OFFLINE="1", **(env_extra or {}))
    return subprocess.run([sys.executable, "-m", "cogdl", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=600)


def benchmark_script(name: str):
    """The module of `benchmarks/<name>.py` (a script folder, not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
