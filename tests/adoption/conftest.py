"""Fixtures of the adoption tests (faststream inside code written for httpx and its SDKs).

* `kind`: "httpx" (httpx's own default transport, the oracle) or "faststream"
  (`faststream.HTTPXTransport` / `AsyncHTTPXTransport`); a differential scenario runs with
  both and asserts the same observable results.
* `app_server`: tests/servers/app.py's server, fresh per test; `proxy_server`: a forward proxy;
  `tls_files` (session): a trustme CA and a certificate for 127.0.0.1 and localhost.
* No proxy or CA environment variables (autouse `clean_environment`), so the machine's
  environment cannot route test traffic elsewhere.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests._helpers import clean_environment
from tests.servers.app import AppServer
from tests.servers.proxy import ProxyServer
from tests.servers.tls import TLSFiles

__all__ = ["clean_environment"]  # the shared fixture, made visible to pytest here

KINDS = ["httpx", "faststream"]


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def app_server() -> Iterator[AppServer]:
    with AppServer() as server:
        yield server


@pytest.fixture
def proxy_server() -> Iterator[ProxyServer]:
    with ProxyServer() as proxy:
        yield proxy


@pytest.fixture
def closed_port() -> int:
    """A loopback port with nothing listening."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port: int = sock.getsockname()[1]
    sock.close()
    return port


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    return TLSFiles.create(Path(tmp_path_factory.mktemp("tls")))
