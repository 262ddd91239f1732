"""CogDL: a graph-learning research toolkit and benchmark suite.

    import cogdl
    result = cogdl.experiment(task="node_classification", model="gcn", dataset="cora", seeds=range(3))
    result.summary["test_acc"]["mean"]

Importing `cogdl` is cheap (no torch until something runs), so `cogdl --help` starts quickly.
"""

from cogdl.experiment import experiment
from cogdl.registry import (
    DATASETS, MODELS, PROTOCOLS, TASKS, register_dataset, register_model, register_protocol, register_task,
)
from cogdl.result import Result

__version__ = "0.1.0"

__all__ = ["experiment", "Result", "register_model", "register_dataset", "register_task", "register_protocol",
           "MODELS", "DATASETS", "TASKS", "PROTOCOLS"]
