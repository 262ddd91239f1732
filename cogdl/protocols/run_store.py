"""Finished runs kept on disk, so that a killed or split long run resumes without repeating them.

Two users:
- `cogdl reproduce`: a full tier takes hours on a CPU (planetoid's recorded wall times sum to 8.7 h
  on this project's 2-core box, 7.6 h of it GraphMAE on PubMed, 5 seeds). Each finished unit, one
  seed of one entry or a whole IGB or errica entry, is written at once to
  `<out>/<benchmark>-<tier>-runs/<key>.json`, and with `--resume` a saved unit is read back
  instead of run again.
- A protocol that runs whole (`errica`, `igb`) given a runs folder (`cogdl train --runs-dir DIR`,
  `KeptRuns`): each of its selection and retraining runs is written as it ends and read back by
  the next invocation, so a protocol run of many hours can be stopped and continued.
`key` is a digest of what determines the values: task, model, dataset, config and seed (plus, for a
protocol's inner run, its fold or graph, its part and its thread count). A saved run keeps the
commit it ran at and the CPU model it ran on, and reports list the commits and CPUs of the values
they put together, so a result made over several invocations says so. The CPU is not part of the
key: a run continues on another machine, but its values repeat bit for bit only on the same CPU
model (`docs/reproduce.md`).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from pathlib import Path
from typing import Any

from cogdl.data.atomic import write_files_atomically
from cogdl.environment import cpu_model, git_commit
from cogdl.errors import DataError
from cogdl.protocols.executors import map_runs, progress_bar


def unit_key(task: str, model: str, dataset: str, config: dict[str, Any], seed: int) -> str:
    """A digest of what determines one unit's values (the config's key order does not matter)."""
    what = json.dumps({"task": task, "model": model, "dataset": dataset, "config": config, "seed": seed},
                      sort_keys=True)
    return hashlib.sha256(what.encode()).hexdigest()[:24]


class RunStore:
    """`folder/<key>.json` per finished unit: `{"commit": ..., "cpu": ..., "records": [...]}`."""

    def __init__(self, folder: Path, commit: str | None, resume: bool):
        self.folder, self.commit, self.resume = folder, commit, resume
        self.cpu = cpu_model()
        self.reused = 0

    def saved(self, key: str, needs: tuple[str, ...] = ()) -> list[dict] | None:
        """The records of unit `key` saved by an earlier invocation (only with `resume`), each
        tagged with the commit and CPU it ran at (CPU None for a run saved before runs kept it); each
        record must hold a number under every name in `needs`."""
        saved = self.saved_file(key, needs)
        return None if saved is None else saved["records"]

    def saved_file(self, key: str, needs: tuple[str, ...] = ()) -> dict | None:
        """`saved`, with the rest of the unit's file (the times `save` was given)."""
        path = self.folder / f"{key}.json"
        if not self.resume or not path.exists():
            return None
        try:
            saved = json.loads(path.read_text())
            records = [{**record, "commit": saved["commit"], "cpu": saved.get("cpu")} for record in saved["records"]]
            if not records:
                raise ValueError("no records")
            for record in records:
                lacking = [name for name in needs if not isinstance(record.get(name), (int, float))]
                if lacking:
                    raise KeyError(f"a record has no number {lacking[0]!r}")
        except (ValueError, KeyError, TypeError) as exc:
            raise DataError(f"{path}: not a kept run ({exc.__class__.__name__}: {exc}); delete it and run "
                            "again") from None
        self.reused += 1
        return {**saved, "records": records}

    def runs_of(self, key: str) -> Path:
        """The folder where unit `key`'s protocol keeps its inner runs (`KeptRuns`); emptied first
        unless resuming, so that only `--resume` reads back what an earlier invocation kept."""
        folder = self.folder / f"{key}-runs"
        if not self.resume and folder.exists():
            shutil.rmtree(folder)
        return folder

    def save(self, key: str, records: list[dict], **times: float) -> list[dict]:
        """Write unit `key` (complete or not at all), with `times` (`KeptRuns`: when its invocation
        started and when the run finished), and return its records tagged with this commit and CPU."""
        saved = {"commit": self.commit, "cpu": self.cpu, "records": records, **times}
        write_files_atomically(self.folder, {f"{key}.json": json.dumps(saved, indent=1) + "\n"})
        return [{**record, "commit": self.commit, "cpu": self.cpu} for record in records]


class KeptRuns:
    """The inner runs of one protocol run, kept in `folder` (none when `folder` is None): `map`
    is `cogdl.protocols.executors.map_runs`, except that a run saved there by an earlier invocation
    is read back instead of run, and each new run is saved as it ends.

    Wall time over invocations: each kept run records when its invocation started and when it
    finished (epoch seconds), so `earlier_wall_seconds` = the sum over the earlier invocations whose
    runs were read back of (their last kept run's end - their start): the time they spent on what
    this result uses (a stopped invocation's unfinished runs are run again, and timed, here)."""

    def __init__(self, folder: str | Path | None, task: str, model: str, dataset: str, threads: int | str,
                 progress: bool = False):
        self.store = RunStore(Path(folder), git_commit(), resume=True) if folder is not None else None
        self.what = (task, model, dataset)
        self.threads = threads
        self.progress = progress
        self.commits: set[str | None] = set()
        self.cpus: set[str | None] = set()
        self.started = time.time()
        self.earlier: dict[float, float] = {}  # an earlier invocation's start -> the end of its last run read back

    def map(self, function, calls: list[tuple], determined_by: list[tuple[dict[str, Any], int]], **run) -> list:
        """`[function(*call) for call in calls]`; `determined_by[i]` is call i's (config, seed), the
        config holding every other key its values depend on (its fold, its part). With `progress`,
        a bar on stderr counts the runs, those read back included."""
        kept = [self._read_back(config, seed) for config, seed in determined_by]
        todo = [i for i, records in enumerate(kept) if records is None]
        part = determined_by[0][0].get("part", "inner") if determined_by else "inner"
        bar = progress_bar(self.progress, len(calls), f"{self.what[1]} on {self.what[2]}: {part} runs", "run",
                           len(calls) - len(todo))

        def finished(index: int, value: dict) -> None:
            i = todo[index]
            kept[i] = ([value] if self.store is None else
                       self.store.save(self._key(*determined_by[i]), [value], started=self.started, finished=time.time()))
            if bar is not None:
                bar.update(1)

        try:
            map_runs(function, [calls[i] for i in todo], on_result=finished, **run)
        finally:
            if bar is not None:
                bar.close()
        if self.store is not None:
            self.commits.update(records[0]["commit"] for records in kept)
            self.cpus.update(records[0]["cpu"] for records in kept)
        return [{k: v for k, v in records[0].items() if k not in ("commit", "cpu")} for records in kept]

    def _key(self, config: dict[str, Any], seed: int) -> str:
        return unit_key(*self.what, {**config, "threads per run": self.threads}, seed)

    def _read_back(self, config: dict[str, Any], seed: int) -> list[dict] | None:
        """The records of the run kept under (config, seed), its invocation's times noted; None when
        there is no folder or no such run."""
        if self.store is None:
            return None
        key = self._key(config, seed)
        saved = self.store.saved_file(key)
        if saved is None:
            return None
        if not isinstance(saved.get("started"), float) or not isinstance(saved.get("finished"), float):
            raise DataError(f"{self.store.folder / key}.json: not a kept run (no start and finish times); "
                            "delete it and run again")
        self.earlier[saved["started"]] = max(self.earlier.get(saved["started"], 0.0), saved["finished"])
        return saved["records"]

    def summary(self) -> dict[str, Any]:
        """For `summary.json` (nothing without a folder): the folder, how many runs were read back,
        the commits and CPU models of all the runs ("unknown" for those kept before runs recorded
        them) and the wall time of the earlier invocations that made them."""
        if self.store is None:
            return {}
        return {"kept_runs": {"folder": str(self.store.folder), "read_back": self.store.reused,
                              "commits": sorted(c or "unknown" for c in self.commits),
                              "cpus": sorted(c or "unknown" for c in self.cpus),
                              "earlier_wall_seconds": round(sum(end - start for start, end in self.earlier.items()), 1)}}


def earlier_wall_seconds(summary: dict[str, Any]) -> float:
    """The wall time that earlier invocations spent on the kept runs a result read back (0 for none):
    from a result's `extra` or its `summary.json`, which both hold `KeptRuns.summary()`."""
    return summary.get("kept_runs", {}).get("earlier_wall_seconds", 0.0)
