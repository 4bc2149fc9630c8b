"""`AsyncHTTPTransport`: HTTP/1.1 on asyncio, with a connection pool.

It behaves as `HTTPTransport` (`_http11.py`) does: the same constructor (whose validation and
settings it reuses: TLS context built on the first https request, proxy credentials), the
same exceptions, timeouts from `request.extensions["timeout"]`, caps and never-pool rules
(the sans-I/O steps of `_connection.py`), http proxies in absolute form and CONNECT tunnels
for https, connection retries, and the retry-once of an idempotent request whose reused
keep-alive connection turns out to be dead (THREATS F10). The I/O is `_async_connection.py`;
the pool `_async_pool.py`.

Cancellation (THREATS F6-F9): every path that gives a connection back to the pool is
synchronous -- closing a response, an error or a cancellation mid-stream, a cancellation while
connecting or while waiting for the pool -- so it cannot be interrupted, and doing it twice is
a no-op. A cancelled connection attempt gives its slot back; a cancelled exchange closes its
connection.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import sys
import typing
from collections.abc import AsyncIterator, Iterable
from types import TracebackType

from .._config import DEFAULT_LIMITS, Limits
from .._exceptions import (
    ConnectError,
    ConnectTimeout,
    ProxyError,
    RemoteProtocolError,
    RequestError,
)
from .._response import Response
from .._streams import AsyncByteStream
from ._async_connection import AsyncConnection, AsyncNetworkStream
from ._async_pool import AsyncConnectionPool
from ._base import AsyncBaseTransport
from ._connection import Head, ServerDisconnected
from ._settings import (
    DEFAULT_PORTS,
    PooledStream,
    TransportSettings,
    asks_close,
    replayable,
    retry_delays,
)
from ._sockets import SocketOption

if typing.TYPE_CHECKING:
    from .._request import Request
    from .._types import CertTypes, ProxyTypes

__all__ = ["AsyncHTTPTransport"]


class AsyncHTTPTransport(AsyncBaseTransport):
    """The default transport of `AsyncClient`: HTTP/1.1 with keep-alive connection pooling.

    The arguments are `HTTPTransport`'s, with the same meaning.
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
        )
        self._pool = AsyncConnectionPool(limits)

    # -- the transport API ------------------------------------------------------------------

    async def handle_async_request(self, request: Request) -> Response:
        scheme, host, port, key, method, target, headers = self._settings.route(request)
        timeouts: dict[str, float | None] = request.extensions.get("timeout") or {}
        stream = request.stream
        if not isinstance(stream, AsyncByteStream):
            raise RuntimeError("Attempted to send an sync request with an AsyncClient instance.")

        pool = self._pool
        retried = False
        while True:
            connection = await pool.acquire(key, timeouts.get("pool"))
            if connection is None:
                try:
                    connection = await self._open(key, scheme, host, port, timeouts.get("connect"))
                except BaseException:
                    pool.discard()
                    raise
            try:
                await connection.send_request(
                    method, target, headers, stream, timeouts.get("write")
                )
                head = await connection.receive_head(timeouts.get("read"))
            except ServerDisconnected as exc:
                reused = connection.responses > 0
                pool.discard(connection)
                if reused and not retried and replayable(method, stream):
                    retried = True
                    continue
                raise RemoteProtocolError(str(exc)) from exc
            except BaseException:
                pool.discard(connection)
                raise
            break

        keep_alive = head.keep_alive and not asks_close(headers)
        return Response._from_transport(
            head.status_code,
            head.headers,
            AsyncResponseStream(pool, connection, head, keep_alive, request, timeouts.get("read")),
            {
                "http_version": head.http_version,
                "reason_phrase": head.reason_phrase,
                "network_stream": AsyncNetworkStream(connection),
            },
        )

    async def aclose(self) -> None:
        self._pool.close()

    # -- connections ------------------------------------------------------------------------

    async def _open(
        self, key: typing.Hashable, scheme: str, host: str, port: int, timeout: float | None
    ) -> AsyncConnection:
        delays = retry_delays()
        retries = self._settings.retries
        for attempt in range(retries + 1):
            try:
                with _Deadline(timeout):
                    return await self._connect(key, scheme, host, port)
            except (ConnectError, ConnectTimeout):
                if attempt == retries:
                    raise
                await asyncio.sleep(next(delays))
        raise AssertionError("unreachable")  # pragma: no cover

    async def _connect(
        self, key: typing.Hashable, scheme: str, host: str, port: int
    ) -> AsyncConnection:
        settings = self._settings
        proxy = settings.proxy
        loop = asyncio.get_running_loop()
        connection = AsyncConnection(key, loop)
        if proxy is None:
            context = settings.ssl_context() if scheme == "https" else None
            await self._transport(loop, connection, host, port, context, host, settings.uds)
            return connection
        proxy_url = proxy.url
        proxy_port = proxy_url.port or DEFAULT_PORTS[proxy_url.scheme]
        context = None
        if proxy_url.scheme == "https":
            if scheme == "https":
                raise ProxyError(
                    "faststream does not support https:// URLs through an https:// proxy "
                    "(TLS inside TLS) yet."
                )
            context = proxy.ssl_context or settings.ssl_context()
        await self._transport(loop, connection, proxy_url.host, proxy_port, context, None, None)
        if scheme == "https":
            try:
                await self._tunnel(connection, host, port)
                tls = await _guard(
                    loop.start_tls(
                        connection.transport,
                        connection,
                        settings.ssl_context(),
                        server_hostname=host,
                    )
                )
            except BaseException:
                connection.close()
                raise
            assert tls is not None
            connection.transport = tls
        return connection

    async def _transport(
        self,
        loop: asyncio.AbstractEventLoop,
        connection: AsyncConnection,
        host: str,
        port: int,
        context: ssl.SSLContext | None,
        server_hostname: str | None,
        uds: str | None,
    ) -> None:
        """Connect `connection` (TCP or `uds`, then TLS when `context` is given)."""
        settings = self._settings
        tls: dict[str, typing.Any] = {}
        if context is not None:
            tls = {"ssl": context, "server_hostname": server_hostname or host}
        if uds is not None:
            await _guard(loop.create_unix_connection(lambda: connection, uds, **tls))
        elif settings.socket_options is None and settings.local_address is None:
            await _guard(loop.create_connection(lambda: connection, host, port, **tls))
        else:
            sock = await _guard(_open_socket(loop, host, port, settings))
            try:
                await _guard(loop.create_connection(lambda: connection, sock=sock, **tls))
            except BaseException:
                sock.close()
                raise

    async def _tunnel(self, connection: AsyncConnection, host: str, port: int) -> None:
        """Ask the proxy on `connection` for a tunnel to `host:port` (CONNECT)."""
        authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        target = authority.encode("idna" if not authority.isascii() else "ascii")
        headers = [(b"Host", target), *self._settings.proxy_headers]
        try:
            await connection.send_request(b"CONNECT", target, headers, None, None)
            head = await connection.receive_head(None)
        except RequestError as exc:
            raise ProxyError(str(exc)) from exc
        if not 200 <= head.status_code < 300:
            reason = head.reason_phrase.decode("ascii", errors="replace")
            raise ProxyError(f"{head.status_code} {reason}")
        if head.leftover or connection.pieces:
            raise ProxyError("The proxy sent bytes before the TLS handshake of the tunnel.")
        connection.idle()


class AsyncResponseStream(PooledStream, AsyncByteStream):
    """The body of a response on a pooled connection.

    Reading it to the end gives the connection back to the pool (kept when reusable); closing
    it early, an error or a cancellation closes the connection. `aclose()` never awaits, so a
    cancellation cannot interrupt it, and it is idempotent. A stream garbage-collected while
    still open closes its connection and warns with `ResourceWarning`.
    """

    _CLOSE_ADVICE = "use `async with client.stream(...)` or call `await response.aclose()`"

    def __init__(
        self,
        pool: AsyncConnectionPool,
        connection: AsyncConnection,
        head: Head,
        keep_alive: bool,
        request: Request,
        read_timeout: float | None,
    ) -> None:
        self._pool = pool
        self._connection: AsyncConnection | None = connection
        self._keep_alive = keep_alive
        self._request = request
        self._read_timeout = read_timeout

    async def __aiter__(self) -> AsyncIterator[bytes]:
        connection = self._connection
        if connection is None:
            raise RuntimeError("The response stream was closed.")
        pieces = connection.pieces
        popleft = pieces.popleft
        timeout = self._read_timeout
        try:
            while True:
                if pieces:
                    piece = popleft()
                    connection.taken(len(piece))
                    yield piece
                elif connection.error is not None:
                    raise connection.error
                elif connection.done:
                    break
                else:
                    await connection.wait(timeout)
        except BaseException as exc:
            if isinstance(exc, RequestError) and exc._request is None:
                exc.request = self._request
            self._finish(False)
            raise
        self._finish(self._keep_alive and connection.reusable())

    async def aclose(self) -> None:
        self._finish(False)


# -- connecting ---------------------------------------------------------------------------


_T = typing.TypeVar("_T")


async def _guard(awaitable: typing.Awaitable[_T]) -> _T:
    """Await a connection step; OS and TLS failures become `ConnectError`."""
    try:
        return await awaitable
    except (OSError, ssl.SSLError, ValueError) as exc:
        raise ConnectError(str(exc)) from exc


async def _open_socket(
    loop: asyncio.AbstractEventLoop, host: str, port: int, settings: TransportSettings
) -> socket.socket:
    """A connected non-blocking TCP socket with the transport's socket options and local
    address: each address `getaddrinfo` gives is tried in turn; the last failure is raised."""
    options = list(settings.socket_options or ())
    local_address = settings.local_address
    last_error: OSError | None = None
    for family, kind, proto, _, address in await loop.getaddrinfo(
        host, port, type=socket.SOCK_STREAM
    ):
        sock = socket.socket(family, kind, proto)
        try:
            sock.setblocking(False)
            for option in options:
                sock.setsockopt(*option)
            if local_address is not None:
                sock.bind((local_address, 0))
            await loop.sock_connect(sock, address)
        except BaseException as exc:
            sock.close()
            if not isinstance(exc, OSError):
                raise
            last_error = exc
            continue
        return sock
    raise last_error or OSError(f"getaddrinfo returned nothing for {host!r}")


class _Deadline:
    """`with _Deadline(seconds):` cancels the enclosed awaits after `seconds` and raises
    `ConnectTimeout` instead (None: no limit). Works on Python 3.10 (no `asyncio.timeout`);
    cancelling the task rather than wrapping the work in another one means asyncio's own
    cleanup of a half-made connection runs, and no finished connection is ever dropped."""

    __slots__ = ("_fired", "_handle", "_task", "_timeout")

    def __init__(self, timeout: float | None) -> None:
        self._timeout = timeout
        self._fired = False
        self._handle: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[typing.Any] | None = None

    def __enter__(self) -> None:
        if self._timeout is not None:
            self._task = asyncio.current_task()
            self._handle = asyncio.get_running_loop().call_later(self._timeout, self._fire)

    def _fire(self) -> None:
        self._fired = True
        assert self._task is not None
        self._task.cancel()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._handle is not None:
            self._handle.cancel()
        if self._fired:
            assert self._task is not None
            if sys.version_info >= (3, 11) and self._task.uncancel() > 0:
                return  # cancelled from outside as well: let that cancellation through
            if exc_type is asyncio.CancelledError:
                raise ConnectTimeout("timed out") from None
