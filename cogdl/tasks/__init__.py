"""Built-in tasks: importing this package registers them."""

from cogdl.tasks import (  # noqa: F401
    graph_classification, hetero_link_prediction, hetero_node_classification, node_classification, ssl_graph_classification,
    ssl_node_classification,
)
from cogdl.tasks.base import Task

__all__ = ["Task"]
