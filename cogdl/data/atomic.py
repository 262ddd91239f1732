"""Files and folders that appear complete or not at all.

Everything CogDL writes for others to read (dataset files, run folders, leaderboard files,
reports) is first written under a temporary name in the same folder and renamed into place when
it is complete; if writing fails or is interrupted, the temporary copy is removed. A rename within
one file system is atomic, so a reader never sees half a file or half a run folder.

What lands gets the modes the umask gives a new file or folder (`mkstemp` and `mkdtemp` create
theirs owner-only, so a data root or results folder shared by a group would lock the others out).
An operating-system error on the way (no space left, a read-only file system, a file-size limit,
a path under a file) carries the path it was writing, which the CLI prints in its one line.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator


def umask_mode(directory: bool) -> int:
    """The mode a new folder (`directory`) or file gets from the process's umask."""
    mask = os.umask(0)
    os.umask(mask)
    return (0o777 if directory else 0o666) & ~mask


@contextmanager
def naming(path: Path) -> Iterator[None]:
    """Give an OSError raised in the block `path` as its file name where it names none (a write that
    fails for want of space reports no file)."""
    try:
        yield
    except OSError as exc:
        if exc.filename is None:
            exc.filename = str(path)
        raise


@contextmanager
def staged_file(target: Path, binary: bool = True) -> Iterator:
    """An open handle to a temporary file beside `target`; when the block ends without an error the
    file replaces `target` (with the umask's mode), otherwise it is removed."""
    with naming(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb" if binary else "w") as handle:
                yield handle
            os.chmod(tmp, umask_mode(directory=False))
            os.replace(tmp, target)
        finally:
            Path(tmp).unlink(missing_ok=True)


def write_files_atomically(folder: Path, files: dict[str, str | bytes]) -> None:
    """Write each `name -> text or bytes` into `folder`, each file complete or not at all."""
    for name, content in files.items():
        with staged_file(folder / name, binary=isinstance(content, bytes)) as handle:
            handle.write(content)


def write_folder_atomically(parent: Path, name: str, fill: Callable[[Path], None]) -> Path:
    """`parent/name` (or `name-<k>` when taken), complete or not at all: `fill(folder)` writes into
    a temporary folder that is renamed into place when it returns, and removed if it raises."""
    with naming(parent / name):
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=parent, prefix=".partial-"))
        try:
            fill(staging)
            os.chmod(staging, umask_mode(directory=True))
            final, suffix = parent / name, 1
            while final.exists():
                final, suffix = parent / f"{name}-{suffix}", suffix + 1
            staging.rename(final)
            return final
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
