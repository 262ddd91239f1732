"""TU graph classification on Errica et al.'s published folds: `nci1-errica`, `proteins-errica`,
`imdb-binary-errica`, `imdb-multi-errica`, `collab-errica`.

"A Fair Comparison of Graph Neural Networks for Graph Classification", Errica, Podda, Bacciu &
Micheli, ICLR 2020. The authors published the ten stratified outer folds of each dataset and, per
fold, the one inner hold-out split (90% / 10%, stratified) of the other nine folds that their model
selection uses (`data_splits/` of diningphil/gnn-comparison, card `errica-splits`). Graph ids are
0-based in the order of `<NAME>_graph_labels.txt`, which is the order of our TU collections
(`cogdl.datasets.tu`; their `PROTEINS_full` holds the same 1,113 graphs in the same order as
`PROTEINS`). The datasets run under the `errica` protocol (`cogdl.protocols.errica`).

Node features as in the paper (sec. 5, "Features"; `datasets/manager.py` of their code):
- chemical sets (NCI1, PROTEINS): the one-hot atom / residue label, as the plain TU datasets;
- social sets (IMDB-BINARY, IMDB-MULTI, COLLAB): one column, the node degree as a number
  (`use_node_degree`; a networkx `Graph`'s degree, so repeated edges count once), with the splits
  of that setting (`COLLABORATIVE_DEGREE/`; the constant-feature setting has other splits).
NOTE: the paper's table has both social settings; these datasets are the degree setting, the one
it reports as the main result for the social sets.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import torch

from cogdl.data.cards import load_card
from cogdl.data.dataset import DatasetInfo, GraphFoldsDataset
from cogdl.data.root import read_dataset_file
from cogdl.datasets.tu import load_tu
from cogdl.errors import DataError
from cogdl.registry import bound_loader, register_dataset

SPLITS_CARD = "errica-splits"
#: TU dataset id -> (its splits file on the card, whether its node feature is the degree)
FOLD_FILES = {"nci1": ("CHEMICAL/NCI1_splits.json", False),
              "proteins": ("CHEMICAL/PROTEINS_full_splits.json", False),
              "imdb-binary": ("COLLABORATIVE_DEGREE/IMDB-BINARY_splits.json", True),
              "imdb-multi": ("COLLABORATIVE_DEGREE/IMDB-MULTI_splits.json", True),
              "collab": ("COLLABORATIVE_DEGREE/COLLAB_splits.json", True)}


def load_errica(name: str, root: Path) -> GraphFoldsDataset:
    """TU dataset `name` with Errica et al.'s ten folds and the paper's node features."""
    tu = load_tu(name, root)
    file, degree = FOLD_FILES[name]
    graphs = tu.graphs
    if degree:
        counts = torch.bincount(graphs.src, minlength=int(graphs.node_ptr[-1])).to(torch.float32)
        graphs = dataclasses.replace(graphs, x=counts.unsqueeze(1))
    path = f"{root / SPLITS_CARD / file}"
    folds = parse_folds(read_dataset_file(load_card(SPLITS_CARD), file, root), path, len(graphs))
    info = DatasetInfo(f"{name}-errica", graphs.x.shape[1], tu.info.num_classes)
    return GraphFoldsDataset(info=info, graphs=graphs, folds=folds)


def parse_folds(data: bytes, path: str, num_graphs: int) -> list[dict[str, torch.Tensor]]:
    """The folds of a splits file: a JSON list of `{"test": ids, "model_selection": [{"train":
    ids, "validation": ids}]}`, checked: ids in range, the three parts of a fold disjoint, and the
    test folds together every graph exactly once."""
    try:
        raw = json.loads(data)
        folds = [{"train": fold["model_selection"][0]["train"], "val": fold["model_selection"][0]["validation"],
                  "test": fold["test"]} for fold in raw]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise DataError(f"{path}: not a splits file (a list of folds with 'test' and 'model_selection'): "
                        f"{exc}") from None
    out = []
    for k, fold in enumerate(folds):
        parts = {part: np.asarray(ids, dtype=np.int64) for part, ids in fold.items()}
        for part, ids in parts.items():
            if ids.size and (ids.min() < 0 or ids.max() >= num_graphs):
                raise DataError(f"{path}: fold {k} {part}: graph id {ids.max()} out of range 0..{num_graphs - 1}")
        joined = np.concatenate(list(parts.values()))
        if np.unique(joined).size != joined.size:
            raise DataError(f"{path}: fold {k}: a graph is in two of train / validation / test")
        out.append({part: torch.from_numpy(np.sort(ids)) for part, ids in parts.items()})
    tested = np.sort(np.concatenate([fold["test"].numpy() for fold in out])) if out else np.zeros(0)
    if not np.array_equal(tested, np.arange(num_graphs)):
        raise DataError(f"{path}: the test folds do not hold each of the {num_graphs} graphs exactly once")
    return out


for _name in FOLD_FILES:
    register_dataset(f"{_name}-errica")(bound_loader(
        load_errica, _name, f"TU {_name} with Errica et al.'s ten folds and inner hold-out splits (ICLR 2020)"))
