import pickle

import pytest
import torch
from torch_geometric.io import read_planetoid_data

from cogdl.data.safe_pickle import safe_loads
from cogdl.datasets.planetoid import _parse_index, load_planetoid
from cogdl.errors import DataError

EXPECTED = {  # nodes, directed edges, features, classes, train size, unlabelled nodes
    "cora": (2708, 10556, 1433, 7, 140, 0),
    "citeseer": (3327, 9104, 3703, 6, 120, 15),
    "pubmed": (19717, 88648, 500, 3, 60, 0),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_planetoid_statistics_and_public_split(name, data_root):
    dataset = load_planetoid(name, data_root)
    graph, info = dataset.graph, dataset.info
    nodes, edges, features, classes, train, unlabelled = EXPECTED[name]
    assert (graph.num_nodes, graph.num_edges, info.num_features, info.num_classes) == (nodes, edges, features, classes)
    assert [int(graph.masks[s].sum()) for s in ("train", "val", "test")] == [train, 500, 1000]
    assert torch.bincount(graph.y[graph.masks["train"]]).tolist() == [20] * classes
    assert int((graph.y == -1).sum()) == unlabelled
    assert not (graph.masks["train"] & graph.masks["val"]).any() and not (graph.masks["val"] & graph.masks["test"]).any()
    assert (graph.row != graph.col).all()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_planetoid_matches_pyg_reader_on_the_same_files(name, data_root):
    ours = load_planetoid(name, data_root).graph
    theirs = read_planetoid_data(str(data_root / name), name)
    assert torch.equal(ours.x, theirs.x)
    labelled = ours.y >= 0
    assert torch.equal(ours.y[labelled], theirs.y[labelled])
    for split in ("train", "val", "test"):
        assert torch.equal(ours.masks[split], theirs[f"{split}_mask"])
    key = lambda src, dst: torch.sort(src * ours.num_nodes + dst).values  # noqa: E731
    assert torch.equal(key(ours.col, ours.row), key(theirs.edge_index[0], theirs.edge_index[1]))


def test_restricted_unpickler_rejects_code_execution():
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    with pytest.raises(pickle.UnpicklingError, match=r"global (__builtin__|builtins).print is not allowed"):
        safe_loads(pickle.dumps(Evil(), protocol=2))


def test_planetoid_malformed_test_index_names_file_and_line(tmp_path):
    path = tmp_path / "ind.cora.test.index"
    with pytest.raises(DataError, match=r"ind.cora.test.index:2: expected a node id, found 'abc'"):
        _parse_index(b"1708\nabc\n", path)
