"""Every op test runs once per backend that can run here (`COGDL_OPS` forces it)."""

import pytest

import cogdl.ops.backends as backends

AVAILABLE = [name for name in ("reference", "cpu") if backends.load(name) is not None]


@pytest.fixture(params=AVAILABLE)
def backend(request, monkeypatch):
    monkeypatch.setenv("COGDL_OPS", request.param)
    return request.param
