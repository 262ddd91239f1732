"""GPR-GNN: the contract, the propagation against a dense reference, and the authors' settings."""

import pytest
import torch

import cogdl
from cogdl.models.base import ModelSizes
from cogdl.models.gprgnn import GPRGNN, gpr_propagate, ppr_weights
from cogdl.nn import gcn_norm
from cogdl.testing import check_model
from graphs import dense_adjacency, random_graph


def test_gprgnn_meets_the_model_contract():
    check_model("gprgnn")


def test_gpr_propagation_is_the_polynomial_of_the_normalised_adjacency():
    graph, _ = random_graph(num_nodes=25, num_edges=90)
    h, gamma = torch.randn(25, 4, dtype=torch.float64), torch.randn(4, dtype=torch.float64)
    looped, weight = gcn_norm(graph)
    a = dense_adjacency(looped, weight)
    expected = sum(gamma[k] * torch.linalg.matrix_power(a, k) @ h for k in range(4))
    torch.testing.assert_close(gpr_propagate(graph, h, gamma), expected)


def test_ppr_initialisation_sums_to_one_and_equals_appnp_at_start():
    gamma = ppr_weights(0.1, 10)
    assert gamma[0] == pytest.approx(0.1) and gamma[3] == pytest.approx(0.1 * 0.9 ** 3)
    assert gamma[-1] == pytest.approx(0.9 ** 10) and gamma.sum() == pytest.approx(1.0)


def test_gamma_takes_no_weight_decay_as_in_the_authors_code():
    model = GPRGNN(GPRGNN.Config(), ModelSizes(8, 3))
    groups = model.parameter_groups(5e-4)
    assert groups[1] == {"params": [model.gamma], "weight_decay": 0.0} and groups[0]["weight_decay"] == 5e-4


def test_gprgnn_learns_cora(data_root):
    result = cogdl.experiment("node_classification", "gprgnn", "cora", [0], out=None, data_root=data_root)
    assert result.summary["test_acc"]["mean"] >= 0.78
