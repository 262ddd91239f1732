"""Built-in protocols: one file per protocol; each registers its protocol when the registry imports
it (`cogdl.registry`)."""

from cogdl.protocols.base import Protocol, Result, RunSpec

__all__ = ["Protocol", "Result", "RunSpec"]
