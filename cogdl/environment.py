"""What a run ran on: versions, device, threads and the git commit (for `env.json` and `cogdl env`)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import torch

PACKAGES = ("cogdl", "torch", "numpy", "scipy", "scikit-learn", "torch-geometric", "optuna", "pyyaml", "triton")


def package_versions() -> dict[str, str | None]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_commit() -> str | None:
    """The commit of the source checkout cogdl runs from (with `-dirty` if it has changes), if any;
    `COGDL_GIT_COMMIT` names it instead for a copy of the source whose `.git`, if any, is not its
    own (a remote machine's copy of a working tree)."""
    if os.environ.get("COGDL_GIT_COMMIT"):
        return os.environ["COGDL_GIT_COMMIT"]
    source = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=source, capture_output=True, text=True, timeout=10)
        if commit.returncode != 0:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=source,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return commit.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def devices() -> list[str]:
    found = [f"cpu ({platform.processor() or platform.machine()}, {os.cpu_count()} cores)"]
    if torch.cuda.is_available():
        found += [f"cuda:{i} ({torch.cuda.get_device_name(i)})" for i in range(torch.cuda.device_count())]
    return found


def cpu_model() -> str:
    """The CPU's model name (`/proc/cpuinfo`), else what `platform` says."""
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average() -> float | None:
    """The machine's 1-minute load average, or None where the system does not say."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def environment(device: str | None = None) -> dict:
    return {
        "cpu_model": cpu_model(),
        "load_average": load_average(),  # taken before the run: what else the machine was doing
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": package_versions(),
        "torch_threads": torch.get_num_threads(),
        "devices": devices(),
        "device": device,
        "git_commit": git_commit(),
    }
