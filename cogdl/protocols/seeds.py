"""The `seeds` protocol: one run per seed on the dataset's own split; mean ± std over the seeds.

For each seed s: seed Python, NumPy and torch with s, build a fresh model, let the task train it
(selecting on validation) and evaluate test once; the selected weights are kept for the run folder
(`seed_<s>/model.pt`) and, with `--logger`, each epoch is logged as it ends (`cogdl.loggers`).
The dataset is loaded and prepared once and shared by every seed. With `jobs` > 1 the seeds run in that many processes, and with the `ray`
executor as tasks on a Ray cluster (each seed's values depend only on the seed and the thread
count, `cogdl.protocols.executors`).
"""

from __future__ import annotations

import dataclasses

from cogdl.protocols.base import Protocol, Result, RunSpec, check_task_accepts, resolve_spec, run_once, spec_dataset
from cogdl.loggers import SeedLoggers
from cogdl.protocols.executors import map_runs, progress_bar
from cogdl.registry import register_protocol
from cogdl.stats import summarize
from cogdl.tasks.base import SeedContext


@register_protocol("seeds")
class SeedsProtocol(Protocol):
    """One run per seed on the dataset's own split (the default)."""

    per_seed = True

    def run(self, spec: RunSpec) -> Result:
        task_cls, model_cls, resolved = resolve_spec(spec)
        task = task_cls()
        if spec.executor != "local" or (spec.jobs > 1 and len(spec.seeds) > 1):
            one = dict(jobs=1, progress=False, executor="local")
            parts = map_runs(self.run, [(dataclasses.replace(spec, seeds=[seed], **one),) for seed in spec.seeds],
                             spec.jobs, executor=spec.executor, address=spec.address)
            return _joined(parts)
        dataset = spec_dataset(spec)
        check_task_accepts(spec.task, task_cls, dataset, "seeds")
        prepared = task.prepare(dataset, resolved.task)
        epochs = task.epochs_per_seed(resolved.task)
        bar = progress_bar(spec.progress, len(spec.seeds) * epochs, f"{spec.model} on {spec.dataset}")
        records, artifacts, predictions = [], {}, {}
        try:
            for k, seed in enumerate(spec.seeds):
                logs = SeedLoggers(spec.loggers, spec.log_root, f"{spec.task}/{spec.dataset}/{spec.model}", seed,
                                   resolved.flat) if spec.loggers else None
                context = SeedContext(seed, spec.device, bar, _numbered(spec.hooks, k * epochs) + ((logs,) if logs else ()),
                                      spec.evaluate_test, export_predictions=spec.export_predictions,
                                      dataset=spec.dataset, save_weights=True)
                metrics = None
                try:
                    metrics = run_once(task, spec.task, model_cls, spec.model, resolved, prepared, context)
                finally:
                    if logs is not None:
                        logs.finish(metrics)
                records.append({"seed": seed, **metrics})
                artifacts[seed] = context.artifacts
                predictions.update(context.predictions)
        finally:
            if bar is not None:
                bar.close()
        return Result(spec.task, spec.model, spec.dataset, records, summarize(records), resolved.flat,
                      artifacts=artifacts, predictions=predictions)


def _joined(parts: list[Result]) -> Result:
    """One result from the results of single seeds (in seed order)."""
    first, records = parts[0], [record for part in parts for record in part.records]
    joined = dataclasses.replace(first, records=records, summary=summarize(records), artifacts={}, predictions={})
    for part in parts:
        joined.artifacts.update(part.artifacts)
        joined.predictions.update(part.predictions)
    return joined


def _numbered(hooks, offset: int) -> tuple:
    """The hooks, seeing each epoch with `step` numbered on from `offset` (the epochs of earlier seeds)."""
    return tuple((lambda report, hook=hook: hook(dataclasses.replace(report, step=offset + report.epoch)))
                 for hook in hooks)
