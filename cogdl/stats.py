"""Mean ± std over repeated runs: the one place where run summaries are computed.

Every summary in CogDL (a run folder's `summary.json`, a leaderboard entry's `measured` block, a
reproduction report, IGB's grid table) is the mean and the sample standard deviation (ddof=1) of
one value per run, where a run is a seed, or a graph of a benchmark with many graphs.
"""

from __future__ import annotations

import statistics
from typing import Any, Iterable

#: the prefixes of metric names (the split comes first: `test_acc`, `val_macro_f1`)
SPLIT_PREFIXES = ("train_", "val_", "test_")


def mean_and_std(values: Iterable[float]) -> tuple[float, float | None]:
    """`(mean, sample std)`; the std is None for a single value."""
    values = [float(v) for v in values]
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else None


def summarize(records: list[dict[str, Any]], names: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """`{name: {"mean", "std", "values", "n"}}` of every split metric of `records` (or of `names`)."""
    names = [k for k in records[0] if k.startswith(SPLIT_PREFIXES)] if names is None else names
    summary = {}
    for name in names:
        values = [float(r[name]) for r in records]
        mean, std = mean_and_std(values)
        summary[name] = {"mean": mean, "std": std, "values": values, "n": len(values)}
    return summary
