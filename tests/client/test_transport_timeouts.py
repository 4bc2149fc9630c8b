"""Timeouts and connection failures through the Client, against real loopback sockets.

Each timeout is provoked so that it cannot be met whatever the machine's load: the server waits
far longer (tens of seconds, cut short at teardown) than the client's limit, and the assertions
are about the exception, never about durations.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from types import ModuleType

import pytest

from tests.client._helpers import Lib
from tests.servers.app import AppServer, Exchange, pattern
from tests.servers.tls import TLSFiles

pytestmark = pytest.mark.timeout(60)

SERVER_WAIT = 30.0  # how long the slow routes stall; the server's stop cuts it short


@pytest.fixture
def full_backlog_port() -> Iterator[int]:
    """A listening socket whose accept queue is full: new SYNs are dropped, connect() hangs."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port: int = listener.getsockname()[1]
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        try:
            filler.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fillers.append(filler)
    yield port
    for filler in fillers:
        filler.close()
    listener.close()


@pytest.fixture
def never_reading_port() -> Iterator[int]:
    """A listening socket that never accepts: connections complete, nothing is ever read."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port: int = listener.getsockname()[1]
    yield port
    listener.close()


def test_read_timeout_waiting_for_the_head(httpx: ModuleType, app_server: AppServer) -> None:
    url = f"{app_server.url}/slow-headers?delay={SERVER_WAIT}"
    with httpx.Client(timeout=httpx.Timeout(10.0, read=0.3)) as client:
        with pytest.raises(httpx.ReadTimeout) as info:
            client.get(url)
    assert str(info.value) == "timed out"
    assert info.value.request.url == url
    assert isinstance(info.value, httpx.TimeoutException)


def test_read_timeout_in_the_middle_of_the_body(httpx: ModuleType, app_server: AppServer) -> None:
    url = f"{app_server.url}/slow-body?n=2000&delay={SERVER_WAIT}"
    received = b""
    with httpx.Client(timeout=httpx.Timeout(10.0, read=0.3)) as client:
        with client.stream("GET", url) as response:
            assert response.status_code == 200
            assert response.headers["content-length"] == "2000"
            with pytest.raises(httpx.ReadTimeout) as info:
                for chunk in response.iter_bytes():
                    received += chunk
        assert response.is_closed
    # what arrived before the stall was delivered, and no more
    assert received == pattern(2000)[:1000]
    assert info.value.request.url == url


def test_read_timeout_mid_body_closes_the_connection(
    httpx: ModuleType, app_server: AppServer
) -> None:
    with httpx.Client(base_url=app_server.url, timeout=httpx.Timeout(10.0, read=0.3)) as client:
        with pytest.raises(httpx.ReadTimeout):
            client.get(f"/slow-body?delay={SERVER_WAIT}")
        assert client.get("/echo").json()["connection"] == 2


def test_per_request_timeout_overrides_the_client(httpx: ModuleType, app_server: AppServer) -> None:
    url = f"{app_server.url}/slow-headers?delay={SERVER_WAIT}"
    with httpx.Client(timeout=None) as client:
        with pytest.raises(httpx.ReadTimeout):
            client.get(url, timeout=0.3)


def test_no_timeout_waits_for_a_slow_server(httpx: ModuleType, app_server: AppServer) -> None:
    with httpx.Client(timeout=None) as client:
        assert client.get(f"{app_server.url}/slow-headers?delay=0.5").text == "finally"
        assert client.get(f"{app_server.url}/drip?n=5&delay=0.1").text == "xxxxx"


def test_read_timeout_is_per_read_not_per_response(
    httpx: ModuleType, app_server: AppServer
) -> None:
    # 10 pieces, 0.05 s apart, with a read timeout of 5 s: never a timeout, however long in total
    with httpx.Client(timeout=httpx.Timeout(10.0, read=5.0)) as client:
        assert client.get(f"{app_server.url}/drip?n=10&delay=0.05").text == "x" * 10


def test_connect_timeout(httpx: ModuleType, full_backlog_port: int) -> None:
    url = f"http://127.0.0.1:{full_backlog_port}/"
    with httpx.Client(timeout=httpx.Timeout(10.0, connect=0.3)) as client:
        with pytest.raises(httpx.ConnectTimeout) as info:
            client.get(url)
    assert info.value.request.url == url


def test_write_timeout(httpx: ModuleType, never_reading_port: int) -> None:
    url = f"http://127.0.0.1:{never_reading_port}/"
    body = b"x" * (64 * 1024 * 1024)
    with httpx.Client(timeout=httpx.Timeout(10.0, write=0.3)) as client:
        with pytest.raises(httpx.WriteTimeout) as info:
            client.post(url, content=body)
    assert info.value.request.url == url


@pytest.fixture
def never_reading_tls_port(tls_files: TLSFiles) -> Iterator[int]:
    """A TLS server that completes each handshake and then never reads."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():  # bounded by the test's lifetime
            try:
                sock, _ = listener.accept()
            except OSError:
                continue
            sock.settimeout(10)
            try:
                held.append(tls_files.server_context.wrap_socket(sock, server_side=True))
            except (OSError, ssl.SSLError):
                sock.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(5)
    for sock in held:
        sock.close()
    listener.close()


@pytest.mark.usefixtures("client_mode")
def test_write_timeout_over_tls(
    lib: Lib, never_reading_tls_port: int, tls_client_context: ssl.SSLContext
) -> None:
    # TLS transports accept a whole write at once and pass it on encrypted: the write timeout
    # must still apply to a large in-memory body the server never reads.
    url = f"https://127.0.0.1:{never_reading_tls_port}/"
    body = b"x" * (64 * 1024 * 1024)
    timeout = lib.Timeout(10.0, write=0.3)
    with lib.Client(verify=tls_client_context, timeout=timeout) as client:
        with pytest.raises(lib.WriteTimeout) as info:
            client.post(url, content=body)
    assert info.value.request.url == url


def test_connect_error_to_a_closed_port(httpx: ModuleType, closed_port: int) -> None:
    url = f"http://127.0.0.1:{closed_port}/path"
    with httpx.Client() as client:
        with pytest.raises(httpx.ConnectError) as info:
            client.get(url)
    assert "Connection refused" in str(info.value)
    assert info.value.request.url == url
    assert isinstance(info.value, httpx.TransportError)


def test_connect_error_from_the_top_level_api(httpx: ModuleType, closed_port: int) -> None:
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{closed_port}/")
    with pytest.raises(httpx.ConnectError):
        with httpx.stream("GET", f"http://127.0.0.1:{closed_port}/"):
            pass


def test_server_closing_mid_body_is_a_protocol_error(
    httpx: ModuleType, app_server: AppServer
) -> None:
    @app_server.route("/short")
    def short(ex: Exchange) -> None:
        ex.keep_alive = False
        ex.send_head(200, [("Content-Length", "5000")])
        ex.write(b"y" * 1000)

    with httpx.Client(base_url=app_server.url) as client:
        with pytest.raises(httpx.RemoteProtocolError) as info:
            client.get("/short")
        assert info.value.request.url == f"{app_server.url}/short"
        # the pool is still usable
        assert client.get("/echo").status_code == 200


def test_server_closing_before_the_head_is_a_protocol_error(
    httpx: ModuleType, app_server: AppServer
) -> None:
    @app_server.route("/hangup")
    def hangup(ex: Exchange) -> None:
        ex.keep_alive = False

    with httpx.Client(base_url=app_server.url) as client:
        with pytest.raises(httpx.RemoteProtocolError) as info:
            client.get("/hangup")
    assert str(info.value) == "Server disconnected without sending a response."
