"""Markdown for generated pages and reports: one table writer for every table CogDL renders."""

from __future__ import annotations

from typing import Iterable


def prose(text: str) -> str:
    """Text for a Markdown page: `<name>` would otherwise vanish as an HTML tag."""
    return str(text).replace("<", "&lt;").replace(">", "&gt;")


def table(columns: list[str], rows: Iterable[Iterable], right: Iterable[str] = ()) -> str:
    """A Markdown table (no trailing newline); cells are written with `str` (a `|` in one becomes
    `/`, as it would end the cell), columns named in `right` are right-aligned."""
    right = set(right)
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---:" if c in right else "---" for c in columns) + "|"]
    lines += ["| " + " | ".join(str(cell).replace("|", "/") for cell in row) + " |" for row in rows]
    return "\n".join(lines)
