"""A PyTorch Geometric model as a CogDL model.

PyG's node-level models (`torch_geometric.nn.models.GraphSAGE`, `GCN`, `GAT`, `GIN`, or any module
with `forward(x, edge_index, edge_weight=None)`) map node features and an `edge_index` `[2, E]`
(row 0 sources, row 1 destinations) to `[N, out]`. `PyGAdapter` gives such a module CogDL's model
contract (`cogdl.models.base`): a subclass declares its typed `Config` and `supported_tasks` and
builds the PyG module from `(config, sizes)` in `build_pyg`; the adapter hands the module the
graph's edges as PyG expects them (computed once per graph and cached) and, where the graph has
edge weights and the module takes them, the weights.

    class PyGGraphSAGE(PyGAdapter):
        Config = SAGEConfig                      # hidden_size, num_layers, dropout, ...
        supported_tasks = ("node_classification",)

        def build_pyg(self, config, sizes):
            return torch_geometric.nn.models.GraphSAGE(sizes.in_features, config.hidden_size,
                                                       config.num_layers, sizes.out_features,
                                                       dropout=config.dropout)

`examples/plugin` publishes this one as the plugin model `example_pyg_sage`.
Shapes: `x` `[N, F]` -> `[N, sizes.out_features]`.
"""

from __future__ import annotations

import inspect

import torch
from torch import nn

from cogdl.data.pyg import edge_index
from cogdl.models.base import Model, ModelSizes


class PyGAdapter(Model):
    """Base of CogDL models that wrap a PyG module (`self.pyg`); see the module docstring."""

    def __init__(self, config, sizes: ModelSizes):
        super().__init__(config, sizes)
        self.pyg = self.build_pyg(config, sizes)
        self._takes_weight = "edge_weight" in inspect.signature(self.pyg.forward).parameters

    def build_pyg(self, config, sizes: ModelSizes) -> nn.Module:
        """The PyG module for `config`, mapping `sizes.in_features` to `sizes.out_features`."""
        raise NotImplementedError

    def forward(self, graph, x: torch.Tensor) -> torch.Tensor:
        if self._takes_weight and graph.edge_weight is not None:
            return self.pyg(x, edge_index(graph), edge_weight=graph.edge_weight)
        return self.pyg(x, edge_index(graph))
