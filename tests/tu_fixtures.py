"""Small folders in the TU and DGCNN text formats, generated (a plain module: conftest names collide).

`write_tu_folder`: graphs of two planted kinds, cycles (class 0) and stars (class 1), so a GNN with
sum readout separates them from degrees alone; node labels optional (0 on cycles, 1 on a star's
centre, 2 on its leaves). `write_dgcnn_file`: the same graphs in DGCNN's `COLLAB.txt` layout.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def planted_graphs(num_graphs: int = 40, seed: int = 0) -> list[tuple[int, list[tuple[int, int]], list[int], int]]:
    """(num_nodes, undirected local edges, node labels, graph label) per graph."""
    rng = np.random.default_rng(seed)
    graphs = []
    for g in range(num_graphs):
        n = int(rng.integers(5, 9))
        if g % 2 == 0:
            edges = [(i, (i + 1) % n) for i in range(n)]
            graphs.append((n, edges, [0] * n, 0))
        else:
            edges = [(0, i) for i in range(1, n)]
            graphs.append((n, edges, [1] + [2] * (n - 1), 1))
    return graphs


def write_tu_folder(folder: Path, name: str = "PLANTED", node_labels: bool = True, num_graphs: int = 40) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    edges, indicator, labels, graph_labels, offset = [], [], [], [], 0
    for g, (n, local_edges, node_tags, label) in enumerate(planted_graphs(num_graphs)):
        for a, b in local_edges:
            edges += [f"{offset + a + 1}, {offset + b + 1}", f"{offset + b + 1}, {offset + a + 1}"]
        indicator += [str(g + 1)] * n
        labels += [str(t) for t in node_tags]
        graph_labels.append(str(2 * label - 1))  # -1 / 1 as MUTAG writes them
        offset += n
    (folder / f"{name}_A.txt").write_text("\n".join(edges) + "\n")
    (folder / f"{name}_graph_indicator.txt").write_text("\n".join(indicator) + "\n")
    (folder / f"{name}_graph_labels.txt").write_text("\n".join(graph_labels) + "\n")
    if node_labels:
        (folder / f"{name}_node_labels.txt").write_text("\n".join(labels) + "\n")
    return folder


def write_dgcnn_file(path: Path, num_graphs: int = 40) -> Path:
    lines = [str(num_graphs)]
    for n, local_edges, _, label in planted_graphs(num_graphs):
        neighbours = {i: [] for i in range(n)}
        for a, b in local_edges:
            neighbours[a].append(b)
            neighbours[b].append(a)
        lines.append(f"{n} {label}")
        lines += [f"0 {len(neighbours[i])} " + " ".join(map(str, neighbours[i])) for i in range(n)]
    path.write_text("\n".join(lines) + "\n")
    return path
