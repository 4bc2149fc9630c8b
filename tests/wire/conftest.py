"""Fixtures for the wire tests: the raw scripted server and the library under test."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from types import ModuleType

import pytest

from tests._helpers import LIBRARIES
from tests.client._async_adapter import Mode, SyncFacade

from ._raw_server import RawServer, Script, StartServer

KINDS = ["sync", "async"]


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


def _async_lib(module: ModuleType) -> ModuleType:
    """`module` with `Client` replaced by its `AsyncClient`, driven through the sync API the
    runner uses (tests/client/_async_adapter.py: every call runs on the test's event loop)."""
    proxy = ModuleType(f"{module.__name__}_async")
    proxy.__dict__.update(module.__dict__)
    proxy.__name__ = f"{module.__name__}_async"
    async_client = module.AsyncClient
    proxy.Client = lambda **options: SyncFacade.create(async_client, **options)  # type: ignore[attr-defined]
    return proxy


@pytest.fixture(params=[(name, kind) for name in LIBRARIES for kind in KINDS], ids="-".join)
def lib(request: pytest.FixtureRequest) -> Iterator[ModuleType]:
    """The library under test: `faststream` or `httpx` (same names: Client, Timeout, ...), with
    its `Client` ("sync") or its `AsyncClient` behind the same API ("async")."""
    name, kind = request.param
    module = importlib.import_module(name)
    if kind == "sync":
        yield module
        return
    with Mode.running("async"):
        yield _async_lib(module)
