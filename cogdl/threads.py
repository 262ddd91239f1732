"""Threads: how many a CogDL process computes with, and how many it uses while others compete.

torch's CPU kernels and CogDL's own run OpenMP thread teams, and each parallel region ends at a
barrier that waits for the team's slowest thread. A waiting OpenMP thread spins for a while before
it sleeps. Beside other busy processes on a machine with few cores, a team larger than the free
cores holds cores with spinning threads while the thread they wait for has none, and an epoch loop
slows down erratically (issue 30 measured GCN on Cora, 100 epochs, on a 2-core machine: 0.9 s idle,
3.25 s beside one busy process, 2.9 s in one run and 43.9 s in the next beside two). Hence:

- A process computes with a budget of `--threads N` / `COGDL_THREADS` threads, else the cores it
  may use (`os.sched_getaffinity`, which honours `taskset` and cpusets), divided among the `--jobs`
  worker processes that share it.
- Before each epoch the training loop (`cogdl.trainer`) sizes the team to the free cores
  (`FreeCoreThreads`): the budget, less the threads of other processes that are runnable right now
  (`/proc/loadavg` less this process's own running threads; the least of three looks, and of this
  look's and the last one's, so a thread runnable for a moment does not count), at least one. A
  look costs 0.1-0.4 ms in a training loop, up to a tenth of a Cora epoch, so the loop looks at
  most every `LOOK_EVERY_S[0]` seconds, and the time between looks doubles up to
  `LOOK_EVERY_S[1]` while they find the machine idle: a load is seen within a third of a second
  and confirmed a fiftieth of a second later, and an idle machine is looked at three times a
  second. A team no larger than the free cores never
  waits for a thread without a core, so a waiting thread may spin long, and it does: importing
  `cogdl` sets `GOMP_SPINCOUNT=300000` (`LONG_SPIN`) unless the environment sets it or
  `OMP_WAIT_POLICY`. That is GNU OpenMP's own default spin, but the runtime cuts it to 1,000 spins
  once it manages more threads than there are CPUs, which torch's pool and the main thread are on
  two cores; and short spins cost small graphs their idle speed (Cora's epochs are a few
  milliseconds of many short parallel regions, and a sleeping thread is slower to wake than a
  spinning one). The OpenMP runtime reads the variable when torch is first imported: import
  `cogdl` first (the CLI does). Where `/proc` is missing the budget is used.
  In a container without its own `/proc/loadavg` the host's runnable threads count, and the loop
  may use fewer threads than it could: slower, never erratic. A team resized by load sums in a
  different order, so a run repeats bit for bit only with a fixed team: `--threads N` /
  `COGDL_THREADS` fixes it at N, and `fixed_team()` holds it for a block (the contract checks).

`cogdl bench load` (`cogdl.bench_load`) times epoch loops beside 0, 1 and 2 busy processes;
`docs/reliability.md` has the numbers.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager

from cogdl.errors import ConfigError

ENV = "COGDL_THREADS"

#: GNU OpenMP's (torch's Linux wheels) spin count, made explicit so that it is not cut to 1,000
#: when the runtime manages more threads than there are CPUs (see the module docstring)
LONG_SPIN = {"GOMP_SPINCOUNT": "300000"}

#: the least and the most time between two looks at the machine's load (`FreeCoreThreads.adjust`)
LOOK_EVERY_S = (0.02, 0.32)


def keep_long_spin() -> None:
    """Let waiting OpenMP threads spin long, unless the environment sets a wait policy or count."""
    if "OMP_WAIT_POLICY" in os.environ:
        return
    for name, value in LONG_SPIN.items():
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


def threads_per_run(jobs: int) -> int:
    """The threads a run computes with when `jobs` local processes run them: its process's share
    of the budget, or with one job (runs in this process) torch's thread count here."""
    if jobs > 1:
        return threads_for(jobs)
    import torch

    return torch.get_num_threads()


LOADAVG = "/proc/loadavg"


def runnable_elsewhere() -> int | None:
    """Threads runnable on this machine right now that are not this process's own (`/proc/loadavg`'s
    running count less this process's threads in state R), or None where `/proc` does not say. This
    process's threads are counted just before and just after the machine's, and the larger count
    taken: a worker that stops spinning in between is still this process's."""
    try:
        before = _own_running()
        with open(LOADAVG, "rb") as handle:
            running = int(handle.read().split()[3].split(b"/")[0])
        own = max(before, _own_running())
    except (OSError, ValueError, IndexError):
        return None
    return max(0, running - own)


def _own_running() -> int:
    own = 0
    for task in os.scandir("/proc/self/task"):
        with open(f"{task.path}/stat", "rb") as handle:
            stat = handle.read()
        own += stat[stat.rindex(b")") + 2:stat.rindex(b")") + 3] == b"R"
    return own


class FreeCoreThreads:
    """Before each epoch (`adjust`), compute with the threads of the budget that no other runnable
    thread holds a core for: `min(budget, usable cores - runnable elsewhere)`, at least 1. The
    load is looked at (by `clock`) at most every `look_every[0]` seconds after a look that saw
    one, and after twice the last wait, up to `look_every[1]`, after a look that saw none. The
    budget is torch's thread count as someone other than `adjust` last set it (`--threads`, a
    `--jobs` share, a user's `torch.set_num_threads`)."""

    def __init__(self, look_every: tuple[float, float] = LOOK_EVERY_S, clock=time.monotonic):
        import torch

        self.torch, self.cores, self.budget, self.chosen, self.fixed = torch, usable_cores(), None, None, 0
        self.look_every, self.clock, self.looked, self.wait = look_every, clock, None, look_every[0]
        self.others: int | None = None  # what the last look saw

    def adjust(self) -> int:
        current = self.torch.get_num_threads()
        if self.fixed or os.environ.get(ENV, "").strip():  # a team fixed by --threads or `fixed_team`
            return current
        now = self.clock()
        if current == self.chosen and self.looked is not None and now - self.looked < self.wait:
            return current
        if current != self.chosen:
            self.budget = current
        self.looked = now
        others = runnable_elsewhere()
        for _ in range(2):  # the least of three looks: a thread runnable for a moment is no load
            if not others:
                break
            others = min(others, runnable_elsewhere() or 0)
        least, most = self.look_every
        self.wait = least if others else min(most, 2 * self.wait)
        seen, self.others = self.others, others  # and the load must last from one look to the next
        if others is not None and seen is not None:
            others = min(others, seen)
        threads = self.budget if others is None else max(1, min(self.budget, self.cores - others))
        if threads != current:
            self.torch.set_num_threads(threads)
        self.chosen = threads
        return threads


_FREE_CORE_THREADS: list[FreeCoreThreads] = []


def free_core_threads() -> FreeCoreThreads:
    """This process's `FreeCoreThreads`."""
    if not _FREE_CORE_THREADS:
        _FREE_CORE_THREADS.append(FreeCoreThreads())
    return _FREE_CORE_THREADS[0]


@contextmanager
def team_of(threads: int | None, processes: int = 1):
    """Within the block torch computes with exactly `threads` threads (None: as it is), the team
    held fixed, and so does each of the `processes` worker processes started within (the budget
    `COGDL_THREADS` is `threads * processes`): a result measured with that many threads per run
    repeats bit for bit (`cogdl reproduce` runs an entry at the count it records)."""
    if threads is None:
        yield
        return
    import torch

    before, budget = torch.get_num_threads(), os.environ.get(ENV)
    torch.set_num_threads(threads)
    os.environ[ENV] = str(threads * processes)
    try:
        with fixed_team():
            yield
    finally:
        torch.set_num_threads(before)
        if budget is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = budget


@contextmanager
def fixed_team():
    """Within the block the training loop keeps torch's thread count as it is: runs that must repeat
    bit for bit (the contract's same-seed check) sum in the same order whatever the load."""
    team = free_core_threads()
    team.fixed += 1
    try:
        yield
    finally:
        team.fixed -= 1
