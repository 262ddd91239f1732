"""`check_model` and `check_task`: the contract every registered model and task must meet, shipped
so that CogDL's own suite and any plugin's run the same checks (in the spirit of scikit-learn's
`check_estimator`). A failed check raises `ContractError` naming the model or task and the check.

check_model(name or class):
- its `Config` is a dataclass whose fields are typed, defaulted and documented, whose defaults
  meet its constraints and rules, and whose constraints and rules name its own fields;
- every constraint is exercised: an `Interval` at both ends (the bound accepted or, when open,
  rejected; a value beyond it rejected), every option of a `Choice` accepted (and the model run
  with it), a value outside rejected; every rule rejects a value that breaks it; each rejection a
  `ConfigError` naming the field;
- the model is built from `(Config, ModelSizes)` for every task it declares, has the abilities the
  task requires, and trains on a tiny dataset of a shape the task accepts through the task's real
  path: its first output of the right shape, floating point and finite (the task's own check, a
  `ModelError`), finite metrics, a gradient for every parameter;
- the same seed gives the same metrics (with the thread team held fixed, `cogdl.threads.fixed_team`);
- a `LayerWise` model gives, layer by layer in row batches (`cogdl.minibatch.layerwise_inference`),
  exactly its full-batch output, and trains in mini-batches on the node task.
check_task(name or class[, model]) does the same for a task's Config, then checks that it declares
the dataset shapes it accepts, that `prepare` leaves the dataset unchanged, that its metrics are
named with the split first and lie in [0, 1], that a search run (`evaluate_test=False`) reads no
test metric, and that a refit (`supports_refit`) reports test.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import torch

from cogdl.config import (Choice, ConfigError, Divisible, Interval, all_constraints, all_rules, coerce, field_type,
                          resolve)
from cogdl.data.dataset import Dataset
from cogdl.errors import CogDLError
from cogdl.minibatch import layerwise_inference
from cogdl.models.base import LayerWise, ModelSizes
from cogdl.protocols.base import build_model, describe_model
from cogdl.registry import MODELS, TASKS
from cogdl.stats import SPLIT_PREFIXES
from cogdl.tasks.base import SeedContext
from cogdl.testing.tiny_datasets import node_split, tiny_dataset
from cogdl.threads import fixed_team

#: metrics that are fractions in [0, 1] (their names contain one of these)
FRACTIONS = ("acc", "f1", "auc", "mrr")


class ContractError(AssertionError):
    """A model or task that breaks the contract; the message names it and the check."""


def check_model(model) -> None:
    """Run every model check on a registered model name or a model class."""
    name, model_cls = _lookup(MODELS, model)
    where = f"model {name!r}"
    if not model_cls.supported_tasks:
        raise ContractError(f"{where}: declares no supported_tasks")
    task_names = list(model_cls.supported_tasks)
    for task_name in task_names:
        if task_name not in TASKS:
            raise ContractError(f"{where}: declares task {task_name!r}, which is not registered")
    check_config_class(model_cls.Config, where)
    first = TASKS.get(task_names[0])
    exercise_constraints(model_cls.Config, (model_cls.Config, first.Config), where,
                         run=lambda overrides: train_tiny(first, task_names[0], model_cls, name, overrides))
    metrics = [train_tiny(TASKS.get(task_name), task_name, model_cls, name) for task_name in task_names]
    _check_repeats(metrics[0], lambda: train_tiny(first, task_names[0], model_cls, name), f"{where} on {task_names[0]}")
    if issubclass(model_cls, LayerWise):
        _check_layerwise(model_cls, name, where)


def _check_layerwise(model_cls, name: str, where: str) -> None:
    graph = node_split(seed=3).graph
    model = model_cls(model_cls.Config(), ModelSizes(graph.x.shape[1], 3)).eval()
    with torch.no_grad():
        full = model(graph, graph.x)
    layered = layerwise_inference(model, model.message_graph(graph), graph.x, 7)
    if not torch.allclose(full, layered, rtol=1e-4, atol=1e-5):
        raise ContractError(f"{where}: layer-wise inference differs from the full-batch forward by "
                            f"{float((full - layered).abs().max()):.3g}")
    if "node_classification" in model_cls.supported_tasks:
        metrics = train_tiny(TASKS.get("node_classification"), "node_classification", model_cls, name,
                             {"batch_size": 8})
        if not all(math.isfinite(v) for v in metrics.values()):
            raise ContractError(f"{where}: mini-batch training gave non-finite metrics {metrics}")


def check_task(task, model=None) -> None:
    """Run every task check on a registered task name or a task class, with `model` (a name or
    class; default: the first registered model that declares the task)."""
    task_name, task_cls = _lookup(TASKS, task)
    where = f"task {task_name!r}"
    if not task_cls.accepts or not all(isinstance(s, type) and issubclass(s, Dataset) for s in task_cls.accepts):
        raise ContractError(f"{where}: `accepts` must list the dataset shapes it takes (cogdl.data.dataset)")
    if model is None:
        supporting = [e.name for e in MODELS.entries() if task_name in e.obj.supported_tasks]
        if not supporting:
            raise ContractError(f"{where}: no registered model declares it; pass check_task(task, model)")
        model = supporting[0]
    model_name, model_cls = _lookup(MODELS, model)
    check_config_class(task_cls.Config, where)
    exercise_constraints(task_cls.Config, (model_cls.Config, task_cls.Config), where,
                         run=lambda overrides: train_tiny(task_cls, task_name, model_cls, model_name, overrides))
    _check_prepare_leaves_the_dataset(task_cls, where)
    metrics = train_tiny(task_cls, task_name, model_cls, model_name)
    _check_metric_names(metrics, where)
    if task_cls.search_metric is not None:
        searched = train_tiny(task_cls, task_name, model_cls, model_name, evaluate_test=False)
        if task_cls.search_metric not in searched or any(k.startswith("test_") for k in searched):
            raise ContractError(f"{where}: with evaluate_test=False it must return {task_cls.search_metric!r} and no "
                                f"test metric; it returned {sorted(searched)}")
    if task_cls.supports_refit:
        refit = train_tiny(task_cls, task_name, model_cls, model_name, refit_epochs=2)
        if not any(k.startswith("test_") for k in refit):
            raise ContractError(f"{where}: a refit (refit_epochs=2) must report test metrics; it returned {sorted(refit)}")
    _check_repeats(metrics, lambda: train_tiny(task_cls, task_name, model_cls, model_name), f"{where} with {model_name!r}")


def train_tiny(task_cls, task_name: str, model_cls, model_name: str, overrides: dict | None = None,
               seed: int = 0, **context) -> dict[str, Any]:
    """Train `model_cls` for the task on its tiny dataset with the task's `quick_config`, through the
    task's own `prepare` and `run`; check that every parameter got a gradient and the metrics are finite."""
    where = f"model {model_name!r} on task {task_name!r}"
    resolved = resolve(model_cls.Config, task_cls.Config,
                       [("quick_config", task_cls.quick_config), ("check", overrides or {})])
    task, dataset = task_cls(), tiny_dataset(task_cls.accepts[0], seed)
    prepared = task.prepare(dataset, resolved.task)
    try:
        model = build_model(task, task_name, model_cls, model_name, resolved, prepared, seed)
    except CogDLError:
        raise
    except Exception as exc:
        raise ContractError(f"{where}: building it failed: {type(exc).__name__}: {exc}") from exc
    label = describe_model(model_name, model_cls)[0]
    with fixed_team():  # the same-seed check compares bit for bit: no team resized by the load in between
        metrics = task.run(model, prepared, resolved.task,
                           SeedContext(seed, model=label, task=task_name, dataset=dataset.info.name, **context))
    without_gradient = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    if without_gradient and not context.get("refit_epochs"):
        raise ContractError(f"{where}: no gradient reached {', '.join(without_gradient[:5])} (overrides {overrides})")
    bad = {k: v for k, v in metrics.items() if not isinstance(v, (int, float)) or not math.isfinite(v)}
    if bad:
        raise ContractError(f"{where}: metrics must be finite numbers; found {bad}")
    return metrics


# -- configs ------------------------------------------------------------------------------------
def check_config_class(config_cls, where: str) -> None:
    """Typed, defaulted, documented fields; constraints and rules over its own fields; valid defaults."""
    if not dataclasses.is_dataclass(config_cls):
        raise ContractError(f"{where}: Config must be a dataclass")
    names = {f.name for f in dataclasses.fields(config_cls)}
    for f in dataclasses.fields(config_cls):
        if not f.metadata.get("help"):
            raise ContractError(f"{where}: Config field {f.name!r} has no help (field(metadata={{'help': ...}}))")
        if f.default is dataclasses.MISSING:
            raise ContractError(f"{where}: Config field {f.name!r} has no default")
        try:
            coerce(f.default, field_type(config_cls, f.name), f.name)
        except (TypeError, ConfigError) as exc:
            raise ContractError(f"{where}: Config field {f.name!r}: {exc}") from exc
    strays = [n for n in all_constraints(config_cls) if n not in names]
    strays += [n for rule in all_rules(config_cls) for n in (rule.field, rule.by) if n not in names]
    if strays:
        raise ContractError(f"{where}: a constraint or rule names {strays[0]!r}, which is not a Config field")
    try:
        resolve(config_cls, config_cls, [])
    except ConfigError as exc:
        raise ContractError(f"{where}: its defaults break a constraint: {exc}") from exc


def exercise_constraints(config_cls, pair: tuple[type, type], where: str, run) -> None:
    """Each constraint of `config_cls` at both ends and for every choice (resolved with the
    (model, task) Config `pair`); `run(overrides)` trains with each choice."""
    hints = {f.name: field_type(config_cls, f.name) for f in dataclasses.fields(config_cls)}
    for name, constraint in all_constraints(config_cls).items():
        if isinstance(constraint, Interval):
            for bound, is_open, outward in ((constraint.low, constraint.open_low, -1),
                                            (constraint.high, constraint.open_high, 1)):
                if bound is None:
                    continue
                step = 1 if _is_int(hints[name]) else 1e-6 * max(1.0, abs(bound))
                _expect(pair, name, bound + outward * step, False, where)
                _expect(pair, name, bound, not is_open, where)
        elif isinstance(constraint, Choice):
            for option in constraint.options:
                _expect(pair, name, option, True, where)
                run({name: option})
            outside = "not-" + "-".join(map(str, constraint.options)) if isinstance(constraint.options[0], str) \
                else max(constraint.options) + 1
            _expect(pair, name, outside, False, where)
    for rule in all_rules(config_cls):
        if isinstance(rule, Divisible):
            _expect_rule_rejects(pair, rule, where)


def _is_int(annotation) -> bool:
    return annotation is int or int in getattr(annotation, "__args__", ())


def _expect(pair, name: str, value, accepted: bool, where: str) -> None:
    try:
        resolve(*pair, [("check", {name: value})])
        outcome = None
    except ConfigError as exc:
        outcome = str(exc)
    own_problem = outcome is not None and f"{name}={value!r}" in outcome and "divisible" not in outcome
    if accepted and own_problem:
        raise ContractError(f"{where}: {name}={value!r} should be accepted, but: {outcome}")
    if not accepted and not own_problem:
        raise ContractError(f"{where}: {name}={value!r} should be rejected with a ConfigError naming {name!r}"
                            + (f"; got: {outcome}" if outcome else "; it was accepted"))


def _expect_rule_rejects(pair, rule: Divisible, where: str) -> None:
    values = {**dataclasses.asdict(pair[0]()), **dataclasses.asdict(pair[1]())}
    values.update(dict(rule.when))
    if rule.divisor(values) < 2:
        values[rule.by] = 2 - rule.plus
    values[rule.field] = rule.divisor(values) * 3 + 1
    override = {k: values[k] for k in (rule.field, rule.by, *dict(rule.when))}
    try:
        resolve(*pair, [("check", override)])
    except ConfigError as exc:
        if "divisible" in str(exc):
            return
        raise ContractError(f"{where}: rule {rule} should reject {override}, but: {exc}") from exc
    raise ContractError(f"{where}: rule {rule} accepted {override}")


# -- tasks --------------------------------------------------------------------------------------
def _tensors(obj, seen=None) -> list[torch.Tensor]:
    """Every tensor reachable from a dataset's fields (graphs, dicts, lists), for a change check."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return []
    seen.add(id(obj))
    if isinstance(obj, torch.Tensor):
        return [obj]
    if isinstance(obj, dict):
        return [t for v in obj.values() for t in _tensors(v, seen)]
    if isinstance(obj, (list, tuple)):
        return [t for v in obj for t in _tensors(v, seen)]
    if hasattr(obj, "__dict__") and not isinstance(obj, type):
        return [t for k, v in vars(obj).items() if k != "_cache" for t in _tensors(v, seen)]
    return []


def _check_prepare_leaves_the_dataset(task_cls, where: str) -> None:
    dataset = tiny_dataset(task_cls.accepts[0])
    before = [(t, t.clone()) for t in _tensors(dataset)]
    fields = dict(vars(dataset))
    task_cls().prepare(dataset, resolve(task_cls.Config, task_cls.Config, [("quick", task_cls.quick_config)]).task)
    if vars(dataset) != fields or any(not torch.equal(t, copy) for t, copy in before):
        raise ContractError(f"{where}: prepare changed the dataset it was given; return new objects instead")


def _check_metric_names(metrics: dict, where: str) -> None:
    for name, value in metrics.items():
        if name.startswith(SPLIT_PREFIXES) and any(f in name for f in FRACTIONS) and not 0.0 <= value <= 1.0:
            raise ContractError(f"{where}: metric {name} = {value} should be a fraction in [0, 1]")
    if not any(name.startswith(SPLIT_PREFIXES) for name in metrics):
        raise ContractError(f"{where}: no metric is named with its split first (test_acc, val_macro_f1, ...): "
                            f"{sorted(metrics)}")


def _check_repeats(first: dict, train, where: str) -> None:
    """`first`, the metrics of a run, equal those of `train()`, the same run again."""
    second = train()
    first, second = ({k: v for k, v in m.items() if not k.endswith("_seconds")} for m in (first, second))
    if first != second:
        raise ContractError(f"{where}: the same seed gave different metrics: {first} then {second}")


def _lookup(registry, obj) -> tuple[str, type]:
    if isinstance(obj, str):
        return obj, registry.get(obj)
    names = [e.name for e in registry.entries() if e.obj is obj]
    return (names[0] if names else obj.__name__), obj
