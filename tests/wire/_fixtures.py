"""The `raw_server` fixture, shared by the directories whose tests script a server byte by byte
(each conftest imports it, so the name means the same fixture everywhere)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.wire._raw_server import RawServer, Script, StartServer

__all__ = ["raw_server"]


@pytest.fixture
def raw_server() -> Iterator[StartServer]:
    """`raw_server(script1, script2, ...)` starts a server whose connection N plays script N and
    returns it (`.url`, `.requests`, `.received`, `.accepted`, `.connections`). Every server
    started is stopped, and its threads joined, at teardown, where a failure on the server's
    side fails the test."""
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
