"""HAN and HGT: metapath graphs against path enumeration, both layers against their equations edge
by edge in float64, metapath settings checked against the graph, and both models on HGB ACM."""

import itertools

import pytest
import torch
import torch.nn.functional as F

import cogdl
from cogdl.data.hetero_graph import HeteroGraph, Relation
from cogdl.errors import ConfigError
from cogdl.models.base import ModelSizes
from cogdl.models.han import HAN
from cogdl.nn import GATConv, HANConv, HGTConv
from cogdl.nn.relations import graph_schema, metapath_graph, type_metapath_graph, type_metapath_neighbours, type_rows


def typed_graph(seed: int = 0):
    """Types a (8 nodes), b (6), c (4): a->b (0), b->a (1), b->c (2), c->b (3), a->a (4)."""
    g = torch.Generator().manual_seed(seed)
    counts, offsets = [8, 6, 4], [0, 8, 14]

    def links(s, d, n):
        return (offsets[s] + torch.randint(0, counts[s], (n,), generator=g),
                offsets[d] + torch.randint(0, counts[d], (n,), generator=g))

    ab, bc, aa = links(0, 1, 16), links(1, 2, 10), links(0, 0, 9)
    relations = [Relation(0, "a-b", 0, 1, *ab), Relation(1, "b-a", 1, 0, ab[1], ab[0]),
                 Relation(2, "b-c", 1, 2, *bc), Relation(3, "c-b", 2, 1, bc[1], bc[0]), Relation(4, "a-a", 0, 0, *aa)]
    return HeteroGraph(["a", "b", "c"], counts, [None] * 3, relations).to_homogeneous()


def edge_set(graph):
    return {(int(s), int(d)) for s, d in zip(graph.col, graph.row)}


def links_of(graph, keep):
    return {(int(s), int(d)) for s, d, k in zip(graph.col, graph.row, keep) if k}


def test_metapath_graph_holds_exactly_the_pairs_joined_by_a_path():
    graph = typed_graph()
    rows = type_rows(graph, 3)[0]
    steps = [links_of(graph, graph.edge_type == r) for r in (0, 2, 3, 1)]
    reach = {(j, i) for j, i in itertools.product(range(graph.num_nodes), repeat=2)
             if any((j, m1) in steps[0] and (m1, m2) in steps[1] and (m2, m3) in steps[2] and (m3, i) in steps[3]
                    for m1 in range(8, 14) for m2 in range(14, 18) for m3 in range(8, 14))}
    assert edge_set(metapath_graph(graph, (0, 2, 3, 1), rows)) == reach  # a-b-c-b-a, local ids = global for a


def test_default_metapaths_are_a_a_and_a_b_a_over_all_links_between_the_types():
    graph = typed_graph(1)
    schema = graph_schema(graph)
    assert type_metapath_neighbours(schema, 0) == [0, 1]  # a links to c only through b
    rows = type_rows(graph, 3)[0]
    not_loop = graph.row != graph.col
    a_a = links_of(graph, not_loop & (graph.node_type[graph.col] == 0) & (graph.node_type[graph.row] == 0))
    assert edge_set(type_metapath_graph(graph, 0, 0, rows)) == a_a
    a_b = links_of(graph, (graph.node_type[graph.col] == 0) & (graph.node_type[graph.row] == 1))
    b_a = links_of(graph, (graph.node_type[graph.col] == 1) & (graph.node_type[graph.row] == 0))
    expected = {(j, i) for j, m in a_b for m2, i in b_a if m == m2}
    assert edge_set(type_metapath_graph(graph, 0, 1, rows)) == expected


def test_han_conv_is_per_metapath_gat_then_semantic_attention():
    torch.manual_seed(0)
    graph = typed_graph()
    rows = type_rows(graph, 3)[0]
    graphs = [metapath_graph(graph, (0, 1), rows), type_metapath_graph(graph, 0, 0, rows)]
    conv = HANConv(5, 3, 2, len(graphs), semantic_hidden=4).eval()
    x = torch.randn(8, 5)
    z = torch.stack([F.elu(gat(g, x)) for gat, g in zip(conv.convs, graphs)], 1).double()
    lin, q = conv.semantic[0], conv.semantic[2]
    w = torch.stack([(torch.tanh(z[:, p] @ lin.weight.double().t() + lin.bias.double()) @ q.weight.double().t()).mean()
                     for p in range(2)])
    beta = torch.softmax(w, 0)
    expected = beta[0] * z[:, 0] + beta[1] * z[:, 1]
    torch.testing.assert_close(conv(graphs, x).double(), expected, atol=1e-6, rtol=1e-5)
    assert all(isinstance(gat, GATConv) for gat in conv.convs)


def dense_hgt(conv: HGTConv, graph, h):
    """HGTConv's equations edge by edge in float64 (eval mode: no dropout)."""
    heads, d = conv.num_heads, conv.head_dim
    node_type = graph.node_type
    lin = lambda typed, i: typed[int(node_type[i])](h[i]).double().view(heads, d)  # noqa: E731
    out = torch.zeros(graph.num_nodes, heads * d, dtype=torch.float64)
    for i in range(graph.num_nodes):
        t = int(node_type[i])
        total, into = torch.zeros(heads, d, dtype=torch.float64), 0
        for r in conv.relations:
            ends = {(s, dd) for rr, s, dd in graph_schema(graph) if rr == r}
            into += any(dd == t for _, dd in ends)
            sources = [int(j) for j, i2, e in zip(graph.col, graph.row, graph.edge_type) if int(i2) == i and int(e) == r]
            if not sources:
                continue
            q = lin(conv.query, i)
            scores = torch.stack([(torch.einsum("hd,hde->he", lin(conv.key, j), conv.relation_att[r].double()) * q).sum(-1)
                                  * conv.relation_prior[r].double() / d ** 0.5 for j in sources])
            alpha = torch.softmax(scores, 0)
            messages = torch.stack([torch.einsum("hd,hde->he", lin(conv.value, j), conv.relation_msg[r].double())
                                    for j in sources])
            total += (alpha.unsqueeze(-1) * messages).sum(0)
        mixed = total.reshape(-1) / max(into, 1)
        a = conv.out[t]
        gate = torch.sigmoid(conv.skip[t].double())
        y = (mixed @ a.weight.double().t() + a.bias.double()) * gate + h[i].double() * (1 - gate)
        if conv.norms is not None:
            norm = conv.norms[t]
            y = F.layer_norm(y, y.shape, norm.weight.double(), norm.bias.double(), norm.eps)
        out[i] = y
    return out


@pytest.mark.parametrize("use_norm", [False, True])
def test_hgt_conv_matches_its_equations_edge_by_edge(use_norm):
    torch.manual_seed(0)
    graph = typed_graph()
    conv = HGTConv(8, 2, 3, graph_schema(graph), use_norm=use_norm).eval()
    with torch.no_grad():
        conv.relation_prior.uniform_(0.5, 1.5)
        conv.skip.uniform_(-1, 1)
    h = torch.randn(graph.num_nodes, 8)
    torch.testing.assert_close(conv(graph, h).double(), dense_hgt(conv, graph, h), atol=1e-5, rtol=1e-5)


def test_hgt_relation_matrices_start_as_hgb_initialises_them():
    """Xavier-uniform over the whole [R, H, d, d] tensor (HGB's model.py): bound sqrt(6 / (H d d + R d d))."""
    torch.manual_seed(0)
    conv = HGTConv(64, 8, 3, [(r, r % 3, (r + 1) % 3) for r in range(6)])
    bound = (6 / (8 * 8 * 8 + 6 * 8 * 8)) ** 0.5
    for matrices in (conv.relation_att, conv.relation_msg):
        assert matrices.shape == (6, 8, 8, 8)
        assert bound * 0.99 < matrices.abs().max().item() <= bound  # 3,072 draws reach the bound's last 1%


def test_hgt_leaves_out_self_loops_and_averages_the_edge_types_into_each_type():
    graph = typed_graph()
    conv = HGTConv(8, 2, 3, graph_schema(graph))
    # to_homogeneous: R = 5 relations, self loops are type 5, the reverse of a-a (not in the data) type 10
    assert conv.relations == [0, 1, 2, 3, 4, 10]
    assert conv.relations_into_type.tolist() == [3.0, 2.0, 1.0]  # a <- b-a, a-a, reverse a-a; b <- a-b, c-b; c <- b-c


@pytest.mark.parametrize("metapaths, message", [
    ("0-x", "not a metapath"),
    ("0-2", "metapath 0-2 ends at node type 2, not at the target type 0"),
    ("2-3", "edge type 2 leaves node type 1"),
    ("0-9", "no links of edge type 9"),
])
def test_han_refuses_metapaths_the_graph_cannot_walk(metapaths, message):
    graph = typed_graph()
    sizes = ModelSizes(5, 3, graph.num_edge_types, 3, 0, graph_schema(graph))
    with pytest.raises(ConfigError, match=message):
        HAN(HAN.Config(metapaths=metapaths), sizes)


def test_cli_names_a_bad_metapath_in_one_line(cli, data_root, tmp_path):
    status, _, err = cli("train", "--task", "hetero_node_classification", "--model", "han", "--dataset", "hgb-acm",
                         "--data-root", str(data_root), "--out", str(tmp_path), "--set", "metapaths=2-5")
    assert status == 2 and len(err.strip().splitlines()) == 1
    assert "metapath 2-5: edge type 5 leaves node type 2, but the path is at node type 1" in err
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("model, settings", [
    ("han", dict(metapaths="2-3,4-5", feats_type=1, lr=0.005, weight_decay=0.001, input_dim=64)),
    ("hgt", dict(feats_type=0, lr=0.005, input_dim=64)),
])
def test_han_and_hgt_learn_hgb_acm(data_root, model, settings):
    result = cogdl.experiment("hetero_node_classification", model, "hgb-acm", [0], out=None, data_root=data_root,
                              epochs=25, **settings)
    assert result.summary["test_macro_f1"]["mean"] > 0.8  # three classes; chance ~0.33
