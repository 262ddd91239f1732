"""An example CogDL plugin: one model published through the `cogdl.models` entry point."""
