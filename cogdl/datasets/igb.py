"""IGB datasets: 100 i.i.d. labelled graphs sampled once from a large graph, stored in the data root.

"Rethinking the Setting of Semi-supervised Learning on Graphs", Li, Ding et al., IJCAI 2022.
`cogdl data build igb-<source> [--graphs 100] [--walk-length L] [--seed S] [--sampler rw|mhrw]`
draws the graphs with `cogdl.datasets.igb_sampler.IGBSampler` from the reduced source
(`cogdl.datasets.igb_sources`) and writes `<root>/igb-<source>/igb-<source>.npz` and, last,
`manifest.json` (the parameters, the source files' sha256 and the npz's sha256). The npz holds
only ids (features and labels are read from the source's checked files when a dataset loads), and
its bytes are fixed by the parameters: no time stamps, so a rebuild with the same seed gives the
same sha256. Loading checks the npz against the manifest and the manifest against the source's card.

| dataset            | source (data root folder) | default walk length | note                                   |
|--------------------|---------------------------|---------------------|----------------------------------------|
| igb-cora           | cora                      | 1,000               | largest component: 2,485 nodes, 5,069 edges |
| igb-citeseer       | citeseer                  | 700                 | largest component: 2,110 nodes, 3,668 edges |
| igb-pubmed         | pubmed                    | 5,000               | 19,717 nodes, 44,324 edges             |
| igb-facebook       | facebook-pagepage         | 5,000               | structural features (see igb_sources)  |
| igb-facebook-npz   | facebook (facebook.npz)   | 5,000               | IGB's Facebook, 128-dim features       |
| igb-nell           | nell                      | 5,000               | IGB's NELL                             |
| igb-flickr         | flickr                    | 5,000               | IGB's Flickr                           |
| igb-aminer         | aminer                    | 5,000               | IGB's AMiner                           |

5,000 is the official code's default walk length. Cora and CiteSeer are too small for it (a walk
would cover most of the graph), so theirs are about a fifth of their largest component's edges.
Every graph splits its nodes 10% / 10% / 80% into train / validation / test.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from cogdl.datasets.igb_sampler import BURN_IN, SPLIT_CODES, IGBSampler
from cogdl.data.cards import load_card
from cogdl.data.dataset import DatasetInfo, IIDGraphsDataset
from cogdl.data.graph import Graph
from cogdl.data.atomic import write_files_atomically
from cogdl.datasets import igb_sources as sources
from cogdl.errors import DataError, look_up
from cogdl.registry import bound_loader, register_dataset

FORMAT = 1
DEFAULT_GRAPHS = 100
ACCEPT_RATE = 5.0
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class IGBSource:
    card_id: str
    load: Callable[[Path], sources.SourceGraph]
    walk_length: int


IGB_DATASETS = {
    "igb-cora": IGBSource("cora", partial(sources.load_planetoid_source, "cora", "cora"), 1000),
    "igb-citeseer": IGBSource("citeseer", partial(sources.load_planetoid_source, "citeseer", "citeseer"), 700),
    "igb-pubmed": IGBSource("pubmed", partial(sources.load_planetoid_source, "pubmed", "pubmed"), 5000),
    "igb-facebook": IGBSource("facebook-pagepage", sources.load_facebook_pagepage, 5000),
    "igb-facebook-npz": IGBSource("facebook", sources.load_facebook_npz, 5000),
    "igb-nell": IGBSource("nell", sources.load_nell, 5000),
    "igb-flickr": IGBSource("flickr", sources.load_flickr, 5000),
    "igb-aminer": IGBSource("aminer", sources.load_aminer, 5000),
}


def _source_files(card_id: str) -> dict[str, str | None]:
    return {f.name: f.sha256 for f in load_card(card_id).files}


def _npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """An `.npz` whose bytes depend on the arrays alone (fixed member order and time stamps)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, array in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, member.getvalue())
    return buffer.getvalue()


def build_igb(dataset_id: str, root: Path, graphs: int = DEFAULT_GRAPHS, walk_length: int | None = None,
              seed: int = 0, sampler: str = "rw") -> dict:
    """Sample `dataset_id` and write its npz and manifest into `root/<dataset_id>/`; return the manifest."""
    spec = _spec(dataset_id)
    if graphs < 1:
        raise DataError(f"{dataset_id}: --graphs {graphs}: expected at least 1")
    walk_length = spec.walk_length if walk_length is None else walk_length
    if walk_length < 1:
        raise DataError(f"{dataset_id}: --walk-length {walk_length}: expected at least 1")
    source = spec.load(root)
    drawn = IGBSampler(source.rowptr, source.col, source.y, source.num_classes, walk_length, sampler,
                       ACCEPT_RATE, seed).sample(graphs, BURN_IN)
    node_ptr = np.cumsum([0] + [g.nodes.size for g in drawn])
    edge_ptr = np.cumsum([0] + [g.edges.shape[1] for g in drawn])
    arrays = {
        "nodes": source.ids[np.concatenate([g.nodes for g in drawn])], "node_ptr": node_ptr,
        "edges": np.concatenate([g.edges for g in drawn], axis=1).astype(np.int32), "edge_ptr": edge_ptr,
        "split": np.concatenate([g.split for g in drawn]),
        "node_kl": np.array([g.node_kl for g in drawn]), "edge_kl": np.array([g.edge_kl for g in drawn]),
    }
    data = _npz_bytes(arrays)
    manifest = {
        "format": FORMAT, "dataset": dataset_id, "source": spec.card_id, "source_files": _source_files(spec.card_id),
        "sampler": sampler, "walk_length": walk_length, "graphs": graphs, "burn_in": BURN_IN,
        "accept_rate": ACCEPT_RATE, "seed": seed, "split": {"train": 0.1, "val": 0.1, "test": 0.8},
        "file": f"{dataset_id}.npz", "sha256": hashlib.sha256(data).hexdigest(),
        "stats": {"num_classes": source.num_classes, "num_features": int(source.x.shape[1]),
                  "source_nodes": source.num_nodes, "source_edges": int(source.col.size // 2),
                  "mean_nodes": round(float(np.diff(node_ptr).mean()), 1),
                  "mean_edges": round(float(np.diff(edge_ptr).mean()), 1)},
    }
    folder = root / dataset_id
    write_files_atomically(folder, {manifest["file"]: data})  # the manifest last: it vouches for the npz
    write_files_atomically(folder, {"manifest.json": json.dumps(manifest, indent=2) + "\n"})
    return manifest


def load_igb(dataset_id: str, root: Path) -> IIDGraphsDataset:
    """The sampled graphs (features `x`, labels `y`, masks `train`/`val`/`test`) and their manifest."""
    spec = _spec(dataset_id)
    folder = root / dataset_id
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise DataError(f"{dataset_id} is not built in {root} (no {manifest_path}): "
                        f"run `cogdl data build {dataset_id}`")
    try:
        manifest = json.loads(manifest_path.read_text())
        data = (folder / manifest["file"]).read_bytes()
    except (OSError, ValueError, KeyError) as exc:
        raise DataError(f"{manifest_path}: unreadable manifest or npz ({exc})") from None
    if hashlib.sha256(data).hexdigest() != manifest["sha256"]:
        raise DataError(f"{folder / manifest['file']}: sha256 {hashlib.sha256(data).hexdigest()} does not match "
                        f"{manifest_path} ({manifest['sha256']}); rebuild with `cogdl data build {dataset_id}`")
    if manifest.get("source_files") != _source_files(spec.card_id):
        raise DataError(f"{manifest_path}: built from other {spec.card_id} files than its card lists; "
                        f"rebuild with `cogdl data build {dataset_id}`")
    try:  # read every array now: an object array (a pickle) fails here, not halfway through the graphs
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in ("nodes", "node_ptr", "edges", "edge_ptr", "split")}
    except (OSError, ValueError, KeyError) as exc:
        raise DataError(f"{folder / manifest['file']}: not an npz of IGB's plain arrays ({exc})") from None
    source = spec.load(root)
    position = {int(i): k for k, i in enumerate(source.ids)}
    graphs = []
    for g in range(manifest["graphs"]):
        ids = arrays["nodes"][arrays["node_ptr"][g]:arrays["node_ptr"][g + 1]]
        local = np.array([position[int(i)] for i in ids], dtype=np.int64)
        edges = torch.from_numpy(arrays["edges"][:, arrays["edge_ptr"][g]:arrays["edge_ptr"][g + 1]].astype(np.int64))
        split = torch.from_numpy(arrays["split"][arrays["node_ptr"][g]:arrays["node_ptr"][g + 1]])
        x = source.x[local]
        x = torch.from_numpy(np.asarray(x.todense() if hasattr(x, "todense") else x, dtype=np.float32))
        masks = {name: split == code for name, code in SPLIT_CODES.items()}
        graphs.append(Graph.from_coo(torch.cat([edges[1], edges[0]]), torch.cat([edges[0], edges[1]]), ids.size,
                                     x=x, y=torch.from_numpy(source.y[local]), masks=masks))
    info = DatasetInfo(name=dataset_id, num_features=int(source.x.shape[1]), num_classes=source.num_classes)
    return IIDGraphsDataset(info=info, graphs=graphs, manifest=manifest)


def _spec(dataset_id: str) -> IGBSource:
    return look_up(IGB_DATASETS, dataset_id, "IGB dataset")


for _name, _spec_of in IGB_DATASETS.items():
    register_dataset(_name)(bound_loader(
        load_igb, _name, f"IGB graphs sampled from {_spec_of.card_id} (Li et al., IJCAI 2022); "
                         f"build once with `cogdl data build {_name}`."))
