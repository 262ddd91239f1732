import pytest
import torch
from torch_geometric.nn import GATConv as PyGGATConv

from cogdl.nn import GATConv
from graphs import random_graph


@pytest.mark.parametrize("concat", [True, False])
def test_gat_conv_matches_pyg_with_same_weights(concat):
    torch.manual_seed(0)
    graph, edge_index = random_graph()
    x = torch.randn(graph.num_nodes, 16)
    ours = GATConv(16, 8, num_heads=3, concat=concat, negative_slope=0.2)
    theirs = PyGGATConv(16, 8, heads=3, concat=concat, negative_slope=0.2)
    with torch.no_grad():
        theirs.lin.weight.copy_(ours.weight)
        theirs.att_src.copy_(ours.att_src)
        theirs.att_dst.copy_(ours.att_dst)
        ours.bias.copy_(torch.randn_like(ours.bias))
        theirs.bias.copy_(ours.bias)
    ours.eval(), theirs.eval()
    torch.testing.assert_close(ours(graph, x), theirs(x, edge_index), atol=1e-5, rtol=1e-5)


def test_gat_conv_attention_dropout_only_in_training():
    torch.manual_seed(0)
    graph, _ = random_graph()
    conv = GATConv(4, 2, num_heads=2, attn_dropout=0.5)
    x = torch.randn(graph.num_nodes, 4)
    conv.eval()
    torch.testing.assert_close(conv(graph, x), conv(graph, x))
    conv.train()
    assert not torch.allclose(conv(graph, x), conv(graph, x))
