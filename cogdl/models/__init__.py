"""Built-in models: importing this package registers them (one file per model)."""

from cogdl.models import appnp, gat, gcn, gcnii, gin, graphmae, graphsage, mixhop, mlp, rgcn, simple_hgn  # noqa: F401
from cogdl.models.base import Model

__all__ = ["Model"]
