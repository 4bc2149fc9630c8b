"""asyncio's own socket transport, a large Content-Length body: waits gather bytes.

While such a body arrives through `_Copies` on Linux, a wait asks the kernel to wake the loop
only once a full read's worth of bytes is there (SO_RCVLOWAT). Seen from the user: bytes
short of that amount still reach the consumer while the server waits for it to see them,
the socket's setting is back once the body is read (the default, or the user's own, which
is left alone), and the connection then serves the next response on it.
"""

from __future__ import annotations

import socket
import sys
import threading

import pytest

import faststream
from tests.client._backends import run_on
from tests.servers.app import pattern

pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.skipif(
        sys.platform != "linux", reason="SO_RCVLOWAT wake-ups are used on Linux only"
    ),
]

FIRST = 2 * 1024 * 1024  # fills the first reads: the body then goes through `_Copies`
WAIT = 10.0  # the longest the server waits for the client to have seen a part
NEXT = pattern(8192)  # the next response's body (more than the user's low-water mark below)


class _PartsServer:
    """One connection: a response whose body is sent in `parts`, each after the client has
    seen every byte before it (`seen(n)`, or `WAIT` seconds pass), after an optional pause;
    then `NEXT` as the response to a second request."""

    def __init__(self, parts: list[tuple[bytes, float]]) -> None:
        self.parts = parts
        self.body = b"".join(data for data, _ in parts)
        self._seen = 0
        self._cond = threading.Condition()
        self.late: list[int] = []  # the parts sent only after waiting `WAIT` seconds in vain
        self.errors: list[BaseException] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(WAIT)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}/"
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def seen(self, n: int) -> None:
        with self._cond:
            self._seen = n
            self._cond.notify_all()

    def _wait_seen(self, n: int) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._seen >= n, WAIT)

    def __enter__(self) -> _PartsServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seen(len(self.body))
        self._thread.join(2 * WAIT * len(self.parts))
        self._listener.close()

    def _read_request(self, conn: socket.socket) -> bool:
        data = b""
        for _ in range(64):  # a GET head is one or a few reads
            if b"\r\n\r\n" in data:
                return True
            part = conn.recv(65536)
            if not part:
                return False
            data += part
        raise ValueError("request head too long")

    def _serve(self) -> None:
        try:
            conn, _ = self._listener.accept()
            with conn:
                conn.settimeout(WAIT)
                self._read_request(conn)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(self.body))
                sent = 0
                for index, (data, pause) in enumerate(self.parts):
                    if not self._wait_seen(sent):
                        self.late.append(index)
                    if pause:
                        threading.Event().wait(pause)  # the client is waiting by then
                    conn.sendall(data)
                    sent += len(data)
                if self._read_request(conn):
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(NEXT))
                    conn.sendall(NEXT)
                    self._read_request(conn)  # until the client closes (or the timeout)
        except (OSError, ValueError) as exc:
            self.errors.append(exc)


async def _fetch(server: _PartsServer, own: int | None) -> tuple[bytes, int, bytes]:
    """The body (telling the server what it has seen), the socket's SO_RCVLOWAT after it,
    and the next response's body on the same connection."""
    options = None if own is None else [(socket.SOL_SOCKET, socket.SO_RCVLOWAT, own)]
    transport = faststream.AsyncHTTPTransport(socket_options=options)
    out = bytearray()
    async with faststream.AsyncClient(transport=transport, timeout=2 * WAIT) as client:
        async with client.stream("GET", server.url) as resp:
            sock = resp.extensions["network_stream"].get_extra_info("socket")
            async for chunk in resp.aiter_raw():
                out += chunk
                server.seen(len(out))
        lowat = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVLOWAT)
        second = await client.get(server.url)
    return bytes(out), lowat, second.content


def test_bytes_short_of_a_read_reach_the_consumer_while_the_server_waits() -> None:
    # The consumer waits for the rest when 1000 bytes arrive, far below what the kernel
    # waits for: the server sends nothing more until the client has them.
    body = pattern(FIRST + 1000 + 1024 * 1024)
    parts = [(body[:FIRST], 0.0), (body[FIRST : FIRST + 1000], 0.1), (body[FIRST + 1000 :], 0.0)]
    with _PartsServer(parts) as server:
        got, lowat, second = run_on("asyncio", _fetch, server, None)
    assert got == body
    assert server.late == []  # no part held back until the server gave up waiting
    assert lowat == 1
    assert second == NEXT
    assert server.errors == []


@pytest.mark.parametrize("own", [None, 4096])
def test_socket_low_water_mark_restored_after_a_large_body(own: int | None) -> None:
    # The last 300 KiB arrive while the consumer waits for them: the wait gathers them all
    # (the rest of the body, less than a read) before waking. Afterwards the socket has its
    # own setting again, and the connection serves the next response.
    body = pattern(FIRST + 300 * 1024)
    parts = [(body[:FIRST], 0.0), (body[FIRST:], 0.0)]
    with _PartsServer(parts) as server:
        got, lowat, second = run_on("asyncio", _fetch, server, own)
    assert got == body
    assert lowat == (1 if own is None else own)
    assert second == NEXT
    assert server.errors == []
