import pytest
import torch
from torch_geometric.nn import global_add_pool, global_max_pool, global_mean_pool

from cogdl.nn import global_pool

PYG = {"sum": global_add_pool, "mean": global_mean_pool, "max": global_max_pool}


@pytest.mark.parametrize("reduce", sorted(PYG))
def test_global_pool_matches_pyg(reduce):
    torch.manual_seed(0)
    x = torch.randn(11, 5, requires_grad=True)
    graph_index = torch.tensor([0, 0, 0, 1, 2, 2, 2, 2, 3, 3, 3])
    ours = global_pool(x, graph_index, 4, reduce)
    torch.testing.assert_close(ours, PYG[reduce](x, graph_index, 4))
    ours.sum().backward()
    assert x.grad is not None


def test_global_pool_gives_zeros_to_an_empty_graph_and_rejects_unknown_reductions():
    x = torch.ones(2, 3)
    for reduce in ("sum", "mean", "max"):
        assert global_pool(x, torch.tensor([0, 0]), 2, reduce)[1].eq(0).all()
    with pytest.raises(ValueError, match="reduce must be one of"):
        global_pool(x, torch.tensor([0, 0]), 1, "median")
