"""The SSE parser fixture: every parser test runs against the compiled type and its twin."""

from __future__ import annotations

import importlib
import types
import typing

import pytest

import _cstream
from tests.client._backends import BACKENDS
from tests.wire._fixtures import raw_server

__all__ = ["raw_server"]  # the shared fixture, made visible to pytest here


@pytest.fixture(params=["c", "python"], scope="session")
def sse(request: pytest.FixtureRequest) -> types.ModuleType:
    """The module holding `SSEDecoder` and `ServerSentEvent`: compiled or pure.

    A compiled module that was not built skips the test, unless FASTSTREAM_REQUIRE_EXTENSIONS=1.
    """
    if request.param == "python":
        return importlib.import_module("_cstream._pure._sse")
    try:
        return importlib.import_module("_cstream._sse")
    except ImportError as exc:
        if _cstream.REQUIRE_EXTENSIONS:
            raise
        pytest.skip(f"the compiled module _sse was not built on this machine ({exc})")


@pytest.fixture(params=["sync", *BACKENDS])
def mode(request: pytest.FixtureRequest) -> str:
    """How a scenario reads the stream: "sync" (`Client`), or `AsyncClient` on "asyncio",
    "uvloop" or "trio"."""
    return typing.cast(str, request.param)
