"""CogDL: a graph-learning research toolkit and benchmark suite.

    import cogdl
    result = cogdl.experiment(task="node_classification", model="gcn", dataset="cora", seeds=range(3))
    result.summary["test_acc"]["mean"]
"""

from cogdl.experiment import Result, experiment
from cogdl.registry import DATASETS, MODELS, TASKS, register_dataset, register_model, register_task

__version__ = "0.1.0"

__all__ = ["experiment", "Result", "register_model", "register_dataset", "register_task", "MODELS", "DATASETS", "TASKS"]
