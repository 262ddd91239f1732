"""IGB datasets: building (deterministic, checked), loading, and the source loaders (real files where
this machine has them, small fixtures in each official source format where it does not)."""

import hashlib
import json

import numpy as np
import pytest
import torch

from cogdl.datasets.igb import build_igb, load_igb
from cogdl.datasets.igb_sources import load_facebook_pagepage, load_planetoid_source, reduce_source
from cogdl.datasets.planetoid import load_planetoid
from cogdl.errors import DataError
from igb_fixtures import write_aminer, write_facebook_npz, write_flickr, write_nell


@pytest.fixture
def igb_root(tmp_path, data_root):
    """A writable data root whose sources are the real datasets (linked, read only)."""
    root = tmp_path / "data"
    root.mkdir()
    for name in ("cora", "citeseer", "facebook-pagepage"):
        (root / name).symlink_to(data_root / name)
    return root


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_igb_cora_build_is_byte_identical_for_a_seed_and_differs_for_another(igb_root, cli):
    status, out, _ = cli("data", "build", "igb-cora", "--data-root", str(igb_root))
    assert status == 0 and "igb-cora: 100 graphs from cora (rw, walk length 1000, seed 0)" in out
    npz, manifest = igb_root / "igb-cora" / "igb-cora.npz", igb_root / "igb-cora" / "manifest.json"
    first = (_sha(npz), manifest.read_bytes())
    assert json.loads(first[1])["sha256"] == first[0]
    assert cli("data", "build", "igb-cora", "--data-root", str(igb_root))[0] == 0
    assert (_sha(npz), manifest.read_bytes()) == first
    assert cli("data", "build", "igb-cora", "--data-root", str(igb_root), "--seed", "1")[0] == 0
    assert _sha(npz) != first[0]


def test_igb_loaded_graphs_are_subgraphs_of_the_source_with_its_features(igb_root, data_root):
    build_igb("igb-cora", igb_root, graphs=5, walk_length=300, seed=2)
    dataset = load_igb("igb-cora", igb_root)
    cora = load_planetoid("cora", data_root).graph
    source_edges = set(zip(cora.col.tolist(), cora.row.tolist()))
    ids = np.load(igb_root / "igb-cora" / "igb-cora.npz")["nodes"]
    assert len(dataset.graphs) == 5 and dataset.info.num_classes == 7
    start = 0
    for graph in dataset.graphs:
        nodes = torch.from_numpy(ids[start:start + graph.num_nodes])
        start += graph.num_nodes
        assert torch.equal(graph.x, cora.x[nodes]) and torch.equal(graph.y, cora.y[nodes])
        edges = set(zip(nodes[graph.col].tolist(), nodes[graph.row].tolist()))
        assert edges <= source_edges and graph.num_edges == 600  # 300 traversed edges, both directions
        sizes = [int(graph.masks[s].sum()) for s in ("train", "val", "test")]
        assert sizes[:2] == [int(0.1 * graph.num_nodes)] * 2 and sum(sizes) == graph.num_nodes


def test_igb_load_rejects_a_changed_npz_and_names_the_build_command(igb_root):
    with pytest.raises(DataError, match=r"igb-cora is not built in .*: run `cogdl data build igb-cora`"):
        load_igb("igb-cora", igb_root)
    build_igb("igb-cora", igb_root, graphs=2, walk_length=50)
    npz = igb_root / "igb-cora" / "igb-cora.npz"
    data = bytearray(npz.read_bytes())
    data[len(data) // 2] ^= 1
    npz.write_bytes(bytes(data))
    with pytest.raises(DataError, match=r"igb-cora.npz: sha256 [0-9a-f]{64} does not match .*manifest.json"):
        load_igb("igb-cora", igb_root)


def test_igb_load_refuses_an_npz_of_object_arrays_with_a_data_error(igb_root):
    build_igb("igb-cora", igb_root, graphs=2, walk_length=50)
    folder = igb_root / "igb-cora"
    with np.load(folder / "igb-cora.npz") as npz:
        arrays = {name: npz[name] for name in npz.files}
    arrays["nodes"] = np.array([list(arrays["nodes"])], dtype=object)  # a pickle inside the npz
    np.savez(folder / "igb-cora.npz", **arrays)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["sha256"] = _sha(folder / "igb-cora.npz")  # the checksum agrees: the arrays themselves are refused
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(DataError, match=r"igb-cora.npz: not an npz of IGB's plain arrays \(Object arrays cannot"):
        load_igb("igb-cora", igb_root)


def test_igb_dataset_without_its_protocol_is_a_one_line_error_naming_it(igb_root, cli):
    build_igb("igb-citeseer", igb_root, graphs=2, walk_length=50)
    status, _, err = cli("train", "--task", "node_classification", "--model", "gcn", "--dataset", "igb-citeseer",
                         "--data-root", str(igb_root))
    assert status == 2 and err.count("\n") == 1
    assert ("task 'node_classification' does not take dataset 'igb-citeseer' (many i.i.d. graphs, each with a node "
            "split); tasks that do: none; protocols that run it: igb (--protocol NAME)") in err


def test_igb_build_of_an_unknown_dataset_exits_2(igb_root, cli):
    status, _, err = cli("data", "build", "igb-corra", "--data-root", str(igb_root))
    assert status == 2 and "unknown IGB dataset 'igb-corra' (did you mean 'igb-cora'" in err


def test_planetoid_source_is_the_labelled_largest_component(data_root):
    citeseer = load_planetoid_source("citeseer", "citeseer", data_root)
    assert (citeseer.num_nodes, citeseer.col.size // 2) == (2110, 3668)
    assert (citeseer.y >= 0).all() and np.array_equal(citeseer.col.size, np.diff(citeseer.rowptr).sum())


def test_facebook_pagepage_source_has_structural_features(data_root):
    source = load_facebook_pagepage(data_root)
    assert (source.num_nodes, source.col.size // 2, source.num_classes) == (22470, 170823, 4)  # 179 self loops dropped
    degree = np.diff(source.rowptr)
    assert source.x.shape == (22470, 18)
    assert (source.x[:, :16].sum(1) == 1).all()  # one log2-degree bucket each
    assert source.x[degree.argmax(), 16] == pytest.approx(1.0)  # log(1 + d) scaled by its maximum
    assert ((source.x[:, 17] >= 0) & (source.x[:, 17] <= 1)).all()  # clustering coefficients


def test_reduce_source_keeps_the_largest_labelled_component():
    src, dst = np.array([0, 1, 3, 4, 5, 6]), np.array([1, 2, 4, 5, 3, 6])  # {0,1,2} {3,4,5} and a loop at 6
    y = np.array([0, 1, 0, 1, 1, -1, 0])  # node 5 unlabelled: {3,4} remains, smaller than {0,1,2}
    source = reduce_source(src, dst, np.eye(7, dtype=np.float32), y, 2)
    assert source.ids.tolist() == [0, 1, 2] and source.rowptr.tolist() == [0, 1, 3, 4]


@pytest.mark.parametrize("dataset, write, classes", [
    ("igb-facebook-npz", write_facebook_npz, 4),
    ("igb-nell", write_nell, 3),
    ("igb-flickr", write_flickr, 3),
    ("igb-aminer", write_aminer, 2),
])
def test_official_igb_sources_load_from_their_formats(tmp_path, dataset, write, classes):
    expected_ids = write(tmp_path)
    build_igb(dataset, tmp_path, graphs=3, walk_length=5)
    loaded = load_igb(dataset, tmp_path)
    assert loaded.info.num_classes == classes and len(loaded.graphs) == 3
    ids = np.load(tmp_path / dataset / f"{dataset}.npz")["nodes"]
    assert set(ids.tolist()) <= set(expected_ids)
