"""GAE and VGAE: graph auto-encoders with a GCN encoder and an inner-product decoder.

Kipf & Welling, "Variational Graph Auto-Encoders", NeurIPS 2016 Bayesian Deep Learning workshop.
    GAE:   Z = GCN(X, A) = Â ReLU(Â X W0) W1,                 Â_rec = sigma(Z Z^T)
    VGAE:  mu = Â ReLU(Â X W0) W_mu,  log sigma = Â ReLU(Â X W0) W_sigma  (W0 shared),
           Z = mu + sigma * eps (eps ~ N(0, I)) in training, Z = mu in evaluation;
           loss = reconstruction - KL(q(Z | X, A) || N(0, I)) / N.
The decoder and the reconstruction loss are the `link_prediction` task's. Paper settings: 32
hidden and 16 latent units, Adam with lr 0.01 for 200 epochs, no dropout, no biases.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from cogdl.config import Interval
from cogdl.models.base import Model, ModelSizes, SparseInput, Variational
from cogdl.models.gcn import GCN, GCNConfig
from cogdl.nn import GCNConv
from cogdl.nn.functional import dropout
from cogdl.registry import register_model


@dataclass
class GAEConfig(GCNConfig):
    hidden_size: int = field(default=32, metadata={"help": "width of the hidden GCN layer"})
    dropout: float = field(default=0.0, metadata={"help": "dropout probability on each layer's input"})
    bias: bool = field(default=False, metadata={"help": "learnable bias in every layer (the paper's code has none)"})


@register_model("gae")
class GAE(GCN):
    """A GCN encoder (the paper's: 2 layers, 32 hidden, no dropout) for the inner-product decoder."""

    Config = GAEConfig
    supported_tasks = ("link_prediction",)


@dataclass
class VGAEConfig:
    hidden_size: int = field(default=32, metadata={"help": "width of the shared hidden GCN layer"})
    dropout: float = field(default=0.0, metadata={"help": "dropout probability on each layer's input"})

    constraints = {"hidden_size": Interval(1), "dropout": Interval(0.0, 1.0, open_high=True)}


@register_model("vgae")
class VGAE(Model, SparseInput, Variational):
    """A variational GCN encoder: Gaussian latents whose means score links in evaluation."""

    Config = VGAEConfig
    supported_tasks = ("link_prediction",)

    def __init__(self, config: VGAEConfig, sizes: ModelSizes):
        super().__init__(config, sizes)
        self.hidden = GCNConv(sizes.in_features, config.hidden_size, bias=False)
        self.mu = GCNConv(config.hidden_size, sizes.out_features, bias=False)
        self.log_std = GCNConv(config.hidden_size, sizes.out_features, bias=False)
        self._kl = None

    def forward(self, graph, x) -> torch.Tensor:
        h = F.relu(self.hidden(graph, dropout(x, self.config.dropout, self.training)))
        h = dropout(h, self.config.dropout, self.training)
        mu, log_std = self.mu(graph, h), self.log_std(graph, h).clamp(max=10)
        self._kl = -0.5 * torch.mean(torch.sum(1 + 2 * log_std - mu ** 2 - log_std.exp() ** 2, dim=1))
        if not self.training:
            return mu
        return mu + torch.randn_like(mu) * log_std.exp()

    def kl_divergence(self) -> torch.Tensor:
        return self._kl
