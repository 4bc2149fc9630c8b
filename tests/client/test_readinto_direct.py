"""`readinto`/`areadinto` straight into the caller's buffer: with no content coding and no cap,
an HTTP/1.1 Content-Length or close-delimited body is received by the socket into the buffer
the caller passed (sync sockets; trio on plain TCP), and everything else is copied from the
pieces as before. Same bytes, same end, same errors, caps and deadlines on every client kind
(sync, asyncio, uvloop, trio)."""

from __future__ import annotations

import ssl
import time
import typing

import pytest

import faststream
from faststream._transports import _connection
from tests.client._backends import BACKENDS, run_on
from tests.servers.app import AppServer, Exchange, pattern

SIZE = 300_000
MAX_CALLS = 100_000  # every read loop is bounded


@pytest.fixture(params=["sync", *BACKENDS])
def mode(request: pytest.FixtureRequest) -> str:
    """ "sync" (`Client`), or `AsyncClient` on "asyncio", "uvloop" or "trio"."""
    return typing.cast(str, request.param)


class Outcome(typing.NamedTuple):
    body: bytes
    counts: list[int]  # what each call returned, the final 0s included
    in_use: int  # connections in use once the body was read
    connections: int  # connections the server accepted for two such requests


def read_twice(
    mode: str,
    server: AppServer,
    path: str,
    buffer_size: int,
    **client_kwargs: typing.Any,
) -> Outcome:
    """Read `path` with readinto into one reused buffer of `buffer_size` bytes (calling once
    more after the end), then request it again on the same client."""
    url = server.url + path

    if mode == "sync":
        with faststream.Client(**client_kwargs) as client:
            with client.stream("GET", url) as response:
                buffer = bytearray(buffer_size)
                out = bytearray()
                counts: list[int] = []
                for _ in range(MAX_CALLS):
                    count = response.readinto(buffer)
                    counts.append(count)
                    if not count:
                        break
                    out += buffer[:count]
                counts.append(response.readinto(buffer))
                in_use = client._transport._pool.connections_in_use  # type: ignore[attr-defined]
            client.get(url)
        return Outcome(bytes(out), counts, in_use, server.connections_accepted)

    async def main() -> Outcome:
        async with faststream.AsyncClient(**client_kwargs) as client:
            async with client.stream("GET", url) as response:
                buffer = bytearray(buffer_size)
                out = bytearray()
                counts: list[int] = []
                for _ in range(MAX_CALLS):
                    count = await response.areadinto(buffer)
                    counts.append(count)
                    if not count:
                        break
                    out += buffer[:count]
                counts.append(await response.areadinto(buffer))
                in_use = client._transport._pool.connections_in_use  # type: ignore[attr-defined]
            await client.get(url)
        return Outcome(bytes(out), counts, in_use, server.connections_accepted)

    return run_on(mode, main)


def read_one(mode: str, url: str, buffer_size: int, **client_kwargs: typing.Any) -> bytes:
    """Read `url` with readinto to its end (what it raises, raised)."""
    if mode == "sync":
        with faststream.Client(**client_kwargs) as client, client.stream("GET", url) as r:
            buffer = bytearray(buffer_size)
            out = bytearray()
            for _ in range(MAX_CALLS):
                count = r.readinto(buffer)
                if not count:
                    return bytes(out)
                out += buffer[:count]
        raise AssertionError("no end")

    async def main() -> bytes:
        async with faststream.AsyncClient(**client_kwargs) as client:
            async with client.stream("GET", url) as r:
                buffer = bytearray(buffer_size)
                out = bytearray()
                for _ in range(MAX_CALLS):
                    count = await r.areadinto(buffer)
                    if not count:
                        return bytes(out)
                    out += buffer[:count]
        raise AssertionError("no end")

    return run_on(mode, main)


@pytest.mark.parametrize("buffer_size", [1000, 65_537, 1 << 20])
def test_content_length_body(mode: str, app_server: AppServer, buffer_size: int) -> None:
    outcome = read_twice(mode, app_server, f"/bytes/{SIZE}", buffer_size)
    assert outcome.body == pattern(SIZE)
    assert all(0 < c <= buffer_size for c in outcome.counts[:-2])
    assert outcome.counts[-2:] == [0, 0]  # the end, and still the end
    assert outcome.in_use == 0
    assert outcome.connections == 1  # given back to the pool and reused


def test_empty_body(mode: str, app_server: AppServer) -> None:
    outcome = read_twice(mode, app_server, "/bytes/0", 100)
    assert outcome == Outcome(b"", [0, 0], 0, 1)


def test_chunked_body_is_copied_from_the_pieces(mode: str, app_server: AppServer) -> None:
    outcome = read_twice(mode, app_server, f"/chunked/{SIZE}", 10_000)
    assert outcome.body == pattern(SIZE)
    assert outcome.counts[-2:] == [0, 0]
    assert outcome.in_use == 0


def test_close_delimited_body(mode: str, app_server: AppServer) -> None:
    assert read_one(mode, app_server.url + f"/eof-body?n={SIZE}", 4096) == pattern(SIZE)


def test_body_shorter_than_its_content_length_raises(mode: str, app_server: AppServer) -> None:
    def short(ex: Exchange) -> None:
        ex.keep_alive = False
        ex.send_head(200, [("Content-Length", "200000")])
        ex.write(pattern(120_000))

    app_server.add_route("/short", short)
    with pytest.raises(faststream.RemoteProtocolError, match="received 120000 bytes"):
        read_one(mode, app_server.url + "/short", 50_000)


def test_max_response_bytes_still_applies(mode: str, app_server: AppServer) -> None:
    with pytest.raises(faststream.ResponseTooLarge):
        read_one(mode, app_server.url + f"/bytes/{SIZE}", 8192, max_response_bytes=100_000)


def test_total_deadline_still_applies(mode: str, app_server: AppServer) -> None:
    start = time.monotonic()
    with pytest.raises(faststream.ReadTimeout, match="total deadline"):
        read_one(
            mode,
            app_server.url + "/slow-body?n=200000&delay=5",
            8192,
            timeout=faststream.Timeout(5.0, total=0.5),
        )
    assert time.monotonic() - start < 4.0


def test_gzip_body_is_decoded(mode: str, app_server: AppServer) -> None:
    plain = read_one(mode, app_server.url + "/gzip/20000", 4096)
    with faststream.Client() as client:
        assert plain == client.get(app_server.url + "/gzip/20000").content


@pytest.fixture
def direct(mode: str, monkeypatch: pytest.MonkeyPatch) -> list[tuple[object, int]]:
    """Each read the backend received straight into a buffer: (the object whose buffer it
    was, the count), recorded at the backend's `receive_into`."""
    cls: typing.Any
    if mode == "sync":
        cls = _connection.Connection
    elif mode == "trio":
        from faststream._transports import _trio_connection

        cls = _trio_connection.TrioConnection
    else:
        from faststream._transports import _asyncio_connection

        cls = _asyncio_connection.AsyncioConnection
    seen: list[tuple[object, int]] = []
    original = cls.receive_into

    def record(target: memoryview, got: int | list[bytes]) -> None:
        if isinstance(got, int):
            seen.append((target.obj, got))

    if mode == "sync":

        def spy(self: typing.Any, target: memoryview, timeout: float | None) -> typing.Any:
            got = original(self, target, timeout)
            record(target, got)
            return got

    else:

        async def spy(self: typing.Any, target: memoryview, timeout: float | None) -> typing.Any:  # type: ignore[misc]
            got = await original(self, target, timeout)
            record(target, got)
            return got

    monkeypatch.setattr(cls, "receive_into", spy)
    return seen


def test_the_socket_receives_into_the_callers_buffer(
    mode: str, app_server: AppServer, direct: list[tuple[object, int]]
) -> None:
    """The buffer the caller passed is the one the backend receives into, for every byte
    that did not come in the same read as the head."""
    seen = direct
    size = 2_000_000
    buffer = bytearray(1 << 20)
    url = app_server.url + f"/bytes/{size}"

    if mode == "sync":
        with faststream.Client() as client, client.stream("GET", url) as response:
            got = 0
            for _ in range(MAX_CALLS):
                count = response.readinto(buffer)
                if not count:
                    break
                got += count
    else:

        async def main() -> int:
            async with faststream.AsyncClient() as client, client.stream("GET", url) as r:
                got = 0
                for _ in range(MAX_CALLS):
                    count = await r.areadinto(buffer)
                    if not count:
                        break
                    got += count
                return got

        got = run_on(mode, main)
    assert got == size
    assert all(obj is buffer for obj, _ in seen)
    received = sum(count for _, count in seen)
    if mode == "sync" or mode == "trio":
        assert received >= size - 65_536  # at most the head's read came another way
    else:
        # The event loop may read before the consumer is back: those bytes are queued as
        # pieces and copied; most go straight into the buffer all the same.
        assert received >= size // 2


def test_tls_body(
    mode: str,
    tls_server: AppServer,
    tls_client_context: ssl.SSLContext,
    direct: list[tuple[object, int]],
) -> None:
    """Over TLS: the sync socket and asyncio's protocol receive into the buffer as well, trio
    copies from its pieces; the same bytes either way."""
    outcome = read_twice(mode, tls_server, f"/bytes/{SIZE}", 65_536, verify=tls_client_context)
    assert outcome.body == pattern(SIZE)
    assert outcome.counts[-2:] == [0, 0]
    assert outcome.in_use == 0
    assert outcome.connections == 1
    received = sum(count for _, count in direct)
    if mode == "trio":
        assert received == 0
    else:
        assert received >= SIZE // 2  # (the second request's body is read whole, not here)
