"""Every op test runs once per backend that can run here (`COGDL_OPS` forces it)."""

import pytest
from available import AVAILABLE


@pytest.fixture(params=AVAILABLE)
def backend(request, monkeypatch):
    monkeypatch.setenv("COGDL_OPS", request.param)
    return request.param
