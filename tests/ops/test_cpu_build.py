"""The CPU extension's on-disk build: a process killed while loading it must not block the next."""

import fcntl
import os
import subprocess
import sys

import pytest
from available import AVAILABLE

from cogdl.ops import cpu

CPU_ONLY = pytest.mark.skipif("cpu" not in AVAILABLE, reason="the CPU extension cannot be built here")
LOAD = "import cogdl.ops.cpu as cpu; cpu.ensure_available(); print('loaded')"


def _the_finished_build():
    """This machine's build folder, built. The tests use it in place: a build folder cannot be copied
    elsewhere for them, as ninja rebuilds one whose source path moved. What they do to it (a stale
    `lock` file, a held loader lock) is what the loader must cope with anyway."""
    cpu.ensure_available()
    return cpu._build_dir()


def _load_in_a_new_process(tmp_path):
    # Run outside the checkout, so that the new process imports the same `cogdl` (and so the same
    # kernel source path) as this one: from the repository root it would take the source tree.
    return subprocess.Popen([sys.executable, "-c", LOAD], cwd=tmp_path, env=os.environ.copy(), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@CPU_ONLY
def test_a_lock_left_by_a_killed_build_does_not_block_the_next_load(tmp_path):
    # The empty `lock` file that torch's build creates and a process killed during `load` never deletes.
    build_dir = _the_finished_build()
    (build_dir / "lock").touch()
    built_at = (build_dir / "cogdl_cpu_ops.so").stat().st_mtime_ns

    loading = _load_in_a_new_process(tmp_path)
    out, err = loading.communicate(timeout=240)

    assert loading.returncode == 0, err
    assert out.strip() == "loaded"
    assert not (build_dir / "lock").exists()
    assert (build_dir / "cogdl_cpu_ops.so").stat().st_mtime_ns == built_at


@CPU_ONLY
def test_a_load_waits_while_another_live_process_is_building(tmp_path):
    # This test process plays a builder that is still alive: it holds the loader lock and torch's file.
    build_dir = _the_finished_build()
    built_at = (build_dir / "cogdl_cpu_ops.so").stat().st_mtime_ns
    with open(build_dir / "loader.flock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        (build_dir / "lock").touch()
        waiting = _load_in_a_new_process(tmp_path)
        with pytest.raises(subprocess.TimeoutExpired):
            waiting.wait(timeout=5)
        assert (build_dir / "lock").exists()
        (build_dir / "lock").unlink()
        fcntl.flock(held, fcntl.LOCK_UN)

    out, err = waiting.communicate(timeout=240)
    assert waiting.returncode == 0, err
    assert out.strip() == "loaded"
    assert (build_dir / "cogdl_cpu_ops.so").stat().st_mtime_ns == built_at
