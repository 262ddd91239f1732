import torch

from cogdl.benchmarks.validutil import BatchedGCN, ValidUtilConfig, _train, search_pseudo_labels, with_pseudo_labels
from cogdl.datasets.planetoid import load_planetoid
from cogdl.tasks.node_classification import row_normalize
from graphs import random_graph


def test_batched_gcn_copies_train_as_separate_models():
    torch.manual_seed(0)
    graph, _ = random_graph(num_nodes=40, num_edges=160)
    x, mask = torch.rand(40, 6), torch.rand(40) < 0.5
    labels = torch.randint(0, 3, (40, 2))
    torch.manual_seed(1)
    both = BatchedGCN(6, 4, 3, copies=2)
    _train(both, graph, x, labels, mask, epochs=30, lr=0.05, weight_decay=1e-3)
    for k in range(2):
        torch.manual_seed(1)
        alone = BatchedGCN(6, 4, 3, copies=1)
        _train(alone, graph, x, labels[:, k:k + 1], mask, epochs=30, lr=0.05, weight_decay=1e-3)
        torch.testing.assert_close(both(graph, x)[:, k], alone(graph, x)[:, 0], atol=1e-5, rtol=1e-4)


def test_validutil_search_changes_only_the_searched_nodes_and_joins_them_to_training(data_root):
    cora = load_planetoid("cora", data_root)
    graph = cora.graph
    graph.x = row_normalize(graph.x)
    torch.manual_seed(3)
    config = ValidUtilConfig(initial_epochs=50, search_epochs=30)
    initial, pseudo = search_pseudo_labels(graph, 7, config, nodes=3)
    assert initial.shape == pseudo.shape == (500,)
    assert torch.equal(initial[3:], pseudo[3:]) and int(pseudo.max()) < 7
    tuned = with_pseudo_labels(graph, pseudo)
    val = graph.masks["val"]
    assert torch.equal(tuned.y[val], pseudo) and torch.equal(tuned.y[~val], graph.y[~val])
    assert torch.equal(tuned.masks["train"], graph.masks["train"] | val)
    assert torch.equal(tuned.masks["test"], graph.masks["test"])
