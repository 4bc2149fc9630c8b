"""Fixtures of the adoption tests (faststream inside code written for httpx and its SDKs).

* `kind`: "httpx" (httpx's own default transport, the oracle) or "faststream"
  (`faststream.HTTPXTransport` / `AsyncHTTPXTransport`); a differential scenario runs with
  both and asserts the same observable results.
* `hx`: the library the client comes from, httpx 0.28 or httpx2 (same transport API): the
  oracle is that library's own transport, faststream's is `HTTPXTransport` or
  `HTTPX2Transport` (and the async twins).
* `app_server`: tests/servers/app.py's server, fresh per test; `proxy_server`: a forward proxy;
  `tls_files` (session): a trustme CA and a certificate for 127.0.0.1 and localhost.
* No proxy or CA environment variables (autouse `clean_environment`), so the machine's
  environment cannot route test traffic elsewhere.
"""

from __future__ import annotations

import importlib
import socket
import threading
import types
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


@pytest.fixture(params=["httpx", "httpx2"])
def hx(request: pytest.FixtureRequest) -> types.ModuleType:
    return importlib.import_module(request.param)


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


class StreamingUploadServer:
    """One connection on 127.0.0.1: it reads a chunked request, sets `first_seen` once the
    first chunk (`FIRST`) has arrived, answers 200 with the body length once the request has
    ended. A client that buffered the whole body before sending would never see `first_seen`
    set while its body generator waits for it. Bounded: 10 s of socket time."""

    FIRST = b"first piece"

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(10.0)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}/"
        self.first_seen = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        try:
            conn, _ = self._listener.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(10.0)
            data = b""
            try:
                while not data.endswith(b"\r\n0\r\n\r\n"):
                    received = conn.recv(65536)
                    if not received:
                        return
                    data += received
                    if self.FIRST in data:
                        self.first_seen.set()
                body = data.split(b"\r\n\r\n", 1)[1]
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%d"
                    % (len(str(len(body))), len(body))
                )
            except OSError:
                return

    def close(self) -> None:
        self._listener.close()
        self._thread.join(15)


@pytest.fixture
def upload_server() -> Iterator[StreamingUploadServer]:
    server = StreamingUploadServer()
    yield server
    server.close()
