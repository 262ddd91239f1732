"""Dataset cards: one strict YAML file per dataset in the top-level `datasets/` folder.

A card names the dataset's files with their sha256 (of the uncompressed content) and download
URLs, its license and citation, and the statistics the loader must reproduce:

    id: cora
    title: Cora citation network (Planetoid public split)
    files:
      - name: ind.cora.x
        sha256: 23cf...
        urls: [https://github.com/kimiyoung/planetoid/raw/master/data/ind.cora.x]
    license: ...
    citation: ...
    stats: {num_nodes: 2708, num_edges: 10556, num_features: 1433, num_classes: 7}

`sha256: null` marks a file no copy of which was available to hash (it is read unchecked), and
`archive` names an official archive that holds the files when they have no direct URLs, and
`notes` what a user must know about the files (quirks of the source, what the loader changes).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from cogdl.config import load_yaml
from cogdl.errors import DataError, UnknownName, did_you_mean
from cogdl.names import path_component

_CARD_KEYS = {"id", "title", "files", "license", "citation", "stats", "homepage", "archive", "notes"}
_FILE_KEYS = {"name", "sha256", "urls"}


@dataclass(frozen=True)
class DataFile:
    name: str
    sha256: str | None
    urls: tuple[str, ...]


@dataclass(frozen=True)
class Card:
    id: str
    title: str
    files: tuple[DataFile, ...]
    license: str
    citation: str
    stats: dict
    homepage: str = ""
    notes: str = ""
    archive: str = ""
    path: str = ""

    def check_stats(self, found: dict) -> None:
        """Raise a DataError where a loaded statistic in `found` differs from the card's `stats`."""
        for key, expected in self.stats.items():
            if key in found and found[key] != expected:
                raise DataError(f"{self.id}: loaded {key}={found[key]}, the card {self.path} expects {expected}")

    def file(self, name: str) -> DataFile:
        for f in self.files:
            if f.name == name:
                return f
        raise DataError(f"{self.path}: card {self.id!r} lists no file {name!r}")


def cards_dir() -> Path:
    """The installed card folder (`cogdl/_cards` in a wheel), else `datasets/` of a source checkout."""
    package = Path(__file__).resolve().parents[1]
    installed = package / "_cards"
    return installed if installed.is_dir() else package.parent / "datasets"


def card_ids() -> list[str]:
    return sorted(p.stem for p in cards_dir().glob("*.yaml"))


@functools.lru_cache(maxsize=None)
def load_card(dataset_id: str) -> Card:
    path = cards_dir() / f"{path_component(dataset_id, 'dataset id')}.yaml"
    if not path.is_file():
        raise UnknownName(f"no dataset card {path}{did_you_mean(dataset_id, card_ids())}")
    return parse_card(path)


def parse_card(path: Path) -> Card:
    data = load_yaml(path, error=DataError)

    def fail(message: str):
        raise DataError(f"{path}: {message}")

    if not isinstance(data, dict):
        fail("expected a mapping")
    if not all(isinstance(key, str) for key in data):
        fail(f"key {next(k for k in data if not isinstance(k, str))!r}: keys are names")
    unknown = set(data) - _CARD_KEYS
    if unknown:
        fail(f"unknown key {sorted(unknown)[0]!r}{did_you_mean(sorted(unknown)[0], _CARD_KEYS)}")
    missing = {"id", "title", "files", "license", "citation", "stats"} - set(data)
    if missing:
        fail(f"missing key {sorted(missing)[0]!r}")
    if data["id"] != path.stem:
        fail(f"id {data['id']!r} does not match the file name {path.stem!r}")
    if not isinstance(data["files"] or [], list):
        fail("files: expected a list of {name, sha256, urls}")
    if not isinstance(data["stats"], dict):
        fail("stats: expected a mapping of statistic names to values")
    files = []
    for i, entry in enumerate(data["files"] or []):
        if not isinstance(entry, dict) or set(entry) != _FILE_KEYS:
            fail(f"files[{i}]: expected exactly the keys {sorted(_FILE_KEYS)}")
        if not isinstance(entry["name"], str) or not isinstance(entry["urls"] or [], list):
            fail(f"files[{i}]: expected a file name and a list of urls")
        sha = None if entry["sha256"] is None else str(entry["sha256"]).lower()
        if sha is not None and (len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha)):
            fail(f"files[{i}] ({entry['name']}): sha256 must be 64 hex digits (or null: not pinned)")
        files.append(DataFile(str(entry["name"]), sha, tuple(entry["urls"] or ())))
    return Card(
        id=data["id"], title=data["title"], files=tuple(files), license=data["license"],
        citation=str(data["citation"]).strip(), stats=dict(data["stats"]), homepage=data.get("homepage", ""),
        notes=str(data.get("notes", "")).strip(),
        archive=data.get("archive", ""), path=str(path),
    )
