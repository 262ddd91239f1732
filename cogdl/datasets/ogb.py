"""OGB node-property-prediction datasets from their folder layout (Hu et al., "Open Graph Benchmark:
Datasets for Machine Learning on Graphs", NeurIPS 2020), without the `ogb` package.

A folder as OGB's downloader leaves it (e.g. `ogbn_arxiv/`, `ogbn_products/`):

    raw/edge.csv.gz          one edge per line: `source,target` (node ids from 0)
    raw/node-feat.csv.gz     one node per line: its features, comma-separated
    raw/node-label.csv.gz    one node per line: its class (an integer; `nan` where unlabelled)
    split/<name>/train.csv.gz, valid.csv.gz, test.csv.gz    one node id per line

loads as `--dataset ogbn:PATH` (the split folder is the only one under `split/`, or pass
`ogbn:PATH#NAME`), and `ogbn-arxiv` / `ogbn-products` read `<root>/ogbn-arxiv/` (or OGB's own
`<root>/ogbn_arxiv/`). The edges are made symmetric (both directions, repeated pairs once), as
OGB's GNN examples do for these graphs. The first load writes the parsed arrays beside the raw
files (`cogdl-binary/*.npy`, atomically) when the folder is writable; later loads memory-map
those and never parse the text again. A malformed line is a `DataError` naming file and line.

ogbn-arxiv: 169,343 nodes, 1,166,243 edges (2,315,598 stored symmetric), 128 features, 40
classes, `time` split (train to 2017, validation 2018, test 2019). ogbn-products: 2,449,029
nodes, 61,859,140 edges, 100 features, 47 classes, `sales_ranking` split.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import torch

from cogdl.data.atomic import staged_file
from cogdl.data.dataset import DatasetInfo, NodeSplitDataset
from cogdl.data.graph import Graph, csr_from_coo
from cogdl.data.root import read_plain_or_gz
from cogdl.errors import DataError
from cogdl.registry import bound_loader, register_dataset, register_dataset_prefix

CACHE = "cogdl-binary"
SPLIT_FILES = {"train": "train.csv.gz", "val": "valid.csv.gz", "test": "test.csv.gz"}


def read_csv_gz(path: Path, dtype, columns: int | None = None, first_line_width: bool = False,
                missing: bool = False) -> np.ndarray:
    """The numbers of a comma-separated `.csv.gz` (or plain `.csv`), one row per line, as `[rows, columns]`
    (or `[rows]` when `columns` is None; the first line's width with `first_line_width`). Integers must
    be non-negative int64 values; floats finite, or `nan` where `missing`. A `DataError` with
    `path:line` for the first bad line."""
    if not path.is_file() and path.with_suffix("").is_file():
        path = path.with_suffix("")
    text = read_plain_or_gz(path)
    lines = text.count(b"\n") + (0 if text.endswith(b"\n") or not text else 1)
    width = text.split(b"\n", 1)[0].count(b",") + 1 if first_line_width else 1 if columns is None else columns
    try:
        parsed = np.array(text.replace(b",", b" ").split(), dtype=np.int64 if dtype == np.int64 else np.float64)
        values = _as(parsed, dtype)
    except (ValueError, OverflowError):
        values = None
    if values is None or values.size != lines * width or not _allowed(values, dtype, missing).all():
        _raise_first_bad_line(path, text, width, dtype, missing)
    return values.reshape(lines, width) if columns is not None or first_line_width else values


def _as(values: np.ndarray, dtype) -> np.ndarray:
    """`values` in `dtype`; a float beyond float32's range becomes inf there (and is then refused)."""
    with np.errstate(over="ignore"):
        return values.astype(dtype, copy=False)


def _allowed(values: np.ndarray, dtype, missing: bool) -> np.ndarray:
    if dtype == np.int64:
        return values >= 0
    return np.isfinite(values) | (np.isnan(values) if missing else False)


def _raise_first_bad_line(path: Path, text: bytes, width: int, dtype, missing: bool) -> None:
    what = "non-negative integers" if dtype == np.int64 else "finite numbers" + (" or nan" if missing else "")
    last = text.count(b"\n")  # a final newline ends the last line; it does not start another
    for number, line in enumerate(text.split(b"\n"), 1):
        if not line and number > last:
            break
        try:
            parsed = _as(np.array([int(f) if dtype == np.int64 else float(f) for f in line.split(b",")],
                                  dtype=np.int64 if dtype == np.int64 else np.float64), dtype)
        except (ValueError, OverflowError):
            parsed = None
        if parsed is None or parsed.size != width or not _allowed(parsed, dtype, missing).all():
            raise DataError(f"{path}:{number}: expected {width} comma-separated {what}, found {line[:80]!r}")
    raise DataError(f"{path}: unreadable numbers")


def load_ogbn_folder(folder: Path, split_name: str | None = None, name: str | None = None) -> NodeSplitDataset:
    """An OGB node-property-prediction folder (see the module docstring) as a node-split dataset."""
    folder = Path(folder)
    name = name or f"ogbn:{folder}"
    split_dir = _split_dir(folder, split_name)
    arrays = _cached_arrays(folder, split_dir)
    num_nodes = arrays["x"].shape[0]
    labels = arrays["y"]
    edges = arrays["edge"]
    if edges.size and int(edges.max()) >= num_nodes:
        raise DataError(f"{folder / 'raw' / 'edge.csv.gz'}: node id {int(edges.max())} but node-feat.csv.gz has "
                        f"{num_nodes} nodes")
    if labels.shape[0] != num_nodes:
        raise DataError(f"{folder / 'raw' / 'node-label.csv.gz'}: {labels.shape[0]} labels for {num_nodes} nodes")
    if num_nodes == 0:
        raise DataError(f"{folder / 'raw' / 'node-feat.csv.gz'}: no nodes")
    if not 0 <= int(labels.max()) < num_nodes:  # the class count is 1 + the largest id
        raise DataError(f"{folder / 'raw' / 'node-label.csv.gz'}: " + (
            "no node has a label" if labels.max() < 0 else f"class id {int(labels.max())} for {num_nodes} nodes"))
    masks = {}
    for split, ids in arrays["splits"].items():
        if ids.size and int(ids.max()) >= num_nodes:
            raise DataError(f"{split_dir / SPLIT_FILES[split]}: node id {int(ids.max())} but there are {num_nodes} nodes")
        mask = torch.zeros(num_nodes, dtype=torch.bool)
        mask[torch.from_numpy(ids)] = True
        masks[split] = mask
    src, dst = torch.from_numpy(edges[:, 0]), torch.from_numpy(edges[:, 1])
    rowptr, col, _ = csr_from_coo(torch.cat([dst, src]), torch.cat([src, dst]), num_nodes)
    y = torch.from_numpy(labels)
    graph = Graph(rowptr, col, x=torch.from_numpy(arrays["x"]), y=y, masks=masks)
    return NodeSplitDataset(info=DatasetInfo(name=name, num_features=int(arrays["x"].shape[1]),
                                             num_classes=int(y.max()) + 1), graph=graph)


def _split_dir(folder: Path, split_name: str | None) -> Path:
    splits = sorted(p.name for p in (folder / "split").iterdir() if p.is_dir()) if (folder / "split").is_dir() else []
    if not (folder / "raw").is_dir() or not splits:
        raise DataError(f"{folder}: not an OGB node-property folder (expected raw/ and split/<name>/)")
    if split_name is None:
        if len(splits) > 1:
            raise DataError(f"{folder}: several splits ({', '.join(splits)}); choose one with ogbn:{folder}#NAME")
        split_name = splits[0]
    if split_name not in splits:
        raise DataError(f"{folder}: no split {split_name!r}; the folder has {', '.join(splits)}")
    return folder / "split" / split_name


def _cached_arrays(folder: Path, split_dir: Path) -> dict:
    """The parsed arrays, from `cogdl-binary/` when it holds them for these raw files, else parsed
    and (where the folder is writable) saved there."""
    raw = [folder / "raw" / f for f in ("edge.csv.gz", "node-feat.csv.gz", "node-label.csv.gz")]
    raw += [split_dir / f for f in SPLIT_FILES.values()]
    stamp = hashlib.sha256(repr([(str(p.relative_to(folder)), p.stat().st_size if p.exists() else -1,
                                  p.stat().st_mtime_ns if p.exists() else -1) for p in raw]).encode()).hexdigest()[:16]
    cache = folder / CACHE / f"{split_dir.name}-{stamp}"
    names = ["edge", "x", "y"] + [f"split_{s}" for s in SPLIT_FILES]
    if all((cache / f"{n}.npy").is_file() for n in names):
        loaded = {n: np.load(cache / f"{n}.npy", mmap_mode="c", allow_pickle=False) for n in names}
    else:
        loaded = {"edge": read_csv_gz(raw[0], np.int64, 2), "x": read_csv_gz(raw[1], np.float32, first_line_width=True),
                  "y": _labels(read_csv_gz(raw[2], np.float64, missing=True), raw[2])}
        loaded.update({f"split_{s}": read_csv_gz(split_dir / f, np.int64) for s, f in SPLIT_FILES.items()})
        try:
            for n in names:
                with staged_file(cache / f"{n}.npy") as handle:
                    np.lib.format.write_array(handle, np.ascontiguousarray(loaded[n]), allow_pickle=False)
        except OSError:
            pass  # a read-only folder: parse again next time
    return {"edge": loaded["edge"], "x": loaded["x"], "y": loaded["y"],
            "splits": {s: loaded[f"split_{s}"] for s in SPLIT_FILES}}


def _labels(values: np.ndarray, path: Path) -> np.ndarray:
    """Class ids as int64, -1 where `nan` (unlabelled); a fractional or negative id is an error."""
    labelled = ~np.isnan(values)
    bad = labelled & ((values < 0) | (values != np.floor(values)) | (values >= 2**31))
    if bad.any():
        line = int(np.flatnonzero(bad)[0]) + 1
        raise DataError(f"{path}:{line}: expected a class id (a non-negative integer) or nan, found {values[line - 1]}")
    return np.where(labelled, values, -1).astype(np.int64)


@register_dataset_prefix("ogbn")
def ogbn_folder(argument: str):
    """`ogbn:PATH[#SPLIT]`: an OGB node-property-prediction folder."""
    path, _, split = argument.partition("#")
    return bound_loader(lambda folder, root: load_ogbn_folder(Path(folder).expanduser(), split or None), path,
                        f"the OGB node-property folder {path}")


def load_ogbn(dataset_id: str, root: Path) -> NodeSplitDataset:
    for folder in (root / dataset_id, root / dataset_id.replace("-", "_")):
        if folder.is_dir():
            return load_ogbn_folder(folder, name=dataset_id)
    raise DataError(f"{dataset_id}: no folder {root / dataset_id} (or {root / dataset_id.replace('-', '_')}); "
                    "download it from https://ogb.stanford.edu (the folder OGB's loader unpacks) into the data root")


for _name in ("ogbn-arxiv", "ogbn-products"):
    register_dataset(_name)(bound_loader(load_ogbn, _name, f"OGB's {_name} from its folder layout in the data root "
                                                           "(Hu et al., NeurIPS 2020)."))
