"""The registry-wide contract checks, shipped for CogDL's suite and for plugins:

    from cogdl.testing import check_model, check_task
    check_model("my_gnn")        # or the class
    check_task("my_task")
    check_dataset(my_loader(path))   # a loaded dataset's invariants (cogdl.testing.invariants)

See `cogdl.testing.checks` for what they check, `cogdl.testing.tiny_datasets` for the data.
"""

from cogdl.testing.checks import ContractError, check_model, check_task, train_tiny
from cogdl.testing.invariants import DatasetInvariantError, check_dataset
from cogdl.testing.tiny_datasets import tiny_dataset

__all__ = ["check_model", "check_task", "check_dataset", "ContractError", "DatasetInvariantError", "train_tiny",
           "tiny_dataset"]
