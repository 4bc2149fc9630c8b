"""`HTTPTransport`: HTTP/1.1 over plain sockets and `ssl`, with a connection pool.

The request and the response head go through `_cstream`'s compiled serialiser and head parser
(h11's strictness; their pure twins are h11 itself), the body through the `_cstream` framing
readers (`_connection.py`). Connections are pooled per origin (`_pool.py`); the pool belongs to
the transport, and so do its TLS settings, so a connection is only ever reused with the
verification it was opened with. No TLS context is built before the first https request.

Proxies: an http proxy receives http requests in absolute form (with `Proxy-Authorization`
from the proxy's credentials); https requests go through a CONNECT tunnel, with the proxy's
credentials on the CONNECT request only, never on the request to the origin.

Retries: `retries=N` retries a connection attempt that failed (`ConnectError`,
`ConnectTimeout`) up to N times, waiting 0, 0.5, 1, 2... seconds, as httpx. Beyond httpx
(THREATS F10): a request with an idempotent method and a replayable body, sent on a reused
keep-alive connection that the server turns out to have closed before any byte of a response,
is sent once more on a fresh connection.
"""

from __future__ import annotations

import socket
import ssl
import time
import typing
from collections.abc import Iterable, Iterator

from .._config import DEFAULT_LIMITS, Limits
from .._exceptions import (
    ConnectError,
    ConnectTimeout,
    ProxyError,
    RemoteProtocolError,
    RequestError,
)
from .._response import Response
from .._streams import SyncByteStream
from ._base import BaseTransport
from ._connection import Connection, Head, ServerDisconnected
from ._pool import ConnectionPool
from ._settings import (
    DEFAULT_PORTS,
    PooledStream,
    TransportSettings,
    asks_close,
    replayable,
    retry_delays,
)
from ._sockets import SocketOption, open_socket, start_tls

if typing.TYPE_CHECKING:
    from .._request import Request
    from .._types import CertTypes, ProxyTypes

__all__ = ["HTTPTransport"]


class HTTPTransport(BaseTransport):
    """The default transport of `Client`: HTTP/1.1 with keep-alive connection pooling.

    `verify`, `cert`, `trust_env` choose the TLS context (`create_ssl_context`); `limits` the
    pool size; `proxy` an http(s) proxy for every request; `uds` a Unix socket to connect to
    instead of TCP; `local_address` the local IP to bind; `retries` the connection retries;
    `socket_options` `setsockopt` arguments applied before connecting. HTTP/2 is not
    implemented: `http2=True` raises `ImportError`.
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
        self._pool = ConnectionPool(limits)

    # -- the transport API ------------------------------------------------------------------

    def handle_request(self, request: Request) -> Response:
        scheme, host, port, key, method, target, headers = self._settings.route(request)
        timeouts: dict[str, float | None] = request.extensions.get("timeout") or {}
        stream = request.stream
        if not isinstance(stream, SyncByteStream):
            raise RuntimeError("Attempted to send an async request with a sync Client instance.")

        retried = False
        while True:
            connection = self._pool.acquire(key, timeouts.get("pool"))
            if connection is None:
                try:
                    connection = self._open(key, scheme, host, port, timeouts.get("connect"))
                except BaseException:
                    self._pool.discard()
                    raise
                self._pool.opened(connection)
            try:
                connection.send_request(method, target, headers, stream, timeouts.get("write"))
                head = connection.receive_head(method, timeouts.get("read"))
            except ServerDisconnected as exc:
                reused = connection.responses > 0
                self._pool.discard(connection)
                if reused and not retried and replayable(method, stream):
                    retried = True
                    continue
                raise RemoteProtocolError(str(exc)) from exc
            except BaseException:
                self._pool.discard(connection)
                raise
            break

        keep_alive = head.keep_alive and not asks_close(headers)
        return Response._from_transport(
            head.status_code,
            head.headers,
            ResponseStream(self._pool, connection, head, keep_alive, request, timeouts.get("read")),
            {
                "http_version": head.http_version,
                "reason_phrase": head.reason_phrase,
                "network_stream": connection.network_stream,
            },
        )

    def close(self) -> None:
        self._pool.close()

    # -- connections ------------------------------------------------------------------------

    def _open(
        self, key: typing.Hashable, scheme: str, host: str, port: int, timeout: float | None
    ) -> Connection:
        settings = self._settings
        delays = retry_delays()
        for attempt in range(settings.retries + 1):
            try:
                return Connection(self._connect(scheme, host, port, timeout), key)
            except (ConnectError, ConnectTimeout):
                if attempt == settings.retries:
                    raise
                time.sleep(next(delays))
        raise AssertionError("unreachable")  # pragma: no cover

    def _connect(self, scheme: str, host: str, port: int, timeout: float | None) -> socket.socket:
        settings = self._settings
        proxy = settings.proxy
        if proxy is None:
            sock = open_socket(
                host,
                port,
                timeout=timeout,
                local_address=settings.local_address,
                socket_options=settings.socket_options,
                uds=settings.uds,
            )
            if scheme == "https":
                return start_tls(sock, settings.ssl_context(), host, timeout)
            return sock
        proxy_url = proxy.url
        proxy_port = proxy_url.port or DEFAULT_PORTS[proxy_url.scheme]
        sock = open_socket(
            proxy_url.host,
            proxy_port,
            timeout=timeout,
            local_address=settings.local_address,
            socket_options=settings.socket_options,
        )
        if proxy_url.scheme == "https":
            if scheme == "https":
                sock.close()
                raise ProxyError(
                    "faststream does not support https:// URLs through an https:// proxy "
                    "(TLS inside TLS) yet."
                )
            context = proxy.ssl_context or settings.ssl_context()
            sock = start_tls(sock, context, proxy_url.host, timeout)
        if scheme == "https":
            try:
                self._tunnel(sock, host, port, timeout)
            except BaseException:
                sock.close()
                raise
            return start_tls(sock, settings.ssl_context(), host, timeout)
        return sock

    def _tunnel(self, sock: socket.socket, host: str, port: int, timeout: float | None) -> None:
        """Ask the proxy on `sock` for a tunnel to `host:port` (CONNECT)."""
        authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        target = authority.encode("idna" if not authority.isascii() else "ascii")
        tunnel = Connection(sock, None)
        headers = [(b"Host", target), *self._settings.proxy_headers]
        try:
            tunnel.send_request(b"CONNECT", target, headers, None, timeout)
            head = tunnel.receive_head(b"CONNECT", timeout)
        except RequestError as exc:
            raise ProxyError(str(exc)) from exc
        if not 200 <= head.status_code < 300:
            reason = head.reason_phrase.decode("ascii", errors="replace")
            raise ProxyError(f"{head.status_code} {reason}")
        if head.leftover:
            raise ProxyError("The proxy sent bytes before the TLS handshake of the tunnel.")


class ResponseStream(PooledStream, SyncByteStream):
    """The body of a response on a pooled connection.

    Reading it to the end gives the connection back to the pool (kept when reusable); closing
    it early, or an error, closes the connection. A stream garbage-collected while still open
    closes its connection and warns with `ResourceWarning`.
    """

    _CLOSE_ADVICE = "use `with client.stream(...)` or call `response.close()`"

    def __init__(
        self,
        pool: ConnectionPool,
        connection: Connection,
        head: Head,
        keep_alive: bool,
        request: Request,
        read_timeout: float | None,
    ) -> None:
        self._pool = pool
        self._read_timeout = read_timeout
        self._connection: Connection | None = connection
        self._head = head
        self._keep_alive = keep_alive
        self._request = request

    def __iter__(self) -> Iterator[bytes]:
        connection = self._connection
        if connection is None:
            raise RuntimeError("The response stream was closed.")
        reader = self._head.reader
        batches = connection.read_body(reader, self._head.leftover, self._read_timeout)
        try:
            for pieces in batches:
                yield from pieces
        except BaseException as exc:
            batches.close()
            if isinstance(exc, RequestError) and exc._request is None:
                exc.request = self._request
            self._finish(False)
            raise
        self._finish(self._keep_alive and reader.done and not reader.suspicious)

    def close(self) -> None:
        self._finish(False)
