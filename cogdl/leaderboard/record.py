"""Recording measured results into a leaderboard file (its format: `cogdl.leaderboard.files`).

Measured blocks are never typed in: `cogdl leaderboard record RUN_DIR [RUN_DIR ...] FILE` copies
them from run folders (summary, resolved config, environment and command line). Several folders
of one config with distinct seeds (run apart) pool their seeds; where their commits, dates or
commands differ, the block lists each. Run folders do not outlive a session on every machine, so
`--pool` pools new folders with the seeds an entry already records, from the recorded means,
sample stds and counts (`pooled_stats`); those are rounded to 0.01 points, so the pooled std
can differ from one over all per-seed values by about that much. A protocol run continued over
several invocations (`--runs-dir`) records its wall time with that of the earlier invocations
(`run_store.earlier_wall_seconds`).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from cogdl.data.atomic import write_files_atomically
from cogdl.errors import ConfigError, DataError
from cogdl.experiment import read_run_folder
from cogdl.protocols.run_store import earlier_wall_seconds
from cogdl.stats import summarize
from cogdl.leaderboard.files import (DEFAULT_ABS_TOL, MEASURED_OPTIONAL, dump_leaderboard, entry_in, entry_label,
                                   load_leaderboard)


def _percent(value):
    return None if value is None else round(100 * value, 2)


def _one_or_all(values: list):
    """The value when all runs agree, else the list of them (e.g. commits of runs made apart);
    a value that is itself such a list (from an earlier record) counts as its items."""
    flat = [v for value in values for v in (value if isinstance(value, list) else [value])]
    distinct = list(dict.fromkeys(flat))
    return distinct[0] if len(distinct) == 1 else distinct


def pooled_stats(a: dict, b: dict) -> tuple[float, float]:
    """Mean and sample std of two groups given as `{"mean", "std", "n"}` (a std of None, for n = 1, counts as 0):
    mean = (n_a m_a + n_b m_b) / n,  (n - 1) s^2 = (n_a - 1) s_a^2 + (n_b - 1) s_b^2 + n_a n_b (m_a - m_b)^2 / n."""
    n = a["n"] + b["n"]
    mean = (a["n"] * a["mean"] + b["n"] * b["mean"]) / n
    within = sum((g["n"] - 1) * (g["std"] or 0.0) ** 2 for g in (a, b))
    spread = within + a["n"] * b["n"] * (a["mean"] - b["mean"]) ** 2 / n
    return round(mean, 2), round(math.sqrt(spread / (n - 1)), 2)


def pool_measured(recorded: dict, new: dict, where: str) -> dict:
    """One measured block for the seeds of `recorded` and `new` (distinct seeds; `where` names
    the entry in errors)."""
    repeated = set(recorded["seeds"]) & set(new["seeds"])
    if repeated:
        raise DataError(f"{where}: seed {min(repeated)} is already recorded")
    metrics = {}
    for name in recorded["metrics"]:
        if name not in new["metrics"]:
            raise DataError(f"{where}: the runs have no metric {name!r}")
        mean, std = pooled_stats({**recorded["metrics"][name], "n": recorded["n"]}, {**new["metrics"][name], "n": new["n"]})
        metrics[name] = {"mean": mean, "std": std}
    primary = metrics[next(iter(metrics))]
    return {
        "mean": primary["mean"], "std": primary["std"], "n": recorded["n"] + new["n"],
        "seeds": recorded["seeds"] + new["seeds"], "metrics": metrics,
        **{key: _one_or_all([recorded[key], new[key]]) for key in ("commit", "date", "device")},
        "wall_seconds": round(recorded["wall_seconds"] + new["wall_seconds"], 1),
        "command": _one_or_all([recorded["command"], new["command"]]),
        **{key: _one_or_all([recorded[key], new[key]]) for key in MEASURED_OPTIONAL  # unknown for part: left out
           if key in recorded and key in new},
    }


def threads_per_run(env: dict) -> int | None:
    """The threads each run of a run folder computed with: `threads_per_run` in its env.json, or for
    folders written before that key, torch's thread count in the main process divided among the
    `--jobs` processes of its command (`cogdl.threads.threads_for`)."""
    if "threads_per_run" in env:
        return env["threads_per_run"]
    threads, jobs = env.get("torch_threads"), re.search(r"--jobs[ =](\d+)", env.get("command") or "")
    return threads if threads is None or not jobs else max(1, threads // max(1, int(jobs.group(1))))


def measured_block(run_dirs: list[Path], metrics: list[str]) -> tuple[dict, dict, dict]:
    """`(identity, config, measured)` read from one or more run folders; `metrics[0]` is the
    primary one. Several folders (seeds run in separate processes or sessions) must share task,
    model, dataset and resolved config and have distinct seeds; their per-seed values are pooled."""
    runs = [(run_dir, *read_run_folder(run_dir)) for run_dir in run_dirs]
    first_dir, first, _, config = runs[0]
    identity = {"dataset": first["dataset"], "model": first["model"], "task": first["task"],
                "grid": first.get("grid")}  # the settings a grid protocol selected among, None for others
    if len(runs) > 1 and any(summary.get("unit", "seed") != "seed" for _, summary, _, _ in runs):
        raise DataError(f"{first_dir}: run folders over {first.get('unit')}s (not seeds) are recorded one at a time")
    seeds, values = [], {m: [] for m in metrics}
    for run_dir, summary, _, run_config in runs:
        other = {k: summary.get(k) for k in identity}
        if other != identity or run_config != config:
            raise DataError(f"{run_dir}: not the same task, model, dataset and config as {first_dir}")
        missing = [m for m in metrics if m not in summary["metrics"]]
        if missing:
            raise DataError(f"{run_dir}/summary.json: no metric {missing[0]!r}")
        repeated = set(seeds) & set(summary["seeds"])
        if repeated:
            raise DataError(f"{run_dir}: seed {min(repeated)} is also in another of the run folders")
        seeds += summary["seeds"]
        for m in metrics:
            values[m] += summary["metrics"][m]["values"]
    count = len(values[metrics[0]])  # one value per seed, or per graph of an IGB run (seeds: [its seed])
    stats = summarize([{m: values[m][k] for m in metrics} for k in range(count)], names=metrics)
    envs = [env for _, _, env, _ in runs]
    measured = {
        "mean": _percent(stats[metrics[0]]["mean"]),
        "std": _percent(stats[metrics[0]]["std"]),
        "n": count,
        "seeds": seeds,
        "metrics": {m: {"mean": _percent(stats[m]["mean"]), "std": _percent(stats[m]["std"])} for m in metrics},
        "commit": _one_or_all([env.get("git_commit") for env in envs]),
        "date": _one_or_all([f"{d.name[:4]}-{d.name[4:6]}-{d.name[6:8]}" for d in run_dirs]),
        "device": _one_or_all([", ".join(d for d in env.get("devices", []) if d.startswith(env.get("device") or "cpu"))
                               for env in envs]),
        "wall_seconds": round(sum(summary["wall_seconds"] + earlier_wall_seconds(summary) for _, summary, _, _ in runs), 1),
        "command": _one_or_all([env.get("command") for env in envs]),
        "threads": _one_or_all([threads_per_run(env) for env in envs]),
        "cpu": _one_or_all([env.get("cpu_model") for env in envs]
                           + [summary.get("kept_runs", {}).get("cpus", []) for _, summary, _, _ in runs]),
        "load_average": _one_or_all([env.get("load_average") for env in envs]),
    }
    return identity, config, measured


def record(run_dirs: list[Path], leaderboard_file: Path, pool: bool = False, variant: str | None = None) -> dict:
    """Write the runs' config and measured block into their (dataset, model, variant) entry; return
    the entry. With `pool`, the runs' seeds join those the entry records (the configs must be equal).
    An explanation of the old result's miss (`miss`) is dropped with it."""
    board = load_leaderboard(leaderboard_file)
    protocol = board["protocol"]
    identity, config, measured = measured_block([Path(d) for d in run_dirs], protocol["metrics"])
    if identity["task"] != protocol["task"]:
        raise ConfigError(f"{run_dirs[0]}: task {identity['task']!r} does not match {leaderboard_file} "
                          f"({protocol['task']!r})")
    entries = board["entries"]
    entry = entry_in(entries, identity["model"], identity["dataset"], variant)
    if entry is None:
        entry = {"dataset": identity["dataset"], "model": identity["model"], **({"variant": variant} if variant else {}),
                 "reference": None, "tolerance": {"abs": DEFAULT_ABS_TOL}}
        entries.append(entry)
    if pool:
        where = f"{leaderboard_file}: {entry_label(entry)}"
        if entry.get("measured") is None:
            raise DataError(f"{where}: nothing recorded to pool with")
        if entry["config"] != config:
            raise DataError(f"{where}: the recorded config differs from the runs' config")
        measured = pool_measured(entry["measured"], measured, where)
    entry["config"] = config
    grid = identity["grid"]
    if grid:  # the settings a grid protocol selected among: a reproduction selects among them again
        entry["grid"] = grid
    else:
        entry.pop("grid", None)
    entry["measured"] = measured
    # not `miss`: it explained the result this one replaces; a result that still misses needs its own
    ordered = {k: entry[k] for k in ("dataset", "model", "variant", "config", "grid", "reference", "measured",
                                     "tolerance") if k in entry}
    entries[entries.index(entry)] = ordered
    path = Path(leaderboard_file)
    write_files_atomically(path.parent, {path.name: dump_leaderboard(board)})
    return ordered

