"""Chunked bodies with big chunks: the data of a chunk of at least `BIG_CHUNK` bytes is
received into pieces of its own (sync sockets; trio), bounded by what the chunk still has, and
the framing between chunks is read on its own; small chunks are cut out of the connection's
reads as before. Whatever the chunk sizes, size-line spellings, extensions or trailers, every
client kind (sync, asyncio, uvloop, trio) delivers the same bytes through `iter_raw`,
`iter_bytes(chunk_size)` and `readinto`, and raises the same errors for broken framing."""

from __future__ import annotations

import ssl
import typing

import pytest

import faststream
from faststream._transports import _connection, _trio_connection
from tests.client._backends import BACKENDS, run_on
from tests.servers.app import AppServer, Exchange, pattern

BIG = _connection.BIG_CHUNK
MAX_CALLS = 100_000  # every read loop is bounded

# (chunk size, how its size line is spelled): big and small chunks mixed, sizes whose hex has
# 4, 5 and 6 digits, an upper-case size, leading zeros and an extension.
MIXED = [
    (BIG, b"%x"),
    (BIG + 1, b"%x"),
    (3, b"%x"),
    (200_000, b"%X"),
    (BIG, b"%010x"),
    (1_100_000, b"%x"),
    (BIG * 2, b"%x"),
    (1, b"%x"),
    (BIG * 3 + 17, b"%x"),
]
MIXED_SIZE = sum(size for size, _ in MIXED)


@pytest.fixture(params=["sync", *BACKENDS])
def mode(request: pytest.FixtureRequest) -> str:
    """ "sync" (`Client`), or `AsyncClient` on "asyncio", "uvloop" or "trio"."""
    return typing.cast(str, request.param)


def chunks_route(
    spec: list[tuple[int, bytes]], extension: bytes = b"", end: bytes = b"0\r\n\r\n"
) -> typing.Callable[[Exchange], None]:
    """A chunked response of `pattern(total)` cut as `spec` says, then `end`."""

    def route(ex: Exchange) -> None:
        data = pattern(sum(size for size, _ in spec))
        ex.send_head(200, [("Transfer-Encoding", "chunked")])
        at = 0
        for size, spelling in spec:
            ex.write(spelling % size + extension + b"\r\n" + data[at : at + size] + b"\r\n")
            at += size
        ex.write(end)

    return route


class Read(typing.NamedTuple):
    raw: bytes  # iter_raw, joined
    rechunked: list[int]  # the sizes iter_bytes(chunk_size=7000) gave on a second request
    into: bytes  # readinto/areadinto with a 50,000-byte buffer, on a third request
    connections: int  # connections the server accepted for the three


def read_three_ways(mode: str, url: str, **client_kwargs: typing.Any) -> Read:
    if mode == "sync":
        with faststream.Client(**client_kwargs) as client:
            with client.stream("GET", url) as response:
                raw = b"".join(response.iter_raw())
            with client.stream("GET", url) as response:
                sizes = [len(piece) for piece in response.iter_bytes(chunk_size=7000)]
            with client.stream("GET", url) as response:
                buffer, into = bytearray(50_000), bytearray()
                for _ in range(MAX_CALLS):
                    count = response.readinto(buffer)
                    if not count:
                        break
                    into += buffer[:count]
        return Read(raw, sizes, bytes(into), 0)

    async def main() -> Read:
        async with faststream.AsyncClient(**client_kwargs) as client:
            async with client.stream("GET", url) as response:
                raw = b"".join([piece async for piece in response.aiter_raw()])
            async with client.stream("GET", url) as response:
                sizes = [len(piece) async for piece in response.aiter_bytes(chunk_size=7000)]
            async with client.stream("GET", url) as response:
                buffer, into = bytearray(50_000), bytearray()
                for _ in range(MAX_CALLS):
                    count = await response.areadinto(buffer)
                    if not count:
                        break
                    into += buffer[:count]
        return Read(raw, sizes, bytes(into), 0)

    return run_on(mode, main)


def rechunked(total: int, size: int) -> list[int]:
    return [size] * (total // size) + ([total % size] if total % size else [])


@pytest.fixture
def framing_reads(mode: str, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The framing size learned at each big chunk's end, once the next chunk's data was due
    (sync and trio backends); 0 when the body ended there."""
    seen: list[int] = []
    original = _connection.after_framing

    def spy(
        body: typing.Any, data: bytes | bytearray, spent: int
    ) -> tuple[list[bytes] | None, int]:
        got = original(body, data, spent)
        if body.reader.remaining or body.reader.done:  # not a read of a part of the framing
            seen.append(got[1])
        return got

    module = _connection if mode == "sync" else _trio_connection
    monkeypatch.setattr(module, "after_framing", spy)
    return seen


def test_mixed_big_and_small_chunks(
    mode: str, app_server: AppServer, framing_reads: list[int]
) -> None:
    app_server.add_route("/mixed", chunks_route(MIXED))
    got = read_three_ways(mode, app_server.url + "/mixed")
    assert got.raw == pattern(MIXED_SIZE)
    assert got.rechunked == rechunked(MIXED_SIZE, 7000)
    assert got.into == pattern(MIXED_SIZE)
    assert app_server.connections_accepted == 1  # read to the end each time: pooled, reused
    if mode in ("sync", "trio"):
        # Big chunks were received on their own: the framing after each was read alone.
        assert framing_reads


def test_big_chunks_over_tls(
    mode: str,
    tls_server: AppServer,
    tls_client_context: ssl.SSLContext,
    framing_reads: list[int],
) -> None:
    tls_server.add_route("/mixed", chunks_route(MIXED))
    got = read_three_ways(mode, tls_server.url + "/mixed", verify=tls_client_context)
    assert got.raw == got.into == pattern(MIXED_SIZE)
    assert got.rechunked == rechunked(MIXED_SIZE, 7000)
    assert tls_server.connections_accepted == 1
    if mode in ("sync", "trio"):
        assert framing_reads  # the TLS layer's reads take the big-chunk path as well


def test_one_chunk_larger_than_any_read(mode: str, app_server: AppServer) -> None:
    size = 3_000_000
    app_server.add_route("/huge", chunks_route([(size, b"%x")]))
    got = read_three_ways(mode, app_server.url + "/huge")
    assert got.raw == got.into == pattern(size)
    assert got.rechunked == rechunked(size, 7000)


@pytest.mark.parametrize(("spelling", "framing"), [(b"%x", 9), (b"%010x", 14)])
def test_big_chunks_in_pieces_of_their_own(
    mode: str, app_server: AppServer, framing_reads: list[int], spelling: bytes, framing: int
) -> None:
    """(sync, trio) No iter_raw piece spans two big chunks: each is received on its own,
    and the framing between them is read in one read of its own size (CRLF, the size line),
    learned from the one before. asyncio and uvloop cut chunks out of their reads, the data
    of all the chunks of one read joined in one piece, so their pieces may span chunks."""
    spec = [(BIG * 2, spelling)] * 6
    app_server.add_route("/even", chunks_route(spec))
    url = app_server.url + "/even"
    if mode == "sync":
        with faststream.Client() as client, client.stream("GET", url) as response:
            sizes = [len(piece) for piece in response.iter_raw()]
    else:

        async def main() -> list[int]:
            async with faststream.AsyncClient() as client, client.stream("GET", url) as r:
                return [len(piece) async for piece in r.aiter_raw()]

        sizes = run_on(mode, main)
    ends, total = set(), 0
    for size in sizes:
        total += size
        ends.add(total)
    assert total == BIG * 12
    if mode in ("sync", "trio"):
        assert {BIG * 2 * k for k in range(1, 7)} <= ends  # every chunk ends a piece
        # After each of the first five chunks, the next chunk's framing (the first time
        # perhaps in several reads: it is learned); after the sixth, the end.
        assert framing_reads[1:] == [framing] * 4 + [0]


def test_extension_and_trailers_keep_the_connection_out_of_the_pool(
    mode: str, app_server: AppServer
) -> None:
    spec = [(BIG + 5, b"%x"), (BIG * 2, b"%x")]
    app_server.add_route("/ext", chunks_route(spec, extension=b";name=value"))
    app_server.add_route("/trailers", chunks_route(spec, end=b"0\r\nX-Sum: 1\r\n\r\n"))
    for path in ("/ext", "/trailers"):
        got = read_three_ways(mode, app_server.url + path)
        assert got.raw == got.into == pattern(BIG * 3 + 5)
    assert app_server.connections_accepted == 6  # never reused


@pytest.mark.parametrize(
    ("tail", "message"),
    [
        (b"", "incomplete chunked read"),  # the peer closes inside a big chunk's data
        (b"\r\n", "incomplete chunked read"),  # ... or after its CRLF
        (b"X" * 100, "followed by CRLF"),  # no CRLF after the data
        (b"\r\nzz\r\n", "chunk"),  # a bad size after a big chunk
        (b"\r\n" + b"1" * 30 + b"\r\n", "chunk"),  # a size of more than 20 digits
    ],
    ids=["cut-in-data", "cut-after-crlf", "no-crlf", "bad-size", "long-size"],
)
def test_broken_framing_after_big_chunks(
    mode: str, app_server: AppServer, tail: bytes, message: str
) -> None:
    full = pattern(BIG * 2)

    def broken(ex: Exchange) -> None:
        ex.keep_alive = False
        ex.send_head(200, [("Transfer-Encoding", "chunked")])
        ex.write(b"%x\r\n" % len(full) + full + b"\r\n")
        ex.write(b"%x\r\n" % len(full) + (full[:1000] if not tail else full))
        ex.write(tail)

    app_server.add_route("/broken", broken)
    url = app_server.url + "/broken"
    if mode == "sync":
        with faststream.Client() as client, client.stream("GET", url) as response:
            got = bytearray()
            with pytest.raises(faststream.RemoteProtocolError, match=message):
                for piece in response.iter_raw():
                    got += piece
    else:

        async def main() -> bytearray:
            async with faststream.AsyncClient() as client, client.stream("GET", url) as r:
                got = bytearray()
                with pytest.raises(faststream.RemoteProtocolError, match=message):
                    async for piece in r.aiter_raw():
                        got += piece
                return got

        got = run_on(mode, main)
    # Every byte of data before the fault was delivered.
    assert bytes(got) == (full + full[:1000] if not tail else full + full)


@pytest.mark.parametrize("backend", ["sync", "trio"])
def test_readinto_receives_big_chunks_into_the_callers_buffer(
    backend: str, app_server: AppServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The backends that receive into a caller's buffer (sync sockets; trio on plain TCP)
    do so for a big chunk's data: most of the body arrives there, none through pieces."""
    cls: typing.Any = (
        _connection.Connection if backend == "sync" else _trio_connection.TrioConnection
    )
    original = cls.receive_into
    direct: list[int] = []

    def seen(target: memoryview, got: int | list[bytes], buffer: bytearray) -> None:
        if isinstance(got, int):
            assert target.obj is buffer
            direct.append(got)

    size = BIG * 8
    app_server.add_route("/big", chunks_route([(BIG * 2, b"%x")] * 4))
    url = app_server.url + "/big"
    buffer = bytearray(100_000)
    out = bytearray()
    if backend == "sync":

        def spy(self: typing.Any, target: memoryview, timeout: float | None) -> typing.Any:
            got = original(self, target, timeout)
            seen(target, got, buffer)
            return got

        monkeypatch.setattr(cls, "receive_into", spy)
        with faststream.Client() as client, client.stream("GET", url) as response:
            for _ in range(MAX_CALLS):
                count = response.readinto(buffer)
                if not count:
                    break
                out += buffer[:count]
    else:

        async def aspy(self: typing.Any, target: memoryview, timeout: float | None) -> typing.Any:
            got = await original(self, target, timeout)
            seen(target, got, buffer)
            return got

        monkeypatch.setattr(cls, "receive_into", aspy)

        async def main() -> None:
            async with faststream.AsyncClient() as client, client.stream("GET", url) as r:
                for _ in range(MAX_CALLS):
                    count = await r.areadinto(buffer)
                    if not count:
                        break
                    out.extend(buffer[:count])

        run_on("trio", main)
    assert out == pattern(size)
    # The first read (with the head) and a framing read's stray bytes come as pieces.
    assert sum(direct) >= size - 2 * 65_536
