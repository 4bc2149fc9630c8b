"""`Response` streaming (SPEC-httpx §3): the stream-state table, `iter_raw`/`iter_bytes`/
`iter_text`/`iter_lines` and their async forms over many chunkings and content codings, the
SPEC's examples, faststream's deliberate deviations (DESIGN.md), and decoding errors (which
carry the request and close the response, THREATS F11).

The helpers shared with the other `test_response*` modules are in tests/models/_response_helpers.py.
"""

from __future__ import annotations

import gzip
import re
import sys
from collections.abc import Callable, Iterator
from typing import Any

import brotli
import pytest

from faststream._exceptions import (
    DecodingError,
    ResponseNotRead,
    StreamClosed,
    StreamConsumed,
)
from faststream._response import Response
from faststream._streams import ByteStream, SyncByteStream

if sys.version_info >= (3, 14):
    pass
else:
    pass

from tests.models._response_helpers import (
    REQUEST,
    APieces,
    Pieces,
    alist,
    async_response,
    compress,
    encode,
    expected_chunks,
    header_for,
    lines_of,
    run,
    splits,
    sync_response,
)

# A body with multi-byte characters, every line ending, an empty line, U+2028, and a final
# line without terminator.
TEXT = (
    "first line\nsecond €uro line\r\nthird\r\rfifth \u2028 stays\n\nüñï©ødé "
    + "x" * 300
    + "\r\nlast"
) * 6
BODY = TEXT.encode("utf-8")

CHUNK_SIZES = [None, 1, 3, 7, 1024, 65536]
CODINGS = ["identity", "gzip", "deflate", "deflate-raw", "br", "zstd", "gzip, br", "br, zstd"]


# ---------------------------------------------------------------------------------------------
# the stream-state table (SPEC §3.1), every cell, sync and async

STATES = ["fresh", "partly-iterated", "fully-iterated", "partly-iterated-closed", "closed", "read"]


def in_state(state: str, asynchronous: bool) -> Response:
    pieces = [b"ab", b"cd"]
    if not asynchronous:
        r = sync_response(pieces)
        if state == "partly-iterated" or state == "partly-iterated-closed":
            it = r.iter_raw()
            assert next(it) == b"ab"
            if state.endswith("closed"):
                r.close()
        elif state == "fully-iterated":
            assert list(r.iter_raw()) == pieces
        elif state == "closed":
            r.close()
        elif state == "read":
            r.read()
        return r

    async def prepare() -> Response:
        r = async_response(pieces)
        if state == "partly-iterated" or state == "partly-iterated-closed":
            it = r.aiter_raw()
            assert await it.__anext__() == b"ab"
            if state.endswith("closed"):
                await r.aclose()
        elif state == "fully-iterated":
            assert await alist(r.aiter_raw()) == pieces
        elif state == "closed":
            await r.aclose()
        elif state == "read":
            await r.aread()
        return r

    response: Response = run(prepare())
    return response


CONSUMED = ["partly-iterated", "fully-iterated", "partly-iterated-closed"]


def row(fresh: Any, closed: Any, read: Any, consumed: Any = StreamConsumed) -> dict[str, Any]:
    return {"fresh": fresh, "closed": closed, "read": read, **dict.fromkeys(CONSUMED, consumed)}


# The outcome of each call in each state: a result, or an exception type.
TABLE: dict[str, dict[str, Any]] = {
    "iter_bytes": row([b"ab", b"cd"], StreamClosed, [b"abcd"]),
    "iter_text": row(["ab", "cd"], StreamClosed, ["abcd"]),
    "iter_lines": row(["abcd"], StreamClosed, ["abcd"]),
    "iter_raw": row([b"ab", b"cd"], StreamClosed, StreamConsumed),
    "read": row(b"abcd", StreamClosed, b"abcd"),
    "content": row(ResponseNotRead, ResponseNotRead, b"abcd", ResponseNotRead),
    "text": row(ResponseNotRead, ResponseNotRead, "abcd", ResponseNotRead),
    # b"abcd" is read, and is not JSON
    "json": row(ResponseNotRead, ResponseNotRead, ValueError, ResponseNotRead),
}


def call_sync(r: Response, call: str) -> Any:
    if call.startswith("iter_"):
        return list(getattr(r, call)())
    if call == "read":
        return r.read()
    if call == "json":
        return r.json()
    return getattr(r, call)


def call_async(r: Response, call: str) -> Any:
    async def go() -> Any:
        if call.startswith("iter_"):
            return await alist(getattr(r, "a" + call)())
        if call == "read":
            return await r.aread()
        if call == "json":
            return r.json()
        return getattr(r, call)

    return run(go())


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("call", list(TABLE))
def test_stream_state_table(call: str, state: str, asynchronous: bool) -> None:
    r = in_state(state, asynchronous)
    expected = TABLE[call][state]
    do = call_async if asynchronous else call_sync
    if isinstance(expected, type):
        with pytest.raises(expected) as info:
            do(r, call)
        if expected in (StreamConsumed, StreamClosed, ResponseNotRead):
            assert type(info.value) is expected
            assert str(info.value) == str(expected())
    else:
        assert do(r, call) == expected
        if call.startswith("iter_") or call == "read":
            assert r.is_closed  # draining the stream closes the response


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_read_response_replays_any_number_of_times(asynchronous: bool) -> None:
    r = in_state("read", asynchronous)
    for _ in range(3):
        if asynchronous:
            assert run(alist(r.aiter_bytes(1))) == [b"a", b"b", b"c", b"d"]
            assert run(alist(r.aiter_text(3))) == ["abc", "d"]
            assert run(alist(r.aiter_lines())) == ["abcd"]
        else:
            assert list(r.iter_bytes(1)) == [b"a", b"b", b"c", b"d"]
            assert list(r.iter_text(3)) == ["abc", "d"]
            assert list(r.iter_lines()) == ["abcd"]
    assert r.read() == b"abcd"


@pytest.mark.parametrize("call", ["iter_raw", "iter_bytes", "iter_text", "iter_lines"])
def test_in_memory_response_is_read_consumed_and_closed(call: str) -> None:
    r = Response(200, content=b"x")
    assert (r.is_stream_consumed, r.is_closed, r.num_bytes_downloaded) == (True, True, 0)
    if call == "iter_raw":
        with pytest.raises(StreamConsumed):
            list(r.iter_raw())
    else:
        assert "".join(str(x, "ascii") if isinstance(x, bytes) else x for x in getattr(r, call)())
    assert run(alist(Response(200, content=b"x").aiter_bytes())) == [b"x"]


def test_full_iteration_does_not_store_the_body() -> None:
    r = sync_response([b"abc"])
    assert list(r.iter_bytes()) == [b"abc"]
    with pytest.raises(ResponseNotRead):
        r.content  # noqa: B018
    with pytest.raises(StreamConsumed):
        r.read()


def test_iteration_states_change_only_when_pulled() -> None:
    r = sync_response([b"abc"])
    it = r.iter_bytes()
    assert not r.is_stream_consumed  # a generator: nothing happens before the first next()
    assert next(it) == b"abc"
    assert (r.is_stream_consumed, r.is_closed) == (True, False)


@pytest.mark.parametrize("call", ["iter_raw", "iter_bytes", "iter_text", "iter_lines", "read"])
def test_sync_call_on_async_stream(call: str) -> None:
    r = async_response([b"a"])
    with pytest.raises(RuntimeError) as info:
        call_sync(r, call)
    assert str(info.value) == "Attempted to call a sync iterator on an async stream."
    assert not r.is_stream_consumed and not r.is_closed


@pytest.mark.parametrize("call", ["iter_raw", "iter_bytes", "iter_text", "iter_lines", "read"])
def test_async_call_on_sync_stream(call: str) -> None:
    r = sync_response([b"a"])
    with pytest.raises(RuntimeError) as info:
        call_async(r, call)
    assert str(info.value) == "Attempted to call an async iterator on an sync stream."


def test_close_kind_mismatch() -> None:
    with pytest.raises(
        RuntimeError, match=r"^Attempted to call an sync close on an async stream\.$"
    ):
        async_response([b"a"]).close()
    with pytest.raises(
        RuntimeError, match=r"^Attempted to call an async close on an sync stream\.$"
    ):
        run(sync_response([b"a"]).aclose())
    # the check comes before the "already closed" shortcut
    r = async_response([b"a"])
    run(r.aclose())
    with pytest.raises(RuntimeError):
        r.close()


def test_consumed_is_checked_before_the_stream_kind() -> None:
    r = async_response([b"a"])
    assert run(alist(r.aiter_raw())) == [b"a"]
    with pytest.raises(StreamConsumed):
        list(r.iter_bytes())


def test_in_memory_body_works_with_both_loops() -> None:
    r = Response(200, stream=ByteStream(b"abc"))
    assert run(r.aread()) == b"abc"
    r = Response(200, stream=ByteStream(b"abc"))
    assert r.read() == b"abc"
    run(r.aclose())
    r.close()


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_close_is_idempotent_and_closes_the_stream_once(asynchronous: bool) -> None:
    stream: Pieces | APieces = APieces([b"a"]) if asynchronous else Pieces([b"a"])
    r = Response(200, stream=stream)
    for _ in range(3):
        if asynchronous:
            run(r.aclose())
        else:
            r.close()
    assert r.is_closed and stream.closes == 1
    assert not r.is_stream_consumed


# ---------------------------------------------------------------------------------------------
# iter_raw: closing itself, counting downloaded bytes


@pytest.mark.parametrize("chunk_size", [None, 2])
def test_iter_raw_closes_only_when_asked_past_the_last_chunk(chunk_size: int | None) -> None:
    stream = Pieces([b"abc"])
    r = Response(200, stream=stream)
    it = r.iter_raw(chunk_size)
    items = [next(it) for _ in range(1 if chunk_size is None else 2)]
    assert b"".join(items) == b"abc"
    assert not r.is_closed and stream.closes == 0
    with pytest.raises(StopIteration):
        next(it)
    assert (r.is_closed, stream.closes) == (True, 1)


def test_aiter_raw_closes_only_when_asked_past_the_last_chunk() -> None:
    async def go() -> None:
        stream = APieces([b"abc"])
        r = Response(200, stream=stream)
        it = r.aiter_raw()
        assert await it.__anext__() == b"abc"
        assert not r.is_closed
        with pytest.raises(StopAsyncIteration):
            await it.__anext__()
        assert (r.is_closed, stream.closes) == (True, 1)

    run(go())


def test_num_bytes_downloaded_counts_raw_bytes_before_yielding() -> None:
    r = sync_response([b"abc", b"", b"defg"])
    seen = [(chunk, r.num_bytes_downloaded) for chunk in r.iter_raw(2)]
    assert seen == [(b"ab", 3), (b"cd", 7), (b"ef", 7), (b"g", 7)]


def test_num_bytes_downloaded_counts_compressed_bytes() -> None:
    wire = gzip.compress(b"z" * 100_000, mtime=0)
    r = sync_response([wire[:10], wire[10:]], headers={"Content-Encoding": "gzip"})
    seen = [r.num_bytes_downloaded for _ in r.iter_bytes(50_000)]
    assert seen == [len(wire), len(wire)]
    assert r.num_bytes_downloaded == len(wire)


def test_aiter_counts_downloaded_bytes() -> None:
    async def go() -> list[int]:
        r = async_response([b"abc", b"defg"])
        return [r.num_bytes_downloaded async for _ in r.aiter_bytes()]

    assert run(go()) == [3, 7]


# ---------------------------------------------------------------------------------------------
# outputs over many chunkings, chunk sizes and codings


def check_outputs(coding: str, pieces: list[bytes], asynchronous: bool) -> None:
    wire = b"".join(pieces)
    headers = header_for(coding)
    for n in CHUNK_SIZES:

        def collect(method: str, *args: Any, n: int | None = n) -> list[Any]:
            if asynchronous:
                r = async_response(pieces, headers=headers)
                items: list[Any] = run(alist(getattr(r, "a" + method)(*args)))
                return items
            r = sync_response(pieces, headers=headers)
            return list(getattr(r, method)(*args))

        raw = collect("iter_raw", n)
        assert raw == expected_chunks(wire, n, pieces), (coding, n)
        decoded = collect("iter_bytes", n)
        assert b"".join(decoded) == BODY
        if n is None:
            assert all(0 < len(c) <= 65536 for c in decoded)
        else:
            assert decoded == expected_chunks(BODY, n, [])
        text = collect("iter_text", n)
        assert "".join(text) == TEXT
        if n is None:
            assert all(text)
        else:
            assert text == expected_chunks(TEXT, n, [])
    lines = collect("iter_lines")
    assert lines == lines_of(TEXT)


@pytest.mark.parametrize("split", ["whole", "bytewise", "sevens-with-empties", "random"])
@pytest.mark.parametrize("coding", CODINGS)
def test_outputs_sync(coding: str, split: str) -> None:
    check_outputs(coding, splits(encode(coding, BODY))[split], asynchronous=False)


@pytest.mark.parametrize("split", ["whole", "sevens-with-empties", "random"])
@pytest.mark.parametrize("coding", CODINGS)
def test_outputs_async(coding: str, split: str) -> None:
    check_outputs(coding, splits(encode(coding, BODY))[split], asynchronous=True)


def test_identity_pieces_pass_through_unchanged() -> None:
    pieces = [b"", b"a", b"bcdef", b"", b"g"]
    assert list(sync_response(pieces).iter_bytes()) == [b"a", b"bcdef", b"g"]
    assert list(sync_response(pieces).iter_text()) == ["a", "bcdef", "g"]


def test_large_identity_pieces_are_not_split() -> None:
    # Bounded decode steps apply to compressed bodies; an identity piece is handed on whole,
    # as httpx does.
    big = bytes(range(256)) * 1000
    assert list(sync_response([big, b"x"]).iter_bytes()) == [big, b"x"]
    assert list(sync_response([big]).iter_raw()) == [big]
    assert list(sync_response([big]).iter_text(None)) == [big.decode("utf-8", "replace")]


def test_unknown_codings_are_skipped_and_identity_is_no_coding() -> None:
    for header in ["x-gzip", "compress", "identity", "IDENTITY, x-unknown", ""]:
        r = sync_response([b"ab", b"cd"], headers={"Content-Encoding": header})
        assert list(r.iter_bytes()) == [b"ab", b"cd"]


def test_codings_are_undone_in_reverse_header_order_across_header_lines() -> None:
    wire = brotli.compress(gzip.compress(b"hello", mtime=0))
    for headers in (
        [("Content-Encoding", "gzip, br")],
        [("Content-Encoding", "gzip"), ("Content-Encoding", "br")],
        [("Content-Encoding", " GZIP ,BR ")],
    ):
        assert sync_response([wire], headers=headers).read() == b"hello"


# ---------------------------------------------------------------------------------------------
# the SPEC's examples


def test_rechunking_example() -> None:
    pieces = [b"ab", b"cdefg", b"h", b"", b"ij"]
    assert list(sync_response(pieces).iter_raw(3)) == [b"abc", b"def", b"ghi", b"j"]
    assert list(sync_response(pieces).iter_bytes(3)) == [b"abc", b"def", b"ghi", b"j"]
    assert list(sync_response([b"ab"]).iter_bytes(3)) == [b"ab"]
    assert list(sync_response([]).iter_bytes(3)) == []
    assert list(sync_response([b"", b""]).iter_raw()) == []


def test_read_response_slices() -> None:
    r = Response(200, content=b"abcdefg")
    assert list(r.iter_bytes()) == [b"abcdefg"]
    assert list(r.iter_bytes(3)) == [b"abc", b"def", b"g"]
    assert list(Response(200).iter_bytes()) == []
    assert list(Response(200).iter_text()) == []
    assert list(Response(200).iter_lines()) == []


def test_multibyte_characters_split_across_chunks() -> None:
    assert list(sync_response([b"\xe2\x82", b"\xac!"]).iter_text()) == ["€!"]
    assert list(sync_response([b"ab\xe2\x82"]).iter_text()) == ["ab", "\ufffd"]
    assert list(sync_response([b"a\xffb"]).iter_text()) == ["a\ufffdb"]
    assert list(sync_response([b"\xef\xbb\xbfhi"]).iter_text()) == ["\ufeffhi"]


@pytest.mark.parametrize(
    "pieces, lines",
    [
        ([b"a\r", b"\nb"], ["a", "b"]),
        ([b"\r"], [""]),
        ([b"a\n\r"], ["a", ""]),
        ([b"a\nb\n"], ["a", "b"]),
        ([b"\n\na\n\n"], ["", "", "a", ""]),
        ([b"ab", b"cd", b"ef\ng"], ["abcdef", "g"]),
        ([b"a\r\r\nb"], ["a", "", "b"]),
        ([], []),
        ([b""], []),
    ],
)
def test_lines_examples(pieces: list[bytes], lines: list[str]) -> None:
    assert list(sync_response(pieces).iter_lines()) == lines
    assert run(alist(async_response(pieces).aiter_lines())) == lines


def test_decoder_outputs_that_are_empty_are_dropped() -> None:
    wire = gzip.compress(b"hello", mtime=0)
    r = sync_response([wire[:10], wire[10:]], headers={"Content-Encoding": "gzip"})
    assert list(r.iter_bytes()) == [b"hello"]


def test_empty_compressed_bodies() -> None:
    for coding in ["gzip", "deflate", "br", "zstd"]:
        r = sync_response([], headers={"Content-Encoding": coding})
        assert list(r.iter_bytes()) == []
        r = sync_response([compress(coding, b"")], headers={"Content-Encoding": coding})
        assert r.read() == b""


def test_read_drains_and_closes() -> None:
    stream = Pieces([b"a", b"b"])
    r = Response(200, stream=stream)
    assert r.read() == b"ab" and r.content == b"ab"
    assert r.is_closed and r.is_stream_consumed and stream.closes == 1
    assert r.read() is r.content


# ---------------------------------------------------------------------------------------------
# deliberate deviations from httpx 0.28.1 (DESIGN.md), one test each


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c", "\x1e"])
def test_lines_split_only_at_cr_and_lf(separator: str) -> None:
    # JSONL whose strings hold U+2028 or U+0085 is valid; httpx cut it into fragments.
    text = f'{{"a": "x{separator}y"}}\n{{"b": 1}}\n'
    r = sync_response([text.encode("utf-8")])
    assert list(r.iter_lines()) == [f'{{"a": "x{separator}y"}}', '{"b": 1}']


def test_latin1_next_line_byte_does_not_split() -> None:
    r = sync_response([b"a\x85b\nc"], headers={"Content-Type": "text/plain; charset=latin-1"})
    assert list(r.iter_lines()) == ["a\x85b", "c"]


def test_every_gzip_member_is_decoded() -> None:
    wire = gzip.compress(b"first ", mtime=0) + gzip.compress(b"second", mtime=0)
    r = sync_response([wire], headers={"Content-Encoding": "gzip"})
    assert r.read() == b"first second"


@pytest.mark.parametrize("coding", ["gzip", "deflate", "deflate-raw", "br", "zstd"])
def test_truncated_compressed_body_raises(coding: str) -> None:
    wire = compress(coding, BODY)[:-6]
    r = sync_response([wire], headers=header_for(coding))
    with pytest.raises(DecodingError):
        r.read()
    assert r.is_closed


def test_more_than_five_codings_raise() -> None:
    r = sync_response(
        [encode("gzip, " * 5 + "gzip", b"x")], headers={"Content-Encoding": "gzip, " * 5 + "gzip"}
    )
    with pytest.raises(DecodingError, match=r"^Too many content encodings in the chain: 6 > 5$"):
        list(r.iter_bytes())
    assert r.is_closed
    five = "gzip, " * 4 + "gzip"
    assert sync_response([encode(five, b"x")], headers={"Content-Encoding": five}).read() == b"x"


def test_decode_steps_are_bounded() -> None:
    # httpx hands out whatever one network chunk inflates to; faststream at most
    # max(chunk_size, 64 KiB) per step.
    wire = gzip.compress(bytes(1_000_000), mtime=0)
    r = sync_response([wire], headers={"Content-Encoding": "gzip"})
    sizes = [len(c) for c in r.iter_bytes()]
    assert sum(sizes) == 1_000_000 and max(sizes) == 65536
    r = sync_response([wire], headers={"Content-Encoding": "gzip"})
    sizes = [len(c) for c in r.iter_bytes(300_000)]
    assert sizes == [300_000, 300_000, 300_000, 100_000]


# ---------------------------------------------------------------------------------------------
# decoding errors: DecodingError, request attached, response closed (THREATS F11)

BAD_CASES: dict[str, tuple[dict[str, str], list[bytes], str]] = {
    "corrupt gzip": ({"Content-Encoding": "gzip"}, [b"not gzip at all"], "incorrect header check"),
    "corrupt mid-stream": (
        {"Content-Encoding": "gzip"},
        [gzip.compress(b"x" * 1000, mtime=0)[:20], b"\x00garbage" * 20],
        "",  # the message is the inflate backend's
    ),
    "truncated gzip": (
        {"Content-Encoding": "gzip"},
        [gzip.compress(b"abc", mtime=0)[:-4]],
        "gzip data is incomplete",
    ),
    "six codings": ({"Content-Encoding": "gzip,gzip,gzip,gzip,gzip,gzip"}, [b"x"], "Too many"),
}


def consume(r: Response, how: str, asynchronous: bool) -> None:
    if asynchronous:
        if how == "read":
            run(r.aread())
        else:
            run(alist(getattr(r, "a" + how)()))
    elif how == "read":
        r.read()
    else:
        list(getattr(r, how)())


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("how", ["iter_bytes", "iter_text", "iter_lines", "read"])
@pytest.mark.parametrize("case", list(BAD_CASES))
def test_decoding_error_carries_request_and_closes(case: str, how: str, asynchronous: bool) -> None:
    headers, pieces, message = BAD_CASES[case]
    stream: Pieces | APieces = APieces(pieces) if asynchronous else Pieces(pieces)
    r = Response(200, headers=headers, stream=stream, request=REQUEST)
    with pytest.raises(DecodingError, match=re.escape(message) if message else None) as info:
        consume(r, how, asynchronous)
    assert info.value.request is REQUEST
    assert r.is_closed and stream.closes == 1
    with pytest.raises(StreamConsumed if r.is_stream_consumed else StreamClosed):
        consume(r, "iter_bytes", asynchronous)


def test_decoding_error_without_request_has_none() -> None:
    r = sync_response([b"junk"], headers={"Content-Encoding": "gzip"})
    with pytest.raises(DecodingError) as info:
        r.read()
    with pytest.raises(RuntimeError):
        info.value.request  # noqa: B018
    assert isinstance(info.value.__cause__, ValueError)


def test_constructor_decodes_in_memory_content() -> None:
    with pytest.raises(DecodingError, match="incorrect header check") as info:
        Response(200, headers={"Content-Encoding": "gzip"}, content=b"bad", request=REQUEST)
    assert info.value.request is REQUEST
    r = Response(200, headers={"Content-Encoding": "gzip"}, content=gzip.compress(b"ok"))
    assert r.content == b"ok"


def test_abandoned_iteration_leaves_the_response_open() -> None:
    stream = Pieces([b"a", b"b"])
    r = Response(200, stream=stream)
    for _ in r.iter_bytes():
        break
    assert not r.is_closed and stream.closes == 0
    r.close()
    assert stream.closes == 1


def test_errors_from_the_stream_get_the_request() -> None:
    class Failing(SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            yield b"a"
            raise DecodingError("boom")

    r = Response(200, stream=Failing(), request=REQUEST)
    with pytest.raises(DecodingError) as info:
        r.read()
    assert info.value.request is REQUEST


def test_bad_chunk_size_leaves_the_stream_unconsumed() -> None:
    r = sync_response([b"abc"])
    bad: Callable[[], Any]
    for bad in (lambda: list(r.iter_raw(0)), lambda: list(r.iter_bytes(-1))):
        with pytest.raises(ValueError):
            bad()
    assert not r.is_stream_consumed
    assert list(r.iter_bytes(2)) == [b"ab", b"c"]


@pytest.mark.parametrize("method", ["iter_bytes", "iter_text", "iter_lines"])
def test_closing_the_iterator_early_behaves_like_httpx(method: str) -> None:
    """Like httpx's generators, the iterators have close(): it ends the loop over the body
    without closing the response; a later iteration sees the stream consumed."""
    import httpx

    import faststream

    outcomes = []
    for lib in (httpx, faststream):

        class Body(lib.SyncByteStream):  # type: ignore[name-defined, misc]
            def __iter__(self) -> Iterator[bytes]:
                yield b"a\n"
                yield b"b\n"

        response = lib.Response(200, stream=Body())
        items = getattr(response, method)()
        first = next(items)
        items.close()
        with pytest.raises(StopIteration):
            next(items)
        with pytest.raises(lib.StreamConsumed):
            response.read()
        outcomes.append((first, response.is_closed))
    assert outcomes[0] == outcomes[1]
