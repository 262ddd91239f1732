"""TU graph classification datasets: MUTAG, PROTEINS, NCI1, IMDB-BINARY, IMDB-MULTI, COLLAB.

"TUDataset: A collection of benchmark datasets for learning with graphs", Morris et al., ICML GRL+
workshop 2020 (chrsmrrs.github.io/datasets). Files in the TU text format, `<NAME>_` prefixed:
`A.txt` (one edge `i, j` per line, 1-based node ids, both directions of an undirected edge),
`graph_indicator.txt` (line i: the 1-based graph of node i), `graph_labels.txt` (line g: the label
of graph g), optional `node_labels.txt`. COLLAB, whose `A.txt` has 24.6 M lines, is read from the
DGCNN/GIN text format `COLLAB.txt` instead (`parse_dgcnn`): the same graphs, node counts and labels,
with repeated edges merged.

| dataset     | graphs | nodes   | directed edges | classes | node features                       |
|-------------|--------|---------|----------------|---------|-------------------------------------|
| mutag       | 188    | 3,371   | 7,442          | 2       | one-hot node label (7)              |
| proteins    | 1,113  | 43,471  | 162,088        | 2       | one-hot node label (3)              |
| nci1        | 4,110  | 122,747 | 265,506        | 2       | one-hot node label (37)             |
| imdb-binary | 1,000  | 19,773  | 193,062        | 2       | one-hot degree, capped at 400 (136) |
| imdb-multi  | 1,500  | 19,502  | 197,806        | 3       | one-hot degree, capped at 400 (89)  |
| collab      | 5,000  | 372,474 | 24,572,158     | 3       | one-hot degree, capped at 400 (401) |

As PyG's `TUDataset`, self loops are dropped and repeated edges merged (the "directed edges"
column counts what remains; IMDB-BINARY's and IMDB-MULTI's `A.txt` list every directed edge twice,
386,124 and 395,612 lines). NOTE: GraphMAE's first code release (Hou et al., KDD 2022) read DGL's
`TUDataset`, which keeps such repeats as parallel edges (doubling the IMDB degrees and neighbour
sums); its later PyG version merges them, as we do. Node features follow
GraphMAE: the node label `l` becomes one-hot of `l - min(l)`; datasets without node labels use
one-hot node degree, capped at `MAX_DEGREE`. Graph labels are renumbered
0 .. C-1 in sorted order (MUTAG's -1/1 -> 0/1, IMDB-MULTI's 1/2/3 -> 0/1/2).
There is no split in the files: tasks draw their own folds with a seed.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch

from cogdl.data.cards import load_card
from cogdl.data.dataset import DatasetInfo, GraphCollectionDataset
from cogdl.data.graph import concat_ranges
from cogdl.data.graph_collection import GraphCollection
from cogdl.data.root import read_dataset_file, read_plain_or_gz
from cogdl.data.text_fields import integer
from cogdl.errors import DataError
from cogdl.registry import bound_loader, register_dataset, register_dataset_prefix

#: dataset id -> TU file prefix
TU_NAMES = {"mutag": "MUTAG", "proteins": "PROTEINS", "nci1": "NCI1",
            "imdb-binary": "IMDB-BINARY", "imdb-multi": "IMDB-MULTI", "collab": "COLLAB"}
#: degrees above this share one feature column (GraphMAE's MAX_DEGREES)
MAX_DEGREE = 400


def parse_integers(data: bytes, path: Path, per_line: int) -> tuple[np.ndarray, np.ndarray]:
    """Text with `per_line` comma/space separated integers a line -> (`[lines, per_line]` int64,
    each row's 1-based line number). Blank lines are skipped; a malformed line is reported as
    `path:line: ...`."""
    data = data.replace(b",", b" ")
    flat, counts, line_numbers = _all_integers(data, path)
    wrong = np.flatnonzero(counts != per_line)
    if wrong.size:
        raise DataError(f"{path}:{line_numbers[wrong[0]]}: expected {per_line} integer(s), found {counts[wrong[0]]}")
    return flat.reshape(-1, per_line), line_numbers


def parse_dgcnn(data: bytes, path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The DGCNN/GIN text format -> (src, dst, node_counts, graph_labels), 0-based global ids.

    Line 1: the number of graphs G. Then per graph a line `n label`, followed by `n` lines
    `tag m nbr_1 .. nbr_m` with neighbour indices local to the graph (0 .. n-1). Parsed in bulk
    (COLLAB has 25 M numbers): all numbers at once, then each line's count of numbers checked
    against the structure.
    """
    flat, counts, line_numbers = _all_integers(data, path)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)

    def fail(index: int, message: str):
        line = int(line_numbers[index]) if index < line_numbers.size else int(line_numbers[-1]) + 1
        raise DataError(f"{path}:{line}: {message}")

    if counts.size == 0 or counts[0] != 1:
        fail(0, "expected the number of graphs alone on the first line")
    header_lines, sizes, labels, line = [], [], [], 1
    for _ in range(int(flat[0])):
        if line >= counts.size:
            fail(line, f"unexpected end of file: the first line announces {int(flat[0])} graphs")
        if counts[line] != 2:
            fail(line, "expected 'num_nodes label'")
        header_lines.append(line)
        sizes.append(int(flat[starts[line]]))
        labels.append(int(flat[starts[line] + 1]))
        line += 1 + sizes[-1]
    if line != counts.size:
        fail(min(line, counts.size), f"the graphs do not end where the file does ({int(flat[0])} announced)")
    sizes = np.asarray(sizes, dtype=np.int64)
    is_node_line = np.ones(counts.size, dtype=bool)
    is_node_line[[0] + header_lines] = False
    node_lines = np.flatnonzero(is_node_line)
    degree = flat[starts[node_lines] + 1]
    wrong = np.flatnonzero(counts[node_lines] != 2 + degree)
    if wrong.size:
        fail(int(node_lines[wrong[0]]), "expected 'tag m' and m neighbour indices")
    graph_of_node = np.repeat(np.arange(sizes.size), sizes)
    nbrs = flat[concat_ranges(torch.from_numpy(starts[node_lines] + 2), torch.from_numpy(degree)).numpy()]
    size_of_edge = np.repeat(sizes[graph_of_node], degree)
    outside = np.flatnonzero((nbrs < 0) | (nbrs >= size_of_edge))
    if outside.size:
        owner = int(np.searchsorted(np.cumsum(degree), outside[0], side="right"))
        fail(int(node_lines[owner]), f"neighbour index {nbrs[outside[0]]} out of range [0, {size_of_edge[outside[0]]}) of its graph")
    offsets = np.cumsum(sizes) - sizes
    src = np.repeat(np.arange(graph_of_node.size), degree)
    return src, nbrs + offsets[graph_of_node][src], sizes, np.asarray(labels, dtype=np.int64)


def _all_integers(data: bytes, path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(every whitespace-separated integer of `data`, and `_numbers_per_line`); a non-integer, or
    one beyond int64 (which numpy's bulk reader would clip to the int64 bounds), is reported with
    its line."""
    counts, line_numbers = _numbers_per_line(data)
    if counts.sum() == 0:  # blank: numpy's reader would return one stray value
        return np.zeros(0, dtype=np.int64), counts, line_numbers
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            values = np.fromstring(data, dtype=np.int64, sep=" ")
        except (ValueError, DeprecationWarning):
            values = None
    bounds = np.iinfo(np.int64)
    clipped = values is not None and ((values == bounds.max) | (values == bounds.min)).any()
    if values is not None and values.size == counts.sum() and not clipped:
        return values, counts, line_numbers
    for line_no, line in enumerate(data.decode("ascii", errors="replace").splitlines(), start=1):
        for value in line.split():
            if not value.lstrip("+-").isdigit():
                raise DataError(f"{path}:{line_no}: expected integers, found {value[:40]!r}")
            integer(value, f"{path}:{line_no}", "value")
    if values is None or values.size != counts.sum():
        raise DataError(f"{path}: cannot read its numbers")
    return values, counts, line_numbers


def _numbers_per_line(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(count of numbers on each non-blank line, that line's 1-based number), in bulk."""
    text = np.frombuffer(data, dtype=np.uint8)
    newline = text == ord("\n")
    separator = newline | (text == ord(" ")) | (text == ord("\t")) | (text == ord("\r"))
    token_start = ~separator
    token_start[1:] &= separator[:-1]
    line_ends = np.append(np.flatnonzero(newline), text.size)
    tokens_before_end = np.searchsorted(np.flatnonzero(token_start), line_ends)
    per_line = np.diff(tokens_before_end, prepend=0)
    nonblank = np.flatnonzero(per_line)
    return per_line[nonblank], nonblank + 1


def collection_from_arrays(src: np.ndarray, dst: np.ndarray, graph_of_node: np.ndarray, graph_labels: np.ndarray,
                           node_labels: np.ndarray | None, files: dict[str, Path],
                           edge_lines: np.ndarray | None = None) -> tuple[GraphCollection, int]:
    """Check the TU arrays against each other and build the collection -> (graphs, num_classes).

    `src`/`dst`/`graph_of_node` are 0-based; `files` names the source file of each array for
    errors; `edge_lines[k]` is the line of edge `k` in its file (default `k + 1`).
    """
    num_nodes, num_graphs = graph_of_node.size, graph_labels.size
    line_of = (lambda k: int(edge_lines[k])) if edge_lines is not None else (lambda k: k + 1)
    if num_nodes == 0:
        raise DataError(f"{files['indicator']}: no nodes")
    if graph_of_node.min() < 0 or graph_of_node.max() >= num_graphs:
        raise DataError(f"{files['indicator']}: graph ids must lie in 1..{num_graphs} "
                        f"(the number of lines of {files['labels'].name}), found {graph_of_node.max() + 1}")
    if np.any(np.diff(graph_of_node) < 0):
        line = int(np.argmax(np.diff(graph_of_node) < 0)) + 2
        raise DataError(f"{files['indicator']}:{line}: graph ids must be non-decreasing (each graph's nodes contiguous)")
    for ids in (src, dst):
        bad = np.flatnonzero((ids < 0) | (ids >= num_nodes))
        if bad.size:
            raise DataError(f"{files['edges']}:{line_of(bad[0])}: node id {ids[bad[0]] + 1} out of range 1..{num_nodes} "
                            f"({files['indicator'].name} has {num_nodes} lines)")
    crossing = np.flatnonzero(graph_of_node[src] != graph_of_node[dst])
    if crossing.size:
        k = crossing[0]
        raise DataError(f"{files['edges']}:{line_of(k)}: edge {src[k] + 1}-{dst[k] + 1} joins graph "
                        f"{graph_of_node[src[k]] + 1} and graph {graph_of_node[dst[k]] + 1}")
    if node_labels is not None and node_labels.size != num_nodes:
        raise DataError(f"{files['node_labels']}: {node_labels.size} lines, expected one per node ({num_nodes})")

    node_counts = np.bincount(graph_of_node, minlength=num_graphs)
    not_loop = src != dst
    key = torch.unique(torch.from_numpy(src[not_loop] * num_nodes + dst[not_loop])).numpy()  # sorted: grouped by graph
    src, dst = key // num_nodes, key % num_nodes
    edge_counts = np.bincount(graph_of_node[src], minlength=num_graphs)
    classes, y = np.unique(graph_labels, return_inverse=True)
    if node_labels is not None and int(node_labels.max()) - int(node_labels.min()) >= num_nodes:
        raise DataError(f"{files['node_labels']}: node labels span {node_labels.min()}..{node_labels.max()}, more "
                        f"values than the {num_nodes} nodes; their one-hot features would be wider than the graph")
    x = _one_hot(node_labels - node_labels.min()) if node_labels is not None else _degree_features(src, num_nodes)
    ptr = lambda counts: torch.from_numpy(np.concatenate([[0], np.cumsum(counts)]).astype(np.int64))  # noqa: E731
    graphs = GraphCollection(torch.from_numpy(src), torch.from_numpy(dst), ptr(node_counts), ptr(edge_counts),
                             torch.from_numpy(x), torch.from_numpy(y.astype(np.int64)))
    return graphs, classes.size


def _one_hot(values: np.ndarray, width: int | None = None) -> np.ndarray:
    width = int(values.max()) + 1 if width is None else width
    out = np.zeros((values.size, width), dtype=np.float32)
    out[np.arange(values.size), values] = 1.0
    return out


def _degree_features(src: np.ndarray, num_nodes: int) -> np.ndarray:
    degree = np.minimum(np.bincount(src, minlength=num_nodes), MAX_DEGREE)
    return _one_hot(degree, int(degree.max()) + 1)


def load_tu(dataset_id: str, root: Path) -> GraphCollectionDataset:
    """A registered TU dataset from the data root, each file checked against its card."""
    card = load_card(dataset_id)
    folder, listed = root / dataset_id, {f.name for f in card.files}
    if dataset_id == "collab":
        path = folder / "COLLAB.txt"
        src, dst, sizes, graph_labels = parse_dgcnn(read_dataset_file(card, path.name, root), path)
        files = {"edges": path, "indicator": path, "labels": path}
        graphs, num_classes = collection_from_arrays(src, dst, np.repeat(np.arange(sizes.size), sizes),
                                                     graph_labels, None, files)
    else:
        graphs, num_classes = _read_tu_text(folder, TU_NAMES[dataset_id],
                                            lambda name: read_dataset_file(card, name, root), listed.__contains__)
    card.check_stats({"num_graphs": len(graphs), "num_nodes": int(graphs.node_ptr[-1]),
                      "num_edges": int(graphs.src.numel()), "num_features": graphs.x.shape[1], "num_classes": num_classes})
    return GraphCollectionDataset(info=DatasetInfo(dataset_id, graphs.x.shape[1], num_classes), graphs=graphs)


def load_tu_folder(path: str | Path) -> GraphCollectionDataset:
    """Any folder in the TU text format (`<NAME>_A.txt`, `<NAME>_graph_indicator.txt`,
    `<NAME>_graph_labels.txt`, optional `<NAME>_node_labels.txt`; `.gz` accepted)."""
    folder = Path(path)
    indicators = sorted(folder.glob("*_graph_indicator.txt*")) if folder.is_dir() else []
    if len(indicators) != 1:
        raise DataError(f"{folder}: expected one <NAME>_graph_indicator.txt in a TU-format folder, found {len(indicators)}")
    prefix = indicators[0].name.split("_graph_indicator.txt")[0]

    def exists(name: str) -> bool:
        return (folder / name).is_file() or (folder / f"{name}.gz").is_file()

    def read(name: str) -> bytes:
        if not exists(name):
            raise DataError(f"{folder / name}: missing (a TU-format folder needs <NAME>_A.txt, _graph_indicator.txt, _graph_labels.txt)")
        return read_plain_or_gz(folder / name if (folder / name).is_file() else folder / f"{name}.gz")

    graphs, num_classes = _read_tu_text(folder, prefix, read, exists)
    return GraphCollectionDataset(info=DatasetInfo(f"tu:{folder}", graphs.x.shape[1], num_classes), graphs=graphs)


def _read_tu_text(folder: Path, prefix: str, read, exists) -> tuple[GraphCollection, int]:
    files = {key: folder / f"{prefix}_{suffix}.txt" for key, suffix in
             (("edges", "A"), ("indicator", "graph_indicator"), ("labels", "graph_labels"), ("node_labels", "node_labels"))}

    def column(key: str) -> np.ndarray:
        return parse_integers(read(files[key].name), files[key], 1)[0][:, 0]

    edges, edge_lines = parse_integers(read(files["edges"].name), files["edges"], 2)
    node_labels = column("node_labels") if exists(files["node_labels"].name) else None
    return collection_from_arrays(edges[:, 0] - 1, edges[:, 1] - 1, column("indicator") - 1, column("labels"),
                                  node_labels, files, edge_lines)


for _id in TU_NAMES:
    register_dataset(_id)(bound_loader(load_tu, _id, f"TU {TU_NAMES[_id]} graph classification (Morris et al., 2020)."))


@register_dataset_prefix("tu")
def load_tu_path(path: str):
    """`tu:PATH`: any folder in the TU text format."""
    return bound_loader(lambda folder, root: load_tu_folder(folder), path, f"the folder {path} in the TU text format")
