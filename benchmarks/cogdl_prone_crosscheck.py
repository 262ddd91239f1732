"""Run CogDL's own ProNE of a past commit on a network-embedding set and evaluate it as its task did.

Evidence for a leaderboard reference that the entry does not meet: does the reference's own code,
on our copy of the data, give the published number? The script takes that code as a file, read
from a checkout of THUDM/cogdl (nothing of it is kept here):

    git -C cogdl show 0df1e28:cogdl/models/emb/prone.py > prone_0df1e28.py
    python benchmarks/cogdl_prone_crosscheck.py prone_0df1e28.py blogcatalog --step 10 --mu 0.2

It builds the graph as CogDL's task of the time did (a networkx graph of the `.mat` file's edges
with their weights), calls the model's `train(G)`, places each node's row by its id, and scores
like `UnsupervisedNodeClassification._evaluate` there: `--evaluations` times, the mean Micro-F1 of
`--shuffles` unseeded shuffles, the first 90% of each training scikit-learn's one-vs-rest
`LogisticRegression(solver="liblinear")`, each test node given its k most probable labels. The
file's `from .. import BaseModel, register_model` is served by a stand-in package (`object`, a
no-op decorator), so the file runs unchanged.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import types

import networkx as nx
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.utils import shuffle

from cogdl.metrics import f1_score
from cogdl.protocols.base import load_dataset
from cogdl.tasks.unsupervised_node_classification import top_k_predictions


def load_reference_model(path: str) -> type:
    """The `ProNE` class of the file at `path`, its relative import answered by a stand-in package."""
    package = types.ModuleType("reference")
    package.__path__ = []
    package.BaseModel, package.register_model = object, lambda name: (lambda cls: cls)
    subpackage = types.ModuleType("reference.emb")
    subpackage.__path__ = []
    sys.modules.update({"reference": package, "reference.emb": subpackage})
    spec = importlib.util.spec_from_file_location("reference.emb.prone", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ProNE


def reference_embedding(model_cls: type, dataset_id: str, step: int, mu: float, theta: float, dim: int) -> np.ndarray:
    graph = load_dataset(dataset_id).graph
    weight = np.ones(graph.num_edges) if graph.edge_weight is None else graph.edge_weight.numpy()
    nx_graph = nx.Graph()
    nx_graph.add_weighted_edges_from(zip(graph.row.tolist(), graph.col.tolist(), weight.tolist()))
    vectors = model_cls(dim, step, mu, theta).train(nx_graph)
    placed = np.zeros((graph.num_nodes, dim))
    placed[list(nx_graph.nodes())] = vectors
    return placed


def liblinear_micro_f1(embeddings: np.ndarray, labels: np.ndarray, shuffles: int, train_ratio: float = 0.9) -> float:
    labelled = labels.sum(1) > 0
    x_all, y_all = embeddings[labelled], labels[labelled]
    scores = []
    for _ in range(shuffles):
        x, y = shuffle(x_all, y_all)
        cut = int(train_ratio * len(x))
        classifier = OneVsRestClassifier(LogisticRegression(solver="liblinear")).fit(x[:cut], y[:cut])
        predicted = top_k_predictions(classifier.predict_proba(x[cut:]), y[cut:].sum(1))
        scores.append(f1_score(y[cut:] > 0, predicted, "micro"))
    return float(np.mean(scores))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_file", help="CogDL's cogdl/models/emb/prone.py of the commit to check")
    parser.add_argument("dataset", help="a network-embedding dataset id (blogcatalog, ppi-ne, wikipedia)")
    parser.add_argument("--step", type=int, default=10)
    parser.add_argument("--mu", type=float, default=0.2)
    parser.add_argument("--theta", type=float, default=0.5)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--shuffles", type=int, default=5)
    parser.add_argument("--evaluations", type=int, default=1)
    args = parser.parse_args()
    embeddings = reference_embedding(load_reference_model(args.model_file), args.dataset, args.step, args.mu,
                                     args.theta, args.dim)
    labels = load_dataset(args.dataset).graph.y.numpy().astype(np.int64)
    for _ in range(args.evaluations):
        print(f"{args.dataset} step {args.step} mu {args.mu}: Micro-F1 over {args.shuffles} shuffles "
              f"{100 * liblinear_micro_f1(embeddings, labels, args.shuffles):.2f}", flush=True)


if __name__ == "__main__":
    main()
