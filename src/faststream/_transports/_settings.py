"""What `HTTPTransport` and `AsyncHTTPTransport` share besides their generated logic: their
validated settings, request routing, where to connect (`Dial`), the connection retry delays
and the bookkeeping of a response on a pooled connection (`PooledStream`).
"""

from __future__ import annotations

import base64
import ssl
import typing
import warnings
from collections.abc import Iterable, Iterator

from .._config import Proxy, create_ssl_context
from .._exceptions import UnsupportedProtocol
from .._urls import URL
from ._http11_exchange import KEPT_FIELDS_SIZE, MAX_HEADERS, Fields, KeptFields
from ._socks import SOCKS_SCHEMES, import_socksio

if typing.TYPE_CHECKING:
    from .._request import Request
    from .._types import CertTypes, ProxyTypes
    from ._sockets import SocketOption

__all__ = [
    "DEFAULT_PORTS",
    "Dial",
    "PooledStream",
    "Route",
    "TransportSettings",
    "retry_delays",
]

DEFAULT_PORTS = {"http": 80, "https": 443}
_FORWARD_KEY = ("proxy",)
_KNOWN_ROUTES = 256  # URLs whose route a transport keeps (see `TransportSettings.route`)


# Where and how a request goes: scheme, host, port, the pool key, method, request target and
# head fields. A plain tuple: the transports unpack it at once.
Route = tuple[str, str, int, typing.Hashable, bytes, bytes, list[tuple[bytes, bytes]]]
# The part of a route that depends on the URL alone: the URL itself, scheme, host, port, pool
# key, request target, and whether it goes to an http proxy in absolute form.
_KnownRoute = tuple[URL, str, str, int, typing.Hashable, bytes, bool]
# Head fields kept by the request fields they come from (see `TransportSettings.route`).
_Kept = dict[tuple[tuple[bytes, bytes, bytes], ...], KeptFields]
_KEPT_FIELD_LISTS = 128


class Dial(typing.NamedTuple):
    """Where a network backend connects: the pool key of the connection, the host and port
    (or the Unix socket `uds`), the connect timeout, and the TLS context to start at once
    (None: plain TCP)."""

    key: typing.Hashable
    host: str
    port: int
    timeout: float | None
    context: ssl.SSLContext | None
    uds: str | None


class TransportSettings:
    """A transport's validated configuration (the constructor arguments of `HTTPTransport`).

    The TLS context is built on the first https use (for the deprecated `verify=<str>` and
    `cert=`, at once, so that their DeprecationWarning comes from the constructor, as with
    httpx). `http2=True` needs h2 (the `http2` extra): without it the constructor raises
    `ImportError`, as httpx does. A SOCKS proxy needs `socksio` (the
    `socks` extra): without it the constructor raises `ImportError`, as httpx does.
    """

    def __init__(
        self,
        verify: ssl.SSLContext | str | bool,
        cert: CertTypes | None,
        trust_env: bool,
        http1: bool,
        http2: bool,
        proxy: ProxyTypes | None,
        uds: str | None,
        local_address: str | None,
        retries: int,
        socket_options: Iterable[SocketOption] | None,
        max_header_fields: int = MAX_HEADERS,
    ) -> None:
        if http2:
            try:
                import h2  # noqa: F401
            except ImportError:
                raise ImportError(
                    "Using http2=True, but the 'h2' package is not installed. "
                    "Make sure to install faststream using `pip install faststream-http[http2]`."
                ) from None
        elif not http1:
            raise ValueError("http1=False and http2=False leave no protocol to speak.")
        self.http1 = http1
        self.http2 = http2
        if isinstance(proxy, (str, URL)):
            proxy = Proxy(url=proxy)
        self.socks = False  # a SOCKS proxy: a handshake after connecting, no absolute form
        # `Proxy` itself refuses the schemes it does not know (`ValueError`).
        if proxy is not None and proxy.url.scheme in SOCKS_SCHEMES:
            import_socksio()  # ImportError now, as httpx, when the extra is missing
            self.socks = True
        if max_header_fields < 1:
            raise ValueError(f"max_header_fields must be a positive int, not {max_header_fields!r}")
        self.max_header_fields = max_header_fields
        self.verify = verify
        self.cert = cert
        self.trust_env = trust_env
        self._context: ssl.SSLContext | None = None
        self._proxy_context: ssl.SSLContext | None = None  # see `proxy_ssl_context`
        if isinstance(verify, str) or cert:
            self._context = self._offering_h2(create_ssl_context(verify, cert, trust_env))
        self.proxy = proxy
        self.uds = uds
        self.local_address = local_address
        self.retries = retries
        self.socket_options = list(socket_options) if socket_options is not None else None
        self.proxy_headers: list[tuple[bytes, bytes]] = []
        if proxy is not None and not self.socks:
            if proxy.raw_auth is not None:
                token = base64.b64encode(b":".join(proxy.raw_auth))
                self.proxy_headers.append((b"Proxy-Authorization", b"Basic " + token))
            self.proxy_headers.extend(proxy.headers.raw)
        self._routes: dict[int, _KnownRoute] = {}
        # The head fields of requests sent directly (False) and to an http proxy (True).
        self._kept_fields: tuple[_Kept, _Kept] = ({}, {})

    def ssl_context(self) -> ssl.SSLContext:
        """The origins' TLS context. With `http2=True` its ALPN offers h2, straight to the
        origin and inside a proxy's tunnel alike (as httpx): the origin picks."""
        if self._context is None:
            context = create_ssl_context(self.verify, self.cert, self.trust_env)
            self._context = self._offering_h2(context)
        return self._context

    def _offering_h2(self, context: ssl.SSLContext) -> ssl.SSLContext:
        """`context`, its ALPN offering h2 when `http2=True` (built at once for a `verify`
        path or a `cert`, else on the first https use)."""
        if self.http2:
            context.set_alpn_protocols(["h2", "http/1.1"] if self.http1 else ["h2"])
        return context

    def proxy_ssl_context(self) -> ssl.SSLContext:
        """The TLS context of an https proxy's own session, when the proxy has none: the
        origins' verification without h2 in its ALPN (the CONNECT is HTTP/1.1). With
        `http2=True` that takes a second context built alike; a caller's own context (or a
        client certificate in it) cannot be copied, so the proxy is offered h2 too then."""
        if not self.http2 or not isinstance(self.verify, bool) or self.cert:
            return self.ssl_context()
        if self._proxy_context is None:
            self._proxy_context = create_ssl_context(self.verify, None, self.trust_env)
            self._proxy_context.set_alpn_protocols(["http/1.1"])
        return self._proxy_context

    def route(self, request: Request) -> Route:
        """The route of `request`; `UnsupportedProtocol` for a URL faststream cannot fetch.

        Through an http proxy, http requests share the connections to the proxy and go in
        absolute form with the proxy's headers; everything else is pooled per origin.
        """
        url = request.url
        # What depends on the URL alone is kept per URL object: URLs are immutable and a
        # client hands the same one to every request for the same URL string.
        known = self._routes.get(id(url))
        if known is None or known[0] is not url:
            known = self._remember_route(url)
        method = request.method.encode("ascii")
        # The head fields, one object per distinct list (see `KeptFields`): looked up by the
        # request's fields, whose bytes the client shares between its plain requests.
        fields = tuple(request.headers._fields)
        headers: Fields | None = self._kept_fields[known[6]].get(fields)
        if headers is None:
            headers = self._keep_fields(fields, known[6])
        return known[1], known[2], known[3], known[4], method, known[5], headers

    def _keep_fields(
        self, fields: tuple[tuple[bytes, bytes, bytes], ...], forwarded: bool
    ) -> Fields:
        """The head fields for the request fields `fields` (`(raw name, lower-cased name,
        value)`; with the proxy's own when `forwarded`), kept when they are short (bounded:
        at most `_KEPT_FIELD_LISTS` lists of at most `KEPT_FIELDS_SIZE` bytes)."""
        headers = [(name, value) for name, _, value in fields]
        if forwarded:
            headers += self.proxy_headers
        if sum(len(name) + len(value) for name, value in headers) > KEPT_FIELDS_SIZE:
            return headers  # serialised anew for every request
        kept = self._kept_fields[forwarded]
        if len(kept) >= _KEPT_FIELD_LISTS:
            kept.clear()  # many different lists of fields: start again, bounded
        kept[fields] = listed = KeptFields.kept(headers)
        return listed

    def _remember_route(self, url: URL) -> _KnownRoute:
        """`(url, scheme, host, port, pool key, target, forwarded)` for `url`, kept for the
        next request (the entry holds `url`, so its id cannot be reused meanwhile). A URL
        faststream cannot fetch raises and is not kept."""
        scheme = url.scheme
        if scheme not in DEFAULT_PORTS:
            if not scheme:
                raise UnsupportedProtocol(
                    "Request URL is missing an 'http://' or 'https://' protocol."
                )
            raise UnsupportedProtocol(f"Request URL has an unsupported protocol '{scheme}://'.")
        host = url.host
        if not host:
            raise UnsupportedProtocol("Request URL is missing a host.")
        port = url.port or DEFAULT_PORTS[scheme]
        known: _KnownRoute
        if self.proxy is not None and scheme == "http" and not self.socks:
            target = bytes(str(url.copy_with(fragment=None)), "ascii")
            known = (url, scheme, host, port, _FORWARD_KEY, target, True)
        else:
            known = (url, scheme, host, port, (scheme, host, port), url.raw_path, False)
        routes = self._routes
        if len(routes) >= _KNOWN_ROUTES:
            routes.clear()  # many different URLs: start again, bounded
        routes[id(url)] = known
        return known


class PooledStream:
    """The bookkeeping of a response body on a pooled connection, sync or async.

    `_finish(reusable)` hands the connection back once (kept when reusable, closed
    otherwise); a stream garbage-collected while it still holds its connection closes it
    through the pool's non-blocking `abandon` and warns with `ResourceWarning`.
    """

    _CLOSE_ADVICE = ""

    _pool: typing.Any
    _connection: typing.Any
    _request: Request

    def _finish(self, reusable: bool) -> None:
        connection = self._connection
        if connection is not None:
            self._connection = None
            self._pool.release(connection, reusable)

    def __del__(self) -> None:
        connection = self._connection
        if connection is not None:
            self._connection = None
            self._pool.abandon(connection)
            warnings.warn(
                f"Unclosed response to {self._request.method} {self._request.url}: its "
                "connection was closed when the response was garbage-collected. Close "
                f"responses ({self._CLOSE_ADVICE}).",
                ResourceWarning,
                stacklevel=1,
            )


def retry_delays() -> Iterator[float]:
    """The waits before each connection attempt: 0, then 0.5, 1, 2 ... up to 10 seconds."""
    yield 0.0
    delay = 0.5
    while True:
        yield delay
        delay = min(delay * 2, 10.0)
