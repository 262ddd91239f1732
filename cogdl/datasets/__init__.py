"""Built-in datasets: importing this package registers them (one module per family)."""

from cogdl.datasets import hgb, igb, planetoid, tu  # noqa: F401
