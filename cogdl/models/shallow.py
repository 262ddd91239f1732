"""The common base of the embedding models that learn from the graph's structure alone
(DeepWalk, node2vec, LINE, NetMF, ProNE, HOPE): one vector of `config.embedding_dim` per node from
`fit_embed(graph, seed)`, for unsupervised node classification and link prediction."""

from __future__ import annotations

from cogdl.models.base import Model, ModelSizes, ShallowEmbedder


class ShallowEmbeddingModel(Model, ShallowEmbedder):
    """A `ShallowEmbedder` whose width is its config's `embedding_dim`."""

    supported_tasks = ("unsupervised_node_classification", "link_prediction")

    def __init__(self, config, sizes: ModelSizes):
        super().__init__(config, sizes)
        self.embedding_dim = config.embedding_dim
