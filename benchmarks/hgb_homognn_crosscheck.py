"""Run HGB's own homogeneous-GNN link-prediction script on our copy of an HGB link dataset, one seed per process.

Evidence for a leaderboard reference that the entry does not meet: does HGB's code, on our files, give
the published number? The script takes a checkout of THUDM/HGB (nothing of it is kept here):

    python benchmarks/hgb_homognn_crosscheck.py path/to/HGB hgb-lastfm --model GAT --seeds 0-9

Per seed it builds HGB's LP layout in a temporary folder: `benchmark/scripts` and
`benchmark/methods/GNN` copied from the checkout, and `benchmark/data/<name>` holding links to the
dataset's files under the data root (so HGB's cached `dl_pickle` is written there, never into the
data root, and each seed draws its own train/validation split and training negatives). It runs
`homoGNN.py --data <name> --model M` with Python's, NumPy's and torch's seeds set to the seed and one
thread, and reads the 2-hop and random test scores that the script prints.

Two stand-ins, without which HGB's script does not run at its HEAD (ca6fd5b) beside PyG 2.8:
- `data_loader.gen_file_for_evaluate` takes a `flag` that homoGNN.py does not pass; it only writes a
  submission file, so it is a no-op;
- GNN.py initialises `GATConv.lin_l`, PyG 1.x's name of the layer's linear map; PyG 2.8 calls it `lin`.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from cogdl.data.root import data_root
from cogdl.experiment import parse_seeds

FILES = ("node.dat", "link.dat", "link.dat.test", "info.dat")
HGB_NAMES = {"hgb-lastfm": "LastFM"}  # the folder name homoGNN.py is given (--data)
ONE_SEED = "--one-seed"  # the first argument of the per-seed child process
SCORES = {"2hop": "Sec neigh test: score list:", "random": "Random test: score list:"}


def hgb_layout(hgb: Path, dataset: str, root: Path, where: Path) -> Path:
    """HGB's LP benchmark folder under `where`, the dataset's files linked in; returns methods/GNN."""
    benchmark = where / "benchmark"
    for part in ("scripts", "methods/GNN"):
        shutil.copytree(hgb / "LP" / "benchmark" / part, benchmark / part)
    data = benchmark / "data" / HGB_NAMES.get(dataset, dataset)
    data.mkdir(parents=True)
    for name in FILES:
        (data / name).symlink_to((root / dataset / name).resolve())
    return benchmark / "methods" / "GNN"


def run_seed(seed: int, homo_args: list[str]) -> None:
    """In a process of its own, in methods/GNN: seed everything, put the stand-ins in, run homoGNN.py."""
    import random

    import numpy as np
    import torch

    sys.path[:0] = [".", os.path.join("..", "..")]
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    from scripts import data_loader as loader_module
    from torch_geometric.nn import GATConv

    loader_module.data_loader.gen_file_for_evaluate = lambda self, *args, **kwargs: None
    GATConv.lin_l = property(lambda self: self.lin)
    sys.argv = ["homoGNN.py", *homo_args]
    import runpy

    runpy.run_path("homoGNN.py", run_name="__main__")


def printed_scores(output: str) -> dict[str, float]:
    """The first edge type's ROC-AUC and MRR of each test, from homoGNN.py's 'score list' lines."""
    scores = {}
    for test, prefix in SCORES.items():
        line = next(line for line in output.splitlines() if line.startswith(prefix))
        for metric in ("roc_auc", "MRR"):
            values = re.search(rf"'{metric}': \[([^\]]*)\]", line).group(1)
            scores[f"{metric}_{test}"] = float(re.findall(r"(?<![\w.])\d+\.\d+(?:e[-+]?\d+)?", values)[0])
    return scores


def crosscheck(hgb: Path, dataset: str, seeds: list[int], model: str, root: Path) -> list[dict[str, float]]:
    results = []
    for seed in seeds:
        with tempfile.TemporaryDirectory() as where:
            gnn = hgb_layout(hgb, dataset, root, Path(where))
            homo_args = ["--data", HGB_NAMES.get(dataset, dataset), "--model", model, "--model_path", "model.pt"]
            done = subprocess.run([sys.executable, str(Path(__file__).resolve()), ONE_SEED, str(seed), *homo_args],
                                  cwd=gnn, capture_output=True, text=True)
            if done.returncode != 0:
                raise SystemExit(f"homoGNN.py, seed {seed}: {done.stderr.strip().splitlines()[-1]}")
        results.append(printed_scores(done.stdout))
        print(f"seed {seed}: " + ", ".join(f"{k} {100 * v:.2f}" for k, v in results[-1].items()), flush=True)
    return results


def main() -> None:
    if sys.argv[1:2] == [ONE_SEED]:
        return run_seed(int(sys.argv[2]), sys.argv[3:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("hgb", type=Path, help="a checkout of THUDM/HGB")
    parser.add_argument("dataset", help="an HGB link-prediction dataset id (hgb-lastfm)")
    parser.add_argument("--model", default="GAT", choices=["GAT", "GCN"])
    parser.add_argument("--seeds", default="0-4")
    parser.add_argument("--data-root")
    args = parser.parse_args()
    if not (args.hgb / "LP" / "benchmark" / "methods" / "GNN" / "homoGNN.py").is_file():
        print(f"{args.hgb}: not a checkout of THUDM/HGB (no LP/benchmark/methods/GNN/homoGNN.py)", file=sys.stderr)
        raise SystemExit(2)
    results = crosscheck(args.hgb, args.dataset, parse_seeds(args.seeds), args.model, data_root(args.data_root))
    for key in results[0]:
        values = [100 * r[key] for r in results]
        spread = statistics.stdev(values) if len(values) > 1 else 0.0
        print(f"{args.dataset} {args.model}, HGB's homoGNN.py, {len(values)} seeds: {key} "
              f"{statistics.fmean(values):.2f} ± {spread:.2f}")


if __name__ == "__main__":
    main()
