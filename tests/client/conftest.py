"""Fixtures for client tests: real loopback servers and the module under test.

* `httpx`: the module under test, parametrized `"faststream"` / `"httpx"` (real httpx 0.28.1,
  the oracle; tests/_helpers.py). Tests written as `httpx.Client(...)` run unchanged against
  both.
* `lib`: the library under test as a `Lib` (tests/client/_helpers.py), parametrized the same
  way: the module, whose `Client` is the client kind of the current `client_mode`.
* `client_mode`: the client kind a scenario runs with: "sync" (`Client`), then "asyncio",
  "uvloop" and "trio" (`AsyncClient` driven through the sync API by
  tests/client/_async_adapter.py, on an event loop of that kind owned by the test). The
  scenario modules use it for every test
  (`pytestmark = pytest.mark.usefixtures("client_mode")`), so a scenario runs eight ways:
  {faststream, httpx} x {Client, AsyncClient on asyncio, uvloop, trio}.
* `backend`: the event loop of a test written as async code ("asyncio", "uvloop", "trio"),
  run with `run_on(backend, main)` (tests/client/_backends.py).
* `app_server`: an `AppServer` (tests/servers/app.py) on http://127.0.0.1:port, fresh per test
  (so `connections_accepted` and `requests` count that test only).
* `tls_files` (session): a trustme CA + server certificate for localhost/127.0.0.1
  (`.ca_file`, `.client_context()`, `.server_context`); `tls_server`: the app over https;
  `ca_file`: path of the CA PEM; `tls_client_context`: an `ssl.SSLContext` trusting that CA.
* `proxy_server`: a forward proxy (http absolute-form + CONNECT), no auth;
  `auth_proxy_server`: the same requiring `PROXY_USER`/`PROXY_PASSWORD` (407 otherwise).
* `closed_port`: a loopback port with nothing listening.

Every test here runs with the proxy and CA environment variables removed (autouse), so the
machine's environment cannot route test traffic elsewhere.
"""

from __future__ import annotations

import socket
import ssl
import typing
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests._helpers import LIBRARIES, clean_environment, httpx
from tests.client._async_adapter import MODES, Mode
from tests.client._backends import BACKENDS
from tests.client._helpers import PROXY_PASSWORD, PROXY_USER, Lib
from tests.servers.app import AppServer
from tests.servers.proxy import ProxyServer
from tests.servers.tls import TLSFiles

__all__ = ["clean_environment", "httpx"]  # the shared fixtures, made visible to pytest here


@pytest.fixture(params=LIBRARIES)
def lib(request: pytest.FixtureRequest) -> Lib:
    return Lib(request.param)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The event loop an async test runs on: "asyncio", "uvloop" or "trio" (`run_on`)."""
    return typing.cast(str, request.param)


@pytest.fixture(params=MODES)
def client_mode(request: pytest.FixtureRequest) -> Iterator[str]:
    """Every scenario runs with `Client` and with `AsyncClient` (see the module docstring)."""
    with Mode.running(request.param):
        yield request.param


@pytest.fixture
def app_server() -> Iterator[AppServer]:
    with AppServer() as server:
        yield server


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    return TLSFiles.create(Path(tmp_path_factory.mktemp("tls")))


@pytest.fixture
def tls_server(tls_files: TLSFiles) -> Iterator[AppServer]:
    with tls_files.server() as server:
        yield server


@pytest.fixture
def ca_file(tls_files: TLSFiles) -> str:
    return tls_files.ca_file


@pytest.fixture
def tls_client_context(tls_files: TLSFiles) -> ssl.SSLContext:
    return tls_files.client_context()


@pytest.fixture
def proxy_server() -> Iterator[ProxyServer]:
    with ProxyServer() as proxy:
        yield proxy


@pytest.fixture
def auth_proxy_server() -> Iterator[ProxyServer]:
    with ProxyServer(auth=(PROXY_USER, PROXY_PASSWORD)) as proxy:
        yield proxy


@pytest.fixture
def closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port: int = sock.getsockname()[1]
    sock.close()
    return port
