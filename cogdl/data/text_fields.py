"""The fields of our text formats, read strictly in one place: what an integer, a number and a text
file are for every loader (HGB, edge lists and communities, ...).

- `decode(data, path)`: UTF-8 text, else a `DataError` naming the byte;
- `integer(value, where, what)`: an optional sign and ASCII digits (no `1_000`, no `１`, no `1.0`)
  within int64, else a `DataError` naming `where` (file:line) and `what`;
- `number(value, where, what)`: a decimal number that stays finite in float32 (no nan, inf, 1e39).
"""

from __future__ import annotations

import math
import re

import numpy as np

from cogdl.errors import DataError

_INTEGER = re.compile(r"[+-]?[0-9]+")
_INT64 = (-(2**63), 2**63 - 1)
_FLOAT32_MAX = float(np.finfo(np.float32).max)


def decode(data: bytes, path) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def integer(value: str, where: str, what: str) -> int:
    text = value.strip()
    if not _INTEGER.fullmatch(text):
        raise DataError(f"{where}: {what} {text[:40]!r} is not an integer")
    if not _INT64[0] <= int(text) <= _INT64[1]:
        raise DataError(f"{where}: {what} {text[:40]!r} is beyond 64-bit integers")
    return int(text)


def number(value: str, where: str, what: str) -> float:
    try:
        parsed = float(value)
    except ValueError:
        raise DataError(f"{where}: {what} {value.strip()[:40]!r} is not a number") from None
    if not math.isfinite(parsed) or abs(parsed) > _FLOAT32_MAX:
        raise DataError(f"{where}: {what} {value.strip()[:40]!r} is not finite (in float32)")
    return parsed
