"""ValidUtil on Cora: tune pseudo-labels of the validation nodes on validation accuracy, then train
GCN with them and compare its public-split test accuracy with the honest GCN's.

    python examples/validutil.py [--nodes 500] [--seeds 0-9] [--labels FILE] [--data-root DIR]

Step 2 (the search) trains 500 x 7 GCNs for 400 epochs, batched by node (`cogdl.benchmarks.validutil`);
`--labels FILE` reuses the pseudo-labels a previous run saved there (it is written when absent).
What the numbers mean: docs/validutil.md.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch

from cogdl.benchmarks.validutil import ValidUtilConfig, search_pseudo_labels, with_pseudo_labels
from cogdl.config import resolve
from cogdl.data.dataset import NodeSplitDataset
from cogdl.data.graph import Graph
from cogdl.data.root import data_root
from cogdl.experiment import parse_seeds
from cogdl.models.gcn import GCN
from cogdl.protocols.base import run_once, seed_everything
from cogdl.registry import DATASETS
from cogdl.tasks.base import SeedContext
from cogdl.tasks.node_classification import NodeClassification

#: step 3's GCN on Cora, IGB's `validutil/final_scripts.sh` (selection on the validation loss, patience 10)
FINAL = {"hidden_size": 32, "lr": 0.005, "dropout": 0.1, "weight_decay": 1e-4, "select_on": "loss", "patience": 10}


def test_accuracies(prepared: NodeSplitDataset, seeds: list[int]) -> list[float]:
    """Test accuracy (%) of step 3's GCN on the prepared dataset, one run per seed."""
    task = NodeClassification()
    resolved = resolve(GCN.Config, task.Config, [("validutil", FINAL)])
    return [100 * run_once(task, "node_classification", GCN, "gcn", resolved, prepared, SeedContext(seed))["test_acc"]
            for seed in seeds]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=500, help="validation nodes to search (default all 500)")
    parser.add_argument("--seeds", default="0-9", help="seeds of step 3's GCN runs (default 0-9)")
    parser.add_argument("--labels", type=Path, help="file of pseudo-labels to reuse, or to write")
    parser.add_argument("--data-root")
    args = parser.parse_args()
    task = NodeClassification()
    cora = DATASETS.get("cora")(data_root(args.data_root))
    raw = Graph(cora.graph.rowptr, cora.graph.col, x=cora.graph.x.clone(), y=cora.graph.y, masks=cora.graph.masks)
    cora = task.prepare(cora, task.Config())  # step 3 row-normalises the features, the search does not (as IGB's code)
    graph, val = cora.graph, cora.graph.masks["val"]
    if args.labels is not None and args.labels.exists():
        pseudo = torch.tensor([int(v) for v in args.labels.read_text().split()])
        print(f"pseudo-labels read from {args.labels}")
    else:
        seed_everything(3)
        started = time.perf_counter()

        def report(i: int, label: int, accuracy: float) -> None:
            if (i + 1) % 50 == 0:
                print(f"  {i + 1} nodes searched, {time.perf_counter() - started:.0f} s", flush=True)

        initial, pseudo = search_pseudo_labels(raw, cora.info.num_classes, ValidUtilConfig(), args.nodes, report)
        truth = graph.y[val]
        print(f"search: {args.nodes} nodes in {time.perf_counter() - started:.0f} s; initial labels agree with the "
              f"truth on {100 * (initial == truth).float().mean():.1f}% of validation nodes, pseudo-labels on "
              f"{100 * (pseudo == truth).float().mean():.1f}%")
        if args.labels is not None:
            args.labels.write_text(" ".join(str(int(v)) for v in pseudo) + "\n")
    seeds = parse_seeds(args.seeds)
    honest = test_accuracies(cora, seeds)
    tuned = test_accuracies(NodeSplitDataset(info=cora.info, graph=with_pseudo_labels(graph, pseudo)), seeds)
    for name, values in (("GCN, public split", honest), ("GCN + ValidUtil pseudo-labels", tuned)):
        print(f"{name}: test accuracy {statistics.fmean(values):.2f} ± {statistics.stdev(values):.2f} "
              f"(seeds {args.seeds}, n={len(values)})")


if __name__ == "__main__":
    main()
