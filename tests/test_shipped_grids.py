"""Every grid file the leaderboards ship (`leaderboard/<benchmark>/grids/<model>[-...].yaml`) loads,
and each of its settings resolves for its model and the benchmark's task: a grid meant for a
cluster must not fail on a misspelt key or a value out of range after hours of queueing."""

import pytest

from cogdl.config import load_grid, resolve
from cogdl.protocols.base import grid_settings, task_and_model
from helpers import REPO

TASK_OF_BENCHMARK = {"igb": "node_classification", "tu": "graph_classification"}
GRID_FILES = sorted((REPO / "leaderboard").glob("*/grids/*.yaml"))


def test_every_benchmark_with_grids_is_known():
    assert GRID_FILES and {path.parent.parent.name for path in GRID_FILES} == set(TASK_OF_BENCHMARK)


@pytest.mark.parametrize("path", GRID_FILES, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_each_setting_of_a_shipped_grid_resolves_for_its_model(path):
    task_cls, model_cls = task_and_model(TASK_OF_BENCHMARK[path.parent.parent.name], path.stem.split("-")[0])
    grid = load_grid(path)
    for setting in grid_settings(grid):
        flat = resolve(model_cls.Config, task_cls.Config, [("--grid", setting)]).flat
        assert {key: flat[key] for key in setting} == setting
