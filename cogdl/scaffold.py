"""`cogdl new model NAME`: a plugin package that installs, passes the model contract and trains.

    cogdl new model my_gnn [--out DIR]     ->  DIR/cogdl-my-gnn/
        pyproject.toml              the package, with the entry point `my_gnn` in `cogdl.models`
        cogdl_my_gnn/model.py       the model: its Config and a docstring to complete; a two-layer
                                    graph convolution in plain PyTorch to start from
        tests/test_model.py         `cogdl.testing.check_model` on it
        README.md                   install, test, train

After `pip install DIR/cogdl-my-gnn`, `cogdl train --task node_classification --dataset cora
--model my_gnn` trains it as generated. The folder appears complete or not at all, and an existing
one is never overwritten.
"""

from __future__ import annotations

import re
from pathlib import Path

from cogdl.data.atomic import write_folder_atomically
from cogdl.errors import ConfigError

PYPROJECT = '''[build-system]
requires = ["setuptools>=77"]
build-backend = "setuptools.build_meta"

[project]
name = "{dist}"
version = "0.1.0"
description = "A CogDL plugin: the model {name}."
requires-python = ">=3.10"
dependencies = ["cogdl"]

[project.entry-points."cogdl.models"]
{name} = "{package}.model:{cls}"

[tool.setuptools]
packages = ["{package}"]
'''

MODEL = '''"""{cls}: <paper title>, <authors>, <venue and year> (write your model's paper here).

Matrix form (as generated: two graph convolutions, dropout on each layer's input):
    Z = Â dropout(ReLU(Â dropout(X) W_0)) W_1,    Â = D^{{-1/2}} (A + I) D^{{-1/2}}  (`cogdl.nn.gcn_propagate`)
Per node:  h_i' = sum_{{j in N(i) + {{i}}}} (h_j W) / sqrt(d_i d_j)

Symbols: `X` `[N, F]` node features, `W_l` the layers' weights, `hidden_size` the hidden width.
Shapes: `x` `[N, F]` (a dense `torch.Tensor`) -> logits `[N, C]`, C = `sizes.out_features`.
`dropout` is `cogdl.nn.functional.dropout`: `F.dropout`'s inverted dropout with a hashed mask, several
times cheaper on CPU.
NOTE: say here where your code departs from the paper, and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from cogdl.config import Interval
from cogdl.models.base import Model, ModelSizes
from cogdl.nn import gcn_propagate
from cogdl.nn.functional import dropout


@dataclass
class {cls}Config:
    hidden_size: int = field(default=64, metadata={{"help": "width of the hidden layer"}})
    dropout: float = field(default=0.5, metadata={{"help": "dropout probability on every layer's input"}})

    constraints = {{"hidden_size": Interval(1), "dropout": Interval(0.0, 1.0, open_high=True)}}


class {cls}(Model):
    """{cls}: one line on what the model is."""

    Config = {cls}Config
    supported_tasks = ("node_classification",)

    def __init__(self, config: {cls}Config, sizes: ModelSizes):
        super().__init__(config, sizes)
        self.first = nn.Linear(sizes.in_features, config.hidden_size)
        self.second = nn.Linear(config.hidden_size, sizes.out_features)

    def forward(self, graph, x: torch.Tensor) -> torch.Tensor:
        p = self.config.dropout
        h = F.relu(gcn_propagate(graph, self.first(dropout(x, p, self.training))))
        return gcn_propagate(graph, self.second(dropout(h, p, self.training)))
'''

TEST = '''"""The model meets CogDL's model contract (cogdl.testing.check_model)."""

from cogdl.testing import check_model
from {package}.model import {cls}


def test_{name}_meets_the_model_contract():
    check_model({cls})


def test_{name}_is_registered_under_its_entry_point_name():
    check_model("{name}")
'''

README = '''# {dist}

A CogDL plugin that adds the model `{name}` (`{package}/model.py`).

    pip install .
    pytest tests                    # cogdl.testing.check_model: the model contract
    cogdl train --task node_classification --dataset cora --model {name} --seeds 0-4

See CogDL's docs, "Writing a model", for what the contract asks and how to opt into sparse input,
graph-level, heterogeneous and self-supervised tasks.
'''

NAME = re.compile(r"[a-z][a-z0-9_]*")


def new_model(name: str, out: Path) -> Path:
    """Write the plugin package of model `name` into `out/cogdl-<name>`; return its folder."""
    if not NAME.fullmatch(name):
        raise ConfigError(f"model name {name!r}: expected lower-case letters, digits and '_', starting with a letter")
    from cogdl.registry import BUILTIN, MODELS

    if name in MODELS and MODELS.entry(name).source == BUILTIN:
        raise ConfigError(f"model name {name!r} is a built-in model's; built-in names are reserved, choose another")
    dist, package = f"cogdl-{name.replace('_', '-')}", f"cogdl_{name}"
    cls = "".join(part.capitalize() for part in name.split("_"))
    if (out / dist).exists():
        raise ConfigError(f"{out / dist} exists; nothing was written (remove it or choose another --out)")
    fields = {"name": name, "dist": dist, "package": package, "cls": cls}
    files = {"pyproject.toml": PYPROJECT, f"{package}/__init__.py": '"""CogDL plugin: the model {name}."""\n',
             f"{package}/model.py": MODEL, "tests/test_model.py": TEST, "README.md": README}

    def fill(folder: Path) -> None:
        for relative, template in files.items():
            path = folder / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(template.format(**fields))

    return write_folder_atomically(out, dist, fill)
