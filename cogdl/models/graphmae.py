"""GraphMAE: "GraphMAE: Self-Supervised Masked Graph Autoencoders", Hou et al., KDD 2022.

Masking (sec. 3.2): a random share `mask_rate` of the nodes, V~, is masked. Of V~, a share
`replace_rate` gets the features of random nodes, the rest the learnable token x_[M]:
    x~_i = x_[M] (or x_random) for i in V~,   x~_i = x_i otherwise.
Encoder f_E (GAT for node tasks, GIN for graph tasks):  H = f_E(A, X~)  `[N, D]`.
Re-mask (sec. 3.3):  H~ = W H  (`encoder_to_decoder`),  h~_i = 0 for i in V~.
Decoder f_D (one layer of the encoder's type):  Z = f_D(A, H~)  `[N, F]`.
Scaled cosine error (eq. 3) on the masked nodes only:
    L = 1/|V~| sum_{i in V~} (1 - x_i . z_i / (||x_i|| ||z_i||)) ^ alpha_l

Symbols: `D` = hidden_size (a GAT encoder splits it over `num_heads`), `F` the feature width,
`alpha_l` >= 1 the scaling exponent. Every encoder layer takes dropout (`dropout`) on its input
and ends with the activation (PReLU in the paper's settings); GIN layers are
MLP(Linear, norm, act, Linear) -> norm -> act, and the decoder has no final norm or activation.
NOTE: as the official code, GIN encoders see each graph with one self loop per node (so a node's
own vector enters its sum twice: (1 + eps) x_i + x_i + sum_j x_j).
Shapes: `forward(graph, x)` -> the embeddings `H` `[N, D]`; `loss(graph, x)` -> scalar.
Speed (same function): the GAT loss computes only the rows that reach it (`_needed_rows`): the
decoder's output at V~, the encoder's top layer at the kept nodes with an edge into V~, and each
layer below at the in-neighbours of the rows above. Sparse bag-of-words inputs (`SparseFeatures`)
stay sparse in the first GAT layer, whose token rows share one vector (`_first_projection`); with
a sparse target the one-head decoder's output is not formed at all (`scaled_cosine_error_of_linear`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from cogdl.config import Choice, Divisible, Interval
from cogdl.data.graph import in_neighbours, row_block
from cogdl.models.base import Model, ModelSizes, SelfSupervised, SparseInput
from cogdl.nn import GATConv, GINConv, gin_mlp
from cogdl.nn.functional import SparseFeatures, dropout, project, project_scaled_token
from cogdl.registry import register_model

ACTIVATIONS = {"prelu": nn.PReLU, "relu": nn.ReLU, "elu": nn.ELU}
NORMS = {"none": None, "batchnorm": nn.BatchNorm1d, "layernorm": nn.LayerNorm}


@dataclass
class GraphMAEConfig:
    encoder: str = field(default="gat", metadata={"help": "encoder and decoder type: gat (node tasks) or gin (graph tasks)"})
    hidden_size: int = field(default=512, metadata={"help": "embedding width D (split over the heads of a GAT encoder)"})
    num_heads: int = field(default=4, metadata={"help": "attention heads of a GAT encoder"})
    num_out_heads: int = field(default=1, metadata={"help": "attention heads of a GAT decoder"})
    num_layers: int = field(default=2, metadata={"help": "encoder layers"})
    dropout: float = field(default=0.2, metadata={"help": "dropout on each layer's input (the paper's in_drop)"})
    attn_dropout: float = field(default=0.1, metadata={"help": "dropout on GAT attention coefficients"})
    negative_slope: float = field(default=0.2, metadata={"help": "LeakyReLU slope of GAT attention scores"})
    activation: str = field(default="prelu", metadata={"help": "encoder activation: prelu, relu or elu"})
    norm: str = field(default="none", metadata={"help": "normalisation in the layers: none, batchnorm or layernorm"})
    mask_rate: float = field(default=0.5, metadata={"help": "share of nodes masked each step"})
    replace_rate: float = field(default=0.05, metadata={"help": "share of the masked nodes given a random node's features instead of the token"})
    alpha_l: float = field(default=3.0, metadata={"help": "exponent of the scaled cosine error"})

    constraints = {"encoder": Choice("gat", "gin"), "hidden_size": Interval(1), "num_heads": Interval(1),
                   "num_out_heads": Interval(1), "num_layers": Interval(1),
                   "dropout": Interval(0.0, 1.0, open_high=True), "attn_dropout": Interval(0.0, 1.0, open_high=True),
                   "negative_slope": Interval(0.0), "activation": Choice(*ACTIVATIONS), "norm": Choice(*NORMS),
                   "mask_rate": Interval(0.01, 1.0, open_high=True), "replace_rate": Interval(0.0, 1.0, open_high=True),
                   "alpha_l": Interval(1.0)}
    rules = (Divisible("hidden_size", "num_heads", when=(("encoder", "gat"),)),)


def scaled_cosine_error(reconstructed: torch.Tensor, target: torch.Tensor, alpha: float) -> torch.Tensor:
    """Eq. 3: mean over rows of (1 - cos(z_i, x_i)) ^ alpha, with norms floored at 1e-12 (as
    `F.normalize`); the cosine is formed from row sums, not from two normalised copies."""
    norms = reconstructed.norm(dim=-1).clamp_min(1e-12) * target.norm(dim=-1).clamp_min(1e-12)
    cosine = (reconstructed * target).sum(-1) / norms
    return (1 - cosine).pow(alpha).mean()


class _SquaredNormsOfLinear(torch.autograd.Function):
    @staticmethod
    def forward(ctx, inputs, weight):
        projected_gram = inputs @ (weight.t() @ weight)  # M (W^T W)
        ctx.save_for_backward(inputs, weight, projected_gram)
        return (projected_gram * inputs).sum(-1)

    @staticmethod
    def backward(ctx, grad):
        inputs, weight, projected_gram = ctx.saved_tensors
        grad_gram = inputs.t() @ (grad.unsqueeze(1) * inputs)  # sum_i g_i m_i m_i^T (symmetric)
        return 2 * grad.unsqueeze(1) * projected_gram, 2 * (weight @ grad_gram)


def squared_norms_of_linear(inputs: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """|W m_i|^2 for each row m_i of `inputs` `[R, D]` (`weight` W `[F, D]`), through the Gram
    matrix: m_i^T (W^T W) m_i. Backward reuses M W^T W: d/dm_i = 2 g_i (W^T W) m_i and
    d/dW = 2 W sum_i g_i m_i m_i^T, two `[D, D]`-sized products instead of four."""
    return _SquaredNormsOfLinear.apply(inputs, weight)


def scaled_cosine_error_of_linear(inputs: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None,
                                  target: SparseFeatures, alpha: float) -> torch.Tensor:
    """`scaled_cosine_error(inputs @ weight.T + bias, target)` for a sparse target, without forming
    the `[R, F]` reconstruction. With z_i = W m_i + b (`weight` W `[F, D]`, `inputs` m `[R, D]`):
        z_i . x_i = m_i . (W^T x_i) + b . x_i,     |z_i|^2 = m_i^T (W^T W) m_i + 2 (W^T b) . m_i + |b|^2,
    so the dense products are `[D, F] x [F, D]` and `[R, D] x [D, D]`, not `[R, D] x [D, F]`."""
    dot = (inputs * project(target, weight.t())).sum(-1)
    squared = squared_norms_of_linear(inputs, weight)
    if bias is not None:
        dot = dot + project(target, bias.unsqueeze(0)).squeeze(1)
        squared = squared + 2 * (inputs @ (weight.t() @ bias)) + bias.dot(bias)
    cosine = dot / (squared.clamp_min(1e-24).sqrt() * target.row_norms().clamp_min(1e-12))
    return (1 - cosine).pow(alpha).mean()


def init_like_dgl(conv: GATConv) -> None:
    """Initialise a GAT layer as DGL's GATConv, which the official GraphMAE code uses: Xavier
    normal with the ReLU gain sqrt(2) on the projection and both attention vectors, zero bias.
    NOTE: it matters. `experiment("ssl_node_classification", "graphmae", "cora", seeds=[0],
    epochs=300)` at commit a329f5a (`GATConv`'s own init, Xavier uniform with gain 1) gave a
    probe test accuracy of 73.0%; the same call with this init patched in gave 82.7%."""
    gain = nn.init.calculate_gain("relu")
    for p in (conv.weight, conv.att_src, conv.att_dst):
        nn.init.xavier_normal_(p, gain=gain)
    if conv.bias is not None:
        nn.init.zeros_(conv.bias)


class _Layer(nn.Module):
    """dropout -> conv -> (norm) -> (activation): one encoder or decoder layer."""

    def __init__(self, conv: nn.Module, p: float, norm: nn.Module | None, activation: nn.Module | None):
        super().__init__()
        self.conv, self.p = conv, p
        self.norm, self.activation = norm or nn.Identity(), activation or nn.Identity()

    def forward(self, graph, x):
        return self.finish(self.conv(graph, dropout(x, self.p, self.training)))

    def finish(self, h: torch.Tensor) -> torch.Tensor:
        """What follows the conv: (norm) -> (activation)."""
        return self.activation(self.norm(h))


@register_model("graphmae")
class GraphMAE(Model, SelfSupervised, SparseInput):
    """Masked feature reconstruction with a re-masked one-layer decoder; `forward` embeds."""

    Config = GraphMAEConfig
    supported_tasks = ("ssl_node_classification", "ssl_graph_classification")

    def __init__(self, config: GraphMAEConfig, sizes: ModelSizes):
        super().__init__(config, sizes)
        c, width = config, sizes.in_features
        self.embedding_dim = c.hidden_size
        self.encoder = nn.ModuleList(self._layer(width if k == 0 else c.hidden_size, c.hidden_size, encoding=True)
                                     for k in range(c.num_layers))
        self.decoder = self._layer(c.hidden_size, width, encoding=False)
        self.encoder_to_decoder = nn.Linear(c.hidden_size, c.hidden_size, bias=False)
        self.mask_token = nn.Parameter(torch.zeros(1, width))
        for module in self.modules():
            if isinstance(module, GATConv):
                init_like_dgl(module)

    def _layer(self, in_width: int, out_width: int, encoding: bool) -> _Layer:
        c = self.config
        norm = NORMS[c.norm]
        if c.encoder == "gat":
            heads = c.num_heads if encoding else c.num_out_heads
            conv = GATConv(in_width, out_width // heads if encoding else out_width, heads, encoding, c.negative_slope,
                           c.attn_dropout)
        else:
            mlp_norm = norm(c.hidden_size) if norm else nn.Identity()
            conv = GINConv(gin_mlp(in_width, c.hidden_size, out_width, mlp_norm, ACTIVATIONS[c.activation]()))
        if not encoding:
            return _Layer(conv, c.dropout, None, None)
        return _Layer(conv, c.dropout, norm(out_width) if norm else None, ACTIVATIONS[c.activation]())

    def _gin_input(self, x):
        """GIN layers take dense inputs: `SparseFeatures` (bag-of-words node features) are densified."""
        return x.to_dense() if self.config.encoder == "gin" and isinstance(x, SparseFeatures) else x

    def _graph(self, graph):
        return graph.with_self_loops() if self.config.encoder == "gin" else graph

    def forward(self, graph, x) -> torch.Tensor:
        """The embeddings `H` of dense or `SparseFeatures` inputs `x`."""
        graph, h = self._graph(graph), self._gin_input(x)
        for layer in self.encoder:
            h = layer(graph, h)
        return h

    def _draw_mask(self, n: int, device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """(masked ids V~, its token rows, its noise rows, the nodes whose features the noise rows get)."""
        num_masked = int(self.config.mask_rate * n)
        masked = torch.randperm(n, device=device)[:num_masked]
        num_noise = int(self.config.replace_rate * num_masked)
        shuffled = masked[torch.randperm(num_masked, device=device)]
        sources = torch.randperm(n, device=device)[:num_noise]
        return masked, shuffled[:num_masked - num_noise], shuffled[num_masked - num_noise:], sources

    def mask(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(the masked input X~, the masked node ids V~) of dense `x`, drawn from torch's generator."""
        masked, token_nodes, noise_nodes, sources = self._draw_mask(x.shape[0], x.device)
        return self._masked_input(x, token_nodes, noise_nodes, sources), masked

    def _masked_input(self, x: torch.Tensor, token_nodes, noise_nodes, sources) -> torch.Tensor:
        out = x.clone()
        out[token_nodes] = self.mask_token.to(x.dtype)
        out[noise_nodes] = x[sources]
        return out

    def loss(self, graph, x) -> torch.Tensor:
        """The scaled cosine error of one random mask; `x` dense or `SparseFeatures` (GAT)."""
        if self.config.encoder != "gat":
            return self.plain_loss(graph, self._gin_input(x))
        masked, token_nodes, noise_nodes, sources = self._draw_mask(x.shape[0], graph.col.device)
        target = x.gather_rows(masked) if isinstance(x, SparseFeatures) else x[masked]
        return self._gat_loss(graph, x, masked, (token_nodes, noise_nodes, sources), target)

    def plain_loss(self, graph, x: torch.Tensor) -> torch.Tensor:
        """Eq. 3 as written, for dense `x`: the whole encoder on X~, the re-mask, the whole decoder,
        the error at V~. GIN models train with it; for GAT, `loss` is the same function on fewer
        rows (tests compare the two, `cogdl bench graphmae` times them)."""
        masked_x, masked = self.mask(x)
        reconstructed = self.decoder(self._graph(graph), self._remask(self(graph, masked_x), masked))[masked]
        return scaled_cosine_error(reconstructed, x[masked], self.config.alpha_l)

    def _remask(self, h: torch.Tensor, masked: torch.Tensor) -> torch.Tensor:
        """H~ = W H with the rows of V~ zeroed; W multiplies only the other rows."""
        kept = torch.ones(h.shape[0], dtype=torch.bool, device=h.device).index_fill_(0, masked, False)
        kept = kept.nonzero().squeeze(1)
        return h.new_zeros(h.shape[0], self.config.hidden_size).index_copy(0, kept, self.encoder_to_decoder(h[kept]))

    def _needed_rows(self, graph, masked: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor]:
        """`(rows, kept_sources)`: the decoder reads H~ only at `kept_sources`, the kept nodes with
        an edge into V~ (the others never reach the loss); `rows[k]` are the node ids layer k must
        output (`rows[0]`: the first layer's inputs), as a GAT row needs its in-neighbours' (self
        included) rows of the layer below. With batchnorm every encoder row is computed (its
        statistics are over all rows)."""
        is_masked = torch.zeros(graph.num_nodes, dtype=torch.bool, device=masked.device).index_fill_(0, masked, True)
        kept_sources = in_neighbours(graph, masked)
        kept_sources = kept_sources[~is_masked[kept_sources]]
        if self.config.norm == "batchnorm":
            return [torch.arange(graph.num_nodes, device=masked.device)] * (len(self.encoder) + 1), kept_sources
        rows = [kept_sources]
        for _ in self.encoder:
            rows.insert(0, in_neighbours(graph, rows[0]))
        return rows, kept_sources

    def _gat_loss(self, graph, x, masked: torch.Tensor, draw, target) -> torch.Tensor:
        """The loss through GAT layers that compute only the rows it reads (`_needed_rows`): the
        same function as the full encoder, re-mask and decoder, with far fewer rows at the top."""
        graph = graph.with_self_loops()
        rows, kept_sources = self._needed_rows(graph, masked)
        projected = self._first_projection(x, rows[0], *draw)
        for k, layer in enumerate(self.encoder):
            h = layer.finish(layer.conv.propagate(row_block(graph, rows[k + 1], rows[k]), projected))
            if k + 1 < len(self.encoder):
                above = self.encoder[k + 1]
                projected = project(dropout(h, above.p, self.training), above.conv.weight)
        if rows[-1] is not kept_sources:  # batchnorm: all rows were computed
            h = h[kept_sources]
        hidden = dropout(self.encoder_to_decoder(h), self.decoder.p, self.training)  # decoder: no norm or activation
        conv, alpha = self.decoder.conv, self.config.alpha_l
        if conv.can_project_after(hidden):
            full = hidden.new_zeros(graph.num_nodes, hidden.shape[1]).index_copy(0, kept_sources, hidden)
            mixed = conv.aggregate_rows(graph, full, masked)
            if isinstance(target, SparseFeatures):
                return scaled_cosine_error_of_linear(mixed, conv.weight, conv.bias, target, alpha)
            reconstructed = mixed @ conv.weight.t() + (conv.bias if conv.bias is not None else 0)
        else:
            projected = project(hidden, conv.weight)
            projected = projected.new_zeros(graph.num_nodes, projected.shape[1]).index_copy(0, kept_sources, projected)
            reconstructed = conv.propagate(row_block(graph, masked), projected)
        dense_target = target.to_dense() if isinstance(target, SparseFeatures) else target
        return scaled_cosine_error(reconstructed, dense_target, alpha)

    def _first_projection(self, x, inputs: torch.Tensor, token_nodes, noise_nodes, sources) -> torch.Tensor:
        """dropout(X~) W^T of the first layer at the rows `inputs`. Sparse `x` is not made dense:
        the product of the feature rows (token rows empty) plus, on the token rows,
        `project_scaled_token` of the token with each row's dropout multipliers."""
        first = self.encoder[0]
        weight = first.conv.weight
        if not isinstance(x, SparseFeatures):
            return project(dropout(self._masked_input(x, token_nodes, noise_nodes, sources)[inputs], first.p,
                                   self.training), weight)
        index = torch.arange(x.shape[0], device=inputs.device)
        index[token_nodes] = -1
        index[noise_nodes] = sources
        projected = project(dropout(x.gather_rows(index[inputs]), first.p, self.training), weight)
        token_rows = torch.searchsorted(inputs, token_nodes)  # `inputs` is sorted; keep the tokens found in it
        token_rows = token_rows[inputs[token_rows.clamp(max=inputs.numel() - 1)] == token_nodes]
        multipliers = dropout(weight.new_ones(token_rows.numel(), x.shape[1]), first.p, self.training)
        return projected.index_add(0, token_rows, project_scaled_token(self.mask_token[0], weight, multipliers))
