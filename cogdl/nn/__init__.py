"""Graph layers, each built only on `cogdl.ops`."""

from cogdl.nn.gat_conv import GATConv
from cogdl.nn.gcn_conv import GCNConv, gcn_norm

__all__ = ["GCNConv", "gcn_norm", "GATConv"]
