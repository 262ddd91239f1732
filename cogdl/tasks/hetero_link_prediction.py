"""Link prediction on a heterogeneous graph with HGB's protocol (Lv, Ding et al., KDD 2021).

Target link types: those of `link.dat.test`; for `feats_type` 1 and 2 the "target" node type is
the head type of the first of them. Per run seed, 10% of each target type's links
validate (the first link of every head stays in training); the rest, with every other link type,
form the training graph (`cogdl.benchmarks.hgb`). The model embeds nodes (`model.embed` when it
has one, else its output of width `embedding_size`); a decoder scores a link (h, r, t):
    distmult: sum_d e_h[d] * w_r[d] * e_t[d]        dot: sum_d e_h[d] * e_t[d]
Loss: binary cross-entropy on the training positives and one random tail of the right type per
positive, redrawn each epoch. With `link_batch_size` B > 0 (HGB's `homoGNN.py`, the code of its
paper's GCN and GAT link rows, trains so: B = 1024), each step, and so each "epoch" of the loop,
takes the next B / 2 positives of a shuffled pass with their negatives, drawn once per pass.
Selection: validation ROC-AUC (negatives drawn once per run).
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
from cogdl.data.dataset import HeteroLinkDataset
from cogdl.data.hetero_graph import HeteroGraph, Relation
from cogdl.metrics import mrr_per_head, roc_auc
from cogdl.models.base import ModelSizes, NodeEmbedder
from cogdl.nn.typed_input import TypedInputProjection, TypedInputs, hgb_input_features
from cogdl.registry import register_task
from cogdl.tasks.base import SeedContext, Task
from cogdl.trainer import loop_fields

DECODERS = ("distmult", "dot")


@dataclass
class HeteroLinkPredictionConfig(loop_fields(epochs=300, patience=40, lr=5e-4, weight_decay=1e-4, select_on="acc")):
    feats_type: int = field(default=3, metadata={"help": "HGB input features: 0 all, 1 target + zeros, 2 target + one-hot ids, 3 one-hot ids"})
    input_dim: int = field(default=64, metadata={"help": "width of the per-type input projection"})
    embedding_size: int = field(default=64, metadata={"help": "output width of models that are not NodeEmbedders"})
    decoder: str = field(default="distmult", metadata={"help": "link scorer: distmult or dot"})
    val_ratio: float = field(default=0.1, metadata={"help": "share of each target link type that validates"})
    link_batch_size: int = field(default=0, metadata={"help": "links per step, positives and negatives together "
                                                             "(an epoch is then one step); 0: all, every step"})

    constraints = {"feats_type": Choice(0, 1, 2, 3), "input_dim": Interval(1), "embedding_size": Interval(1),
                   "decoder": Choice(*DECODERS), "val_ratio": Interval(0.01, 0.99), "link_batch_size": Interval(0)}


@dataclass(frozen=True)
class TypedLinkData:
    """A prepared HGB link dataset: the target link types, the inputs, and the typed graph's edge types."""

    dataset: HeteroLinkDataset
    target_types: list[int]
    inputs: TypedInputs
    num_edge_types: int


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
        return self.model.embed(graph, x) if isinstance(self.model, NodeEmbedder) else self.model(graph, x)

    def score(self, z: torch.Tensor, heads: torch.Tensor, tails: torch.Tensor, link_type: int) -> torch.Tensor:
        product = z[heads] * z[tails]
        if self.relation is not None:
            product = product * self.relation[self.slot[link_type]]
        return product.sum(-1)


def link_batches(links: dict[int, tuple[torch.Tensor, torch.Tensor]], tail_ranges: dict[int, range], positives: int):
    """Endless (links, negatives) batches of `positives` training links over all target types: each pass
    shuffles the links and draws one random tail of the right type per link, once for the pass."""
    types = torch.cat([torch.full((links[r][0].numel(),), r) for r in links])
    heads, tails = (torch.cat([links[r][k] for r in links]) for k in (0, 1))
    while True:
        negative = torch.cat([random_tails(links[r][0].numel(), tail_ranges[r]) for r in links])  # in `types` order
        order = torch.randperm(types.numel())
        for start in range(0, order.numel(), positives):
            batch = order[start:start + positives]
            kinds, batch_heads, batch_tails, batch_negative = types[batch], heads[batch], tails[batch], negative[batch]
            of_type = {r: kinds == r for r in links}
            yield ({r: (batch_heads[of_type[r]], batch_tails[of_type[r]]) for r in links},
                   {r: batch_negative[of_type[r]] for r in links})


@register_task("hetero_link_prediction")
class HeteroLinkPrediction(Task):
    """HGB link prediction: learn on `link.dat`, test `link.dat.test` under 2-hop and random negatives."""

    Config = HeteroLinkPredictionConfig
    accepts = (HeteroLinkDataset,)
    quick_config = {"epochs": 3, "input_dim": 8, "embedding_size": 8}

    def prepare(self, dataset: HeteroLinkDataset, config: HeteroLinkPredictionConfig) -> TypedLinkData:
        hetero = dataset.graph
        target_types = sorted(dataset.test_links)
        head_type = hetero.relation(target_types[0]).src_type
        inputs = hgb_input_features(hetero.features, hetero.counts, head_type, config.feats_type)
        return TypedLinkData(dataset, target_types, inputs, hetero.to_homogeneous().num_edge_types)

    def model_sizes(self, prepared: TypedLinkData, config: HeteroLinkPredictionConfig) -> ModelSizes:
        return ModelSizes(config.input_dim, config.embedding_size, prepared.num_edge_types)

    def run(self, model, prepared: TypedLinkData, config: HeteroLinkPredictionConfig, context: SeedContext):
        dataset, target_types, seed = prepared.dataset, prepared.target_types, context.seed
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
        trainer = context.trainer(config)
        train_graph = HeteroGraph(hetero.node_type_names, hetero.counts, hetero.features, relations)
        graph = trainer.place(train_graph.to_homogeneous())
        tail_ranges = {r: hetero.type_range(hetero.relation(r).dst_type) for r in target_types}
        val_negatives = {r: random_tails(val_links[r][0].numel(), tail_ranges[r]) for r in target_types}
        parts = {f"{part}_{r}": torch.stack(links[r]) for part, links in (("train", train_links), ("val", val_links))
                 for r in target_types}
        context.artifacts["split.json"] = json.dumps(split_record(**parts)) + "\n"

        dim = model.embedding_dim if isinstance(model, NodeEmbedder) else config.embedding_size
        net = trainer.place(LinkScorer(prepared.inputs.projection(config.input_dim), model, dim, target_types,
                                       config.decoder))
        inputs, device = trainer.place(prepared.inputs).features, trainer.device
        check = context.output_check("node embeddings: one row per node of the typed graph, "
                                     "embedding_dim (NodeEmbedder) or embedding_size columns")

        def scored(z, links, negatives):
            logits, labels = [], []
            for r in target_types:
                heads, tails = links[r]
                for candidate_tails, label in ((tails, 1.0), (negatives[r], 0.0)):
                    logits.append(net.score(z, heads.to(device), candidate_tails.to(device), r))
                    labels.append(torch.full((heads.numel(),), label, device=device))
            return torch.cat(logits), torch.cat(labels)

        def all_links():
            while True:
                yield train_links, {r: random_tails(train_links[r][0].numel(), tail_ranges[r]) for r in target_types}

        steps = (link_batches(train_links, tail_ranges, max(1, config.link_batch_size // 2)) if config.link_batch_size
                 else all_links())

        def train_epoch(optimizer) -> float:
            optimizer.zero_grad()
            links, negatives = next(steps)
            logits, labels = scored(check(net.embed(graph, inputs), (graph.num_nodes, dim)), links, negatives)
            loss = F.binary_cross_entropy_with_logits(logits, labels)
            loss.backward()
            optimizer.step()
            return loss.item()

        def validate() -> tuple[float, float]:
            logits, labels = scored(net.embed(graph, inputs), val_links, val_negatives)
            return roc_auc(labels, logits), F.binary_cross_entropy_with_logits(logits, labels).item()

        outcome = trainer.fit(net, train_epoch, validate)
        with torch.no_grad():
            z = net.embed(graph, inputs)
            val_logits, val_labels = scored(z, val_links, val_negatives)
        metrics = {"val_roc_auc": roc_auc(val_labels, val_logits)}
        known = [(rel.src, rel.dst) for rel in hetero.relations] + list(dataset.test_links.values())
        exported = {}
        for protocol in NEGATIVE_PROTOCOLS:
            aucs, mrrs = [], []
            for r in target_types:
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
        if context.export_predictions:
            rows = [(h, t, r, s) for (h, t, r), s in sorted(exported.items())]
            context.predictions[submission_name(dataset.info.name, seed)] = link_submission(rows)
        metrics.update(best_epoch=outcome.best_epoch, epochs_run=outcome.epochs_run, fit_seconds=outcome.seconds)
        return metrics
