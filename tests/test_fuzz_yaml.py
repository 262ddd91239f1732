"""Every YAML reader fuzzed with damaged copies of a valid file: config files, grids, search spaces,
leaderboards, dataset cards and run folders. Each returns what its caller expects or raises its
one error class (`ConfigError` for what a user writes, `DataError` for what the toolkit wrote) in
one line naming the file. Nothing else may come out (`tests/fuzzing.py` lists the damages)."""

from __future__ import annotations

import tempfile
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import given

from cogdl.config import load_config_file, load_grid
from cogdl.data.cards import cards_dir, parse_card
from cogdl.errors import ConfigError, DataError
from cogdl.experiment import experiment, read_run_folder
from cogdl.leaderboard.files import load_leaderboard
from cogdl.search import load_space
from fuzzing import FUZZ, YAML_SNIPPETS, damaged, read_folder, written
from helpers import DATA_ROOT

REPO = Path(__file__).resolve().parents[1]


def _one_file(name: str, text: str):
    return lambda: {name: text.encode()}


def _run_folder() -> dict[str, bytes]:
    with tempfile.TemporaryDirectory() as tmp:
        result = experiment("node_classification", "mlp", "cora", seeds=[0, 1], out=tmp, data_root=DATA_ROOT, epochs=2)
        return read_folder(Path(result.run_dir))


#: reader name -> (valid files, read(folder), the error class it raises)
READERS = {
    "config": (_one_file("config.yaml", "lr: 0.01\nhidden_size: 64\ndropout: 0.5\nnorm: null\n"),
               lambda folder: load_config_file(folder / "config.yaml"), ConfigError),
    "grid": (_one_file("grid.yaml", "lr: [0.01, 0.005]\ndropout: [0.5, 0.6]\nhidden_size: 64\n"),
             lambda folder: load_grid(folder / "grid.yaml"), ConfigError),
    "search space": (_one_file("space.yaml", "lr:\n  type: float\n  low: 0.001\n  high: 0.1\n  log: true\n"
                                             "hidden_size:\n  type: categorical\n  choices: [16, 64]\n"
                                             "dropout:\n  type: float\n  low: 0.0\n  high: 0.8\n  step: 0.1\n"),
                     lambda folder: load_space(folder / "space.yaml", "node_classification", "gcn"), ConfigError),
    "leaderboard": (lambda: {"node_classification.yaml": (REPO / "leaderboard/planetoid/node_classification.yaml")
                             .read_bytes()},
                    lambda folder: load_leaderboard(folder / "node_classification.yaml"), ConfigError),
    "dataset card": (lambda: {"cora.yaml": (cards_dir() / "cora.yaml").read_bytes()},
                     lambda folder: parse_card(folder / "cora.yaml"), DataError),
    "run folder": (_run_folder, read_run_folder, DataError),
}


@lru_cache(maxsize=None)
def valid_files(reader: str) -> dict[str, bytes]:
    return READERS[reader][0]()


@pytest.mark.parametrize("reader", sorted(READERS))
def test_the_valid_file_reads(reader):
    with written(valid_files(reader)) as folder:
        assert READERS[reader][1](folder)


@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_damaged_file_reads_or_raises_one_line_naming_it(reader):
    _, read, error = READERS[reader]

    @FUZZ
    @given(damaged(valid_files(reader), snippets=YAML_SNIPPETS))
    def check(files):
        with written(files) as folder:
            try:
                read(folder)
            except error as exc:
                assert str(folder) in str(exc) and "\n" not in str(exc), str(exc)

    check()
