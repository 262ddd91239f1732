"""H2GCN: the contract, the rounds against their definition, and widths as the paper gives them."""

import torch

import cogdl
from cogdl.models.base import ModelSizes
from cogdl.models.h2gcn import H2GCN, h2gcn_rounds
from cogdl.nn.hop_graphs import exact_hop_graphs
from cogdl.testing import check_model
from graphs import dense_adjacency, random_graph


def test_h2gcn_meets_the_model_contract():
    check_model("h2gcn")


def test_each_round_concatenates_the_one_and_two_hop_aggregations():
    graph, _ = random_graph(num_nodes=25, num_edges=80)
    r0 = torch.randn(25, 3, dtype=torch.float64)
    a1, a2 = (dense_adjacency(hop, w.double()) for hop, w in exact_hop_graphs(graph, 2))
    r = h2gcn_rounds(graph, r0, 2)
    torch.testing.assert_close(r[1], torch.cat([a1 @ r0, a2 @ r0], 1))
    torch.testing.assert_close(r[2], torch.cat([a1 @ r[1], a2 @ r[1]], 1))


def test_the_classifier_reads_all_rounds():
    for rounds, width in ((1, 3 * 16), (2, 7 * 16)):
        model = H2GCN(H2GCN.Config(hidden_size=16, num_layers=rounds), ModelSizes(10, 4))
        assert model.classify.in_features == width and model.embed.bias is None


def test_h2gcn_beats_chance_by_far_on_texas(data_root):
    result = cogdl.experiment("node_classification", "h2gcn", "texas", [0], protocol="splits", out=None,
                              data_root=data_root, epochs=40)
    assert result.summary["test_acc"]["mean"] > 0.7  # GCN: ~0.6, the majority class: 0.55
