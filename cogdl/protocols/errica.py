"""The `errica` protocol: graph classification on fixed outer folds, a model selected per fold on
its inner hold-out split, then retrained three times and tested once.

"A Fair Comparison of Graph Neural Networks for Graph Classification", Errica, Podda, Bacciu &
Micheli, ICLR 2020 (sec. 4, Fig. 2; their `K_Fold_Assessment.py`, `HoldOutSelector.py` and
`EndToEndExperiment.py`). For a dataset with fixed outer folds (`GraphFoldsDataset`, e.g.
`nci1-errica`) and a grid of settings s:
1. For every fold k and setting s: train on fold k's inner training graphs, keep the epoch the
   task's selection rule picks on its inner validation graphs (`select_on`, early stopping after
   `patience`), and record that epoch's validation accuracy v_{s,k}. The test fold is not read.
2. s*_k = argmax_s v_{s,k}, the first setting in grid order on a tie: each fold selects its own
   setting, as model selection belongs inside the assessment loop.
3. Setting s*_k trains `RETRAINS` = 3 more times from fresh initialisations on the same inner
   split with the same selection rule ("to mitigate bad random initialisations"); each is tested
   once on the outer test fold, and the fold's score is the mean of the three test accuracies a_k.
4. The result is mean_k a_k ± the sample std over the ten folds.
Seeds: the selection runs of fold k start from `seed + k` (every setting from the same one), and
retrain r = 0, 1, 2 of fold k from `seed + (r + 1) * K + k` for K folds, so at the same threads per
run (`cogdl.threads`) results do not depend on `--jobs`, which runs the (setting, fold) runs and then
the retrains in that many processes.

    cogdl train --protocol errica --task graph_classification --model gin --dataset nci1-errica \
        --grid leaderboard/tu/grids/gin-errica.yaml --jobs 2

NOTE: the authors' selector keeps the last of equally scoring settings (`best_vl <= vl`) and
reports the population std (`np.std`); we keep the first and report the sample std (ddof=1), as
every CogDL protocol does (`cogdl.stats`). With ten folds the two stds differ by a factor 1.054.
"""

from __future__ import annotations

import statistics

from cogdl.data.dataset import GraphFoldsDataset, GraphSplitDataset
from cogdl.errors import ConfigError
from cogdl.protocols.base import (
    Protocol, Result, RunSpec, csv_text, grid_settings, hold_dataset_of, held_dataset, kept_runs,
    release_dataset, require_one_seed, resolve_spec, run_on, where_runs_go,
)
from cogdl.registry import register_protocol
from cogdl.stats import summarize

#: fresh trainings of each fold's selected setting that are tested; the fold's score is their mean
RETRAINS = 3


def _one_run(spec: RunSpec, flat: dict, k: int, seed: int, test: bool) -> dict:
    """Fold k with the setting `flat` from `seed`: a selection run (validation only) or a tested retrain."""
    return run_on(spec, held_dataset().fold_dataset(k), seed, f"fold {k}", [("setting", flat)], evaluate_test=test)


@register_protocol("errica")
class ErricaProtocol(Protocol):
    """Errica et al.'s fair protocol: per outer fold, select on the inner hold-out, retrain 3x, test."""

    accepts = (GraphFoldsDataset,)
    per_seed = False
    takes_grid = True
    keeps_runs = True
    unit = "fold"

    def run(self, spec: RunSpec) -> Result:
        require_one_seed(spec, "errica", self.unit)
        task_cls, _, base = resolve_spec(spec)
        if GraphSplitDataset not in task_cls.accepts:
            raise ConfigError(f"protocol errica runs tasks that train on a split of a graph collection; task "
                              f"{spec.task!r} does not")
        grid = spec.grid or {}
        settings = [resolve_spec(spec, [("--grid", s)])[2].flat for s in grid_settings(grid)]
        try:
            dataset = hold_dataset_of(spec, GraphFoldsDataset, "protocol errica runs over fixed outer folds "
                                      "(e.g. nci1-errica: cogdl list datasets)")
            return self._run_loaded(spec, grid, settings, len(dataset.folds), base.flat)
        finally:
            release_dataset()

    def _run_loaded(self, spec: RunSpec, grid: dict, settings: list[dict], folds: int, base: dict) -> Result:
        seed, kept, run = spec.seeds[0], kept_runs(spec), where_runs_go(spec)
        pairs = [(s, k) for s in range(len(settings)) for k in range(folds)]
        selection = kept.map(_one_run, [(spec, settings[s], k, seed + k, False) for s, k in pairs],
                             [({**settings[s], "fold": k, "part": "selection"}, seed + k) for s, k in pairs], **run)
        val = {pair: record["val_acc"] for pair, record in zip(pairs, selection)}
        chosen = [max(range(len(settings)), key=lambda s: (val[s, k], -s)) for k in range(folds)]
        retrains = [(k, r) for k in range(folds) for r in range(RETRAINS)]
        tested = kept.map(_one_run, [(spec, settings[chosen[k]], k, seed + (r + 1) * folds + k, True)
                                     for k, r in retrains],
                          [({**settings[chosen[k]], "fold": k, "part": "retrain"}, seed + (r + 1) * folds + k)
                           for k, r in retrains], **run)
        records = []
        for k in range(folds):
            runs = [t for (fold, _), t in zip(retrains, tested) if fold == k]
            records.append({"fold": k, "seed": seed + k, "setting": chosen[k], "val_acc": val[chosen[k], k],
                            "test_acc": statistics.fmean(t["test_acc"] for t in runs),
                            "retrain_test_accs": [t["test_acc"] for t in runs],
                            "retrain_best_epochs": [t["best_epoch"] for t in runs]})
        named = grid_settings(grid)
        table = [{"setting": s, "fold": k, **named[s], "val_acc": val[s, k],
                  "best_epoch": record["best_epoch"], "chosen": chosen[k] == s}
                 for (s, k), record in zip(pairs, selection)]
        extra = {"benchmark": "errica", "folds": folds, "grid": grid, "retrains": RETRAINS, "base_config": base,
                 "chosen_settings": chosen, **kept.summary()}
        return Result(spec.task, spec.model, spec.dataset, records, summarize(records, ["test_acc", "val_acc"]),
                      base, unit=self.unit, extra=extra, files={"selection.csv": csv_text(table)},
                      notes=_describe(grid, settings, chosen, val, folds))


def _describe(grid: dict, settings: list[dict], chosen: list[int], val: dict, folds: int) -> list[str]:
    lines = []
    for s in range(len(settings)):
        named = ", ".join(f"{key}={settings[s][key]}" for key in grid) or "the config"
        picked = sum(c == s for c in chosen)
        mean_val = statistics.fmean(val[s, k] for k in range(folds))
        lines.append(f"setting {s} ({named}): mean inner validation accuracy {100 * mean_val:.2f}, chosen in "
                     f"{picked} of {folds} folds")
    return lines
