"""What a protocol is asked to run (`RunSpec`) and what it gives back (`Result`): plain data,
importable without torch (`import cogdl` stays cheap)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable


@dataclass
class RunSpec:
    """What to run and where.

    Args:
        task, model, dataset: registered names (`cogdl list`).
        seeds: distinct run seeds.
        layers: config layers over the Configs' defaults, lowest first, each `(where, {key: value})`.
        device: `cpu`, `cuda[:N]`.
        data_root: the data root (None: `$COGDL_DATA`, else `~/.cache/cogdl/datasets`).
        jobs: worker processes for independent runs (each with `cpu_count // jobs` threads).
        grid: hyper-parameter -> values, for protocols that select among settings (`takes_grid`).
        progress: show a progress bar counting epochs (in-process runs only).
        export_predictions: whether the task should produce its prediction files.
        evaluate_test: False in a search: runs return validation metrics only.
        hooks: epoch hooks (`cogdl.trainer.Epoch`, `step` numbered on across the runs).
        executor: where independent runs go: `local` (`jobs` processes) or `ray`;
            address: the Ray cluster's address (`cogdl.protocols.executors`).
        given: a dataset object passed in place of a registered name (`cogdl.data.interop`),
            used instead of loading `dataset`, which is then its name.
        loggers, log_root: the experiment trackers each seed logs its epochs to, and where
            (`cogdl.loggers`).
        runs_dir: where a protocol that runs whole (`keeps_runs`: errica, igb) keeps each finished
            inner run, and reads back those an earlier invocation kept (`cogdl.protocols.run_store`).
    """

    task: str
    model: str
    dataset: str
    seeds: list[int]
    layers: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    device: str = "cpu"
    data_root: str | Path | None = None
    jobs: int = 1
    grid: dict[str, list] | None = None
    progress: bool = False
    export_predictions: bool = False
    evaluate_test: bool = True
    hooks: tuple[Callable, ...] = ()
    executor: str = "local"
    address: str | None = None
    given: Any = None
    loggers: tuple[str, ...] = ()
    log_root: str | None = None
    runs_dir: str | Path | None = None


@dataclass
class Result:
    """The outcome of a protocol: one record per run and their summary (`cogdl.stats.summarize`).

    Attributes:
        config: the flat resolved config (of the chosen setting, for protocols with a grid).
        unit: what a record is over (`"seed"`, `"graph"`); each record holds its key under `unit`.
        artifacts: per record (by its `unit` value), file name -> text or bytes for its folder.
        predictions: the task's prediction files, file name -> text.
        extra: further keys of `summary.json`; files: further files at the run folder's top;
        environment: further keys of `env.json`; notes: lines the CLI prints above the summary.
    """

    task: str
    model: str
    dataset: str
    records: list[dict[str, Any]]
    summary: dict[str, dict[str, Any]]
    config: dict[str, Any]
    run_dir: Path | None = None
    wall_seconds: float = 0.0
    unit: str = "seed"
    artifacts: dict[int, dict[str, str | bytes]] = field(default_factory=dict)
    predictions: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    environment: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
