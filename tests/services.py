"""Real services for the scale tests, started on loopback and stopped after: a PostgreSQL server
(Debian's `postgresql` binaries, run as the `postgres` user when the tests run as root, since
PostgreSQL refuses root) and a Ray cluster of a head and a worker node (the `ray` package)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest

from cogdl.distributed import free_port


def _postgres_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


@contextmanager
def postgres_server():
    """Yield the URL of a fresh database on a PostgreSQL server started for the test."""
    initdb, pg_ctl = _postgres_bin("initdb"), _postgres_bin("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.skip("no PostgreSQL server binaries (Debian: apt-get install postgresql); cannot start a server")
    pytest.importorskip("psycopg", reason="psycopg is not installed (pip install 'cogdl[cluster]')")
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    folder = Path(tempfile.mkdtemp(prefix="cogdl-pg-"))
    os.chmod(folder, 0o777)
    data = folder / "data"
    if as_user:
        shutil.chown(folder, "postgres")
    port = free_port()
    subprocess.run([*as_user, initdb, "-D", str(data), "-U", "cogdl", "--auth=trust", "-E", "UTF8"], check=True,
                   capture_output=True)
    options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={folder}"
    subprocess.run([*as_user, pg_ctl, "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start"],
                   check=True, capture_output=True)
    try:
        subprocess.run([_postgres_bin("createdb") or "createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "cogdl",
                        "studies"], check=True, capture_output=True)
        yield f"postgresql://cogdl@127.0.0.1:{port}/studies"
    finally:
        subprocess.run([*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def ray_cluster():
    """Yield the address of a local Ray cluster: a head and one worker node, one CPU each, on loopback."""
    pytest.importorskip("ray", reason="ray is not installed (pip install 'cogdl[cluster]')")
    ray_cli = str(Path(sys.executable).with_name("ray"))
    port = free_port()
    address = f"127.0.0.1:{port}"
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    common = ["--num-cpus=1", "--disable-usage-stats"]
    try:
        subprocess.run([ray_cli, "start", "--head", "--node-ip-address=127.0.0.1", f"--port={port}",
                        "--include-dashboard=false", *common], check=True, capture_output=True, env=env)
        subprocess.run([ray_cli, "start", f"--address={address}", "--node-ip-address=127.0.0.1", *common],
                       check=True, capture_output=True, env=env)
        yield address
    finally:
        subprocess.run([ray_cli, "stop", "--force"], capture_output=True, env=env)
