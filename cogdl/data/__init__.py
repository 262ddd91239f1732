"""Graph containers, the data root and dataset cards."""

from cogdl.data.dataset import Dataset, DatasetInfo
from cogdl.data.graph import Graph

__all__ = ["Dataset", "DatasetInfo", "Graph"]
