"""Seeded synthetic graphs with planted classes, for mini-batch and data-parallel training at scale.

A degree-corrected stochastic block model (Karrer & Newman, "Stochastic blockmodels and community
structure in networks", Phys. Rev. E 83, 2011) with Gaussian features around class centres:

- classes: node i has class c_i, uniform over `C` classes;
- degrees: propensity theta_i ~ Pareto(`alpha`) (power-law degrees), capped at `cap` times the mean;
- edges: `E / 2` undirected edges; each picks a source i with probability proportional to theta_i,
  then, with probability `p_in`, a target of the same class, else a target of any class, in both
  cases with probability proportional to theta; self loops and repeated pairs are dropped, and
  both directions are stored (`E` counts stored directed entries, as `Graph.num_edges` does);
- features: x_i = mu_{c_i} + sigma * eps_i, with centres mu_c ~ N(0, I_F) and eps_i ~ N(0, I_F);
- split: a seeded random 1% train, 1% validation, 5% test (the rest unlabelled for training).

The features alone separate the classes only in part (`sigma`), and the graph's homophily (about
`p_in` + (1 - p_in) / C of the edges join a class to itself) lets message passing do better; a
full-batch model on the smaller sizes shows what the planted classes allow (`docs/scale.md`).
Node ids are a seeded permutation of the class order, so a class is not a contiguous id range.

`cogdl data build synthetic-2m` writes it once into `<root>/synthetic-2m/` as `.npy` arrays
(`rowptr`, `col`, `x`, `y`, `split`) and a `manifest.json` with their sha256, written last;
loading memory-maps the arrays (copy-on-write), so a 5M-node graph opens in a moment and only the
pages a run touches are read.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from cogdl.data.atomic import staged_file, write_files_atomically
from cogdl.data.dataset import DatasetInfo, NodeSplitDataset
from cogdl.data.graph import Graph, csr_from_coo
from cogdl.errors import DataError, look_up
from cogdl.registry import bound_loader, register_dataset

FORMAT = "cogdl-synthetic-1"
SPLIT_CODES = {"train": 0, "val": 1, "test": 2}  # -1: in no split


@dataclass(frozen=True)
class SyntheticSpec:
    """The generator's parameters (see the module docstring)."""

    num_nodes: int
    num_edges: int
    num_features: int = 128
    num_classes: int = 16
    p_in: float = 0.6
    alpha: float = 2.5
    cap: float = 50.0
    sigma: float = 2.0
    fractions: tuple[float, float, float] = (0.01, 0.01, 0.05)


SIZES = {
    "synthetic-100k": SyntheticSpec(100_000, 2_000_000),
    "synthetic-200k": SyntheticSpec(200_000, 4_000_000),
    "synthetic-1m": SyntheticSpec(1_000_000, 20_000_000),
    "synthetic-2m": SyntheticSpec(2_000_000, 40_000_000),
    "synthetic-5m": SyntheticSpec(5_000_000, 100_000_000),
}


def generate_structure(spec: SyntheticSpec, rng: np.random.Generator) -> tuple[np.ndarray, torch.Tensor, torch.Tensor]:
    """`(labels, rowptr, col)` of the DC-SBM, node ids already permuted."""
    n, c = spec.num_nodes, spec.num_classes
    labels = np.sort(rng.integers(0, c, n))  # class-sorted while drawing: a class is one id range
    theta = np.minimum(rng.pareto(spec.alpha - 1.0, n) + 1.0, spec.cap * (spec.alpha - 1.0) / (spec.alpha - 2.0))
    cumulative = np.cumsum(theta)
    starts = np.searchsorted(labels, np.arange(c + 1))
    low = np.concatenate([[0.0], cumulative])[starts[:-1]]
    high = cumulative[starts[1:] - 1]
    pairs = spec.num_edges // 2
    src = np.searchsorted(cumulative, rng.random(pairs) * cumulative[-1], side="right")
    inside = rng.random(pairs) < spec.p_in
    cls = labels[src]
    u = np.where(inside, low[cls] + rng.random(pairs) * (high[cls] - low[cls]), rng.random(pairs) * cumulative[-1])
    dst = np.minimum(np.searchsorted(cumulative, u, side="right"), n - 1)
    del u, inside, cls
    permutation = rng.permutation(n)
    src, dst = torch.from_numpy(permutation[src]), torch.from_numpy(permutation[dst])
    keep = src != dst
    src, dst = src[keep], dst[keep]
    rowptr, col, _ = csr_from_coo(torch.cat([dst, src]), torch.cat([src, dst]), n)
    placed = np.empty(n, dtype=np.int64)
    placed[permutation] = labels
    return placed, rowptr, col


def build_synthetic(dataset_id: str, root: Path, seed: int = 0) -> dict:
    """Generate `dataset_id` with `seed` and write it into `root/<dataset_id>/`; return the manifest."""
    spec = _spec(dataset_id)
    rng = np.random.default_rng(seed)
    labels, rowptr, col = generate_structure(spec, rng)
    split = np.full(spec.num_nodes, -1, dtype=np.int8)
    order, start = rng.permutation(spec.num_nodes), 0
    for code, fraction in enumerate(spec.fractions):
        count = int(round(fraction * spec.num_nodes))
        split[order[start:start + count]] = code
        start += count
    folder = root / dataset_id
    digests = {}
    for name, array in (("rowptr", rowptr.numpy()), ("col", col.numpy()), ("y", labels), ("split", split)):
        digests[name] = _write_npy(folder / f"{name}.npy", array)
    digests["x"] = _write_features(folder / "x.npy", spec, labels, rng)
    manifest = {"format": FORMAT, "dataset": dataset_id, "seed": seed, "spec": asdict(spec),
                "sha256": {f"{name}.npy": digest for name, digest in digests.items()},
                "stats": {"num_nodes": spec.num_nodes, "num_edges": int(col.numel()),
                          "num_features": spec.num_features, "num_classes": spec.num_classes,
                          "homophily": round(float((labels[col.numpy()] == np.repeat(labels, np.diff(rowptr.numpy()))).mean()), 4),
                          "max_degree": int(rowptr.diff().max()),
                          **{f"num_{name}": int((split == code).sum()) for name, code in SPLIT_CODES.items()}}}
    write_files_atomically(folder, {"manifest.json": json.dumps(manifest, indent=2) + "\n"})  # last: vouches for the rest
    return manifest


def _write_npy(target: Path, array: np.ndarray) -> str:
    with staged_file(target) as handle:
        np.lib.format.write_array(handle, np.ascontiguousarray(array), allow_pickle=False)
    return _sha256(target)


def _write_features(target: Path, spec: SyntheticSpec, labels: np.ndarray, rng: np.random.Generator,
                    chunk: int = 1 << 18) -> str:
    """x = mu_c + sigma * eps, written `chunk` rows at a time (never all in memory)."""
    centres = rng.standard_normal((spec.num_classes, spec.num_features)).astype(np.float32)
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype(np.float32)), "fortran_order": False,
              "shape": (spec.num_nodes, spec.num_features)}
    with staged_file(target) as handle:
        np.lib.format.write_array_header_1_0(handle, header)
        for begin in range(0, spec.num_nodes, chunk):
            rows = labels[begin:begin + chunk]
            noise = rng.standard_normal((rows.size, spec.num_features), dtype=np.float32)
            handle.write((centres[rows] + spec.sigma * noise).astype(np.float32).tobytes())
    return _sha256(target)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 24), b""):
            digest.update(block)
    return digest.hexdigest()


def load_synthetic(dataset_id: str, root: Path, verify: bool = False) -> NodeSplitDataset:
    """The built graph, its arrays memory-mapped; `verify` also checks every file's sha256
    (`cogdl data verify` does; a run checks sizes and shapes only, to stay fast at 5M nodes)."""
    spec = _spec(dataset_id)
    folder = root / dataset_id
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise DataError(f"{dataset_id} is not built in {root} (no {manifest_path}): run `cogdl data build {dataset_id}`")
    arrays, path = {}, manifest_path
    try:
        manifest = json.loads(manifest_path.read_text())
        for name in ("rowptr", "col", "x", "y", "split"):
            path = folder / f"{name}.npy"
            arrays[name] = np.load(path, mmap_mode="c", allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: unreadable ({exc}); rebuild with `cogdl data build {dataset_id}`") from None
    if manifest.get("format") != FORMAT or manifest.get("spec", {}).get("num_nodes") != spec.num_nodes:
        raise DataError(f"{manifest_path}: not a {FORMAT} build of {dataset_id}; rebuild with `cogdl data build {dataset_id}`")
    n, stats = spec.num_nodes, manifest["stats"]
    expected = {"rowptr": (n + 1,), "col": (stats["num_edges"],), "x": (n, spec.num_features), "y": (n,), "split": (n,)}
    for name, shape in expected.items():
        if arrays[name].shape != shape:
            raise DataError(f"{folder / (name + '.npy')}: shape {arrays[name].shape}, expected {shape}; "
                            f"rebuild with `cogdl data build {dataset_id}`")
    if verify:
        for name, digest in manifest["sha256"].items():
            if _sha256(folder / name) != digest:
                raise DataError(f"{folder / name}: sha256 does not match {manifest_path}; rebuild with "
                                f"`cogdl data build {dataset_id}`")
    split = torch.from_numpy(arrays["split"])
    graph = Graph(torch.from_numpy(arrays["rowptr"]), torch.from_numpy(arrays["col"]), x=torch.from_numpy(arrays["x"]),
                  y=torch.from_numpy(arrays["y"]), masks={name: split == code for name, code in SPLIT_CODES.items()})
    return NodeSplitDataset(info=DatasetInfo(name=dataset_id, num_features=spec.num_features,
                                             num_classes=spec.num_classes), graph=graph)


def _spec(dataset_id: str) -> SyntheticSpec:
    return look_up(SIZES, dataset_id, "synthetic dataset")


for _name, _size in SIZES.items():
    register_dataset(_name)(bound_loader(
        load_synthetic, _name, f"a seeded DC-SBM graph with planted classes ({_size.num_nodes:,} nodes, "
                               f"{_size.num_edges:,} edges, {_size.num_features} features, {_size.num_classes} classes); "
                               f"build once with `cogdl data build {_name}`."))
