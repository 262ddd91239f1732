"""Leaderboard files: `leaderboard/<benchmark>/<task>.yaml`, a protocol header plus one entry per
(dataset, model) with its config, the paper's reference numbers and our measured result.

Measured blocks are never typed in: `cogdl leaderboard record RUN_DIR FILE` copies them from a
run folder (its summary, resolved config, environment and command line).

    protocol: {benchmark, task, splits, metrics (primary first), higher_is_better, variance_over,
               std, selection, unit}
    entries:
      - dataset: cora
        model: gcn
        config: {...}                       # the full resolved config of the measured run
        reference: {mean, std, n, source}   # the paper, in percent
        measured: {mean, std, n, metrics, commit, date, device, wall_seconds, command}
        tolerance: {abs: 0.5}
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import yaml

from cogdl.config import load_yaml
from cogdl.errors import ConfigError, DataError


def _percent(value):
    return None if value is None else round(100 * value, 2)


def measured_block(run_dir: Path, metrics: list[str]) -> tuple[dict, dict, dict]:
    """`(identity, config, measured)` read from a run folder; `metrics[0]` is the primary one."""
    try:
        summary = json.loads((run_dir / "summary.json").read_text())
        env = json.loads((run_dir / "env.json").read_text())
    except (OSError, ValueError) as exc:
        raise DataError(f"{run_dir}: not a complete run folder ({exc})") from None
    config = load_yaml(run_dir / "config.resolved.yaml", error=DataError)
    stats = summary["metrics"]
    missing = [m for m in metrics if m not in stats]
    if missing:
        raise DataError(f"{run_dir}/summary.json: no metric {missing[0]!r}")
    primary = stats[metrics[0]]
    measured = {
        "mean": _percent(primary["mean"]),
        "std": _percent(primary["std"]),
        "n": summary["n"],
        "seeds": summary["seeds"],
        "metrics": {m: {"mean": _percent(stats[m]["mean"]), "std": _percent(stats[m]["std"])} for m in metrics},
        "commit": env.get("git_commit"),
        "date": f"{run_dir.name[:4]}-{run_dir.name[4:6]}-{run_dir.name[6:8]}",
        "device": ", ".join(d for d in env.get("devices", []) if d.startswith(env.get("device") or "cpu")),
        "wall_seconds": round(summary["wall_seconds"], 1),
        "command": env.get("command"),
    }
    identity = {"dataset": summary["dataset"], "model": summary["model"], "task": summary["task"]}
    return identity, config, measured


def record(run_dir: Path, leaderboard_file: Path) -> dict:
    """Write the run's config and measured block into its (dataset, model) entry; return the entry."""
    board = load_yaml(leaderboard_file, error=ConfigError)
    if not isinstance(board, dict) or "protocol" not in board:
        raise ConfigError(f"{leaderboard_file}: expected a mapping with a 'protocol' header")
    protocol = board["protocol"]
    identity, config, measured = measured_block(Path(run_dir), protocol["metrics"])
    if identity["task"] != protocol["task"]:
        raise ConfigError(f"{run_dir}: task {identity['task']!r} does not match {leaderboard_file} ({protocol['task']!r})")
    entries = board.setdefault("entries", [])
    entry = next((e for e in entries if (e["dataset"], e["model"]) == (identity["dataset"], identity["model"])), None)
    if entry is None:
        entry = {"dataset": identity["dataset"], "model": identity["model"], "reference": None,
                 "tolerance": {"abs": 0.5}}
        entries.append(entry)
    entry["config"] = config
    entry["measured"] = measured
    ordered = {k: entry[k] for k in ("dataset", "model", "config", "reference", "measured", "tolerance") if k in entry}
    entries[entries.index(entry)] = ordered
    _atomic_write(leaderboard_file, yaml.safe_dump(board, sort_keys=False, width=110, default_flow_style=None))
    return ordered


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=Path(path).parent, prefix=f".{Path(path).name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
