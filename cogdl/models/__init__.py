"""Built-in models: one file per model; each registers its model when the registry imports it
(`cogdl.registry`), so a new model is one new file here."""

from cogdl.models.base import Model, ModelSizes

__all__ = ["Model", "ModelSizes"]
