"""The model author's contract: plain tensors in, checked outputs, errors that name the model.

Models here are written as a plugin author would: plain PyTorch, registered with
`cogdl.register_model`, built from `(Config, ModelSizes)`."""

import dataclasses

import pytest
import torch
from torch import nn

import cogdl
from cogdl.models.base import Model
from cogdl.nn import gcn_propagate
from cogdl.registry import MODELS


@dataclasses.dataclass
class TwoLayerConfig:
    hidden_size: int = dataclasses.field(default=32, metadata={"help": "width of the hidden layer"})


class PlainTwoLayer(Model):
    """Two GCN-style layers in plain PyTorch: nn.Linear on the node features, then Â."""

    Config = TwoLayerConfig
    supported_tasks = ("node_classification",)
    extra_columns, missing_rows = 0, 0

    def __init__(self, config, sizes):
        super().__init__(config, sizes)
        self.first = nn.Linear(sizes.in_features, config.hidden_size)
        self.second = nn.Linear(config.hidden_size, sizes.out_features + self.extra_columns)

    def forward(self, graph, x):
        assert isinstance(x, torch.Tensor) and x.dim() == 2  # a dense tensor, as PyG and DGL hand it
        h = torch.relu(gcn_propagate(graph, self.first(nn.functional.dropout(x, 0.5, self.training))))
        out = gcn_propagate(graph, self.second(nn.functional.dropout(h, 0.5, self.training)))
        return out[:out.shape[0] - self.missing_rows]


class WideLogits(PlainTwoLayer):
    """Returns three columns too many."""

    extra_columns = 3


class ShortLogits(PlainTwoLayer):
    """Returns one row too few."""

    missing_rows = 1


class Broken(PlainTwoLayer):
    """Raises inside its own forward."""

    def forward(self, graph, x):
        return self.first(x) @ torch.zeros(3, 3)


@pytest.fixture
def register(monkeypatch):
    """Register models as a notebook would; the registry is restored after the test."""
    MODELS.entries()  # discover the built-ins and plugins first
    monkeypatch.setattr(MODELS, "_entries", dict(MODELS._entries))

    def add(name, cls):
        cogdl.register_model(name)(cls)

    return add


def train(cli, tmp_path, data_root, model, *extra):
    return cli("train", "--task", "node_classification", "--dataset", "cora", "--model", model, "--set", "epochs=60",
               *extra, "--out", str(tmp_path / "runs"), "--data-root", str(data_root))


def test_a_plain_pytorch_model_receives_a_dense_tensor_and_trains(cli, tmp_path, data_root, register):
    """It died with "'SparseFeatures' object has no attribute 'dim'": every model got sparse features."""
    register("plain_two_layer", PlainTwoLayer)
    status, out, err = train(cli, tmp_path, data_root, "plain_two_layer")
    assert status == 0, err
    test_acc = next(line for line in out.splitlines() if line.startswith("test_acc"))
    assert float(test_acc.split()[1]) > 70.0


@pytest.mark.parametrize("name, cls, shape", [
    ("wide_logits", WideLogits, "returned shape [2708, 10]; expected [2708, 7]"),  # trained and exited 0 before
    ("short_logits", ShortLogits, "returned shape [2707, 7]; expected [2708, 7]"),  # an IndexError traceback before
])
def test_a_wrong_output_is_one_line_naming_model_task_dataset_and_shapes(cli, tmp_path, data_root, register,
                                                                           name, cls, shape):
    register(name, cls)
    status, out, err = train(cli, tmp_path, data_root, name)
    assert status == 2 and err.count("\n") == 1 and out == ""
    assert (f"model {name!r} (module test_model_author) {shape} (one row per node, one column per class) on task "
            "'node_classification', dataset 'cora'") in err
    assert not (tmp_path / "runs").exists()


def test_an_error_in_the_models_own_code_names_the_model_and_method(cli, tmp_path, data_root, register):
    register("broken", Broken)
    status, _, err = train(cli, tmp_path, data_root, "broken")
    assert status == 2 and err.count("\n") == 1
    assert "model 'broken' (module test_model_author) failed in forward on cora: RuntimeError: " in err
    with pytest.raises(cogdl.errors.ModelError) as raised:  # --debug keeps the traceback
        cli("--debug", "train", "--task", "node_classification", "--dataset", "cora", "--model", "broken",
            "--set", "epochs=2", "--out", str(tmp_path / "runs"), "--data-root", str(data_root))
    assert isinstance(raised.value.__cause__, RuntimeError)


def test_an_error_in_a_built_in_model_stays_a_traceback(data_root, monkeypatch):
    """Errors in CogDL's own code are bugs to report, not the user's: they are not reworded."""
    from cogdl.models.gcn import GCN

    def broken_forward(self, graph, x):
        raise RuntimeError("a bug in CogDL")

    monkeypatch.setattr(GCN, "forward", broken_forward)
    with pytest.raises(RuntimeError, match="a bug in CogDL"):
        cogdl.experiment("node_classification", "gcn", "cora", out=None, data_root=data_root, epochs=2)


def test_check_model_finds_a_wrong_output_shape_on_every_declared_task():
    from cogdl.errors import ModelError
    from cogdl.testing import check_model

    with pytest.raises(ModelError, match=r"returned shape \[30, 6\]; expected \[30, 3\] \(one row per node, one column "
                                         r"per class\) on task 'node_classification', dataset 'tiny-node-split'"):
        check_model(WideLogits)
    check_model(PlainTwoLayer)
