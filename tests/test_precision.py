"""Mixed precision (`precision=bf16`): bfloat16 activations under autocast, float32 sums and weights."""

import pytest
import torch

from cogdl.nn import GATConv, GCNConv
from graphs import random_graph


@pytest.mark.parametrize("make", [lambda: GCNConv(16, 64), lambda: GCNConv(64, 16), lambda: GATConv(16, 8, num_heads=2)],
                         ids=["gcn-aggregate-first", "gcn-project-first", "gat"])
def test_layers_under_bf16_autocast_stay_close_to_float32(make):
    graph, _ = random_graph(200, 1500)
    torch.manual_seed(0)
    layer = make()
    x = torch.randn(graph.num_nodes, layer.weight.shape[1], requires_grad=True)
    expected = layer(graph, x)
    expected.square().sum().backward()
    grad32 = layer.weight.grad.clone()
    layer.weight.grad = None
    with torch.autocast("cpu", torch.bfloat16):
        out = layer(graph, x)
    assert layer.weight.dtype == torch.float32  # (the output is bfloat16, or float32 once the bias is added)
    out.float().square().sum().backward()
    scale = expected.abs().max().item()
    torch.testing.assert_close(out.float(), expected, atol=0.03 * scale, rtol=0.03)
    torch.testing.assert_close(layer.weight.grad, grad32, atol=0.05 * grad32.abs().max().item(), rtol=0.05)


def test_node_task_trains_in_bf16_and_rejects_an_unknown_precision(cli, tmp_path, data_root):
    status, out, err = cli("train", "--task", "node_classification", "--model", "gcn", "--dataset", "cora",
                           "--set", "precision=bf16", "epochs=5", "--out", str(tmp_path), "--data-root", str(data_root))
    assert status == 0, err
    status, _, err = cli("train", "--task", "node_classification", "--model", "gcn", "--dataset", "cora",
                         "--set", "precision=fp16", "--out", str(tmp_path), "--data-root", str(data_root))
    assert status == 2 and "precision" in err and len(err.strip().splitlines()) == 1


def test_reproduce_set_overrides_every_measured_entry():
    from cogdl.leaderboard.reproduce import plan

    planned = plan("planetoid", "full", task="node_classification", model="gcn", overrides={"precision": "bf16"})
    assert planned and all(p.config["precision"] == "bf16" for p in planned if p.config is not None)
