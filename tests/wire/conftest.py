"""Fixtures for the wire tests: the raw scripted server and the library under test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests._helpers import LIBRARIES
from tests.client._async_adapter import MODE_NAMES, Mode, mode_param
from tests.client._helpers import Lib

from ._raw_server import RawServer, Script, StartServer


@pytest.fixture
def raw_server() -> Iterator[StartServer]:
    """`raw_server(script1, script2, ...)` starts a server whose connection N plays script N and
    returns it (`.url`, `.requests`, `.received`, `.accepted`, `.connections`). Every server
    started is stopped, and its threads joined, at teardown."""
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


@pytest.fixture(
    params=[
        mode_param(mode, (name, mode), id=f"{name}-{mode}")
        for name in LIBRARIES
        for mode in MODE_NAMES
    ]
)
def lib(request: pytest.FixtureRequest) -> Iterator[Lib]:
    """The library under test: `faststream` or `httpx` (same names: Client, Timeout, ...) as a
    `Lib` (tests/client/_helpers.py): its `Client` ("sync"), or its `AsyncClient` on asyncio,
    uvloop or trio behind the same API (tests/client/_async_adapter.py)."""
    name, mode = request.param
    with Mode.running(mode):
        yield Lib(name)
