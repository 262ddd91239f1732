"""The large graphs IGB datasets are sampled from (`cogdl.datasets.igb_sampler`), each as a `SourceGraph`.

Every source is reduced as IGB's code reduces its own: unlabelled nodes and self loops dropped,
edges made undirected, only the largest connected component kept. The reduction keeps the
original node ids (`SourceGraph.ids`), so a sampled graph names its nodes in the source's files.

| source            | files (in `<root>/<source>/`)                     | features                                  |
|-------------------|---------------------------------------------------|-------------------------------------------|
| cora, citeseer, pubmed | Planetoid `ind.<name>.*`                     | bag of words (the public files')          |
| facebook-pagepage | MUSAE `edges.csv`, `target.csv` (karateclub)       | structural, `structural_features`         |
| facebook          | `facebook.npz` (graphmining.ai; PyG FacebookPagePage) | its 128-dim `features`                 |
| nell              | Planetoid `ind.nell.0.001.*` (`nell_data.tar.gz`)  | the 10,000 most frequent feature words    |
| flickr            | GraphSAINT `adj_full.npz`, `feats.npy`, `class_map.json` | the 500-dim `feats.npy`            |
| aminer            | metapath2vec `id_author.txt`, `paper_author.txt`, `paper_conf.txt`, `googlescholar.8area.author.label.txt` | one-hot venues an author published in |

The last four are IGB's official sources (THUDM/IGB `dataset/*.py`; their download URLs are on
their cards). AMiner, as IGB builds it: authors labelled in `googlescholar.8area` are nodes, two
of them are linked when they share a paper, an author's features mark the venues of its papers,
and labels are the 8 research areas (1-8 in the file, 0-7 here).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from cogdl.data.cards import load_card
from cogdl.data.root import read_dataset_file
from cogdl.datasets.tu import parse_integers
from cogdl.errors import DataError

#: the bucket count of the log2-degree one-hot of `structural_features`
DEGREE_BUCKETS = 16


@dataclass
class SourceGraph:
    """A reduced source: CSR `rowptr`/`col` over nodes 0..n-1 (symmetric, no self loops), features
    `x` `[n, F]` (dense float32 or scipy CSR), labels `y` `[n]`, `num_classes`, and `ids` `[n]`:
    each node's id in the source's files."""

    rowptr: np.ndarray
    col: np.ndarray
    x: object
    y: np.ndarray
    num_classes: int
    ids: np.ndarray

    @property
    def num_nodes(self) -> int:
        return self.y.size


def reduce_source(src: np.ndarray, dst: np.ndarray, x, y: np.ndarray, num_classes: int) -> SourceGraph:
    """Drop unlabelled nodes (y < 0) and self loops, symmetrise, keep the largest connected component."""
    n = y.size
    keep_edge = (src != dst) & (y[src] >= 0) & (y[dst] >= 0)
    src, dst = src[keep_edge], dst[keep_edge]
    adjacency = sp.coo_matrix((np.ones(src.size), (src, dst)), shape=(n, n)).tocsr()
    adjacency = ((adjacency + adjacency.T) > 0).astype(np.float32)
    _, component = connected_components(adjacency, directed=False)
    sizes = np.bincount(component[y >= 0], minlength=component.max() + 1)
    ids = np.flatnonzero((component == sizes.argmax()) & (y >= 0))
    sub = adjacency[ids][:, ids].tocsr()
    sub.sort_indices()
    features = x[ids] if sp.issparse(x) else np.ascontiguousarray(x[ids])
    return SourceGraph(sub.indptr.astype(np.int64), sub.indices.astype(np.int64), features, y[ids].astype(np.int64),
                       num_classes, ids.astype(np.int64))


def structural_features(rowptr: np.ndarray, col: np.ndarray) -> np.ndarray:
    """Features from structure alone, for a source without node features (facebook-pagepage):
    one-hot of min(floor(log2 d), 15) for degree d (16 columns), log(1 + d) / max log(1 + d),
    and the local clustering coefficient 2 T_i / (d_i (d_i - 1)) (T_i: triangles through i)."""
    n = rowptr.size - 1
    degree = np.diff(rowptr).astype(np.float64)
    adjacency = sp.csr_matrix((np.ones(col.size), col, rowptr), shape=(n, n))
    triangles = np.asarray((adjacency @ adjacency).multiply(adjacency).sum(1)).ravel() / 2
    pairs = degree * (degree - 1) / 2
    clustering = np.divide(triangles, pairs, out=np.zeros(n), where=pairs > 0)
    bucket = np.minimum(np.floor(np.log2(np.maximum(degree, 1))), DEGREE_BUCKETS - 1).astype(np.int64)
    one_hot = np.eye(DEGREE_BUCKETS)[bucket]
    log_degree = np.log1p(degree) / max(np.log1p(degree).max(), 1e-12)
    return np.column_stack([one_hot, log_degree, clustering]).astype(np.float32)


def _csv_int_columns(data: bytes, path: Path, columns: int) -> np.ndarray:
    """Rows of `columns` integers from a CSV with one header line (`cogdl.datasets.tu.parse_integers`;
    the header becomes a blank line, so errors keep the file's line numbers)."""
    return parse_integers(data[data.find(b"\n"):] if b"\n" in data else b"", path, columns)[0]


def load_planetoid_source(card_id: str, prefix: str, root: Path) -> SourceGraph:
    """Cora, CiteSeer, PubMed (`prefix` = the id) and NELL (`nell.0.001`) from their Planetoid files."""
    from cogdl.datasets.planetoid import read_planetoid_arrays

    arrays = read_planetoid_arrays(card_id, prefix, root)
    return reduce_source(arrays.src, arrays.dst, arrays.features, arrays.labels, arrays.num_classes)


def load_facebook_pagepage(root: Path) -> SourceGraph:
    card = load_card("facebook-pagepage")
    folder = root / card.id
    edges = _csv_int_columns(read_dataset_file(card, "edges.csv", root), folder / "edges.csv", 2)
    target = _csv_int_columns(read_dataset_file(card, "target.csv", root), folder / "target.csv", 2)
    n = int(target[:, 0].max()) + 1
    if edges.size and (edges.min() < 0 or edges.max() >= n):
        raise DataError(f"{folder / 'edges.csv'}: node id out of range [0, {n}) of target.csv")
    y = np.full(n, -1, dtype=np.int64)
    y[target[:, 0]] = target[:, 1]
    source = reduce_source(edges[:, 0], edges[:, 1], np.zeros((n, 0), dtype=np.float32), y, int(y.max()) + 1)
    source.x = structural_features(source.rowptr, source.col)
    return source


def load_facebook_npz(root: Path) -> SourceGraph:
    card = load_card("facebook")
    path = root / card.id / "facebook.npz"
    try:
        arrays = np.load(io.BytesIO(read_dataset_file(card, "facebook.npz", root)), allow_pickle=False)
        x, y, edges = arrays["features"].astype(np.float32), arrays["target"].astype(np.int64), arrays["edges"]
    except (KeyError, ValueError, OSError) as exc:
        raise DataError(f"{path}: expected arrays features, target, edges ({exc})") from None
    return reduce_source(edges[:, 0].astype(np.int64), edges[:, 1].astype(np.int64), x, y, int(y.max()) + 1)


def load_nell(root: Path) -> SourceGraph:
    """NELL as IGB prepares it: the Planetoid files of `nell.0.001`, largest component, and the
    10,000 feature columns with the largest sums. NOTE: IGB reads the files through PyG, which also
    gives the graph's nodes without a feature row one-hot "relation" features and label 0; those
    nodes have no label in the files, and we drop them as unlabelled."""
    source = load_planetoid_source("nell", "nell.0.001", root)
    counts = np.asarray(source.x.sum(0)).ravel()
    frequent = np.sort(np.argsort(-counts, kind="stable")[:10000])
    source.x = source.x[:, frequent].tocsr()
    return source


def load_flickr(root: Path) -> SourceGraph:
    card = load_card("flickr")
    folder = root / card.id
    try:
        adj = np.load(io.BytesIO(read_dataset_file(card, "adj_full.npz", root)), allow_pickle=False)
        adjacency = sp.csr_matrix((adj["data"], adj["indices"], adj["indptr"]), shape=tuple(adj["shape"])).tocoo()
        x = np.load(io.BytesIO(read_dataset_file(card, "feats.npy", root)), allow_pickle=False).astype(np.float32)
    except (KeyError, ValueError, OSError) as exc:
        raise DataError(f"{folder}: cannot read adj_full.npz / feats.npy ({exc})") from None
    try:
        class_map = json.loads(read_dataset_file(card, "class_map.json", root))
        y = np.full(x.shape[0], -1, dtype=np.int64)
        for node, label in class_map.items():
            y[int(node)] = int(label)
    except (ValueError, IndexError, TypeError) as exc:
        raise DataError(f"{folder / 'class_map.json'}: expected {{node id: class}} ({exc})") from None
    return reduce_source(adjacency.row.astype(np.int64), adjacency.col.astype(np.int64), x, y, int(y.max()) + 1)


def _two_fields(data: bytes, path: Path, separator: str, name_first: bool = False) -> list[tuple[str, str]]:
    """The lines of `data` as two fields; the field that is a name (first or second) may hold `separator`."""
    rows = []
    for line_no, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
        if line.strip():
            parts = line.rsplit(separator, 1) if name_first else line.split(separator, 1)
            if len(parts) != 2:
                raise DataError(f"{path}:{line_no}: expected 2 fields separated by {separator!r}, found {line[:60]!r}")
            rows.append((parts[0], parts[1]))
    return rows


def load_aminer(root: Path) -> SourceGraph:
    card = load_card("aminer")
    folder = root / card.id

    def read(name: str, separator: str, name_first: bool = False) -> list[tuple[str, str]]:
        return _two_fields(read_dataset_file(card, name, root), folder / name, separator, name_first)

    label_file = "googlescholar.8area.author.label.txt"
    author_id = {}
    for idx, name in read("id_author.txt", "\t"):
        if not idx.strip().isdigit():
            raise DataError(f"{folder / 'id_author.txt'}: expected `id<TAB>name` lines, found id {idx[:40]!r}")
        author_id[name] = int(idx)
    labels = {}
    for name, area in read(label_file, " ", name_first=True):
        if name in author_id and author_id[name] not in labels:
            try:
                labels[author_id[name]] = int(area) - 1
            except ValueError:
                raise DataError(f"{folder / label_file}: expected `name area` lines, found area {area[:20]!r}") from None
    authors = np.array(list(labels), dtype=np.int64)
    areas = np.array(list(labels.values()), dtype=np.int64)
    paper_author = parse_integers(read_dataset_file(card, "paper_author.txt", root), folder / "paper_author.txt", 2)[0]
    paper_venue = parse_integers(read_dataset_file(card, "paper_conf.txt", root), folder / "paper_conf.txt", 2)[0]
    node_of = {a: i for i, a in enumerate(authors.tolist())}
    pairs = np.array([(p, node_of[a]) for p, a in paper_author.tolist() if a in node_of], dtype=np.int64).reshape(-1, 2)
    num_papers = int(max(paper_author[:, 0].max(), paper_venue[:, 0].max())) + 1
    writes = sp.csr_matrix((np.ones(len(pairs)), (pairs[:, 1], pairs[:, 0])), shape=(authors.size, num_papers))
    coauthor = (writes @ writes.T).tocoo()  # authors sharing a paper; the diagonal is dropped as self loops
    venues = sp.csr_matrix((np.ones(len(paper_venue)), (paper_venue[:, 0], paper_venue[:, 1])),
                           shape=(num_papers, int(paper_venue[:, 1].max()) + 1))
    x = ((writes @ venues) > 0).astype(np.float32).tocsr()
    source = reduce_source(coauthor.row.astype(np.int64), coauthor.col.astype(np.int64), x, areas, int(areas.max()) + 1)
    source.ids = authors[source.ids]
    return source
