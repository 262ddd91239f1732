"""Network-embedding sets: the three cards on the real files, and the `ne:PATH` folder format."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cogdl.datasets.network_embedding import load_ne_card, load_ne_folder, parse_edge_list
from cogdl.errors import DataError


@pytest.mark.parametrize("dataset_id, nodes, entries, labels, label_entries, weighted", [
    ("blogcatalog", 10312, 667966, 39, 14476, False),
    ("ppi-ne", 3890, 76584, 50, 6640, False),
    ("wikipedia", 4777, 184812, 40, 6770, True),
])
def test_cards_load_the_published_graphs(data_root, dataset_id, nodes, entries, labels, label_entries, weighted):
    dataset = load_ne_card(dataset_id, data_root)
    graph = dataset.graph
    assert (graph.num_nodes, graph.num_edges, dataset.info.num_classes) == (nodes, entries, labels)
    assert int(graph.y.sum()) == label_entries and dataset.info.multi_label
    assert (graph.edge_weight is not None) == weighted
    rows = graph.row.numpy()
    pairs = set(zip(rows.tolist(), graph.col.tolist()))
    assert all((c, r) in pairs for r, c in list(pairs)[:5000])  # symmetric


def test_prone_copy_of_ppi_loads_as_the_same_sized_graph(data_root):
    folder = load_ne_folder(data_root / "ppi-ne")
    card = load_ne_card("ppi-ne", data_root)
    assert folder.graph.num_nodes == card.graph.num_nodes
    assert folder.graph.num_edges == card.graph.num_edges  # 2 x 37,845 + 894 self-loops
    assert int(folder.graph.y.sum()) == int(card.graph.y.sum())


def _folder(tmp_path, edges: str, communities: str, edge_name: str = "toy.edgelist"):
    folder = tmp_path / "toy"
    folder.mkdir()
    (folder / edge_name).write_text(edges)
    (folder / "toy.cmty").write_text(communities)
    return folder


def test_folder_renumbers_ids_and_reads_weights(tmp_path):
    folder = _folder(tmp_path, "10 20 2.5\n20 30\n\n30 10 1\n", "10 20\n30\n")
    dataset = load_ne_folder(folder)
    graph = dataset.graph
    assert graph.num_nodes == 3 and graph.num_edges == 6
    assert graph.edge_weight is not None and sorted(set(graph.edge_weight.tolist())) == [1.0, 2.5]
    assert graph.y.tolist() == [[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]


@pytest.mark.parametrize("edges, communities, where, message", [
    ("1 2\n3\n", "1\n", "toy.ungraph:2:", "expected 2 or 3 whitespace-separated columns"),
    ("1 2\nx 3\n", "1\n", "toy.ungraph:2:", "node id 'x' is not an integer"),
    ("1 2\n2 3 heavy\n", "1\n", "toy.ungraph:2:", "edge weight 'heavy' is not a number"),
    ("1 2\n2 3\n", "1 2\n3 4\n", "toy.cmty:2:", "node 4 of class 1 is not in the edge list"),
])
def test_cli_malformed_folder_names_file_and_line_exits_2_and_leaves_nothing(cli, tmp_path, edges, communities,
                                                                             where, message):
    folder = _folder(tmp_path, edges, communities, edge_name="toy.ungraph")
    status, _, err = cli("train", "--task", "unsupervised_node_classification", "--model", "prone",
                         "--dataset", f"ne:{folder}", "--out", str(tmp_path / "runs"))
    assert status == 2 and err.count("\n") == 1, err
    assert where in err and message in err
    assert not (tmp_path / "runs").exists()


def test_folder_needs_exactly_one_edge_list_and_one_community_file(tmp_path):
    folder = _folder(tmp_path, "1 2\n", "1\n")
    (folder / "more.ungraph").write_text("1 2\n")
    with pytest.raises(DataError, match=r"expected exactly one edge list .* found more.ungraph, toy.edgelist"):
        load_ne_folder(folder)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_edge_list_parser_accepts_or_names_the_problem(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "g.edgelist"
    try:
        src, dst, weight, ids = parse_edge_list(data, path)
    except DataError as exc:
        assert str(exc).startswith(str(path))
        return
    assert src.size == dst.size == weight.size and np.all(np.diff(ids) > 0)
    assert src.max() < ids.size and dst.max() < ids.size
