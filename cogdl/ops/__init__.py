"""Sparse operators on the message-passing hot path: SpMM, SDDMM, edge softmax, fused GAT.

Every layer in `cogdl.nn` aggregates through these functions and nothing else, so a faster
backend speeds up every model at once. Each op is differentiable with respect to every float
input; its autograd rule is written once and calls the kernels of the backend chosen by
`cogdl.ops.backends` (`reference`, `cpu`, `triton`; `COGDL_OPS` forces one).
"""

from cogdl.ops.edge_softmax import edge_softmax
from cogdl.ops.gat_aggregate import gat_aggregate
from cogdl.ops.sddmm import sddmm
from cogdl.ops.spmm import spmm

__all__ = ["spmm", "sddmm", "edge_softmax", "gat_aggregate"]
