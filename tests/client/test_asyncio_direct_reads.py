"""The asyncio backend's consumer-side reads, on asyncio's own socket transport.

While a large body arrives as one bytes object per read, the consumer that finds nothing
queued reads the socket itself instead of waiting for an event-loop iteration, for at most
`DIRECT_SLICE` seconds between two turns of the loop. Seen from the user: every byte in order
whichever side read it; the end of the body, a connection closed early and a reset reported
exactly as when the loop reads them; other tasks keep running while a fast body is read by a
busy consumer. uvloop has no such reads (its transport keeps the buffer protocol): the same
checks run there as a reference.
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
import time

import pytest

import faststream
from faststream._transports import _asyncio_connection
from tests.client._backends import run_on
from tests.servers.app import AppServer, pattern
from tests.wire._raw_server import Close, RawServer, Recv, Reset, Send, Sleep, response

pytestmark = pytest.mark.timeout(60)

_NO_UVLOOP = pytest.mark.skipif(
    "sys.platform == 'win32'", reason="uvloop does not exist on Windows"
)
LOOPS = ["asyncio", pytest.param("uvloop", marks=_NO_UVLOOP)]
LARGE = 8 * 1024 * 1024 + 4321
TAIL = 300 * 1024  # sent at once: it fits in the client's receive buffer below
RCVBUF = [(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)]


class ReadLog:
    """`_read_fd` wrapped: what each consumer-side read returned (a size, 0 at EOF) or raised."""

    def __init__(self) -> None:
        self.results: list[int | str] = []

    def __call__(self, fd: int, size: int) -> bytes:
        try:
            data = _READ_FD(fd, size)
        except OSError as exc:
            self.results.append(type(exc).__name__)
            raise
        self.results.append(len(data))
        return data

    @property
    def data_reads(self) -> int:
        return sum(1 for r in self.results if isinstance(r, int) and r > 0)


_READ_FD = _asyncio_connection._read_fd


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> ReadLog:
    log = ReadLog()
    monkeypatch.setattr(_asyncio_connection, "_read_fd", log)
    return log


@pytest.fixture
def long_slice(monkeypatch: pytest.MonkeyPatch) -> None:
    # The consumer may read the socket itself however long the loop has not run, so that a
    # consumer that stalls the loop finds the end, the reset or the rest of the body itself.
    monkeypatch.setattr(_asyncio_connection, "DIRECT_SLICE", 60.0)


@pytest.mark.parametrize("loop", LOOPS)
def test_fast_body_in_order_then_reuse(loop: str, app_server: AppServer, reads: ReadLog) -> None:
    expected = hashlib.sha256(pattern(LARGE)).hexdigest()

    async def main() -> None:
        async with faststream.AsyncClient() as client:
            for _ in range(2):
                digest = hashlib.sha256()
                total = 0
                async with client.stream("GET", app_server.url + f"/bytes/{LARGE}") as response:
                    async for chunk in response.aiter_raw():
                        assert type(chunk) is bytes
                        digest.update(chunk)
                        total += len(chunk)
                assert (total, digest.hexdigest()) == (LARGE, expected)
                small = await client.get(app_server.url + "/bytes/100")
                assert small.content == pattern(100)

    run_on(loop, main)
    assert app_server.connections_accepted == 1
    if loop == "asyncio":
        assert reads.data_reads > 0  # the consumer read some of it itself
    else:
        assert reads.results == []


@pytest.mark.parametrize("loop", LOOPS)
def test_other_tasks_run_while_a_busy_consumer_reads_a_fast_body(
    loop: str, app_server: AppServer
) -> None:
    # Each piece takes the consumer 3 ms of work without awaiting (longer than the slice), and
    # the server keeps ahead of it, so bytes are always waiting: still, the loop gets a turn
    # before every read, and a task that only yields runs between the pieces (a read through
    # the loop may bring more than one piece).
    async def main() -> tuple[int, int]:
        ticks = 0
        stop = False

        async def ticker() -> None:
            nonlocal ticks
            while not stop:
                ticks += 1
                await asyncio.sleep(0)

        pieces = 0
        task = asyncio.get_running_loop().create_task(ticker())
        try:
            async with faststream.AsyncClient() as client:
                url = app_server.url + f"/bytes/{LARGE}"
                async with client.stream("GET", url) as response:
                    ticks = 0
                    async for _chunk in response.aiter_raw():
                        pieces += 1
                        time.sleep(0.003)
        finally:
            stop = True
            await task
        return pieces, ticks

    pieces, ticks = run_on(loop, main)
    assert pieces >= LARGE // (512 * 1024)
    assert ticks >= pieces // 4


@pytest.mark.usefixtures("long_slice")
def test_rest_of_the_body_then_end_of_file_read_by_the_consumer(reads: ReadLog) -> None:
    # Close-delimited: the tail and the server's FIN wait in the kernel while the consumer
    # stalls the loop; the consumer reads the tail and the end itself, and the body ends
    # cleanly with every byte.
    head = response(body=b"", content_length=False)
    body = pattern(64 * 1024 + TAIL)
    script = (Recv(), Send(head + body), Close())
    with RawServer([script]) as server:

        async def main() -> bytes:
            transport = faststream.AsyncHTTPTransport(socket_options=RCVBUF)
            out = bytearray()
            async with faststream.AsyncClient(transport=transport) as client:
                async with client.stream("GET", server.url + "/") as resp:
                    async for chunk in resp.aiter_raw():
                        if not out:
                            # The loop stalls until the rest and the FIN were sent.
                            assert server.wait_done(0, 10.0)
                        out += chunk
            return bytes(out)

        assert run_on("asyncio", main) == body
    assert reads.data_reads > 0
    assert 0 in reads.results


@pytest.mark.usefixtures("long_slice")
def test_body_cut_short_seen_by_the_consumer_is_a_protocol_error(reads: ReadLog) -> None:
    body = pattern(64 * 1024 + TAIL)
    script = (Recv(), Send(response(body=body + b"never sent")[: -len(b"never sent")]), Close())
    with RawServer([script]) as server:

        async def main() -> int:
            transport = faststream.AsyncHTTPTransport(socket_options=RCVBUF)
            got = 0
            async with faststream.AsyncClient(transport=transport) as client:
                async with client.stream("GET", server.url + "/") as resp:
                    with pytest.raises(faststream.RemoteProtocolError):
                        async for chunk in resp.aiter_raw():
                            if not got:
                                assert server.wait_done(0, 10.0)  # the loop stalls
                            got += len(chunk)
            return got

        assert run_on("asyncio", main) == len(body)
    assert 0 in reads.results


@pytest.mark.usefixtures("long_slice")
def test_reset_seen_by_the_consumer_is_a_read_error(reads: ReadLog) -> None:
    # The bytes before the reset are delivered, then `ReadError`, as when the transport sees
    # the reset; the connection is not pooled and the client makes a new one.
    body = pattern(64 * 1024 + TAIL)
    head = response(body=b"", content_length=False)
    script = (Recv(), Send(head + body), Sleep(0.2), Reset())
    ok = (Recv(), Send(response(body=b"fresh")))
    with RawServer([script, ok]) as server:

        async def main() -> tuple[int, bytes]:
            transport = faststream.AsyncHTTPTransport(socket_options=RCVBUF)
            got = 0
            async with faststream.AsyncClient(transport=transport) as client:
                async with client.stream("GET", server.url + "/") as resp:
                    with pytest.raises(faststream.ReadError):
                        async for chunk in resp.aiter_raw():
                            if not got:
                                # The loop stalls until the reset was sent.
                                assert server.wait_done(0, 10.0)
                            got += len(chunk)
                second = await client.get(server.url + "/")
            return got, second.content

        got, second = run_on("asyncio", main)
        assert server.accepted == 2
    assert got <= len(body)
    assert second == b"fresh"
    assert "ConnectionResetError" in reads.results
