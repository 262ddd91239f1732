"""Apply a trained run to a dataset: `cogdl predict` and `cogdl embed`.

A run folder holds what rebuilds its models: `summary.json` (task, model, dataset, seeds),
`config.resolved.yaml` (every setting) and, per seed, `seed_<k>/model.pt` (the selected weights
and the sizes the model was built for, `cogdl.checkpoint`). For seed k:
1. resolve the saved config over the model's and task's Configs;
2. load the dataset (the run's, or another with the same feature width and classes) and prepare
   it as the task does (e.g. row-normalised features);
3. build the model with the saved sizes, load the weights, and let the task compute its outputs
   (`Task.predict`) - on the run's own dataset these are the outputs it evaluated test with, so
   the recorded test metrics come out again exactly (same machine, same thread count).
`embed` returns a model's node embeddings instead: `embed(graph, x)` for a `NodeEmbedder`, else
its forward output (the embeddings of a `SelfSupervised` encoder, a classifier's logits).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch

from cogdl import checkpoint
from cogdl.errors import ConfigError, DataError
from cogdl.experiment import read_run_folder
from cogdl.models.base import ModelSizes, NodeEmbedder, model_input
from cogdl.protocols.base import check_task_accepts, load_dataset, resolve_spec
from cogdl.result import RunSpec
from cogdl.tasks.base import Task


@dataclass
class Applied:
    """A run's model for one seed applied to a dataset.

    Attributes:
        task, model, dataset: names (`dataset` the one applied to); trained_on: the run's dataset.
        seed: the seed whose weights were used; outputs: `[N, C]` (predict) or `[N, D]` (embed).
        metrics: the outputs' metrics on the dataset's splits (predict only);
        recorded: the run's recorded metrics of that seed (`seed_<k>/metrics.json`).
    """

    task: str
    model: str
    dataset: str
    trained_on: str
    seed: int
    outputs: torch.Tensor
    metrics: dict[str, float]
    recorded: dict


def read_run(run_dir: Path) -> tuple[dict, dict]:
    """`(summary, flat config)` of a run folder whose seeds saved their weights."""
    summary, _, config = read_run_folder(run_dir)
    if not isinstance(summary, dict) or not {"task", "model", "dataset"} <= set(summary) or not isinstance(config, dict):
        raise DataError(f"{run_dir / 'summary.json'}: lacks task, model or dataset")
    unit = summary.get("unit", "seed")
    if unit != "seed":
        raise ConfigError(f"{run_dir}: a run over {unit}s saves no weights per seed (runs of the seeds protocol do)")
    return summary, config


def apply_run(run_dir: str | Path, dataset: str | None = None, seed: int | None = None, data_root=None,
              device: str = "cpu", embed: bool = False) -> Applied:
    """Seed `seed` (default: the run's first) of the run in `run_dir` applied to `dataset`
    (default: the run's own): its predictions and their metrics, or with `embed` its embeddings."""
    run_dir = Path(run_dir)
    summary, config = read_run(run_dir)
    seeds = summary.get("seeds") or []
    seed = seeds[0] if seed is None and seeds else seed
    if seed not in seeds:
        raise ConfigError(f"{run_dir}: no seed {seed}; the run has seeds {', '.join(map(str, seeds))}")
    task_name, model_name, trained_on = summary["task"], summary["model"], summary["dataset"]
    spec = RunSpec(task_name, model_name, dataset or trained_on, [seed],
                   [(str(run_dir / "config.resolved.yaml"), config)])
    task_cls, model_cls, resolved = resolve_spec(spec)
    task = task_cls()
    if not embed and task_cls.predict is Task.predict:
        raise ConfigError(f"task {task_name!r} cannot apply saved weights to predict (its weights are "
                          f"{model_name}'s alone); `cogdl embed` gives the model's embeddings")
    loaded = load_dataset(spec.dataset, data_root)
    check_task_accepts(task_name, task_cls, loaded, "seeds")
    prepared = task.prepare(loaded, resolved.task)
    sizes, state = checkpoint.load_checkpoint(run_dir / f"seed_{seed}" / checkpoint.FILE)
    saved = ModelSizes(**sizes)
    wanted = task.model_sizes(prepared, resolved.task)
    check_sizes(saved, wanted, spec.dataset, run_dir, trained_on)
    model = model_cls(resolved.model, saved)
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise DataError(f"{run_dir / f'seed_{seed}' / checkpoint.FILE}: does not fit {model_name} built from "
                        f"config.resolved.yaml: {str(exc).splitlines()[1].strip()}") from None
    model = model.to(device).eval()
    recorded_path = run_dir / f"seed_{seed}" / "metrics.json"
    recorded = json.loads(recorded_path.read_text()) if recorded_path.is_file() else {}
    if embed:
        outputs, metrics = embeddings(model, prepared, device), {}
    else:
        outputs = task.predict(model, prepared, resolved.task, device)
        metrics = task.prediction_metrics(prepared, outputs)
    return Applied(task_name, model_name, spec.dataset, trained_on, seed, outputs.float().cpu(), metrics, recorded)


def check_sizes(saved: ModelSizes, wanted: ModelSizes, dataset: str, run_dir: Path, trained_on: str) -> None:
    """A DataError when `dataset` needs other sizes than the saved model maps: feature width,
    classes, and for a typed graph its edge and node types, target type and link schema."""
    if saved.in_features != wanted.in_features:
        raise DataError(f"dataset {dataset!r} has {wanted.in_features} node features; the model in {run_dir} was "
                        f"trained on {trained_on!r} with {saved.in_features}")
    if wanted.out_features is not None and saved.out_features != wanted.out_features:
        raise DataError(f"dataset {dataset!r} has {wanted.out_features} classes; the model in {run_dir} predicts "
                        f"{saved.out_features} (trained on {trained_on!r})")
    for field, what in TYPED_SIZES:
        mine, theirs = _plain(getattr(saved, field)), _plain(getattr(wanted, field))
        if mine != theirs:
            raise DataError(f"dataset {dataset!r} has {what} {theirs}; the model in {run_dir} was built for "
                            f"{mine} (trained on {trained_on!r})")


#: the sizes of a typed graph that a saved model must share with the dataset it is applied to
TYPED_SIZES = (("num_edge_types", "edge types"), ("num_node_types", "node types"),
               ("target_type", "target node type"),
               ("schema", "links (edge type, source type, destination type)"))


def _plain(value):
    """A size as saved (lists after a round trip) and as computed (tuples) compare alike."""
    return [_plain(v) for v in value] if isinstance(value, (list, tuple)) else value


def embeddings(model, prepared, device) -> torch.Tensor:
    """`[N, D]` node embeddings of a model on a single-graph dataset (see the module docstring)."""
    graph = getattr(prepared, "graph", None)
    if graph is None or not hasattr(graph, "rowptr"):
        raise ConfigError(f"cogdl embed: dataset {prepared.info.name!r} is not a single homogeneous graph")
    graph = graph.to(device)
    x = model_input(model, graph.x)
    with torch.no_grad():
        return model.embed(graph, x) if isinstance(model, NodeEmbedder) else model(graph, x)
