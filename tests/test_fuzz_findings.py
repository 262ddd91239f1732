"""What the fuzzing suites found, each kept as a plain case (the CI budget of the suites may not
draw it again): every one used to end in a traceback or a silently wrong dataset."""

from __future__ import annotations

import gzip

import pytest

from cogdl.config import load_config_file
from cogdl.data.text_fields import integer, number
from cogdl.datasets.hgb import load_hgb_folder
from cogdl.datasets.network_embedding import load_ne_folder
from cogdl.datasets.ogb import load_ogbn_folder
from cogdl.datasets.tu import load_tu_folder
from cogdl.errors import ConfigError, DataError
from cogdl.testing import check_dataset
from fuzzing import read_folder, written
from hgb_fixtures import write_link_prediction_folder, write_node_classification_folder
from test_fuzz_loaders import valid_files
from tu_fixtures import write_tu_folder


@pytest.mark.parametrize("value, message", [
    ("9223372036854775808", "beyond 64-bit integers"), ("-9223372036854775809", "beyond 64-bit integers"),
    ("1_000", "is not an integer"), ("１", "is not an integer"), ("1.0", "is not an integer"),
])
def test_an_integer_field_is_ascii_digits_within_int64(value, message):
    with pytest.raises(DataError, match=f"f.txt:3: node id .* {message}"):
        integer(value, "f.txt:3", "node id")
    assert integer(" -12 ", "f.txt:3", "node id") == -12


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e39"])
def test_a_number_field_is_finite_in_float32(value):
    with pytest.raises(DataError, match="f.txt:2: weight .* is not finite"):
        number(value, "f.txt:2", "weight")


def test_hgb_link_weight_nan_and_missing_info_dat(tmp_path):
    link = write_link_prediction_folder(tmp_path / "link", users=12, items=12, width=0.15)
    text = (link / "link.dat").read_text().split("\n")
    (link / "link.dat").write_text("\n".join([text[0].rsplit("\t", 1)[0] + "\tnan"] + text[1:]))
    with pytest.raises(DataError, match=r"link\.dat:1: link weight 'nan' is not finite"):
        load_hgb_folder(link)
    node = write_node_classification_folder(tmp_path / "node", papers=16, authors=12, classes=2)
    (node / "info.dat").unlink()  # once a KeyError: the class count is inferred from the labels
    check_dataset(load_hgb_folder(node))
    labels = (node / "label.dat").read_text().split("\n")
    first = labels[0].split("\t")
    (node / "label.dat").write_text("\n".join(["\t".join(first[:3] + ["2147483648"])] + labels[1:]))
    with pytest.raises(DataError, match=r"label\.dat: node \d+ has label 2147483648: more classes than the 16 nodes"):
        load_hgb_folder(node)  # once a 240 GB one-hot label matrix


def test_tu_labels_beyond_int64_or_wider_than_the_graph_and_a_blank_edge_file(tmp_path):
    folder = write_tu_folder(tmp_path / "tu", num_graphs=6)
    labels = folder / "PLANTED_node_labels.txt"
    original = labels.read_text()
    labels.write_text("9223372036854775808\n" + original.split("\n", 1)[1])  # numpy clipped it to int64 max
    with pytest.raises(DataError, match=r"node_labels\.txt:1: value .* beyond 64-bit integers"):
        load_tu_folder(folder)
    labels.write_text("1000000\n" + original.split("\n", 1)[1])  # a 1,000,001-column one-hot
    with pytest.raises(DataError, match=r"node_labels\.txt: node labels span 0\.\.1000000, more values than"):
        load_tu_folder(folder)
    labels.write_text(original)
    (folder / "PLANTED_A.txt").write_text("\n")  # numpy read one stray value from a blank file
    check_dataset(load_tu_folder(folder))


def test_ne_node_id_beyond_int64(tmp_path):
    files = dict(valid_files("ne"), **{"toy.cmty": b"9223372036854775808 20\n"})
    with written(files) as folder, pytest.raises(DataError, match=r"toy\.cmty:1: node id .* beyond 64-bit"):
        load_ne_folder(folder)


@pytest.mark.parametrize("name, text, message", [
    ("raw/edge.csv.gz", None, "not a valid gzip file|truncated gzip file"),
    ("raw/node-feat.csv.gz", b"0.5,0,0\nnan,1,1\n", r"node-feat\.csv\.gz:2: expected 3 comma-separated finite numbers"),
    ("raw/node-feat.csv.gz", b"0.5,0,0\n1e39,1,1\n", r"node-feat\.csv\.gz:2: expected 3 comma-separated finite"),
    ("raw/edge.csv.gz", b"0,1\n99999999999999999999,2\n", r"edge\.csv\.gz:2: expected 2 comma-separated non-negative"),
    ("raw/node-label.csv.gz", b"0\n1.5\n0\n1\n1\n0\n", r"node-label\.csv\.gz:2: expected a class id"),
    ("raw/node-label.csv.gz", b"nan\nnan\nnan\nnan\nnan\nnan\n", r"node-label\.csv\.gz: no node has a label"),
])
def test_ogbn_damaged_streams_and_values(name, text, message):
    files = dict(valid_files("ogbn"))
    files[name] = files[name][:20] if text is None else gzip.compress(text, mtime=0)
    with written(files) as folder, pytest.raises(DataError, match=message):
        load_ogbn_folder(folder)


@pytest.mark.parametrize("text, message", [
    (b"\xff\xfelr: 0.01\n", "not UTF-8 text"),
    (b"? [a, b]\n: 1\n", "invalid YAML: a key is a list"),
    (b"when: 2020-13-01\n", "invalid YAML: month must be in 1..12"),
])
def test_yaml_that_is_not_text_has_list_keys_or_impossible_dates(tmp_path, text, message):
    path = tmp_path / "config.yaml"
    path.write_bytes(text)
    with pytest.raises(ConfigError, match=f"{path}.*{message}"):
        load_config_file(path)


def test_check_dataset_catches_what_it_describes(tmp_path):
    """The invariants can fail: a label beyond the classes is caught."""
    with written(read_folder(write_tu_folder(tmp_path / "tu", num_graphs=6))) as folder:
        dataset = load_tu_folder(folder)
    check_dataset(dataset)
    dataset.graphs.y[0] = dataset.info.num_classes
    with pytest.raises(AssertionError, match="collection y: ids outside"):
        check_dataset(dataset)
