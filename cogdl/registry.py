"""Registries of models, datasets, tasks and protocols, filled from three places.

1. Built-ins: every module of the packages `cogdl.models`, `cogdl.datasets`, `cogdl.tasks` and
   `cogdl.protocols` is imported on the first lookup and registers itself with the decorators
   below, so a new built-in model is one new file in `cogdl/models/` (importing this module costs
   nothing).
2. Plugins: installed distributions that declare an entry point in the group `cogdl.models`,
   `cogdl.datasets`, `cogdl.tasks` or `cogdl.protocols`; the entry point's name is the registered name.
3. Code in a notebook or script: `@cogdl.register_model("name")`.

Each entry remembers where it comes from ("built-in", the plugin's distribution name, or the
module that registered it). A name registered twice by different sources is an error that names
both; built-in names are reserved. A plugin that fails to import, or whose entry point takes a name
already registered (a built-in's, another plugin's), is skipped with a warning that names both,
so one plugin cannot break every command. A lookup of an unknown name lists the closest valid ones.
"""

from __future__ import annotations

import importlib
import pkgutil
import warnings
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, Callable

from cogdl.errors import CogDLError, UnknownName, did_you_mean
from cogdl.names import path_component

BUILTIN = "built-in"


@dataclass(frozen=True)
class Entry:
    """A registered name: the object, where it comes from (`built-in`, a distribution or a module)
    and whether it came through an entry point of an installed package (`plugin`)."""

    name: str
    obj: Any
    source: str
    plugin: bool = False


class Registry:
    """Names of one kind (`models`, `datasets`, `tasks`, `protocols`) mapped to the objects that implement them."""

    def __init__(self, kind: str, builtin_package: str):
        self.kind = kind
        self.group = f"cogdl.{kind}"
        self.builtin_package = builtin_package
        self._entries: dict[str, Entry] = {}
        self._discovered = False
        self._plugin_source: str | None = None
        self._prefixes: dict[str, Callable[[str], Any]] = {}

    # -- registration ------------------------------------------------------------------------
    def register(self, name: str) -> Callable[[Any], Any]:
        """Decorator: `@MODELS.register("gcn")` above a class or function."""

        def decorator(obj):
            self.add(name, obj, self._source_of(obj))
            return obj

        return decorator

    def add(self, name: str, obj: Any, source: str, plugin: bool = False) -> None:
        path_component(name, f"{self.kind[:-1]} name (registered by {source})")  # names become run-folder names
        old = self._entries.get(name)
        if old is not None:
            if old.obj is obj:
                return
            raise CogDLError(
                f"{self.kind[:-1]} name {name!r} is registered twice: by {old.source} "
                f"({_qualname(old.obj)}) and by {source} ({_qualname(obj)}); rename one of them"
            )
        self._entries[name] = Entry(name, obj, source, plugin)

    def _source_of(self, obj) -> str:
        if self._plugin_source is not None:
            return self._plugin_source
        module = getattr(obj, "__module__", "") or ""
        if module == "cogdl" or module.startswith("cogdl."):
            return BUILTIN
        return module or "unknown"

    def register_prefix(self, prefix: str) -> Callable[[Any], Any]:
        """Decorator: names `<prefix>:<argument>` resolve to `factory(argument)`
        (e.g. `hgb:PATH`, a folder in HGB's format)."""

        def decorator(factory):
            self._prefixes[prefix] = factory
            return factory

        return decorator

    # -- discovery ---------------------------------------------------------------------------
    def _discover(self) -> None:
        if self._discovered:
            return
        self._discovered = True
        package = importlib.import_module(self.builtin_package)
        for module in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{self.builtin_package}.{module.name}")
        for ep in entry_points(group=self.group):
            dist = ep.dist.name if ep.dist is not None else "unknown distribution"
            self._plugin_source = dist
            try:
                obj = ep.load()
            except Exception as exc:  # a broken plugin must not hide the others
                warnings.warn(f"cogdl: plugin {dist!r} entry point {ep.name!r} ({ep.value}) failed to load: {exc}")
                continue
            finally:
                self._plugin_source = None
            try:  # a name taken (a built-in's, another plugin's) or unfit for a folder
                self.add(ep.name, obj, dist, plugin=True)
            except CogDLError as exc:
                warnings.warn(f"cogdl: plugin {dist!r} entry point {ep.name!r} ({ep.value}) is skipped: {exc}")

    # -- lookup ------------------------------------------------------------------------------
    def get(self, name: str) -> Any:
        return self.entry(name).obj

    def entry(self, name: str) -> Entry:
        self._discover()
        prefix, sep, argument = name.partition(":")
        if sep and prefix in self._prefixes and name not in self._entries:
            if not argument:
                raise UnknownName(f"{self.kind[:-1]} {name!r}: expected {prefix}:<argument>")
            return Entry(name, self._prefixes[prefix](argument), BUILTIN)
        if name not in self._entries:
            raise UnknownName(f"unknown {self.kind[:-1]} {name!r}{did_you_mean(name, self._entries)}")
        return self._entries[name]

    def entries(self) -> list[Entry]:
        self._discover()
        return [self._entries[k] for k in sorted(self._entries)]

    def names(self) -> list[str]:
        return [e.name for e in self.entries()]

    def __contains__(self, name: str) -> bool:
        self._discover()
        return name in self._entries


def _qualname(obj) -> str:
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', type(obj).__name__)}"


MODELS = Registry("models", "cogdl.models")
DATASETS = Registry("datasets", "cogdl.datasets")
TASKS = Registry("tasks", "cogdl.tasks")
PROTOCOLS = Registry("protocols", "cogdl.protocols")

register_model = MODELS.register
register_dataset = DATASETS.register
register_task = TASKS.register
register_protocol = PROTOCOLS.register
register_dataset_prefix = DATASETS.register_prefix


def bound_loader(load: Callable[..., Any], argument, doc: str, **options) -> Callable[[Any], Any]:
    """A dataset loader `root -> load(argument, root, **options)` whose docstring (`cogdl list`) is
    `doc`: one registered name per dataset id (`argument`) of a family's `load`."""

    def loader(root):
        return load(argument, root, **options)

    loader.__doc__ = doc
    return loader
