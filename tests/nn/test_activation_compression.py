import pytest
import torch

from cogdl.models.base import ModelSizes
from cogdl.nn.activation_compression import SavedTensorCounter, compressed_activations
from cogdl.registry import MODELS
from graphs import random_graph


@pytest.mark.parametrize("model", ["gcn", "graphsage", "gat"])
def test_two_bit_storage_is_eight_times_smaller_and_gradients_stay_close(model):
    """GACT's GNN setting (3 layers, hidden 256): at 2 bits what autograd keeps is >= 8x smaller,
    and the weight gradients keep their direction (at 8 bits, almost exactly)."""
    graph, _ = random_graph(300, 3000)
    x = torch.randn(graph.num_nodes, 32, generator=torch.Generator().manual_seed(0))
    cls = MODELS.get(model)
    torch.manual_seed(0)
    net = cls(cls.Config(hidden_size=256, num_layers=3), ModelSizes(32, 5)).eval()  # eval: no dropout, so runs differ only by the storage

    def gradients(bits):
        net.zero_grad()
        with compressed_activations(bits) as counter:
            net(graph, x).square().sum().backward()
        return torch.cat([p.grad.flatten() for p in net.parameters()]), counter

    exact, plain = gradients(None)
    two, counter = gradients(2)
    eight, _ = gradients(8)
    assert plain.activations == plain.stored > 0 and counter.activations == plain.activations
    assert counter.ratio >= 8, counter
    cosine = torch.nn.functional.cosine_similarity
    assert cosine(two, exact, dim=0) > 0.8 and cosine(eight, exact, dim=0) > 0.999  # one noisy draw at 2 bits


def test_counter_sets_parameters_and_inputs_apart():
    w = torch.randn(64, 64, requires_grad=True)
    x = torch.randn(100, 64)
    with compressed_activations(4) as counter:
        torch.relu(x @ w).sum().backward()
    assert isinstance(counter, SavedTensorCounter)
    assert counter.leaves == x.numel() * 4  # x, saved for w's gradient, is not copied
    assert counter.activations == 100 * 64 * 4  # relu's output
    assert counter.stored < counter.activations / 6
