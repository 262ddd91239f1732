"""HGB folders: the real DBLP files, generated folders in the format, and malformed files."""

import gzip
import json
import shutil

import pytest
import torch

from cogdl.data.dataset import HeteroLinkDataset, HeteroNodeDataset
from cogdl.datasets.hgb import load_hgb_card, load_hgb_folder
from cogdl.errors import DataError
from hgb_fixtures import write_link_prediction_folder, write_node_classification_folder


def test_hgb_dblp_matches_the_published_counts(data_root):
    dataset = load_hgb_card("hgb-dblp", data_root)
    graph = dataset.graph
    assert graph.node_type_names == ["author", "paper", "term", "venue"]
    assert graph.counts == [4057, 14328, 7723, 20] and graph.num_nodes == 26128
    assert [r.num_edges for r in graph.relations] == [19645, 85810, 14328, 19645, 85810, 14328]
    assert [tuple(f.shape) if f is not None else None for f in graph.features] == [
        (4057, 334), (14328, 4231), (7723, 50), None]
    assert isinstance(dataset, HeteroNodeDataset) and dataset.target_type == 0 and dataset.info.num_classes == 4
    assert dataset.train_ids.numel() == 1217 and dataset.test_ids.numel() == 2840
    assert not dataset.info.multi_label and int(dataset.y[dataset.test_ids].min()) >= 0
    typed = graph.to_homogeneous()
    assert typed.num_edge_types == 13
    # DBLP lists both directions, so no reverse type is needed; one self loop per node
    assert torch.bincount(typed.edge_type, minlength=13)[7:].sum() == 0
    assert int((typed.edge_type == 6).sum()) == 26128


def test_folder_with_crlf_gz_and_multi_label_loads(tmp_path):
    folder = write_node_classification_folder(tmp_path / "nc", multi_label=True, crlf=True)
    link = folder / "link.dat"
    (folder / "link.dat.gz").write_bytes(gzip.compress(link.read_bytes()))
    link.unlink()
    dataset = load_hgb_folder(folder)
    assert isinstance(dataset, HeteroNodeDataset) and dataset.info.multi_label
    assert dataset.y.shape == (180, 3) and dataset.graph.features[1] is None
    assert dataset.info.name == f"hgb:{folder}"


def test_link_prediction_is_chosen_by_the_files_present(tmp_path):
    dataset = load_hgb_folder(write_link_prediction_folder(tmp_path / "lp"))
    assert isinstance(dataset, HeteroLinkDataset) and sorted(dataset.test_links) == [0]
    assert dataset.info.metric == "roc_auc"


def test_hetero_graph_adds_reverse_types_only_where_missing(tmp_path):
    dataset = load_hgb_folder(write_link_prediction_folder(tmp_path / "lp"))
    typed = dataset.graph.to_homogeneous()
    user_item = dataset.graph.relation(0)
    assert typed.num_edge_types == 5  # user-item, user-user, self loop, their reverses
    assert int((typed.edge_type == 3).sum()) == user_item.num_edges  # item -> user never given
    user_user = dataset.graph.relation(1)  # symmetric already: no reverse edge needed
    assert int((typed.edge_type == 4).sum()) == 0 and int((typed.edge_type == 1).sum()) == user_user.num_edges


@pytest.mark.parametrize("file_name, line_no, bad_line, message", [
    ("node.dat", 3, "2\tname\t0\t0.1,0.2", "expected 3 or 4 tab-separated columns"),
    ("node.dat", 5, "4\tpaper 4\t0\t0.1,abc,0.3", "feature value 'abc' is not a number"),
    ("link.dat", 2, "0\t99999\t0\t1.0", "node id 99999 out of range"),
    ("link.dat", 4, "1\t121\t7\t1.0", "unknown link type 7"),
    ("link.dat", 1, "0\t121\t0", "expected 4 tab-separated columns"),
    ("label.dat", 2, "5\tx\t0\tseven", "label 'seven' is not an integer"),
])
def test_cli_malformed_hgb_file_names_file_and_line(cli, tmp_path, file_name, line_no, bad_line, message):
    folder = write_node_classification_folder(tmp_path / "nc")
    path = folder / file_name
    lines = path.read_text().splitlines()
    if file_name == "node.dat" and "columns" in message:
        bad_line = lines[line_no - 1] + "\textra"
    lines[line_no - 1] = bad_line
    path.write_text("\n".join(lines) + "\n")
    status, out, err = cli("train", "--task", "hetero_node_classification", "--model", "simple_hgn",
                           "--dataset", f"hgb:{folder}", "--out", str(tmp_path / "runs"))
    assert status == 2 and err.count("\n") == 1
    assert f"{path}:{line_no}: " in err and message in err
    assert not (tmp_path / "runs").exists()


def test_missing_labels_and_mixed_tasks_are_errors(tmp_path):
    folder = write_node_classification_folder(tmp_path / "nc")
    (folder / "label.dat.test").unlink()
    with pytest.raises(DataError, match="no label.dat.test"):
        load_hgb_folder(folder)
    write_link_prediction_folder(tmp_path / "lp")
    (tmp_path / "lp" / "label.dat").write_text("0\tx\t0\t1\n")
    with pytest.raises(DataError, match="both link.dat.test and label files"):
        load_hgb_folder(tmp_path / "lp")


def test_unpinned_card_without_files_points_to_the_official_archive(tmp_path, monkeypatch):
    monkeypatch.setenv("COGDL_OFFLINE", "1")
    with pytest.raises(DataError, match=r"Freebase\.zip"):
        load_hgb_card("hgb-freebase", tmp_path)


def test_a_copy_that_is_not_the_pinned_lastfm_is_refused_with_its_file(tmp_path):
    write_link_prediction_folder(tmp_path / "hgb-lastfm")
    with pytest.raises(DataError, match=r"hgb-lastfm/node.dat: sha256 mismatch"):
        load_hgb_card("hgb-lastfm", tmp_path)


def test_link_types_are_inferred_when_info_dat_declares_none(tmp_path):
    """The loader infers undeclared link types from their end points; it used to stop at the second
    type ("unknown link type 1; declared: [0]"), as it did on the real LastFM files."""
    folder = write_link_prediction_folder(tmp_path / "lp")
    (folder / "info.dat").write_text('{"node.dat": {}, "link.dat": {}}')
    dataset = load_hgb_folder(folder)
    assert [(r.id, r.src_type, r.dst_type) for r in dataset.graph.relations] == [(0, 0, 1), (1, 0, 0)]
    assert sorted(dataset.test_links) == [0]


def test_real_lastfm_link_prediction_files_load_with_the_names_of_their_info_dat(data_root):
    """LastFM's info.dat lists types directly under "node.dat" / "link.dat" (no "node type" level)."""
    dataset = load_hgb_card("hgb-lastfm", data_root)
    assert isinstance(dataset, HeteroLinkDataset) and dataset.graph.node_type_names == ["user", "artist", "tag"]
    assert [(r.id, r.name, r.src_type, r.dst_type) for r in dataset.graph.relations] == [
        (0, "user-artist", 0, 1), (1, "user-user", 0, 0), (2, "artist-tag", 1, 2)]
    assert dataset.graph.counts == [1892, 17632, 1088] and sorted(dataset.test_links) == [0]
    assert dataset.test_links[0][0].numel() == 18567


def _edit(path, old, new, count=1):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, count))


def test_hgb_values_are_checked_against_the_format_and_the_declarations(tmp_path):
    folder = write_node_classification_folder(tmp_path / "nc")
    info = json.loads((folder / "info.dat").read_text())
    info["label.dat"] = {"node type": {"0": {"0": "a", "1": "b", "2": "c"}}}
    (folder / "info.dat").write_text(json.dumps(info))
    assert load_hgb_folder(folder).info.num_classes == 3  # declared, and every label within them
    cases = []
    nan = tmp_path / "nan"
    shutil.copytree(folder, nan)
    first_row = (nan / "node.dat").read_text().splitlines()[0]
    _edit(nan / "node.dat", first_row, first_row.rsplit("\t", 1)[0] + "\tnan,1.0,2.0")
    cases.append((nan, r"nan/node.dat:1: feature value nan is not finite"))
    wide = tmp_path / "wide"
    shutil.copytree(folder, wide)
    line = (wide / "label.dat").read_text().splitlines()[0]
    _edit(wide / "label.dat", line, line.rsplit("\t", 1)[0] + "\t7")
    cases.append((wide, rf"wide/label.dat: node {line.split()[0]} has label 7; .*wide/info.dat declares 3 classes "
                        r"\(0..2\) for node type 0"))
    empty = tmp_path / "empty"
    shutil.copytree(folder, empty)
    (empty / "link.dat").write_text("")
    cases.append((empty, r"empty/link.dat: no links"))
    typed = tmp_path / "typed"
    shutil.copytree(folder, typed)
    info["link.dat"]["link type"]["0"]["start"] = "paper"
    (typed / "info.dat").write_text(json.dumps(info))
    cases.append((typed, r"typed/info.dat: link type 0: 'start' node type 'paper' is not an integer"))
    twice = tmp_path / "twice"
    shutil.copytree(folder, twice)
    lines = (twice / "label.dat").read_text().splitlines()
    (twice / "label.dat").write_text("\n".join(lines + [lines[0].rsplit("\t", 1)[0] + "\t2"]) + "\n")
    cases.append((twice, rf"twice/label.dat:{len(lines) + 1}: node {lines[0].split()[0]} is labelled again "
                         r"\(first on line 1\)"))
    for path, message in cases:
        with pytest.raises(DataError, match=message):
            load_hgb_folder(path)
