"""Failures met on purpose: file-system errors and bugs each end in one line (exit 2 and exit 1),
`--debug` / COGDL_DEBUG=1 shows the traceback, and what lands honours the umask."""

from __future__ import annotations

import os
import resource
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from cogdl import cli as cli_module
from cogdl.data.atomic import write_files_atomically, write_folder_atomically
from cogdl.errors import ConfigError
from cogdl.leaderboard.files import load_leaderboard
from cogdl.registry import Registry
from helpers import REPO

QUICK = ["train", "--task", "node_classification", "--model", "gcn", "--dataset", "cora", "--set", "epochs=1"]


def test_an_out_under_a_file_is_one_line_naming_the_path(cli, tmp_path, data_root):
    (tmp_path / "file").write_text("not a folder")
    status, _, err = cli(*QUICK, "--out", str(tmp_path / "file" / "runs"))
    assert status == 2 and len(err.strip().splitlines()) == 1, err
    assert f"{tmp_path / 'file'}" in err and "Not a directory" in err and "Traceback" not in err


def _limit_file_size():  # in the child: files may not grow past 64 KiB; writes fail with EFBIG, not SIGXFSZ
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))


def test_a_file_size_limit_is_one_line_and_leaves_no_run_folder(tmp_path, data_root):
    out = tmp_path / "runs"
    done = subprocess.run([sys.executable, "-m", "cogdl", *QUICK, "--out", str(out)], capture_output=True, text=True,
                          preexec_fn=_limit_file_size,  # reference kernels: no extension build under the limit
                          env={**os.environ, "COGDL_DATA": str(data_root), "COGDL_OPS": "reference"},
                          timeout=600)
    err = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(err) == 1, done.stderr
    assert err[0].startswith(f"cogdl: error: {out}/node_classification/cora/gcn/")  # the run folder it wrote
    assert err[0].endswith(": File too large")  # GCN's weights (367 KB) pass the limit
    assert not any(p.is_file() for p in out.rglob("*"))  # no run folder, no staged leftovers


def test_a_bug_is_one_line_with_its_traceback_in_a_file(cli, monkeypatch):
    def broken(args):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setitem(cli_module.COMMANDS, "list", broken)
    monkeypatch.delenv("COGDL_DEBUG", raising=False)
    status, _, err = cli("list")
    assert status == 1 and len(err.strip().splitlines()) == 1
    assert err.startswith("cogdl: internal error: RuntimeError: boom; traceback saved to ")
    saved = Path(err.split("traceback saved to ")[1].split(" (")[0])
    assert "raise RuntimeError" in saved.read_text() and "second line" in saved.read_text()
    saved.unlink()
    monkeypatch.setenv("COGDL_DEBUG", "1")
    with pytest.raises(RuntimeError, match="boom"):
        cli_module.main(["list"])
    monkeypatch.delenv("COGDL_DEBUG")
    with pytest.raises(RuntimeError, match="boom"):
        cli_module.main(["--debug", "list"])


@pytest.mark.parametrize("umask", [0o002, 0o022, 0o077])
def test_written_files_and_folders_take_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        folder = write_folder_atomically(tmp_path, "run", lambda f: write_files_atomically(f, {"a.json": "{}"}))
        write_files_atomically(tmp_path / "data", {"b.bin": b"\0"})
    finally:
        os.umask(old)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o777 & ~umask
    assert stat.S_IMODE((folder / "a.json").stat().st_mode) == 0o666 & ~umask
    assert stat.S_IMODE((tmp_path / "data" / "b.bin").stat().st_mode) == 0o666 & ~umask


def test_names_that_would_leave_their_folder_are_refused_before_anything_is_written(cli, tmp_path, data_root):
    status, _, err = cli("data", "path", "../../x")
    assert status == 2 and "dataset id '../../x' cannot name a file" in err
    space = tmp_path / "space.yaml"
    space.write_text("lr: {type: float, low: 0.001, high: 0.1, log: true}\n")
    out = tmp_path / "out"
    status, _, err = cli("search", "--task", "node_classification", "--model", "gcn", "--dataset", "cora",
                         "--space", str(space), "--n-trials", "1", "--storage", f"sqlite:///{tmp_path / 's.db'}",
                         "--study-name", "../../escaped", "--out", str(out))
    assert status == 2 and "--study-name '../../escaped' cannot name a file" in err
    assert not out.exists() and not (tmp_path / "s.db").exists()
    with pytest.raises(ConfigError, match=r"model name \(registered by tests\) '\.\./evil' cannot name a file"):
        Registry("models", "cogdl.models").add("../evil", object(), "tests")
    board = tmp_path / "board.yaml"
    board.write_text(Path(REPO / "leaderboard/heterophily/node_classification.yaml").read_text()
                     .replace("benchmark: heterophily", "benchmark: ../../charts-elsewhere", 1))
    with pytest.raises(ConfigError, match=r"protocol: benchmark '\.\./\.\./charts-elsewhere' cannot name a file"):
        load_leaderboard(board)
