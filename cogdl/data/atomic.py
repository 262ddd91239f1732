"""Files and folders that appear complete or not at all.

Everything CogDL writes for others to read (dataset files, run folders, leaderboard files,
reports) is first written under a temporary name in the same folder and renamed into place when
it is complete; if writing fails or is interrupted, the temporary copy is removed. A rename within
one file system is atomic, so a reader never sees half a file or half a run folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator


@contextmanager
def staged_file(target: Path, binary: bool = True) -> Iterator:
    """An open handle to a temporary file beside `target`; when the block ends without an error the
    file replaces `target`, otherwise it is removed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb" if binary else "w") as handle:
            yield handle
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
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=parent, prefix=".partial-"))
    try:
        fill(staging)
        final, suffix = parent / name, 1
        while final.exists():
            final, suffix = parent / f"{name}-{suffix}", suffix + 1
        staging.rename(final)
        return final
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
