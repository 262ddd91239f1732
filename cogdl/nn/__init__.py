"""Graph layers, each built only on `cogdl.ops`."""

from cogdl.nn.gat_conv import GATConv
from cogdl.nn.gcn_conv import GCNConv, gcn_norm, gcn_propagate
from cogdl.nn.rgcn_conv import RGCNConv
from cogdl.nn.simple_hgn_conv import SimpleHGNConv
from cogdl.nn.typed_input import TypedInputProjection

__all__ = ["GCNConv", "gcn_norm", "gcn_propagate", "GATConv", "RGCNConv", "SimpleHGNConv", "TypedInputProjection"]
