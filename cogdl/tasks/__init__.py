"""Built-in tasks: importing this package registers them."""

from cogdl.tasks import graph_classification, hetero_link_prediction, hetero_node_classification, node_classification  # noqa: F401
from cogdl.tasks.base import Task

__all__ = ["Task"]
