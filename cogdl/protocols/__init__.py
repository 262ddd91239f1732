"""Built-in protocols: importing this package registers them (one module per protocol)."""

from cogdl.protocols import igb, seeds  # noqa: F401
from cogdl.protocols.base import Protocol, Result, RunSpec

__all__ = ["Protocol", "Result", "RunSpec"]
