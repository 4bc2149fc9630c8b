"""One HTTP/2 connection (`_async_http2.AsyncHTTP2Connection` and its generated sync twin
`_http2.HTTP2Connection`) against a scripted h2c server on 127.0.0.1: bodies larger than a
window both ways, many streams at once on the one connection, a stream closed mid-body
(RST_STREAM, the connection goes on), a read timeout on one stream. Async scenarios run on
asyncio and trio; the sync ones from several threads.
"""

from __future__ import annotations

import concurrent.futures
import typing

import anyio
import h2  # noqa: F401  # the http2 extra, installed wherever these tests run: missing is an error
import pytest

import faststream
from faststream._transports import _backends
from faststream._transports._async_http2 import AsyncHTTP2Connection
from faststream._transports._http2 import HTTP2Connection
from faststream._transports._settings import Dial, TransportSettings
from tests.client._backends import BACKENDS, run_on
from tests.servers.h2_raw import H2Server, pattern

CANCEL = 0x8
BIG = 3 * 1024 * 1024 + 7  # three stream windows and a bit
TIMEOUT = 10.0


def settings() -> TransportSettings:
    return TransportSettings(True, None, False, True, False, None, None, None, 0, None)


def dial(server: H2Server) -> Dial:
    return Dial(("http", "127.0.0.1", server.port), "127.0.0.1", server.port, 5.0, None, None)


@pytest.fixture
def server() -> typing.Iterator[H2Server]:
    with H2Server() as running:
        yield running


# -- async ----------------------------------------------------------------------------------


async def open_async(server: H2Server) -> AsyncHTTP2Connection:
    backend = _backends.current_async_backend()
    network = await backend.connect(dial(server), settings())
    connection = AsyncHTTP2Connection(network, backend)
    await connection.start(TIMEOUT)
    return connection


async def fetch_async(
    connection: AsyncHTTP2Connection, path: bytes, body: bytes | None = None
) -> tuple[int, bytes]:
    method = b"POST" if body is not None else b"GET"
    stream = await connection.request(
        method, b"http", b"127.0.0.1", path, [], body, TIMEOUT, TIMEOUT
    )
    try:
        received = bytearray()
        for _ in range(100_000):
            pieces = await connection.read_pieces(stream, TIMEOUT)
            if not pieces:
                break
            for piece in pieces:
                received += piece
        return stream.status_code, bytes(received)
    finally:
        connection.close_stream(stream)


@pytest.mark.parametrize("backend", BACKENDS)
def test_async_bodies_larger_than_a_window(backend: str, server: H2Server) -> None:
    async def main() -> None:
        connection = await open_async(server)
        try:
            assert await fetch_async(connection, b"/bytes/%d" % BIG) == (200, pattern(BIG))
            upload = pattern(200_000)  # above the server's default 65535-byte window
            assert await fetch_async(connection, b"/echo", upload) == (200, upload)
            assert await fetch_async(connection, b"/nowhere") == (404, b"")
        finally:
            connection.close()

    run_on(backend, main)
    assert server.connections_accepted == 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_async_many_streams_share_one_connection(backend: str, server: H2Server) -> None:
    sizes = [1000 * i + 1 for i in range(20)] + [BIG]
    results: dict[int, tuple[int, bytes]] = {}

    async def main() -> None:
        connection = await open_async(server)

        async def one(size: int) -> None:
            results[size] = await fetch_async(connection, b"/bytes/%d" % size)

        try:
            with anyio.fail_after(30):
                async with anyio.create_task_group() as group:
                    for size in sizes:
                        group.start_soon(one, size)
        finally:
            connection.close()

    run_on(backend, main)
    assert results == {size: (200, pattern(size)) for size in sizes}
    assert server.connections_accepted == 1
    assert server.peak_streams > 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_async_stream_closed_mid_body_is_reset_and_connection_survives(
    backend: str, server: H2Server
) -> None:
    async def main() -> None:
        connection = await open_async(server)
        try:
            stream = await connection.request(
                b"GET", b"http", b"127.0.0.1", b"/bytes/%d" % BIG, [], None, TIMEOUT, TIMEOUT
            )
            assert await connection.read_pieces(stream, TIMEOUT)
            connection.close_stream(stream)
            assert connection.active == 0
            assert await fetch_async(connection, b"/bytes/10") == (200, pattern(10))
        finally:
            connection.close()

    run_on(backend, main)
    assert CANCEL in server.resets
    assert server.connections_accepted == 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_async_cancelled_reader_frees_its_stream(backend: str, server: H2Server) -> None:
    async def main() -> None:
        connection = await open_async(server)
        try:
            with anyio.move_on_after(1.0) as scope:
                await fetch_async(connection, b"/hold")
            assert scope.cancelled_caught
            assert connection.active == 0
            assert await fetch_async(connection, b"/bytes/5") == (200, pattern(5))
        finally:
            connection.close()

    run_on(backend, main)
    assert CANCEL in server.resets


@pytest.mark.parametrize("backend", BACKENDS)
def test_async_read_timeout_fails_that_stream_only(backend: str, server: H2Server) -> None:
    async def main() -> None:
        connection = await open_async(server)
        try:
            stream = await connection.request(
                b"GET", b"http", b"127.0.0.1", b"/hold", [], None, TIMEOUT, TIMEOUT
            )
            assert await connection.read_pieces(stream, TIMEOUT) == [b"h"]
            with pytest.raises(faststream.ReadTimeout):
                await connection.read_pieces(stream, 0.2)
            connection.close_stream(stream)
            assert await fetch_async(connection, b"/bytes/5") == (200, pattern(5))
        finally:
            connection.close()

    run_on(backend, main)


class CountingNetwork:
    """A backend connection that records every write it is given."""

    def __init__(self, network: typing.Any) -> None:
        self.network = network
        self.writes: list[bytes] = []

    async def send_raw(self, data: bytes, timeout: float | None) -> None:
        self.writes.append(data)
        await self.network.send_raw(data, timeout)

    def __getattr__(self, name: str) -> typing.Any:
        return getattr(self.network, name)


@pytest.mark.parametrize("backend", BACKENDS)
def test_async_requests_started_together_go_out_in_one_write(
    backend: str, server: H2Server
) -> None:
    """32 requests begun in the same turn of the loop send their HEADERS in a write or two,
    not one write each: the server reads them, and answers them, as one batch."""
    results: list[tuple[int, bytes]] = []
    counting: list[CountingNetwork] = []

    async def main() -> None:
        connection = await open_async(server)
        network = CountingNetwork(connection.network)
        connection.network = network
        counting.append(network)

        async def one() -> None:
            results.append(await fetch_async(connection, b"/bytes/100"))

        try:
            with anyio.fail_after(30):
                async with anyio.create_task_group() as group:
                    for _ in range(32):
                        group.start_soon(one)
        finally:
            connection.close()

    run_on(backend, main)
    assert results == [(200, pattern(100))] * 32
    assert server.peak_streams > 16
    assert len(counting[0].writes) <= 4, [len(write) for write in counting[0].writes]


# -- sync -----------------------------------------------------------------------------------


def open_sync(server: H2Server) -> HTTP2Connection:
    backend = _backends.SYNC_BACKEND
    connection = HTTP2Connection(backend.connect(dial(server), settings()), backend)
    connection.start(TIMEOUT)
    return connection


def fetch_sync(
    connection: HTTP2Connection, path: bytes, body: bytes | None = None
) -> tuple[int, bytes]:
    method = b"POST" if body is not None else b"GET"
    stream = connection.request(method, b"http", b"127.0.0.1", path, [], body, TIMEOUT, TIMEOUT)
    try:
        received = bytearray()
        for _ in range(100_000):
            pieces = connection.read_pieces(stream, TIMEOUT)
            if not pieces:
                break
            for piece in pieces:
                received += piece
        return stream.status_code, bytes(received)
    finally:
        connection.close_stream(stream)


def test_sync_bodies_larger_than_a_window(server: H2Server) -> None:
    connection = open_sync(server)
    try:
        assert fetch_sync(connection, b"/bytes/%d" % BIG) == (200, pattern(BIG))
        upload = pattern(200_000)
        assert fetch_sync(connection, b"/echo", upload) == (200, upload)
    finally:
        connection.close()
    assert server.connections_accepted == 1


def test_sync_threads_share_one_connection(server: H2Server) -> None:
    sizes = [1000 * i + 1 for i in range(20)] + [BIG]
    connection = open_sync(server)
    try:
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            futures = {
                size: pool.submit(fetch_sync, connection, b"/bytes/%d" % size) for size in sizes
            }
            results = {size: future.result(timeout=30) for size, future in futures.items()}
    finally:
        connection.close()
    assert results == {size: (200, pattern(size)) for size in sizes}
    assert server.connections_accepted == 1
    assert server.peak_streams > 1


def test_sync_stream_closed_mid_body_is_reset(server: H2Server) -> None:
    connection = open_sync(server)
    try:
        stream = connection.request(
            b"GET", b"http", b"127.0.0.1", b"/bytes/%d" % BIG, [], None, TIMEOUT, TIMEOUT
        )
        assert connection.read_pieces(stream, TIMEOUT)
        connection.close_stream(stream)
        assert fetch_sync(connection, b"/bytes/10") == (200, pattern(10))
        stream = connection.request(b"GET", b"http", b"127.0.0.1", b"/hold", [], None, 5, 5)
        assert connection.read_pieces(stream, TIMEOUT) == [b"h"]
        with pytest.raises(faststream.ReadTimeout):
            connection.read_pieces(stream, 0.2)
        connection.close_stream(stream)
        assert fetch_sync(connection, b"/bytes/3") == (200, pattern(3))
    finally:
        connection.close()
    assert CANCEL in server.resets
