"""The backends that can run here (Triton in its interpreter without a GPU: see tests/conftest.py)."""

import cogdl.ops.backends as backends

AVAILABLE = [name for name in backends.BACKENDS if backends.load(name) is not None]
