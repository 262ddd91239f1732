"""HGB, the Heterogeneous Graph Benchmark: its file format and its datasets.

"Are we really making much progress? Revisiting, benchmarking and refining heterogeneous graph
neural networks", Lv, Ding et al., KDD 2021.

A dataset is a folder of tab-separated text files (`.gz` read transparently, CRLF tolerated):

| file             | one line per          | columns                                                  |
|------------------|-----------------------|----------------------------------------------------------|
| `node.dat`       | node                  | `id  name  type  [f1,f2,...]` (name may be empty)         |
| `link.dat`       | training link         | `head  tail  link_type  weight`                           |
| `label.dat`      | labelled (train) node | `id  name  type  label[,label...]` (several = multi-label) |
| `label.dat.test` | test node             | same columns as `label.dat`                               |
| `link.dat.test`  | test link (LP only)   | same columns as `link.dat`                                |
| `info.dat`       | -                     | JSON: names of node types, link types (start, end), labels |
| `meta.dat`       | -                     | counts (not needed to load)                              |

Node ids start at 0 and each node type holds one contiguous id range, types in id order. The
files present decide the task: `label.dat` + `label.dat.test` -> node classification,
`link.dat.test` -> link prediction. Values are checked against the format and the declarations:
features must be finite; a node's labels sit on one line; the classes are those `info.dat`
declares for the labelled type (`{"label.dat": {"node type": {"0": {"0": name, ...}}}}`), and a
label outside them is an error; where `info.dat` declares none, the count is 1 + the largest
label found. Each error names the file and line.

Built-in ids: `hgb-dblp`, `hgb-acm`, `hgb-imdb`, `hgb-freebase` (node classification) and
`hgb-lastfm`, `hgb-amazon`, `hgb-pubmed` (link prediction); their cards are in `datasets/`. Any
folder in this format loads as `--dataset hgb:PATH`, or in Python with `load_hgb_folder(PATH)`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from cogdl.data.cards import load_card
from cogdl.data.dataset import DatasetInfo, HeteroLinkDataset, HeteroNodeDataset
from cogdl.data.hetero_graph import HeteroGraph, Relation
from cogdl.data.root import read_dataset_file, read_plain_or_gz
from cogdl.data.text_fields import decode, integer, number
from cogdl.errors import DataError
from cogdl.registry import bound_loader, register_dataset, register_dataset_prefix

NODE_CLASSIFICATION_IDS = ("hgb-dblp", "hgb-acm", "hgb-imdb", "hgb-freebase")
LINK_PREDICTION_IDS = ("hgb-lastfm", "hgb-amazon", "hgb-pubmed")
FILES = ("node.dat", "link.dat", "label.dat", "label.dat.test", "link.dat.test", "info.dat")


def load_hgb_folder(path: str | Path, name: str | None = None) -> HeteroNodeDataset | HeteroLinkDataset:
    """Load any folder in HGB's format (see the module docstring); `name` defaults to `hgb:<path>`."""
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise DataError(f"{folder}: no such HGB folder")

    def read(file_name: str) -> bytes | None:
        for candidate in (folder / file_name, folder / f"{file_name}.gz"):
            if candidate.exists():
                return read_plain_or_gz(candidate)
        return None

    return parse_hgb(read, str(folder), name or f"hgb:{path}")


def load_hgb_card(dataset_id: str, root: Path) -> HeteroNodeDataset | HeteroLinkDataset:
    """Load a registered HGB dataset from `<root>/<id>/`, checking each file against its card."""
    card = load_card(dataset_id)
    listed = {f.name for f in card.files}

    def read(file_name: str) -> bytes | None:
        return read_dataset_file(card, file_name, root) if file_name in listed else None

    dataset = parse_hgb(read, str(root / dataset_id), dataset_id)
    found = {"num_nodes": dataset.graph.num_nodes,
             "num_links": sum(r.num_edges for r in dataset.graph.relations),
             "num_classes": dataset.info.num_classes}
    if isinstance(dataset, HeteroLinkDataset):
        found["num_test_links"] = sum(heads.numel() for heads, _ in dataset.test_links.values())
    card.check_stats(found)
    return dataset


def parse_hgb(read, where: str, name: str) -> HeteroNodeDataset | HeteroLinkDataset:
    """A node classification or link prediction dataset (as the files present say) from
    `read(file_name) -> bytes | None` (None: the file is absent)."""
    texts = {f: read(f) for f in FILES}
    for required in ("node.dat", "link.dat"):
        if texts[required] is None:
            raise DataError(f"{where}: no {required} (an HGB folder needs node.dat and link.dat)")
    info = _parse_info(texts["info.dat"], f"{where}/info.dat")
    counts, features = _parse_nodes(texts["node.dat"], f"{where}/node.dat")
    offsets = np.concatenate([[0], np.cumsum(counts)])
    node_type_of = np.repeat(np.arange(len(counts)), counts)
    type_names = [info.get("node_types", {}).get(t, str(t)) for t in range(len(counts))]
    link_meta = dict(info.get("link_types", {}))
    relations = _parse_links(texts["link.dat"], f"{where}/link.dat", node_type_of, link_meta)
    graph = HeteroGraph(type_names, counts.tolist(), features, relations)

    has_labels = texts["label.dat"] is not None or texts["label.dat.test"] is not None
    if texts["link.dat.test"] is not None:
        if has_labels:
            raise DataError(f"{where}: has both link.dat.test and label files; cannot tell the task")
        test = _parse_links(texts["link.dat.test"], f"{where}/link.dat.test", node_type_of, link_meta,
                            known={r.id for r in relations})
        test_links = {r.id: (r.src, r.dst) for r in test}
        return HeteroLinkDataset(info=DatasetInfo(name, 0, 0, metric="roc_auc"), graph=graph, source=where,
                                 test_links=test_links)
    if texts["label.dat"] is None or texts["label.dat.test"] is None:
        missing = "label.dat" if texts["label.dat"] is None else "label.dat.test"
        raise DataError(f"{where}: no {missing} (node classification needs label.dat and label.dat.test; "
                        "link prediction needs link.dat.test)")
    train = _parse_labels(texts["label.dat"], f"{where}/label.dat", node_type_of)
    test = _parse_labels(texts["label.dat.test"], f"{where}/label.dat.test", node_type_of)
    target_types = {t for _, t, _ in train + test}
    if len(target_types) != 1:
        raise DataError(f"{where}: labelled nodes of several types {sorted(target_types)}; HGB labels one type")
    target_type = next(iter(target_types))
    largest = max(c for _, _, labels in train + test for c in labels)
    num_classes = info["label_classes"].get(target_type, 1 + largest)  # declared in info.dat, else inferred
    of_type = int(offsets[target_type + 1] - offsets[target_type])
    declared = target_type in info["label_classes"]
    if largest >= num_classes or (not declared and num_classes > of_type):
        node, file_name = next((n, f) for f, rows in (("label.dat", train), ("label.dat.test", test))
                               for n, _, labels in rows if max(labels) == largest)
        beyond = (f"{where}/info.dat declares {num_classes} classes (0..{num_classes - 1}) for node type {target_type}"
                  if declared else f"more classes than the {of_type} nodes of its type (info.dat declares none, so "
                                   "the count is 1 + the largest label)")
        raise DataError(f"{where}/{file_name}: node {node} has label {largest}{'; ' if declared else ': '}{beyond}")
    multi_label = any(len(labels) != 1 for _, _, labels in train + test)
    num_nodes = int(offsets[-1])
    if multi_label:
        y = torch.zeros(num_nodes, num_classes)
        for node, _, labels in train + test:
            y[node, labels] = 1.0
    else:
        y = torch.full((num_nodes,), -1, dtype=torch.long)
        for node, _, labels in train + test:
            y[node] = labels[0]
    train_ids = torch.tensor(sorted({n for n, _, _ in train}), dtype=torch.long)
    test_ids = torch.tensor(sorted({n for n, _, _ in test}), dtype=torch.long)
    overlap = set(train_ids.tolist()) & set(test_ids.tolist())
    if overlap:
        raise DataError(f"{where}: node {min(overlap)} is in both label.dat and label.dat.test")
    info_out = DatasetInfo(name, 0, num_classes, multi_label=multi_label, metric="macro_f1")
    return HeteroNodeDataset(info=info_out, graph=graph, source=where, target_type=target_type, y=y,
                             train_ids=train_ids, test_ids=test_ids)


def _lines(data: bytes, path: str):
    """`(line_no, fields)` of each non-empty line, split on tabs, CRLF tolerated."""
    for line_no, line in enumerate(decode(data, path).split("\n"), start=1):
        line = line.rstrip("\r")
        if line.strip():
            yield line_no, line.split("\t")


def _int(value: str, path: str, line_no: int | None, what: str) -> int:
    return integer(value, path if line_no is None else f"{path}:{line_no}", what)


def _parse_info(data: bytes | None, path: str) -> dict:
    """Node type names and link types `{id: (start_type, end_type)}` from `info.dat`, if given."""
    out: dict = {"node_types": {}, "link_types": {}, "label_classes": {}}
    if data is None:
        return out
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise DataError(f"{path}: expected a JSON object")
    node_types = _section(raw, "node.dat", "node type", path)
    link_types = _section(raw, "link.dat", "link type", path)
    for k, v in node_types.items():
        out["node_types"][int(k)] = str(v)
    for k, v in link_types.items():
        if isinstance(v, dict) and "start" in v and "end" in v:
            ends = [_int(str(v[end]), path, None, f"link type {k}: {end!r} node type") for end in ("start", "end")]
            out["link_types"][int(k)] = (*ends, str(v.get("meaning", k)))
    for k, classes in _section(raw, "label.dat", "node type", path).items():
        if not isinstance(classes, dict) or not classes or not all(c.isdigit() for c in classes):
            raise DataError(f"{path}: 'label.dat' node type {k}: expected an object of class ids 0, 1, ... -> names")
        ids = sorted(int(c) for c in classes)
        if ids != list(range(len(ids))):
            raise DataError(f"{path}: 'label.dat' node type {k}: class ids {ids} are not 0..{len(ids) - 1}")
        out["label_classes"][int(k)] = len(ids)
    return out


def _section(raw: dict, file_name: str, key: str, path: str) -> dict:
    """`info.dat`'s entries for `file_name`, nested under `key` (HGB node classification:
    `{"node.dat": {"node type": {...}}}`) or directly (HGB link prediction: `{"node.dat": {"0": ...}}`)."""
    section = raw.get(file_name, {})
    if not isinstance(section, dict):
        raise DataError(f"{path}: {file_name!r} should map to an object")
    nested = section.get(key)
    if isinstance(nested, dict):
        section = nested
    return {k: v for k, v in section.items() if k.isdigit()}


def _parse_nodes(data: bytes, path: str) -> tuple[np.ndarray, list[torch.Tensor | None]]:
    """Per-type node counts (types in id order, contiguous ids) and per-type feature matrices."""
    types: list[int] = []
    feature_text: dict[int, list[str]] = {}
    feature_lines: dict[int, list[int]] = {}
    for line_no, fields in _lines(data, path):
        if len(fields) not in (3, 4):
            raise DataError(f"{path}:{line_no}: expected 3 or 4 tab-separated columns "
                            f"(id, name, type[, features]), found {len(fields)}")
        node = _int(fields[0], path, line_no, "node id")
        if node != len(types):
            raise DataError(f"{path}:{line_no}: node id {node} out of order; expected {len(types)} "
                            "(ids start at 0 and each line adds the next id)")
        node_type = _int(fields[2], path, line_no, "node type")
        if node_type < 0 or (types and node_type < types[-1]):
            raise DataError(f"{path}:{line_no}: node type {node_type} after type {types[-1] if types else '-'}; "
                            "each type must hold one contiguous id range, types in increasing order")
        types.append(node_type)
        if len(fields) == 4 and fields[3].strip():
            feature_text.setdefault(node_type, []).append(fields[3].strip())
            feature_lines.setdefault(node_type, []).append(line_no)
    if not types:
        raise DataError(f"{path}: no nodes")
    counts = np.bincount(np.asarray(types))
    features: list[torch.Tensor | None] = []
    for t, count in enumerate(counts):
        rows = feature_text.get(t)
        if rows is None:
            features.append(None)
            continue
        if len(rows) != count:
            raise DataError(f"{path}: {len(rows)} of the {count} nodes of type {t} have features; "
                            "give features to all of them or to none")
        features.append(torch.from_numpy(_parse_feature_rows(rows, feature_lines[t], path)))
    return counts, features


def _parse_feature_rows(rows: list[str], line_nos: list[int], path: str) -> np.ndarray:
    """Comma-separated floats, one row per node, all of the same width."""
    width = rows[0].count(",") + 1
    for row, line_no in zip(rows, line_nos):
        if row.count(",") + 1 != width:
            raise DataError(f"{path}:{line_no}: {row.count(',') + 1} feature values, the first node of its "
                            f"type has {width}")
    try:
        values = np.array(",".join(rows).split(","), dtype=np.float32)
    except ValueError:
        for row, line_no in zip(rows, line_nos):
            for value in row.split(","):
                try:
                    float(value)
                except ValueError:
                    raise DataError(f"{path}:{line_no}: feature value {value.strip()[:40]!r} is not a number") from None
        raise
    values = values.reshape(len(rows), width)
    finite = np.isfinite(values)
    if not finite.all():
        row = int(np.flatnonzero(~finite.all(1))[0])
        raise DataError(f"{path}:{line_nos[row]}: feature value {values[row][~finite[row]][0]} is not finite")
    return values


def _parse_links(data: bytes, path: str, node_type_of: np.ndarray, link_meta: dict,
                 known: set[int] | None = None) -> list[Relation]:
    """Links grouped by type; every link of a type must join the same two node types."""
    heads: dict[int, list[int]] = {}
    tails: dict[int, list[int]] = {}
    weights: dict[int, list[float]] = {}
    num_nodes = node_type_of.size
    declared = set(link_meta)  # types info.dat declares (or an earlier file inferred); none declared: infer all
    for line_no, fields in _lines(data, path):
        if len(fields) != 4:
            raise DataError(f"{path}:{line_no}: expected 4 tab-separated columns (head, tail, link type, weight), "
                            f"found {len(fields)}")
        head = _int(fields[0], path, line_no, "head node id")
        tail = _int(fields[1], path, line_no, "tail node id")
        link_type = _int(fields[2], path, line_no, "link type")
        weight = number(fields[3], f"{path}:{line_no}", "link weight")
        for node in (head, tail):
            if not 0 <= node < num_nodes:
                raise DataError(f"{path}:{line_no}: node id {node} out of range [0, {num_nodes}) of node.dat")
        if (declared and link_type not in declared) or (known is not None and link_type not in known):
            expected = sorted(known if known is not None else declared)
            raise DataError(f"{path}:{line_no}: unknown link type {link_type}; declared: {expected}")
        ends = (int(node_type_of[head]), int(node_type_of[tail]))
        if link_type not in link_meta:
            link_meta[link_type] = (*ends, str(link_type))
        if ends != tuple(link_meta[link_type][:2]):
            raise DataError(f"{path}:{line_no}: link type {link_type} joins node types {ends[0]} -> {ends[1]}, "
                            f"but it is declared as {link_meta[link_type][0]} -> {link_meta[link_type][1]}")
        heads.setdefault(link_type, []).append(head)
        tails.setdefault(link_type, []).append(tail)
        weights.setdefault(link_type, []).append(weight)
    if not heads:
        raise DataError(f"{path}: no links")
    return [Relation(r, link_meta[r][2], link_meta[r][0], link_meta[r][1], torch.tensor(heads[r]),
                     torch.tensor(tails[r]), torch.tensor(weights[r])) for r in sorted(heads)]


def _parse_labels(data: bytes, path: str, node_type_of: np.ndarray) -> list[tuple[int, int, list[int]]]:
    """`(node, type, labels)` per line; a node's labels (several for a multi-label set) are one line."""
    out, first_line = [], {}
    for line_no, fields in _lines(data, path):
        if len(fields) != 4:
            raise DataError(f"{path}:{line_no}: expected 4 tab-separated columns (id, name, type, labels), "
                            f"found {len(fields)}")
        node = _int(fields[0], path, line_no, "node id")
        if not 0 <= node < node_type_of.size:
            raise DataError(f"{path}:{line_no}: node id {node} out of range [0, {node_type_of.size}) of node.dat")
        node_type = _int(fields[2], path, line_no, "node type")
        if node_type != node_type_of[node]:
            raise DataError(f"{path}:{line_no}: node {node} has type {node_type_of[node]} in node.dat, not {node_type}")
        labels = [_int(v, path, line_no, "label") for v in fields[3].split(",")]
        if min(labels) < 0:
            raise DataError(f"{path}:{line_no}: negative label {min(labels)}")
        if node in first_line:
            raise DataError(f"{path}:{line_no}: node {node} is labelled again (first on line {first_line[node]}); "
                            "give a node's labels on one line, comma-separated")
        first_line[node] = line_no
        out.append((node, node_type, labels))
    if not out:
        raise DataError(f"{path}: no labelled nodes")
    return out


for _id in NODE_CLASSIFICATION_IDS + LINK_PREDICTION_IDS:
    register_dataset(_id)(bound_loader(load_hgb_card, _id, f"HGB {_id[4:]} (Lv et al., KDD 2021), HGB's files and test labels."))


@register_dataset_prefix("hgb")
def load_hgb_path(path: str):
    """`hgb:PATH`: any folder in HGB's format."""
    return bound_loader(lambda folder, root: load_hgb_folder(folder), path,
                        f"the folder {path} in HGB's format (node.dat, link.dat, labels or link.dat.test)")
