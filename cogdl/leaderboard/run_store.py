"""The finished runs of `cogdl reproduce`, kept so that a killed or split reproduction resumes.

A full tier takes hours on a CPU: the recorded wall times of planetoid's entries sum to 8.7 h on
this project's 2-core box, 7.6 h of it GraphMAE on PubMed (5 seeds). Each finished unit, one seed
of one entry or a whole IGB entry (whose graphs run as one protocol), is written at once to
`<out>/<benchmark>-<tier>-runs/<key>.json`; `key` is a digest of what determines the unit's values:
task, model, dataset, config and seed. With `--resume` a saved unit is read back instead of run
again. A saved unit keeps the commit it ran at, and the report lists the
commits of each entry's values, so a reproduction put together over several invocations says so.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from cogdl.data.atomic import write_files_atomically
from cogdl.errors import DataError


def unit_key(task: str, model: str, dataset: str, config: dict[str, Any], seed: int) -> str:
    """A digest of what determines one unit's values (the config's key order does not matter)."""
    what = json.dumps({"task": task, "model": model, "dataset": dataset, "config": config, "seed": seed},
                      sort_keys=True)
    return hashlib.sha256(what.encode()).hexdigest()[:24]


class RunStore:
    """`folder/<key>.json` per finished unit: `{"commit": ..., "records": [...]}`."""

    def __init__(self, folder: Path, commit: str | None, resume: bool):
        self.folder, self.commit, self.resume = folder, commit, resume
        self.reused = 0

    def saved(self, key: str, needs: tuple[str, ...] = ()) -> list[dict] | None:
        """The records of unit `key` saved by an earlier invocation (only with `resume`), each
        tagged with the commit it ran at; each record must hold a number under every name in `needs`."""
        path = self.folder / f"{key}.json"
        if not self.resume or not path.exists():
            return None
        try:
            saved = json.loads(path.read_text())
            records = [{**record, "commit": saved["commit"]} for record in saved["records"]]
            if not records:
                raise ValueError("no records")
            for record in records:
                lacking = [name for name in needs if not isinstance(record.get(name), (int, float))]
                if lacking:
                    raise KeyError(f"a record has no number {lacking[0]!r}")
        except (ValueError, KeyError, TypeError) as exc:
            raise DataError(f"{path}: not a saved reproduction run ({exc.__class__.__name__}: {exc}); "
                            f"delete it or run without --resume") from None
        self.reused += 1
        return records

    def save(self, key: str, records: list[dict]) -> list[dict]:
        """Write unit `key` (complete or not at all) and return its records tagged with this commit."""
        write_files_atomically(self.folder, {f"{key}.json": json.dumps({"commit": self.commit, "records": records},
                                                                       indent=1) + "\n"})
        return [{**record, "commit": self.commit} for record in records]
