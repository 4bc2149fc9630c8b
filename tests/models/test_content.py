"""Request and response bodies (`_content`): the headers each body form implies and the bytes
its stream yields, compared with httpx 0.28.1 for the same inputs; file objects streamed in
bounded pieces; single-use generators; async forms."""

from __future__ import annotations

import asyncio
import io
import os
import typing
import warnings
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest
from httpx import _content as httpx_content

from faststream._content import (
    CHUNK_SIZE,
    UnattachedStream,
    encode_content,
    encode_request,
    encode_response,
    peek_filelike_length,
)
from faststream._exceptions import StreamClosed, StreamConsumed
from faststream._streams import AsyncByteStream, ByteStream, SyncByteStream


def drain(stream: typing.Any) -> bytes:
    """The body a stream yields, read the way it can be read (sync first)."""
    if isinstance(stream, (SyncByteStream, httpx.SyncByteStream)):
        return b"".join(stream)

    async def collect() -> bytes:
        return b"".join([piece async for piece in stream])

    return asyncio.run(collect())


def gen(*pieces: bytes) -> Iterator[bytes]:
    yield from pieces


async def agen(*pieces: bytes) -> AsyncIterator[bytes]:
    for piece in pieces:
        yield piece


class RecordingFile(io.RawIOBase):
    """A binary file over bytes that records the size of every read, and is not seekable
    (so its length cannot be known without reading)."""

    def __init__(self, data: bytes) -> None:
        self._data = memoryview(data)
        self._pos = 0
        self.reads: list[int] = []

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        self.reads.append(size)
        if size < 0:
            size = len(self._data) - self._pos
        piece = bytes(self._data[self._pos : self._pos + size])
        self._pos += len(piece)
        return piece


class AsyncReader:
    """An async file-like object: `async aread(n)`."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self.reads: list[int] = []

    async def aread(self, size: int) -> bytes:
        self.reads.append(size)
        piece, self._data = self._data[:size], self._data[size:]
        return piece

    def __aiter__(self) -> AsyncIterator[bytes]:  # pragma: no cover - aread is preferred
        raise AssertionError("aread should be used")


# Factories, so each side gets fresh iterators / file objects.
Factory = Callable[[], dict[str, typing.Any]]

RESPONSE_CASES: dict[str, Factory] = {
    "nothing": dict,
    "empty bytes": lambda: {"content": b""},
    "empty str": lambda: {"content": ""},
    "bytes": lambda: {"content": b"abc"},
    "str utf-8": lambda: {"content": "h\u00e9\u20ac"},
    "text": lambda: {"text": "h\u00e9"},
    "empty text": lambda: {"text": ""},
    "html": lambda: {"html": "<p>\u00e9</p>"},
    "empty html": lambda: {"html": ""},
    "json None is no body": lambda: {"json": None},
    "json": lambda: {"json": {"a": "\u00e9", "b": [1, 2.5, None, True]}},
    "json empty dict": lambda: {"json": {}},
    "json string": lambda: {"json": "x"},
    "content beats text": lambda: {"content": b"", "text": "x"},
    "text beats html and json": lambda: {"text": "t", "html": "h", "json": 1},
    "html beats json": lambda: {"html": "h", "json": 1},
    "list of bytes": lambda: {"content": [b"a", b"bc"]},
    "generator": lambda: {"content": gen(b"a", b"", b"bc")},
    "iterator": lambda: {"content": iter([b"x", b"y"])},
    "BytesIO": lambda: {"content": io.BytesIO(b"hello")},
    "empty BytesIO": lambda: {"content": io.BytesIO(b"")},
    "async generator": lambda: {"content": agen(b"a", b"b")},
    "tuple of bytes": lambda: {"content": (b"a", b"b")},
}


@pytest.mark.parametrize("name", RESPONSE_CASES)
def test_encode_response_matches_httpx(name: str) -> None:
    theirs_headers, theirs_stream = httpx_content.encode_response(**RESPONSE_CASES[name]())
    ours_headers, ours_stream = encode_response(**RESPONSE_CASES[name]())
    assert ours_headers == theirs_headers
    assert list(ours_headers) == list(theirs_headers)  # same order, same spelling
    assert drain(ours_stream) == drain(theirs_stream)
    assert isinstance(ours_stream, ByteStream) == isinstance(theirs_stream, httpx.ByteStream)
    assert isinstance(ours_stream, SyncByteStream) == isinstance(
        theirs_stream, httpx.SyncByteStream
    )
    assert isinstance(ours_stream, AsyncByteStream) == isinstance(
        theirs_stream, httpx.AsyncByteStream
    )


def test_response_auto_headers_exact_values() -> None:
    assert encode_response(text="h\u00e9")[0] == {
        "Content-Length": "3",
        "Content-Type": "text/plain; charset=utf-8",
    }
    assert encode_response(html="")[0] == {
        "Content-Length": "0",
        "Content-Type": "text/html; charset=utf-8",
    }
    headers, stream = encode_response(json={"k": "\u00e9", "n": [1, 2]})
    assert headers == {"Content-Length": "20", "Content-Type": "application/json"}
    assert drain(stream) == '{"k":"\u00e9","n":[1,2]}'.encode()
    assert encode_response(content=b"")[0] == {}
    assert encode_response(content=gen(b"x"))[0] == {"Transfer-Encoding": "chunked"}


@pytest.mark.parametrize("value", [{"a": 1}, 1, 1.5, object(), None.__class__])
def test_content_of_wrong_type_is_a_type_error(value: object) -> None:
    with pytest.raises(TypeError) as theirs:
        httpx_content.encode_content(value)  # type: ignore[arg-type]
    with pytest.raises(TypeError) as ours:
        encode_content(value)  # type: ignore[arg-type]
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_json_refuses_nan_and_infinity(value: float) -> None:
    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        encode_response(json={"x": value})
    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        encode_request(json=[value])


def test_json_of_unserialisable_value_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        encode_request(json=b"x")


REQUEST_CASES: dict[str, Factory] = {
    "nothing": dict,
    "bytes": lambda: {"content": b"abc"},
    "empty bytes": lambda: {"content": b""},
    "str": lambda: {"content": "\u00e9"},
    "generator": lambda: {"content": gen(b"ab", b"c")},
    "async generator": lambda: {"content": agen(b"ab", b"c")},
    "BytesIO": lambda: {"content": io.BytesIO(b"x" * 100_000)},
    "form": lambda: {"data": {"a": "1", "b": ["x", "y"], "c": True, "d": False, "e": None}},
    "form tuple values and numbers": lambda: {"data": {"n": (1, 2.5), "s": "a b&c=\u00e9"}},
    "form with nested dict is str()": lambda: {"data": {"a": {"x": 1}}},
    "empty form falls to json": lambda: {"data": {}, "json": {"a": 1}},
    "content beats form": lambda: {"content": b"x", "data": {"a": "1"}},
    "form beats json": lambda: {"data": {"a": "1"}, "json": [1]},
    "json": lambda: {"json": [1, "\u00e9", {"k": None}]},
    "json False": lambda: {"json": False},
    "json None is no body": lambda: {"json": None},
    "multipart": lambda: {"files": {"f": b"x"}, "data": {"a": "1"}, "boundary": b"fixed"},
    "empty files falls to form": lambda: {"files": {}, "data": {"a": "b"}},
}


@pytest.mark.parametrize("name", REQUEST_CASES)
def test_encode_request_matches_httpx(name: str) -> None:
    theirs_headers, theirs_stream = httpx_content.encode_request(**REQUEST_CASES[name]())
    ours_headers, ours_stream = encode_request(**REQUEST_CASES[name]())
    assert ours_headers == theirs_headers
    assert list(ours_headers) == list(theirs_headers)
    assert drain(ours_stream) == drain(theirs_stream)


@pytest.mark.parametrize(
    "data", [b"raw bytes", "raw text", [b"a", b"b"], gen(b"g")], ids=["bytes", "str", "list", "gen"]
)
def test_non_mapping_data_is_content_with_a_deprecation_warning(data: typing.Any) -> None:
    with pytest.warns(DeprecationWarning) as record:
        headers, stream = encode_request(data=typing.cast(typing.Any, data))
    assert [str(w.message) for w in record] == [
        "Use 'content=<...>' to upload raw bytes/text content."
    ]
    expected = {"bytes": b"raw bytes", "str": b"raw text"}.get(type(data).__name__)
    body = drain(stream)
    if expected is not None:
        assert headers == {"Content-Length": str(len(expected))}
        assert body == expected
    else:
        assert headers == {"Transfer-Encoding": "chunked"}
        assert body in (b"ab", b"g")


def test_non_mapping_data_wins_over_files_and_content() -> None:
    with pytest.warns(DeprecationWarning):
        raw: typing.Any = b"raw"
        headers, stream = encode_request(content=b"ignored", data=raw, files={"f": b"x"})
    assert headers == {"Content-Length": "3"}
    assert drain(stream) == b"raw"


def test_no_warning_for_mapping_data() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        encode_request(data={"a": "1"})


# -- file objects ------------------------------------------------------------------------


def test_real_file_length_from_fstat_and_streamed_in_bounded_pieces(tmp_path: typing.Any) -> None:
    path = tmp_path / "body.bin"
    data = os.urandom(3 * CHUNK_SIZE + 123)
    path.write_bytes(data)
    with path.open("rb") as file:
        headers, stream = encode_content(file)
        assert headers == {"Content-Length": str(len(data))}
        assert file.tell() == 0  # measuring did not read or move
        pieces = list(typing.cast(SyncByteStream, stream))
    assert b"".join(pieces) == data
    assert max(len(piece) for piece in pieces) <= CHUNK_SIZE
    assert len(pieces) == 4


def test_file_at_an_offset_declares_the_bytes_it_will_send(tmp_path: typing.Any) -> None:
    # httpx declares the whole file size here and then sends fewer bytes (an invalid
    # request); faststream declares exactly what the stream yields.
    path = tmp_path / "body.bin"
    path.write_bytes(b"0123456789")
    with path.open("rb") as file:
        file.seek(4)
        headers, stream = encode_content(file)
        body = drain(stream)
    assert body == b"456789"
    assert headers == {"Content-Length": "6"}

    buffer = io.BytesIO(b"0123456789")
    buffer.seek(7)
    headers, stream = encode_content(buffer)
    assert headers == {"Content-Length": "3"}
    assert buffer.tell() == 7
    assert drain(stream) == b"789"


def test_unseekable_file_is_chunked_and_read_in_bounded_pieces() -> None:
    data = b"z" * (2 * CHUNK_SIZE + 5)
    file = RecordingFile(data)
    headers, stream = encode_content(file)
    assert headers == {"Transfer-Encoding": "chunked"}
    assert file.reads == []  # nothing read before the body is sent
    pieces = list(typing.cast(SyncByteStream, stream))
    assert b"".join(pieces) == data
    assert all(size == CHUNK_SIZE for size in file.reads)
    assert max(len(piece) for piece in pieces) <= CHUNK_SIZE


def test_pipe_is_chunked_not_a_zero_length() -> None:
    read_fd, write_fd = os.pipe()
    os.write(write_fd, b"through a pipe")
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as pipe:
        headers, stream = encode_content(pipe)
        assert headers == {"Transfer-Encoding": "chunked"}
        assert drain(stream) == b"through a pipe"


def test_peek_filelike_length() -> None:
    assert peek_filelike_length(io.BytesIO(b"abc")) == 3
    assert peek_filelike_length(b"abc") is None
    assert peek_filelike_length([b"abc"]) is None
    assert peek_filelike_length(RecordingFile(b"abc")) is None


# -- single use, sync/async --------------------------------------------------------------


def test_generator_body_can_be_streamed_once() -> None:
    _, stream = encode_content(gen(b"a", b"b"))
    sync_stream = typing.cast(SyncByteStream, stream)
    assert list(sync_stream) == [b"a", b"b"]
    with pytest.raises(StreamConsumed):
        list(sync_stream)


def test_generator_consumed_even_when_first_pass_stopped_early() -> None:
    _, stream = encode_content(gen(b"a", b"b"))
    iterator = iter(typing.cast(SyncByteStream, stream))
    assert next(iterator) == b"a"
    with pytest.raises(StreamConsumed):
        list(typing.cast(SyncByteStream, stream))


def test_replayable_iterables_can_be_streamed_again() -> None:
    # A list is not a one-shot source: it is sent again in full, as httpx does.
    _, stream = encode_content([b"a", b"b"])
    sync_stream = typing.cast(SyncByteStream, stream)
    assert b"".join(sync_stream) == b"ab"
    assert b"".join(sync_stream) == b"ab"


def test_async_generator_body_can_be_streamed_once() -> None:
    headers, stream = encode_content(agen(b"a", b"b"))
    assert headers == {"Transfer-Encoding": "chunked"}
    assert not isinstance(stream, SyncByteStream)
    assert drain(stream) == b"ab"
    with pytest.raises(StreamConsumed):
        drain(stream)


def test_async_reader_is_read_with_aread_in_bounded_pieces() -> None:
    data = b"q" * (CHUNK_SIZE + 10)
    reader = AsyncReader(data)
    headers, stream = encode_content(reader)
    assert headers == {"Transfer-Encoding": "chunked"}
    assert drain(stream) == data
    assert reader.reads == [CHUNK_SIZE, CHUNK_SIZE, CHUNK_SIZE]


def test_async_reader_matches_httpx() -> None:
    data = b"r" * (CHUNK_SIZE + 10)
    theirs_headers, theirs = httpx_content.encode_content(AsyncReader(data))
    ours_headers, ours = encode_content(AsyncReader(data))
    assert ours_headers == theirs_headers
    assert drain(ours) == drain(theirs)


def test_sync_iterable_stream_is_not_async() -> None:
    _, stream = encode_content(gen(b"a"))
    assert not isinstance(stream, AsyncByteStream)

    async def iterate() -> None:
        async for _ in typing.cast(typing.Any, stream):
            pass  # pragma: no cover

    with pytest.raises(TypeError):
        asyncio.run(iterate())


def test_unattached_stream_raises_stream_closed_both_ways() -> None:
    stream = UnattachedStream()
    with pytest.raises(StreamClosed):
        list(stream)
    with pytest.raises(StreamClosed):
        drain_async_only(stream)


def drain_async_only(stream: AsyncByteStream) -> bytes:
    async def collect() -> bytes:
        return b"".join([piece async for piece in stream])

    return asyncio.run(collect())


def test_in_memory_stream_is_both_sync_and_async_and_replayable() -> None:
    _, stream = encode_request(json={"a": 1})
    assert isinstance(stream, ByteStream)
    assert b"".join(stream) == b'{"a":1}'
    assert b"".join(stream) == b'{"a":1}'
    assert drain_async_only(stream) == b'{"a":1}'


class AreadOnly:
    """Has `aread` but is not async-iterable: not a body httpx accepts."""

    async def aread(self, size: int) -> bytes:  # pragma: no cover - never called
        return b""


def test_object_with_only_aread_is_refused_like_httpx() -> None:
    with pytest.raises(TypeError) as theirs:
        httpx_content.encode_content(typing.cast(typing.Any, AreadOnly()))
    with pytest.raises(TypeError) as ours:
        encode_content(typing.cast(typing.Any, AreadOnly()))
    assert str(ours.value) == str(theirs.value)
