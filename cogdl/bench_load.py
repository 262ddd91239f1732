"""`cogdl bench load`: training epoch loops on a busy machine.

Each case trains a two-layer model of the Planetoid leaderboard (GCN, GAT; their default
configs) for `epochs` epochs without early stopping and without a run folder, through
`cogdl.experiment`, and reads the fit time the trainer records. The cases run beside 0, 1 and 2
busy processes (each a Python loop that spins on one core), in interleaved rounds: a round starts
the busy processes of one level, runs every case once and stops them, the levels taking turns
in a rotating order, so drift in the machine's state hits every level alike. Reported per case and
level: the median and the worst fit time over the rounds, and the slowdown against idle (median
over idle median, worst over idle median). Beside the first level (idle), each case is also timed
with the team held fixed at the budget (`cogdl.threads.fixed_team`, as `--threads N` does), the
two fits of a case back to back in alternating order: what sizing the team to the free cores
costs an idle machine, measured in the same seconds (this machine's idle speed drifts by 10-60%
over minutes, which separate processes would see as a difference). The thread budget and the OpenMP wait settings are
this process's (`cogdl.threads`: `--threads`, `OMP_WAIT_POLICY`, `GOMP_SPINCOUNT`), so the same
command under other settings compares them; the loop sizes its team to the free cores
(`cogdl.threads.FreeCoreThreads`) within that budget.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from contextlib import nullcontext

BUSY_MARK = "cogdl bench load: busy process"
SPIN = f"# {BUSY_MARK}\nwhile True:\n    pass\n"
WAIT_SETTINGS = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME")


def busy_processes(count: int) -> list[subprocess.Popen]:
    """`count` processes that each keep one core busy until they are killed."""
    return [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(count)]


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.kill()
    for process in processes:
        process.wait()


def fit_seconds(model: str, dataset: str, epochs: int, data_root=None) -> float:
    from cogdl.experiment import experiment

    result = experiment("node_classification", model, dataset, seeds=[0], out=None, data_root=data_root,
                        epochs=epochs, patience=epochs)
    return float(result.records[0]["fit_seconds"])


def run_load(models=("gcn", "gat"), datasets=("cora", "pubmed"), epochs: int = 50, rounds: int = 3,
             levels=(0, 1, 2), data_root=None) -> dict:
    """Fit times of every (model, dataset) beside each number of busy processes in `levels`."""
    from cogdl.environment import environment
    import torch

    from cogdl.threads import fixed_team, free_core_threads, thread_budget

    cases = [(model, dataset) for dataset in datasets for model in models]
    for model, dataset in cases:  # warm-up: datasets read, kernels built, caches filled
        fit_seconds(model, dataset, 2, data_root)
    columns = [(level, "free-core") for level in levels] + [(levels[0], "fixed")]
    times: dict[tuple, list[float]] = {(m, d, *column): [] for m, d in cases for column in columns}
    for round_index in range(rounds):
        shift = round_index % len(levels)
        for level in levels[shift:] + levels[:shift]:
            busy = busy_processes(level)
            try:
                time.sleep(0.5)  # let the busy processes reach their cores
                for model, dataset in cases:
                    teams = ("free-core", "fixed") if level == levels[0] else ("free-core",)
                    for team in teams if round_index % 2 == 0 else teams[::-1]:
                        if team == "fixed":
                            torch.set_num_threads(thread_budget())  # the whole budget, held
                        with fixed_team() if team == "fixed" else nullcontext():
                            seconds = fit_seconds(model, dataset, epochs, data_root)
                        times[(model, dataset, level, team)].append(seconds)
            finally:
                stop(busy)
    rows = []
    for model, dataset in cases:
        idle = statistics.median(times[(model, dataset, levels[0], "free-core")])
        for level, team in columns:
            values = times[(model, dataset, level, team)]
            rows.append({"model": model, "dataset": dataset, "busy": level, "team": team, "epochs": epochs,
                         "median_s": statistics.median(values), "worst_s": max(values), "seconds": values,
                         "slowdown_median": statistics.median(values) / idle, "slowdown_worst": max(values) / idle})
    env = environment()
    return {"machine": {"date": time.strftime("%Y-%m-%d %H:%M"), "devices": env["devices"],
                        "torch_threads": free_core_threads().budget or env["torch_threads"], "git_commit": env["git_commit"],
                        "omp_wait": ", ".join(f"{name}={os.environ.get(name, '(unset)')}" for name in WAIT_SETTINGS),
                        "rounds": rounds},
            "results": rows}


def load_table(rows: list[dict]) -> str:
    lines = [f"{'model':6s} {'dataset':8s} {'busy':>4s} {'team':9s} {'median s':>9s} {'worst s':>8s} "
             f"{'x median':>9s} {'x worst':>8s}"]
    for row in rows:
        lines.append(f"{row['model']:6s} {row['dataset']:8s} {row['busy']:4d} {row['team']:9s} {row['median_s']:9.3f} "
                     f"{row['worst_s']:8.3f} {row['slowdown_median']:9.2f} {row['slowdown_worst']:8.2f}")
    return "\n".join(lines)
