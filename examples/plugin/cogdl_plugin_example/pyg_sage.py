"""PyG's GraphSAGE as a CogDL model, through `cogdl.models.pyg_adapter.PyGAdapter`.

"Inductive Representation Learning on Large Graphs", Hamilton, Ying & Leskovec, NeurIPS 2017.
Per node (mean aggregator, PyG's `SAGEConv`):
    h_i^{l+1} = W_1 h_i^l + W_2 mean_{j in N(i)} h_j^l
with ReLU and dropout between layers (`torch_geometric.nn.models.GraphSAGE`, whose code runs here).
Symbols: `W_1`, `W_2` `[F_l, F_{l+1}]` per layer; `num_layers` layers of width `hidden_size`.
Shapes: `x` `[N, F]` -> logits `[N, C]`.
NOTE: the model is PyG's own; only the config and the call are CogDL's. `cogdl.models.graphsage`
is CogDL's GraphSAGE on its own kernels.
"""

from dataclasses import dataclass, field

from torch_geometric.nn.models import GraphSAGE

from cogdl.config import Interval
from cogdl.models.base import ModelSizes
from cogdl.models.pyg_adapter import PyGAdapter


@dataclass
class PyGGraphSAGEConfig:
    hidden_size: int = field(default=64, metadata={"help": "width of each hidden layer"})
    num_layers: int = field(default=2, metadata={"help": "SAGEConv layers"})
    dropout: float = field(default=0.5, metadata={"help": "dropout after each hidden layer"})

    constraints = {"hidden_size": Interval(1), "num_layers": Interval(1),
                   "dropout": Interval(0.0, 1.0, open_high=True)}


class PyGGraphSAGE(PyGAdapter):
    """`torch_geometric.nn.models.GraphSAGE` (mean aggregation) for node classification."""

    Config = PyGGraphSAGEConfig
    supported_tasks = ("node_classification",)

    def build_pyg(self, config: PyGGraphSAGEConfig, sizes: ModelSizes):
        return GraphSAGE(sizes.in_features, config.hidden_size, config.num_layers, sizes.out_features,
                         dropout=config.dropout)
