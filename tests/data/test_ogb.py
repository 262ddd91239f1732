"""OGB node-property folders: a fixture in OGB's exact layout (gzipped CSV under raw/ and split/<name>/)."""

import gzip

import pytest
import torch

from cogdl.datasets.ogb import load_ogbn_folder
from cogdl.errors import DataError
from cogdl.registry import DATASETS


def _write(path, lines):
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt") as handle:
        handle.write("".join(line + "\n" for line in lines))


@pytest.fixture
def ogbn_folder(tmp_path):
    """6 nodes, 3 features, 2 classes, directed edges as OGB stores them, split `time`."""
    folder = tmp_path / "ogbn_tiny"
    _write(folder / "raw" / "edge.csv.gz", ["0,1", "1,2", "2,0", "3,4", "4,5", "1,0"])
    _write(folder / "raw" / "node-feat.csv.gz", [f"{i}.5,{-i},{i * i}" for i in range(6)])
    _write(folder / "raw" / "node-label.csv.gz", ["0", "1", "0", "1", "1", "0"])
    _write(folder / "raw" / "num-node-list.csv.gz", ["6"])
    _write(folder / "split" / "time" / "train.csv.gz", ["0", "1", "3"])
    _write(folder / "split" / "time" / "valid.csv.gz", ["2"])
    _write(folder / "split" / "time" / "test.csv.gz", ["4", "5"])
    return folder


def test_ogbn_folder_loads_symmetric_edges_features_labels_and_split(ogbn_folder):
    dataset = load_ogbn_folder(ogbn_folder)
    graph = dataset.graph
    assert graph.num_nodes == 6 and dataset.info.num_features == 3 and dataset.info.num_classes == 2
    pairs = {(int(d), int(s)) for d, s in zip(graph.row, graph.col)}
    assert pairs == {(1, 0), (0, 1), (2, 1), (1, 2), (0, 2), (2, 0), (4, 3), (3, 4), (5, 4), (4, 5)}
    assert graph.x[2].tolist() == [2.5, -2.0, 4.0] and graph.y.tolist() == [0, 1, 0, 1, 1, 0]
    assert graph.masks["train"].nonzero().squeeze(1).tolist() == [0, 1, 3]
    assert graph.masks["test"].nonzero().squeeze(1).tolist() == [4, 5]


def test_ogbn_folder_second_load_reads_the_binary_arrays_not_the_text(ogbn_folder, monkeypatch):
    first = load_ogbn_folder(ogbn_folder)
    assert list((ogbn_folder / "cogdl-binary").glob("time-*/edge.npy"))
    from cogdl.datasets import ogb

    monkeypatch.setattr(ogb, "read_csv_gz", lambda *a, **k: pytest.fail("parsed the text again"))
    second = load_ogbn_folder(ogbn_folder)
    assert torch.equal(first.graph.col, second.graph.col) and torch.equal(first.graph.x, second.graph.x)


def test_ogbn_folder_names_the_file_and_line_of_a_bad_record(ogbn_folder, cli, tmp_path):
    _write(ogbn_folder / "raw" / "edge.csv.gz", ["0,1", "1;2", "2,0"])
    with pytest.raises(DataError, match=r"edge.csv.gz:2: expected 2 comma-separated non-negative integers"):
        load_ogbn_folder(ogbn_folder)
    code, _, err = cli("train", "--task", "node_classification", "--model", "gcn", "--dataset", f"ogbn:{ogbn_folder}",
                       "--out", str(tmp_path / "runs"))
    assert code == 2 and "edge.csv.gz:2" in err and not (tmp_path / "runs").exists()


def test_ogbn_folder_rejects_node_ids_beyond_the_features(ogbn_folder):
    _write(ogbn_folder / "split" / "time" / "test.csv.gz", ["4", "9"])
    with pytest.raises(DataError, match="test.csv.gz: node id 9 but there are 6 nodes"):
        load_ogbn_folder(ogbn_folder)


def test_ogbn_arxiv_without_its_folder_says_where_to_put_it(tmp_path):
    with pytest.raises(DataError, match="ogbn-arxiv: no folder .*ogb.stanford.edu"):
        DATASETS.get("ogbn-arxiv")(tmp_path)


def test_ogbn_folder_trains_through_the_cli(ogbn_folder, cli, tmp_path):
    code, out, err = cli("train", "--task", "node_classification", "--model", "graphsage", "--dataset",
                         f"ogbn:{ogbn_folder}", "--set", "epochs=2", "batch_size=2", "fanouts=2,2",
                         "normalize_features=false", "--out", str(tmp_path / "runs"))
    assert code == 0, err
    assert "test_acc" in out
