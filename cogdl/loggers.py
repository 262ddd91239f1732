"""Experiment tracking: `--logger tensorboard|mlflow|csv` logs each seed's epochs as they happen.

A logger is an epoch hook of the main training loop (`cogdl.trainer.Epoch`): after every epoch it
records `train_loss` and, where the loop validates, `val_score` (the task's selection score, e.g.
validation accuracy) and `val_loss`, at step = epoch; at the start of a seed it records the
resolved config, and at its end the seed's final metrics (`test_acc`, ...). Each seed is one run
of the tracker. Everything is written as it happens (flushed every epoch), so a run that is
killed leaves a log that its reader loads up to the last epoch.

- `tensorboard`: event files in `<log root>/seed_<k>/` (`torch.utils.tensorboard.SummaryWriter`;
  the config as the text `config`), read by TensorBoard or its `EventAccumulator`;
- `mlflow`: one MLflow run per seed, named `seed <k>`, in the experiment `<task>/<dataset>/<model>`,
  with the config as its params; in the tracking store `MLFLOW_TRACKING_URI` names, else the local
  file store `<out>/mlruns` (no server or account; `mlflow ui --backend-store-uri <out>/mlruns`).
  NOTE: MLflow 3 keeps its file store in maintenance mode behind `MLFLOW_ALLOW_FILE_STORE=true`,
  which is set for this store only where the user has not set it;
- `csv`: `<log root>/seed_<k>/epochs.csv` (`epoch,train_loss,val_score,val_loss`),
  `config.yaml` and, once the seed ends, `metrics.json`.

The log root is `<out>/logs/<task>/<dataset>/<model>/<start time>-<pid>`, chosen when the
experiment starts (the run folder is only written at the end); `env.json` records it.
"""

from __future__ import annotations

import csv
import json
import math
import os
import time
from pathlib import Path
from typing import Any

import yaml

from cogdl.errors import ConfigError

LOGGERS = ("tensorboard", "mlflow", "csv")


def check_loggers(names) -> tuple[str, ...]:
    """The logger names, checked (each known, none twice)."""
    names = tuple(names)
    for name in names:
        if name not in LOGGERS:
            raise ConfigError(f"--logger {name!r}: expected one of {', '.join(LOGGERS)}")
    if len(set(names)) != len(names):
        raise ConfigError(f"--logger: {', '.join(names)} names a logger twice")
    return names


def log_root(out: Path, task: str, dataset: str, model: str) -> Path:
    """Where one experiment's logs go (see the module docstring)."""
    return Path(out) / "logs" / task / dataset / model / f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"


def out_of(root: Path) -> Path:
    """The `<out>` of a `log_root`."""
    return Path(root).parents[4]


class SeedLoggers:
    """The chosen loggers for one seed: call it with each `Epoch`; `finish(metrics)` at the end."""

    def __init__(self, names: tuple[str, ...], root: Path, experiment: str, seed: int, config: dict[str, Any]):
        self.loggers = [_OPENERS[name](Path(root), experiment, seed, config) for name in names]

    def __call__(self, report) -> None:
        values = {"train_loss": report.train_loss, "val_score": report.val_score, "val_loss": report.val_loss}
        values = {k: float(v) for k, v in values.items() if v is not None}
        for logger in self.loggers:
            logger.epoch(report.epoch, values)

    def finish(self, metrics: dict[str, Any] | None) -> None:
        """Close every logger, with the seed's final metrics (None: the seed failed)."""
        final = None if metrics is None else {k: float(v) for k, v in metrics.items()
                                              if isinstance(v, (int, float)) and not isinstance(v, bool)
                                              and math.isfinite(v)}
        for logger in self.loggers:
            logger.finish(final)


class _TensorBoard:
    def __init__(self, root: Path, experiment: str, seed: int, config: dict):
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError as exc:
            raise ConfigError(f"--logger tensorboard needs tensorboard (pip install tensorboard): {exc}") from None
        self.writer = SummaryWriter(str(root / f"seed_{seed}"))
        self.writer.add_text("config", "```\n" + yaml.safe_dump(config, sort_keys=True) + "```")
        self.writer.flush()

    def epoch(self, epoch: int, values: dict[str, float]) -> None:
        for name, value in values.items():
            self.writer.add_scalar(name, value, epoch)
        self.writer.flush()

    def finish(self, metrics: dict[str, float] | None) -> None:
        for name, value in (metrics or {}).items():
            self.writer.add_scalar(f"final/{name}", value, 0)
        self.writer.close()


class _MLflow:
    def __init__(self, root: Path, experiment: str, seed: int, config: dict):
        uri = os.environ.get("MLFLOW_TRACKING_URI")
        if not uri:
            store = out_of(root) / "mlruns"
            store.mkdir(parents=True, exist_ok=True)
            uri = store.resolve().as_uri()
            os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
        try:
            from mlflow.entities import Metric, Param
            from mlflow.tracking import MlflowClient
        except ImportError as exc:
            raise ConfigError(f"--logger mlflow needs mlflow (pip install mlflow-skinny): {exc}") from None
        self.client, self.metric = MlflowClient(tracking_uri=uri), Metric
        found = self.client.get_experiment_by_name(experiment)
        if found is None:
            try:
                experiment_id = self.client.create_experiment(experiment)
            except Exception:  # another process of the same experiment created it first
                experiment_id = self.client.get_experiment_by_name(experiment).experiment_id
        else:
            experiment_id = found.experiment_id
        self.run_id = self.client.create_run(experiment_id, run_name=f"seed {seed}",
                                             tags={"cogdl.log_root": str(root), "cogdl.seed": str(seed)}).info.run_id
        params = [Param(k, str(v)[:6000]) for k, v in sorted(config.items())]
        for start in range(0, len(params), 100):  # MLflow takes at most 100 params per batch
            self.client.log_batch(self.run_id, params=params[start:start + 100])

    def epoch(self, epoch: int, values: dict[str, float]) -> None:
        now = int(time.time() * 1000)
        self.client.log_batch(self.run_id, metrics=[self.metric(k, v, now, epoch) for k, v in values.items()])

    def finish(self, metrics: dict[str, float] | None) -> None:
        if metrics:
            now = int(time.time() * 1000)
            self.client.log_batch(self.run_id, metrics=[self.metric(f"final_{k}", v, now, 0) for k, v in metrics.items()])
        self.client.set_terminated(self.run_id, "FINISHED" if metrics is not None else "FAILED")


class _CSV:
    FIELDS = ("epoch", "train_loss", "val_score", "val_loss")

    def __init__(self, root: Path, experiment: str, seed: int, config: dict):
        self.folder = root / f"seed_{seed}"
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=True))
        self.handle = open(self.folder / "epochs.csv", "w", newline="")
        self.writer = csv.writer(self.handle)
        self.writer.writerow(self.FIELDS)
        self.handle.flush()

    def epoch(self, epoch: int, values: dict[str, float]) -> None:
        self.writer.writerow([epoch, *(values.get(k, "") for k in self.FIELDS[1:])])
        self.handle.flush()

    def finish(self, metrics: dict[str, float] | None) -> None:
        self.handle.close()
        if metrics is not None:
            (self.folder / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")


_OPENERS = {"tensorboard": _TensorBoard, "mlflow": _MLflow, "csv": _CSV}
