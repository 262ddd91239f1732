"""Simple-HGN and R-GCN layers against independent references (a dense loop; PyG's RGCNConv)."""

import pytest
import torch
from torch_geometric.nn import RGCNConv as PyGRGCNConv

from cogdl.data.hetero_graph import HeteroGraph, Relation
from cogdl.nn import RGCNConv, SimpleHGNConv, TypedInputProjection


def typed_graph(seed: int = 0):
    """Three node types, three relations, reverse types and self loops (`to_homogeneous`)."""
    g = torch.Generator().manual_seed(seed)
    counts = [15, 10, 5]
    offsets = [0, 15, 25]
    relations = []
    for r, (s, d, n) in enumerate([(0, 1, 40), (1, 2, 20), (0, 0, 30)]):
        src = offsets[s] + torch.randint(0, counts[s], (n,), generator=g)
        dst = offsets[d] + torch.randint(0, counts[d], (n,), generator=g)
        relations.append(Relation(r, f"r{r}", s, d, src, dst))
    return HeteroGraph(["a", "b", "c"], counts, [None] * 3, relations).to_homogeneous()


def dense_simple_hgn(conv: SimpleHGNConv, graph, x, previous=None):
    """The layer's equation edge by edge, in float64."""
    h = (x.double() @ conv.weight.weight.double().t()).view(-1, conv.num_heads, conv.out_channels)
    edge_term = conv.edge_type_scores().double()
    out = torch.zeros_like(h)
    alpha_all = torch.zeros(graph.num_edges, conv.num_heads, dtype=torch.float64)
    for i in range(graph.num_nodes):
        lo, hi = int(graph.rowptr[i]), int(graph.rowptr[i + 1])
        if lo == hi:
            continue
        j = graph.col[lo:hi].long()
        s = (h[j] * conv.att_src.double()).sum(-1) + (h[i] * conv.att_dst.double()).sum(-1) \
            + edge_term[graph.edge_type[lo:hi]]
        alpha = torch.softmax(torch.nn.functional.leaky_relu(s, conv.negative_slope), 0)
        if previous is not None:
            alpha = alpha * (1 - conv.beta) + previous[lo:hi].double() * conv.beta
        alpha_all[lo:hi] = alpha
        out[i] = (alpha.unsqueeze(-1) * h[j]).sum(0)
    if conv.residual is not None:
        out = out + conv.residual(x).double().view_as(out)
    return out, alpha_all


@pytest.mark.parametrize("residual", [False, True])
def test_simple_hgn_conv_matches_dense_reference(residual):
    torch.manual_seed(0)
    graph = typed_graph()
    conv = SimpleHGNConv(12, 4, 3, graph.num_edge_types, 6, negative_slope=0.05, residual=residual, beta=0.1)
    conv.eval()
    x = torch.randn(graph.num_nodes, 12)
    out, attention = conv(graph, x)
    expected, expected_attention = dense_simple_hgn(conv, graph, x)
    torch.testing.assert_close(out.double(), expected, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(attention.double(), expected_attention, atol=1e-6, rtol=1e-5)
    previous = torch.rand(graph.num_edges, 3)
    out2, _ = conv(graph, x, previous)
    torch.testing.assert_close(out2.double(), dense_simple_hgn(conv, graph, x, previous)[0], atol=1e-5, rtol=1e-5)


def test_simple_hgn_conv_fused_path_equals_composed_path():
    torch.manual_seed(1)
    graph = typed_graph(1)
    conv = SimpleHGNConv(8, 5, 2, graph.num_edge_types, 4)
    conv.eval()
    x = torch.randn(graph.num_nodes, 8, requires_grad=True)
    fused, none = conv(graph, x, return_attention=False)
    composed, _ = conv(graph, x, return_attention=True)
    assert none is None
    torch.testing.assert_close(fused, composed, atol=1e-5, rtol=1e-5)
    grads = [torch.autograd.grad(o.square().sum(), [x, conv.edge_embedding.weight]) for o in
             (conv(graph, x, return_attention=False)[0], conv(graph, x, return_attention=True)[0])]
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4)


def test_simple_hgn_conv_one_head_layer_takes_the_head_mean_of_previous_attention():
    torch.manual_seed(2)
    graph = typed_graph(2)
    conv = SimpleHGNConv(6, 3, 1, graph.num_edge_types, 4, beta=0.3)
    conv.eval()
    x, previous = torch.randn(graph.num_nodes, 6), torch.rand(graph.num_edges, 4)
    out, _ = conv(graph, x, previous)
    torch.testing.assert_close(out, conv(graph, x, previous.mean(1, keepdim=True))[0])


@pytest.mark.parametrize("num_bases", [0, 2])
def test_rgcn_conv_matches_pyg_with_same_weights(num_bases):
    torch.manual_seed(0)
    graph = typed_graph()
    ours = RGCNConv(6, 5, graph.num_edge_types, num_bases)
    theirs = PyGRGCNConv(6, 5, graph.num_edge_types, num_bases=num_bases or None, aggr="mean")
    with torch.no_grad():
        theirs.weight.copy_(ours.basis)
        if num_bases:
            theirs.comp.copy_(ours.coefficients)
        theirs.root.copy_(ours.self_weight)
        ours.bias.copy_(torch.randn(5))
        theirs.bias.copy_(ours.bias)
    x = torch.randn(graph.num_nodes, 6)
    edge_index = torch.stack([graph.col, graph.row])
    torch.testing.assert_close(ours(graph, x), theirs(x, edge_index, graph.edge_type), atol=1e-5, rtol=1e-5)


def test_typed_input_projection_one_hot_equals_identity_features():
    torch.manual_seed(0)
    projection = TypedInputProjection([3, 4], [False, True], 5)
    features = torch.randn(2, 3)
    out = projection([features, None])
    explicit = torch.cat([projection.layers[0](features), projection.layers[1](torch.eye(4))])
    torch.testing.assert_close(out, explicit)
