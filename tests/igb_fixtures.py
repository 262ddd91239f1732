"""Small graphs in the formats of IGB's official sources, which cannot be downloaded here.

Each writer lays its files out under `root/<source>/` as the real download would, and returns
the source ids the reduced source must keep (the largest labelled connected component).
Graph of every fixture: a labelled 8-node component (a path 0-1-...-7 with chords 0-4 and 2-6),
and a 2-node component 8-9 that the reduction drops.
"""

from __future__ import annotations

import json
import pickle
from collections import defaultdict

import numpy as np
import scipy.sparse as sp

EDGES = [(i, i + 1) for i in range(7)] + [(0, 4), (2, 6), (8, 9)]
KEPT = list(range(8))


def _labels(classes: int) -> np.ndarray:
    return np.arange(10) % classes


def write_facebook_npz(root) -> list[int]:
    """`facebook.npz` as graphmining.ai serves it: `features` [N, 128], `target` [N], `edges` [E, 2] (both directions)."""
    folder = root / "facebook"
    folder.mkdir(parents=True)
    edges = np.array(EDGES + [(b, a) for a, b in EDGES], dtype=np.int64)
    features = np.random.default_rng(0).random((10, 128)).astype(np.float32)
    with open(folder / "facebook.npz", "wb") as handle:
        np.savez(handle, features=features, target=_labels(4), edges=edges)
    return KEPT


def write_nell(root) -> list[int]:
    """Planetoid pickles `ind.nell.0.001.*`: `allx`/`ally` rows for nodes 0-5, test rows for 7-9 (in
    `test.index`), and node 6, a bridge in the graph, with no row: it is unlabelled and dropped,
    which cuts 7 off the 0-6 path; the largest labelled component is 0-5 (0-4 chord kept)."""
    folder = root / "nell"
    folder.mkdir(parents=True)
    classes, labels = 3, _labels(3)
    features = sp.csr_matrix(np.random.default_rng(1).integers(0, 2, (10, 6)).astype(np.float32))
    one_hot = np.eye(classes)[labels]
    graph = defaultdict(list)
    for a, b in EDGES:
        graph[a].append(b)
        graph[b].append(a)
    test = [9, 7, 8]
    objects = {"x": features[:2], "y": one_hot[:2], "allx": features[:6], "ally": one_hot[:6],
               "tx": features[test], "ty": one_hot[test], "graph": graph}
    for ext, obj in objects.items():
        # protocol 4: Python 3 has no protocol-2 form of numpy arrays without `_codecs.encode` (the real,
        # Python-2, files need none, and the restricted unpickler rightly refuses it)
        (folder / f"ind.nell.0.001.{ext}").write_bytes(pickle.dumps(obj, protocol=4))
    (folder / "ind.nell.0.001.test.index").write_text("".join(f"{i}\n" for i in test))
    return [0, 1, 2, 3, 4, 5]


def write_flickr(root) -> list[int]:
    """GraphSAINT's `adj_full.npz` (CSR arrays), `feats.npy` and `class_map.json` (`{"node": class}`)."""
    folder = root / "flickr"
    folder.mkdir(parents=True)
    src, dst = zip(*EDGES)
    adjacency = sp.coo_matrix((np.ones(len(EDGES)), (src, dst)), shape=(10, 10)).tocsr()
    with open(folder / "adj_full.npz", "wb") as handle:
        np.savez(handle, data=adjacency.data, indices=adjacency.indices, indptr=adjacency.indptr,
                 shape=np.array(adjacency.shape))
    np.save(folder / "feats.npy", np.random.default_rng(2).random((10, 5)).astype(np.float32))
    (folder / "class_map.json").write_text(json.dumps({str(i): int(c) for i, c in enumerate(_labels(3))}))
    return KEPT


def write_aminer(root) -> list[int]:
    """metapath2vec's `id_author.txt` (`id<TAB>name`), `paper_author.txt`, `paper_conf.txt`
    (`paper<TAB>id`) and the label file (`name area`, areas from 1). Author ids are 100 + node;
    paper p links the two authors of edge p; author 9 ("Unlabelled Person") has no label."""
    folder = root / "aminer"
    folder.mkdir(parents=True)
    names = [f"Author Number{i}" for i in range(9)] + ["Unlabelled Person"]
    (folder / "id_author.txt").write_text("".join(f"{100 + i}\t{name}\n" for i, name in enumerate(names)))
    (folder / "paper_author.txt").write_text("".join(f"{p}\t{100 + a}\n{p}\t{100 + b}\n" for p, (a, b) in enumerate(EDGES)))
    (folder / "paper_conf.txt").write_text("".join(f"{p}\t{p % 4}\n" for p in range(len(EDGES))))
    labels = _labels(2)
    (folder / "googlescholar.8area.author.label.txt").write_text(
        "".join(f"{names[i]} {labels[i] + 1}\n" for i in range(9)))
    return [100 + i for i in KEPT]
