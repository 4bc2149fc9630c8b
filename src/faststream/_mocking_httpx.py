"""Adapters between faststream's models and httpx's, for the test doubles written for httpx.

A faststream request is shown to a double as the `httpx.Request` httpx would have sent (its body
read, as httpx's transports read it for a double); the double's `httpx.Response` comes back as a
faststream `Response` whose body is the double's stream, undecoded, so the client decodes it as
it decodes the network's. A faststream `Response` given by a double is taken as it is. An httpx
exception raised by a double (a side effect such as `httpx.ConnectError`) becomes faststream's
exception of the same name, with the faststream request, so `except faststream.ConnectError`
catches it as it would a real failure. Imported only while a double is active.
"""

from __future__ import annotations

import typing
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator

import httpx

from . import _exceptions
from ._response import Response
from ._streams import AsyncByteStream, ByteStream, SyncByteStream

if typing.TYPE_CHECKING:
    from ._request import Request

__all__ = [
    "from_httpx_response",
    "raise_as_faststream",
    "to_faststream_error",
    "to_httpx_request",
    "to_httpx_response",
]


def to_httpx_request(request: Request, body: bytes) -> httpx.Request:
    """The httpx view of `request`, whose body (already read) is `body`."""
    converted = httpx.Request(
        request.method,
        str(request.url),
        headers=request.headers.raw,
        stream=httpx.ByteStream(body),
        extensions=dict(request.extensions),
    )
    converted.read()  # doubles match on `request.content`
    return converted


class _SyncBody(SyncByteStream):
    """A double's response body, read by a sync client."""

    def __init__(self, stream: object) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        stream = self._stream
        if not isinstance(stream, Iterable):
            raise RuntimeError("Attempted to read an async mocked response body in a sync Client.")
        for piece in stream:
            yield bytes(piece)

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()


class _AsyncBody(AsyncByteStream):
    """A double's response body, read by an async client (a sync body is read as it is)."""

    def __init__(self, stream: object) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        stream = self._stream
        if isinstance(stream, AsyncIterable):
            async for piece in stream:
                yield bytes(piece)
        else:
            assert isinstance(stream, Iterable)
            for piece in stream:
                yield bytes(piece)

    async def aclose(self) -> None:
        aclose = getattr(self._stream, "aclose", None)
        if aclose is not None:
            await aclose()
            return
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()


class _HTTPXBody(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A faststream response's unread streaming body, as an httpx stream."""

    def __init__(self, stream: SyncByteStream | AsyncByteStream) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        stream = self._stream
        if not isinstance(stream, SyncByteStream):
            raise RuntimeError("Attempted to read an async mocked response body in a sync Client.")
        yield from stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        stream = self._stream
        if isinstance(stream, AsyncByteStream):
            async for piece in stream:
                yield piece
        else:
            for piece in stream:
                yield piece

    def close(self) -> None:
        if isinstance(self._stream, SyncByteStream):
            self._stream.close()

    async def aclose(self) -> None:
        if isinstance(self._stream, AsyncByteStream):
            await self._stream.aclose()
        else:
            self._stream.close()


def to_httpx_response(response: Response) -> httpx.Response:
    """The httpx response equal to a faststream `response` given to a double as a result:
    same status, header fields (as they are: no automatic ones added) and raw body."""
    stream = response.stream
    body: httpx.SyncByteStream | httpx.AsyncByteStream
    if isinstance(stream, ByteStream):
        body = httpx.ByteStream(b"".join(stream))
    else:
        body = _HTTPXBody(stream)
    return httpx.Response(
        response.status_code,
        headers=response.headers.raw,
        stream=body,
        extensions=dict(response.extensions),
    )


def from_httpx_response(response: object, asynchronous: bool) -> Response:
    """The faststream response for what a double returned (an httpx or a faststream one)."""
    if isinstance(response, Response):
        # pytest-httpx "unreads" the responses it hands out by deleting their cached body;
        # a faststream response keeps `None` there until it is read.
        if "_content" not in vars(response):
            response._content = None
        return response
    if not isinstance(response, httpx.Response):
        kind = type(response)
        raise TypeError(
            f"A mock returned {kind.__module__}.{kind.__qualname__}; "
            "expected httpx.Response or faststream.Response"
        )
    body: SyncByteStream | AsyncByteStream
    body = _AsyncBody(response.stream) if asynchronous else _SyncBody(response.stream)
    return Response(
        response.status_code,
        headers=response.headers.raw,
        stream=body,
        extensions=dict(response.extensions),
    )


def to_faststream_error(error: httpx.HTTPError, request: Request) -> Exception:
    """faststream's exception of the same name as `error` (the nearest base class with one),
    with `request`; `error` itself when faststream has none."""
    for kind in type(error).__mro__:
        if kind.__module__.split(".")[0] != "httpx":
            continue
        ours = getattr(_exceptions, kind.__name__, None)
        if isinstance(ours, type) and issubclass(ours, _exceptions.RequestError):
            converted: Exception = ours(str(error), request=request)
            return converted
    return error


def raise_as_faststream(error: httpx.HTTPError, request: Request) -> typing.NoReturn:
    """Raise what a double raised as the faststream exception of its name (chained to it),
    or as itself when faststream has none: what a real exchange would have raised."""
    converted = to_faststream_error(error, request)
    if converted is error:
        raise error
    raise converted from error
