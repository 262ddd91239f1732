"""Threads: how many a CogDL process computes with, and how its idle ones wait.

torch's CPU kernels and CogDL's own run OpenMP thread teams, and each parallel region ends at a
barrier that waits for the team's slowest thread. An OpenMP thread that waits spins for a while
before it sleeps; beside other busy processes on a machine with few cores, spinning threads hold
the cores that the threads they wait for need, and an epoch loop slows down erratically (issue
30 measured GCN on Cora, 100 epochs, on a 2-core machine: 0.9 s idle, 3.25 s beside one busy
process, 2.9 s in one run and 43.9 s in the next beside two). Hence:

- When `cogdl` is imported, a waiting thread is told to spin only briefly, then sleep
  (`SHORT_SPIN`), unless the environment sets `OMP_WAIT_POLICY` or those variables. The OpenMP
  runtime reads them when it loads, which is when torch is first imported: import cogdl before
  torch (the CLI does). Measured in `docs/reliability.md`: beside busy processes every GCN/GAT case
  stays within 2.7x of idle where the default spin reached 15x; tiny graphs (Cora) pay on an idle
  machine, a sleeping thread being slower to wake.
- A process computes with a budget of `--threads N` / `COGDL_THREADS` threads, else the cores it
  may use (`os.sched_getaffinity`, which honours `taskset` and cpusets), divided among the `--jobs`
  worker processes that share it.

`cogdl bench load` (`cogdl.bench_load`) times epoch loops beside 0, 1 and 2 busy processes.
"""

from __future__ import annotations

import os

from cogdl.errors import ConfigError

ENV = "COGDL_THREADS"


#: how long a waiting OpenMP thread spins before it sleeps, unless the environment says otherwise:
#: GNU OpenMP (torch's Linux wheels) counts spins (its default 300,000; 0 with OMP_WAIT_POLICY=passive),
#: Intel's counts milliseconds (KMP_BLOCKTIME, default 200)
SHORT_SPIN = {"GOMP_SPINCOUNT": "1000", "KMP_BLOCKTIME": "1"}


def prefer_short_spin() -> None:
    """Let idle OpenMP threads spin briefly, then sleep, unless the environment sets a wait policy."""
    if "OMP_WAIT_POLICY" in os.environ:
        return
    for name, value in SHORT_SPIN.items():
        os.environ.setdefault(name, value)


def usable_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def thread_budget() -> int:
    """`COGDL_THREADS` (set by `--threads`), else the usable cores."""
    raw = os.environ.get(ENV, "").strip()
    if not raw:
        return usable_cores()
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"{ENV}={raw!r} (or --threads): expected a whole number of threads >= 1")
    return int(raw)


def threads_for(jobs: int = 1) -> int:
    """Threads of each of `jobs` processes that share the budget."""
    return max(1, thread_budget() // max(1, jobs))
