"""Mini-batch training: the loader's batches, exact layer-wise inference, and the node task in
mini-batches on Cora against its full-batch result."""

import pytest
import torch

from cogdl.errors import ConfigError
from cogdl.minibatch import NeighborLoader, layerwise_inference, parse_fanouts
from cogdl.models.base import ModelSizes
from cogdl.registry import MODELS
from cogdl.testing.tiny_datasets import node_split


@pytest.mark.parametrize("name", ["gcn", "graphsage", "gat"])
def test_layerwise_inference_equals_the_full_batch_forward(name):
    graph = node_split(seed=1, num_nodes=60).graph
    cls = MODELS.get(name)
    model = cls(cls.Config(), ModelSizes(graph.x.shape[1], 3)).eval()
    with torch.no_grad():
        full = model(graph, graph.x)
    torch.testing.assert_close(layerwise_inference(model, model.message_graph(graph), graph.x, 7), full)


@pytest.mark.parametrize("name", ["gcn", "graphsage", "gat"])
def test_blocks_with_every_edge_give_the_full_batch_output_of_their_seeds(name):
    graph = node_split(seed=2, num_nodes=50).graph
    cls = MODELS.get(name)
    model = cls(cls.Config(), ModelSizes(graph.x.shape[1], 3)).eval()
    loader = NeighborLoader(model.message_graph(graph), torch.arange(50), 16, [-1, -1], seed=0)
    with torch.no_grad():
        full = model(graph, graph.x)
        for seeds, blocks in loader:
            torch.testing.assert_close(model(blocks, graph.x[blocks[0].input_nodes]), full[seeds])


def test_loader_covers_the_seeds_once_per_epoch_and_repeats_with_workers():
    graph = node_split(seed=0, num_nodes=80).graph
    nodes = torch.arange(0, 80, 2)
    loader = NeighborLoader(graph, nodes, 6, [3, 2], seed=4)
    first = [(s, b) for s, b in loader]
    assert sorted(torch.cat([s for s, _ in first]).tolist()) == nodes.tolist()
    second = [s for s, _ in loader]
    assert not all(torch.equal(a, b) for (a, _), b in zip(first, second))  # reshuffled each epoch
    again = NeighborLoader(graph, nodes, 6, [3, 2], seed=4, num_workers=2)
    for (s1, b1), (s2, b2) in zip(first, again):
        assert torch.equal(s1, s2)
        assert all(torch.equal(x.input_nodes, y.input_nodes) and torch.equal(x.graph.col, y.graph.col)
                   for x, y in zip(b1, b2))


def test_loader_shards_are_disjoint_and_equally_long():
    graph = node_split(seed=0, num_nodes=80).graph
    shards = [list(NeighborLoader(graph, torch.arange(50), 8, [2], seed=1, rank=r, world_size=2)) for r in (0, 1)]
    assert len(shards[0]) == len(shards[1]) == 3
    seen = [set(torch.cat([s for s, _ in shard]).tolist()) for shard in shards]
    assert not seen[0] & seen[1]


def test_parse_fanouts_checks_values_and_layers():
    assert parse_fanouts("15,10", 2) == [15, 10] and parse_fanouts("", 3) == [-1, -1, -1]
    with pytest.raises(ConfigError, match="one fan-out per layer"):
        parse_fanouts("15,10,5", 2)
    with pytest.raises(ConfigError, match="comma-separated integers"):
        parse_fanouts("15;10", 2)
    with pytest.raises(ConfigError, match="positive number"):
        parse_fanouts("0,3", 2)


def test_node_task_rejects_mini_batches_for_a_model_that_is_not_layerwise(cli, tmp_path):
    code, out, err = cli("train", "--task", "node_classification", "--dataset", "cora", "--model", "appnp",
                         "--set", "batch_size=64", "epochs=1", "--out", str(tmp_path))
    assert code == 2 and "cannot train in mini-batches" in err and "LayerWise" in err


def test_graphsage_in_mini_batches_on_cora_is_within_noise_of_full_batch():
    """Cora's public split, 3 seeds: mini-batches of 32 training nodes, fan-outs 10,5, against full-batch."""
    import cogdl

    common = dict(task="node_classification", model="graphsage", dataset="cora", seeds=range(3), out=None, epochs=60,
                  patience=30)
    full = cogdl.experiment(**common).summary["test_acc"]
    mini = cogdl.experiment(**common, batch_size=32, fanouts="10,5").summary["test_acc"]
    assert mini["mean"] > 0.74
    assert abs(mini["mean"] - full["mean"]) < 0.02 + 2 * (mini["std"] + full["std"]), (mini, full)


def test_check_model_catches_a_layerwise_model_whose_layers_disagree_with_its_forward():
    from cogdl.models.gcn import GCN
    from cogdl.testing import check_model
    from cogdl.testing.checks import ContractError

    class Skewed(GCN):
        def layer(self, k, graph, h):
            return super().layer(k, graph, h) * 1.5

    with pytest.raises(ContractError, match="layer-wise inference differs"):
        check_model(Skewed)
