"""Typed configs: strict YAML, `--set key=value` parsing, constraints and layered resolution.

A model or task declares its hyper-parameters once, as a dataclass named `Config` whose fields are
typed, defaulted and documented (`field(default=..., metadata={"help": ...})`). Ranges and
choices sit beside it as data, in a class attribute `constraints` mapping a field name to an
`Interval` or `Choice`; rules that tie several fields together (`Divisible`) sit in a class
attribute `rules`. Both are checked once, when the config is resolved, and both are collected over
the class's bases, so a Config composed from others (a task's from the loop settings of
`cogdl.trainer`) checks every part.

Resolution (lowest first, DESIGN.md): model Config defaults < task Config defaults < the
leaderboard's best config < `--config FILE.yaml` < `--set key=value`. All keys live in one flat
namespace, so `--set epochs=100 lr=0.005` means the same for every model and task that has them.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from cogdl.errors import ConfigError, did_you_mean


# -- constraints ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Interval:
    """`low <= value <= high` (either bound may be None); `open_low` / `open_high` make a bound strict."""

    low: float | None = None
    high: float | None = None
    open_high: bool = False
    open_low: bool = False

    def check(self, value) -> str | None:
        too_low = self.low is not None and (value <= self.low if self.open_low else value < self.low)
        too_high = self.high is not None and (value >= self.high if self.open_high else value > self.high)
        if too_low or too_high:
            return f"must be in {self}"
        return None

    def __str__(self) -> str:
        low = "-inf" if self.low is None else self.low
        high = "inf" if self.high is None else self.high
        return f"{'(' if self.open_low or self.low is None else '['}{low}, {high}{')' if self.open_high or self.high is None else ']'}"


@dataclass(frozen=True)
class Choice:
    """The value must be one of `options`."""

    options: tuple

    def __init__(self, *options):
        object.__setattr__(self, "options", tuple(options))

    def check(self, value) -> str | None:
        if value not in self.options:
            return "must be one of " + ", ".join(repr(o) for o in self.options)
        return None

    def __str__(self) -> str:
        return "one of " + ", ".join(repr(o) for o in self.options)


@dataclass(frozen=True)
class Divisible:
    """A rule over two fields: `field` must be a multiple of `by` (+ `plus`): a width split evenly
    over attention heads, say; it applies only where every `(name, value)` of `when` holds."""

    field: str
    by: str
    plus: int = 0
    when: tuple[tuple[str, Any], ...] = ()

    def applies(self, values: dict[str, Any]) -> bool:
        return all(values.get(name) == value for name, value in self.when)

    def divisor(self, values: dict[str, Any]) -> int:
        return values[self.by] + self.plus

    def check(self, values: dict[str, Any]) -> str | None:
        if not self.applies(values) or values[self.field] % self.divisor(values) == 0:
            return None
        by = f"{self.by} + {self.plus} = {self.divisor(values)}" if self.plus else f"{self.by}={values[self.by]!r}"
        return (f"{self.field}={values[self.field]!r} must be divisible by {by}"
                + "".join(f" when {name}={value!r}" for name, value in self.when))

    def __str__(self) -> str:
        condition = "".join(f" when {name}={value!r}" for name, value in self.when)
        return f"divisible by {self.by}{f' + {self.plus}' if self.plus else ''}{condition}"


# -- strict YAML ---------------------------------------------------------------------------------
class _StrictLoader(yaml.SafeLoader):
    """A SafeLoader that rejects duplicate mapping keys, naming the line."""


def _construct_mapping(loader, node, deep=False):
    seen = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if isinstance(key, (list, dict, set)):
            raise yaml.constructor.ConstructorError(None, None, f"a key is a {type(key).__name__}; keys are plain "
                                                    "values", key_node.start_mark)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (first on line {seen[key] + 1})", key_node.start_mark
            )
        seen[key] = key_node.start_mark.line
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(path: str | Path, error=ConfigError) -> Any:
    """Parse a YAML file strictly; any problem is `error` naming the file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise error(f"{where}: invalid YAML: {problem}") from None
    except (ValueError, RecursionError) as exc:  # a value PyYAML cannot build (a timestamp 2020-13-01), nesting too deep
        raise error(f"{path}: invalid YAML: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None


def load_config_file(path: str | Path) -> dict[str, Any]:
    """A config file is a flat YAML mapping of hyper-parameter names to scalar values."""
    data = load_yaml(path)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of key: value, found {type(data).__name__}")
    for key, value in data.items():
        if not isinstance(key, str) or isinstance(value, (dict, list)):
            raise ConfigError(f"{path}: key {key!r}: expected a scalar value, found {type(value).__name__}")
    return data


def load_grid(path) -> dict[str, list]:
    """A grid file: a YAML mapping of hyper-parameter -> list of values (a scalar is one value)."""
    data = load_yaml(Path(path))
    if not isinstance(data, dict) or not data:
        raise ConfigError(f"{path}: expected a mapping of hyper-parameter -> list of values")
    grid = {}
    for key, values in data.items():
        values = values if isinstance(values, list) else [values]
        if not values:
            raise ConfigError(f"{path}: {key}: expected at least one value")
        grid[str(key)] = values
    return grid


def parse_set(items: list[str]) -> dict[str, Any]:
    """`["lr=0.01", "dropout=0.5"]` -> `{"lr": 0.01, "dropout": 0.5}` (values parsed as YAML scalars);
    a key given twice is an error, not a silent last-one-wins."""
    out = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set {item!r}: expected key=value")
        if key.strip() in out:
            first = next(i for i in items if i.partition("=")[0].strip() == key.strip())
            raise ConfigError(f"--set gives {key.strip()!r} twice ({first!r} and {item!r}); give it once")
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            value = raw
        out[key.strip()] = value
    return out


# -- typed fields --------------------------------------------------------------------------------
def config_fields(config_cls) -> dict[str, dataclasses.Field]:
    return {f.name: f for f in dataclasses.fields(config_cls)}


def field_type(config_cls, name: str):
    return typing.get_type_hints(config_cls)[name]


def field_help(f: dataclasses.Field) -> str:
    return f.metadata.get("help", "")


def all_constraints(config_cls) -> dict[str, Any]:
    """`constraints` of the class and of its bases (a subclass's entry wins)."""
    merged: dict[str, Any] = {}
    for klass in reversed(config_cls.__mro__):
        merged.update(vars(klass).get("constraints", {}))
    return merged


def all_rules(config_cls) -> list:
    """`rules` (cross-field constraints such as `Divisible`) of the class and of its bases."""
    return [rule for klass in reversed(config_cls.__mro__) for rule in vars(klass).get("rules", ())]


def describe_fields(config_cls) -> list[tuple[str, str, Any, str, str]]:
    """`(name, type name, default, help, constraint)` of each hyper-parameter (`cogdl info`, the docs)."""
    constraints = all_constraints(config_cls)
    rules = {}
    for rule in all_rules(config_cls):
        rules.setdefault(rule.field, []).append(str(rule))
    return [(f.name, type_name(field_type(config_cls, f.name)), f.default, field_help(f),
             "; ".join(([str(constraints[f.name])] if f.name in constraints else []) + rules.get(f.name, [])))
            for f in dataclasses.fields(config_cls)]


def type_name(annotation) -> str:
    """`int`, or `int or null` for an optional field."""
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return " or ".join("null" if a is type(None) else type_name(a) for a in args)
    return getattr(annotation, "__name__", str(annotation))


def coerce(value, annotation, where: str):
    """Convert `value` to the field type `annotation`, or raise ConfigError naming `where`."""
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        if value is None or value == "null":
            if type(None) in args:
                return None
        inner = [a for a in args if a is not type(None)]
        return coerce(value, inner[0], where)
    if annotation is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
    elif annotation is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            try:
                return int(value)
            except ValueError:
                pass
    elif annotation is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if math.isfinite(value):
                return float(value)
        elif isinstance(value, str):
            try:
                number = float(value)
                if math.isfinite(number):
                    return number
            except ValueError:
                pass
    elif annotation is str:
        if isinstance(value, str):
            return value
    else:
        raise TypeError(f"unsupported config field type {annotation!r} at {where}")
    name = getattr(annotation, "__name__", str(annotation))
    raise ConfigError(f"{where}: expected {name}, found {value!r}")


def check_constraints(config_cls, values: dict[str, Any], where: dict[str, str]) -> None:
    """Raise ConfigError for the first value outside its constraint or rule, naming where it was set."""
    for name, constraint in all_constraints(config_cls).items():
        value = values.get(name)
        if value is None:
            continue
        problem = constraint.check(value)
        if problem:
            raise ConfigError(f"{where.get(name, 'default')}: {name}={value!r} {problem}")
    for rule in all_rules(config_cls):
        problem = rule.check(values)
        if problem:
            raise ConfigError(f"{where.get(rule.field, 'default')}: {problem}")


# -- resolution ----------------------------------------------------------------------------------
@dataclass
class ResolvedConfig:
    """The model's and the task's Config instances plus the flat dict that was saved."""

    model: Any
    task: Any
    flat: dict[str, Any]
    origin: dict[str, str]


def resolve(model_config_cls, task_config_cls, layers: list[tuple[str, dict[str, Any]]]) -> ResolvedConfig:
    """Merge `layers` (lowest first, each `(where, {key: value})`) over both Configs' defaults."""
    owners: dict[str, list] = {}
    for cls in (model_config_cls, task_config_cls):
        for name in config_fields(cls):
            owners.setdefault(name, []).append(cls)

    flat: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for cls, label in ((model_config_cls, "model default"), (task_config_cls, "task default")):
        for name, value in dataclasses.asdict(cls()).items():
            flat[name] = value
            origin[name] = label

    for where, layer in layers:
        for key, value in layer.items():
            if key not in owners:
                raise ConfigError(f"{where}: unknown key {key!r}{did_you_mean(key, owners)}")
            flat[key] = coerce(value, field_type(owners[key][0], key), f"{where}: {key}")
            origin[key] = where

    built = []
    for cls in (model_config_cls, task_config_cls):
        values = {name: flat[name] for name in config_fields(cls)}
        check_constraints(cls, values, origin)
        built.append(cls(**values))
    return ResolvedConfig(model=built[0], task=built[1], flat=flat, origin=origin)
