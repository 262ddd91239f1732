"""CogDL: a graph-learning research toolkit and benchmark suite.

    import cogdl
    result = cogdl.experiment(task="node_classification", model="gcn", dataset="cora", seeds=range(3))
    result.summary["test_acc"]["mean"]

Importing `cogdl` is cheap (no torch until something runs), so `cogdl --help` starts quickly.
"""

from cogdl.threads import keep_long_spin

keep_long_spin()  # before anything imports torch: its OpenMP runtime reads the spin count as it loads

from cogdl.experiment import experiment  # noqa: E402
from cogdl.registry import (  # noqa: E402
    DATASETS, MODELS, PROTOCOLS, TASKS, register_dataset, register_model, register_protocol, register_task,
)
from cogdl.result import Result  # noqa: E402

__version__ = "0.1.0"

__all__ = ["experiment", "Result", "register_model", "register_dataset", "register_task", "register_protocol",
           "MODELS", "DATASETS", "TASKS", "PROTOCOLS"]
