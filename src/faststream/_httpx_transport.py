"""`HTTPXTransport`, `AsyncHTTPXTransport`: faststream's network stack as an httpx transport.

Code that insists on an `httpx.Client` (SDKs that check `isinstance(client, httpx.Client)`)
can still send through faststream: ``httpx.Client(transport=faststream.HTTPXTransport())``.
httpx keeps everything above the transport (auth, redirects, cookies, Content-Encoding
decoding, events); faststream does the rest: its pool, TLS, proxies, HTTP/1.1 framing in
`_cstream` and HTTP/2.

Invariants:

* The response's stream yields the body as it came off the connection, still encoded (httpx
  decodes on top); status, headers (original case, order, duplicates), `http_version`,
  `reason_phrase` and `network_stream` are faststream's response's.
* A request body is streamed piece by piece as httpx's stream yields it, never joined,
  except httpx's in-memory `ByteStream`, which is handed over as one bytes value (so it can
  be replayed on a fresh connection when a reused one turns out to be dead).
* Closing the httpx response closes faststream's response stream: a body read to its end
  gives the connection back to faststream's pool, one closed early closes the connection.
* Every faststream `RequestError`, raised while sending or while the body is read, becomes
  httpx's exception of the same name (the nearest base class httpx has, for faststream's
  own subclasses), with the httpx request attached and the original as its cause.

This module imports httpx; the package namespace imports it lazily, so httpx is never a
runtime dependency of faststream.
"""

from __future__ import annotations

import ssl
import typing
from collections.abc import AsyncIterator, Iterable, Iterator

import httpx

from ._config import DEFAULT_LIMITS, Limits, Proxy
from ._exceptions import RequestError
from ._headers import Headers
from ._models import Request, Response
from ._streams import AsyncByteStream, ByteStream, SyncByteStream, aclose_iterator
from ._transports._async_http11 import AsyncHTTPTransport
from ._transports._http11 import HTTPTransport
from ._transports._http11_exchange import MAX_HEADERS
from ._transports._sockets import SocketOption
from ._urls import URL

if typing.TYPE_CHECKING:
    from ._types import CertTypes

__all__ = ["AsyncHTTPXTransport", "HTTPXTransport"]


def _limits(limits: Limits | httpx.Limits) -> Limits:
    if isinstance(limits, Limits):
        return limits
    return Limits(
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
    )


def _proxy(proxy: Proxy | httpx.Proxy | httpx.URL | URL | str | None) -> Proxy | URL | str | None:
    if isinstance(proxy, httpx.Proxy):
        return Proxy(
            str(proxy.url),
            ssl_context=proxy.ssl_context,
            auth=proxy.auth,
            headers=proxy.headers.raw,
        )
    if isinstance(proxy, httpx.URL):
        return str(proxy)
    return proxy


def _request(request: httpx.Request, stream: SyncByteStream | AsyncByteStream) -> Request:
    """faststream's request for httpx's `request`, with the body `stream` (already wrapped).

    The headers are httpx's as they are (httpx set Host, Content-Length or chunked framing):
    a request built with a ready-made stream gets no automatic header. They are taken as
    bytes without faststream's per-field checks: the request serialiser validates every
    field before anything is sent, as it does for every request."""
    headers = Headers._from_parsed(
        [(name, name.lower(), value) for name, value in request.headers.raw]
    )
    return Request(
        request.method,
        URL(str(request.url)),
        headers=headers,
        stream=stream,
        extensions=request.extensions,
    )


def _mapped(exc: RequestError, request: httpx.Request) -> Exception:
    """httpx's exception for faststream's `exc`: the class of the same name, or of the nearest
    base class httpx has (faststream's `ResponseTooLarge` is httpx's `DecodingError`)."""
    for cls in type(exc).__mro__:
        target = getattr(httpx, cls.__name__, None)
        if isinstance(target, type) and issubclass(target, httpx.RequestError):
            return target(str(exc), request=request)
    return httpx.RequestError(str(exc), request=request)  # pragma: no cover - RequestError maps


# -- bodies ----------------------------------------------------------------------------------


class _SyncRequestBody(SyncByteStream):
    """An httpx request body streamed into faststream's connection as it is produced."""

    def __init__(self, stream: Iterable[bytes]) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        yield from self._stream


class _AsyncRequestBody(AsyncByteStream):
    def __init__(self, stream: httpx.AsyncByteStream) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for piece in self._stream:
            yield piece


class _SyncResponseBody(httpx.SyncByteStream):
    """faststream's raw response body as httpx's response stream.

    One iterator over faststream's stream, made on first use: iterating again continues where
    the last iteration stopped, as httpx's own transport streams do (SDKs drain a stream they
    stopped reading by iterating it again). `close()` closes that iterator too, so an early
    exit leaves no generator behind for the garbage collector (or, async, for the event
    loop, which trio warns about)."""

    def __init__(self, stream: SyncByteStream, request: httpx.Request) -> None:
        self._stream = stream
        self._request = request
        self._iterator: Iterator[bytes] | None = None

    def __iter__(self) -> Iterator[bytes]:
        if self._iterator is None:
            self._iterator = iter(self._stream)
        return self

    def __next__(self) -> bytes:
        if self._iterator is None:
            self._iterator = iter(self._stream)
        try:
            return next(self._iterator)
        except RequestError as exc:
            raise _mapped(exc, self._request) from exc

    def close(self) -> None:
        iterator, self._iterator = self._iterator, None
        close = getattr(iterator, "close", None)
        if close is not None:
            close()
        self._stream.close()


class _AsyncResponseBody(httpx.AsyncByteStream):
    """The async twin of `_SyncResponseBody`."""

    def __init__(self, stream: AsyncByteStream, request: httpx.Request) -> None:
        self._stream = stream
        self._request = request
        self._iterator: AsyncIterator[bytes] | None = None

    def __aiter__(self) -> AsyncIterator[bytes]:
        if self._iterator is None:
            self._iterator = self._stream.__aiter__()
        return self

    async def __anext__(self) -> bytes:
        if self._iterator is None:
            self._iterator = self._stream.__aiter__()
        try:
            return await self._iterator.__anext__()
        except RequestError as exc:
            raise _mapped(exc, self._request) from exc

    async def aclose(self) -> None:
        iterator, self._iterator = self._iterator, None
        if iterator is not None:
            await aclose_iterator(iterator)
        await self._stream.aclose()


def _response(
    response: Response, stream: httpx.SyncByteStream | httpx.AsyncByteStream
) -> httpx.Response:
    return httpx.Response(
        response.status_code,
        headers=response.headers.raw,
        stream=stream,
        extensions=response.extensions,
    )


# -- the transports --------------------------------------------------------------------------


class HTTPXTransport(httpx.BaseTransport):
    """An `httpx.BaseTransport` that sends through faststream's `HTTPTransport`.

    ``httpx.Client(transport=faststream.HTTPXTransport(...))``. The arguments are those of
    `httpx.HTTPTransport` that faststream supports (`limits` and `proxy` may be httpx's or
    faststream's objects), plus faststream's `max_header_fields`.
    """

    def __init__(
        self,
        verify: ssl.SSLContext | str | bool = True,
        cert: CertTypes | None = None,
        trust_env: bool = True,
        http1: bool = True,
        http2: bool = False,
        limits: Limits | httpx.Limits = DEFAULT_LIMITS,
        proxy: Proxy | httpx.Proxy | httpx.URL | URL | str | None = None,
        uds: str | None = None,
        local_address: str | None = None,
        retries: int = 0,
        socket_options: Iterable[SocketOption] | None = None,
        max_header_fields: int = MAX_HEADERS,
    ) -> None:
        self._transport = HTTPTransport(
            verify=verify,
            cert=cert,
            trust_env=trust_env,
            http1=http1,
            http2=http2,
            limits=_limits(limits),
            proxy=_proxy(proxy),
            uds=uds,
            local_address=local_address,
            retries=retries,
            socket_options=socket_options,
            max_header_fields=max_header_fields,
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        stream = request.stream
        body: SyncByteStream
        if isinstance(stream, httpx.ByteStream):
            body = ByteStream(b"".join(stream))  # in memory: one value, replayable
        elif isinstance(stream, httpx.SyncByteStream):
            body = _SyncRequestBody(stream)
        else:
            raise RuntimeError("Attempted to send an async request with a sync Client instance.")
        try:
            response = self._transport.handle_request(_request(request, body))
        except RequestError as exc:
            raise _mapped(exc, request) from exc
        assert isinstance(response.stream, SyncByteStream)
        return _response(response, _SyncResponseBody(response.stream, request))

    def close(self) -> None:
        self._transport.close()


class AsyncHTTPXTransport(httpx.AsyncBaseTransport):
    """An `httpx.AsyncBaseTransport` that sends through faststream's `AsyncHTTPTransport`,
    on asyncio (uvloop too) or trio: ``httpx.AsyncClient(transport=...)``. Same arguments as
    `HTTPXTransport`."""

    def __init__(
        self,
        verify: ssl.SSLContext | str | bool = True,
        cert: CertTypes | None = None,
        trust_env: bool = True,
        http1: bool = True,
        http2: bool = False,
        limits: Limits | httpx.Limits = DEFAULT_LIMITS,
        proxy: Proxy | httpx.Proxy | httpx.URL | URL | str | None = None,
        uds: str | None = None,
        local_address: str | None = None,
        retries: int = 0,
        socket_options: Iterable[SocketOption] | None = None,
        max_header_fields: int = MAX_HEADERS,
    ) -> None:
        self._transport = AsyncHTTPTransport(
            verify=verify,
            cert=cert,
            trust_env=trust_env,
            http1=http1,
            http2=http2,
            limits=_limits(limits),
            proxy=_proxy(proxy),
            uds=uds,
            local_address=local_address,
            retries=retries,
            socket_options=socket_options,
            max_header_fields=max_header_fields,
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        stream = request.stream
        body: AsyncByteStream
        if isinstance(stream, httpx.ByteStream):
            body = ByteStream(b"".join(stream))  # in memory: one value, replayable
        elif isinstance(stream, httpx.AsyncByteStream):
            body = _AsyncRequestBody(stream)
        else:
            raise RuntimeError("Attempted to send a sync request with an AsyncClient instance.")
        try:
            response = await self._transport.handle_async_request(_request(request, body))
        except RequestError as exc:
            raise _mapped(exc, request) from exc
        assert isinstance(response.stream, AsyncByteStream)
        return _response(response, _AsyncResponseBody(response.stream, request))

    async def aclose(self) -> None:
        await self._transport.aclose()
