"""`cogdl reproduce BENCHMARK`: run leaderboard entries again and compare them with their targets.

Tiers:
- `full`: each entry's config over the seeds of its recorded result (`measured.seeds`), compared
  by the rule below. This is the reproduction.
- `smoke`: seed 0 with `epochs` cut to `SMOKE_EPOCHS`; it passes when the primary metric lies within
  `SMOKE_BAND` points of the target. A plausibility check that every entry still runs end to end
  and learns (a broken pipeline lands near chance), not a reproduction.

Target: the paper's reference where the entry has one measured under the file's protocol (not
one with a `reference.protocol` of its own) and does not explain why its recorded result misses
it (`miss`), else our recorded result. Rule (full tier),
with means and standard deviations in the protocol's unit:

    |m_obs - m_ref| <= max(abs_tol, 2 sqrt(sd_ref^2 / n_ref + sd_obs^2 / n_obs))

NOTE: papers often give no std or no n. A missing std counts as 0 (so abs_tol is the bound) and a
missing n beside a given std is taken as n_obs, as if the paper had as many runs as we do.
An entry that has never been measured has no config to run: it is listed as `not measured`, which
`--check` does not count as a failure.

Each leaderboard file names the protocol its entries run under (`protocol.name`, `cogdl list
protocols`). A protocol that runs seeds apart (`per_seed`, e.g. `seeds`) is run one seed at a time,
each seed a unit; another (e.g. `igb`, whose values are per graph, n = the dataset's graphs, or
`errica`, per fold) is run whole, as one unit, over the entry's `grid` when it records one (else
with the entry's config as the only setting).

`--jobs N` runs the per-seed units in N processes, each with `cpu_count // N` threads (with
N = 1, in this process with torch's default), and hands N to the protocols that run whole. A seed's
value repeats exactly at the same thread count on the same CPU model; a model with dense reductions
(matmul, BatchNorm) may round differently at another count (or CPU), so its values can move by its
seed-to-seed noise: GraphMAE on MUTAG gives 86.71 ± 0.37 (per seed 86.17, 86.73, 86.73, 87.22,
86.70) with one thread and 86.92 ± 0.60 (87.22, 86.20, 86.73, 87.78, 86.70) with two on an AMD
EPYC box (on an Intel Xeon, seed 0 gives 87.22 with either). So a per-seed unit of an entry that
records the threads its runs computed with (`measured.threads`, recorded since 2026-12-05) runs
with exactly that many, the team held fixed (`cogdl.threads.team_of`), whatever `--jobs` gives;
so do the runs of a protocol that spreads them over `--jobs` processes itself.
GCN's sparse kernels give the same values at any count.

Each finished run is saved in `<out>/<benchmark>-<tier>-runs/` (`run_store`) and `--resume` reuses
the saved ones, so a full tier can be killed and continued; an errica or IGB entry, one unit of
hours, keeps each of its inner runs in `<key>-runs/` there, so it continues mid-entry too. The
report folder `<out>/<benchmark>-<tier>-<time>/` holds `report.json` and `report.md`, and appears
complete or not at all.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cogdl.data.atomic import write_folder_atomically
from cogdl.errors import ConfigError, did_you_mean
from cogdl.leaderboard.files import (comparable_reference, entry_label, leaderboard_dir, load_leaderboard, tolerance,
                                   widened_tolerances)
from cogdl.protocols.run_store import RunStore, earlier_wall_seconds, unit_key
from cogdl.markdown import table
from cogdl.registry import PROTOCOLS
from cogdl.stats import mean_and_std
from cogdl.threads import team_of

TIERS = ("smoke", "full")
SMOKE_EPOCHS = 50
SMOKE_BAND = 25.0


@dataclass
class Planned:
    """One leaderboard entry to run: where it comes from, what to run, what to compare with."""

    file: Path
    task: str
    metric: str
    entry: dict[str, Any]
    seeds: list[int]
    config: dict[str, Any] | None
    protocol: str = "seeds"

    @property
    def name(self) -> str:
        return f"{self.task}: {entry_label(self.entry)}"

    def units(self) -> list[list[int]]:
        """The seeds of each unit: one seed each under a per-seed protocol, else all of them at once."""
        if self.config is None:
            return []
        return [[seed] for seed in self.seeds] if PROTOCOLS.get(self.protocol).per_seed else [self.seeds]


def plan(benchmark: str, tier: str, task=None, model=None, dataset=None, root: Path | None = None,
         overrides: dict[str, Any] | None = None) -> list[Planned]:
    """The entries of `benchmark` that match the filters, each with its seeds and config for `tier`;
    `overrides` (`--set`) change every measured entry's config, e.g. `precision=bf16` to check that
    a variant still reproduces the recorded results."""
    root = root or leaderboard_dir()
    benchmarks = sorted(p.name for p in root.iterdir() if p.is_dir() and any(p.glob("*.yaml")))
    if benchmark not in benchmarks:
        raise ConfigError(f"unknown benchmark {benchmark!r} in {root}; available: {', '.join(benchmarks)}")
    if tier not in TIERS:
        raise ConfigError(f"--tier {tier!r}: expected one of {', '.join(TIERS)}")
    planned = []
    for path in sorted((root / benchmark).glob("*.yaml")):
        board = load_leaderboard(path)
        protocol = board["protocol"]
        if protocol["name"] not in PROTOCOLS:
            raise ConfigError(f"{path}: protocol: name {protocol['name']!r} is not a registered protocol"
                              f"{did_you_mean(protocol['name'], PROTOCOLS.names())}")
        for entry in board["entries"]:
            wanted = (protocol["task"], entry["model"], entry["dataset"])
            if any(f is not None and f != value for f, value in zip((task, model, dataset), wanted)):
                continue
            config = entry.get("config")
            seeds = entry["measured"]["seeds"] if "measured" in entry else []
            if config is not None and overrides:
                config = {**config, **overrides}
            if config is not None and tier == "smoke":
                seeds = [0]
                if "epochs" in config:
                    config = {**config, "epochs": min(config["epochs"], SMOKE_EPOCHS)}
            planned.append(Planned(path, protocol["task"], protocol["metrics"][0], entry, seeds, config,
                                   protocol["name"]))
    if not planned:
        raise ConfigError(f"no entry of benchmark {benchmark!r} matches --task {task} --model {model} "
                          f"--dataset {dataset}")
    return planned


def run_unit(item: Planned, seeds: list[int], jobs: int, data_root, executor: str = "local",
             address: str | None = None, runs_dir: Path | None = None) -> list[dict]:
    """The records of one unit of `item` (under its protocol, with its config and grid, each run
    at the thread count the entry records), each with its share of the unit's wall time as `seconds`
    (with that of earlier invocations whose inner runs it read back); `runs_dir` keeps the inner
    runs of a protocol that keeps them (`Protocol.keeps_runs`), and then each record lists the
    commits and CPU models of those runs (`inner_commits`, `inner_cpus`)."""
    from cogdl.experiment import experiment

    recorded = (item.entry.get("measured") or {}).get("threads")
    started = time.perf_counter()
    with team_of(recorded if isinstance(recorded, int) else None, jobs):
        result = experiment(item.task, item.entry["model"], item.entry["dataset"], seeds, protocol=item.protocol,
                            out=None, data_root=data_root, jobs=jobs, executor=executor, address=address,
                            grid=item.entry.get("grid"), runs_dir=runs_dir, **item.config)
    share = (time.perf_counter() - started + earlier_wall_seconds(result.extra)) / len(result.records)
    inner = result.extra.get("kept_runs")
    made = {"inner_commits": inner["commits"], "inner_cpus": inner["cpus"]} if inner else {}
    return [{**record, "seconds": share, **made} for record in result.records]


def run_planned(planned: list[Planned], store: RunStore, jobs: int = 1, data_root=None, executor: str = "local",
                address: str | None = None) -> list[list[dict]]:
    """The records of each planned entry (per seed, or per graph for IGB; empty for one that is not
    measured), in the order of its units. Each finished unit is saved in `store` as soon as it
    ends, and units the store resumes are not run. Units go to `jobs` local processes, or to the
    Ray cluster at `address` (`executor="ray"`, `cogdl.protocols.executors`)."""
    from cogdl.protocols.executors import map_runs

    found: list[dict[tuple, list[dict]]] = [{} for _ in planned]
    todo = []
    for k, p in enumerate(planned):
        for seeds in p.units():
            config = {**p.config, "--grid": p.entry["grid"]} if "grid" in p.entry else p.config
            key = unit_key(p.task, p.entry["model"], p.entry["dataset"], config, seeds[0] if len(seeds) == 1 else seeds)
            saved = store.saved(key, needs=(p.metric, "seconds"))  # what compare() reads of each record
            if saved is None:
                todo.append((k, p, seeds, key))
            else:
                found[k][tuple(seeds)] = saved

    def finished(k: int, seeds: list[int], key: str, records: list[dict]) -> None:
        found[k][tuple(seeds)] = store.save(key, records)

    whole = [unit for unit in todo if not PROTOCOLS.get(unit[1].protocol).per_seed]
    for k, p, seeds, key in whole:  # a protocol that runs whole spreads its own work over the processes
        inner = store.runs_of(key) if PROTOCOLS.get(p.protocol).keeps_runs else None
        finished(k, seeds, key, run_unit(p, seeds, jobs, data_root, executor, address, inner))
    split = [unit for unit in todo if unit not in whole]
    map_runs(run_unit, [(p, seeds, 1, data_root) for _, p, seeds, _ in split], jobs, executor=executor, address=address,
             on_result=lambda index, records: finished(split[index][0], split[index][2], split[index][3], records))
    return [[record for seeds in p.units() for record in found[k].get(tuple(seeds), [])] for k, p in enumerate(planned)]


def compare(item: Planned, records: list[dict], tier: str) -> dict[str, Any]:
    """One report row: the target, what we measured now, the delta, the bound and pass/fail."""
    entry = item.entry
    row = {"entry": item.name, "file": str(item.file), "metric": item.metric, "seeds": item.seeds}
    if item.config is None:
        return {**row, "status": "not measured"}
    reference = None if entry.get("miss") else comparable_reference(entry)
    target = reference if reference is not None else entry["measured"]
    values = [100 * r[item.metric] for r in records]
    mean, std = mean_and_std(values)
    delta = mean - target["mean"]
    if tier == "smoke":
        bound, row["tolerance"] = SMOKE_BAND, None
    else:
        row["tolerance"] = entry["tolerance"]
        bound = tolerance(entry["tolerance"]["abs"], target.get("std"), target.get("n"), std, len(values))
    return {**row, "target": "reference" if target is reference else "recorded", "target_mean": target["mean"],
            "target_std": target.get("std"), "target_n": target.get("n"), "mean": round(mean, 2),
            "std": None if std is None else round(std, 2), "n": len(values), "delta": round(delta, 2),
            "bound": round(bound, 2), "status": "pass" if abs(delta) <= bound else "fail",
            "values": [round(v, 2) for v in values], "seconds": round(sum(r["seconds"] for r in records), 1),
            "commits": _made_at(records, "commit", "inner_commits"), "cpus": _made_at(records, "cpu", "inner_cpus")}


def _made_at(records: list[dict], own: str, inner: str) -> list[str]:
    """The commits (or CPU models) the records' values were made at: each record's own, and those of
    the inner runs a protocol read back for it."""
    return sorted({r[own] for r in records if r.get(own)} | {v for r in records for v in r.get(inner, [])})


def markdown_table(rows: list[dict]) -> str:
    cells = []
    for row in rows:
        if row["status"] == "not measured":
            cells.append([row["entry"], "-", "-", "-", "-", "not measured"])
            continue
        target = f"{row['target_mean']:.2f}" + (f" ± {row['target_std']:.2f}" if row["target_std"] is not None else "")
        measured = f"{row['mean']:.2f}" + (f" ± {row['std']:.2f}" if row["std"] is not None else "")
        cells.append([row["entry"], f"{target} ({row['target']})", f"{measured} (n={row['n']})", f"{row['delta']:+.2f}",
                      f"{row['bound']:.2f}", row["status"]])
    lines = [table(["entry", "target", "measured", "delta", "bound", "result"], cells)]
    lines += widened_tolerances("Widened tolerances:", ((row["entry"], row["tolerance"]) for row in rows if row.get("tolerance")))
    return "\n".join(lines) + "\n"


def write_report(out: Path, benchmark: str, tier: str, rows: list[dict], header: dict) -> Path:
    """`<out>/<benchmark>-<tier>-<time>/report.{json,md}`, complete or not at all."""
    counts = {s: sum(r["status"] == s for r in rows) for s in ("pass", "fail", "not measured")}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    if header.get("reused_runs"):
        summary += (f"; {header['reused_runs']} of the runs were saved by an earlier invocation (--resume from "
                    f"`{header['runs_folder']}`), see each entry's commits and CPUs in report.json")

    def fill(folder: Path) -> None:
        (folder / "report.json").write_text(json.dumps({**header, "rows": rows}, indent=2) + "\n")
        (folder / "report.md").write_text(f"# Reproduction of {benchmark} ({tier} tier)\n\n"
                                          f"`{header['command']}` at {header['commit']}: {summary}.\n\n"
                                          + markdown_table(rows))

    return write_folder_atomically(out, f"{benchmark}-{tier}-{time.strftime('%Y%m%d-%H%M%S')}", fill)
