"""Unsupervised node classification: DeepWalk's protocol for node embeddings, as CogDL ran it.

Perozzi, Al-Rfou & Skiena, "DeepWalk", KDD 2014, sec. 5 (and node2vec, LINE, NetMF, ProNE after it):
1. The model learns one vector per node from the graph alone (`ShallowEmbedder.fit_embed`),
   used as it is (`normalize_embeddings=true` L2-normalises the rows first; that changes the
   classifier's effective regularisation: node2vec on PPI at 90% gives 22.83 Micro-F1 raw, 24.95
   normalised, and CogDL's published 22.97 was raw).
2. For each of `num_shuffles` seeded shuffles of the nodes, the first `train_ratio` of them train a
   one-vs-rest L2-regularised logistic regression, one binary classifier per label,
       min_{w_c, b_c}  ||w_c||^2 / 2 + C sum_i log(1 + exp(-s_ic (w_c . x_i + b_c))),  s_ic = ±1,
   (scikit-learn's `LogisticRegression(C)` objective, CogDL's classifier); every other node tests.
   All labels are solved at once by L-BFGS in float64 (`fit_one_vs_rest`): the problem is strictly
   convex, so this is scikit-learn's optimum (tested), found some 20x faster.
3. A test node with k true labels is predicted the k labels of highest probability (top-k), so the
   number of labels is given, as in the papers; Micro- and Macro-F1 over the test nodes.
Metrics: `test_micro_f1`, `test_macro_f1` (means over the shuffles), `embed_seconds`. There is no
validation split: nothing is selected, so hyper-parameter search is not offered.
Multi-label throughout: a single-label dataset (`NodeSplitDataset`) is read as one label per node
(its own split is ignored). `save_embeddings` writes the embeddings as `.npy` (`{seed}` in the path
is replaced by the run seed); `load_embeddings` evaluates such a file again instead of training
(the model named is recorded as the one that made it).
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from cogdl.config import Interval
from cogdl.data.atomic import staged_file
from cogdl.data.dataset import DatasetInfo, LabelledGraphDataset, NodeSplitDataset
from cogdl.data.graph import Graph
from cogdl.errors import DataError
from cogdl.metrics import f1_score
from cogdl.models.base import ModelSizes, ShallowEmbedder
from cogdl.registry import register_task
from cogdl.tasks.base import SeedContext, Task


@dataclass
class UnsupervisedNodeClassificationConfig:
    train_ratio: float = field(default=0.1, metadata={"help": "share of the nodes that train the classifier (0.1, 0.5, 0.9 in the papers)"})
    num_shuffles: int = field(default=10, metadata={"help": "seeded shuffles of the nodes the classifier is evaluated over"})
    c: float = field(default=1.0, metadata={"help": "inverse L2 regularisation C of the logistic regression"})
    normalize_embeddings: bool = field(default=False, metadata={"help": "L2-normalise each node's embedding first (CogDL and DeepWalk did not)"})
    save_embeddings: str = field(default="", metadata={"help": "write the embeddings to this .npy file ({seed}: the run seed)"})
    load_embeddings: str = field(default="", metadata={"help": "evaluate the embeddings of this .npy file ({seed}: the run seed) instead of training"})

    constraints = {"train_ratio": Interval(0.0, 1.0, open_low=True, open_high=True), "num_shuffles": Interval(1),
                   "c": Interval(0.0, open_low=True)}


def as_multilabel(dataset) -> LabelledGraphDataset:
    """A single-graph dataset with `[N, C]` 0/1 targets (a single-label one: a 1 at each node's class;
    unlabelled nodes are dropped from evaluation by having no label)."""
    graph = dataset.graph
    if graph.y.dim() == 2:
        return LabelledGraphDataset(info=dataset.info, graph=graph)
    labelled = graph.y >= 0
    y = torch.zeros(graph.num_nodes, dataset.info.num_classes)
    y[labelled.nonzero().squeeze(1), graph.y[labelled]] = 1.0
    info = DatasetInfo(dataset.info.name, dataset.info.num_features, dataset.info.num_classes, multi_label=True,
                       metric="micro_f1")
    return LabelledGraphDataset(info=info, graph=Graph(graph.rowptr, graph.col, graph.edge_weight, y=y))


def top_k_predictions(probabilities: np.ndarray, label_counts: np.ndarray) -> np.ndarray:
    """`[n, C]` 0/1 predictions: each row's `label_counts[i]` most probable labels."""
    order = np.argsort(-probabilities, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(probabilities.shape[1])[None, :].repeat(len(order), 0), axis=1)
    return (ranks < label_counts[:, None]).astype(np.int64)


def fit_one_vs_rest(x: np.ndarray, labels: np.ndarray, c: float) -> tuple[torch.Tensor, torch.Tensor]:
    """`(W [D, C], b [C])` minimising the objective of the module docstring for every label column."""
    x_t = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float64))
    sign = torch.from_numpy(np.where(labels, 1.0, -1.0))
    weight = torch.zeros(x.shape[1], labels.shape[1], dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(labels.shape[1], dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([weight, bias], lr=1, max_iter=500, tolerance_grad=1e-5, tolerance_change=1e-10,
                                  history_size=20, line_search_fn="strong_wolfe")

    def objective():
        optimizer.zero_grad()
        loss = 0.5 * (weight * weight).sum() + c * torch.nn.functional.softplus(-sign * (x_t @ weight + bias)).sum()
        loss.backward()
        return loss

    optimizer.step(objective)
    return weight.detach(), bias.detach()


def evaluate_embeddings(embeddings: np.ndarray, labels: np.ndarray, config, seed: int) -> dict[str, float]:
    """Mean Micro-/Macro-F1 over `config.num_shuffles` seeded shuffles (module docstring, steps 2-3)."""
    nodes = np.flatnonzero(labels.sum(1) > 0)
    rng = np.random.default_rng(seed)
    micro, macro = [], []
    for _ in range(config.num_shuffles):
        order = rng.permutation(nodes)
        cut = int(round(config.train_ratio * order.size))
        train, test = order[:cut], order[cut:]
        present = labels[train].sum(0) > 0  # a label no training node has cannot be learned
        weight, bias = fit_one_vs_rest(embeddings[train], labels[train][:, present], config.c)
        probabilities = np.zeros((test.size, labels.shape[1]))
        scores = torch.from_numpy(np.ascontiguousarray(embeddings[test], dtype=np.float64)) @ weight + bias
        probabilities[:, present] = torch.sigmoid(scores).numpy()
        predicted = top_k_predictions(probabilities, labels[test].sum(1).astype(np.int64))
        micro.append(f1_score(labels[test], predicted, "micro"))
        macro.append(f1_score(labels[test], predicted, "macro"))
    return {"test_micro_f1": float(np.mean(micro)), "test_macro_f1": float(np.mean(macro))}


def save_embeddings(path_template: str, seed: int, embeddings: np.ndarray) -> Path:
    """Write `embeddings` as `.npy` (complete or not at all) to the path, `{seed}` replaced."""
    target = embeddings_path(path_template, seed)
    buffer = io.BytesIO()
    np.save(buffer, embeddings)
    with staged_file(target) as handle:
        handle.write(buffer.getvalue())
    return target


def embeddings_path(path_template: str, seed: int) -> Path:
    return Path(path_template.replace("{seed}", str(seed))).expanduser()


def load_embeddings(path_template: str, seed: int, num_nodes: int) -> torch.Tensor:
    """The `[num_nodes, d]` float array of the `.npy` file; a DataError naming the file otherwise."""
    path = embeddings_path(path_template, seed)
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot read a .npy array ({exc})") from None
    if array.ndim != 2 or array.shape[0] != num_nodes or not np.issubdtype(array.dtype, np.floating):
        raise DataError(f"{path}: expected a floating-point array of {num_nodes} rows (one per node), "
                        f"found shape {list(array.shape)} of {array.dtype}")
    return torch.from_numpy(array)


@register_task("unsupervised_node_classification")
class UnsupervisedNodeClassification(Task):
    """Embeddings learned without labels, then one-vs-rest logistic regression over seeded shuffles."""

    Config = UnsupervisedNodeClassificationConfig
    accepts = (LabelledGraphDataset, NodeSplitDataset)  # the first is the contract checks' tiny dataset
    requires = (ShallowEmbedder,)
    quick_config = {"num_shuffles": 2, "train_ratio": 0.5}

    def prepare(self, dataset, config) -> LabelledGraphDataset:
        return as_multilabel(dataset)

    def model_sizes(self, prepared: LabelledGraphDataset, config) -> ModelSizes:
        return ModelSizes(0, None)

    def epochs_per_seed(self, config) -> int:
        return 1

    def run(self, model, prepared: LabelledGraphDataset, config, context: SeedContext) -> dict[str, float]:
        graph = prepared.graph
        started = time.perf_counter()
        if config.load_embeddings:
            embeddings = load_embeddings(config.load_embeddings, context.seed, graph.num_nodes)
        else:
            embeddings = context.output_check("one row per node, embedding_dim columns")(
                model.fit_embed(graph, context.seed), (graph.num_nodes, model.embedding_dim))
        seconds = time.perf_counter() - started
        vectors = embeddings.detach().cpu().double().numpy()
        if config.save_embeddings:
            save_embeddings(config.save_embeddings, context.seed, vectors.astype(np.float32))
        if config.normalize_embeddings:
            vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        if context.progress is not None:
            context.progress.update(1)
        metrics = evaluate_embeddings(vectors, graph.y.numpy() > 0, config, context.seed) if context.evaluate_test else {}
        return {**metrics, "embed_seconds": seconds}
