"""One common check that walks the whole model registry (scikit-learn's estimator_checks style)."""

import dataclasses

import pytest
import torch
import torch.nn.functional as F

from cogdl.config import ConfigError, resolve
from cogdl.data import DatasetInfo
from cogdl.models.base import Model, parameter_groups
from cogdl.nn.functional import SparseFeatures
from cogdl.registry import MODELS, TASKS
from graphs import random_graph

BUILTIN_MODELS = [e.name for e in MODELS.entries() if e.source == "built-in"]


@pytest.mark.parametrize("name", BUILTIN_MODELS)
def test_model_declares_a_typed_documented_config(name):
    model_cls = MODELS.get(name)
    assert issubclass(model_cls, Model) and model_cls.__doc__ and model_cls.supported_tasks
    assert dataclasses.is_dataclass(model_cls.Config)
    for f in dataclasses.fields(model_cls.Config):
        assert f.metadata.get("help"), f"{name}.{f.name} has no help"
    for task in model_cls.supported_tasks:
        assert task in TASKS


@pytest.mark.parametrize("name", BUILTIN_MODELS)
def test_model_rejects_out_of_range_values(name):
    model_cls = MODELS.get(name)
    for key, constraint in getattr(model_cls.Config, "constraints", {}).items():
        bad = constraint.low - 1 if getattr(constraint, "low", None) is not None else None
        if bad is None:
            continue
        task_cls = TASKS.get(model_cls.supported_tasks[0])
        with pytest.raises(ConfigError, match=key):
            resolve(model_cls.Config, task_cls.Config, [("--set", {key: type(getattr(model_cls.Config(), key))(bad)})])


@pytest.mark.parametrize("name", BUILTIN_MODELS)
@pytest.mark.parametrize("sparse", [False, True])
def test_model_forward_backward_on_tiny_graph(name, sparse):
    torch.manual_seed(0)
    model_cls = MODELS.get(name)
    if sparse and "node_classification" not in model_cls.supported_tasks:
        pytest.skip("heterogeneous-graph and graph-level models take dense node features")
    graph, _ = random_graph(num_nodes=30, num_edges=120)
    graph.edge_type, graph.num_edge_types = torch.randint(0, 3, (graph.num_edges,)), 3  # typed models read these
    x = torch.rand(30, 12) * (torch.rand(30, 12) < 0.1)
    model = model_cls(model_cls.Config(), DatasetInfo("tiny", num_features=12, num_classes=3, num_edge_types=3))
    if all(task.startswith("ssl_") for task in model_cls.supported_tasks):  # self-supervised: embeddings + own loss
        assert model(graph, x).shape[0] == 30
        model.loss(graph, x).backward()
        assert all(p.grad is not None for p in model.parameters())
        return
    if "graph_classification" in model_cls.supported_tasks:  # the 30 nodes as 4 graphs
        graph_index = torch.arange(30) * 4 // 30
        logits, rows = model(graph, x, graph_index, 4), 4
    else:
        logits, rows = model(graph, SparseFeatures.from_dense(x) if sparse else x), 30
    assert logits.shape == (rows, 3)
    F.cross_entropy(logits, torch.randint(0, 3, (rows,))).backward()
    assert all(p.grad is not None for p in model.parameters())


def test_gcn_input_propagation_is_hgbs_weightless_first_layer():
    """HGB's GCN: H0 = ELU(Â X) with no weight, then the weighted layers on H0."""
    from cogdl.models.gcn import GCN
    from cogdl.nn import gcn_norm
    from graphs import dense_adjacency

    torch.manual_seed(0)
    graph, _ = random_graph(num_nodes=30, num_edges=120)
    x = torch.randn(30, 8)
    config = GCN.Config(hidden_size=16, num_layers=2, activation="elu", input_propagation=True)
    model = GCN(config, DatasetInfo("tiny", num_features=8, num_classes=3)).eval()
    assert [tuple(layer.weight.shape) for layer in model.layers] == [(16, 8), (3, 16)]
    looped, weight = gcn_norm(graph)
    a = dense_adjacency(looped, weight, dtype=torch.float32)
    first, last = model.layers
    hidden = F.elu(a @ F.elu(a @ x) @ first.weight.t() + first.bias)
    expected = a @ hidden @ last.weight.t() + last.bias
    torch.testing.assert_close(model(graph, x), expected, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", BUILTIN_MODELS)
def test_parameter_groups_hold_every_parameter_once(name):
    model_cls = MODELS.get(name)
    model = model_cls(model_cls.Config(), DatasetInfo("tiny", num_features=12, num_classes=3, num_edge_types=3))
    grouped = [id(p) for group in parameter_groups(model, 5e-4) for p in group["params"]]
    assert sorted(grouped) == sorted(id(p) for p in model.parameters())


def test_gcnii_decays_its_convolutions_as_the_papers_code_and_the_dense_layers_with_the_task():
    """chennnM/GCNII train.py: wd1 = 0.01 on the GCNII layers, wd2 = 5e-4 on the two linear layers;
    a node task's optimiser (`node_optimizer`) takes the model's groups."""
    from cogdl.models.gcnii import GCNII
    from cogdl.tasks.node_classification import node_optimizer

    model = GCNII(GCNII.Config(num_layers=3), DatasetInfo("tiny", num_features=12, num_classes=3))
    decay_of = {id(p): group["weight_decay"] for group in node_optimizer(model, 0.01, 5e-4).param_groups
                for p in group["params"]}
    assert {decay_of[id(conv.weight)] for conv in model.convs} == {0.01}
    dense = [model.input.weight, model.input.bias, model.output.weight, model.output.bias]
    assert {decay_of[id(p)] for p in dense} == {5e-4}
    model = GCNII(GCNII.Config(num_layers=3, conv_weight_decay=0.0), DatasetInfo("tiny", num_features=12, num_classes=3))
    assert {g["weight_decay"] for g in node_optimizer(model, 0.01, 5e-4).param_groups} == {0.0, 5e-4}
