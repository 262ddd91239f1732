"""HGB's evaluation protocols (Lv, Ding et al., KDD 2021): splits, negatives, submission files.

Node classification: the test nodes are those of `label.dat.test`; a share `val_ratio` (20%) of the
`label.dat` nodes, drawn with an RNG seeded by the run seed, validates, the rest trains.

Link prediction, per target link type (the types of `link.dat.test`):
- validation: walking the type's links sorted by (head, tail), the first link of every head stays
  in training and each other link goes to validation with probability `val_ratio` (10%);
- test positives: `link.dat.test`; test negatives by HGB's two protocols, both with seed 1:
  "2-hop": for each head, as many negatives as it has positives, drawn with replacement among
  its 2-hop neighbours of the tail type that are not neighbours (over train + validation + test
  links, undirected); "random": for each positive, a random node of the tail type that is not a
  neighbour of the head;
- training negatives: a random tail of the right type per training positive, redrawn each epoch.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import scipy.sparse as sp
import torch

TEST_NEGATIVE_SEED = 1
NEGATIVE_PROTOCOLS = ("2hop", "random")


def hgb_node_split(labelled_ids: torch.Tensor, seed: int, val_ratio: float = 0.2) -> tuple[torch.Tensor, torch.Tensor]:
    """`(train_ids, val_ids)`, both sorted: `val_ratio` of `labelled_ids` validate."""
    rng = np.random.default_rng(seed)
    shuffled = labelled_ids.numpy()[rng.permutation(labelled_ids.numel())]
    cut = int(labelled_ids.numel() * val_ratio)
    return torch.from_numpy(np.sort(shuffled[cut:])), torch.from_numpy(np.sort(shuffled[:cut]))


def split_record(**parts: torch.Tensor) -> dict:
    """The split's node (or link) ids per part and a sha256 over all of them, for the run folder."""
    ids = {name: t.tolist() for name, t in parts.items()}
    digest = hashlib.sha256(json.dumps(ids, sort_keys=True).encode()).hexdigest()
    return {"sha256": digest, **ids}


def hgb_link_split(heads: torch.Tensor, tails: torch.Tensor, seed: int, val_ratio: float = 0.1):
    """`(train_mask, val_mask)` over one link type's links (HGB's rule: see the module docstring)."""
    order = np.lexsort((tails.numpy(), heads.numpy()))
    sorted_heads = heads.numpy()[order]
    first_of_head = np.r_[True, sorted_heads[1:] != sorted_heads[:-1]]
    draws = np.random.default_rng(seed).random(order.size)
    to_val = np.zeros(order.size, dtype=bool)
    to_val[order] = ~first_of_head & (draws >= 1.0 - val_ratio)
    return torch.from_numpy(~to_val), torch.from_numpy(to_val)


def random_tails(num: int, tail_range: range, generator: torch.Generator | None = None) -> torch.Tensor:
    """`num` uniform node ids of `tail_range` (training and validation negatives)."""
    return torch.randint(tail_range.start, tail_range.stop, (num,), generator=generator)


def _undirected(num_nodes: int, links: list[tuple[torch.Tensor, torch.Tensor]]) -> sp.csr_matrix:
    rows = np.concatenate([np.concatenate([h.numpy(), t.numpy()]) for h, t in links])
    cols = np.concatenate([np.concatenate([t.numpy(), h.numpy()]) for h, t in links])
    adjacency = sp.csr_matrix((np.ones(rows.size, dtype=np.int64), (rows, cols)), shape=(num_nodes, num_nodes))
    adjacency.data[:] = 1
    return adjacency


def link_test_candidates(protocol: str, test_heads: torch.Tensor, test_tails: torch.Tensor, tail_range: range,
                    known_links: list[tuple[torch.Tensor, torch.Tensor]], num_nodes: int):
    """`(heads, tails, labels)` of one link type's test candidates under `protocol` ("2hop" | "random").

    `known_links` are all positive links (train, validation and test, every type) that define
    neighbourhoods. Positives come first per head, heads in increasing order, as HGB writes them.
    """
    rng = np.random.default_rng(TEST_NEGATIVE_SEED)
    adjacency = _undirected(num_nodes, known_links)
    heads_np, tails_np = test_heads.numpy(), test_tails.numpy()
    order = np.lexsort((np.arange(heads_np.size), heads_np))
    out_h, out_t, out_y = [], [], []
    if protocol == "2hop":
        two_hop = (adjacency @ adjacency).tocsr()
    elif protocol != "random":
        raise ValueError(f"protocol must be one of {NEGATIVE_PROTOCOLS}, found {protocol!r}")
    starts = np.flatnonzero(np.r_[True, heads_np[order][1:] != heads_np[order][:-1]])
    for start, end in zip(starts, np.r_[starts[1:], order.size]):
        head = int(heads_np[order[start]])
        positives = tails_np[order[start:end]]
        neighbours = adjacency.indices[adjacency.indptr[head]:adjacency.indptr[head + 1]]
        if protocol == "2hop":
            reach = two_hop.indices[two_hop.indptr[head]:two_hop.indptr[head + 1]]
            pool = np.setdiff1d(reach, np.append(neighbours, head))
            pool = pool[(pool >= tail_range.start) & (pool < tail_range.stop)]
            negatives = rng.choice(pool, size=positives.size) if pool.size else np.empty(0, dtype=np.int64)
        else:
            negatives = np.empty(positives.size, dtype=np.int64)
            taken = set(neighbours.tolist())
            for k in range(positives.size):
                candidate = int(rng.integers(tail_range.start, tail_range.stop))
                while candidate in taken:
                    candidate = int(rng.integers(tail_range.start, tail_range.stop))
                negatives[k] = candidate
        out_h.append(np.full(positives.size + negatives.size, head))
        out_t.append(np.concatenate([positives, negatives]))
        out_y.append(np.r_[np.ones(positives.size), np.zeros(negatives.size)])
    return (torch.from_numpy(np.concatenate(out_h)), torch.from_numpy(np.concatenate(out_t).astype(np.int64)),
            torch.from_numpy(np.concatenate(out_y)))


def submission_name(dataset_name: str, seed: int) -> str:
    """HGB's file name for one run's predictions: `DBLP_<seed>.txt` for `hgb-dblp`."""
    base = dataset_name[4:] if dataset_name.startswith("hgb-") else dataset_name.rstrip("/").split("/")[-1]
    return f"{base.upper() if dataset_name.startswith('hgb-') else base}_{seed}.txt"


def node_submission(node_ids: torch.Tensor, node_types: torch.Tensor, predictions: torch.Tensor) -> str:
    """HGB's node file: `node_id \\t\\t node_type \\t label[,label]` per test node."""
    lines = []
    for node, node_type, pred in zip(node_ids.tolist(), node_types.tolist(), predictions):
        labels = torch.nonzero(pred).flatten().tolist() if pred.dim() == 1 else [int(pred)]
        lines.append(f"{node}\t\t{node_type}\t{','.join(map(str, labels))}\n")
    return "".join(lines)


def link_submission(rows) -> str:
    """HGB's link file: `head \t tail \t link_type \t score` per `(head, tail, link_type, score)` row."""
    return "".join(f"{h}\t{t}\t{r}\t{s:.6g}\n" for h, t, r, s in rows)
