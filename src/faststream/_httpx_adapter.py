"""faststream's network stack behind an httpx-like transport interface, for any module that
has httpx 0.28's transport API (httpx itself, httpx2).

`SyncTransportAdapter` and `AsyncTransportAdapter` hold the whole conversion; a concrete
transport subclasses one of them and the module's `BaseTransport` / `AsyncBaseTransport`, and
names the module in the class attribute `_httpx`. This module imports neither httpx nor httpx2:
each concrete transport's module imports its own, so using one never needs the other.

httpx (or httpx2) keeps everything above the transport (auth, redirects, cookies,
Content-Encoding decoding, events); faststream does the rest: its pool, TLS, proxies,
HTTP/1.1 framing in `_cstream` and HTTP/2.

Invariants:

* The response's stream yields the body as it came off the connection, still encoded (the
  client decodes on top); status, headers (original case, order, duplicates), `http_version`,
  `reason_phrase` and `network_stream` are faststream's response's.
* A request body is streamed piece by piece as the client's stream yields it, never joined,
  except the module's in-memory `ByteStream`, which is handed over as one bytes value (so it
  can be replayed on a fresh connection when a reused one turns out to be dead).
* Closing the client's response closes faststream's response stream: a body read to its end
  gives the connection back to faststream's pool, one closed early closes the connection.
* Every faststream `RequestError`, raised while sending or while the body is read, becomes the
  module's exception of the same name (the nearest base class the module has, for
  faststream's own subclasses), with the module's request attached and the original as its
  cause.
"""

from __future__ import annotations

import functools
import ssl
import types
import typing
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator

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

__all__ = ["AsyncTransportAdapter", "SyncTransportAdapter"]


class LimitsLike(typing.Protocol):
    """The module's `Limits` (read as faststream's `Limits`)."""

    @property
    def max_connections(self) -> int | None: ...
    @property
    def max_keepalive_connections(self) -> int | None: ...
    @property
    def keepalive_expiry(self) -> float | None: ...


# faststream's proxy forms, plus the module's `Proxy` and `URL` (checked at run time)
ProxyArgument: typing.TypeAlias = "Proxy | URL | str | object | None"


def _limits(limits: Limits | LimitsLike) -> Limits:
    if isinstance(limits, Limits):
        return limits
    return Limits(
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
    )


def _proxy(module: types.ModuleType, proxy: ProxyArgument) -> Proxy | URL | str | None:
    if isinstance(proxy, module.Proxy):
        return Proxy(
            str(proxy.url),
            ssl_context=proxy.ssl_context,
            auth=proxy.auth,
            headers=proxy.headers.raw,
        )
    if isinstance(proxy, module.URL):
        return str(proxy)
    if proxy is None or isinstance(proxy, (Proxy, URL, str)):
        return proxy
    raise TypeError(f"Unsupported proxy type: {type(proxy)!r}")


def _request(request: typing.Any, stream: SyncByteStream | AsyncByteStream) -> Request:
    """faststream's request for the module's `request`, with the body `stream` (wrapped).

    The headers are the client's as they are (it set Host, Content-Length or chunked framing):
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


def _mapped(module: types.ModuleType, exc: RequestError, request: typing.Any) -> Exception:
    """The module's exception for faststream's `exc`: the class of the same name, or of the
    nearest base class the module has (faststream's `ResponseTooLarge` is `DecodingError`)."""
    for cls in type(exc).__mro__:
        target = getattr(module, cls.__name__, None)
        if isinstance(target, type) and issubclass(target, module.RequestError):
            error: Exception = target(str(exc), request=request)
            return error
    fallback: Exception = module.RequestError(str(exc), request=request)
    return fallback  # pragma: no cover - RequestError itself always maps


# -- bodies ----------------------------------------------------------------------------------


class _SyncRequestBody(SyncByteStream):
    """A client's request body streamed into faststream's connection as it is produced."""

    def __init__(self, stream: Iterable[bytes]) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        yield from self._stream


class _AsyncRequestBody(AsyncByteStream):
    def __init__(self, stream: AsyncIterable[bytes]) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for piece in self._stream:
            yield piece


class _SyncResponseBody:
    """faststream's raw response body as the module's response stream (combined with the
    module's `SyncByteStream` by `_body_type`, for the client's isinstance checks).

    One iterator over faststream's stream, made on first use: iterating again continues where
    the last iteration stopped, as httpx's own transport streams do (SDKs drain a stream they
    stopped reading by iterating it again). `close()` closes that iterator too, so an early
    exit leaves no generator behind for the garbage collector (or, async, for the event
    loop, which trio warns about)."""

    def __init__(self, module: types.ModuleType, stream: SyncByteStream, request: object) -> None:
        self._module = module
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
            raise _mapped(self._module, exc, self._request) from exc

    def close(self) -> None:
        iterator, self._iterator = self._iterator, None
        close = getattr(iterator, "close", None)
        if close is not None:
            close()
        self._stream.close()


class _AsyncResponseBody:
    """The async twin of `_SyncResponseBody`."""

    def __init__(self, module: types.ModuleType, stream: AsyncByteStream, request: object) -> None:
        self._module = module
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
            raise _mapped(self._module, exc, self._request) from exc

    async def aclose(self) -> None:
        iterator, self._iterator = self._iterator, None
        if iterator is not None:
            await aclose_iterator(iterator)
        await self._stream.aclose()


@functools.cache
def _body_type(body: type, base: type) -> type:
    """`body` that is also an instance of the module's stream class `base` (httpx's client
    refuses a response stream of any other class). Made once per pair."""
    return type(body.__name__, (body, base), {"__module__": __name__})


# -- the transports --------------------------------------------------------------------------


_Inner = typing.TypeVar("_Inner", HTTPTransport, AsyncHTTPTransport)
_Req = typing.TypeVar("_Req")  # the module's Request
_Resp = typing.TypeVar("_Resp")  # the module's Response


class _Adapter(typing.Generic[_Inner]):
    """What the sync and async transports share: the module (`_httpx`, set by the concrete
    class), faststream's transport made from the module's transport arguments, and the
    conversion of requests and responses; the subclass names its body classes."""

    _httpx: typing.ClassVar[types.ModuleType]
    _stream_class: typing.ClassVar[str]  # the module's stream class the client must use
    _request_body: typing.ClassVar[type[_SyncRequestBody] | type[_AsyncRequestBody]]
    _response_body: typing.ClassVar[type[_SyncResponseBody] | type[_AsyncResponseBody]]
    _wrong_stream: typing.ClassVar[str]

    def __init__(
        self,
        verify: ssl.SSLContext | str | bool = True,
        cert: CertTypes | None = None,
        trust_env: bool = True,
        http1: bool = True,
        http2: bool = False,
        limits: Limits | LimitsLike = DEFAULT_LIMITS,
        proxy: ProxyArgument = None,
        uds: str | None = None,
        local_address: str | None = None,
        retries: int = 0,
        socket_options: Iterable[SocketOption] | None = None,
        max_header_fields: int = MAX_HEADERS,
    ) -> None:
        self._transport: _Inner = self._inner_transport(
            verify=verify,
            cert=cert,
            trust_env=trust_env,
            http1=http1,
            http2=http2,
            limits=_limits(limits),
            proxy=_proxy(self._httpx, proxy),
            uds=uds,
            local_address=local_address,
            retries=retries,
            socket_options=socket_options,
            max_header_fields=max_header_fields,
        )

    def _inner_transport(self, **options: typing.Any) -> _Inner:
        raise NotImplementedError  # pragma: no cover - each adapter names its transport

    def _request(self, request: typing.Any) -> Request:
        stream = request.stream
        body: SyncByteStream | AsyncByteStream
        if isinstance(stream, self._httpx.ByteStream):
            body = ByteStream(b"".join(stream))  # in memory: one value, replayable
        elif isinstance(stream, getattr(self._httpx, self._stream_class)):
            body = self._request_body(stream)
        else:
            raise RuntimeError(self._wrong_stream)
        return _request(request, body)

    def _response(self, request: typing.Any, response: Response) -> typing.Any:
        module = self._httpx
        body: type = self._response_body
        body_type = _body_type(body, getattr(module, self._stream_class))
        return module.Response(
            response.status_code,
            headers=response.headers.raw,
            stream=body_type(module, response.stream, request),
            extensions=response.extensions,
        )


class SyncTransportAdapter(_Adapter[HTTPTransport], typing.Generic[_Req, _Resp]):
    """The body of a sync transport:
    ``class T(SyncTransportAdapter[module.Request, module.Response], module.BaseTransport)``
    with ``_httpx = module``.

    The arguments are those of the module's `HTTPTransport` that faststream supports
    (`limits` and `proxy` may be the module's or faststream's objects), plus faststream's
    `max_header_fields`."""

    _stream_class = "SyncByteStream"
    _request_body = _SyncRequestBody
    _response_body = _SyncResponseBody
    _wrong_stream = "Attempted to send an async request with a sync Client instance."

    def _inner_transport(self, **options: typing.Any) -> HTTPTransport:
        return HTTPTransport(**options)

    def handle_request(self, request: _Req) -> _Resp:
        try:
            response = self._transport.handle_request(self._request(request))
        except RequestError as exc:
            raise _mapped(self._httpx, exc, request) from exc
        return typing.cast(_Resp, self._response(request, response))

    def close(self) -> None:
        self._transport.close()


class AsyncTransportAdapter(_Adapter[AsyncHTTPTransport], typing.Generic[_Req, _Resp]):
    """The body of an async transport, on asyncio (uvloop too) or trio: ``class
    T(AsyncTransportAdapter[module.Request, module.Response], module.AsyncBaseTransport)``
    with ``_httpx = module``. Same arguments as `SyncTransportAdapter`."""

    _stream_class = "AsyncByteStream"
    _request_body = _AsyncRequestBody
    _response_body = _AsyncResponseBody
    _wrong_stream = "Attempted to send a sync request with an AsyncClient instance."

    def _inner_transport(self, **options: typing.Any) -> AsyncHTTPTransport:
        return AsyncHTTPTransport(**options)

    async def handle_async_request(self, request: _Req) -> _Resp:
        try:
            response = await self._transport.handle_async_request(self._request(request))
        except RequestError as exc:
            raise _mapped(self._httpx, exc, request) from exc
        return typing.cast(_Resp, self._response(request, response))

    async def aclose(self) -> None:
        await self._transport.aclose()
