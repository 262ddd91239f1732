"""The synthetic DC-SBM graph with planted classes: built once into the data root, memory-mapped on load."""

import json

import numpy as np
import pytest
import torch

from cogdl.datasets.synthetic import SIZES, build_synthetic, generate_structure, load_synthetic
from cogdl.errors import DataError


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("synthetic")
    return root, build_synthetic("synthetic-100k", root, seed=3)


def test_synthetic_graph_has_planted_structure(built):
    root, manifest = built
    graph = load_synthetic("synthetic-100k", root).graph
    stats = manifest["stats"]
    assert graph.num_nodes == 100_000 and graph.num_edges == stats["num_edges"] > 1_900_000
    degree = graph.rowptr.diff().double()
    assert degree.max() > 20 * degree.mean()  # heavy-tailed degrees
    same = (graph.y[graph.col] == graph.y[graph.row]).double().mean()
    assert 0.55 < float(same) < 0.7 and abs(float(same) - stats["homophily"]) < 1e-3
    # symmetric and without self loops
    assert not bool((graph.row == graph.col).any())
    forward = graph.row * graph.num_nodes + graph.col
    backward = graph.col * graph.num_nodes + graph.row
    assert torch.equal(torch.sort(forward).values, torch.sort(backward).values)
    # class centres: a feature mean per class far from another class's
    means = torch.stack([graph.x[graph.y == c][:2000].mean(0) for c in range(2)])
    assert float((means[0] - means[1]).norm()) > 5
    sizes = {name: int(mask.sum()) for name, mask in graph.masks.items()}
    assert sizes == {"train": 1000, "val": 1000, "test": 5000}
    assert not bool((graph.masks["train"] & graph.masks["test"]).any())


def test_synthetic_arrays_are_memory_mapped_and_the_build_repeats_for_a_seed(built, tmp_path):
    root, manifest = built
    graph = load_synthetic("synthetic-100k", root, verify=True).graph
    assert not graph.x.untyped_storage().resizable()  # a view of the mapped file, not an owned buffer
    again = build_synthetic("synthetic-100k", tmp_path, seed=3)
    assert again["sha256"] == manifest["sha256"]
    labels, rowptr, col = generate_structure(SIZES["synthetic-100k"], np.random.default_rng(4))
    assert col.numel() != manifest["stats"]["num_edges"]  # another seed, another graph


def test_synthetic_dataset_not_built_or_damaged_is_one_clear_error(built, tmp_path):
    root, _ = built
    with pytest.raises(DataError, match="not built .* run `cogdl data build synthetic-200k`"):
        load_synthetic("synthetic-200k", root)
    copy = tmp_path / "synthetic-100k"
    copy.mkdir()
    for f in (root / "synthetic-100k").iterdir():
        (copy / f.name).write_bytes(f.read_bytes())
    (copy / "y.npy").write_bytes((copy / "y.npy").read_bytes()[:-80])
    with pytest.raises(DataError, match="y.npy"):
        load_synthetic("synthetic-100k", tmp_path)
    manifest = json.loads((copy / "manifest.json").read_text())
    assert manifest["format"] == "cogdl-synthetic-1"


def test_cli_builds_a_synthetic_graph_into_the_data_root_and_verifies_it(cli, tmp_path):
    code, out, _ = cli("data", "build", "synthetic-100k", "--seed", "1", "--data-root", str(tmp_path))
    assert code == 0 and "100000 nodes" in out and out.strip().endswith("manifest.json")
    assert not list((tmp_path / "synthetic-100k").glob("*.part"))
    code, out, _ = cli("data", "verify", "synthetic-100k", "--data-root", str(tmp_path))
    assert code == 0 and "5 file(s) checked" in out
    x = tmp_path / "synthetic-100k" / "x.npy"
    data = bytearray(x.read_bytes())
    data[-1] ^= 0xFF
    x.write_bytes(bytes(data))
    code, _, err = cli("data", "verify", "synthetic-100k", "--data-root", str(tmp_path))
    assert code == 2 and "x.npy: sha256 does not match" in err


def test_graphsage_learns_the_planted_classes_in_mini_batches(built):
    import cogdl

    root, _ = built
    result = cogdl.experiment(task="node_classification", model="graphsage", dataset="synthetic-100k", data_root=root,
                              out=None, epochs=4, patience=None, batch_size=512, fanouts="10,5", lr=0.01,
                              normalize_features=False, eval_batch_size=20000)
    assert result.summary["test_acc"]["mean"] > 0.5  # chance is 1/16
