"""Sparse operators on the message-passing hot path.

Every layer in `cogdl.nn` aggregates through these functions and nothing else, so a faster
backend speeds up every model at once. This module holds the reference implementations
(torch.sparse CSR and `index_add`), which are always available and are the oracle the tests
compare against.
"""

from cogdl.ops.edge_softmax import edge_softmax
from cogdl.ops.gat_aggregate import gat_aggregate
from cogdl.ops.spmm import spmm

__all__ = ["spmm", "edge_softmax", "gat_aggregate"]
