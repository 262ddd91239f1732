"""Errors that the CLI turns into one line on stderr and exit status 2.

Every message says what went wrong, where (file, line, name), what was expected and what was
found, and the fix when there is one.
"""

import difflib
import os
import tempfile
import traceback


class CogDLError(Exception):
    """Base class of every error that is the user's input, not a bug."""


class UnknownName(CogDLError):
    """A model, dataset, task or config key that is not registered."""


class DataError(CogDLError):
    """A data file that is missing, corrupted, truncated or malformed."""


class ConfigError(CogDLError):
    """A config file or value that is malformed, unknown, of the wrong type or out of range."""


class ModelError(CogDLError):
    """A model (a plugin's, or one registered in a notebook) that returned what its task cannot use,
    or raised inside its own code; the message names the model, its source, the task and the dataset."""


def did_you_mean(name: str, valid) -> str:
    """`" (did you mean 'gcn'?)"` for the closest valid names, or the list of valid names."""
    valid = sorted(valid)
    close = difflib.get_close_matches(name, valid, n=3, cutoff=0.5)
    if close:
        return " (did you mean " + " or ".join(repr(c) for c in close) + "?)"
    return "; valid: " + ", ".join(valid) if valid else ""


def look_up(table: dict, name: str, kind: str):
    """`table[name]`, or an `UnknownName` "unknown {kind} 'name' (did you mean ...)"."""
    if name not in table:
        raise UnknownName(f"unknown {kind} {name!r}{did_you_mean(name, table)}")
    return table[name]


def os_error_line(exc: OSError) -> str:
    """`PATH: cause` of an operating-system error, e.g. `runs/x: No space left on device`."""
    cause = exc.strerror or first_line(exc) or type(exc).__name__
    paths = [str(p) for p in (exc.filename, exc.filename2) if p is not None]
    return f"{' -> '.join(paths)}: {cause}" if paths else cause


def first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else ""


def save_traceback(exc: BaseException) -> str:
    """Write `exc`'s traceback to a new file in the temporary folder and return its path (or why
    there is none)."""
    try:
        fd, path = tempfile.mkstemp(prefix="cogdl-traceback-", suffix=".txt")
        with os.fdopen(fd, "w") as handle:
            handle.write("".join(traceback.format_exception(exc)))
        return path
    except OSError as err:
        return f"no file ({os_error_line(err)})"
