"""Every op test runs once per backend that can run here (`COGDL_OPS` forces it)."""

import os

import pytest
import torch

# Without a GPU the Triton kernels run in Triton's interpreter; this must be set before they load.
if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")

import cogdl.ops.backends as backends  # noqa: E402

AVAILABLE = [name for name in backends.BACKENDS if backends.load(name) is not None]


@pytest.fixture(params=AVAILABLE)
def backend(request, monkeypatch):
    monkeypatch.setenv("COGDL_OPS", request.param)
    return request.param
