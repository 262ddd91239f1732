"""Built-in tasks: importing this package registers them."""

from cogdl.tasks import node_classification  # noqa: F401
from cogdl.tasks.base import Task

__all__ = ["Task"]
