"""Fixtures for the mock tests: the scenarios of respx's and pytest-httpx's documentation, run
with `import faststream as httpx` and with httpx itself (the oracle: both must behave alike).

* `lib`: the library under test (tests/client/_helpers.py `Lib`), "faststream" or "httpx"; its
  `Client` is the client kind of the current `client_mode`.
* `client_mode`: "sync" (`Client`), then `AsyncClient` on "asyncio", "uvloop" and "trio"
  (driven through the sync API, tests/client/_async_adapter.py).
* `app_server`: a loopback server (tests/servers/app.py) counting the connections it accepts:
  what a pass-through reaches, and what an intercepted request must never reach.
* `no_connect`: any `socket.connect` in this process fails the test loudly.
"""

from __future__ import annotations

import socket
import typing
from collections.abc import Iterator

import pytest

from tests._helpers import LIBRARIES, clean_environment
from tests.client._async_adapter import MODES, Mode
from tests.client._helpers import Lib
from tests.servers.app import AppServer

__all__ = ["clean_environment"]  # the shared fixture, made visible to pytest here


@pytest.fixture(params=LIBRARIES)
def lib(request: pytest.FixtureRequest) -> Lib:
    return Lib(request.param)


@pytest.fixture(params=MODES)
def client_mode(request: pytest.FixtureRequest) -> Iterator[str]:
    with Mode.running(request.param):
        yield request.param


@pytest.fixture
def app_server() -> Iterator[AppServer]:
    with AppServer() as server:
        yield server


class NetworkUsed(AssertionError):
    """A socket was asked to connect while every request should have been intercepted."""


@pytest.fixture
def no_connect(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Fail loudly on any `socket.socket.connect`/`connect_ex` (the sync and the asyncio
    backends connect through them); the addresses tried are recorded as well."""
    tried: list[object] = []

    def refuse(sock: socket.socket, address: typing.Any) -> typing.NoReturn:
        tried.append(address)
        raise NetworkUsed(f"a mocked test opened a connection to {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return tried
