import pytest
import torch
from torch_geometric.nn import GATConv as PyGGATConv

from cogdl.data.graph import in_neighbours, row_block
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


@pytest.mark.parametrize("bias, heads", [(True, 1), (False, 1), (True, 3)])
def test_gat_conv_rows_match_the_full_layer(bias, heads):
    """One head: projected after aggregation; several: only the rows' edges aggregated."""
    torch.manual_seed(0)
    graph, _ = random_graph(num_nodes=40, num_edges=200)
    conv = GATConv(6, 20, num_heads=heads, bias=bias)
    rows = torch.tensor([3, 0, 17, 39])
    x = torch.randn(40, 6, requires_grad=True)
    assert conv.can_project_after(x) == (heads == 1)
    fast = conv(graph, x, rows=rows)
    full = conv(graph, x)[rows]
    torch.testing.assert_close(fast, full, atol=1e-5, rtol=1e-5)
    grads = torch.autograd.grad(fast.square().sum(), [x, conv.weight, conv.att_src])
    expected = torch.autograd.grad(full.square().sum(), [x, conv.weight, conv.att_src])
    for ours, theirs in zip(grads, expected):
        torch.testing.assert_close(ours, theirs, atol=1e-4, rtol=1e-4)


def test_gat_conv_on_a_row_block_of_compact_inputs_matches_the_full_layer():
    torch.manual_seed(1)
    graph, _ = random_graph(num_nodes=50, num_edges=120)
    looped = graph.with_self_loops()
    conv = GATConv(5, 4, num_heads=2)
    rows = torch.tensor([2, 9, 30])
    inputs = in_neighbours(looped, rows)
    assert inputs.numel() < 50 and torch.isin(rows, inputs).all()
    x = torch.randn(50, 5, requires_grad=True)
    block = conv.propagate(row_block(looped, rows, inputs), x[inputs] @ conv.weight.t())
    full = conv(graph, x)[rows]
    torch.testing.assert_close(block, full)
    for ours, theirs in zip(torch.autograd.grad(block.sum(), [x, conv.att_dst]),
                            torch.autograd.grad(full.sum(), [x, conv.att_dst])):
        torch.testing.assert_close(ours, theirs)