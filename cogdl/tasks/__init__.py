"""Built-in tasks: one file per task; each registers its task when the registry imports it
(`cogdl.registry`)."""

from cogdl.tasks.base import SeedContext, Task

__all__ = ["SeedContext", "Task"]
