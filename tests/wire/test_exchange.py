"""The HTTP/1.1 exchange without a socket (`faststream._transports._http11_exchange`).

What a transport sends for a request, how a response head and body are read from bytes split
anywhere, and what they decide for the connection: the rules every network backend (plain
sockets, asyncio, trio) relies on. Runs with the compiled core and with the pure twins.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import faststream
from faststream._streams import ByteStream, SyncByteStream
from faststream._transports import _http11_exchange as exchange

GET = (b"GET", b"/", [(b"Host", b"example.org")])


class Chunks(SyncByteStream):
    def __init__(self, *chunks: bytes) -> None:
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks


def read_head(wire: bytes, method: bytes = b"GET", split: int | None = None) -> exchange.Head:
    """Feed `wire` to a parser in two reads (cut at `split`); the head it gives."""
    parser = exchange.HeadParser(method)
    cut = len(wire) if split is None else split
    head = None
    for data in (wire[:cut], wire[cut:]):
        if data and head is None:
            head = parser.received(data)
    assert head is not None
    return head


def response_of(wire: bytes, cuts: list[int]) -> tuple[exchange.Head, list[bytes]]:
    """Read a response that arrives as `wire` cut at `cuts`: its head and the body pieces a
    backend hands on (the peer closes after the last read)."""
    bounds = [0, *cuts, len(wire)]
    reads = [wire[a:b] for a, b in zip(bounds, bounds[1:], strict=False) if b > a]
    reads.append(b"")
    parser = exchange.HeadParser(b"GET")
    head = None
    while head is None:
        head = parser.received(reads.pop(0))
    return head, drain(head.start(False), reads)


def drain(body: exchange.Body, reads: list[bytes]) -> list[bytes]:
    """What a backend hands on: `pending()` first, then each read through `received`."""
    out: list[bytes] = []
    pieces = body.pending()
    feeds = iter(reads)
    while True:
        while pieces is None:
            pieces = body.received(next(feeds))
        if not pieces:
            return out
        out += pieces
        pieces = body.pending()


# -- the request ----------------------------------------------------------------------------


def test_small_in_memory_request_is_one_write() -> None:
    method, target, headers = GET
    headers = [*headers, (b"Content-Length", b"5")]
    writes, streaming = exchange.request_writes(method, target, headers, ByteStream(b"hello"))
    assert streaming is None
    assert writes == [b"GET / HTTP/1.1\r\nHost: example.org\r\nContent-Length: 5\r\n\r\nhello"]


def test_large_in_memory_body_goes_after_the_head() -> None:
    data = b"x" * (exchange.SMALL_BODY + 1)
    headers = [(b"Host", b"a"), (b"Content-Length", str(len(data)).encode())]
    writes, streaming = exchange.request_writes(b"POST", b"/", headers, ByteStream(data))
    assert streaming is None
    assert len(writes) == 2 and writes[1] == data
    assert writes[0].endswith(b"\r\n\r\n")


def test_no_body_is_the_head_alone() -> None:
    writes, streaming = exchange.request_writes(*GET, None)
    assert (writes, streaming) == ([b"GET / HTTP/1.1\r\nHost: example.org\r\n\r\n"], None)


def test_streamed_body_is_chunked_without_a_length() -> None:
    headers = [(b"Host", b"a"), (b"Transfer-Encoding", b"chunked")]
    stream = Chunks(b"ab", b"", b"cde")
    writes, streaming = exchange.request_writes(b"POST", b"/", headers, stream)
    assert streaming is not None and streaming.chunked
    wire = b"".join(exchange.encode_piece(streaming, piece) for piece in stream.chunks)
    assert wire + exchange.encode_end(streaming) == b"2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n"


def test_streamed_body_must_match_its_content_length() -> None:
    headers = [(b"Host", b"a"), (b"Content-Length", b"3")]
    _, streaming = exchange.request_writes(b"PUT", b"/", headers, Chunks(b"abcd"))
    assert streaming is not None
    with pytest.raises(faststream.LocalProtocolError, match="Too much data"):
        exchange.encode_piece(streaming, b"abcd")
    assert exchange.encode_piece(streaming, b"ab") == b"ab"
    with pytest.raises(faststream.LocalProtocolError, match="Too little data"):
        exchange.encode_end(streaming)


def test_a_bad_header_is_refused_before_anything_is_written() -> None:
    with pytest.raises(faststream.LocalProtocolError):
        exchange.request_writes(b"GET", b"/", [(b"Host", b"a"), (b"Bad Name", b"v")], None)


@pytest.mark.parametrize(
    "value, expected",
    [(b"close", True), (b"Keep-Alive, CLOSE", True), (b"closed", False), (b"keep-alive", False)],
)
def test_a_request_asks_to_close_with_the_close_token(value: bytes, expected: bool) -> None:
    assert exchange.asks_close([(b"Host", b"a"), (b"Connection", value)]) is expected


@pytest.mark.parametrize(
    "method, stream, expected",
    [
        (b"GET", ByteStream(b""), True),
        (b"PUT", ByteStream(b"x"), True),
        (b"POST", ByteStream(b"x"), False),  # not idempotent
        (b"GET", Chunks(b"x"), False),  # a stream cannot be sent twice
    ],
)
def test_only_idempotent_in_memory_requests_are_replayable(
    method: bytes, stream: object, expected: bool
) -> None:
    assert exchange.replayable(method, stream) is expected


# -- the response head ------------------------------------------------------------------------

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello"


@pytest.mark.parametrize("split", range(1, len(RESPONSE)))
def test_a_response_split_anywhere_reads_the_same(split: int) -> None:
    for cuts in ([split], [split, min(split + 7, len(RESPONSE) - 1)]):
        head, pieces = response_of(RESPONSE, cuts)
        assert (head.status_code, head.http_version, head.reason_phrase) == (
            200,
            b"HTTP/1.1",
            b"OK",
        )
        assert head.headers["x-a"] == "1"
        assert b"".join(pieces) == b"hello"


def test_informational_responses_are_skipped_up_to_a_limit() -> None:
    continues = b"HTTP/1.1 100 Continue\r\n\r\n" * exchange.MAX_INFORMATIONAL
    assert read_head(continues + RESPONSE).status_code == 200
    with pytest.raises(faststream.RemoteProtocolError, match="informational"):
        read_head(continues + b"HTTP/1.1 103 Early Hints\r\n\r\n" + RESPONSE)


def test_closed_before_any_byte_is_server_disconnected() -> None:
    parser = exchange.HeadParser(b"GET")
    with pytest.raises(exchange.ServerDisconnected):
        parser.received(b"")


def test_closed_inside_a_head_is_a_protocol_error() -> None:
    parser = exchange.HeadParser(b"GET")
    assert parser.received(b"HTTP/1.1 200 OK\r\nContent-") is None
    with pytest.raises(faststream.RemoteProtocolError) as info:
        parser.received(b"")
    assert not isinstance(info.value, exchange.ServerDisconnected)


def test_too_many_header_fields_are_refused() -> None:
    fields = b"".join(b"X-%d: v\r\n" % i for i in range(exchange.MAX_HEADERS + 1))
    with pytest.raises(faststream.RemoteProtocolError, match="Too many response headers"):
        read_head(b"HTTP/1.1 200 OK\r\n" + fields + b"\r\n")


@pytest.mark.parametrize(
    "method, wire, keep_alive, body",
    [
        (b"GET", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", True, [b"ok"]),
        (b"HEAD", b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", True, []),
        (b"GET", b"HTTP/1.1 204 No Content\r\n\r\n", True, []),
        (b"GET", b"HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", True, []),
        (b"CONNECT", b"HTTP/1.1 200 Connection established\r\n\r\n", True, []),
        (
            b"GET",
            b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
            False,
            [b"ok"],
        ),
        (b"GET", b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", False, [b"ok"]),
        # until the peer closes: never pooled
        (b"GET", b"HTTP/1.1 200 OK\r\n\r\nok", False, [b"ok"]),
        # Transfer-Encoding with Content-Length: chunked framing, never pooled
        (
            b"GET",
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"2\r\nok\r\n0\r\n\r\n",
            False,
            [b"ok"],
        ),
    ],
)
def test_the_head_picks_the_framing_and_keep_alive(
    method: bytes, wire: bytes, keep_alive: bool, body: list[bytes]
) -> None:
    head = read_head(wire, method)
    assert head.keep_alive is keep_alive
    response = head.start(False)
    assert drain(response, [b""]) == body
    assert response.done
    assert response.reusable() is keep_alive


# -- the response body and the connection's fate --------------------------------------------


def body_of(wire: bytes, close_requested: bool = False) -> exchange.Body:
    return read_head(wire).start(close_requested)


def test_a_complete_body_keeps_the_connection() -> None:
    body = body_of(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n")
    assert drain(body, [b"ab", b"cd"]) == [b"ab", b"cd"]
    assert body.reusable()


def test_a_request_that_asked_to_close_does_not_keep_it() -> None:
    body = body_of(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", close_requested=True)
    assert drain(body, []) == [b"ok"]
    assert not body.reusable()


def test_bytes_after_a_bodyless_response_make_it_unfit_to_pool() -> None:
    body = body_of(b"HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\n\r\nforged")
    assert drain(body, []) == []
    assert body.done and not body.reusable()


def test_bytes_after_the_end_of_a_body_make_it_unfit_to_pool() -> None:
    body = body_of(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA")
    assert drain(body, []) == [b"ok"]
    assert not body.reusable()


@pytest.mark.parametrize(
    "chunks",
    [b"2;ext=1\r\nok\r\n0\r\n\r\n", b"2\r\nok\r\n0\r\nX-Trailer: t\r\n\r\n"],
    ids=["chunk-extension", "trailer"],
)
def test_chunk_extensions_and_trailers_make_it_unfit_to_pool(chunks: bytes) -> None:
    body = body_of(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    assert drain(body, [chunks]) == [b"ok"]
    assert body.done and not body.reusable()


def test_a_framing_error_after_good_pieces_is_held_back_until_they_are_handed_on() -> None:
    body = body_of(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    assert body.pending() is None
    assert body.received(b"2\r\nokXX") == [b"ok"]  # the chunk's CRLF is missing
    assert isinstance(body.error, faststream.RemoteProtocolError)
    with pytest.raises(faststream.RemoteProtocolError, match="chunk"):
        body.pending()
    assert not body.reusable()


def test_a_framing_error_with_no_pieces_before_it_raises_at_once() -> None:
    body = body_of(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    with pytest.raises(faststream.RemoteProtocolError):
        body.received(b"zz\r\n")


def test_a_body_cut_short_raises_at_eof() -> None:
    body = body_of(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n")
    assert body.received(b"12345") == [b"12345"]
    with pytest.raises(faststream.RemoteProtocolError, match="received 5 bytes, expected 10"):
        body.received(b"")


def test_a_close_delimited_body_ends_at_eof() -> None:
    body = body_of(b"HTTP/1.1 200 OK\r\n\r\n")
    assert drain(body, [b"abc", b""]) == [b"abc"]
    assert body.done and not body.reusable()


def test_reads_grow_while_they_come_back_full() -> None:
    body = body_of(b"HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n")
    sizes = []
    for _ in range(6):
        size = body.read_size
        sizes.append(size)
        assert body.received(b"x" * size) is not None
    assert sizes == [65536, 131072, 262144, 524288, 524288, 524288]
    assert body.received(b"x" * 10) is not None
    assert body.read_size == exchange.MAX_BUFFER
