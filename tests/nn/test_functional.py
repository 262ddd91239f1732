import torch

from cogdl.nn.functional import SparseFeatures, dropout, maybe_sparse, project, project_scaled_token


def sparse_input(seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(9, 6, generator=g, dtype=torch.float64) * (torch.rand(9, 6, generator=g) < 0.15)


def test_sparse_features_round_trip_and_transpose():
    x = sparse_input()
    features = SparseFeatures.from_dense(x)
    torch.testing.assert_close(features.to_dense(), x)
    torch.testing.assert_close(features.csr_transposed().to_dense(), x.t())


def test_sparse_projection_gradcheck_against_dense():
    x = sparse_input()
    features = SparseFeatures.from_dense(x)
    weight = torch.randn(4, 6, dtype=torch.float64, requires_grad=True)
    torch.testing.assert_close(project(features, weight), x @ weight.t())
    assert torch.autograd.gradcheck(lambda w: project(features, w), (weight,))


def test_maybe_sparse_keeps_dense_features_dense():
    assert isinstance(maybe_sparse(sparse_input()), SparseFeatures)
    dense = torch.rand(4, 4) + 0.1
    assert maybe_sparse(dense) is dense


def test_dropout_on_sparse_features_drops_stored_values_only():
    torch.manual_seed(0)
    features = SparseFeatures.from_dense(sparse_input())
    dropped = dropout(features, 0.5, training=True)
    kept = dropped.values != 0
    assert 0 < int(kept.sum()) < features.values.numel()
    torch.testing.assert_close(dropped.values[kept], 2 * features.values[kept])
    assert dropout(features, 0.5, training=False) is features


def test_dropout_keeps_one_minus_p_scaled_and_backends_agree(monkeypatch):
    x = torch.ones(200_000)
    rates = {}
    for backend in ("reference", "cpu"):
        monkeypatch.setenv("COGDL_OPS", backend)
        torch.manual_seed(7)
        rates[backend] = dropout(x, 0.3, True)
    kept = rates["reference"] != 0
    assert abs(kept.float().mean().item() - 0.7) < 0.005
    assert torch.equal(rates["reference"][kept], torch.full((int(kept.sum()),), 1 / 0.7))
    assert torch.equal(rates["reference"], rates["cpu"])
    assert torch.equal(dropout(x, 0.3, False), x)


def test_dropout_backward_uses_the_forward_mask():
    x = torch.randn(1000, 8, requires_grad=True)
    y = dropout(x, 0.5, True)
    y.sum().backward()
    torch.testing.assert_close(x.grad, (y != 0).float() * 2.0)


def test_gather_rows_picks_rows_and_empties_negative_ids():
    x = sparse_input()
    index = torch.tensor([2, -1, 0, 2, 8])
    gathered = SparseFeatures.from_dense(x).gather_rows(index)
    expected = torch.stack([x[i] if i >= 0 else torch.zeros(6, dtype=x.dtype) for i in index.tolist()])
    torch.testing.assert_close(gathered.to_dense(), expected)
    torch.testing.assert_close(gathered.csr_transposed().to_dense(), expected.t())


def test_project_scaled_token_matches_the_dense_product_and_its_gradients():
    g = torch.Generator().manual_seed(1)
    token = torch.randn(6, generator=g, dtype=torch.float64, requires_grad=True)
    weight = torch.randn(4, 6, generator=g, dtype=torch.float64, requires_grad=True)
    scale = (torch.rand(5, 6, generator=g) < 0.7).double() / 0.7
    upstream = torch.randn(5, 4, generator=g, dtype=torch.float64)
    ours = project_scaled_token(token, weight, scale)
    grads = torch.autograd.grad((ours * upstream).sum(), (token, weight))
    dense = (scale * token) @ weight.t()
    expected = torch.autograd.grad((dense * upstream).sum(), (token, weight))
    torch.testing.assert_close(ours, dense)
    for got, want in zip(grads, expected):
        torch.testing.assert_close(got, want)
