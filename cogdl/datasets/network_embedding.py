"""Network-embedding sets: one graph with multi-labelled nodes and no split (DeepWalk's protocol).

| id            | nodes  | adjacency entries | labels | source file            | graph                                  |
|---------------|--------|-------------------|--------|------------------------|----------------------------------------|
| `blogcatalog` | 10,312 | 667,966           | 39     | `blogcatalog.mat`      | Tang & Liu, KDD 2009 (DeepWalk's copy) |
| `ppi-ne`      | 3,890  | 76,584            | 50     | `Homo_sapiens.mat`     | node2vec's PPI (Grover & Leskovec 2016) |
| `wikipedia`   | 4,777  | 184,812           | 40     | `POS.mat`              | node2vec's Wikipedia POS, weighted     |

A `.mat` file holds a symmetric sparse `network` (weights kept as edge weights where they are not
all 1; self-loops kept, as in the files) and a 0/1 `group` matrix of labels (`[N, C]`).

Any folder in the edge-list + community format loads as `--dataset ne:PATH` (ProNE's and CogDL's
`NetworkEmbeddingCMTYDataset` format):
- one `*.ungraph` or `*.edgelist`: an edge `a b [weight]` per line, whitespace-separated integer
  ids, each undirected edge once (both directions are added);
- one `*.cmty`: a line per class listing the ids of its members.
The node set is closed by the edge list: ids are renumbered 0..N-1 in increasing order, and a class
naming an id absent from the edge list is an error (file:line), as is a line with one column, more
than three, a non-integer id or a non-numeric weight.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import scipy.io
import scipy.sparse as sp
import torch

from cogdl.data.cards import load_card
from cogdl.data.dataset import DatasetInfo, LabelledGraphDataset
from cogdl.data.graph import Graph
from cogdl.data.root import read_dataset_file, read_plain_or_gz
from cogdl.data.text_fields import decode, integer, number
from cogdl.errors import DataError
from cogdl.registry import bound_loader, register_dataset, register_dataset_prefix

#: dataset id -> its `.mat` file
MAT_FILES = {"blogcatalog": "blogcatalog.mat", "ppi-ne": "Homo_sapiens.mat", "wikipedia": "POS.mat"}
EDGE_SUFFIXES = (".ungraph", ".edgelist")


def labelled_graph(adjacency: sp.spmatrix, labels: np.ndarray, name: str) -> LabelledGraphDataset:
    """The dataset of a square adjacency matrix (made symmetric) and a `[N, C]` 0/1 label matrix."""
    adjacency = sp.csr_matrix(adjacency, dtype=np.float32)
    adjacency = adjacency.maximum(adjacency.T).tocsr()
    adjacency.sort_indices()
    weights = adjacency.data
    graph = Graph(torch.from_numpy(adjacency.indptr.astype(np.int64)), torch.from_numpy(adjacency.indices.astype(np.int64)),
                  edge_weight=None if np.all(weights == 1) else torch.from_numpy(weights.copy()),
                  y=torch.from_numpy(np.asarray(labels, dtype=np.float32)))
    info = DatasetInfo(name, num_features=0, num_classes=labels.shape[1], multi_label=True, metric="micro_f1")
    return LabelledGraphDataset(info=info, graph=graph)


def load_ne_card(dataset_id: str, root: Path) -> LabelledGraphDataset:
    """A registered network-embedding set from its `.mat` file, checked against its card."""
    card = load_card(dataset_id)
    name = MAT_FILES[dataset_id]
    try:
        mat = scipy.io.loadmat(io.BytesIO(read_dataset_file(card, name, root)))
    except (ValueError, TypeError, OSError) as exc:
        raise DataError(f"{root / dataset_id / name}: not a readable MATLAB file ({exc})") from None
    for key in ("network", "group"):
        if key not in mat:
            raise DataError(f"{root / dataset_id / name}: no {key!r} matrix")
    labels = mat["group"].toarray() if sp.issparse(mat["group"]) else np.asarray(mat["group"])
    dataset = labelled_graph(mat["network"], labels != 0, dataset_id)
    graph = dataset.graph
    card.check_stats({"num_nodes": graph.num_nodes, "num_edges": graph.num_edges,
                      "num_classes": dataset.info.num_classes, "num_label_entries": int(graph.y.sum())})
    return dataset


def load_ne_folder(path: str | Path, name: str | None = None) -> LabelledGraphDataset:
    """Any folder with one edge list (`*.ungraph` / `*.edgelist`) and one `*.cmty` (module docstring)."""
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise DataError(f"{folder}: no such folder (ne:PATH needs a folder with an edge list and a .cmty file)")
    edge_files = [p for p in sorted(folder.iterdir()) if p.name.removesuffix(".gz").endswith(EDGE_SUFFIXES)]
    cmty_files = [p for p in sorted(folder.iterdir()) if p.name.removesuffix(".gz").endswith(".cmty")]
    for found, what in ((edge_files, "edge list (*.ungraph or *.edgelist)"), (cmty_files, "community file (*.cmty)")):
        if len(found) != 1:
            listed = ", ".join(p.name for p in found) or "none"
            raise DataError(f"{folder}: expected exactly one {what}, found {listed}")
    src, dst, weight, ids = parse_edge_list(read_plain_or_gz(edge_files[0]), edge_files[0])
    labels = parse_communities(read_plain_or_gz(cmty_files[0]), cmty_files[0], ids)
    n = ids.size
    adjacency = sp.coo_matrix((np.concatenate([weight, weight]), (np.concatenate([src, dst]), np.concatenate([dst, src]))),
                              shape=(n, n)).tocsr()
    adjacency.sum_duplicates()
    return labelled_graph(adjacency, labels, name or f"ne:{path}")


def parse_edge_list(data: bytes, path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """`(src, dst, weight, ids)`: each edge's endpoints renumbered 0..N-1 by the sorted distinct
    original `ids`, and its weight (1 where the line gives none)."""
    lines = _lines(data, path)
    if not lines:
        raise DataError(f"{path}: no edges")
    for line_no, fields in lines:
        if len(fields) not in (2, 3):
            raise DataError(f"{path}:{line_no}: expected 2 or 3 whitespace-separated columns "
                            f"(node, node[, weight]), found {len(fields)}")
    ends = np.array([[integer(v, f"{path}:{n}", "node id") for v in fields[:2]] for n, fields in lines], dtype=np.int64)
    weight = np.array([number(fields[2], f"{path}:{n}", "edge weight") if len(fields) == 3 else 1.0 for n, fields in lines],
                      dtype=np.float32)
    ids, renumbered = np.unique(ends, return_inverse=True)
    renumbered = renumbered.reshape(-1, 2)
    return renumbered[:, 0], renumbered[:, 1], weight, ids


def parse_communities(data: bytes, path: Path, ids: np.ndarray) -> np.ndarray:
    """The `[N, C]` 0/1 label matrix: class `c` is line `c` of the file (blank lines skipped)."""
    rows = _lines(data, path)
    if not rows:
        raise DataError(f"{path}: no classes")
    labels = np.zeros((ids.size, len(rows)), dtype=bool)
    for c, (line_no, fields) in enumerate(rows):
        members = np.array([integer(v, f"{path}:{line_no}", "node id") for v in fields], dtype=np.int64)
        at = np.searchsorted(ids, members)
        absent = np.flatnonzero((at >= ids.size) | (ids[np.minimum(at, ids.size - 1)] != members))
        if absent.size:
            raise DataError(f"{path}:{line_no}: node {members[absent[0]]} of class {c} is not in the edge list")
        labels[at, c] = True
    return labels


def _lines(data: bytes, path: Path) -> list[tuple[int, list[str]]]:
    return [(n, line.split()) for n, line in enumerate(decode(data, path).split("\n"), start=1) if line.strip()]


for _id in MAT_FILES:
    register_dataset(_id)(bound_loader(load_ne_card, _id, f"network-embedding set {_id}: one graph, multi-label nodes (DeepWalk's protocol)."))


@register_dataset_prefix("ne")
def load_ne_path(path: str):
    """`ne:PATH`: any folder with an edge list and a community file."""
    return bound_loader(lambda folder, root: load_ne_folder(folder), path,
                        f"the folder {path} in the edge-list + community format (*.ungraph/*.edgelist, *.cmty)")
