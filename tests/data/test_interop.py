"""PyG and DGL interop: round trips are exact on the real Planetoid and HGB datasets, and a PyG or
DGL object runs through `cogdl.experiment` exactly as the registered dataset does."""

from __future__ import annotations

import functools

import pytest
import torch

import cogdl
from cogdl.data import dataset_from_dgl, dataset_from_pyg, from_dgl, from_pyg, to_dgl, to_pyg
from cogdl.data.graph import Graph
from cogdl.data.hetero_graph import HeteroGraph
from cogdl.errors import DataError
from cogdl.protocols.base import load_dataset

slow = pytest.mark.slow
#: HGB DBLP and IMDB take ~12 s each to parse; CI checks ACM, `-m slow` the other two
DATASETS = ["cora", "citeseer", "pubmed", "hgb-acm", pytest.param("hgb-dblp", marks=slow),
            pytest.param("hgb-imdb", marks=slow)]
LIBRARIES = {"pyg": (to_pyg, from_pyg, dataset_from_pyg), "dgl": (to_dgl, from_dgl, dataset_from_dgl)}


@functools.cache
def loaded(name: str):
    return load_dataset(name)


def assert_same_tensor(a, b, what: str) -> None:
    if a is None or b is None:
        assert a is None and b is None, what
        return
    assert a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b), what


def assert_same_graph(a, b) -> None:
    assert type(a) is type(b)
    if isinstance(a, Graph):
        for field in ("rowptr", "col", "edge_weight", "x", "y"):
            assert_same_tensor(getattr(a, field), getattr(b, field), field)
        assert a.masks.keys() == b.masks.keys()
        for split in a.masks:
            assert_same_tensor(a.masks[split], b.masks[split], f"{split} mask")
        return
    assert isinstance(a, HeteroGraph)
    assert (a.node_type_names, a.counts) == (b.node_type_names, b.counts)
    for t, (fa, fb) in enumerate(zip(a.features, b.features)):
        assert_same_tensor(fa, fb, f"features of type {t}")
    assert len(a.relations) == len(b.relations)
    for ra, rb in zip(a.relations, b.relations):
        assert (ra.id, ra.name, ra.src_type, ra.dst_type) == (rb.id, rb.name, rb.src_type, rb.dst_type)
        for field in ("src", "dst", "weight"):
            assert_same_tensor(getattr(ra, field), getattr(rb, field), f"relation {ra.id} {field}")


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize("name", DATASETS)
def test_graph_and_dataset_round_trips_are_exact(data_root, name, library):
    to_lib, from_lib, dataset_from_lib = LIBRARIES[library]
    dataset = loaded(name)
    assert_same_graph(from_lib(to_lib(dataset.graph)), dataset.graph)
    back = dataset_from_lib(to_lib(dataset), name)
    assert type(back) is type(dataset) and back.info == dataset.info
    assert_same_graph(back.graph, dataset.graph)
    for field in ("y", "train_ids", "test_ids"):
        if hasattr(dataset, field):
            assert_same_tensor(getattr(back, field), getattr(dataset, field), field)
    if hasattr(dataset, "target_type"):
        assert back.target_type == dataset.target_type


def test_pyg_edge_index_is_sources_then_destinations():
    graph = Graph.from_coo(torch.tensor([1, 2]), torch.tensor([0, 0]), 3)  # edges 0 -> 1, 0 -> 2
    data = to_pyg(graph)
    assert data.edge_index.tolist() == [[0, 0], [1, 2]]
    assert to_dgl(graph).edges()[1].tolist() == [1, 2]


def test_repeated_edges_survive_the_round_trip():
    graph = Graph.from_coo(torch.tensor([1, 1, 0]), torch.tensor([0, 0, 1]), 2, coalesce=False)
    assert from_pyg(to_pyg(graph)).num_edges == 3
    assert from_dgl(to_dgl(graph)).num_edges == 3


@pytest.mark.parametrize("library", LIBRARIES)
def test_a_foreign_graph_trains_as_the_registered_dataset_does(data_root, library):
    to_lib = LIBRARIES[library][0]
    own = cogdl.experiment("node_classification", "gcn", "cora", seeds=[0], out=None, epochs=30)
    given = cogdl.experiment("node_classification", "gcn", to_lib(loaded("cora")), seeds=[0], out=None, epochs=30)
    assert given.records[0]["test_acc"] == own.records[0]["test_acc"]
    assert given.dataset == ("pyg-data" if library == "pyg" else "dgl-graph")


def test_a_pyg_planetoid_dataset_is_our_cora(data_root, tmp_path):
    """PyG's own `Planetoid` reader over the same raw files gives exactly our Cora."""
    from torch_geometric.datasets import Planetoid

    raw = tmp_path / "Cora" / "raw"
    raw.mkdir(parents=True)
    for path in (data_root / "cora").iterdir():
        (raw / path.name).symlink_to(path)
    pyg_cora = Planetoid(str(tmp_path), "Cora")
    converted = dataset_from_pyg(pyg_cora)
    assert converted.info.name == "pyg-cora" and converted.info.num_classes == 7
    assert_same_graph(converted.graph, loaded("cora").graph)
    result = cogdl.experiment("node_classification", "gcn", pyg_cora, seeds=[0], out=tmp_path / "runs", epochs=5)
    assert result.run_dir.parent.parent.name == "pyg-cora"


def test_a_pyg_collection_becomes_a_graph_collection():
    from torch_geometric.data import Data, InMemoryDataset

    graphs = [Data(x=torch.ones(n, 2), edge_index=torch.tensor([[0, 1], [1, 0]]), y=torch.tensor([n % 2]))
              for n in (2, 3, 4)]
    dataset = InMemoryDataset()
    dataset.data, dataset.slices = InMemoryDataset.collate(graphs)
    converted = dataset_from_pyg(dataset, "tiny")
    assert len(converted.graphs) == 3 and converted.graphs.y.tolist() == [0, 1, 0]
    assert converted.graphs.node_ptr.tolist() == [0, 2, 5, 9]
    assert converted.graphs.src.tolist() == [0, 1, 2, 3, 5, 6]


def test_missing_masks_and_labels_are_named():
    from torch_geometric.data import Data

    data = Data(x=torch.ones(3, 2), edge_index=torch.tensor([[0], [1]]), y=torch.tensor([0, 1, 0]),
                train_mask=torch.tensor([True, False, False]))
    with pytest.raises(DataError, match="no val mask, test mask"):
        dataset_from_pyg(data, "mine")
    with pytest.raises(DataError, match="no node labels"):
        dataset_from_pyg(Data(x=torch.ones(3, 2), edge_index=torch.tensor([[0], [1]])), "mine")
    with pytest.raises(TypeError, match="a registered name"):
        cogdl.experiment("node_classification", "gcn", 42, out=None)
