"""Request and response bodies: turn `content=`, `data=`, `files=`, `json=`, `text=`, `html=`
into the automatic headers and the byte stream that carries the body.

`encode_request(...)` and `encode_response(...)` return `(headers, stream)`, where `headers` are
the headers the body implies (`Content-Length` or `Transfer-Encoding: chunked`, and a
`Content-Type` for forms, JSON, text and HTML) and `stream` yields the body. In-memory bodies
are a `ByteStream`; iterables and file objects are streamed, never read here, in pieces of at
most `CHUNK_SIZE` bytes when they are file objects.
"""

from __future__ import annotations

import inspect
import json as jsonlib
import os
import stat
import typing
import warnings
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping
from urllib.parse import urlencode

from ._exceptions import StreamClosed, StreamConsumed
from ._multipart import MultipartStream
from ._streams import CHUNK_SIZE, AsyncByteStream, ByteStream, SyncByteStream, aclose_iterator
from ._types import RequestContent, RequestData, RequestFiles, ResponseContent
from ._urls import primitive_value_to_str

__all__ = [
    "CHUNK_SIZE",
    "AsyncIteratorByteStream",
    "IteratorByteStream",
    "UnattachedStream",
    "encode_content",
    "encode_json",
    "encode_request",
    "encode_response",
    "encode_urlencoded_data",
    "peek_filelike_length",
]


class IteratorByteStream(SyncByteStream):
    """A body taken from a sync iterable of bytes, or read from a file object piece by piece.

    A generator can be iterated once only: a second iteration (a re-send) raises
    `StreamConsumed`.
    """

    def __init__(self, stream: Iterable[bytes]) -> None:
        self._stream = stream
        self._single_use = inspect.isgenerator(stream)
        self._started = False

    def __iter__(self) -> Iterator[bytes]:
        if self._started and self._single_use:
            raise StreamConsumed()
        self._started = True
        read = getattr(self._stream, "read", None)
        if read is not None:
            while True:
                piece = read(CHUNK_SIZE)
                if not piece:
                    return
                yield piece
        else:
            yield from self._stream


class AsyncIteratorByteStream(AsyncByteStream):
    """A body taken from an async iterable of bytes, or from an object with `async aread(n)`.

    An async generator can be iterated once only: a second iteration raises `StreamConsumed`.
    """

    def __init__(self, stream: AsyncIterable[bytes]) -> None:
        self._stream = stream
        self._single_use = inspect.isasyncgen(stream)
        self._started = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self._started and self._single_use:
            raise StreamConsumed()
        self._started = True
        aread = getattr(self._stream, "aread", None)
        if aread is not None:
            while True:
                piece = await aread(CHUNK_SIZE)
                if not piece:
                    return
                yield piece
        else:
            iterator = self._stream.__aiter__()
            try:
                async for piece in iterator:
                    yield piece
            finally:
                await aclose_iterator(iterator)  # a body refused half-way stops here


class UnattachedStream(AsyncByteStream, SyncByteStream):
    """The stream of an unpickled request or response: its body is gone, so reading it
    raises `StreamClosed`."""

    def __iter__(self) -> Iterator[bytes]:
        raise StreamClosed()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        raise StreamClosed()
        yield b""  # type: ignore[unreachable]  # makes this an async generator


def peek_filelike_length(stream: object) -> int | None:
    """The number of bytes a file object will still give from its current position, found
    without reading it, or None when that cannot be known (pipes, sockets, plain iterables).

    A regular file is measured with `fstat`; anything seekable (`BytesIO`, ...) with
    `tell`/`seek`, restoring the position.
    """
    try:
        fd = stream.fileno()  # type: ignore[attr-defined]
        info = os.fstat(fd)
    except (AttributeError, OSError, ValueError, TypeError):
        pass
    else:
        if not stat.S_ISREG(info.st_mode):
            return None
        try:
            position = stream.tell()  # type: ignore[attr-defined]
        except (AttributeError, OSError, ValueError):
            position = 0
        if not isinstance(position, int):
            position = 0
        return max(info.st_size - position, 0)
    try:
        position = stream.tell()  # type: ignore[attr-defined]
        end = stream.seek(0, os.SEEK_END)  # type: ignore[attr-defined]
        stream.seek(position)  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError, TypeError):
        return None
    if not isinstance(position, int) or not isinstance(end, int):
        return None
    return max(end - position, 0)


def encode_content(
    content: RequestContent | ResponseContent,
) -> tuple[dict[str, str], SyncByteStream | AsyncByteStream]:
    """Raw `content=`: bytes or str (utf-8), a sync or async iterable of bytes, a file object."""
    if isinstance(content, str):
        content = content.encode("utf-8")
    if isinstance(content, bytes):
        headers = {"Content-Length": str(len(content))} if content else {}
        return headers, ByteStream(content)
    # A dict is iterable (over its keys) but is never meant as a body: refuse it, as httpx.
    if isinstance(content, Iterable) and not isinstance(content, dict):
        length = peek_filelike_length(content)
        if length is None:
            return {"Transfer-Encoding": "chunked"}, IteratorByteStream(content)
        return {"Content-Length": str(length)}, IteratorByteStream(content)
    if isinstance(content, AsyncIterable):
        return {"Transfer-Encoding": "chunked"}, AsyncIteratorByteStream(content)
    raise TypeError(f"Unexpected type for 'content', {type(content)!r}")


def _in_memory(body: bytes, content_type: str) -> tuple[dict[str, str], ByteStream]:
    return {"Content-Length": str(len(body)), "Content-Type": content_type}, ByteStream(body)


def encode_json(json: typing.Any) -> tuple[dict[str, str], ByteStream]:
    """Compact JSON, utf-8, no NaN/Infinity (they raise ValueError)."""
    text = jsonlib.dumps(json, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return _in_memory(text.encode("utf-8"), "application/json")


def encode_urlencoded_data(data: RequestData) -> tuple[dict[str, str], ByteStream]:
    """A form as `application/x-www-form-urlencoded`: list/tuple values repeat the key;
    True/False/None are written `true`/`false`/``."""
    pairs: list[tuple[str, str]] = []
    for key, value in data.items():
        values = value if isinstance(value, (list, tuple)) else [value]
        pairs.extend((key, primitive_value_to_str(item)) for item in values)
    body = urlencode(pairs, doseq=True).encode("utf-8")
    return _in_memory(body, "application/x-www-form-urlencoded")


def encode_request(
    content: RequestContent | None = None,
    data: RequestData | None = None,
    files: RequestFiles | None = None,
    json: typing.Any | None = None,
    boundary: bytes | None = None,
) -> tuple[dict[str, str], SyncByteStream | AsyncByteStream]:
    """The headers and stream for a request body. Precedence: `content`, then `files`
    (multipart, with `data` as its fields), then `data` (urlencoded), then `json`."""
    raw_data: object = data
    if raw_data is not None and not isinstance(raw_data, Mapping):
        # requests-style `data=b"..."`: raw content, accepted with a warning as httpx does.
        warnings.warn(
            "Use 'content=<...>' to upload raw bytes/text content.",
            DeprecationWarning,
            stacklevel=2,
        )
        return encode_content(typing.cast(RequestContent, raw_data))
    if content is not None:
        return encode_content(content)
    if files:
        multipart = MultipartStream(data=data or {}, files=files, boundary=boundary)
        return multipart.get_headers(), multipart
    if data:
        return encode_urlencoded_data(data)
    if json is not None:
        return encode_json(json)
    return {}, ByteStream(b"")


def encode_response(
    content: ResponseContent | None = None,
    text: str | None = None,
    html: str | None = None,
    json: typing.Any | None = None,
) -> tuple[dict[str, str], SyncByteStream | AsyncByteStream]:
    """The headers and stream for a response body. Precedence: `content`, `text`, `html`,
    `json`; none of them gives an empty body and no headers."""
    if content is not None:
        return encode_content(content)
    if text is not None:
        return _in_memory(text.encode("utf-8"), "text/plain; charset=utf-8")
    if html is not None:
        return _in_memory(html.encode("utf-8"), "text/html; charset=utf-8")
    if json is not None:
        return encode_json(json)
    return {}, ByteStream(b"")
