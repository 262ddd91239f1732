"""The protocol contract: how the runs of one experiment are organised into a `Result`.

A protocol turns a `RunSpec` (task, model and dataset names, the config layers, the seeds, where
to run) into a `Result`: one record per run, where a run is what the variance is over (a seed, or
a graph of a benchmark with many graphs). Built in: `seeds` (one run per seed, `cogdl.protocols.seeds`)
and `igb` (select on mean validation over many i.i.d. graphs, refit on train + validation,
`cogdl.protocols.igb`). A plugin adds one with an entry point in the group `cogdl.protocols`, or
`@cogdl.register_protocol("name")`.

A protocol declares
- `accepts`: the dataset shapes it runs over (empty: whatever its task accepts);
- `per_seed`: True when a run over seeds S is the runs over each seed of S, so callers may split
  the seeds over processes and keep each seed's result (`cogdl reproduce --resume`); False when
  one run is indivisible (it then uses `RunSpec.jobs` processes itself);
- `takes_grid`: whether it selects among the settings of `RunSpec.grid`;
- `keeps_runs`: whether it keeps its inner runs in `RunSpec.runs_dir` (`cogdl train --runs-dir`)
  and reads back those kept there, so a run of hours continues after a stop (`kept_runs`);
- `unit`: what one record is over (`"seed"`, `"graph"`), the name of its folders in the run folder.

The helpers below are the steps every protocol shares: resolving the config, loading and checking
the dataset, building a model for a run and running it once.
"""

from __future__ import annotations

import csv
import io
import itertools
import random
import traceback
from typing import Any, ClassVar

import numpy as np
import torch

from cogdl import checkpoint
from cogdl.config import ResolvedConfig, resolve
from cogdl.data.root import data_root as resolve_data_root
from cogdl.errors import CogDLError, ConfigError, DataError, ModelError
from cogdl.models.base import ModelSizes, check_abilities
from cogdl.protocols.run_store import KeptRuns
from cogdl.registry import BUILTIN, DATASETS, MODELS, PROTOCOLS, TASKS
from cogdl.result import Result, RunSpec
from cogdl.tasks.base import SeedContext, Task
from cogdl.threads import threads_per_run


class Protocol:
    accepts: ClassVar[tuple[type, ...]] = ()
    per_seed: ClassVar[bool] = True
    takes_grid: ClassVar[bool] = False
    keeps_runs: ClassVar[bool] = False
    unit: ClassVar[str] = "seed"

    def run(self, spec: RunSpec) -> Result:
        raise NotImplementedError


# -- steps shared by protocols ------------------------------------------------------------------
def task_and_model(task: str, model: str) -> tuple[type[Task], type]:
    """The registered task and model classes; an error if the model does not declare the task."""
    task_cls, model_cls = TASKS.get(task), MODELS.get(model)
    if task not in model_cls.supported_tasks:
        raise ConfigError(f"model {model!r} does not support task {task!r}; it supports: "
                          + ", ".join(model_cls.supported_tasks))
    return task_cls, model_cls


def resolve_spec(spec: RunSpec, extra_layers=()) -> tuple[type[Task], type, ResolvedConfig]:
    """The task and model classes and the config resolved from the spec's layers (then `extra_layers`)."""
    task_cls, model_cls = task_and_model(spec.task, spec.model)
    return task_cls, model_cls, resolve(model_cls.Config, task_cls.Config, [*spec.layers, *extra_layers])


def load_dataset(name: str, data_root=None):
    return DATASETS.get(name)(resolve_data_root(data_root))


def spec_dataset(spec: RunSpec):
    """The spec's dataset: the object it was given, else the registered one loaded from the data root."""
    return spec.given if spec.given is not None else load_dataset(spec.dataset, spec.data_root)


#: what a process running a protocol's runs holds: the dataset of the run it serves (`hold_dataset`)
_held: dict[str, Any] = {}


def hold_dataset(spec: RunSpec) -> None:
    """Load the spec's dataset into this process, unless it holds it already: the initializer of
    the processes of protocols that spread one dataset's runs over them (`held_dataset` reads it)."""
    key = (spec.dataset, str(spec.data_root))
    if _held.get("key") != key:
        _held.update(key=key, dataset=spec_dataset(spec))


def held_dataset():
    return _held["dataset"]


def hold_dataset_of(spec: RunSpec, shape: type, missing: str):
    """Hold the spec's dataset (`hold_dataset`) and return it; a DataError naming it, with the text
    `missing`, unless it has the protocol's `shape`."""
    hold_dataset(spec)
    dataset = held_dataset()
    if not isinstance(dataset, shape):
        raise DataError(f"{missing}; {dataset.describe()} has none")
    return dataset


def run_on(spec: RunSpec, part, seed: int, part_name: str, layers=(), **context) -> dict[str, Any]:
    """One run of the spec's task and model, with the spec's config and then `layers`, on `part` of
    its dataset (a graph, a split, a fold: `part_name` names it in messages), from `seed`;
    `context` sets the run's `SeedContext` (`evaluate_test`, `refit_epochs`)."""
    task_cls, model_cls, resolved = resolve_spec(spec, layers)
    task = task_cls()
    prepared = task.prepare(part, resolved.task)
    context = SeedContext(seed, torch.device(spec.device), dataset=f"{spec.dataset} {part_name}", **context)
    return run_once(task, spec.task, model_cls, spec.model, resolved, prepared, context)


def release_dataset() -> None:
    _held.clear()


def tasks_accepting(dataset) -> list[str]:
    return [e.name for e in TASKS.entries() if isinstance(dataset, tuple(e.obj.accepts))]


def check_task_accepts(task_name: str, task_cls: type[Task], dataset, protocol: str) -> None:
    """A DataError, generated from the declarations, unless `task_cls` takes `dataset`'s shape."""
    if isinstance(dataset, tuple(task_cls.accepts)):
        return
    others = ", ".join(tasks_accepting(dataset)) or "none"
    protocols = [e.name for e in PROTOCOLS.entries() if e.name != protocol and isinstance(dataset, tuple(e.obj.accepts))]
    hint = f"; protocols that run it: {', '.join(protocols)} (--protocol NAME)" if protocols else ""
    raise DataError(f"task {task_name!r} does not take dataset {dataset.describe()}; tasks that do: {others}{hint}")


def where_runs_go(spec: RunSpec) -> dict[str, Any]:
    """`map_runs`'s keyword arguments for the independent runs of `spec`: `spec.jobs` local processes,
    each holding the dataset, or tasks on `spec`'s Ray cluster."""
    return dict(jobs=spec.jobs, initializer=hold_dataset, initargs=(spec,), executor=spec.executor, address=spec.address)


def kept_runs(spec: RunSpec) -> KeptRuns:
    """The inner runs of `spec`'s protocol run, kept in `spec.runs_dir` (`cogdl.protocols.run_store`);
    a run's values repeat at its thread count, which is part of each key."""
    threads = "ray" if spec.executor == "ray" else threads_per_run(spec.jobs)
    return KeptRuns(spec.runs_dir, spec.task, spec.model, spec.dataset, threads, spec.progress)


def require_one_seed(spec: RunSpec, protocol: str, unit: str) -> None:
    """A ConfigError unless the spec has one seed: run k of a protocol over many `unit`s trains from seed + k."""
    if len(spec.seeds) != 1:
        raise ConfigError(f"protocol {protocol} takes one seed ({unit} k trains from seed + k)")


def grid_settings(grid: dict[str, list]) -> list[dict[str, Any]]:
    """The grid's settings in order: the cartesian product, the last key varying fastest."""
    keys = list(grid)
    return [dict(zip(keys, values)) for values in itertools.product(*(grid[k] for k in keys))]


def csv_text(rows: list[dict]) -> str:
    """`rows` (dicts with the same keys) as CSV text with a header."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def run_once(task: Task, task_name: str, model_cls: type, model_name: str, resolved: ResolvedConfig, prepared,
             context: SeedContext) -> dict[str, Any]:
    """One run: seed everything with `context.seed`, build the model for `prepared`, check that it
    has the abilities the task requires, and let the task train and evaluate it; with
    `context.save_weights`, the weights it evaluated become the artifact `model.pt`.

    An exception raised inside the code of a model that is not built in (a plugin's, or one
    registered in a notebook) becomes one `ModelError` line naming the model, its source, the method
    and the dataset (`cogdl --debug` shows the traceback); errors in CogDL's own code stay tracebacks."""
    label, built_in = describe_model(model_name, model_cls)
    context.model, context.task = label, task_name
    try:
        model = build_model(task, task_name, model_cls, model_name, resolved, prepared, context.seed)
        metrics = task.run(model.to(context.device), prepared, resolved.task, context)
        if context.save_weights:
            context.artifacts[checkpoint.FILE] = checkpoint.checkpoint_bytes(model)
        return metrics
    except CogDLError:
        raise
    except Exception as exc:
        method = None if built_in else method_that_raised(exc, model_cls)
        if method is None:
            raise
        raise ModelError(f"{label} failed in {method} on {context.dataset}: {type(exc).__name__}: {exc} "
                         "(cogdl --debug shows the traceback)") from exc


def build_model(task: Task, task_name: str, model_cls: type, model_name: str, resolved: ResolvedConfig, prepared,
                seed: int):
    """A fresh model for `prepared`: the sizes the task asks for, everything seeded with `seed`,
    then the abilities the task requires checked."""
    sizes = task.model_sizes(prepared, resolved.task)
    if not isinstance(sizes, ModelSizes):
        raise TypeError(f"task {task_name!r}: model_sizes must return a ModelSizes, not {type(sizes).__name__}")
    seed_everything(seed)
    model = model_cls(resolved.model, sizes)
    check_abilities(model, type(task).requires, model_name, task_name)
    return model


def describe_model(name: str, model_cls: type) -> tuple[str, bool]:
    """`("model 'my_gnn' (package my-gnn)", False)`: how messages name a model, and whether it is built in."""
    entry = MODELS.entry(name) if name in MODELS else None
    if entry is None or entry.obj is not model_cls:
        return f"model {name!r} (module {model_cls.__module__})", False
    if entry.source == BUILTIN:
        return f"model {name!r} (built-in)", True
    return f"model {name!r} ({'package' if entry.plugin else 'module'} {entry.source})", False


def method_that_raised(exc: BaseException, model_cls: type) -> str | None:
    """The model's method (`forward`, `__init__`, ...) through which `exc` was raised, or None when
    its traceback never passes through the code of the model's package."""
    package = model_cls.__module__.split(".")[0]
    for frame, _ in traceback.walk_tb(exc.__traceback__):
        module = frame.f_globals.get("__name__", "")
        if module == model_cls.__module__ or module.startswith(package + ".") or module == package:
            return frame.f_code.co_name
    return None
