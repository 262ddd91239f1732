"""The registry-wide contract (`cogdl.testing`) over every built-in model and task, and the
model-specific checks that the contract cannot express."""

import pytest
import torch
import torch.nn.functional as F

from cogdl.config import ConfigError, resolve
from cogdl.models.base import ModelSizes, parameter_groups
from cogdl.registry import MODELS, TASKS
from cogdl.testing import ContractError, check_model, check_task
from cogdl.trainer import LoopConfig, Trainer
from graphs import random_graph

BUILTIN_MODELS = [e.name for e in MODELS.entries() if e.source == "built-in"]
BUILTIN_TASKS = [e.name for e in TASKS.entries() if e.source == "built-in"]
SIZES = ModelSizes(in_features=12, out_features=3, num_edge_types=3, num_node_types=2, target_type=0,
                   schema=((0, 1, 0), (1, 0, 1), (2, 0, 0)))


@pytest.mark.parametrize("name", BUILTIN_MODELS)
def test_model_meets_the_contract(name):
    check_model(name)


@pytest.mark.parametrize("name", BUILTIN_TASKS)
def test_task_meets_the_contract(name):
    check_task(name)


def test_check_model_names_a_constraint_on_a_field_the_config_lacks():
    import dataclasses

    from cogdl.config import Interval
    from cogdl.models.gcn import GCN

    @dataclasses.dataclass
    class MisspeltConfig(GCN.Config):
        constraints = {"hiden_size": Interval(1)}

    class MisspeltGCN(GCN):
        """GCN whose Config constrains a field it does not have."""

        Config = MisspeltConfig

    with pytest.raises(ContractError, match=r"model 'MisspeltGCN': a constraint or rule names 'hiden_size'"):
        check_model(MisspeltGCN)


def test_check_model_names_a_parameter_that_gets_no_gradient():
    from cogdl.models.mlp import MLP

    class Unused(MLP):
        """An MLP holding a layer its forward never uses."""

        def __init__(self, config, sizes):
            super().__init__(config, sizes)
            self.unused = torch.nn.Linear(2, 2)

    with pytest.raises(ContractError, match=r"no gradient reached unused.weight"):
        check_model(Unused)


@pytest.mark.parametrize("name, key, value, message", [
    ("graphmae", "hidden_size", 510, "hidden_size=510 must be divisible by num_heads=4 when encoder='gat'"),
    ("gat", "hidden_size", 60, "hidden_size=60 must be divisible by num_heads=8"),
    ("mixhop", "hidden_size", 100, "hidden_size=100 must be divisible by max_power + 1 = 3"),
])
def test_widths_split_over_heads_or_powers_must_divide(name, key, value, message):
    model_cls = MODELS.get(name)
    task_cls = TASKS.get(model_cls.supported_tasks[0])
    with pytest.raises(ConfigError, match=message.replace("+", r"\+")):
        resolve(model_cls.Config, task_cls.Config, [("--set", {key: value})])


def test_graphmae_gin_encoder_takes_sparse_bag_of_words_features():
    """It died with "'SparseFeatures' object has no attribute 'device'" on Cora with encoder=gin."""
    from cogdl.models.graphmae import GraphMAE
    from cogdl.nn.functional import SparseFeatures

    graph, _ = random_graph(num_nodes=30, num_edges=120)
    x = torch.rand(30, 12) * (torch.rand(30, 12) < 0.1)
    model = GraphMAE(GraphMAE.Config(encoder="gin", hidden_size=16), ModelSizes(12, None))
    model.loss(graph, SparseFeatures.from_dense(x)).backward()
    assert model(graph, SparseFeatures.from_dense(x)).shape == (30, 16)


def test_gcn_input_propagation_is_hgbs_weightless_first_layer():
    """HGB's GCN: H0 = ELU(Â X) with no weight, then the weighted layers on H0."""
    from cogdl.models.gcn import GCN
    from cogdl.nn import gcn_norm
    from graphs import dense_adjacency

    torch.manual_seed(0)
    graph, _ = random_graph(num_nodes=30, num_edges=120)
    x = torch.randn(30, 8)
    config = GCN.Config(hidden_size=16, num_layers=2, activation="elu", input_propagation=True)
    model = GCN(config, ModelSizes(8, 3)).eval()
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
    model = model_cls(model_cls.Config(), SIZES)
    grouped = [id(p) for group in parameter_groups(model, 5e-4) for p in group["params"]]
    assert sorted(grouped) == sorted(id(p) for p in model.parameters())


def test_gcnii_decays_its_convolutions_as_the_papers_code_and_the_dense_layers_with_the_task():
    """chennnM/GCNII train.py: wd1 = 0.01 on the GCNII layers, wd2 = 5e-4 on the two linear layers;
    the trainer's optimiser takes the model's groups."""
    from cogdl.models.gcnii import GCNII

    def decays(model):
        optimizer = Trainer(LoopConfig(weight_decay=5e-4)).optimizer(model)
        return {id(p): group["weight_decay"] for group in optimizer.param_groups for p in group["params"]}

    model = GCNII(GCNII.Config(num_layers=3), SIZES)
    decay_of = decays(model)
    assert {decay_of[id(conv.weight)] for conv in model.convs} == {0.01}
    dense = [model.input.weight, model.input.bias, model.output.weight, model.output.bias]
    assert {decay_of[id(p)] for p in dense} == {5e-4}
    model = GCNII(GCNII.Config(num_layers=3, conv_weight_decay=0.0), SIZES)
    assert set(decays(model).values()) == {0.0, 5e-4}
