"""TU datasets: the real files, the TU and DGCNN text formats, batching, and malformed input."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cogdl.data import graph as graph_module
from cogdl.data.graph import Graph
from cogdl.data.graph_collection import GraphCollection
from cogdl.datasets import tu
from cogdl.datasets.tu import load_tu, load_tu_folder, parse_dgcnn
from cogdl.errors import DataError
from tu_fixtures import planted_graphs, write_dgcnn_file, write_tu_folder


@pytest.mark.parametrize("dataset_id, graphs, nodes, edges, features, classes", [
    ("mutag", 188, 3371, 7442, 7, 2),
    ("proteins", 1113, 43471, 162088, 3, 2),
    ("nci1", 4110, 122747, 265506, 37, 2),
    ("imdb-binary", 1000, 19773, 193062, 136, 2),
    ("imdb-multi", 1500, 19502, 197806, 89, 3),
])
def test_tu_dataset_matches_published_counts(data_root, dataset_id, graphs, nodes, edges, features, classes):
    dataset = load_tu(dataset_id, data_root)
    collection = dataset.graphs
    assert (len(collection), int(collection.node_ptr[-1]), collection.src.numel()) == (graphs, nodes, edges)
    assert (dataset.info.num_features, dataset.info.num_classes) == (features, classes)
    assert collection.x.sum(1).eq(1).all()  # one-hot rows
    graph_of_node = torch.repeat_interleave(torch.arange(graphs), collection.num_nodes())
    assert torch.equal(graph_of_node[collection.src], graph_of_node[collection.dst])
    assert int(collection.y.max()) == classes - 1


@pytest.mark.slow
def test_collab_from_dgcnn_format_matches_tu_counts(data_root):
    dataset = load_tu("collab", data_root)
    assert (len(dataset.graphs), int(dataset.graphs.node_ptr[-1])) == (5000, 372474)
    assert torch.bincount(dataset.graphs.y).tolist() == [2600, 775, 1625]


def test_batch_renumbers_graphs_into_a_disjoint_union(data_root):
    collection = load_tu("mutag", data_root).graphs
    batch = collection.batch(torch.tensor([5, 0, 17]))
    sizes = collection.num_nodes()[[5, 0, 17]]
    assert batch.graph.num_nodes == int(sizes.sum()) and batch.graph_index.tolist() == sum(
        ([k] * int(n) for k, n in enumerate(sizes)), [])
    offset = 0
    for k, g in enumerate([5, 0, 17]):
        lo, hi = int(collection.edge_ptr[g]), int(collection.edge_ptr[g + 1])
        start = int(collection.node_ptr[g])
        expected = {(int(s) - start + offset, int(d) - start + offset) for s, d in
                    zip(collection.src[lo:hi], collection.dst[lo:hi])}
        in_batch = {(int(s), int(d)) for s, d in zip(batch.graph.col, batch.graph.row)
                    if offset <= int(d) < offset + int(sizes[k])}
        assert in_batch == expected
        assert torch.equal(batch.graph.x[offset:offset + int(sizes[k])], collection.x[start:start + int(sizes[k])])
        offset += int(sizes[k])
    assert batch.y.tolist() == collection.y[[5, 0, 17]].tolist()


def sorted_csr_of(batch):
    """The batch's CSR and transpose as `Graph.from_coo` sorts them from its edges."""
    fresh = Graph.from_coo(batch.graph.row, batch.graph.col, batch.graph.num_nodes, coalesce=False)
    return fresh.rowptr, fresh.col, *fresh.transposed()


@pytest.mark.parametrize("dataset_id", ["mutag", "imdb-multi"])
def test_batch_cuts_the_csr_and_transpose_that_sorting_its_edges_gives(data_root, dataset_id):
    collection = load_tu(dataset_id, data_root).graphs
    for ids in (torch.randperm(len(collection), generator=torch.Generator().manual_seed(0))[:40], torch.tensor([3])):
        batch = collection.batch(ids)
        for cut, sorted_ in zip((batch.graph.rowptr, batch.graph.col, *batch.graph.transposed()), sorted_csr_of(batch)):
            assert torch.equal(cut, sorted_)


def test_batch_cuts_its_transpose_only_when_read_and_never_sorts_for_it(data_root, monkeypatch):
    batch = load_tu("mutag", data_root).graphs.batch(torch.arange(10))
    assert "transposed" not in batch.graph._cache  # a model that never reads the edges backward never pays for it

    def no_sorting(*args, **kwargs):
        raise AssertionError("the batch's transpose was sorted, not cut")

    monkeypatch.setattr(graph_module, "csr_from_coo", no_sorting)
    rowptr, col, perm = batch.graph.transposed()
    assert batch.graph.transposed()[0] is rowptr
    assert torch.equal(batch.graph.row[perm], col)  # edge k of the transpose is edge perm[k], reversed


def test_batch_keeps_parallel_edges_in_order_and_graphs_without_edges():
    # graph 0: nodes 0-2 with edges 2->0 twice and 1->0; graph 1: node 3, no edge; graph 2: 5->4, 4->5 twice
    src, dst = torch.tensor([2, 1, 2, 5, 4, 4]), torch.tensor([0, 0, 0, 4, 5, 5])
    collection = GraphCollection(src, dst, torch.tensor([0, 3, 4, 6]), torch.tensor([0, 3, 3, 6]),
                                 torch.eye(6), torch.tensor([0, 1, 0]))
    batch = collection.batch(torch.tensor([2, 1, 0]))
    assert batch.graph.rowptr.tolist() == [0, 1, 3, 3, 6, 6, 6] and batch.graph.col.tolist() == [1, 0, 0, 4, 5, 5]
    for cut, sorted_ in zip((batch.graph.rowptr, batch.graph.col, *batch.graph.transposed()), sorted_csr_of(batch)):
        assert torch.equal(cut, sorted_)


def test_folder_with_node_labels_uses_them_one_hot(tmp_path):
    dataset = load_tu_folder(write_tu_folder(tmp_path / "planted"))
    assert dataset.info.num_features == 3 and dataset.info.num_classes == 2
    assert dataset.graphs.y.tolist() == [g[3] for g in planted_graphs()]


def test_folder_without_node_labels_uses_capped_one_hot_degree(tmp_path, monkeypatch):
    folder = write_tu_folder(tmp_path / "planted", node_labels=False)
    dataset = load_tu_folder(folder)
    degree = torch.bincount(dataset.graphs.src, minlength=dataset.graphs.x.shape[0])
    assert torch.equal(dataset.graphs.x.argmax(1), degree)
    monkeypatch.setattr(tu, "MAX_DEGREE", 3)
    capped = load_tu_folder(folder)
    assert capped.info.num_features == 4 and torch.equal(capped.graphs.x.argmax(1), degree.clamp(max=3))


def test_repeated_edges_and_self_loops_are_dropped(tmp_path):
    folder = write_tu_folder(tmp_path / "planted")
    a_txt = folder / "PLANTED_A.txt"
    lines = a_txt.read_text().splitlines()
    a_txt.write_text("\n".join(lines + [lines[0], "1, 1"]) + "\n")
    assert load_tu_folder(folder).graphs.src.numel() == len(lines)


def test_dgcnn_format_gives_the_same_graphs_as_tu_format(tmp_path):
    tu_graphs = load_tu_folder(write_tu_folder(tmp_path / "planted")).graphs
    src, dst, sizes, labels = parse_dgcnn(write_dgcnn_file(tmp_path / "PLANTED.txt").read_bytes(), tmp_path / "PLANTED.txt")
    assert torch.equal(tu_graphs.num_nodes(), torch.from_numpy(sizes))
    assert labels.tolist() == [g[3] for g in planted_graphs()]
    assert sorted(zip(src.tolist(), dst.tolist())) == sorted(zip(tu_graphs.src.tolist(), tu_graphs.dst.tolist()))


@pytest.mark.parametrize("line_no, bad_line, message", [
    (3, "1 2 3", "expected 'tag m' and m neighbour indices"),
    (4, "0 2 1 9", "neighbour index 9 out of range"),
    (2, "5 x", "expected integers, found 'x'"),
])
def test_malformed_dgcnn_line_is_named(tmp_path, line_no, bad_line, message):
    path = write_dgcnn_file(tmp_path / "PLANTED.txt")
    lines = path.read_text().splitlines()
    lines[line_no - 1] = bad_line
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=rf"PLANTED\.txt:{line_no}: {message}"):
        parse_dgcnn(path.read_bytes(), path)


def _corrupt(folder, file_name: str, edit) -> None:
    path = folder / file_name
    lines = path.read_text().splitlines()
    path.write_text("\n".join(edit(lines)) + "\n")


@pytest.mark.parametrize("file_name, edit, where, message", [
    # the indicator lists fewer nodes than A.txt uses: the first edge to a missing node is named
    ("PLANTED_graph_indicator.txt", lambda lines: lines[:-3], "PLANTED_A.txt:", "out of range 1.."),
    # an edge from graph 1's first node to the last graph's last node
    ("PLANTED_A.txt", lambda lines: lines[:4] + [f"1, {sum(g[0] for g in planted_graphs())}"] + lines[5:],
     "PLANTED_A.txt:5:", "joins graph 1 and graph 40"),
    ("PLANTED_A.txt", lambda lines: lines[:1] + ["1, 2, 3"] + lines[2:], "PLANTED_A.txt:2:", "expected 2 integer(s)"),
    ("PLANTED_graph_labels.txt", lambda lines: lines[:6] + ["one"] + lines[7:], "PLANTED_graph_labels.txt:7:",
     "expected integers, found 'one'"),
    ("PLANTED_node_labels.txt", lambda lines: lines[:-1], "PLANTED_node_labels.txt:", "expected one per node"),
])
def test_cli_inconsistent_tu_files_give_one_line_and_status_2(cli, tmp_path, file_name, edit, where, message):
    folder = write_tu_folder(tmp_path / "planted")
    _corrupt(folder, file_name, edit)
    status, _, err = cli("train", "--task", "graph_classification", "--model", "gin", "--dataset", f"tu:{folder}",
                         "--out", str(tmp_path / "runs"))
    assert status == 2 and err.count("\n") == 1
    assert where in err and message in err
    assert not (tmp_path / "runs").exists()


def test_tu_folder_needs_one_indicator_file(tmp_path):
    with pytest.raises(DataError, match="expected one <NAME>_graph_indicator.txt"):
        load_tu_folder(tmp_path)


def test_integer_columns_parse_commas_blank_lines_and_report_lines(tmp_path):
    rows, lines = tu.parse_integers(b"1, 2\n\n3,4\n", tmp_path / "x.txt", 2)
    assert rows.tolist() == [[1, 2], [3, 4]] and lines.tolist() == [1, 3]
    with pytest.raises(DataError, match=r"x\.txt:2: expected integers, found '2\.5'"):
        tu.parse_integers(b"1\n2.5\n", tmp_path / "x.txt", 1)
    assert np.array_equal(tu.parse_integers(b"7\n", tmp_path / "x.txt", 1)[0], [[7]])
