"""`experiment()`: one (task, model, dataset) over several seeds -> a `Result` and a run folder.

Run folder (DESIGN.md, a contract that scripts read):

    <out>/<task>/<dataset>/<model>/<YYYYmmdd-HHMMSS>-<hash>/
      config.resolved.yaml   env.json
      seed_<k>/metrics.json  seed_<k>/<artifacts of the task, e.g. split.json>
      summary.json           {"task", "model", "dataset", "n", "metrics": {name: {"mean", "std", "values"}}}
      summary.csv

The folder is written under a temporary name and renamed when complete, so a failed or
interrupted run leaves nothing behind. `<hash>` is the first 8 hex digits of the sha256 of the
resolved config and the seeds; `config.resolved.yaml` is a flat mapping that `--config` accepts.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import re
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import torch
import yaml

from cogdl.config import ResolvedConfig, load_config_file, resolve
from cogdl.data.root import data_root as resolve_data_root
from cogdl.data.root import write_files_atomically
from cogdl.environment import environment
from cogdl.errors import ConfigError
from cogdl.registry import DATASETS, MODELS, TASKS
from cogdl.tasks.base import SeedContext

SPLITS = ("train_", "val_", "test_")


@dataclass
class Result:
    task: str
    model: str
    dataset: str
    records: list[dict[str, Any]]
    summary: dict[str, dict[str, Any]]
    config: dict[str, Any]
    run_dir: Path | None = None
    wall_seconds: float = 0.0


def parse_seeds(spec: str) -> list[int]:
    """`"0-9"` -> 0..9, `"0,3,5"` -> [0, 3, 5], `"4"` -> [4]."""
    seeds: list[int] = []
    try:
        for part in spec.split(","):
            low, sep, high = part.strip().partition("-")
            seeds += list(range(int(low), int(high) + 1)) if sep else [int(low)]
    except ValueError:
        raise ConfigError(f"--seeds {spec!r}: expected a range like 0-9 or a list like 0,1,2") from None
    if not seeds or len(set(seeds)) != len(seeds):
        raise ConfigError(f"--seeds {spec!r}: expected distinct seeds")
    return seeds


def summarize(records: list[dict[str, Any]], names: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """Mean, sample std (ddof=1; None for one value) and values of every split metric (or of `names`)."""
    names = [k for k in records[0] if k.startswith(SPLITS)] if names is None else names
    summary = {}
    for name in names:
        values = [float(r[name]) for r in records]
        summary[name] = {
            "mean": statistics.fmean(values),
            "std": statistics.stdev(values) if len(values) > 1 else None,
            "values": values,
            "n": len(values),
        }
    return summary


def pick_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"--device {device}: CUDA is not available on this machine; use cpu or auto")
    try:
        return torch.device(device)
    except RuntimeError:
        raise ConfigError(f"--device {device!r}: expected auto, cpu or cuda[:N]") from None


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def task_and_model(task: str, model: str) -> tuple[type, type]:
    """The registered task and model classes; an error if the model does not declare the task."""
    task_cls, model_cls = TASKS.get(task), MODELS.get(model)
    if task not in model_cls.supported_tasks:
        raise ConfigError(f"model {model!r} does not support task {task!r}; it supports: "
                          + ", ".join(model_cls.supported_tasks))
    return task_cls, model_cls


def config_layers(task: str, model: str, dataset: str, best_config: bool = False, config_file=None,
                  overrides: dict[str, Any] | None = None) -> list[tuple[str, dict[str, Any]]]:
    """The configuration layers above the Configs' defaults, lowest first: the leaderboard entry
    (`best_config`), `config_file`, then `overrides` (`--set`)."""
    layers = []
    if best_config:
        from cogdl.leaderboard import best_config as leaderboard_config

        layers.append(leaderboard_config(task, model, dataset))
    if config_file is not None:
        layers.append((str(config_file), load_config_file(config_file)))
    if overrides:
        layers.append(("--set", overrides))
    return layers


def experiment(task: str, model: str, dataset: str, seeds: Iterable[int] = (0,), *, best_config: bool = False,
               config_file=None, device: str = "auto", out: str | Path | None = "runs", data_root=None,
               progress: bool = False, command: str | None = None, export_predictions: str | Path | None = None,
               evaluate_test: bool = True, on_epoch=None, **overrides) -> Result:
    """Train `model` on `dataset` for `task` once per seed and summarise.

    Args:
        task, model, dataset: registered names (`cogdl list`).
        seeds: the random seeds, one run each.
        best_config: start from the config of the leaderboard entry for (task, model, dataset).
        config_file: optional YAML file of hyper-parameters (over the defaults and the best config).
        device: `auto`, `cpu` or `cuda[:N]`.
        out: root of the run folders; `None` writes no folder.
        data_root: the data root (else `$COGDL_DATA`, else `~/.cache/cogdl/datasets`).
        progress: show a tqdm bar on stderr.
        command: the command line that launched the run, recorded in `env.json`.
        export_predictions: a folder for the task's prediction files (e.g. HGB's submission
            format), one per seed; each file appears complete or not at all.
        evaluate_test, on_epoch: for a hyper-parameter search (`SeedContext`): no test metrics,
            and `on_epoch(step, validation score)` after every epoch of every seed, the steps
            numbered on across the seeds.
        **overrides: hyper-parameters over everything else (`lr=0.005`).
    """
    seeds = list(seeds)
    if not seeds:
        raise ConfigError("no seeds given")
    task_cls, model_cls = task_and_model(task, model)
    load_dataset = DATASETS.get(dataset)
    resolved = resolve(model_cls.Config, task_cls.Config, config_layers(task, model, dataset, best_config,
                                                                        config_file, overrides))
    torch_device = pick_device(device)

    started = time.perf_counter()
    env = {**environment(str(torch_device)), "command": command}  # before training: the commit that runs
    runner = task_cls()
    data = runner.prepare(load_dataset(resolve_data_root(data_root)), resolved.task)
    bar = _progress_bar(progress, len(seeds) * runner.epochs_per_seed(resolved.task), f"{model} on {dataset}")
    records, artifacts = [], {}
    try:
        for k, seed in enumerate(seeds):
            seed_everything(seed)
            net = model_cls(resolved.model, data.info).to(torch_device)
            context = SeedContext(seed, export_predictions=export_predictions is not None, evaluate_test=evaluate_test,
                                  on_epoch=_numbered_on(on_epoch, k * runner.epochs_per_seed(resolved.task)))
            records.append({"seed": seed, **runner.run(net, data, resolved.task, torch_device, bar, context)})
            artifacts[seed] = context.artifacts
            if export_predictions is not None:
                write_files_atomically(Path(export_predictions), context.predictions)
    finally:
        if bar is not None:
            bar.close()
    result = Result(task, model, dataset, records, summarize(records), resolved.flat,
                    wall_seconds=time.perf_counter() - started)
    if out is not None:
        result.run_dir = write_run_folder(Path(out), result, seeds, resolved, env, artifacts)
    return result


def _numbered_on(on_epoch, offset: int):
    """`on_epoch` with the epochs of the k-th seed numbered from `offset` (None stays None)."""
    return None if on_epoch is None else lambda epoch, score: on_epoch(offset + epoch, score)


def path_safe(name: str) -> str:
    """A dataset name usable as one folder name (`hgb:/data/x` -> `hgb_data_x`)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "dataset"


def _progress_bar(enabled: bool, total: int, description: str):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=description, unit="epoch", leave=False)


def write_run_folder(out: Path, result: Result, seeds: list[int], resolved: ResolvedConfig, env: dict,
                     artifacts: dict[int, dict[str, str]] | None = None, unit: str = "seed",
                     extra: dict[str, Any] | None = None, files: dict[str, str] | None = None) -> Path:
    """The run folder of `result`: one `<unit>_<k>/metrics.json` per record (`record[unit]` = k;
    units other than seeds, e.g. IGB's graphs, are what the variance is over), `summary.json`
    (with `extra` keys), `summary.csv`, and `files` (name -> text) at its top."""
    config_text = yaml.safe_dump(resolved.flat, sort_keys=True)
    digest = hashlib.sha256((config_text + repr(seeds)).encode()).hexdigest()[:8]

    def fill(staging: Path) -> None:
        (staging / "config.resolved.yaml").write_text(config_text)
        (staging / "env.json").write_text(json.dumps(env, indent=2) + "\n")
        for name, text in (files or {}).items():
            (staging / name).write_text(text)
        for record in result.records:
            record_dir = staging / f"{unit}_{record[unit]}"
            record_dir.mkdir()
            (record_dir / "metrics.json").write_text(json.dumps(record, indent=2) + "\n")
            for name, text in (artifacts or {}).get(record[unit], {}).items():
                (record_dir / name).write_text(text)
        summary = {"task": result.task, "model": result.model, "dataset": result.dataset, "n": len(result.records),
                   "seeds": seeds, "unit": unit, **(extra or {}), "wall_seconds": result.wall_seconds,
                   "metrics": {k: {"mean": v["mean"], "std": v["std"], "values": v["values"]}
                               for k, v in result.summary.items()}}
        (staging / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        with open(staging / "summary.csv", "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["metric", "mean", "std", "n"])
            for name, stats in result.summary.items():
                writer.writerow([name, stats["mean"], "" if stats["std"] is None else stats["std"], stats["n"]])

    parent = out / result.task / path_safe(result.dataset) / result.model
    return write_folder_atomically(parent, f"{time.strftime('%Y%m%d-%H%M%S')}-{digest}", fill)


def write_folder_atomically(parent: Path, name: str, fill) -> Path:
    """`parent/name` (or `name-<k>` when taken), complete or not at all: `fill(folder)` writes into
    a temporary folder that is renamed into place when it returns, and removed if it raises."""
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=parent, prefix=".partial-"))
    try:
        fill(staging)
        final, suffix = parent / name, 1
        while final.exists():
            final, suffix = parent / f"{name}-{suffix}", suffix + 1
        staging.rename(final)
        return final
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
