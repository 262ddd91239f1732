"""GraphMAE: masking, re-masking, the scaled cosine error, and both self-supervised tasks end to end."""

import numpy as np
import pytest
import torch

from cogdl import experiment
from cogdl.models.base import ModelSizes
from cogdl.models.graphmae import GraphMAE, scaled_cosine_error, scaled_cosine_error_of_linear
import cogdl.tasks.ssl_graph_classification as ssl_graph_classification
from cogdl.tasks.ssl_graph_classification import svm_cross_validation
from graphs import random_graph
from tu_fixtures import write_tu_folder


def _model(**overrides):
    config = GraphMAE.Config(hidden_size=16, num_heads=2, **overrides)
    return GraphMAE(config, ModelSizes(6, None))


def test_mask_replaces_the_masked_rows_by_the_token_or_other_nodes():
    torch.manual_seed(0)
    model = _model(mask_rate=0.5, replace_rate=0.2)
    with torch.no_grad():
        model.mask_token.fill_(7.0)
    x = torch.rand(100, 6)
    masked_x, masked = model.mask(x)
    assert masked.numel() == 50 and masked.unique().numel() == 50
    unmasked = torch.ones(100, dtype=torch.bool).index_fill(0, masked, False)
    assert torch.equal(masked_x[unmasked], x[unmasked])
    is_token = masked_x[masked].eq(7.0).all(1)
    assert int(is_token.sum()) == 40  # 20% of the 50 get another node's features instead
    assert all(any(torch.equal(row, other) for other in x) for row in masked_x[masked][~is_token])


@pytest.mark.parametrize("width, hidden, heads, out_heads, layers, norm", [
    (24, 8, 2, 1, 2, "none"),        # decoder aggregates, then projects (Cora's shape)
    (6, 16, 2, 1, 3, "layernorm"),   # decoder projects, then aggregates (PubMed's shape)
    (6, 16, 4, 2, 1, "batchnorm"),   # every encoder row computed; two decoder heads
])
def test_gat_loss_on_the_needed_rows_is_eq_3_as_written(width, hidden, heads, out_heads, layers, norm):
    from cogdl.nn.functional import SparseFeatures

    graph, _ = random_graph(num_nodes=60, num_edges=150)
    x = torch.rand(60, width) * (torch.rand(60, width) < 0.5)
    config = GraphMAE.Config(hidden_size=hidden, num_heads=heads, num_out_heads=out_heads, num_layers=layers,
                             norm=norm, replace_rate=0.2, dropout=0.0, attn_dropout=0.0)
    model = GraphMAE(config, ModelSizes(width, None))
    with torch.no_grad():
        model.mask_token.normal_()
        model.decoder.conv.bias.normal_()
    model.train()  # batch statistics, no dropout: a deterministic function of the mask
    results = []
    for loss_of in (lambda: model.plain_loss(graph, x), lambda: model.loss(graph, x),
                    lambda: model.loss(graph, SparseFeatures.from_dense(x))):
        torch.manual_seed(5)
        model.zero_grad()
        loss = loss_of()
        loss.backward()
        results.append((loss.detach(), [p.grad.clone() for p in model.parameters()]))
    for loss, grads in results[1:]:
        torch.testing.assert_close(loss, results[0][0])
        for ours, plain in zip(grads, results[0][1]):
            torch.testing.assert_close(ours, plain, atol=1e-6, rtol=1e-5)


def test_sparse_inputs_give_the_dense_loss_and_gradients():
    from cogdl.nn.functional import SparseFeatures

    graph, _ = random_graph(num_nodes=40, num_edges=160)
    x = torch.rand(40, 24) * (torch.rand(40, 24) < 0.3)
    # features wider than the hidden layer: the decoder's loss takes `scaled_cosine_error_of_linear`
    model = GraphMAE(GraphMAE.Config(hidden_size=8, num_heads=2, replace_rate=0.2), ModelSizes(24, None))
    assert model.decoder.conv.can_project_after(torch.zeros(40, 8))
    with torch.no_grad():
        model.decoder.conv.bias.normal_()
        model.mask_token.normal_()
    model.eval()  # no dropout: both paths compute the same function of the same mask
    losses, grads = [], []
    for features in (x, SparseFeatures.from_dense(x)):
        torch.manual_seed(3)
        model.zero_grad()
        loss = model.loss(graph, features)
        loss.backward()
        losses.append(loss.detach())
        grads.append([p.grad.clone() for p in model.parameters()])
    torch.testing.assert_close(losses[1], losses[0])
    for sparse, dense in zip(*grads[::-1]):
        torch.testing.assert_close(sparse, dense, atol=1e-6, rtol=1e-5)
    assert model.mask_token.grad.abs().sum() > 0


def test_sparse_token_rows_get_per_row_dropout_with_the_dense_expectation():
    from cogdl.nn.functional import SparseFeatures

    torch.manual_seed(0)
    model = _model(dropout=0.4, mask_rate=0.9, replace_rate=0.0)
    with torch.no_grad():
        model.mask_token.normal_()
    first = model.encoder[0].conv
    masked, token_nodes, noise_nodes, sources = model._draw_mask(4000, "cpu")
    projected = model._first_projection(SparseFeatures.from_dense(torch.zeros(4000, 6)), torch.arange(4000),
                                        token_nodes, noise_nodes, sources)
    token_rows = projected[token_nodes].detach()
    expected = (first.weight @ model.mask_token[0]).detach()
    torch.testing.assert_close(token_rows.mean(0), expected, atol=0.05, rtol=0.05)
    assert token_rows.std(0).min() > 0  # each row draws its own dropout mask


def test_remask_zeroes_the_masked_rows_of_the_projection():
    model, h = _model(), torch.randn(10, 16)
    masked = torch.tensor([1, 4, 7])
    expected = model.encoder_to_decoder(h).index_fill(0, masked, 0.0)
    torch.testing.assert_close(model._remask(h, masked), expected)


def test_scaled_cosine_error_of_linear_matches_forming_the_product():
    from cogdl.nn.functional import SparseFeatures

    g = torch.Generator().manual_seed(0)
    inputs = torch.randn(7, 5, generator=g, dtype=torch.float64, requires_grad=True)
    weight = torch.randn(9, 5, generator=g, dtype=torch.float64, requires_grad=True)
    bias = torch.randn(9, generator=g, dtype=torch.float64, requires_grad=True)
    target = torch.rand(7, 9, generator=g, dtype=torch.float64) * (torch.rand(7, 9, generator=g) < 0.4)
    target[0, 0] = 1.0  # no empty row: cosine with a zero target is 0 either way, but keep all rows informative
    for b in (bias, None):
        ours = scaled_cosine_error_of_linear(inputs, weight, b, SparseFeatures.from_dense(target), 3.0)
        formed = inputs @ weight.t() + (b if b is not None else 0)
        expected = scaled_cosine_error(formed, target, 3.0)
        torch.testing.assert_close(ours, expected)
        params = (inputs, weight) + ((b,) if b is not None else ())
        for got, want in zip(torch.autograd.grad(ours, params), torch.autograd.grad(expected, params)):
            torch.testing.assert_close(got, want)


def test_squared_norms_of_linear_pass_gradcheck():
    from cogdl.models.graphmae import squared_norms_of_linear

    g = torch.Generator().manual_seed(2)
    inputs = torch.randn(6, 4, generator=g, dtype=torch.float64, requires_grad=True)
    weight = torch.randn(7, 4, generator=g, dtype=torch.float64, requires_grad=True)
    torch.testing.assert_close(squared_norms_of_linear(inputs, weight), (inputs @ weight.t()).square().sum(-1))
    assert torch.autograd.gradcheck(squared_norms_of_linear, (inputs, weight))


def test_scaled_cosine_error_matches_its_formula():
    x = torch.tensor([[1.0, 0.0], [1.0, 0.0], [1.0, 1.0]])
    z = torch.tensor([[2.0, 0.0], [0.0, 3.0], [-1.0, -1.0]])
    assert scaled_cosine_error(z, x, 1.0).item() == pytest.approx((0 + 1 + 2) / 3)
    assert scaled_cosine_error(z, x, 3.0).item() == pytest.approx((0 + 1 + 8) / 3)


def test_ssl_node_classification_pretrains_and_probes_cora():
    def run(epochs):
        return experiment("ssl_node_classification", "graphmae", "cora", seeds=[0], out=None,
                          epochs=epochs, probe_epochs=100, hidden_size=64, num_heads=2).records[0]

    first, trained = run(1), run(30)
    assert trained["final_loss"] < 0.8 * first["final_loss"]
    assert trained["test_acc"] > 0.35  # far above chance (1/7); the paper-sized setting is a leaderboard entry


def test_ssl_graph_classification_runs_the_svm_probe_on_pooled_embeddings(tmp_path):
    folder = write_tu_folder(tmp_path / "planted", node_labels=False)
    result = experiment("ssl_graph_classification", "graphmae", f"tu:{folder}", seeds=[0], out=None,
                        encoder="gin", hidden_size=16, num_layers=2, norm="batchnorm", epochs=5, folds=5,
                        batch_size=8, pooling="sum", lr=0.005)
    assert result.records[0]["test_acc"] > 0.9


@pytest.mark.parametrize("fold_split, expected_split_seeds", [("fixed", [0, 0]), ("run_seed", [3, 4])])
def test_the_svm_probe_splits_with_graphmae_s_fixed_seed_or_with_the_run_seed(tmp_path, monkeypatch, fold_split,
                                                                             expected_split_seeds):
    split_seeds = []
    real_probe = ssl_graph_classification.svm_cross_validation

    def recording_probe(embeddings, labels, folds, seed):
        split_seeds.append(seed)
        return real_probe(embeddings, labels, folds, seed)

    monkeypatch.setattr(ssl_graph_classification, "svm_cross_validation", recording_probe)
    folder = write_tu_folder(tmp_path / "planted", node_labels=False)
    experiment("ssl_graph_classification", "graphmae", f"tu:{folder}", seeds=[3, 4], out=None, encoder="gin",
               hidden_size=8, num_layers=1, epochs=1, folds=5, fold_split=fold_split)
    assert split_seeds == expected_split_seeds


def test_svm_cross_validation_separates_separable_classes():
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 30)
    embeddings = rng.normal(0, 0.1, (60, 3)) + labels[:, None] * 3
    assert svm_cross_validation(embeddings, labels, 5, seed=0).tolist() == [1.0] * 5


def test_gat_layers_take_dgl_s_init_scale():
    model = GraphMAE(GraphMAE.Config(hidden_size=512, num_heads=4), ModelSizes(1433, None))
    weight = model.encoder[0].conv.weight
    expected_std = (2.0 * 2.0 / (weight.shape[0] + weight.shape[1])) ** 0.5  # gain^2 * 2 / (fan_in + fan_out)
    assert abs(weight.std().item() / expected_std - 1) < 0.02
    assert model.encoder[0].conv.bias.abs().sum() == 0
