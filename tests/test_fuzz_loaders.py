"""Every path-based loader (`hgb:`, `tu:`, `ne:`, `ogbn:`) fuzzed with damaged copies of a valid
folder: it returns a dataset that passes `check_dataset`, or raises `DataError` in one line naming
a file of the folder. Nothing else may come out (`tests/fuzzing.py` lists the damages)."""

from __future__ import annotations

import gzip
import tempfile
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import given

from cogdl.datasets.hgb import load_hgb_folder
from cogdl.datasets.network_embedding import load_ne_folder
from cogdl.datasets.ogb import load_ogbn_folder
from cogdl.datasets.tu import load_tu_folder
from cogdl.errors import DataError
from cogdl.testing import check_dataset
from fuzzing import FUZZ, damaged, read_folder, written
from hgb_fixtures import write_link_prediction_folder, write_node_classification_folder
from tu_fixtures import write_tu_folder


def _lines(*lines: str) -> bytes:
    return "".join(line + "\n" for line in lines).encode()


@lru_cache(maxsize=None)
def valid_files(kind: str) -> dict[str, bytes]:
    """The files of a small valid folder of each format."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / kind
        if kind == "hgb-node":
            write_node_classification_folder(folder, papers=16, authors=12, classes=2, multi_label=True)
        elif kind == "hgb-link":
            write_link_prediction_folder(folder, users=12, items=12, width=0.15)
        elif kind == "tu":
            write_tu_folder(folder, num_graphs=6)
        else:
            return {
                "ne": {"toy.edgelist": _lines("10 20", "20 30 2.5", "30 40", "40 10 1"),
                       "toy.cmty": _lines("10 20", "30 40")},
                "ogbn": {f"raw/{name}.csv.gz": gzip.compress(text, mtime=0) for name, text in (
                    ("edge", _lines("0,1", "1,2", "2,0", "3,4", "4,5")),
                    ("node-feat", _lines(*(f"{i}.5,{-i},{i * i}" for i in range(6)))),
                    ("node-label", _lines("0", "1", "0", "1", "1", "0")),
                    ("num-node-list", _lines("6")))} | {
                    f"split/time/{name}.csv.gz": gzip.compress(text, mtime=0) for name, text in (
                        ("train", _lines("0", "1", "3")), ("valid", _lines("2")), ("test", _lines("4", "5")))},
            }[kind]
        return read_folder(folder)


LOADERS = {"hgb-node": load_hgb_folder, "hgb-link": load_hgb_folder, "tu": load_tu_folder, "ne": load_ne_folder,
           "ogbn": load_ogbn_folder}


def assert_loads_or_names_a_file(load, folder: Path) -> None:
    try:
        dataset = load(folder)
    except DataError as exc:
        message = str(exc)
        assert str(folder) in message and "\n" not in message, message
        return
    check_dataset(dataset)


@pytest.mark.parametrize("kind", sorted(LOADERS))
def test_the_valid_folder_loads_and_passes_the_invariants(kind):
    with written(valid_files(kind)) as folder:
        check_dataset(LOADERS[kind](folder))


@pytest.mark.parametrize("kind", sorted(LOADERS))
def test_a_damaged_folder_loads_or_raises_a_data_error_naming_its_file(kind):
    @FUZZ
    @given(damaged(valid_files(kind)))
    def check(files):
        with written(files) as folder:
            assert_loads_or_names_a_file(LOADERS[kind], folder)

    check()
