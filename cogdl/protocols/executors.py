"""Where independent runs execute: local processes, or tasks on a Ray cluster.

`map_runs(function, calls, ...)` is `[function(*call) for call in calls]`, run
- `local`: in this process (`jobs` 1) or in `jobs` spawned worker processes that share the
  thread budget (`cogdl.threads.threads_for`; a run's values repeat at the same thread count),
  each ending itself within a second of its driver's death (a killed run leaves no workers behind);
- `ray`: each call a Ray task (Moritz et al., "Ray: A Distributed Framework for Emerging AI
  Applications", OSDI 2018) on the cluster at `address` (`ray start --head` on one machine,
  `ray start --address HEAD:PORT` on the others; default `RAY_ADDRESS`, else a Ray instance
  started on this machine), each task asking for `cpus` CPUs (its torch threads) and `gpus` GPUs.
  A task whose worker process dies is run again (up to `retries` times) by Ray; the driver records
  each call's value once, when its task first succeeds, so nothing is recorded twice. Every
  machine must see the data root at the same path (`COGDL_DATA` travels with the tasks).

`on_result(index, value)` is called in the driver as each call finishes (`cogdl reproduce` saves
each unit at once, so `--resume` after a lost driver repeats nothing that finished).
`progress_bar` is the tqdm bar on stderr that runs report to (epochs of a seed, runs of a protocol).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from typing import Any, Callable

import torch

from cogdl.errors import ConfigError
from cogdl.threads import threads_for

EXECUTORS = ("local", "ray")


def map_runs(function: Callable, calls: list[tuple], jobs: int = 1, initializer: Callable | None = None,
             initargs: tuple = (), on_result: Callable[[int, Any], None] | None = None, executor: str = "local",
             address: str | None = None, cpus: int = 1, gpus: int = 0, retries: int = 3) -> list:
    """`[function(*call) for call in calls]` on `executor` (see the module docstring);
    `initializer(*initargs)` prepares each worker process first."""
    results: list = [None] * len(calls)

    def finished(index: int, value) -> None:
        results[index] = value
        if on_result is not None:
            on_result(index, value)

    if executor == "ray":
        _ray_map(function, calls, initializer, initargs, finished, address, cpus, gpus, retries)
        return results
    if executor != "local":
        raise ConfigError(f"executor {executor!r}: expected one of {', '.join(EXECUTORS)}")
    if jobs <= 1:
        if initializer is not None:
            initializer(*initargs)
        for index, call in enumerate(calls):
            finished(index, function(*call))
        return results
    threads = threads_for(jobs)
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn"), initializer=_init_worker,
                             initargs=(threads, initializer, initargs)) as pool:
        futures = {pool.submit(function, *call): index for index, call in enumerate(calls)}
        for future in as_completed(futures):
            finished(futures[future], future.result())
    return results


def _init_worker(threads: int, initializer: Callable | None, initargs: tuple) -> None:
    _exit_with_parent()
    torch.set_num_threads(threads)
    if initializer is not None:
        initializer(*initargs)


def _exit_with_parent(poll_seconds: float = 1.0) -> None:
    """End this worker process within `poll_seconds` of the death of the process that started it.
    A killed `cogdl train --jobs N` would otherwise leave its workers training on, unseen, for runs
    whose results nobody will receive (a worker's parent changes when its parent dies)."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_seconds)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _ray_map(function, calls, initializer, initargs, finished, address, cpus: int, gpus: int, retries: int) -> None:
    try:
        import ray
    except ImportError:
        raise ConfigError("--executor ray needs the ray package: pip install 'cogdl[cluster]'") from None
    started_here = not ray.is_initialized()
    if started_here:
        address = address or os.environ.get("RAY_ADDRESS")
        _check_reachable(address)
        env = {name: os.environ[name] for name in ("COGDL_DATA", "COGDL_OPS", "COGDL_CACHE") if name in os.environ}
        try:
            ray.init(address=address, logging_level="ERROR", log_to_driver=False,
                     include_dashboard=False, runtime_env={"env_vars": env} if env else None)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise ConfigError(f"--executor ray: cannot join the Ray cluster at {address or 'RAY_ADDRESS'} "
                              f"({str(exc).splitlines()[0]})") from None
    try:
        task = ray.remote(num_cpus=cpus, num_gpus=gpus, max_retries=retries)(_ray_call)
        index_of = {task.remote(cpus, function, initializer, initargs, *call): k for k, call in enumerate(calls)}
        pending = list(index_of)
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            for ref in done:
                finished(index_of[ref], ray.get(ref))
    finally:
        if started_here:
            ray.shutdown()


def _check_reachable(address: str | None) -> None:
    """A ConfigError at once when `HOST:PORT` does not answer (Ray itself retries for minutes)."""
    if not address or address in ("auto", "local") or "://" in address:
        return
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=5):
            pass
    except (OSError, ValueError) as exc:
        raise ConfigError(f"--executor ray: cannot join the Ray cluster at {address} ({exc}); start it with "
                          "`ray start --head` there, or give its HOST:PORT") from None


_prepared: list = []  # the (initializer, initargs) this Ray worker process ran last


def _ray_call(cpus: int, function, initializer, initargs, *call):
    """One call in a Ray worker: `cpus` torch threads, the initializer once per worker and setting."""
    torch.set_num_threads(max(1, cpus))
    if initializer is not None and _prepared != [(initializer, initargs)]:
        initializer(*initargs)
        _prepared[:] = [(initializer, initargs)]
    return function(*call)


def progress_bar(enabled: bool, total: int, description: str, unit: str = "epoch", done: int = 0):
    """A tqdm bar on stderr of `total` steps, `done` of them already, or None when not `enabled`."""
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, initial=done, desc=description, unit=unit, leave=False)
