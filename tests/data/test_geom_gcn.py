"""Geom-GCN's heterophily sets and split files, loaded from the real data root."""

import pytest
import torch

from cogdl.datasets.geom_gcn import HETEROPHILY, load_heterophily, load_planetoid_geom_gcn
from cogdl.errors import DataError
from cogdl.protocols.base import load_dataset

#: nodes, undirected edges, features, train / val / test of split 0 (SOURCES.md's verification table)
EXPECTED = {"chameleon": (2277, 31371, 2325, (1092, 729, 456)), "squirrel": (5201, 198353, 2089, (2496, 1664, 1041)),
            "actor": (7600, 26659, 932, (3648, 2432, 1520)), "cornell": (183, 277, 1703, (87, 59, 37)),
            "texas": (183, 279, 1703, (87, 59, 37)), "wisconsin": (251, 450, 1703, (120, 80, 51))}


@pytest.mark.parametrize("name", HETEROPHILY)
def test_heterophily_sets_load_with_ten_disjoint_splits(data_root, name):
    dataset = load_dataset(name, data_root)
    graph = dataset.graph
    nodes, edges, features, sizes = EXPECTED[name]
    assert (graph.num_nodes, graph.num_edges // 2, graph.x.shape[1], dataset.info.num_classes) == (nodes, edges, features, 5)
    assert not bool((graph.row == graph.col).any())
    assert len(dataset.splits) == 10
    assert tuple(int(dataset.splits[0][s].sum()) for s in ("train", "val", "test")) == sizes
    split = dataset.split_dataset(3)
    assert split.graph.masks == dataset.splits[3] and split.graph.rowptr is graph.rowptr


@pytest.mark.parametrize("name", ["chameleon", "texas"])
def test_directed_variant_keeps_the_files_links_which_the_undirected_graph_symmetrises(data_root, name):
    undirected, directed = load_dataset(name, data_root), load_dataset(f"{name}-directed", data_root)
    assert directed.info.name == f"{name}-directed"
    assert all(torch.equal(directed.splits[3][s], undirected.splits[3][s]) for s in ("train", "val", "test"))
    assert torch.equal(directed.graph.x, undirected.graph.x) and torch.equal(directed.graph.y, undirected.graph.y)
    rows, cols = directed.graph.row.tolist(), directed.graph.col.tolist()
    links = set(zip(rows, cols))
    assert len(links) == len(rows) < undirected.graph.num_edges  # no repeats, and some links are one-way
    assert links | {(j, i) for i, j in links} == set(zip(undirected.graph.row.tolist(), undirected.graph.col.tolist()))
    first = open(f"{data_root}/{name}/out1_graph_edges.txt").read().splitlines()[1]
    i, j = map(int, first.split())
    assert (i, j) in links  # row i holds j: node i aggregates over the nodes it links to, as GCNII's reader


def test_cornell_carries_texas_features_and_labels_on_its_own_edges(data_root):
    cornell, texas = load_dataset("cornell", data_root).graph, load_dataset("texas", data_root).graph
    assert torch.equal(cornell.x, texas.x) and torch.equal(cornell.y, texas.y)
    assert cornell.num_edges != texas.num_edges


def test_actor_word_indices_become_one_hot_rows(data_root):
    graph = load_dataset("actor", data_root).graph
    assert set(graph.x.unique().tolist()) == {0.0, 1.0} and graph.x.shape[1] == 932


def test_planetoid_geom_gcn_splits_skip_citeseers_unlabelled_nodes(data_root):
    dataset = load_planetoid_geom_gcn("citeseer", data_root)
    assert dataset.info.name == "citeseer-geom-gcn" and not dataset.graph.masks
    for split in dataset.splits:
        for mask in split.values():
            assert bool((dataset.graph.y[mask] >= 0).all())
    assert [int(dataset.splits[4][s].sum()) for s in ("train", "val", "test")] == [1009, 677, 424]
    cora = load_dataset("cora-geom-gcn", data_root)
    assert [int(cora.splits[0][s].sum()) for s in ("train", "val", "test")] == [1192, 796, 497]


def test_a_split_file_with_overlapping_masks_names_the_file(data_root, monkeypatch):
    import io

    import numpy as np

    from cogdl.datasets import geom_gcn

    real = geom_gcn.read_dataset_file

    def overlapping(card, name, root):  # split 2 as a split file whose val repeats train
        data = real(card, name, root)
        if name != "texas_split_0.6_0.2_2.npz":
            return data
        with np.load(io.BytesIO(data)) as arrays:
            masks = dict(arrays)
        masks["val_mask"] = masks["train_mask"].copy()
        buffer = io.BytesIO()
        np.savez(buffer, **masks)
        return buffer.getvalue()

    monkeypatch.setattr(geom_gcn, "read_dataset_file", overlapping)
    with pytest.raises(DataError, match=r"texas_split_0.6_0.2_2.npz: train and val share node"):
        load_heterophily("texas", data_root)


def test_malformed_feature_and_edge_lines_name_file_and_line():
    from cogdl.datasets.geom_gcn import read_features, read_graph

    with pytest.raises(DataError, match=r"f.txt:3: expected 3 tab-separated columns"):
        read_features(b"node_id\tfeature\tlabel\n0\t1,0\t1\n1 0,1\t0\n", "f.txt", None)
    with pytest.raises(DataError, match="node ids must be 0..1"):
        read_features(b"h\n0\t1,0\t1\n0\t0,1\t0\n", "f.txt", None)
    with pytest.raises(DataError, match="f.txt:3: 1 feature values, the first node has 2"):
        read_features(b"h\n0\t1,0\t1\n1\t0\t0\n", "f.txt", None)
    x, y = read_features(b"h\n1\t0,1\t0\n0\t1,0\t2\n", "f.txt", None)
    assert x.tolist() == [[1.0, 0.0], [0.0, 1.0]] and y.tolist() == [2, 0]
    with pytest.raises(DataError, match="e.txt: node id out of range"):
        read_graph(b"h\n0\t5\n", "e.txt", x, y)
    graph = read_graph(b"h\n0\t1\n1\t0\n1\t1\n", "e.txt", x, y)
    assert graph.num_edges == 2
