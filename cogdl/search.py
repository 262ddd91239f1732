"""`cogdl search`: hyper-parameter search on Optuna that never looks at the test split.

    cogdl search --task T --model M --dataset D --space SPACE.yaml --n-trials N [--seeds-per-trial K]
                 [--storage sqlite:///FILE --study-name NAME] [--timeout S] [--eval-seeds 100-109]
                 [--best-config] [--set KEY=VALUE ...]

Search space (YAML data, one key per hyper-parameter of the model or task Config):

    lr: {type: float, low: 1.0e-3, high: 0.1, log: true}
    hidden_size: {type: int, low: 16, high: 256, step: 16}
    dropout: {type: float, low: 0.0, high: 0.8, step: 0.1}
    select_on: {type: categorical, choices: [acc, loss]}

Objective: the mean over seeds 0..K-1 of the task's validation metric (`Task.search_metric`, e.g.
`val_acc`); the runs get `SeedContext(evaluate_test=False)`, so the test split is never read. Each
epoch's validation score is reported to Optuna's median pruner (an epoch hook; steps numbered on
across the K seeds). The sampler is TPE with `--sampler-seed`. Every trial starts from the base config (the
defaults, under the leaderboard entry with `--best-config`, under `--set`); trial 0 is the base
config itself, so the best trial is never worse than it on validation.

Resuming and sharing: with `--storage` (`sqlite:///FILE`, or `postgresql://USER@HOST:PORT/DB` for
workers on many hosts) and `--study-name`, a process joins the study and runs trials until it holds
`--n-trials` finished ones (complete and pruned count) - so a rerun resumes, and several processes
started on one study share its trials. Each running trial beats a heartbeat (Optuna's, every
`HEARTBEAT` s); a trial whose process was killed stops beating and is marked failed by the next
process (which waits `GRACE` s at start when it finds trials running, to tell them apart). A trial
that finds the study already full (two processes asked at once) is recorded as failed with the user
attribute `surplus` and trains nothing. The TPE sampler is seeded per trial from (`--sampler-seed`,
trial number), so processes sharing a study, and a resumed search, do not draw the earlier trials'
parameters again; start the other processes once the first has created the study (it enqueues the
default config as trial 0). No parameter set is evaluated twice: a trial drawn with the parameters
of another trial that is finished or running (in this process or another) is recorded as failed
with the user attribute `repeat` and trains nothing; in a finite space (`space_size`, up to
`ENUMERATED` sets) the next trial takes a set not yet tried, chosen at random, and once every set
is taken the search stops short of `--n-trials`. In larger spaces the next trial draws again. A rerun
whose best config and `--eval-seeds` are those of the search folder's `search.json` keeps its
evaluation instead of training the evaluation seeds again.

At the end, the best config is trained on `--eval-seeds` (disjoint from the search seeds) with
the usual test evaluation, and the search folder `<out>/<task>/<dataset>/<model>/<study>/` gets
`trials.csv`, `search.json` and `candidate.yaml`, a leaderboard entry for that result.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import random
import statistics
import time
from pathlib import Path
from typing import Any

import optuna

from cogdl.config import config_fields, load_yaml, resolve
from cogdl.data.atomic import write_files_atomically
from cogdl.errors import ConfigError
from cogdl.experiment import experiment
from cogdl.leaderboard.files import DEFAULT_ABS_TOL, boards_for_task, dump_leaderboard, entry_in
from cogdl.leaderboard.record import measured_block
from cogdl.registry import MODELS, TASKS
from cogdl.trainer import Epoch

SPEC_KEYS = {"float": {"type", "low", "high", "log", "step"}, "int": {"type", "low", "high", "log", "step"},
             "categorical": {"type", "choices"}}


def load_space(path: str | Path, task: str, model: str) -> dict[str, dict]:
    """The checked search space: every key a hyper-parameter of `model` or `task`, every spec valid."""
    space = load_yaml(path)
    if not isinstance(space, dict) or not space:
        raise ConfigError(f"{path}: expected a mapping of hyper-parameter names to search specs")
    known = {**config_fields(MODELS.get(model).Config), **config_fields(TASKS.get(task).Config)}
    for name, spec in space.items():
        where = f"{path}: {name}"
        if name not in known:
            raise ConfigError(f"{where}: not a hyper-parameter of model {model!r} or task {task!r}")
        kind = spec.get("type") if isinstance(spec, dict) else None
        if kind not in SPEC_KEYS:
            raise ConfigError(f"{where}: expected a mapping with type float, int or categorical")
        unknown = set(spec) - SPEC_KEYS[kind]
        if unknown:
            raise ConfigError(f"{where}: unknown key {sorted(unknown)[0]!r} for type {kind}; expected "
                              + ", ".join(sorted(SPEC_KEYS[kind])))
        if kind == "categorical":
            if not isinstance(spec.get("choices"), list) or not spec["choices"]:
                raise ConfigError(f"{where}: 'choices' must be a non-empty list")
            continue
        if not all(isinstance(spec.get(k), (int, float)) for k in ("low", "high")) or spec["low"] > spec["high"]:
            raise ConfigError(f"{where}: expected numbers low <= high")
        if spec.get("log") and (spec["low"] <= 0 or "step" in spec):
            raise ConfigError(f"{where}: a log scale needs low > 0 and no step")
    return space


def suggest(trial: optuna.Trial, space: dict[str, dict]) -> dict[str, Any]:
    params = {}
    for name, spec in space.items():
        if spec["type"] == "categorical":
            params[name] = trial.suggest_categorical(name, spec["choices"])
        elif spec["type"] == "int":
            params[name] = trial.suggest_int(name, spec["low"], spec["high"], step=spec.get("step", 1),
                                             log=spec.get("log", False))
        else:
            params[name] = trial.suggest_float(name, spec["low"], spec["high"], step=spec.get("step"),
                                               log=spec.get("log", False))
    return params


HEARTBEAT, GRACE = 1, 4  # seconds: a trial's heartbeat, and how old a heartbeat makes a trial dead
DONE = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
TAKEN = (*DONE, optuna.trial.TrialState.RUNNING)  # a WAITING (enqueued) trial is not taken until it runs
BEGAN = "began"  # a trial's user attribute: its objective ran (so its process beat a heartbeat)


class _Surplus(Exception):
    """A trial asked for after the study already held its trials."""


class _Repeat(Exception):
    """A trial whose parameters another trial of the study has (or is being) evaluated with."""


def _values(spec: dict) -> list | None:
    """Every value a finite parameter takes, or None where it is continuous (or on a log scale)."""
    if spec["type"] == "categorical":
        return list(spec["choices"])
    if spec["type"] == "int" and not spec.get("log", False):
        return list(range(spec["low"], spec["high"] + 1, spec.get("step", 1)))
    if spec["type"] == "float" and spec.get("step") is not None:
        count = int(round((spec["high"] - spec["low"]) / spec["step"])) + 1
        return [spec["low"] + k * spec["step"] for k in range(count)]
    return None


def space_size(space: dict[str, dict]) -> int | None:
    """How many parameter sets `space` holds, or None where a parameter is continuous."""
    values = [_values(spec) for spec in space.values()]
    return None if any(v is None for v in values) else math.prod(len(v) for v in values)


ENUMERATED = 100_000  #: the most parameter sets a finite space may hold for its untried ones to be listed


def _key(params: dict[str, Any]) -> tuple:
    """A parameter set compared as a set: floats to 10 decimals (a stepped float as drawn and as listed)."""
    return tuple(sorted((name, round(v, 10) if isinstance(v, float) else v) for name, v in params.items()))


def _tried(study: optuna.Study, exclude: int | None = None) -> set[tuple]:
    """The parameter sets of the study's trials that are evaluated or being evaluated (not `exclude`)."""
    return {_key(t.params) for t in study.get_trials(deepcopy=False, states=TAKEN) if t.number != exclude and t.params}


def _untried(space: dict[str, dict], tried: set[tuple], seed: int) -> dict[str, Any] | None:
    """One parameter set of a finite `space` (of at most `ENUMERATED` sets) that is not `tried`,
    chosen at random by `seed`; None where there is none or the space is not listed."""
    size = space_size(space)
    if size is None or size > ENUMERATED:
        return None
    names = list(space)
    left = [dict(zip(names, values)) for values in itertools.product(*(_values(space[n]) for n in names))]
    left = [params for params in left if _key(params) not in tried]
    return random.Random(seed).choice(left) if left else None


def _storage(url: str | None):
    """An RDB storage with heartbeats (None: Optuna's in-memory storage)."""
    if url is None:
        return None
    try:
        return optuna.storages.RDBStorage(url, heartbeat_interval=HEARTBEAT, grace_period=GRACE)
    except (ImportError, ModuleNotFoundError) as exc:
        raise ConfigError(f"--storage {url}: {exc} (PostgreSQL needs psycopg: pip install 'cogdl[cluster]')") from None


def _fail_dead_trials(study: optuna.Study, stored: bool) -> None:
    """Mark trials whose process died (no heartbeat for `GRACE` s, in a `stored` study) as failed.

    Optuna calls stale only a trial whose heartbeat is old; a process killed after creating its trial
    and before the first heartbeat leaves a trial that it never calls stale, which would count as
    taken for ever. Every objective beats once itself and then marks its trial `BEGAN` (Optuna's
    heartbeat thread may not have beaten yet), so a marked trial has a heartbeat, and a trial still
    running and unmarked after the wait below has no live process.
    """
    running = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
    if running and stored:
        time.sleep(GRACE + HEARTBEAT)  # a live trial beats meanwhile; a dead one goes stale
        optuna.storages.fail_stale_trials(study)
        waited = {trial.number for trial in running}
        running = [trial for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
                   if trial.number in waited and not trial.user_attrs.get(BEGAN)]
    for trial in running:  # in memory, nothing else can be running it
        study.tell(trial.number, state=optuna.trial.TrialState.FAIL)


def _trial_seed(sampler_seed: int, number: int) -> int:
    return (sampler_seed * 1_000_003 + number) % (2 ** 32)


def run_search(task: str, model: str, dataset: str, space: dict[str, dict], n_trials: int, *,
               seeds_per_trial: int = 1, storage: str | None = None, study_name: str | None = None,
               timeout: float | None = None, sampler_seed: int = 0, base: dict[str, Any] | None = None,
               data_root=None) -> optuna.Study:
    """Run (or resume) the study until it holds `n_trials` finished trials; returns it."""
    metric = TASKS.get(task).search_metric
    if metric is None:
        supported = [e.name for e in TASKS.entries() if e.obj.search_metric]
        raise ConfigError(f"task {task!r} does not support search (it must keep test unread); "
                          f"tasks that do: {', '.join(supported)}")
    base = dict(base or {})
    rdb = _storage(storage)
    study = optuna.create_study(storage=rdb, study_name=study_name, direction="maximize",
                                load_if_exists=True, sampler=optuna.samplers.TPESampler(seed=sampler_seed),
                                pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=10))
    _fail_dead_trials(study, storage is not None)
    if not study.trials:
        defaults = resolve(MODELS.get(model).Config, TASKS.get(task).Config, [("base", base)]).flat
        study.enqueue_trial({name: defaults[name] for name in space}, skip_if_exists=True)

    study_id = None if rdb is None else rdb.get_study_id_from_name(study.study_name)

    def objective(trial: optuna.Trial) -> float:
        if rdb is not None:  # the heartbeat `BEGAN` promises (`_fail_dead_trials`)
            rdb.record_heartbeat(rdb.get_trial_id_from_study_id_trial_number(study_id, trial.number))
        trial.set_user_attr(BEGAN, True)
        earlier = [t for t in study.get_trials(deepcopy=False, states=TAKEN) if t.number < trial.number]
        if len(earlier) >= n_trials:
            trial.set_user_attr("surplus", True)
            study.stop()
            raise _Surplus()
        study.sampler = optuna.samplers.TPESampler(seed=_trial_seed(sampler_seed, trial.number))
        params = suggest(trial, space)
        tried = _tried(study, exclude=trial.number)
        if _key(params) in tried:  # drawn before, or by another process just now
            trial.set_user_attr("repeat", True)
            untried = _untried(space, tried, _trial_seed(sampler_seed, trial.number))
            if untried is not None:
                study.enqueue_trial(untried)  # the next trial takes a set not yet tried
            elif size is not None and size <= ENUMERATED:
                study.stop()  # every parameter set of the space is taken
            raise _Repeat()

        def report(epoch: Epoch) -> None:
            trial.report(epoch.val_score, epoch.step)
            if trial.should_prune():
                raise optuna.TrialPruned()

        result = experiment(task, model, dataset, range(seeds_per_trial), out=None, data_root=data_root,
                            evaluate_test=False, hooks=[report], **{**base, **params})
        if any(key.startswith("test_") for record in result.records for key in record):
            raise AssertionError(f"task {task!r} returned test metrics in a search")
        return statistics.fmean(record[metric] for record in result.records)

    def full(study: optuna.Study, _trial) -> None:
        if len(study.get_trials(deepcopy=False, states=TAKEN)) >= n_trials:
            study.stop()

    size = space_size(space)
    if len(study.get_trials(deepcopy=False, states=TAKEN)) < n_trials:
        optuna.logging.set_verbosity(optuna.logging.ERROR)
        study.optimize(objective, timeout=timeout, callbacks=[full], catch=(_Surplus, _Repeat))
    return study


def trials_table(study: optuna.Study) -> str:
    """CSV: number, state, value, each parameter."""
    names = sorted({name for trial in study.trials for name in trial.params})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["number", "state", "value", *names])
    for trial in study.trials:
        writer.writerow([trial.number, trial.state.name, "" if trial.value is None else trial.value,
                         *(trial.params.get(name, "") for name in names)])
    return out.getvalue()


def candidate_entry(task: str, model: str, dataset: str, config: dict, eval_seeds: list[int], out: Path,
                    data_root=None, command: str | None = None) -> dict[str, Any]:
    """Train `config` on `eval_seeds` with the test evaluation; a leaderboard entry for the result
    (its reference taken from the current entry, where there is one)."""
    result = experiment(task, model, dataset, eval_seeds, out=out, data_root=data_root, command=command, **config)
    boards = [board for _, board in boards_for_task(task)]
    own_metric = "test_" + TASKS.get(task).search_metric.removeprefix("val_")
    metrics = boards[0]["protocol"]["metrics"] if boards else [own_metric]
    same = [entry for board in boards if (entry := entry_in(board["entries"], model, dataset)) is not None]
    reference = same[0]["reference"] if same else None
    _, full_config, measured = measured_block([result.run_dir], metrics)
    return {"dataset": dataset, "model": model, "config": full_config, "reference": reference,
            "measured": measured, "tolerance": {"abs": DEFAULT_ABS_TOL}}


def evaluated_before(folder: Path, config: dict[str, Any], eval_seeds: list[int]) -> dict[str, Any] | None:
    """The candidate entry of `folder` where its `search.json` evaluated this `config` (the base
    config and the best trial's parameters) on these `eval_seeds` (a rerun of a finished search),
    else None."""
    try:
        details = json.loads((folder / "search.json").read_text())
        if details.get("evaluated_config") != config or details.get("eval_seeds") != eval_seeds:
            return None
        return load_yaml(folder / "candidate.yaml")
    except (OSError, ValueError, ConfigError):
        return None


def write_search_folder(folder: Path, study: optuna.Study, entry: dict, details: dict) -> None:
    write_files_atomically(folder, {
        "trials.csv": trials_table(study),
        "search.json": json.dumps(details, indent=2) + "\n",
        "candidate.yaml": dump_leaderboard(entry),
    })
