"""Small folders in HGB's file format, generated (a plain module: conftest names collide).

`write_node_classification_folder`: two node types (paper with features, author without), paper
labels from a planted community, single- or multi-label.
`write_link_prediction_folder`: users and items placed on a circle; a user links to the items
(and users) close to it, so the links are predictable from positions; node features are the
noisy position. A share of user-item links moves to `link.dat.test`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def _info(node_types: dict, link_types: dict) -> str:
    return json.dumps({"node.dat": {"node type": node_types},
                       "link.dat": {"link type": {str(k): {"start": s, "end": e, "meaning": m}
                                                  for k, (s, e, m) in link_types.items()}}})


def write_node_classification_folder(folder: Path, seed: int = 0, multi_label: bool = False, papers: int = 120,
                                     authors: int = 60, classes: int = 3, crlf: bool = False) -> Path:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    community = rng.integers(0, classes, papers)
    features = np.eye(classes)[community] + rng.normal(0, 0.5, (papers, classes))
    end = "\r\n" if crlf else "\n"
    nodes = [f"{i}\tpaper {i}\t0\t{','.join(f'{v:.4f}' for v in features[i])}" for i in range(papers)]
    nodes += [f"{papers + a}\t\t1" for a in range(authors)]
    author_community = rng.integers(0, classes, authors)
    links = []
    for p in range(papers):
        for a in rng.choice(np.flatnonzero(author_community == community[p]), 2, replace=False):
            links.append(f"{p}\t{papers + a}\t0\t1.0")
            links.append(f"{papers + a}\t{p}\t1\t1.0")
    labels = []
    for p in range(papers):
        tags = [int(community[p])] + ([int((community[p] + 1) % classes)] if multi_label and p % 3 == 0 else [])
        labels.append(f"{p}\tpaper {p}\t0\t{','.join(map(str, tags))}")
    order = rng.permutation(papers)
    train, test = order[: papers // 2], order[papers // 2:]
    (folder / "node.dat").write_text(end.join(nodes) + end)
    (folder / "link.dat").write_text(end.join(links) + end)
    (folder / "label.dat").write_text(end.join(labels[i] for i in sorted(train)) + end)
    (folder / "label.dat.test").write_text(end.join(labels[i] for i in sorted(test)) + end)
    (folder / "info.dat").write_text(_info({"0": "paper", "1": "author"},
                                           {0: (0, 1, "paper-author"), 1: (1, 0, "author-paper")}))
    return folder


def write_link_prediction_folder(folder: Path, seed: int = 0, users: int = 150, items: int = 150,
                                 width: float = 0.06, test_share: float = 0.2) -> Path:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    angle = rng.uniform(0, 2 * np.pi, users + items)
    features = np.stack([np.cos(angle), np.sin(angle)], 1) + rng.normal(0, 0.05, (users + items, 2))
    nodes = [f"{i}\tuser {i}\t0\t{features[i, 0]:.4f},{features[i, 1]:.4f}" for i in range(users)]
    nodes += [f"{users + j}\titem {j}\t1\t{features[users + j, 0]:.4f},{features[users + j, 1]:.4f}"
              for j in range(items)]

    def close(i, j):
        gap = abs(angle[i] - angle[j])
        return min(gap, 2 * np.pi - gap) < width * 2 * np.pi

    user_item = [(u, users + j) for u in range(users) for j in range(items) if close(u, users + j)]
    user_user = [(u, v) for u in range(users) for v in range(users) if u != v and close(u, v)]
    moved = rng.random(len(user_item)) < test_share
    train = [f"{h}\t{t}\t0\t1.0" for (h, t), m in zip(user_item, moved) if not m]
    train += [f"{h}\t{t}\t1\t1.0" for h, t in user_user]
    test = [f"{h}\t{t}\t0\t1.0" for (h, t), m in zip(user_item, moved) if m]
    (folder / "node.dat").write_text("\n".join(nodes) + "\n")
    (folder / "link.dat").write_text("\n".join(train) + "\n")
    (folder / "link.dat.test").write_text("\n".join(test) + "\n")
    (folder / "info.dat").write_text(_info({"0": "user", "1": "item"}, {0: (0, 1, "user-item"), 1: (0, 0, "user-user")}))
    return folder
