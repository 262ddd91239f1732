"""Which kernels run: `reference`, `cpu` or `triton`.

Chosen per call from the device of the input: CUDA tensors use `triton`, CPU tensors the `cpu`
extension; `COGDL_OPS=reference|cpu|triton` forces one. Nothing is compiled at import: the CPU
extension is built on first use (and cached on disk), and a fast path that cannot be built or
imported falls back to `reference` with one warning.
"""

from __future__ import annotations

import importlib
import os
import warnings
from types import ModuleType

import torch

from cogdl.errors import ConfigError
from cogdl.ops import reference

BACKENDS = ("reference", "cpu", "triton")
_MODULES = {"cpu": "cogdl.ops.cpu", "triton": "cogdl.ops.triton_kernels"}
_loaded: dict[str, ModuleType | None] = {"reference": reference}


def forced_backend() -> str | None:
    name = os.environ.get("COGDL_OPS", "").strip()
    if not name:
        return None
    if name not in BACKENDS:
        raise ConfigError(f"COGDL_OPS={name!r}: expected one of {', '.join(BACKENDS)}")
    return name


def load(name: str) -> ModuleType | None:
    """The kernel module of backend `name`, or None (after one warning) if it cannot be loaded."""
    if name not in _loaded:
        try:
            module = importlib.import_module(_MODULES[name])
            module.ensure_available()
            _loaded[name] = module
        except Exception as exc:  # any build or import failure means: use the reference
            warnings.warn(f"cogdl.ops: the {name} backend is unavailable ({str(exc).splitlines()[0][:300]}); "
                          "using the reference kernels", RuntimeWarning, stacklevel=3)
            _loaded[name] = None
    return _loaded[name]


def kernels_for(tensor: torch.Tensor) -> ModuleType:
    """The kernel module to use for inputs on `tensor`'s device."""
    name = forced_backend() or ("triton" if tensor.is_cuda else "cpu")
    return load(name) or reference


def check_rows(op: str, graph, sources=(), destinations=(), edges=()) -> None:
    """A clear error, not an out-of-bounds kernel access: each `(name, tensor)` of `sources` needs
    one row per source node of `graph`, of `destinations` one per destination row, of `edges` one
    per edge."""
    for named, expected, what in ((sources, graph.num_cols, "source nodes"),
                                  (destinations, graph.num_nodes, "destination rows"), (edges, graph.num_edges, "edges")):
        for name, tensor in named:
            if tensor is not None and tensor.shape[0] != expected:
                raise ValueError(f"{op}: {name} has {tensor.shape[0]} rows, the graph has {expected} {what}")
