"""`cogdl reproduce BENCHMARK`: run leaderboard entries again and compare them with their targets.

Tiers:
- `full`: each entry's config over the seeds of its recorded result (`measured.seeds`), compared
  by the rule below. This is the reproduction.
- `smoke`: seed 0 with `epochs` cut to `SMOKE_EPOCHS`; it passes when the primary metric lies within
  `SMOKE_BAND` points of the target. A plausibility check that every entry still runs end to end
  and learns (a broken pipeline lands near chance), not a reproduction.

Target: the paper's reference where the entry has one, else our recorded result. Rule (full tier),
with means and standard deviations in the protocol's unit:

    |m_obs - m_ref| <= max(abs_tol, 2 sqrt(sd_ref^2 / n_ref + sd_obs^2 / n_obs))

NOTE: papers often give no std or no n. A missing std counts as 0 (so abs_tol is the bound) and a
missing n beside a given std is taken as n_obs, as if the paper had as many runs as we do.
An entry that has never been measured has no config to run: it is listed as `not measured`, which
`--check` does not count as a failure.

IGB entries (benchmark `igb`) rerun IGB's protocol (`cogdl.benchmarks.igb_protocol`) with the
entry's config as the only setting; their values are per graph (n = the dataset's graphs).

`--jobs N` runs the (entry, seed) runs in N processes, each with `cpu_count // N` threads (with
N = 1, in this process with torch's default). A seed's value repeats exactly at the same thread
count; a model with dense reductions (matmul, BatchNorm) may round differently at another count,
so its values can move by its seed-to-seed noise: GraphMAE on MUTAG gives the recorded 86.71 ± 0.37
with one thread per run (`--jobs 2` here, as recorded with OMP_NUM_THREADS=1) and 86.92 ± 0.60 with
two (`--jobs 1`). GCN's sparse kernels give the same values at any count.

Each finished run is saved in `<out>/<benchmark>-<tier>-runs/` (`run_store`) and `--resume` reuses
the saved ones, so a full tier can be killed and continued. The report folder
`<out>/<benchmark>-<tier>-<time>/` holds `report.json` and `report.md`, and appears complete or
not at all.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from cogdl.errors import ConfigError
from cogdl.experiment import write_folder_atomically
from cogdl.leaderboard.files import (
    leaderboard_dir,
    load_leaderboard,
    widened_tolerances,
)
from cogdl.leaderboard.run_store import RunStore, unit_key

TIERS = ("smoke", "full")
SMOKE_EPOCHS = 50
SMOKE_BAND = 25.0


def tolerance(abs_tol: float, ref_std, ref_n, obs_std, obs_n: int) -> float:
    """max(abs_tol, 2 sqrt(sd_ref^2/n_ref + sd_obs^2/n_obs)); a missing std is 0, a missing n_ref is n_obs."""
    ref_var = (ref_std or 0.0) ** 2 / (ref_n or obs_n)
    obs_var = (obs_std or 0.0) ** 2 / obs_n
    return max(abs_tol, 2 * math.sqrt(ref_var + obs_var))


@dataclass
class Planned:
    """One leaderboard entry to run: where it comes from, what to run, what to compare with."""

    file: Path
    task: str
    metric: str
    entry: dict[str, Any]
    seeds: list[int]
    config: dict[str, Any] | None
    benchmark: str = ""

    @property
    def name(self) -> str:
        return f"{self.task}: {self.entry['dataset']} / {self.entry['model']}"


def plan(benchmark: str, tier: str, task=None, model=None, dataset=None, root: Path | None = None) -> list[Planned]:
    """The entries of `benchmark` that match the filters, each with its seeds and config for `tier`."""
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
        for entry in board["entries"]:
            wanted = (protocol["task"], entry["model"], entry["dataset"])
            if any(f is not None and f != value for f, value in zip((task, model, dataset), wanted)):
                continue
            config = entry.get("config")
            seeds = entry["measured"]["seeds"] if "measured" in entry else []
            if config is not None and tier == "smoke":
                seeds = [0]
                if "epochs" in config:
                    config = {**config, "epochs": min(config["epochs"], SMOKE_EPOCHS)}
            planned.append(Planned(path, protocol["task"], protocol["metrics"][0], entry, seeds, config,
                                   protocol["benchmark"]))
    if not planned:
        raise ConfigError(f"no entry of benchmark {benchmark!r} matches --task {task} --model {model} "
                          f"--dataset {dataset}")
    return planned


def _run_igb(item: Planned, jobs: int, data_root) -> list[dict]:
    """IGB's protocol with the entry's config as the only setting: each graph's selection run and
    refit are those the recorded run made for the setting it chose, so the per-graph values repeat."""
    from cogdl.benchmarks.igb_protocol import run_igb

    started = time.perf_counter()
    result = run_igb(item.entry["model"], item.entry["dataset"], {}, seed=item.seeds[0], jobs=jobs,
                     overrides=item.config, data_root=data_root)
    share = (time.perf_counter() - started) / len(result.records)
    return [{**record, "seconds": share} for record in result.records]


def _run_one(task: str, model: str, dataset: str, seed: int, config: dict, data_root, threads: int | None) -> dict:
    """One seed of one entry: in a worker process with `threads` threads, or in this one (None)."""
    import torch

    from cogdl.experiment import experiment

    if threads is not None:
        torch.set_num_threads(threads)
    started = time.perf_counter()
    result = experiment(task, model, dataset, [seed], out=None, data_root=data_root, **config)
    return {**result.records[0], "seconds": time.perf_counter() - started}


def run_planned(planned: list[Planned], store: RunStore, jobs: int = 1, data_root=None) -> list[list[dict]]:
    """The per-seed records of each planned entry (per graph for IGB entries; empty for one that is
    not measured), in the order of the entry's seeds. Each finished unit (one seed, or a whole IGB
    entry) is saved in `store` as soon as it ends, and units the store resumes are not run."""
    found: list[dict[int, list[dict]]] = [{} for _ in planned]
    todo = []
    for k, p in enumerate(planned):
        for seed in [] if p.config is None else p.seeds[:1] if p.benchmark == "igb" else p.seeds:
            key = unit_key(p.task, p.entry["model"], p.entry["dataset"], p.config, seed)
            saved = store.saved(key)
            if saved is None:
                todo.append((k, p, seed, key))
            else:
                found[k][seed] = saved

    def finished(k: int, seed: int, key: str, records: list[dict]) -> None:
        found[k][seed] = store.save(key, records)

    for k, p, seed, key in todo:
        if p.benchmark == "igb":
            finished(k, seed, key, _run_igb(p, jobs, data_root))
    runs = [(k, seed, key, (p.task, p.entry["model"], p.entry["dataset"], seed, p.config, data_root))
            for k, p, seed, key in todo if p.benchmark != "igb"]
    if jobs <= 1:
        for k, seed, key, args in runs:
            finished(k, seed, key, [_run_one(*args, threads=None)])
    else:
        threads = max(1, (os.cpu_count() or 1) // jobs)
        with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
            futures = {pool.submit(_run_one, *args, threads): (k, seed, key) for k, seed, key, args in runs}
            for future in as_completed(futures):
                finished(*futures[future], [future.result()])
    return [[record for seed in p.seeds for record in found[k].get(seed, [])] for k, p in enumerate(planned)]


def compare(item: Planned, records: list[dict], tier: str) -> dict[str, Any]:
    """One report row: the target, what we measured now, the delta, the bound and pass/fail."""
    entry = item.entry
    row = {"entry": item.name, "file": str(item.file), "metric": item.metric, "seeds": item.seeds}
    if item.config is None:
        return {**row, "status": "not measured"}
    reference = entry.get("reference")
    target = reference if reference and reference.get("mean") is not None else entry["measured"]
    values = [100 * r[item.metric] for r in records]
    mean = statistics.fmean(values)
    std = statistics.stdev(values) if len(values) > 1 else None
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
            "commits": sorted({r["commit"] for r in records if r.get("commit")})}


def markdown_table(rows: list[dict]) -> str:
    lines = ["| entry | target | measured | delta | bound | result |", "|---|---|---|---|---|---|"]
    for row in rows:
        if row["status"] == "not measured":
            lines.append(f"| {row['entry']} | - | - | - | - | not measured |")
            continue
        target = f"{row['target_mean']:.2f}" + (f" ± {row['target_std']:.2f}" if row["target_std"] is not None else "")
        measured = f"{row['mean']:.2f}" + (f" ± {row['std']:.2f}" if row["std"] is not None else "")
        lines.append(f"| {row['entry']} | {target} ({row['target']}) | {measured} (n={row['n']}) | "
                     f"{row['delta']:+.2f} | {row['bound']:.2f} | {row['status']} |")
    lines += widened_tolerances("Widened tolerances:", ((row["entry"], row["tolerance"]) for row in rows if row.get("tolerance")))
    return "\n".join(lines) + "\n"


def write_report(out: Path, benchmark: str, tier: str, rows: list[dict], header: dict) -> Path:
    """`<out>/<benchmark>-<tier>-<time>/report.{json,md}`, complete or not at all."""
    counts = {s: sum(r["status"] == s for r in rows) for s in ("pass", "fail", "not measured")}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    if header.get("reused_runs"):
        summary += (f"; {header['reused_runs']} of the runs were saved by an earlier invocation (--resume from "
                    f"`{header['runs_folder']}`), see each entry's commits in report.json")

    def fill(folder: Path) -> None:
        (folder / "report.json").write_text(json.dumps({**header, "rows": rows}, indent=2) + "\n")
        (folder / "report.md").write_text(f"# Reproduction of {benchmark} ({tier} tier)\n\n"
                                          f"`{header['command']}` at {header['commit']}: {summary}.\n\n"
                                          + markdown_table(rows))

    return write_folder_atomically(out, f"{benchmark}-{tier}-{time.strftime('%Y%m%d-%H%M%S')}", fill)
