"""Data root: checksums, transparent .gz, downloads through a checked temporary file."""

import gzip
import hashlib
import http.server
import threading
from functools import partial
from pathlib import Path

import pytest

from cogdl.data.cards import Card, DataFile, load_card
from cogdl.data.root import data_root, read_dataset_file
from cogdl.errors import DataError


def test_data_root_resolution_order(monkeypatch, tmp_path):
    monkeypatch.setenv("COGDL_DATA", str(tmp_path / "env"))
    assert data_root(tmp_path / "flag") == tmp_path / "flag"
    assert data_root() == tmp_path / "env"
    monkeypatch.delenv("COGDL_DATA")
    assert data_root() == Path("~/.cache/cogdl/datasets").expanduser()


def test_cli_corrupted_file_shows_expected_and_actual_sha256(cli, copy_dataset):
    root = copy_dataset("cora")
    path = root / "cora" / "ind.cora.x"
    data = bytearray(path.read_bytes())
    data[100] ^= 0xFF
    path.write_bytes(bytes(data))
    expected = load_card("cora").file("ind.cora.x").sha256
    status, out, err = cli("train", "--task", "node_classification", "--model", "gcn", "--dataset", "cora",
                           "--data-root", str(root), "--out", str(root.parent / "runs"))
    assert status == 2 and err.count("\n") == 1
    assert f"{path}: sha256 mismatch" in err
    assert f"expected {expected}, found {hashlib.sha256(bytes(data)).hexdigest()}" in err
    assert not (root.parent / "runs").exists()


def test_gz_file_is_read_transparently(copy_dataset):
    root = copy_dataset("cora")
    plain = root / "cora" / "ind.cora.graph"
    content = plain.read_bytes()
    (root / "cora" / "ind.cora.graph.gz").write_bytes(gzip.compress(content))
    plain.unlink()
    assert read_dataset_file(load_card("cora"), "ind.cora.graph", root) == content


def test_cli_truncated_gz_is_one_line_exit_2(cli, copy_dataset):
    root = copy_dataset("cora")
    plain = root / "cora" / "ind.cora.graph"
    packed = gzip.compress(plain.read_bytes())
    (root / "cora" / "ind.cora.graph.gz").write_bytes(packed[: len(packed) // 2])
    plain.unlink()
    status, _, err = cli("data", "verify", "cora", "--data-root", str(root))
    assert status == 2
    assert err.count("\n") == 1 and "ind.cora.graph.gz: truncated gzip file" in err


def test_missing_file_offline_names_path_urls_and_sha256(monkeypatch, copy_dataset):
    monkeypatch.setenv("COGDL_OFFLINE", "1")
    root = copy_dataset("cora")
    (root / "cora" / "ind.cora.y").unlink()
    entry = load_card("cora").file("ind.cora.y")
    with pytest.raises(DataError) as info:
        read_dataset_file(load_card("cora"), "ind.cora.y", root)
    message = str(info.value)
    assert str(root / "cora" / "ind.cora.y") in message and "COGDL_OFFLINE" in message
    assert entry.urls[0] in message and entry.sha256 in message


@pytest.fixture
def file_server(tmp_path):
    """A local HTTP server over a folder: the stand-in for the dataset's download URL."""
    served = tmp_path / "served"
    served.mkdir()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _card_for(name: str, content: bytes, url: str) -> Card:
    entry = DataFile(name, hashlib.sha256(content).hexdigest(), (url,))
    return Card("fixture", "fixture", (entry,), "n/a", "n/a", {})


def test_download_checks_then_renames(monkeypatch, tmp_path, file_server, data_root):
    monkeypatch.delenv("COGDL_OFFLINE", raising=False)
    served, base = file_server
    content = (data_root / "cora" / "ind.cora.y").read_bytes()
    (served / "ind.cora.y").write_bytes(content)
    root = tmp_path / "root"
    card = _card_for("ind.cora.y", content, f"{base}/ind.cora.y")
    assert read_dataset_file(card, "ind.cora.y", root) == content
    assert sorted(p.name for p in (root / "fixture").iterdir()) == ["ind.cora.y"]


def test_download_with_wrong_content_leaves_nothing(monkeypatch, tmp_path, file_server):
    monkeypatch.delenv("COGDL_OFFLINE", raising=False)
    served, base = file_server
    (served / "f.bin").write_bytes(b"tampered")
    root = tmp_path / "root"
    card = _card_for("f.bin", b"original", f"{base}/f.bin")
    with pytest.raises(DataError, match=r"cannot download .*f.bin: .*sha256 .* != expected"):
        read_dataset_file(card, "f.bin", root)
    assert list((root / "fixture").iterdir()) == []


def test_download_unreachable_url_is_a_data_error(monkeypatch, tmp_path):
    monkeypatch.delenv("COGDL_OFFLINE", raising=False)
    card = _card_for("f.bin", b"x", "http://127.0.0.1:9/f.bin")
    with pytest.raises(DataError, match=r"cannot download"):
        read_dataset_file(card, "f.bin", tmp_path)
    assert list((tmp_path / "fixture").iterdir()) == []


def test_cli_data_verify_and_path(cli, data_root):
    status, out, err = cli("data", "verify", "cora", "citeseer", "--data-root", str(data_root))
    assert status == 0 and err == ""
    assert "cora: 8 file(s) checked" in out and "citeseer: 8 file(s) checked" in out
    status, out, _ = cli("data", "path", "pubmed", "--data-root", str(data_root))
    assert status == 0 and out.strip() == str(data_root / "pubmed")
