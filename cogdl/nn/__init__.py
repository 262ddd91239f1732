"""Graph layers, each built only on `cogdl.ops`."""

from cogdl.nn.gat_conv import GATConv
from cogdl.nn.gcn_conv import GCNConv, gcn_norm, gcn_propagate
from cogdl.nn.gin_conv import GINConv, gin_mlp
from cogdl.nn.pooling import global_pool
from cogdl.nn.rgcn_conv import RGCNConv
from cogdl.nn.simple_hgn_conv import SimpleHGNConv
from cogdl.nn.typed_input import TypedInputProjection

__all__ = ["GCNConv", "gcn_norm", "gcn_propagate", "GATConv", "GINConv", "gin_mlp", "global_pool", "RGCNConv", "SimpleHGNConv", "TypedInputProjection"]
