"""Reading leaderboard files strictly, and finding an entry's config (`cogdl train --best-config`).

A file is `leaderboard/<benchmark>/<task>.yaml` (shipped in the wheel as `cogdl/_leaderboard`):

    protocol: {name, benchmark, task, splits, metrics, higher_is_better, variance_over, std, selection, unit}
    entries:
      - dataset: cora                      # a registered dataset id
        model: gcn                         # a registered model name
        variant: 2-bit activations         # optional: a second entry of one (dataset, model), e.g. a setting studied
        config: {...}                      # the full resolved config of the measured run (absent: not run)
        grid: {key: [values]}              # optional: the settings a grid protocol selected among (errica, igb)
        reference: {mean, std, n, source[, metrics, protocol]}  # the paper's result in `unit` (null: none)
        measured: {mean, std, n, seeds, metrics, commit, date, device, wall_seconds, command}
        tolerance: {abs: 0.5[, reason]}    # the reproduction rule's floor, in `unit`
        miss: {reason, evidence: [...]}    # optional: why the recorded result lies outside its bound

A reference with a `protocol` was measured under another protocol than the file's (e.g. with the
epoch chosen on the test folds): tables show it for context, and nothing is checked against it.
A tolerance wider than `DEFAULT_ABS_TOL` must carry a `reason`: the measured evidence that the
reference cannot be met more closely (it is printed under the reproduction report and the rendered tables).
A recorded result outside its bound (`recorded_check`: "miss") must say why in `miss`: the
`reason`, and the `evidence` for it, each item a command with what it printed or a source file at a
commit. The rendered tables print both, and `cogdl reproduce` then compares with the recorded result.

`name` is the registered protocol the entries run under (`cogdl list protocols`: `seeds`, `igb`);
`metrics` lists the primary metric first. Loading rejects a duplicate YAML key (with its line), a
missing or unknown key (naming the file, the entry and the keys expected), a second entry for one
(dataset, model, variant) and a `measured` block without the `config` it was measured with.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml

from cogdl.config import load_yaml
from cogdl.errors import ConfigError
from cogdl.names import path_component

PROTOCOL_KEYS = ("name", "benchmark", "task", "splits", "metrics", "higher_is_better", "variance_over", "std", "selection",
                 "unit")
#: entry keys: required ones, then optional ones
ENTRY_REQUIRED = ("dataset", "model", "reference", "tolerance")
ENTRY_OPTIONAL = ("variant", "config", "grid", "measured", "miss")
MISS_KEYS = ("reason", "evidence")
REFERENCE_KEYS = ("mean", "std", "n", "source")
#: the paper's value of each metric, where it reports several; the protocol it was measured under, where not the file's
REFERENCE_OPTIONAL = ("metrics", "protocol")
MEASURED_KEYS = ("mean", "std", "n", "seeds", "metrics", "commit", "date", "device", "wall_seconds", "command")
#: how the wall time was taken (recorded since 2026-12-05): torch threads, CPU model, load average before the run
MEASURED_OPTIONAL = ("threads", "cpu", "load_average")
IDLE_LOAD = 0.5  #: a 1-minute load average below this before a run: the machine was idle
TOLERANCE_KEYS = ("abs",)
TOLERANCE_OPTIONAL = ("reason",)
DEFAULT_ABS_TOL = 0.5  # points of the protocol's unit


def dump_leaderboard(data: Any) -> str:
    """YAML text in the leaderboard files' layout: keys in the order given, short mappings inline."""
    return yaml.safe_dump(data, sort_keys=False, width=110, default_flow_style=None, allow_unicode=True)


def tolerance(abs_tol: float, ref_std, ref_n, obs_std, obs_n: int) -> float:
    """The reproduction rule's bound on |measured - reference| (`docs/reproduce.md`):
    max(abs_tol, 2 sqrt(sd_ref^2/n_ref + sd_obs^2/n_obs)); a missing std is 0, a missing n_ref is n_obs."""
    ref_var = (ref_std or 0.0) ** 2 / (ref_n or obs_n)
    obs_var = (obs_std or 0.0) ** 2 / obs_n
    return max(abs_tol, 2 * math.sqrt(ref_var + obs_var))


def comparable_reference(entry: dict[str, Any]) -> dict[str, Any] | None:
    """The entry's reference when a result of the file's protocol can be checked against it: it
    has a mean and was not measured under another protocol (`reference.protocol`)."""
    reference = entry.get("reference")
    if not reference or reference.get("mean") is None or reference.get("protocol"):
        return None
    return reference


def recorded_check(entry: dict[str, Any]) -> tuple[float, str] | None:
    """The bound of an entry's recorded result against its reference, and "pass" or "miss" by it;
    None where the entry has no measured result or no comparable reference (`comparable_reference`)."""
    reference, measured = comparable_reference(entry), entry.get("measured")
    if not measured or reference is None:
        return None
    bound = tolerance(entry["tolerance"]["abs"], reference.get("std"), reference.get("n"), measured.get("std"),
                      measured["n"])
    delta = round(measured["mean"] - reference["mean"], 2)  # both are recorded to 2 decimals
    return bound, "pass" if abs(delta) <= bound else "miss"


def wall_time_label(measured: dict[str, Any]) -> str:
    """The wall time with how it was taken: `5.2 min (2 threads, idle)`, or `(threads and load not
    recorded)` for results recorded before those were."""
    minutes = f"{measured['wall_seconds'] / 60:.1f} min"
    threads, loads = _known(measured.get("threads")), _known(measured.get("load_average"))
    if not threads:
        return f"{minutes} (threads and load not recorded)"
    state = "load not recorded" if not loads else "idle" if max(loads) < IDLE_LOAD else f"busy, load {max(loads):.1f}"
    noun = "thread" if threads == [1] else "threads"
    return f"{minutes} ({'/'.join(map(str, threads))} {noun}, {state})"


def _known(value) -> list:
    """A recorded value, or the values of runs recorded together, without the unknown ones."""
    return [v for v in (value if isinstance(value, list) else [value]) if v is not None]


def widened_tolerances(title: str, named_tolerances) -> list[str]:
    """Markdown lines under a table: `title` and one list item for each (entry name, tolerance) whose
    tolerance gives a reason; no lines when none does."""
    return titled_list(title, [f"- {name}: tolerance {tolerance['abs']} points. {tolerance['reason'].strip()}"
                               for name, tolerance in named_tolerances if tolerance.get("reason")])


def titled_list(title: str, items: list[str]) -> list[str]:
    """Markdown lines under a table: a blank line, `title`, a blank line and `items`; none without items."""
    return ["", title, "", *items] if items else []


def leaderboard_dir() -> Path:
    """The installed leaderboard (`cogdl/_leaderboard` in a wheel), else `leaderboard/` of a checkout."""
    package = Path(__file__).resolve().parents[1]
    installed = package / "_leaderboard"
    return installed if installed.is_dir() else package.parent / "leaderboard"


def leaderboard_files(root: Path | None = None) -> list[Path]:
    return sorted((root or leaderboard_dir()).glob("*/*.yaml"))


def _check_keys(block: Any, where: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> None:
    if not isinstance(block, dict):
        raise ConfigError(f"{where}: expected a mapping with keys {', '.join(required + optional)}")
    missing = [k for k in required if k not in block]
    unknown = [k for k in block if k not in required + optional]
    if missing or unknown:
        problem = f"missing key {missing[0]!r}" if missing else f"unknown key {unknown[0]!r}"
        raise ConfigError(f"{where}: {problem}; expected keys: {', '.join(required + optional)}")


def model_label(entry: dict[str, Any]) -> str:
    """`model`, and `[variant]` where the entry has one."""
    variant = entry.get("variant")
    return entry["model"] + (f" [{variant}]" if variant else "")


def entry_label(entry: dict[str, Any]) -> str:
    """`dataset / model [variant]`."""
    return f"{entry['dataset']} / {model_label(entry)}"


def _check_entry(entry: Any, where: str) -> None:
    if isinstance(entry, dict) and isinstance(entry.get("dataset"), str) and isinstance(entry.get("model"), str):
        where = f"{where} ({entry_label(entry)})"
    _check_keys(entry, where, ENTRY_REQUIRED, ENTRY_OPTIONAL)
    if not isinstance(entry["dataset"], str) or not isinstance(entry["model"], str):
        raise ConfigError(f"{where}: 'dataset' and 'model' must be names")
    if "variant" in entry and not (isinstance(entry["variant"], str) and entry["variant"].strip()):
        raise ConfigError(f"{where}: 'variant' must be a short text naming the setting")
    if entry["reference"] is not None:
        _check_keys(entry["reference"], f"{where} reference", REFERENCE_KEYS, REFERENCE_OPTIONAL)
    tolerance = entry["tolerance"]
    _check_keys(tolerance, f"{where} tolerance", TOLERANCE_KEYS, TOLERANCE_OPTIONAL)
    if not isinstance(tolerance["abs"], (int, float)) or tolerance["abs"] < 0:
        raise ConfigError(f"{where} tolerance: 'abs' must be a number >= 0")
    reason = tolerance.get("reason")
    if tolerance["abs"] > DEFAULT_ABS_TOL and not (isinstance(reason, str) and reason.strip()):
        raise ConfigError(f"{where} tolerance: 'abs' {tolerance['abs']} is wider than the default {DEFAULT_ABS_TOL} "
                          f"and needs a 'reason' giving the measured evidence for it")
    if "config" in entry and not isinstance(entry["config"], dict):
        raise ConfigError(f"{where} config: expected a mapping of hyper-parameters")
    grid = entry.get("grid")
    lists = isinstance(grid, dict) and grid and all(isinstance(v, list) and v for v in grid.values())
    if "grid" in entry and not lists:
        raise ConfigError(f"{where} grid: expected a mapping of hyper-parameter -> a non-empty list of values")
    if "miss" in entry:
        _check_miss(entry["miss"], f"{where} miss")
    if "measured" in entry:
        if "config" not in entry:
            raise ConfigError(f"{where}: a 'measured' block needs the 'config' it was measured with")
        _check_keys(entry["measured"], f"{where} measured", MEASURED_KEYS, MEASURED_OPTIONAL)


def _check_miss(miss: Any, where: str) -> None:
    _check_keys(miss, where, MISS_KEYS)
    evidence = miss["evidence"]
    if not (isinstance(miss["reason"], str) and miss["reason"].strip()):
        raise ConfigError(f"{where}: 'reason' must say why the result lies outside its bound")
    if not (isinstance(evidence, list) and evidence and all(isinstance(e, str) and e.strip() for e in evidence)):
        raise ConfigError(f"{where}: 'evidence' must list the commands (with what they printed) or the source "
                          f"files (at a commit) that show the reason")


def load_leaderboard(path: str | Path) -> dict[str, Any]:
    """The checked contents of one leaderboard file: `{"protocol": {...}, "entries": [...]}`."""
    path = Path(path)
    board = load_yaml(path, error=ConfigError)
    _check_keys(board, str(path), ("protocol", "entries"))
    _check_keys(board["protocol"], f"{path}: protocol", PROTOCOL_KEYS)
    for key in ("benchmark", "task"):  # they name the file's chart, charts/<benchmark>-<task>.png
        path_component(board["protocol"][key], f"{path}: protocol: {key}")
    metrics = board["protocol"]["metrics"]
    if not isinstance(metrics, list) or not metrics or not all(isinstance(m, str) for m in metrics):
        raise ConfigError(f"{path}: protocol: 'metrics' must be a list of metric names, the primary one first")
    entries = board["entries"] or []
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: 'entries' must be a list")
    seen: dict[tuple[str, str, str | None], int] = {}
    for index, entry in enumerate(entries):
        _check_entry(entry, f"{path}: entries[{index}]")
        key = (entry["dataset"], entry["model"], entry.get("variant"))
        if key in seen:
            raise ConfigError(f"{path}: entries[{index}]: a second entry for {entry_label(entry)} "
                              f"(the first is entries[{seen[key]}])")
        seen[key] = index
    board["entries"] = entries
    return board


def boards_for_task(task: str, root: Path | None = None) -> list[tuple[Path, dict[str, Any]]]:
    """`(file, loaded board)` of every leaderboard file whose protocol is for `task`."""
    boards = [(path, load_leaderboard(path)) for path in leaderboard_files(root)]
    return [(path, board) for path, board in boards if board["protocol"]["task"] == task]


def entry_in(entries: list[dict[str, Any]], model: str, dataset: str, variant: str | None = None) -> dict[str, Any] | None:
    """The entry of `entries` for (model, dataset, variant), or None."""
    return next((e for e in entries if (e["model"], e["dataset"], e.get("variant")) == (model, dataset, variant)), None)


def find_entry(task: str, model: str, dataset: str, root: Path | None = None) -> tuple[Path, dict[str, Any]]:
    """`(file, entry)` of the leaderboard entry for (task, model, dataset); an error lists the
    entries this task has when there is none."""
    boards = boards_for_task(task, root)
    for path, board in boards:
        entry = entry_in(board["entries"], model, dataset)
        if entry is not None:
            return path, entry
    listed = ", ".join(f"{e['model']} on {e['dataset']}" for _, board in boards for e in board["entries"]) or "none"
    raise ConfigError(f"--best-config: no leaderboard entry for model {model!r} on dataset {dataset!r} for task "
                      f"{task!r} in {root or leaderboard_dir()}; entries for this task: {listed}")


def best_config(task: str, model: str, dataset: str, root: Path | None = None) -> tuple[str, dict[str, Any]]:
    """`(where, config)`: the config of the leaderboard entry, a layer for `resolve`."""
    path, entry = find_entry(task, model, dataset, root)
    if "config" not in entry:
        raise ConfigError(f"--best-config: {path}: the entry for {model} on {dataset} has not been measured yet, "
                          "so it has no config")
    return f"{path} ({dataset} / {model})", entry["config"]
