"""Waiting on a plain socket: read and write timeouts that change between the requests of one
keep-alive connection, a zero timeout, a receive timeout the caller set as a socket option, and
bytes that reach an idle pooled connection.

On Linux the sync client waits in the kernel (a blocking socket with `SO_RCVTIMEO` and
`SO_SNDTIMEO` set to the phase's timeout); what the caller sees must be what it sees with
`poll`, and what httpx shows. Every timeout is provoked so that it holds whatever the machine's
load: the server waits far longer than the client's limit (cut short at teardown), and no
assertion is about a duration.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator
from types import ModuleType

import pytest

import faststream
from tests.servers.app import AppServer

pytestmark = pytest.mark.timeout(60)

SERVER_WAIT = 30.0  # the slow routes' stall; the server's stop cuts it short


def test_timeouts_changed_between_requests_on_one_connection(
    httpx: ModuleType, app_server: AppServer
) -> None:
    with httpx.Client(base_url=app_server.url, timeout=httpx.Timeout(10.0, read=0.2)) as client:
        assert client.get("/echo").json()["connection"] == 1
        # A longer read timeout on the same connection: the 0.2 s of the request before must
        # not cut this 1 s wait short.
        response = client.get("/slow-headers?delay=1", timeout=httpx.Timeout(10.0, read=30.0))
        assert response.text == "finally"
        assert client.get("/echo").json()["connection"] == 1
        # And a shorter one again: the 30 s must not let a 20 s stall through.
        with pytest.raises(httpx.ReadTimeout):
            client.get("/slow-headers?delay=20", timeout=httpx.Timeout(10.0, read=0.3))
        # No timeout at all on a new connection: waits for the slow server.
        response = client.get("/slow-headers?delay=0.5", timeout=None)
        assert response.text == "finally"
        assert client.get("/echo", timeout=1.0).json()["connection"] == 2


def test_timeouts_a_hair_below_a_whole_second(httpx: ModuleType, app_server: AppServer) -> None:
    # Their fraction rounds up to a whole second of microseconds.
    hair = httpx.Timeout(10.0, read=0.9999999999, write=1.9999999999)
    with httpx.Client(base_url=app_server.url, timeout=hair) as client:
        assert client.post("/echo", content=b"x").json()["body"] == "x"
        assert client.get("/drip?n=3&delay=0.05", timeout=httpx.Timeout(2.9999999999)).text == (
            "xxx"
        )


def test_zero_read_timeout_does_not_wait(app_server: AppServer) -> None:
    # A zero timeout means "do not wait" (httpx reports the same case as a `ReadError`);
    # the kernel's zero receive timeout would wait forever.
    url = f"{app_server.url}/slow-headers?delay={SERVER_WAIT}"
    with faststream.Client(timeout=faststream.Timeout(10.0, read=0.0)) as client:
        with pytest.raises(faststream.ReadTimeout):
            client.get(url)
        # The next connection, with a timeout again, waits as usual.
        response = client.get(f"{app_server.url}/slow-headers?delay=0.5", timeout=30.0)
        assert response.text == "finally"


def test_a_receive_timeout_set_by_the_caller_does_not_shorten_the_read_timeout(
    httpx: ModuleType, app_server: AppServer
) -> None:
    short = struct.pack("@ll", 0, 50_000)  # 50 ms, as a `struct timeval`
    transport = httpx.HTTPTransport(
        socket_options=[
            (socket.SOL_SOCKET, socket.SO_RCVTIMEO, short),
            (socket.SOL_SOCKET, socket.SO_SNDTIMEO, short),
        ]
    )
    with httpx.Client(transport=transport, timeout=httpx.Timeout(30.0)) as client:
        assert client.get(f"{app_server.url}/slow-headers?delay=0.5").text == "finally"
        assert client.get(f"{app_server.url}/drip?n=3&delay=0.3").text == "xxx"


@pytest.fixture
def poisoning_server() -> Iterator[tuple[int, threading.Event, threading.Event, list[int]]]:
    """Connection 1 answers one request, then (once told) sends a response nobody asked for
    on the idle connection; every later connection answers one request with `fresh`."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(10)
    first_read = threading.Event()
    poisoned = threading.Event()
    accepted: list[int] = []

    def answer(conn: socket.socket, body: bytes) -> None:
        data = b""
        while b"\r\n\r\n" not in data:  # bounded: the client sends one small head
            piece = conn.recv(65536)
            if not piece:
                return
            data += piece
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))

    def serve() -> None:
        held = []
        try:
            for number in (1, 2):
                conn, _ = listener.accept()
                conn.settimeout(10)
                accepted.append(number)
                held.append(conn)
                if number == 1:
                    answer(conn, b"first")
                    if first_read.wait(10):
                        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\npoison")
                    poisoned.set()
                else:
                    answer(conn, b"fresh")
        except OSError:
            poisoned.set()
        finally:
            for conn in held:
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1], first_read, poisoned, accepted
    first_read.set()
    thread.join(15)
    listener.close()


def test_bytes_on_an_idle_pooled_connection_retire_it(
    httpx: ModuleType, poisoning_server: tuple[int, threading.Event, threading.Event, list[int]]
) -> None:
    port, first_read, poisoned, accepted = poisoning_server
    with httpx.Client(timeout=10.0) as client:
        assert client.get(f"http://127.0.0.1:{port}/").text == "first"
        first_read.set()
        assert poisoned.wait(10)
        # Loopback delivers before `sendall` returns: the idle connection is readable now,
        # so it is closed, and the request goes out on a new one.
        assert client.get(f"http://127.0.0.1:{port}/").text == "fresh"
    assert accepted == [1, 2]
