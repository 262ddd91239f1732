"""Link prediction on one homogeneous graph: a seeded random edge split (GAE's protocol).

Kipf & Welling, "Variational Graph Auto-Encoders", NeurIPS 2016 Bayesian Deep Learning workshop.
Split (`cogdl.benchmarks.edge_split`): `val_ratio` / `test_ratio` of the undirected edges (5% / 10%)
are held out of the message-passing graph; as many non-edges validate and test with them.
Scoring: the inner product of the two nodes' embeddings, sigma(z_u . z_v).
- A trained encoder (any node model: its `embed` where it is a `NodeEmbedder`, else its output of
  width `embedding_size`; GAE and VGAE are 2-layer GCNs) minimises a reconstruction loss, plus,
  for a `Variational` model (VGAE), its KL term over the number of nodes. `select_on` picks the
  weights tested (default `last`: those after all epochs, as the paper reports; `acc`: the epoch
  of best validation ROC-AUC). `reconstruction`:
  `full` (the paper's): the weighted cross-entropy over all N^2 node pairs, the training edges
  and self-loops positive (P of them), weighted so positives and negatives count alike,
      L = N^2 / (2 (N^2 - P)) * mean_ij [ w y_ij (-log sigma(z_i.z_j)) + (1 - y_ij)(-log(1 - sigma(z_i.z_j))) ],
      w = (N^2 - P) / P   (O(N^2) per epoch: graphs up to some 10^4 nodes);
  `sampled`: the balanced cross-entropy of the training edges against as many non-edges of the
  training graph, redrawn each epoch (O(E), for larger graphs).
- A `ShallowEmbedder` (node2vec, ProNE, ...) embeds the training graph once; nothing is fitted.
Metrics: ROC-AUC, average precision and Hits@K (`hits_k`; the share of test edges above the K-th
best test non-edge) on `val` and `test`. Nodes without features get one-hot ids (`[N, N]`).
Each seed's `split.json` holds the held-out edge ids, the negatives and their sha256.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from cogdl.benchmarks.edge_split import EdgeSplit, random_edge_split, training_non_edges
from cogdl.benchmarks.hgb import split_record
from cogdl.config import Choice, Interval
from cogdl.data.dataset import SINGLE_GRAPH_SHAPES
from cogdl.metrics import average_precision, hits_at_k, roc_auc
from cogdl.models.base import ModelSizes, NodeEmbedder, ShallowEmbedder, Variational, model_input
from cogdl.registry import register_task
from cogdl.tasks.base import SeedContext, Task
from cogdl.tasks.node_classification import row_normalize
from cogdl.trainer import loop_fields


@dataclass
class LinkPredictionConfig(loop_fields(epochs=200, lr=0.01, weight_decay=0.0, select_on="last")):
    val_ratio: float = field(default=0.05, metadata={"help": "share of the undirected edges that validate"})
    test_ratio: float = field(default=0.10, metadata={"help": "share of the undirected edges that test"})
    embedding_size: int = field(default=16, metadata={"help": "output width of encoders that are not NodeEmbedders"})
    hits_k: int = field(default=50, metadata={"help": "K of Hits@K"})
    normalize_features: bool = field(default=False, metadata={"help": "divide each feature row by its sum"})
    reconstruction: str = field(default="full", metadata={"help": "full: all N^2 pairs (the paper's); sampled: edges against as many non-edges"})

    constraints = {"val_ratio": Interval(0.0, 1.0, open_low=True, open_high=True),
                   "test_ratio": Interval(0.0, 1.0, open_low=True, open_high=True), "embedding_size": Interval(1),
                   "hits_k": Interval(1), "reconstruction": Choice("full", "sampled")}


def link_metrics(z: torch.Tensor, positive: torch.Tensor, negative: torch.Tensor, split: str, k: int) -> dict[str, float]:
    """`{split}_roc_auc`, `{split}_ap`, `{split}_hits@{k}` of inner-product scores."""
    pos = (z[positive[0]] * z[positive[1]]).sum(-1).cpu()
    neg = (z[negative[0]] * z[negative[1]]).sum(-1).cpu()
    scores, labels = torch.cat([pos, neg]), torch.cat([torch.ones_like(pos), torch.zeros_like(neg)])
    return {f"{split}_roc_auc": roc_auc(labels, scores), f"{split}_ap": average_precision(labels, scores),
            f"{split}_hits@{k}": hits_at_k(pos, neg, k)}


def full_reconstruction_loss(z: torch.Tensor, positive: torch.Tensor) -> torch.Tensor:
    """The `full` loss of the module docstring; `positive` `[2, P]` lists each positive entry (both
    directions of every edge and the diagonal). Uses sum_ij softplus(l_ij) over all pairs, then
    corrects the positive entries: no `[N, N]` label matrix."""
    n2 = float(z.shape[0]) ** 2
    num_positive = positive.shape[1]
    weight, norm = (n2 - num_positive) / num_positive, n2 / (2 * (n2 - num_positive))
    total = F.softplus(z @ z.T).sum()
    logits = (z[positive[0]] * z[positive[1]]).sum(-1)
    total = total + (weight * F.softplus(-logits) - F.softplus(logits)).sum()
    return norm * total / n2


def sampled_reconstruction_loss(z: torch.Tensor, train: torch.Tensor, negative: torch.Tensor) -> torch.Tensor:
    """The `sampled` loss: mean binary cross-entropy of the `train` pairs (label 1) and `negative` (0)."""
    logits = torch.cat([(z[train[0]] * z[train[1]]).sum(-1), (z[negative[0]] * z[negative[1]]).sum(-1)])
    labels = torch.cat([torch.ones(train.shape[1]), torch.zeros(negative.shape[1])]).to(logits.device)
    return F.binary_cross_entropy_with_logits(logits, labels)


@register_task("link_prediction")
class LinkPrediction(Task):
    """Held-out edges against as many non-edges, scored by the inner product of node embeddings."""

    Config = LinkPredictionConfig
    accepts = SINGLE_GRAPH_SHAPES
    search_metric = "val_roc_auc"
    quick_config = {"epochs": 3, "embedding_size": 8, "val_ratio": 0.1, "test_ratio": 0.2, "hits_k": 5}

    def prepare(self, dataset, config: LinkPredictionConfig):
        graph = dataset.graph
        x = graph.x if graph.x is not None else torch.eye(graph.num_nodes)
        if config.normalize_features:
            x = row_normalize(x)
        return type(dataset)(info=dataset.info, graph=graph.with_node_fields(x=x))

    def model_sizes(self, prepared, config: LinkPredictionConfig) -> ModelSizes:
        return ModelSizes(prepared.graph.x.shape[1], config.embedding_size)

    def epochs_per_seed(self, config) -> int:
        return config.epochs

    def run(self, model, prepared, config: LinkPredictionConfig, context: SeedContext) -> dict[str, float]:
        split = random_edge_split(prepared.graph, context.seed, config.val_ratio, config.test_ratio)
        record = split_record(val=split.val_ids, test=split.test_ids, val_negative=split.val_negative,
                              test_negative=split.test_negative)
        context.artifacts["split.json"] = json.dumps(record) + "\n"
        splits = ("val", "test") if context.evaluate_test else ("val",)
        if isinstance(model, ShallowEmbedder):
            z = context.output_check("one row per node, embedding_dim columns")(
                model.fit_embed(split.graph, context.seed), (prepared.graph.num_nodes, model.embedding_dim)).detach()
            if context.progress is not None:
                context.progress.update(config.epochs)
            return {k: v for s in splits for k, v in self._evaluate(z, split, s, config).items()}
        return self._train(model, split, config, context, splits)

    def _evaluate(self, z, split: EdgeSplit, part: str, config) -> dict[str, float]:
        negative = split.val_negative if part == "val" else split.test_negative
        return link_metrics(z, getattr(split, part).to(z.device), negative.to(z.device), part, config.hits_k)

    def _train(self, model, split: EdgeSplit, config, context: SeedContext, splits) -> dict[str, float]:
        trainer = context.trainer(config)
        graph = trainer.place(split.graph)
        x = model_input(model, graph.x)
        dim = model.embedding_dim if isinstance(model, NodeEmbedder) else config.embedding_size
        check = context.output_check("node embeddings: one row per node, embedding_dim (NodeEmbedder) or "
                                     "embedding_size columns")
        train = split.train.to(trainer.device)
        loops = torch.arange(graph.num_nodes, device=trainer.device)
        positive = torch.cat([train, train.flip(0), torch.stack([loops, loops])], dim=1)
        rng = np.random.default_rng(context.seed)

        def embed():
            return check(model.embed(graph, x) if isinstance(model, NodeEmbedder) else model(graph, x),
                         (graph.num_nodes, dim))

        def train_epoch(optimizer) -> float:
            optimizer.zero_grad()
            z = embed()
            if config.reconstruction == "full":
                loss = full_reconstruction_loss(z, positive)
            else:
                negative = training_non_edges(split, train.shape[1], rng).to(trainer.device)
                loss = sampled_reconstruction_loss(z, train, negative)
            if isinstance(model, Variational):
                loss = loss + model.kl_divergence() / graph.num_nodes
            loss.backward()
            optimizer.step()
            return loss.item()

        def validate() -> tuple[float, float]:
            metrics = self._evaluate(embed(), split, "val", config)
            return metrics["val_roc_auc"], -metrics["val_roc_auc"]

        outcome = trainer.fit(model, train_epoch, validate)
        with torch.no_grad():
            z = embed()
        metrics = {k: v for s in splits for k, v in self._evaluate(z, split, s, config).items()}
        return {**metrics, "best_epoch": outcome.best_epoch, "epochs_run": outcome.epochs_run,
                "fit_seconds": outcome.seconds}
