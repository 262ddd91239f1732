"""Fault injection for run folders: every write point of `write_run_folder` made to fail (no space,
permission, not a directory) leaves no run folder and no staged leftover, and the CLI says it in
one line with exit 2; runs SIGKILLed at several points and run again into the same `--out` leave
one complete folder, the killed ones recognisably incomplete; `cogdl reproduce --resume` after a
kill reuses each finished unit once; the worker processes of a killed `--jobs N` run end with it.
(`cogdl search --storage` after a kill: tests/test_search.py.)"""

from __future__ import annotations

import builtins
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from cogdl.errors import DataError
from cogdl.experiment import experiment, read_run_folder, write_run_folder
from helpers import REPO

ERRORS = {"no space": errno.ENOSPC, "permission": errno.EACCES, "not a directory": errno.ENOTDIR}


class WriteFaults:
    """Counts the file-system writes under `root` and fails the `fail_at`-th with `code` (an OSError
    without a file name, as a full disk reports it)."""

    def __init__(self, root: Path, fail_at: int | None = None, code: int = errno.ENOSPC):
        self.root, self.fail_at, self.code, self.points = str(root), fail_at, code, []

    def hit(self, operation: str, path) -> None:
        if path is None or not str(path).startswith(self.root):
            return
        self.points.append(f"{operation} {Path(path).name}")
        if len(self.points) - 1 == self.fail_at:
            raise OSError(self.code, os.strerror(self.code))

    def install(self, monkeypatch) -> None:
        for name in ("write_text", "write_bytes", "mkdir", "rename"):
            original = getattr(Path, name)

            def wrapped(path, *args, _original=original, _name=name, **kwargs):
                self.hit(_name, path)
                return _original(path, *args, **kwargs)

            monkeypatch.setattr(Path, name, wrapped)
        original_open, original_mkdtemp, original_chmod = builtins.open, tempfile.mkdtemp, os.chmod

        def opened(file, mode="r", *args, **kwargs):
            if isinstance(file, (str, os.PathLike)) and any(c in mode for c in "wax+"):
                self.hit("open", file)
            return original_open(file, mode, *args, **kwargs)

        def mkdtemp(*args, **kwargs):
            self.hit("mkdtemp", kwargs.get("dir"))
            return original_mkdtemp(*args, **kwargs)

        def chmod(path, *args, **kwargs):
            self.hit("chmod", path)
            return original_chmod(path, *args, **kwargs)

        monkeypatch.setattr(builtins, "open", opened)
        monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)
        monkeypatch.setattr(os, "chmod", chmod)


@pytest.fixture(scope="module")
def two_seed_result(data_root):
    return experiment("node_classification", "gcn", "cora", seeds=[0, 1], out=None, data_root=data_root, epochs=2)


def _write_points(result, tmp_path, monkeypatch) -> list[str]:
    with monkeypatch.context() as patch:
        faults = WriteFaults(tmp_path)
        faults.install(patch)
        write_run_folder(tmp_path, result, [0, 1], {"command": "test"})
    return faults.points


def test_the_writer_has_the_write_points_the_contract_names(two_seed_result, tmp_path, monkeypatch):
    points = _write_points(two_seed_result, tmp_path, monkeypatch)
    for expected in ("config.resolved.yaml", "env.json", "metrics.json", "model.pt", "summary.json", "summary.csv"):
        assert any(p.endswith(" " + expected) for p in points), (expected, points)
    assert points[-1].startswith("rename .partial-")  # the folder appears last, whole


@pytest.mark.parametrize("cause", sorted(ERRORS))
def test_every_write_point_failing_leaves_nothing_and_names_the_path(two_seed_result, tmp_path, monkeypatch, cause):
    points = _write_points(two_seed_result, tmp_path / "count", monkeypatch)
    for k, point in enumerate(points):
        out = tmp_path / f"out-{k}"
        with monkeypatch.context() as patch:
            WriteFaults(out, fail_at=k, code=ERRORS[cause]).install(patch)
            with pytest.raises(OSError) as caught:
                write_run_folder(out, two_seed_result, [0, 1], {"command": "test"})
        assert caught.value.errno == ERRORS[cause] and str(caught.value.filename).startswith(str(out)), point
        assert not [p for p in out.rglob("*") if p.is_file() or p.name.startswith(".partial-")], point


@pytest.mark.parametrize("cause, message", [("no space", "No space left on device"),
                                            ("permission", "Permission denied")])
def test_the_cli_says_a_failed_write_in_one_line_and_exit_2(cli, tmp_path, data_root, monkeypatch, cause, message):
    out = tmp_path / "runs"
    faults = WriteFaults(out, code=ERRORS[cause])
    faults.hit = _fail_on("summary.json", faults.hit, ERRORS[cause])
    faults.install(monkeypatch)
    status, _, err = cli("train", "--task", "node_classification", "--model", "gcn", "--dataset", "cora",
                         "--seeds", "0-1", "--set", "epochs=2", "--out", str(out), "--data-root", str(data_root))
    monkeypatch.undo()
    assert status == 2 and len(err.strip().splitlines()) == 1 and message in err, err
    assert f"cogdl: error: {out}/node_classification/cora/gcn/" in err
    assert not any(p.is_file() for p in out.rglob("*"))


def _fail_on(name: str, hit, code: int):
    def fail(operation, path):
        hit(operation, path)
        if path is not None and Path(path).name == name:
            raise OSError(code, os.strerror(code))
    return fail


def _command(out: Path, data_root, *extra) -> list[str]:
    return [sys.executable, "-m", "cogdl", "train", "--task", "node_classification", "--model", "gcn", "--dataset",
            "cora", "--seeds", "0-3", "--set", "epochs=40", "--out", str(out), "--data-root", str(data_root), *extra]


def _folders(out: Path) -> tuple[list[Path], list[Path]]:
    """(complete run folders, everything else found where run folders go)."""
    parent = out / "node_classification" / "cora" / "gcn"
    entries = sorted(parent.iterdir()) if parent.is_dir() else []
    complete = [p for p in entries if (p / "summary.json").is_file()]
    return complete, [p for p in entries if p not in complete]


def _kill_when(command: list[str], env: dict, ready) -> None:
    """Start `command` and SIGKILL it as soon as `ready()` holds (or when it has exited)."""
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not ready() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()


def test_a_run_killed_at_several_points_and_run_again_leaves_one_complete_folder(tmp_path, data_root):
    out = tmp_path / "runs"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    logged = lambda name: lambda: any(out.glob(f"logs/**/{name}"))  # noqa: E731  (the csv logger's files)
    started = time.monotonic()
    points = {"starting up": lambda: time.monotonic() - started > 0.3, "training seed 0": logged("seed_0/epochs.csv"),
              "seed 1 done": logged("seed_1/metrics.json"), "every seed done": logged("seed_3/metrics.json")}
    for name, ready in points.items():
        for stale in out.glob("logs/*"):  # each kill waits for its own run's files
            shutil.rmtree(stale)
        started = time.monotonic()
        _kill_when(_command(out, data_root, "--logger", "csv"), env, ready)
    killed_complete, incomplete = _folders(out)
    assert len(killed_complete) <= 1  # only the last kill may come after the folder landed
    assert all(p.name.startswith(".partial-") for p in incomplete), incomplete  # recognisably incomplete
    for folder in incomplete:
        with pytest.raises(DataError, match="not a complete run folder"):
            read_run_folder(folder)
    done = subprocess.run(_command(out, data_root), env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    complete, _ = _folders(out)
    assert len(complete) == len(killed_complete) + 1  # the rerun adds its own folder, nothing is merged
    summary, _, _ = read_run_folder(Path(done.stdout.strip().splitlines()[-1]))
    assert summary["seeds"] == [0, 1, 2, 3] and summary["n"] == 4


def test_reproduce_killed_then_resumed_reuses_each_finished_unit_once(tmp_path, data_root):
    out = tmp_path / "out"
    command = [sys.executable, "-m", "cogdl", "reproduce", "planetoid", "--tier", "smoke", "--model", "gcn",
               "--out", str(out), "--data-root", str(data_root)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    first = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not list(out.glob("*-runs/*.json")) and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    first.send_signal(signal.SIGKILL)
    first.wait()
    saved = sorted(p.name for p in out.glob("*-runs/*.json"))
    assert saved, "the first process was killed before it saved a unit"
    done = subprocess.run(command + ["--resume"], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    report = json.loads((Path(done.stdout.strip().splitlines()[-1]) / "report.json").read_text())
    assert report["reused_runs"] == len(saved)
    entries = [row["entry"] for row in report["rows"]]
    assert len(entries) == len(set(entries))  # each entry once
    assert len(list(out.glob("*-runs/*.json"))) == len(set(p.name for p in out.glob("*-runs/*.json")))


WORKERS_THEN_WAIT = """
import os, sys, time
from pathlib import Path
from cogdl.protocols.executors import map_runs

def note_pid_and_wait(folder):
    Path(folder, f"{os.getpid()}.pid").touch()
    time.sleep(600)

if __name__ == "__main__":
    map_runs(note_pid_and_wait, [(sys.argv[1],), (sys.argv[1],)], jobs=2)
"""


def _alive(pid: int) -> bool:
    """Whether process `pid` runs (a zombie nobody reaped yet has ended)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process states from Linux's /proc")
def test_the_workers_of_a_killed_driver_end_with_it(tmp_path):
    script, pids = tmp_path / "driver.py", tmp_path / "pids"
    script.write_text(WORKERS_THEN_WAIT)
    pids.mkdir()
    driver = subprocess.Popen([sys.executable, str(script), str(pids)], env={**os.environ, "PYTHONPATH": str(REPO)})
    deadline = time.monotonic() + 120
    while len(list(pids.glob("*.pid"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    workers = [int(p.stem) for p in pids.glob("*.pid")]
    assert len(workers) == 2 and all(map(_alive, workers)), "the two workers did not start"
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    deadline = time.monotonic() + 20
    while any(map(_alive, workers)) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = [pid for pid in workers if _alive(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, f"workers {left} still ran 20 s after their driver was killed"
