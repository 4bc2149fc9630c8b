"""The SSE parser fixture: every parser test runs against the compiled type and its twin."""

from __future__ import annotations

import importlib
import types
import typing
from collections.abc import Iterator

import pytest

import _cstream
from tests.client._backends import BACKENDS
from tests.wire._raw_server import RawServer, Script, StartServer


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


@pytest.fixture
def raw_server() -> Iterator[StartServer]:
    """`raw_server(script1, ...)`: a scripted loopback server (tests/wire/_raw_server.py),
    stopped and checked for server-side failures at teardown."""
    servers: list[RawServer] = []

    def start(*scripts: Script) -> RawServer:
        server = RawServer(list(scripts)).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
    errors = [e for s in servers for e in s.errors]
    assert not errors, f"raw server failed: {errors}"


@pytest.fixture(params=["sync", *BACKENDS])
def mode(request: pytest.FixtureRequest) -> str:
    """How a scenario reads the stream: "sync" (`Client`), or `AsyncClient` on "asyncio",
    "uvloop" or "trio"."""
    return typing.cast(str, request.param)
