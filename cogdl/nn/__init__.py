"""Graph layers, each built only on `cogdl.ops`."""

from cogdl.nn.appnp import appnp_propagate
from cogdl.nn.gat_conv import GATConv
from cogdl.nn.gcn_conv import GCNConv, gcn_norm, gcn_norm_graph, gcn_propagate
from cogdl.nn.gcnii_conv import GCNIIConv, gcnii_beta
from cogdl.nn.gin_conv import GINConv, gin_mlp
from cogdl.nn.han_conv import HANConv
from cogdl.nn.hgt_conv import HGTConv
from cogdl.nn.mixhop_conv import MixHopConv
from cogdl.nn.pooling import global_pool
from cogdl.nn.rgcn_conv import RGCNConv
from cogdl.nn.sage_conv import SAGEConv
from cogdl.nn.simple_hgn_conv import SimpleHGNConv
from cogdl.nn.typed_input import TypedInputProjection

__all__ = ["GCNConv", "gcn_norm", "gcn_norm_graph", "gcn_propagate", "GATConv", "GINConv", "gin_mlp", "global_pool", "RGCNConv", "SimpleHGNConv",
           "TypedInputProjection", "SAGEConv", "appnp_propagate", "GCNIIConv", "gcnii_beta", "MixHopConv",
           "HANConv", "HGTConv"]
