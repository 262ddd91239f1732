"""The data root: where dataset files live, how they are verified, read and downloaded.

The root is `--data-root`, else `$COGDL_DATA`, else `~/.cache/cogdl/datasets`. A file listed on a
card lives at `<root>/<id>/<name>`; a `<name>.gz` there is read transparently instead. Its
content (uncompressed) must have the card's sha256 (a card may leave a file unpinned, sha256
null, when no copy was available to hash; such files are read unchecked). A missing file is downloaded from the card's
URLs to a temporary name in the same folder, checked, and only then renamed into place, so no
half-written file is ever visible; `COGDL_OFFLINE=1` forbids the network.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import urllib.request
import zlib
from pathlib import Path

from cogdl.data.atomic import staged_file
from cogdl.data.cards import Card, DataFile
from cogdl.errors import DataError

DEFAULT_ROOT = Path("~/.cache/cogdl/datasets")


def data_root(explicit: str | os.PathLike | None = None) -> Path:
    if explicit:
        return Path(explicit).expanduser()
    if os.environ.get("COGDL_DATA"):
        return Path(os.environ["COGDL_DATA"]).expanduser()
    return DEFAULT_ROOT.expanduser()


def offline() -> bool:
    return os.environ.get("COGDL_OFFLINE", "") not in ("", "0", "false", "False")


def dataset_dir(card: Card, root: Path) -> Path:
    return root / card.id


def read_dataset_file(card: Card, name: str, root: Path) -> bytes:
    """The verified, uncompressed bytes of file `name` of `card`, downloading it if missing."""
    entry = card.file(name)
    folder = dataset_dir(card, root)
    plain, packed = folder / name, folder / f"{name}.gz"
    if not plain.exists() and not packed.exists():
        download(entry, plain, card.archive and f"the archive {card.archive} (extract {name} into {folder})")
    path = plain if plain.exists() else packed
    data = read_plain_or_gz(path)
    if entry.sha256 is not None:
        check_sha256(path, data, entry.sha256)
    return data


def read_plain_or_gz(path: Path) -> bytes:
    """The bytes of `path`, gunzipped when its name ends in `.gz`."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if path.suffix != ".gz":
        return raw
    try:
        return gzip.decompress(raw)
    except EOFError:
        raise DataError(f"{path}: truncated gzip file (ends before its end-of-stream marker); delete it and download again") from None
    except (OSError, zlib.error) as exc:
        raise DataError(f"{path}: not a valid gzip file ({exc}); delete it and download again") from None


def check_sha256(path: Path, data: bytes, expected: str) -> None:
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        what = "uncompressed content" if path.suffix == ".gz" else "content"
        raise DataError(f"{path}: sha256 mismatch of its {what}: expected {expected}, found {actual}; "
                        "the file is corrupted or not the one the card names: delete it and download again")


class _ChecksumMismatch(Exception):
    pass


def download(entry: DataFile, target: Path, source_hint: str = "") -> None:
    """Fetch `entry` to `target` through a checked temporary file, trying each URL in turn."""
    if offline() or not entry.urls:
        reason = "COGDL_OFFLINE is set" if entry.urls else "the card lists no direct URL"
        source = " or ".join(entry.urls) or source_hint or "its source"
        pinned = f" (sha256 {entry.sha256})" if entry.sha256 else ""
        raise DataError(f"missing data file {target} ({reason}); download it from {source}{pinned} "
                        "or point --data-root / COGDL_DATA at a folder that has it")
    problems = []
    for url in entry.urls:
        try:
            with staged_file(target) as out, urllib.request.urlopen(url, timeout=60) as response:
                digest = hashlib.sha256()
                while chunk := response.read(1 << 20):
                    digest.update(chunk)
                    out.write(chunk)
                if entry.sha256 is not None and digest.hexdigest() != entry.sha256:
                    raise _ChecksumMismatch(f"{url}: sha256 {digest.hexdigest()} != expected {entry.sha256}")
            return
        except _ChecksumMismatch as exc:
            problems.append(str(exc))
        except OSError as exc:
            problems.append(f"{url}: {getattr(exc, 'reason', None) or exc}")
    raise DataError(f"cannot download {target}: " + "; ".join(problems))
