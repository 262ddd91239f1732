"""`experiment()`: one (task, model, dataset) under a protocol -> a `Result` and a run folder.

Run folder (DESIGN.md, a contract that scripts read):

    <out>/<task>/<dataset>/<model>/<YYYYmmdd-HHMMSS>-<hash>/
      config.resolved.yaml   env.json
      <unit>_<k>/metrics.json  <unit>_<k>/<artifacts of the task, e.g. split.json>
      seed_<k>/model.pt      the selected weights (`cogdl.checkpoint`; `cogdl predict`, `cogdl embed`)
      summary.json           {"task", "model", "dataset", "n", "seeds", "unit", "protocol", ...,
                              "metrics": {name: {"mean", "std", "values"}}}   (`repeat_spec`: `cogdl train --from`)
      summary.csv

`<unit>` is `seed` for the `seeds` protocol and `graph` for IGB's. The folder is written under a
temporary name and renamed when complete, so a failed or interrupted run leaves nothing behind.
`<hash>` is the first 8 hex digits of the sha256 of the resolved config and the seeds;
`config.resolved.yaml` is a flat mapping that `--config` accepts.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import time
from pathlib import Path
from typing import Any, Iterable

import yaml

from cogdl.config import load_config_file, load_yaml
from cogdl.data.atomic import write_files_atomically, write_folder_atomically
from cogdl.errors import ConfigError, DataError
from cogdl.loggers import check_loggers, log_root
from cogdl.result import Result, RunSpec
from cogdl.threads import threads_per_run
from cogdl.registry import PROTOCOLS

__all__ = ["experiment", "Result", "parse_seeds", "pick_device", "write_run_folder"]


def parse_seeds(spec: str) -> list[int]:
    """`"0-9"` -> 0..9, `"0,3,5"` -> [0, 3, 5], `"4"` -> [4]."""
    seeds: list[int] = []
    try:
        for part in spec.split(","):
            low, sep, high = part.strip().partition("-")
            seeds += list(range(int(low), int(high) + 1)) if sep else [int(low)]
    except ValueError:
        raise ConfigError(f"--seeds {spec!r}: expected a range like 0-9 or a list like 0,1,2") from None
    if not seeds:
        raise ConfigError(f"--seeds {spec!r}: expected at least one seed")
    return seeds


def check_seeds(seeds: list[int]) -> list[int]:
    """The seeds, once they are distinct (a seed given twice would run twice with one result)."""
    if not seeds:
        raise ConfigError("no seeds given")
    repeated = sorted({s for s in seeds if seeds.count(s) > 1})
    if repeated:
        raise ConfigError(f"seed {repeated[0]} is given twice; give each seed once (e.g. --seeds 0-4)")
    return seeds


def pick_device(device: str):
    """The `torch.device` of `auto` (CUDA where available), `cpu` or `cuda[:N]`."""
    import torch

    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"--device {device}: CUDA is not available on this machine; use cpu or auto")
    try:
        return torch.device(device)
    except RuntimeError:
        raise ConfigError(f"--device {device!r}: expected auto, cpu or cuda[:N]") from None


def experiment(task: str, model: str, dataset, seeds: Iterable[int] = (0,), *, protocol: str = "seeds",
               layers: Iterable[tuple[str, dict[str, Any]]] = (), config_file=None, device: str = "auto",
               out: str | Path | None = "runs", data_root=None, progress: bool = False, command: str | None = None,
               export_predictions: str | Path | None = None, evaluate_test: bool = True, hooks=(), jobs: int = 1,
               grid: dict[str, list] | None = None, executor: str = "local", address: str | None = None,
               logger: Iterable[str] = (), runs_dir: str | Path | None = None, **overrides) -> Result:
    """Run `model` on `dataset` for `task` under `protocol` and summarise.

    Args:
        task, model: registered names (`cogdl list`).
        dataset: a registered name, or a dataset object: a CogDL dataset shape, a PyG `Data`,
            `HeteroData` or dataset, a DGL graph (`cogdl.data.interop.as_dataset`; its run folder
            is named after the object's name, e.g. `pyg-cora`).
        seeds: distinct random seeds (the `seeds` protocol runs once per seed).
        protocol: a registered protocol (`seeds`, `igb`, ...).
        layers: config layers over the defaults, lowest first, each `(where, {key: value})`; e.g.
            `cogdl.leaderboard.best_config(task, model, dataset)`.
        config_file: optional YAML file of hyper-parameters (over `layers`).
        device: `auto`, `cpu` or `cuda[:N]`.
        out: root of the run folders; `None` writes no folder.
        data_root: the data root (else `$COGDL_DATA`, else `~/.cache/cogdl/datasets`).
        progress: show a tqdm bar on stderr.
        command: the command line that launched the run, recorded in `env.json`.
        export_predictions: a folder for the task's prediction files (e.g. HGB's submission
            format), one per seed; each file appears complete or not at all.
        evaluate_test, hooks: for a hyper-parameter search: no test metrics, and epoch hooks
            (`cogdl.trainer.Epoch`, its `step` numbered on across the seeds).
        jobs: processes for independent runs; grid: settings to select among (`--grid`).
        executor, address: `local` processes, or `ray` tasks on the cluster at `address`
            (`cogdl.protocols.executors`).
        logger: experiment trackers each seed logs its epochs to: `tensorboard`, `mlflow`, `csv`
            (`cogdl.loggers`), under `<out>/logs` (and `<out>/mlruns`).
        runs_dir: for a protocol that keeps its runs (`errica`, `igb`): a folder where each finished
            inner run is kept, and from which those kept by an earlier call are read back instead
            of run again (`cogdl.protocols.run_store`); a stopped run continues there.
        Started by torchrun as one of several processes (`cogdl.distributed`), each run trains data
        parallel over them, and only rank 0 writes the run folder and the predictions.
        **overrides: hyper-parameters over everything else (`lr=0.005`).
    """
    runner_cls = PROTOCOLS.get(protocol)
    if grid and not runner_cls.takes_grid:
        takes = [e.name for e in PROTOCOLS.entries() if e.obj.takes_grid]
        raise ConfigError(f"protocol {protocol!r} takes no --grid; protocols that do: {', '.join(takes) or 'none'}")
    if jobs < 1:
        raise ConfigError(f"--jobs {jobs}: expected a number >= 1")
    if runs_dir is not None and not runner_cls.keeps_runs:
        keepers = [e.name for e in PROTOCOLS.entries() if e.obj.keeps_runs]
        raise ConfigError(f"--runs-dir keeps the inner runs of {', '.join(keepers)}; protocol {protocol!r} does not keep "
                          "runs (cogdl reproduce --resume keeps each seed)")
    layers = list(layers)
    if config_file is not None:
        layers.append((str(config_file), load_config_file(config_file)))
    if overrides:
        layers.append(("--set", overrides))
    loggers = check_loggers(logger)
    if loggers and protocol != "seeds":
        raise ConfigError(f"--logger logs the epochs of the seeds protocol; protocol {protocol!r} runs many selection "
                          "and refit runs and does not log them")
    if loggers and out is None:
        raise ConfigError("--logger writes under the output folder; give one (out=...)")
    given = None
    if not isinstance(dataset, str):
        from cogdl.data.interop import as_dataset

        given = as_dataset(dataset)
        dataset = given.info.name
    torch_device = pick_device(device)
    from cogdl import distributed
    from cogdl.environment import environment

    if distributed.init_from_environment(torch_device):
        require_data_parallel(task)
        if jobs > 1 or executor != "local":
            raise ConfigError("a data-parallel run (torchrun) trains its runs one after another: no --jobs or --executor")
        torch_device, progress = distributed.local_device(torch_device), progress and distributed.is_main()
    logs = str(log_root(Path(out), task, path_safe(dataset), model)) if loggers else None
    spec = RunSpec(task, model, dataset, check_seeds(list(seeds)), layers, str(torch_device), data_root, jobs, grid,
                   progress, export_predictions is not None, evaluate_test, tuple(hooks), executor, address, given,
                   loggers, logs, runs_dir)
    started = time.perf_counter()
    env = {**environment(str(torch_device)), "command": command}  # before training: the commit that runs
    if executor == "local":  # the threads each run computes with: its process's share of the budget
        env["threads_per_run"] = threads_per_run(jobs)
    if logs:
        env["logs"] = {"loggers": list(loggers), "root": logs}
    result = runner_cls().run(spec)
    result.wall_seconds = time.perf_counter() - started
    if logs:
        result.notes = [*result.notes, f"logs ({', '.join(loggers)}): {logs}"]
    rank, world_size = distributed.world()
    if world_size > 1:
        result.environment = {**result.environment, "data_parallel": {"processes": world_size,
                                                                      "backend": distributed.backend()}}
    if rank > 0:
        return result
    if export_predictions is not None:
        write_files_atomically(Path(export_predictions), result.predictions)
    if out is not None:
        result.extra = {"protocol": protocol, **result.extra}  # with task, model, dataset and seeds: `--from`
        result.run_dir = write_run_folder(Path(out), result, spec.seeds, {**env, **result.environment})
    return result


def repeat_spec(run_dir: Path) -> dict[str, Any]:
    """What `cogdl train --from RUN_DIR` repeats: the run folder's task, model, dataset, seeds,
    protocol and grid (`summary.json`) and its every setting (`config.resolved.yaml`, as the lowest
    config layer); a DataError naming the folder when it is not a complete run folder."""
    summary, _, config = read_run_folder(run_dir)
    missing = [key for key in ("task", "model", "dataset", "seeds") if key not in summary]
    if missing:
        raise DataError(f"{run_dir}/summary.json: no {', '.join(missing)}: not a run folder to repeat")
    if not isinstance(config, dict):
        raise DataError(f"{run_dir}/config.resolved.yaml: not a mapping of settings: not a run folder to repeat")
    return {"task": summary["task"], "model": summary["model"], "dataset": summary["dataset"],
            "seeds": summary["seeds"], "protocol": summary.get("protocol", "seeds"), "grid": summary.get("grid") or None,
            "layers": [(str(run_dir / "config.resolved.yaml"), config)]}


def require_data_parallel(task: str) -> None:
    """A ConfigError unless `task` trains data parallel (`Task.data_parallel`)."""
    from cogdl.registry import TASKS

    if not TASKS.get(task).data_parallel:
        doing = [e.name for e in TASKS.entries() if e.obj.data_parallel]
        raise ConfigError(f"task {task!r} does not train data parallel (torchrun, --nproc); tasks that do: "
                          f"{', '.join(doing)}")


def path_safe(name: str) -> str:
    """A dataset name usable as one folder name (`hgb:/data/x` -> `hgb_data_x`)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).lstrip("._").rstrip("_") or "dataset"


def read_run_folder(run_dir: Path) -> tuple[dict, dict, dict]:
    """`(summary, env, flat config)` of a run folder `write_run_folder` wrote; a DataError naming
    the folder when it is not one, or not complete."""
    try:
        summary = json.loads((run_dir / "summary.json").read_text())
        env = json.loads((run_dir / "env.json").read_text())
    except (OSError, ValueError) as exc:
        raise DataError(f"{run_dir}: not a complete run folder ({exc})") from None
    return summary, env, load_yaml(run_dir / "config.resolved.yaml", error=DataError)


def write_run_folder(out: Path, result: Result, seeds: list[int], env: dict) -> Path:
    """The run folder of `result`: one `<unit>_<k>/metrics.json` (and the record's artifacts) per
    record (`record[unit]` = k), `summary.json` (with the result's `extra` keys), `summary.csv`,
    the result's top-level `files`, `config.resolved.yaml` and `env.json`."""
    config_text = yaml.safe_dump(result.config, sort_keys=True)
    digest = hashlib.sha256((config_text + repr(seeds)).encode()).hexdigest()[:8]
    unit = result.unit

    def fill(staging: Path) -> None:
        (staging / "config.resolved.yaml").write_text(config_text)
        (staging / "env.json").write_text(json.dumps(env, indent=2) + "\n")
        for name, text in result.files.items():
            (staging / name).write_text(text)
        for record in result.records:
            record_dir = staging / f"{unit}_{record[unit]}"
            record_dir.mkdir()
            (record_dir / "metrics.json").write_text(json.dumps(record, indent=2) + "\n")
            for name, content in result.artifacts.get(record[unit], {}).items():
                if isinstance(content, bytes):
                    (record_dir / name).write_bytes(content)
                else:
                    (record_dir / name).write_text(content)
        summary = {"task": result.task, "model": result.model, "dataset": result.dataset, "n": len(result.records),
                   "seeds": seeds, "unit": unit, **result.extra, "wall_seconds": result.wall_seconds,
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
