"""The `splits` protocol: one run per split of a fixed split family; mean ± std over the splits.

Geom-GCN's protocol ("Geom-GCN: Geometric Graph Convolutional Networks", Pei et al., ICLR 2020),
used by H2GCN, GPR-GNN's geom-gcn tables and the heterophily papers after them: a dataset comes with
K fixed node splits (`SplitFamilyDataset`, e.g. `chameleon` and its ten 48/32/20 splits); for each
split k a fresh model trains on its train nodes, is selected on its validation nodes by the task's
rule and is tested once on its test nodes. The result is the mean and sample std of the K test
scores. Split k trains from the seed `seed + k`, so results do not depend on `--jobs`, which runs
splits in that many processes. Any task that takes one graph with a node split runs under it:

    cogdl train --protocol splits --task node_classification --model gcn --dataset chameleon --jobs 2
"""

from __future__ import annotations

from cogdl.data.dataset import NodeSplitDataset, SplitFamilyDataset
from cogdl.errors import ConfigError
from cogdl.protocols.base import (
    Protocol, Result, RunSpec, hold_dataset, hold_dataset_of, held_dataset, release_dataset, require_one_seed,
    resolve_spec, run_on,
)
from cogdl.protocols.executors import map_runs
from cogdl.registry import register_protocol
from cogdl.stats import summarize

def _one_split(spec: RunSpec, k: int) -> dict:
    return {"split": k, "seed": spec.seeds[0] + k, **run_on(spec, held_dataset().split_dataset(k), spec.seeds[0] + k,
                                                             f"split {k}", evaluate_test=spec.evaluate_test)}


@register_protocol("splits")
class SplitsProtocol(Protocol):
    """One run per fixed split of the dataset (geom-gcn's ten splits); mean ± std over the splits."""

    accepts = (SplitFamilyDataset,)
    per_seed = False
    unit = "split"

    def run(self, spec: RunSpec) -> Result:
        require_one_seed(spec, "splits", self.unit)
        task_cls, _, resolved = resolve_spec(spec)
        try:
            dataset = hold_dataset_of(spec, SplitFamilyDataset, "protocol splits runs over a dataset's fixed splits "
                                      "(e.g. chameleon, cora-geom-gcn: cogdl list datasets)")
            if NodeSplitDataset not in task_cls.accepts:
                raise ConfigError(f"protocol splits runs tasks that take one graph with a node split; {spec.task!r} "
                                  "does not")
            calls = [(spec, k) for k in range(len(dataset.splits))]
            records = map_runs(_one_split, calls, spec.jobs, hold_dataset, (spec,), executor=spec.executor,
                               address=spec.address)
        finally:
            release_dataset()
        return Result(spec.task, spec.model, spec.dataset, records, summarize(records), resolved.flat, unit=self.unit,
                      extra={"splits": len(records)})
