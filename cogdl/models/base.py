"""The model contract: a `torch.nn.Module` built from `(Config, ModelSizes)`.

Every model declares
- `Config`: a dataclass with each hyper-parameter typed, defaulted and documented
  (`metadata={"help": ...}`), and beside it `Config.constraints` (ranges and choices as data) and
  `Config.rules` (constraints over several fields, e.g. `Divisible("hidden_size", "num_heads")`);
- `supported_tasks`: the names of the tasks it can serve;
- `__init__(self, config, sizes)`: build the layers from the config and the `ModelSizes` the task
  asks for;
- `forward(graph, x)`: `[N, sizes.out_features]` for node-level tasks;
- the abilities its tasks need, by deriving from them (checked when the model is built, by
  `check_abilities`): `GraphLevel` (a graph-level forward), `SelfSupervised` (its own loss, and
  a forward that embeds), `NodeEmbedder` (an embedding beside its forward), `Variational` (a KL
  term of its last forward), `ShallowEmbedder`
  (embeddings learned from the structure alone, by the model's own fit), `LayerWise` (mini-batches
  of sampled blocks and exact layer-by-layer inference); and `SparseInput`
  where it takes bag-of-words features sparse (every other model receives a dense `torch.Tensor`);
- optionally `parameter_groups(weight_decay)`: the optimiser's parameter groups, where the paper
  decays some weights differently from the task's `weight_decay` (default: one group).

Hyper-parameters with the same name mean the same thing in every model (`docs/extending.md`):
`hidden_size` is the width of every hidden node representation (all heads or hops together),
`num_layers` the number of message-passing layers (hops; the linear layers of the graph-free MLP),
`dropout` the dropout probability on the input of every such layer, `num_heads` the attention
heads of every hidden attention layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from cogdl.errors import ConfigError
from cogdl.nn.functional import dropout, maybe_sparse


@dataclass(frozen=True)
class ModelSizes:
    """What a task asks a model to map.

    Args:
        in_features: width `F` of the node features the model receives.
        out_features: width of its output: classes for classification, the embedding width for
            link prediction; None for self-supervised models, whose output width is their own
            (`SelfSupervised.embedding_dim`).
        num_edge_types: edge types of a typed graph (`graph.edge_type`), else 0.
        num_node_types: node types of a typed graph (`graph.node_type`), else 0.
        target_type: the node type whose rows a typed-graph task reads, if it has one.
        schema: `(edge type, source node type, destination node type)` of every link of a typed
            graph other than self loops, once each (`cogdl.nn.relations.graph_schema`).
    """

    in_features: int
    out_features: int | None
    num_edge_types: int = 0
    num_node_types: int = 0
    target_type: int | None = None
    schema: tuple[tuple[int, int, int], ...] = ()


class Model(nn.Module):
    Config: ClassVar[type]
    supported_tasks: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config, sizes: ModelSizes):
        super().__init__()
        self.config = config
        self.sizes = sizes


# -- abilities: interfaces a task may require, declared by deriving from them -----------------
class Ability:
    """An interface: the methods and attributes a model must provide to serve tasks that require it."""

    methods: ClassVar[tuple[str, ...]] = ()
    attributes: ClassVar[tuple[str, ...]] = ()


class GraphLevel(Ability):
    """`forward(graph, x, graph_index, num_graphs)` -> `[B, out_features]`: one row per graph of a
    disjoint union of graphs (`graph_index[i]` is the graph of node i)."""


class SelfSupervised(Ability):
    """`loss(graph, x)` -> its own self-supervised loss (a scalar); `forward(graph, x)` ->
    embeddings `[N, embedding_dim]`."""

    methods = ("loss",)
    attributes = ("embedding_dim",)

    def loss(self, graph, x) -> torch.Tensor:
        raise NotImplementedError


class NodeEmbedder(Ability):
    """`embed(graph, x)` -> `[N, embedding_dim]`, node embeddings for a decoder of the task (e.g. a
    link scorer), where they are more than the forward's output."""

    methods = ("embed",)
    attributes = ("embedding_dim",)

    def embed(self, graph, x) -> torch.Tensor:
        raise NotImplementedError


class Variational(Ability):
    """`kl_divergence()` -> KL(q(Z | X, A) || p(Z)) of its last forward (a scalar): a variational
    encoder (VGAE), whose task adds it, divided by the number of nodes, to the reconstruction loss."""

    methods = ("kl_divergence",)

    def kl_divergence(self) -> torch.Tensor:
        raise NotImplementedError


class ShallowEmbedder(Ability):
    """`fit_embed(graph, seed)` -> `[N, embedding_dim]`: one free vector per node learned from the
    graph's structure alone, without features or labels (DeepWalk, node2vec, LINE, NetMF, ProNE,
    HOPE). The method trains itself (walks and skip-gram, a factorisation); the task only reads
    the result."""

    methods = ("fit_embed",)
    attributes = ("embedding_dim",)

    def fit_embed(self, graph, seed: int) -> torch.Tensor:
        raise NotImplementedError


class LayerWise(Ability):
    """`message_graph(graph)` -> the graph its layers aggregate over (GCN's normalised graph with
    self loops, GAT's graph with self loops, GraphSAGE's graph itself), from which mini-batch
    blocks are sampled; `layer(k, graph, h)` -> layer k (from 0) with its dropout and activation,
    on the whole graph or on a `RowBlock` of `message_graph` (inputs `h` -> the block's rows);
    `num_layers`. Its `forward(blocks, x)` also takes a list of blocks, one per layer, first layer
    first (`cogdl.ops.sampling.sample_blocks`), `x` holding the first block's inputs."""

    methods = ("message_graph", "layer")
    attributes = ("num_layers",)

    def message_graph(self, graph):
        raise NotImplementedError

    def layer(self, k: int, graph, h: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


class SparseInput(Ability):
    """`forward(graph, x)` (and `loss`) take `x` as `cogdl.nn.functional.SparseFeatures` where the
    node features are sparse enough (at most a quarter non-zero), through `cogdl.nn.functional`'s
    `dropout` and `project`, which accept it as well as a dense tensor. A model without this ability
    always receives a dense `torch.Tensor`.

    NOTE: `SparseFeatures` is our own CSR type because it is faster here than torch's sparse CSR
    tensor for a first layer's dropout + projection, forward and backward: its transpose's
    structure is built once, where torch transposes in every backward (`cogdl bench features`,
    `docs/performance.md`)."""


def model_input(model: nn.Module, x: torch.Tensor):
    """Node features `x` as `model` takes them: `SparseFeatures` where it declares `SparseInput` and
    `x` is sparse enough (`maybe_sparse`), else the dense tensor itself."""
    return maybe_sparse(x) if isinstance(model, SparseInput) else x


def check_abilities(model: nn.Module, required: tuple[type, ...], name: str, task: str) -> None:
    """Raise ConfigError unless `model` derives from every ability in `required` and implements it."""
    for ability in required:
        if not isinstance(model, ability):
            raise ConfigError(f"model {name!r} cannot serve task {task!r}: it is not {ability.__name__} "
                              f"({ability.__doc__.split(':')[0].strip()}); derive from cogdl.models.base.{ability.__name__}")
        missing = [m for m in ability.methods if getattr(type(model), m) is getattr(ability, m)]
        missing += [a for a in ability.attributes if not isinstance(getattr(model, a, None), int)]
        if missing:
            raise ConfigError(f"model {name!r} declares {ability.__name__} but does not implement "
                              f"{', '.join(missing)} (task {task!r} needs it)")


def parameter_groups(module: nn.Module, weight_decay: float) -> list[dict]:
    """The optimiser's parameter groups of `module`: its own `parameter_groups(weight_decay)` where
    it has one (a model that decays some weights differently, e.g. GCNII), else every parameter
    with `weight_decay`."""
    own = getattr(module, "parameter_groups", None)
    return own(weight_decay) if own is not None else [{"params": list(module.parameters()), "weight_decay": weight_decay}]


def stacked_forward(layers: nn.ModuleList, graph, x, p: float, training: bool,
                    activation: Callable[[torch.Tensor], torch.Tensor] = F.relu) -> torch.Tensor:
    """`x` through `layers` with dropout `p` on every layer's input and `activation` between layers
    (not after the last): the layout of the GCN, GAT and R-GCN reference implementations. `graph`
    is one graph for every layer, or a list of blocks, one per layer (`LayerWise`)."""
    for k in range(len(layers)):
        x = dropout(x, p, training)  # a statement of its own: the previous output is let go before the layer runs
        x = stacked_layer(layers, k, graph[k] if isinstance(graph, list) else graph, x, 0.0, training, activation)
    return x


def stacked_layer(layers: nn.ModuleList, k: int, graph, x, p: float, training: bool,
                  activation: Callable[[torch.Tensor], torch.Tensor] = F.relu) -> torch.Tensor:
    """Layer `k` of `stacked_forward`: dropout on its input, the layer, the activation unless last."""
    x = layers[k](graph, dropout(x, p, training))
    return activation(x) if k < len(layers) - 1 else x
