"""Damaged copies of valid input files, for the Hypothesis suites (a plain module: conftest names collide).

`damaged(files)` draws one to three damages of the files of a valid folder (`{relative path:
bytes}`): truncate, drop or duplicate a line, swap two columns, replace a number by NaN, inf, a
huge, negative or fractional value, insert bytes that are not UTF-8, empty a file, turn its line
ends into CRLF, remove it, or damage its gzip stream. A `.gz` file is damaged in its text and
compressed again, except by the gzip damage. `damaged(files, snippets=YAML_SNIPPETS)` may also
insert one of the snippets at a line start: for YAML, unsafe tags, alias bombs, tabs, keys that
are lists or mappings, documents that are not mappings.

`FUZZ` is the settings of every suite: derandomized and small in CI (`COGDL_FUZZ_EXAMPLES`
examples per property, default 100); a local campaign sets `COGDL_FUZZ_EXAMPLES` high and
`COGDL_FUZZ_RANDOM=1` for fresh inputs (pytest's `--hypothesis-seed=S` repeats a campaign);
docs/reliability.md states the last one.
"""

from __future__ import annotations

import gzip
import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("COGDL_FUZZ_EXAMPLES", "100"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=os.environ.get("COGDL_FUZZ_RANDOM") != "1",
                database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

BAD_NUMBERS = ("nan", "NaN", "inf", "-inf", "1e309", "-1", "-7", "0", "9223372036854775808", "99999999999999999999",
               "2147483648", "1.5", "0x1F", "", "1_000", "１")
NUMBER = re.compile(rb"-?\d+(?:\.\d+)?(?:e-?\d+)?")
YAML_SNIPPETS = (b"x: !!python/object/apply:os.system ['true']\n", b"a: &a [1, 2]\nb: [*a, *a, *a]\n",
                 b"\tlr: 0.1\n", b"? [a, b]\n: 1\n", b"? {a: 1}\n: 2\n", b"- 1\n- 2\n", b"--- 3\n",
                 b"lr: *undefined\n", b"!!binary AAAA: 1\n", b"1: 2\n", b"null: 0\n", b"key: {a: [\n",
                 b"lr: .nan\n", b"epochs: 1e400\n", b"'\\x00': 1\n", b"%YAML 9.9\n---\n")
DAMAGES = ("truncate", "drop_line", "duplicate_line", "swap_columns", "bad_number", "non_utf8", "empty", "crlf",
           "remove", "gzip")


def _split_lines(text: bytes) -> list[bytes]:
    return text.split(b"\n")


def _separator(line: bytes) -> bytes | None:
    for sep in (b"\t", b",", b" "):
        if sep in line:
            return sep
    return None


def _damage_text(draw, kind: str, text: bytes) -> bytes:
    lines = _split_lines(text)
    if kind == "truncate":
        return text[: draw(st.integers(0, max(len(text) - 1, 0)))]
    if kind in ("drop_line", "duplicate_line"):
        k = draw(st.integers(0, len(lines) - 1))
        return b"\n".join(lines[:k] + ([] if kind == "drop_line" else [lines[k], lines[k]]) + lines[k + 1:])
    if kind == "swap_columns":
        k = draw(st.integers(0, len(lines) - 1))
        sep = _separator(lines[k])
        if sep is None:
            return text
        fields = lines[k].split(sep)
        a, b = draw(st.integers(0, len(fields) - 1)), draw(st.integers(0, len(fields) - 1))
        fields[a], fields[b] = fields[b], fields[a]
        return b"\n".join(lines[:k] + [sep.join(fields)] + lines[k + 1:])
    if kind == "bad_number":
        numbers = list(NUMBER.finditer(text))
        if not numbers:
            return text
        match = numbers[draw(st.integers(0, len(numbers) - 1))]
        value = draw(st.sampled_from(BAD_NUMBERS)).encode("utf-8")
        return text[: match.start()] + value + text[match.end():]
    if kind == "non_utf8":
        at = draw(st.integers(0, len(text)))
        return text[:at] + draw(st.sampled_from((b"\xff\xfe", b"\xc3", b"\x00", b"\xed\xa0\x80"))) + text[at:]
    if kind == "empty":
        return b""
    if kind == "crlf":
        return text.replace(b"\n", b"\r\n")
    raise ValueError(kind)


def _damage_gzip(draw, packed: bytes) -> bytes:
    if draw(st.booleans()):
        return packed[: draw(st.integers(0, max(len(packed) - 1, 0)))]  # a stream cut short
    at = draw(st.integers(0, len(packed) - 1))
    return packed[:at] + bytes([packed[at] ^ 0x5A]) + packed[at + 1:]  # a flipped byte


@st.composite
def damaged(draw, files: dict[str, bytes], max_damages: int = 3, snippets: tuple[bytes, ...] = ()
            ) -> dict[str, bytes | None]:
    """`files` with one to `max_damages` damages; a value of None means the file is removed."""
    out: dict[str, bytes | None] = dict(files)
    stream_damaged: set[str] = set()  # no text left to damage further
    for _ in range(draw(st.integers(1, max_damages))):
        name = draw(st.sampled_from(sorted(files)))
        kind = draw(st.sampled_from(DAMAGES + (("snippet",) if snippets else ())))
        current = out[name]
        if kind == "remove" or current is None:
            out[name] = None
            continue
        if name in stream_damaged:
            continue
        zipped = name.endswith(".gz")
        if kind == "snippet":
            lines = current.split(b"\n")
            at = draw(st.integers(0, len(lines)))
            out[name] = b"\n".join(lines[:at] + [draw(st.sampled_from(snippets)).rstrip(b"\n")] + lines[at:])
            continue
        if kind == "gzip":
            out[name] = _damage_gzip(draw, current if zipped else gzip.compress(current, mtime=0))
            stream_damaged.add(name)
            continue
        text = gzip.decompress(current) if zipped else current
        damaged_text = _damage_text(draw, kind, text)
        out[name] = gzip.compress(damaged_text, mtime=0) if zipped else damaged_text
    return out


def read_folder(folder: Path) -> dict[str, bytes]:
    """`{relative path: bytes}` of every file under `folder`."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@contextmanager
def written(files: dict[str, bytes | None], name: str = "input"):
    """A fresh folder `<tmp>/<name>` holding `files` (None: left out); removed afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / name
        folder.mkdir()
        for relative, data in files.items():
            if data is not None:
                path = folder / relative
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
        yield folder
