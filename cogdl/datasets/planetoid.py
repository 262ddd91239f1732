"""Planetoid citation graphs (Cora, CiteSeer, PubMed) with the public split.

"Revisiting Semi-Supervised Learning with Graph Embeddings", Yang, Cohen & Salakhutdinov, ICML 2016.

Read from the original `ind.<name>.{x,y,tx,ty,allx,ally,graph,test.index}` files (Python-2 pickles,
loaded through a restricted unpickler). The public split is the one the files encode: the first
20 labelled nodes per class (`x`/`y`) train, the next 500 nodes validate, the 1000 nodes listed in
`test.index` test.

| dataset  | nodes  | directed edges | features | classes | train / val / test |
|----------|--------|----------------|----------|---------|--------------------|
| cora     | 2,708  | 10,556         | 1,433    | 7       | 140 / 500 / 1000   |
| citeseer | 3,327  | 9,104          | 3,703    | 6       | 120 / 500 / 1000   |
| pubmed   | 19,717 | 88,648         | 500      | 3       | 60 / 500 / 1000    |

Edges are made symmetric, with self loops and repeated edges removed (as PyG's `Planetoid` does).
NOTE: CiteSeer's `test.index` skips 15 ids in its range (isolated nodes that were never labelled).
As in the GCN reference code, those nodes are kept with zero features; their label is -1 and they
are in no split.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch

from cogdl.data.cards import load_card
from cogdl.data.dataset import DatasetInfo, NodeSplitDataset
from cogdl.data.graph import Graph
from cogdl.data.root import read_dataset_file
from cogdl.data.safe_pickle import safe_loads
from cogdl.errors import DataError
from cogdl.registry import bound_loader, register_dataset

NAMES = ("cora", "citeseer", "pubmed")
_PICKLED = ("x", "y", "tx", "ty", "allx", "ally", "graph")


@dataclass
class PlanetoidArrays:
    """The contents of one set of Planetoid files: CSR `features` `[N, F]`, `labels` `[N]` (-1 where
    the files give none), the `graph` dict's edges `src -> dst`, the public split's sizes and
    `test_index`, and `num_classes`."""

    features: sp.csr_matrix
    labels: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    num_train: int
    num_labelled: int
    test_index: np.ndarray
    num_classes: int


def read_planetoid_arrays(card_id: str, prefix: str, root: Path) -> PlanetoidArrays:
    """Read `ind.<prefix>.*` of dataset `card_id` (e.g. `cora`/`cora`, `nell`/`nell.0.001`)."""
    card = load_card(card_id)
    objs = {}
    for ext in _PICKLED:
        file_name = f"ind.{prefix}.{ext}"
        data = read_dataset_file(card, file_name, root)
        try:
            objs[ext] = safe_loads(data)
        except Exception as exc:
            raise DataError(f"{root / card_id / file_name}: cannot unpickle: {exc}") from None
    index_name = f"ind.{prefix}.test.index"
    test_index = _parse_index(read_dataset_file(card, index_name, root), root / card_id / index_name)
    adjacency = objs["graph"]
    src = np.fromiter((s for s, nbrs in adjacency.items() for _ in nbrs), dtype=np.int64)
    dst = np.fromiter((d for nbrs in adjacency.values() for d in nbrs), dtype=np.int64)
    num_nodes = max(int(test_index.max()) + 1, len(adjacency)) if test_index.size else len(adjacency)
    features, labels = _assemble(objs, test_index, num_nodes)
    if src.size and (max(src.max(), dst.max()) >= num_nodes or min(src.min(), dst.min()) < 0):
        raise DataError(f"{root / card_id / f'ind.{prefix}.graph'}: node id out of range [0, {num_nodes})")
    return PlanetoidArrays(features, labels, src, dst, objs["x"].shape[0], objs["allx"].shape[0], test_index,
                           objs["y"].shape[1])


def load_planetoid(name: str, root: Path) -> NodeSplitDataset:
    card = load_card(name)
    arrays = read_planetoid_arrays(name, name, root)
    num_train, num_labelled, test_index = arrays.num_train, arrays.num_labelled, arrays.test_index
    features, labels, src, dst = arrays.features.toarray(), arrays.labels, arrays.src, arrays.dst
    num_nodes = features.shape[0]
    not_loop = src != dst
    src, dst = src[not_loop], dst[not_loop]
    both_src = torch.from_numpy(np.concatenate([src, dst]))
    both_dst = torch.from_numpy(np.concatenate([dst, src]))

    masks = {split: torch.zeros(num_nodes, dtype=torch.bool) for split in ("train", "val", "test")}
    masks["train"][:num_train] = True
    masks["val"][num_train:num_train + 500] = True
    masks["test"][torch.from_numpy(test_index)] = True
    if num_train + 500 > num_labelled:
        raise DataError(f"{card.path}: fewer labelled nodes ({num_labelled}) than train + 500 validation")

    graph = Graph.from_coo(both_dst, both_src, num_nodes,
                           x=torch.from_numpy(features), y=torch.from_numpy(labels), masks=masks)
    num_classes = arrays.num_classes
    card.check_stats({"num_nodes": graph.num_nodes, "num_edges": graph.num_edges,
                      "num_features": graph.x.shape[1], "num_classes": num_classes})
    return NodeSplitDataset(info=DatasetInfo(name=name, num_features=features.shape[1], num_classes=num_classes), graph=graph)


def _parse_index(data: bytes, path: Path) -> np.ndarray:
    values = []
    for line_no, line in enumerate(data.decode("ascii", errors="replace").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            values.append(int(line))
        except ValueError:
            raise DataError(f"{path}:{line_no}: expected a node id, found {line.strip()[:40]!r}") from None
    return np.asarray(values, dtype=np.int64)


def _assemble(objs: dict, test_index: np.ndarray, num_nodes: int) -> tuple[sp.csr_matrix, np.ndarray]:
    """Put the labelled rows (`allx`/`ally`) at nodes 0.. and test row `i` at node `test_index[i]`.

    Node ids that neither covers (CiteSeer's 15 skipped test ids; NELL's nodes beyond its feature
    rows) keep zero features and label -1.
    """
    stacked_x = sp.vstack([objs["allx"], objs["tx"]]).tocsr()
    stacked_y = np.vstack([objs["ally"], objs["ty"]])
    num_labelled = objs["allx"].shape[0]
    target = np.concatenate([np.arange(num_labelled), test_index])
    placement = sp.csr_matrix((np.ones(target.size, dtype=np.float32), (target, np.arange(target.size))),
                              shape=(num_nodes, target.size))
    features = (placement @ stacked_x).tocsr().astype(np.float32)
    y = np.full(num_nodes, -1, dtype=np.int64)
    y[target] = np.where(stacked_y.sum(1) > 0, stacked_y.argmax(1), -1)
    return features, y


for _name in NAMES:
    register_dataset(_name)(bound_loader(load_planetoid, _name, f"Planetoid {_name} with the public split (Yang et al., ICML 2016)."))
