"""`AsyncHTTPTransport`: HTTP/1.1 with a connection pool, on asyncio or trio.

The request and the response head go through `_cstream`'s compiled serialiser and head parser
(h11's strictness; their pure twins are h11 itself), the body through the `_cstream` framing
readers: the sans-I/O exchange is `_http11_exchange.py`. The network backend that moves the
bytes is chosen per request (`_backends.py`). Connections are pooled per origin; the pool
belongs to the transport, and so do its TLS settings, so a connection is only ever reused
with the verification it was opened with. No TLS context is built before the first https
request.

Proxies: a SOCKS5 proxy (`socks5://`, `socks5h://`) gets its handshake right after the
connection to it is made, then the exchange (in TLS for https) runs through it as if it
were the origin; `socks5` resolves the host name here and sends the proxy an address,
`socks5h` sends the name. An http proxy receives http requests in absolute form (with
`Proxy-Authorization` from the proxy's credentials); https requests go through a CONNECT
tunnel, with the proxy's credentials on the CONNECT request only, never on the request to
the origin. Through an https proxy, the origin's TLS session runs inside the proxy's (TLS
inside TLS): the connection to the proxy is verified with the proxy's `ssl_context` (or the
transport's), the origin with the transport's, as for a direct request. With `http2=True` the
origin's TLS session, inside a tunnel or through SOCKS, offers h2 by ALPN as a direct one does,
and an origin that picks it gets an HTTP/2 connection pooled and multiplexed as a direct one;
the proxy's own TLS session offers http/1.1 alone (the CONNECT is HTTP/1.1).

Retries: `retries=N` retries a connection attempt that failed (`ConnectError`,
`ConnectTimeout`) up to N times, waiting 0, 0.5, 1, 2... seconds, as httpx. Beyond httpx: a
request with an idempotent method and a replayable body, sent on a reused keep-alive
connection that the server turns out to have closed before any byte of a response, is sent
once more on a fresh connection.

Cancellation: every path that gives a connection back to the pool is synchronous -- closing a
response, an error or a cancellation mid-stream, a cancellation while connecting or while
waiting for the pool -- so it cannot be interrupted, and doing it twice is a no-op. A
cancelled connection attempt gives its slot back; a cancelled exchange closes its connection.
"""

from __future__ import annotations

import collections
import ssl
import time
import typing
from collections.abc import AsyncIterator, Iterable

from .. import _mocking
from .._config import DEFAULT_LIMITS, Limits
from .._exceptions import (
    ConnectError,
    ConnectTimeout,
    ProxyError,
    ReadTimeout,
    RemoteProtocolError,
    RequestError,
    TimeoutException,
    WriteTimeout,
)
from .._response import Response
from .._streams import AsyncByteStream
from ._async_http2 import AsyncHTTP2ResponseStream, AsyncHTTP2Routes
from ._async_pool import AsyncConnectionPool
from ._backends import AsyncBackend, AsyncConnection, current_async_backend
from ._base import AsyncBaseTransport
from ._deadlines import Deadlines
from ._http11_exchange import MAX_HEADERS, ServerDisconnected, replayable
from ._settings import DEFAULT_PORTS, Dial, PooledStream, TransportSettings, retry_delays
from ._sockets import SocketOption
from ._socks import SocksHandshake, address_family, needs_address

Key: typing.TypeAlias = typing.Hashable
Seconds: typing.TypeAlias = float | None
Timeouts: typing.TypeAlias = dict[str, typing.Any]
_SOCKS_PORT = 1080  # a SOCKS proxy URL without a port


def _refused(count: int) -> int:
    """One more request the server refused unprocessed; after 3, `RemoteProtocolError`."""
    if count >= 3:
        raise RemoteProtocolError("The server refused the request on 4 HTTP/2 connections.")
    return count + 1


def _remaining(deadline: float | None) -> float | None:
    """The seconds left until `deadline` (None: no limit), never below zero."""
    return None if deadline is None else max(0.0, deadline - time.monotonic())


def _alpn(connection: AsyncConnection) -> str | None:
    """The protocol the TLS session of `connection` (its innermost one) agreed by ALPN."""
    ssl_object = connection.network_stream.get_extra_info("ssl_object")
    return None if ssl_object is None else ssl_object.selected_alpn_protocol()


if typing.TYPE_CHECKING:
    from .._request import Request
    from .._types import CertTypes, ProxyTypes

__all__ = ["AsyncHTTPTransport"]


class AsyncHTTPTransport(AsyncBaseTransport):
    """The default transport of `AsyncClient`: HTTP/1.1 with keep-alive connection pooling.

    `verify`, `cert`, `trust_env` choose the TLS context (`create_ssl_context`); `limits` the
    pool size; `proxy` an http(s) proxy for every request; `uds` a Unix socket to connect to
    instead of TCP; `local_address` the local IP to bind; `retries` the connection retries;
    `socket_options` `setsockopt` arguments applied before connecting; `max_header_fields`
    the most header fields a response head may have (more: `RemoteProtocolError`).
    `http2=True` (needs h2, else `ImportError`) offers h2 by ALPN on https and uses whichever
    protocol the server picks; with `http1=False` too, http:// speaks h2c by prior knowledge.
    An HTTP/2 connection carries many requests at once; a request the server refused
    unprocessed (GOAWAY, REFUSED_STREAM) is sent again on another connection.
    """

    def __init__(
        self,
        verify: ssl.SSLContext | str | bool = True,
        cert: CertTypes | None = None,
        trust_env: bool = True,
        http1: bool = True,
        http2: bool = False,
        limits: Limits = DEFAULT_LIMITS,
        proxy: ProxyTypes | None = None,
        uds: str | None = None,
        local_address: str | None = None,
        retries: int = 0,
        socket_options: Iterable[SocketOption] | None = None,
        max_header_fields: int = MAX_HEADERS,
    ) -> None:
        self._settings = TransportSettings(
            verify,
            cert,
            trust_env,
            http1,
            http2,
            proxy,
            uds,
            local_address,
            retries,
            socket_options,
            max_header_fields,
        )
        self._pool = AsyncConnectionPool(limits)
        self._http2 = AsyncHTTP2Routes(self._pool, max_header_fields) if http2 else None
        # h2c by prior knowledge straight to the origin or through a SOCKS proxy (as httpx); an
        # http proxy gets http:// requests in absolute form, in HTTP/1.1.
        self._http1 = http1 or (self._settings.proxy is not None and not self._settings.socks)
        _mocking.notice_test_doubles()

    # -- the transport API ------------------------------------------------------------------

    async def handle_async_request(self, request: Request) -> Response:
        if _mocking.hook is not None:
            # A test double written for httpx (respx, pytest-httpx) is active: it answers, or
            # passes the request through to the network explicitly (None).
            mocked = await _mocking.hook.handle_async_request(self, request)
            if mocked is not None:
                return mocked
        scheme, host, port, key, method, target, headers = self._settings.route(request)
        timeouts: Timeouts = request.extensions.get("timeout") or {}
        deadlines = None
        if timeouts.get("total") is not None or timeouts.get("min_rate") is not None:
            # `total`/`min_rate` set: every wait is bounded by the time left (see Deadlines);
            # httpx's four keys alone set neither.
            deadlines = Deadlines(timeouts)
            timeouts = deadlines.bounded()
        stream = request.stream
        if not isinstance(stream, AsyncByteStream):
            raise RuntimeError("Attempted to send an sync request with an AsyncClient instance.")

        pool = self._pool
        http11: AsyncConnection | None = None  # lent by `_via_http2` for HTTP/1.1
        if self._http2 is not None:
            try:
                response = await self._via_http2(
                    scheme, host, port, key, target, headers, request, timeouts
                )
            except TimeoutException as exc:
                if deadlines is not None:
                    deadlines.expired(exc)
                raise
            if isinstance(response, Response):
                if deadlines is not None and isinstance(response.stream, AsyncHTTP2ResponseStream):
                    deadlines.start_body()
                    response.stream.deadlines = deadlines
                return response
            http11 = response  # the origin speaks HTTP/1.1
        retried = False
        while True:
            try:
                # An idle connection is handed over by a plain call; else wait for one or
                # for a slot to open a new one in.
                connection = http11 or pool.lend_now(key)
                http11 = None
                if connection is None:
                    # Only here: asyncio's running-loop check costs a `getpid` system call.
                    backend = current_async_backend()
                    connection = await pool.acquire(key, timeouts.get("pool"), backend)
                    if connection is None:
                        connection = await self._fill_slot(
                            backend, scheme, host, port, key, timeouts
                        )
            except TimeoutException as exc:
                if deadlines is not None:
                    deadlines.expired(exc)
                raise
            if deadlines is not None:
                timeouts = deadlines.bounded()  # the pool and connect waits took their time
            try:
                await connection.send_request(
                    method, target, headers, stream, timeouts.get("write")
                )
                head = await connection.receive_head(method, timeouts.get("read"))
            except ServerDisconnected as exc:
                reused = connection.responses > 0
                pool.discard(connection)
                if reused and not retried and replayable(method, stream):
                    retried = True
                    continue
                raise RemoteProtocolError(str(exc)) from exc
            except BaseException as exc:
                pool.discard(connection)
                if deadlines is not None and isinstance(exc, TimeoutException):
                    deadlines.expired(exc)
                raise
            break

        body = AsyncResponseStream(pool, connection, request, timeouts.get("read"))
        if deadlines is not None:
            deadlines.start_body()
            body.deadlines = deadlines
        return Response._from_transport(
            head.status_code,
            head.headers,
            body,
            {
                "http_version": head.http_version,
                "reason_phrase": head.reason_phrase,
                "network_stream": connection.network_stream,
            },
        )

    async def aclose(self) -> None:
        if self._http2 is not None:
            self._http2.close()
        self._pool.close()

    async def _via_http2(
        self,
        scheme: str,
        host: str,
        port: int,
        key: Key,
        target: bytes,
        headers: list[tuple[bytes, bytes]],
        request: Request,
        timeouts: Timeouts,
    ) -> Response | AsyncConnection | None:
        """The response over an HTTP/2 connection to the origin (an open one with room, else
        a new one), or, when the origin speaks HTTP/1.1, the connection just opened to find
        that out (or an idle one), lent for the HTTP/1.1 exchange: handed over as it is, since
        an idle check would take the TLS session tickets that arrive after the handshake for
        a sign of a dead connection. None: the origin answered in HTTP/1.1 before."""
        http2 = self._http2
        assert http2 is not None
        pool = self._pool
        refused = 0
        pool_timeout = timeouts.get("pool")
        deadline = None if pool_timeout is None else time.monotonic() + pool_timeout
        while True:
            multiplexed = http2.find(key)
            if multiplexed is not None:
                response = await http2.send(
                    multiplexed, key, request, scheme, target, headers, timeouts
                )
                if response is not None:
                    return response
                refused = _refused(refused)
                continue
            if http2.speaks_http1(key):
                return None
            backend = current_async_backend()
            if await http2.wait_for_stream(key, backend, pool_timeout, deadline):
                continue  # a stream was given back on a full connection: look again
            if await http2.wait_for_opening(key, backend, timeouts.get("pool")):
                continue  # another request opened a connection to this origin: look again
            http1 = False  # the origin answered in HTTP/1.1
            try:
                connection = await pool.acquire(key, timeouts.get("pool"), backend)
                if connection is None:
                    connection = await self._fill_slot(backend, scheme, host, port, key, timeouts)
                    if http2.negotiated(connection, scheme, self._http1):
                        await http2.adopt(connection, backend, key, timeouts.get("connect"))
                        continue
                http1 = True
                return connection
            finally:
                http2.opening_done(key, http1)

    # -- connections ------------------------------------------------------------------------

    async def _fill_slot(
        self, backend: AsyncBackend, scheme: str, host: str, port: int, key: Key, timeouts: Timeouts
    ) -> AsyncConnection:
        """`_open` in the slot `pool.acquire` just reserved: the connection is recorded in the
        pool once open, and the slot is given back when opening fails or is cancelled (else
        the pool would count a connection that does not exist)."""
        pool = self._pool
        try:
            connection = await self._open(backend, scheme, host, port, key, timeouts)
        except BaseException:
            pool.discard()
            raise
        pool.opened(connection)
        return connection

    async def _open(
        self, backend: AsyncBackend, scheme: str, host: str, port: int, key: Key, timeouts: Timeouts
    ) -> AsyncConnection:
        """A new connection to `host:port` (through the proxy, if any), with the retries."""
        delays = retry_delays()
        retries = self._settings.retries
        timeout = timeouts.get("connect")
        for attempt in range(retries + 1):
            try:
                return await self._connect(backend, scheme, host, port, key, timeout)
            except (ConnectError, ConnectTimeout):
                if attempt == retries:
                    raise
                await backend.sleep(next(delays))
        raise AssertionError("unreachable")  # pragma: no cover

    async def _connect(
        self, backend: AsyncBackend, scheme: str, host: str, port: int, key: Key, timeout: Seconds
    ) -> AsyncConnection:
        settings = self._settings
        proxy = settings.proxy
        if proxy is None:
            context = settings.ssl_context() if scheme == "https" else None
            dial = Dial(key, host, port, timeout, context, settings.uds)
            return await backend.connect(dial, settings)
        proxy_url = proxy.url
        if settings.socks:
            return await self._connect_socks(backend, scheme, host, port, key, timeout)
        proxy_port = proxy_url.port or DEFAULT_PORTS[proxy_url.scheme]
        context = None
        if proxy_url.scheme == "https":
            context = proxy.ssl_context or settings.proxy_ssl_context()
        dial = Dial(key, proxy_url.host, proxy_port, timeout, context, None)
        connection = await backend.connect(dial, settings)
        if context is not None and _alpn(connection) == "h2":
            # Only when the proxy's context offered h2 (the caller's own, shared with the
            # origins): the proxy speaks HTTP/2, and CONNECT here is HTTP/1.1.
            connection.close()
            raise ProxyError(
                "The https proxy chose HTTP/2 for its own TLS session; give the proxy an"
                " ssl_context of its own (Proxy(ssl_context=...)) that does not offer h2."
            )
        if scheme == "https":
            try:
                await self._tunnel(connection, host, port, timeout)
                await connection.start_tls(settings.ssl_context(), host, timeout)
            except BaseException:
                connection.close()
                raise
        return connection

    async def _connect_socks(
        self, backend: AsyncBackend, scheme: str, host: str, port: int, key: Key, timeout: Seconds
    ) -> AsyncConnection:
        """A connection to `host:port` through the SOCKS proxy: the handshake runs on the
        connection to the proxy before any byte for the origin (TLS or HTTP) is sent, and
        all of it within the connect timeout."""
        settings = self._settings
        proxy = settings.proxy
        assert proxy is not None
        deadline = None if timeout is None else time.monotonic() + timeout
        if needs_address(proxy.url.scheme, host):
            # socks5, socks4: the name is resolved here and the proxy gets an address.
            family = address_family(proxy.url.scheme)
            host_or_address = await backend.resolve(host, port, timeout, family)
        else:
            host_or_address = host
        handshake = SocksHandshake(proxy, host_or_address, port)
        proxy_port = proxy.url.port or _SOCKS_PORT
        dial = Dial(key, proxy.url.host, proxy_port, _remaining(deadline), None, None)
        connection = await backend.connect(dial, settings)
        try:
            while not handshake.done:
                data = handshake.data_to_send()
                try:
                    if data:
                        await connection.send_raw(data, _remaining(deadline))
                    received = await connection.receive_raw(_remaining(deadline))
                except (ReadTimeout, WriteTimeout):
                    raise ConnectTimeout("Timed out during the SOCKS proxy handshake.") from None
                except RequestError as exc:
                    raise ProxyError(f"SOCKS proxy handshake failed: {exc}") from exc
                handshake.receive(received)
            connection.idle()
            if scheme == "https":
                await connection.start_tls(settings.ssl_context(), host, _remaining(deadline))
        except BaseException:
            connection.close()
            raise
        return connection

    async def _tunnel(
        self, connection: AsyncConnection, host: str, port: int, timeout: float | None
    ) -> None:
        """Ask the proxy on `connection` for a tunnel to `host:port` (CONNECT)."""
        authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        target = authority.encode("idna" if not authority.isascii() else "ascii")
        headers = [(b"Host", target), *self._settings.proxy_headers]
        try:
            await connection.send_request(b"CONNECT", target, headers, None, timeout)
            head = await connection.receive_head(b"CONNECT", timeout)
        except RequestError as exc:
            raise ProxyError(str(exc)) from exc
        if not 200 <= head.status_code < 300:
            reason = head.reason_phrase.decode("ascii", errors="replace")
            raise ProxyError(f"{head.status_code} {reason}")
        connection.idle()
        if head.leftover or connection.stale():
            raise ProxyError("The proxy sent bytes before the TLS handshake of the tunnel.")


class AsyncResponseStream(PooledStream, AsyncByteStream):
    """The body of a response on a pooled connection.

    Reading it to the end gives the connection back to the pool (kept when reusable); closing
    it early, an error or a cancellation closes the connection. `aclose()` never suspends, so
    a cancellation cannot interrupt it, and it is idempotent. A stream garbage-collected while
    still open closes its connection and warns with `ResourceWarning`.
    """

    _CLOSE_ADVICE = "use `async with client.stream(...)` or call `await response.aclose()`"
    #: HTTP/1.1 chunked trailer fields (lowercased name, value), set once the body has been
    #: read to its end (`Response.trailers`); trailers also keep the connection out of the pool.
    trailers: typing.Sequence[tuple[bytes, bytes]] = ()
    #: The total deadline and rate window, when the request set them: each read's timeout is
    #: then bounded by them, checked once before the loop so that without them it is unchanged.
    deadlines: Deadlines | None = None
    #: `readinto`: what it took from pieces and has not handed out yet; the body was read to
    #: its end (so a further call returns 0, not an error).
    _held: collections.deque[memoryview] | None = None
    _ended = False

    def __init__(
        self,
        pool: AsyncConnectionPool,
        connection: AsyncConnection,
        request: Request,
        read_timeout: float | None,
    ) -> None:
        self._pool = pool
        self._connection: AsyncConnection | None = connection
        self._request = request
        self._read_timeout = read_timeout

    async def __aiter__(self) -> AsyncIterator[bytes]:
        connection = self._connection
        if connection is None:
            raise RuntimeError("The response stream was closed.")
        read_pieces = connection.read_pieces
        body = connection.body
        assert body is not None  # set by receive_head
        reader = body.reader
        timeout = self._read_timeout
        deadlines = self.deadlines
        try:
            if deadlines is not None:
                wait = deadlines.wait
                counting = deadlines.rate is not None
                while True:
                    try:
                        pieces = await read_pieces(wait(timeout))
                    except TimeoutException as exc:
                        deadlines.expired(exc)
                        raise
                    if not pieces:
                        break
                    if counting:
                        deadlines.received(pieces)
                    last = reader.done
                    for piece in pieces:
                        yield piece
                    if last:
                        break
            else:
                while True:
                    pieces = await read_pieces(timeout)
                    if not pieces:
                        break
                    # Read now, not after yielding: a backend fed by callbacks may finish the body
                    # while the consumer holds these pieces, with more pieces queued behind them.
                    # Done, the reader has handed out everything (an error leaves it unfinished,
                    # and the bytes that came with the head were fed with the first pieces).
                    last = reader.done
                    for piece in pieces:
                        yield piece
                    if last:
                        break
        except BaseException as exc:
            self._failed(exc)
            raise
        self.trailers = reader.trailers
        self._finish(body.reusable())

    async def _read_to_end(self, pieces: list[bytes]) -> None:
        """Append the rest of the body to `pieces`: what `__aiter__` yields, for a caller
        that wants it all (`Response.aread`), without a generator per response. Errors,
        closing and the connection's return are as for `__aiter__`."""
        connection = self._connection
        if connection is None or self.deadlines is not None:
            async for piece in self:  # the deadlines bound each read there
                pieces.append(piece)
            return
        read_pieces = connection.read_pieces
        body = connection.body
        assert body is not None  # set by receive_head
        reader = body.reader
        timeout = self._read_timeout
        try:
            while True:
                got = await read_pieces(timeout)
                if not got:
                    break
                last = reader.done  # as in `__aiter__`: read before the pieces are handed on
                pieces += got
                if last:
                    break
        except BaseException as exc:
            self._failed(exc)
            raise
        self.trailers = reader.trailers
        self._finish(body.reusable())

    async def readinto(self, target: memoryview) -> int:
        """The next body bytes into `target` (a flat, writable byte view, not empty): their
        count, 0 at the end (the connection then goes back as after `__aiter__`).

        A backend with `receive_into` receives straight into `target` when it can (an
        HTTP/1.1 Content-Length or close-delimited body, or the data of a big chunk, with no
        bytes waiting); otherwise the next pieces are copied in, and what does not fit is
        held for the next call.
        Deadlines, errors and closing are as for `__aiter__`.
        """
        held = self._held
        if held:
            piece = held[0]
            count = min(piece.nbytes, target.nbytes)
            target[:count] = piece[:count]
            if count == piece.nbytes:
                held.popleft()
            else:
                held[0] = piece[count:]
            return count
        connection = self._connection
        if connection is None:
            if self._ended:
                return 0
            raise RuntimeError("The response stream was closed.")
        body = connection.body
        assert body is not None  # set by receive_head
        reader = body.reader
        deadlines = self.deadlines
        timeout = self._read_timeout if deadlines is None else deadlines.wait(self._read_timeout)
        try:
            try:
                receive_into = getattr(connection, "receive_into", None)
                if receive_into is not None:
                    got: int | list[bytes] = await receive_into(target, timeout)
                else:
                    got = await connection.read_pieces(timeout)
            except TimeoutException as exc:
                if deadlines is not None:
                    deadlines.expired(exc)
                raise
        except BaseException as exc:
            self._failed(exc)
            raise
        if isinstance(got, int):  # received straight into `target`
            if deadlines is not None and deadlines.rate is not None:
                deadlines.received((target[:got],))  # type: ignore[arg-type]
            return got
        pieces = got
        if deadlines is not None and deadlines.rate is not None:
            deadlines.received(pieces)
        if not pieces:
            self.trailers = reader.trailers
            self._ended = True
            self._finish(body.reusable())
            return 0
        self._held = collections.deque(memoryview(piece) for piece in pieces)
        return await self.readinto(target)

    def _failed(self, exc: BaseException) -> None:
        """The body read failed with `exc`: name this request in it, drop the connection."""
        if isinstance(exc, RequestError) and exc._request is None:
            exc.request = self._request
        self._finish(False)

    async def aclose(self) -> None:
        self._finish(False)
