"""Link prediction on a heterogeneous graph with HGB's protocol (Lv, Ding et al., KDD 2021).

Target link types: those of `link.dat.test`; for `feats_type` 1 and 2 the "target" node type is
the head type of the first of them. Per run seed, 10% of each target type's links
validate (the first link of every head stays in training); the rest, with every other link type,
form the training graph (`cogdl.benchmarks.hgb`). The model embeds nodes (`model.embed` when it
has one, else its output of width `embedding_size`); a decoder scores a link (h, r, t):
    distmult: sum_d e_h[d] * w_r[d] * e_t[d]        dot: sum_d e_h[d] * e_t[d]
Loss: binary cross-entropy on the training positives and one random tail of the right type per
positive, redrawn each epoch. Selection: validation ROC-AUC (negatives drawn once per run).
Test: ROC-AUC and MRR (per head node) under HGB's "2hop" and "random" negatives (seed 1), each
averaged over the target link types: `test_roc_auc_2hop`, `test_mrr_2hop`, `..._random`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from cogdl.benchmarks.hgb import (NEGATIVE_PROTOCOLS, hgb_link_split, link_submission, link_test_candidates,
                                  random_tails, split_record, submission_name)
from cogdl.config import Choice, Interval
from cogdl.data.dataset import DatasetInfo
from cogdl.data.hetero_graph import HeteroGraph, Relation
from cogdl.errors import DataError
from cogdl.metrics import mrr_per_head, roc_auc
from cogdl.nn.typed_input import TypedInputProjection, hgb_input_features, move_inputs
from cogdl.registry import register_task
from cogdl.tasks.base import Task
from cogdl.trainer import SELECTION_RULES, fit

DECODERS = ("distmult", "dot")


@dataclass
class HeteroLinkPredictionConfig:
    epochs: int = field(default=300, metadata={"help": "maximum training epochs"})
    patience: int = field(default=40, metadata={"help": "epochs without validation improvement before stopping"})
    lr: float = field(default=5e-4, metadata={"help": "Adam learning rate"})
    weight_decay: float = field(default=1e-4, metadata={"help": "L2 weight decay (Adam)"})
    feats_type: int = field(default=3, metadata={"help": "HGB input features: 0 all, 1 target + zeros, 2 target + one-hot ids, 3 one-hot ids"})
    input_dim: int = field(default=64, metadata={"help": "width of the per-type input projection"})
    embedding_size: int = field(default=64, metadata={"help": "output width of models without their own embed()"})
    decoder: str = field(default="distmult", metadata={"help": "link scorer: distmult or dot"})
    val_ratio: float = field(default=0.1, metadata={"help": "share of each target link type that validates"})
    select_on: str = field(default="acc", metadata={"help": "model selection rule on validation (cogdl.trainer; score = ROC-AUC)"})

    constraints = {"epochs": Interval(1), "patience": Interval(1), "lr": Interval(0.0), "weight_decay": Interval(0.0),
                   "feats_type": Choice(0, 1, 2, 3), "input_dim": Interval(1), "embedding_size": Interval(1),
                   "decoder": Choice(*DECODERS), "val_ratio": Interval(0.01, 0.99), "select_on": Choice(*SELECTION_RULES)}


class LinkScorer(nn.Module):
    """Input projection, the model as encoder, and a DistMult or dot decoder over target types."""

    def __init__(self, projection: TypedInputProjection, model: nn.Module, dim: int, target_types: list[int],
                 decoder: str):
        super().__init__()
        self.projection, self.model, self.decoder = projection, model, decoder
        self.slot = {r: k for k, r in enumerate(target_types)}
        self.relation = nn.Parameter(torch.empty(len(target_types), dim)) if decoder == "distmult" else None
        if self.relation is not None:
            nn.init.xavier_normal_(self.relation, gain=1.414)

    def embed(self, graph, inputs: list) -> torch.Tensor:
        x = self.projection(inputs)
        return self.model.embed(graph, x) if hasattr(self.model, "embed") else self.model(graph, x)

    def score(self, z: torch.Tensor, heads: torch.Tensor, tails: torch.Tensor, link_type: int) -> torch.Tensor:
        product = z[heads] * z[tails]
        if self.relation is not None:
            product = product * self.relation[self.slot[link_type]]
        return product.sum(-1)


@register_task("hetero_link_prediction")
class HeteroLinkPrediction(Task):
    """HGB link prediction: learn on `link.dat`, test `link.dat.test` under 2-hop and random negatives."""

    Config = HeteroLinkPredictionConfig

    def prepare(self, dataset, config: HeteroLinkPredictionConfig):
        if getattr(dataset, "kind", None) != "link":
            raise DataError(f"dataset {dataset.info.name!r} is not an HGB link prediction dataset "
                            "(hetero_link_prediction needs link.dat.test)")
        hetero = dataset.graph
        dataset.target_types = sorted(dataset.test_links)
        head_type = hetero.relation(dataset.target_types[0]).src_type
        dataset.inputs, dataset.in_dims, dataset.one_hot = hgb_input_features(
            hetero.features, hetero.counts, head_type, config.feats_type)
        num_edge_types = hetero.to_homogeneous().num_edge_types
        dataset.info = DatasetInfo(dataset.info.name, config.input_dim, config.embedding_size,
                                   metric="roc_auc", num_edge_types=num_edge_types)
        return dataset

    def run(self, model, dataset, config: HeteroLinkPredictionConfig, device, progress=None, context=None):
        seed = context.seed if context else 0
        hetero: HeteroGraph = dataset.graph
        train_links, val_links = {}, {}
        relations = []
        for rel in hetero.relations:
            if rel.id in dataset.test_links:
                keep, held = hgb_link_split(rel.src, rel.dst, seed, config.val_ratio)
                train_links[rel.id] = (rel.src[keep], rel.dst[keep])
                val_links[rel.id] = (rel.src[held], rel.dst[held])
                rel = Relation(rel.id, rel.name, rel.src_type, rel.dst_type, rel.src[keep], rel.dst[keep])
            relations.append(rel)
        train_graph = HeteroGraph(hetero.node_type_names, hetero.counts, hetero.features, relations)
        graph = train_graph.to_homogeneous().to(device)
        tail_ranges = {r: hetero.type_range(hetero.relation(r).dst_type) for r in dataset.target_types}
        val_negatives = {r: random_tails(val_links[r][0].numel(), tail_ranges[r]) for r in dataset.target_types}
        if context is not None:
            parts = {f"{part}_{r}": torch.stack(links[r]) for part, links in (("train", train_links), ("val", val_links))
                     for r in dataset.target_types}
            context.artifacts["split.json"] = json.dumps(split_record(**parts)) + "\n"

        dim = getattr(model, "embedding_dim", dataset.info.num_classes)
        net = LinkScorer(TypedInputProjection(dataset.in_dims, dataset.one_hot, config.input_dim), model, dim,
                         dataset.target_types, config.decoder).to(device)
        inputs = move_inputs(dataset.inputs, device)
        optimizer = torch.optim.Adam(net.parameters(), lr=config.lr, weight_decay=config.weight_decay)

        def scored(z, links, negatives):
            logits, labels = [], []
            for r in dataset.target_types:
                heads, tails = links[r]
                for candidate_tails, label in ((tails, 1.0), (negatives[r], 0.0)):
                    logits.append(net.score(z, heads.to(device), candidate_tails.to(device), r))
                    labels.append(torch.full((heads.numel(),), label, device=device))
            return torch.cat(logits), torch.cat(labels)

        def train_step() -> float:
            optimizer.zero_grad()
            negatives = {r: random_tails(train_links[r][0].numel(), tail_ranges[r]) for r in dataset.target_types}
            logits, labels = scored(net.embed(graph, inputs), train_links, negatives)
            loss = F.binary_cross_entropy_with_logits(logits, labels)
            loss.backward()
            optimizer.step()
            return loss.item()

        def validate() -> tuple[float, float]:
            logits, labels = scored(net.embed(graph, inputs), val_links, val_negatives)
            return roc_auc(labels, logits), F.binary_cross_entropy_with_logits(logits, labels).item()

        outcome = fit(net, train_step, validate, config.epochs, config.patience, progress, config.select_on)
        with torch.no_grad():
            z = net.embed(graph, inputs)
            val_logits, val_labels = scored(z, val_links, val_negatives)
        metrics = {"val_roc_auc": roc_auc(val_labels, val_logits)}
        known = [(rel.src, rel.dst) for rel in hetero.relations] + list(dataset.test_links.values())
        exported = {}
        for protocol in NEGATIVE_PROTOCOLS:
            aucs, mrrs = [], []
            for r in dataset.target_types:
                heads, tails, labels = link_test_candidates(protocol, *dataset.test_links[r], tail_ranges[r], known,
                                                            hetero.num_nodes)
                with torch.no_grad():
                    scores = torch.sigmoid(net.score(z, heads.to(device), tails.to(device), r)).cpu()
                aucs.append(roc_auc(labels, scores))
                mrrs.append(mrr_per_head(heads, labels, scores))
                for h, t, s in zip(heads.tolist(), tails.tolist(), scores.tolist()):
                    exported[(h, t, r)] = s
            metrics[f"test_roc_auc_{protocol}"] = sum(aucs) / len(aucs)
            metrics[f"test_mrr_{protocol}"] = sum(mrrs) / len(mrrs)
        if context is not None and context.export_predictions:
            rows = [(h, t, r, s) for (h, t, r), s in sorted(exported.items())]
            context.predictions[submission_name(dataset.info.name, seed)] = link_submission(rows)
        metrics.update(best_epoch=outcome.best_epoch, epochs_run=outcome.epochs_run, fit_seconds=outcome.seconds)
        return metrics
