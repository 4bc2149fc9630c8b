"""`BaseClient`: everything a client does without I/O, shared by `Client` and `AsyncClient`.

Option validation and storage, merging of the client's url/params/headers/cookies/timeout into
each request, building requests and redirect requests, choosing the auth and the transport
(mounts), the open/closed state, event-hook storage and the log line. The clients add only the
loops that call the transport, the hooks and the auth flow.

Deviations from httpx: a caller-set `Proxy-Authorization` header is dropped on a cross-origin
redirect like `Authorization` (credentials never follow a redirect to another origin); the
User-Agent is `python-faststream/<version>` and the log line goes to the `faststream` logger.
"""

from __future__ import annotations

import enum
import logging
import sys
import typing
import warnings
from collections.abc import Callable, Mapping
from http.cookiejar import CookieJar

import _cstream

from ._auth import Auth, BasicAuth, FunctionAuth
from ._config import (
    DEFAULT_MAX_REDIRECTS,
    DEFAULT_TIMEOUT_CONFIG,
    USE_CLIENT_DEFAULT,
    Proxy,
    Timeout,
    UseClientDefault,
)
from ._cookies import _SET_COOKIE_NAMES, Cookies
from ._decoders import CAP_NAMES, Caps, content_decoder
from ._exceptions import (
    InvalidURL,
    RemoteProtocolError,
    ResponseNotRead,
)
from ._headers import MARK_SET_COOKIE, Headers
from ._request import Request
from ._response import Response
from ._status_codes import codes
from ._urls import URL, QueryParams, QueryParamTypes
from ._version import __version__

if typing.TYPE_CHECKING:
    from ._mounts import MountTable, URLPattern
    from ._types import (
        CookieTypes,
        HeaderTypes,
        ProxyTypes,
        RequestContent,
        RequestData,
        RequestExtensions,
        RequestFiles,
        TimeoutTypes,
    )

__all__ = [
    "REDIRECT_BODY_CAP",
    "USER_AGENT",
    "AuthTypes",
    "BaseClient",
    "ClientState",
    "EventHook",
    "RedirectBody",
    "warn_per_request_cookies",
]

AuthTypes = tuple[str | bytes, str | bytes] | Callable[[Request], Request] | Auth
EventHook = Callable[..., typing.Any]

logger = logging.getLogger("faststream")

USER_AGENT = f"python-faststream/{__version__}"
ACCEPT_ENCODING = ", ".join(_cstream.SUPPORTED_ENCODINGS)

#: Raw bytes of a followed redirect's body read (and thrown away) before it is closed.
REDIRECT_BODY_CAP = 64 * 1024

_DEFAULT_PORTS = {"http": 80, "https": 443}
_CREDENTIAL_HEADERS = ("Authorization", "Proxy-Authorization")
# "No authentication": the base flow sends each request unchanged, once (it holds no state).
_NO_AUTH = Auth()

_T = typing.TypeVar("_T")


class ClientState(enum.Enum):
    UNOPENED = 1  # neither sent a request nor entered `with`
    OPENED = 2  # sent a request or entered `with`
    CLOSED = 3  # closed, or `with` exited: no more requests


_Field = tuple[bytes, bytes, bytes]  # a header field: raw name, lower-cased name, value

_REOPEN_MESSAGES = {
    ClientState.OPENED: "Cannot open a client instance more than once.",
    ClientState.CLOSED: "Cannot reopen a client instance, once it has been closed.",
}


def _port_or_default(url: URL) -> int | None:
    return url.port if url.port is not None else _DEFAULT_PORTS.get(url.scheme)


def _same_origin(url: URL, other: URL) -> bool:
    return (
        url.scheme == other.scheme
        and url.host == other.host
        and _port_or_default(url) == _port_or_default(other)
    )


def _is_https_upgrade(url: URL, location: URL) -> bool:
    """http -> https on the same host and the default ports: credentials may follow."""
    return (
        url.host == location.host
        and url.scheme == "http"
        and _port_or_default(url) == 80
        and location.scheme == "https"
        and _port_or_default(location) == 443
    )


def _is_identity(headers: Headers) -> bool:
    """Whether a body with these headers would be delivered undecoded (the rule `Response`
    uses: unknown codings are ignored)."""
    try:
        return content_decoder(headers, None) is None
    except _cstream.DecodeError:
        return False


def warn_per_request_cookies(cookies: CookieTypes | None) -> None:
    """httpx's deprecation warning for `cookies=` given to `request()` (not to `stream()` or
    `build_request()`), pointing at the caller of `request()`."""
    if cookies is not None:
        # The first frame outside faststream: counted, not fixed, because the functions of a
        # compiled module have no Python frame.
        level, frame = 1, sys._getframe(0)
        while frame.f_back and frame.f_globals.get("__name__", "").startswith("faststream."):
            level, frame = level + 1, frame.f_back
        warnings.warn(
            "Setting per-request cookies=<...> is being deprecated, because the expected "
            "behaviour on cookie persistence is ambiguous. Set cookies directly on the "
            "client instance instead.",
            DeprecationWarning,
            stacklevel=level,
        )


class RedirectBody:
    """The raw body of a followed redirect, collected up to `REDIRECT_BODY_CAP` bytes.

    httpx reads and *decodes* it (a compression bomb in a 302 detonates). The
    clients feed it the raw pieces (never decoded) and stop when `add()` says the cap is
    passed; then they close the response. A short body without a content coding is kept as
    the response's content, so `history[i].content` still works as in httpx for the usual
    small redirect page.
    """

    def __init__(self) -> None:
        self._pieces: list[bytes] = []
        self._size = 0
        self._complete = True

    @staticmethod
    def already_read(response: Response) -> bool:
        """Whether `response` holds its body already (a response built in memory)."""
        try:
            response.content  # noqa: B018
        except ResponseNotRead:
            return False
        return True

    def add(self, piece: bytes) -> bool:
        """Take one raw piece; False (the piece dropped) once the body is over the cap."""
        self._size += len(piece)
        if self._size > REDIRECT_BODY_CAP:
            self._complete = False
            return False
        self._pieces.append(piece)
        return True

    def cut(self) -> None:
        """The body stopped short of its end (a size cap): it is not kept."""
        self._complete = False

    def keep(self, response: Response) -> None:
        """After the response is closed: store a complete identity body as its content."""
        if self._complete and _is_identity(response.headers):
            response._content = b"".join(self._pieces)


# The URL strings a client keeps parsed and merged (see `_remember_url`).
_BUILT_URLS = 256


class BaseClient(typing.Generic[_T]):
    """The I/O-free part of a client, shared by the sync and async clients. `_T` is the
    transport type (`BaseTransport` or `AsyncBaseTransport`)."""

    _transport: _T
    _mounts: MountTable[_T]
    _mounted: bool
    #: The body stream type a transport's response must carry, and the error's message when
    #: it does not (the sync and async clients set both).
    _byte_stream: type
    _wrong_stream: str

    def __init__(
        self,
        *,
        auth: AuthTypes | None = None,
        params: QueryParamTypes | None = None,
        headers: HeaderTypes | None = None,
        cookies: CookieTypes | None = None,
        timeout: TimeoutTypes = DEFAULT_TIMEOUT_CONFIG,
        follow_redirects: bool = False,
        max_redirects: int = DEFAULT_MAX_REDIRECTS,
        event_hooks: Mapping[str, list[EventHook]] | None = None,
        base_url: URL | str = "",
        trust_env: bool = True,
        default_encoding: str | Callable[[bytes], str] = "utf-8",
        max_response_bytes: int | None = None,
        max_decoded_bytes: int | None = None,
        max_line_length: int | None = None,
    ) -> None:
        caps = Caps(max_response_bytes, max_decoded_bytes, max_line_length)
        # None when no cap is set: responses then take the uncapped paths.
        self._caps = caps if caps.any() else None
        self.event_hooks = {} if event_hooks is None else event_hooks
        self.base_url = base_url
        self.auth = auth
        self.params = params
        self.headers = headers
        self.cookies = cookies
        self.timeout = timeout
        self.follow_redirects = follow_redirects
        self.max_redirects = max_redirects
        self._trust_env = trust_env
        self._default_encoding = default_encoding
        self._state = ClientState.UNOPENED
        self._scanned: tuple[list[_Field] | None, tuple[bool, bool]] = (None, (False, False))
        self._built_urls: dict[str, tuple[URL, URL, tuple[bytes, bytes, bytes] | None]] = {}
        # `build_request` merges a plain call itself, unless a subclass merges its own way.
        cls = type(self)
        self._plain_merges = all(
            getattr(cls, name) is getattr(BaseClient, name)
            for name in ("_merge_url", "_merge_headers", "_merge_cookies", "_merge_queryparams")
        )

    # -- options ------------------------------------------------------------------------------

    @property
    def is_closed(self) -> bool:
        """Whether the client has been closed (it then refuses to send)."""
        return self._state == ClientState.CLOSED

    @property
    def trust_env(self) -> bool:
        return self._trust_env

    @property
    def timeout(self) -> Timeout:
        return self._timeout

    @timeout.setter
    def timeout(self, timeout: TimeoutTypes) -> None:
        self._timeout = Timeout(timeout)

    @property
    def event_hooks(self) -> dict[str, list[EventHook]]:
        return self._event_hooks

    @event_hooks.setter
    def event_hooks(self, event_hooks: Mapping[str, list[EventHook]]) -> None:
        self._event_hooks = {
            "request": list(event_hooks.get("request", [])),
            "response": list(event_hooks.get("response", [])),
        }

    @property
    def auth(self) -> Auth | None:
        """The auth used for requests that do not give their own."""
        return self._auth

    @auth.setter
    def auth(self, auth: AuthTypes | None) -> None:
        self._auth = self._build_auth(auth)

    @property
    def base_url(self) -> URL:
        """The URL relative request URLs are appended to (always ends with "/")."""
        return self._base_url

    @base_url.setter
    def base_url(self, url: URL | str) -> None:
        base = URL(url)
        if not base.raw_path.endswith(b"/"):
            base = base.copy_with(raw_path=base.raw_path + b"/")
        self._base_url = base

    @property
    def headers(self) -> Headers:
        """Headers sent with every request (the defaults, updated by the client's own)."""
        return self._headers

    @headers.setter
    def headers(self, headers: HeaderTypes | None) -> None:
        merged = Headers(
            {
                b"Accept": b"*/*",
                b"Accept-Encoding": ACCEPT_ENCODING.encode("ascii"),
                b"Connection": b"keep-alive",
                b"User-Agent": USER_AGENT.encode("ascii"),
            }
        )
        merged.update(headers)
        self._headers = merged

    @property
    def cookies(self) -> Cookies:
        """The cookie jar: sent with requests, updated from every response."""
        return self._cookies

    @cookies.setter
    def cookies(self, cookies: CookieTypes | None) -> None:
        self._cookies = Cookies(cookies)

    @property
    def params(self) -> QueryParams:
        """Query parameters added to every request."""
        return self._params

    @params.setter
    def params(self, params: QueryParamTypes | None) -> None:
        self._params = QueryParams(params)

    # -- building requests --------------------------------------------------------------------

    def build_request(
        self,
        method: str,
        url: URL | str,
        *,
        content: RequestContent | None = None,
        data: RequestData | None = None,
        files: RequestFiles | None = None,
        json: typing.Any | None = None,
        params: QueryParamTypes | None = None,
        headers: HeaderTypes | None = None,
        cookies: CookieTypes | None = None,
        timeout: TimeoutTypes | UseClientDefault = USE_CLIENT_DEFAULT,
        extensions: RequestExtensions | None = None,
    ) -> Request:
        """The request `request()` would send: the client's base URL, params, headers,
        cookies and timeout merged with the given ones."""
        if (
            type(url) is str
            and headers is None
            and params is None
            and cookies is None
            and extensions is None
            and content is None
            and data is None
            and files is None
            and json is None
            and self._plain_merges
            # What `bool()` of the params and of the cookies finds, without their calls (a
            # plain, empty jar: no cookies; any other jar is asked).
            and not self._params._dict
            and (
                (not (jar := self._cookies.jar)._cookies and type(jar) is CookieJar)  # type: ignore[attr-defined]
                or not self._cookies
            )
        ):
            # The common call (a URL string, nothing else): nothing to merge but the URL,
            # parsed and merged once per client and base URL, with its Host field.
            known = self._built_urls.get(url)
            if known is None or known[0] is not self._base_url:
                known = self._remember_url(url)
            chosen = self._timeout if isinstance(timeout, UseClientDefault) else Timeout(timeout)
            fields = self._headers._fields
            scanned = self._scanned
            if scanned[0] is not fields:
                scanned = self._scan_fields(fields)
            return Request._bodiless(
                method, known[1], known[2], fields, scanned[1], {"timeout": chosen.as_dict()}
            )
        merged_extensions = {} if extensions is None else dict(extensions)
        if "timeout" not in merged_extensions:
            chosen = self._timeout if isinstance(timeout, UseClientDefault) else Timeout(timeout)
            merged_extensions["timeout"] = chosen.as_dict()
        return Request(
            method,
            self._merge_url(url),
            content=content,
            data=data,
            files=files,
            json=json,
            params=self._merge_queryparams(params),
            headers=self._merge_headers(headers),
            cookies=self._merge_cookies(cookies),
            extensions=merged_extensions,
        )

    def _scan_fields(self, fields: list[_Field]) -> tuple[list[_Field], tuple[bool, bool]]:
        """`(fields, (has_host, has_length))` for the client's header fields: whether they
        name Host, and Content-Length or Transfer-Encoding; kept for the next request with the
        same list (a `Headers` replaces its list on every change, never edits it)."""
        has_host = has_length = False
        for field in fields:
            name = field[1]
            if name == b"host":
                has_host = True
            elif name == b"content-length" or name == b"transfer-encoding":
                has_length = True
        self._scanned = (fields, (has_host, has_length))
        return self._scanned

    def _remember_url(self, url: str) -> tuple[URL, URL, tuple[bytes, bytes, bytes] | None]:
        """`(base URL, merged URL, Host field or None)` for `url`, kept for the next request
        to the same URL string (URLs are immutable: the requests share it). The entries
        are for one base URL: a new base URL replaces them."""
        merged = self._merge_url(url)
        host = (b"Host", b"host", merged.netloc) if merged.host else None
        known = (self._base_url, merged, host)
        if len(self._built_urls) >= _BUILT_URLS:
            self._built_urls.clear()  # many different URLs: start again, bounded
        self._built_urls[url] = known
        return known

    def _merge_url(self, url: URL | str) -> URL:
        merged = URL(url)
        if merged.is_relative_url:
            # Appended to the base URL's path (not resolved like a link): "/a" under
            # "https://h/api/" is "https://h/api/a".
            raw_path = self.base_url.raw_path + merged.raw_path.lstrip(b"/")
            return self.base_url.copy_with(raw_path=raw_path)
        return merged

    def _merge_headers(self, headers: HeaderTypes | None) -> Headers:
        if headers is None:
            return self._headers  # Request() copies it
        merged = Headers(self._headers)
        merged.update(headers)
        return merged

    def _merge_cookies(self, cookies: CookieTypes | None) -> CookieTypes | None:
        if not cookies and not self._cookies:
            return cookies
        merged = Cookies(self._cookies)
        merged.update(cookies)
        return merged

    def _merge_queryparams(self, params: QueryParamTypes | None) -> QueryParamTypes | None:
        if not params and not self._params:
            return params
        return QueryParams(self._params).merge(params)

    def _set_timeout(self, request: Request) -> None:
        if "timeout" not in request.extensions:
            request.extensions = {**request.extensions, "timeout": self.timeout.as_dict()}

    # -- auth ---------------------------------------------------------------------------------

    def _build_auth(self, auth: AuthTypes | None) -> Auth | None:
        if auth is None:
            return None
        if isinstance(auth, tuple):
            return BasicAuth(auth[0], auth[1])
        if isinstance(auth, Auth):
            return auth
        if callable(auth):
            return FunctionAuth(auth)
        raise TypeError(f'Invalid "auth" argument: {auth!r}')

    def _build_request_auth(
        self, request: Request, auth: AuthTypes | UseClientDefault | None = USE_CLIENT_DEFAULT
    ) -> Auth:
        chosen = self._auth if isinstance(auth, UseClientDefault) else self._build_auth(auth)
        if chosen is not None:
            return chosen
        url = request.url
        if url._parts.userinfo:
            username, password = url.username, url.password
            if username or password:
                return BasicAuth(username, password)
        return _NO_AUTH

    # -- redirects ----------------------------------------------------------------------------

    def _next_hop(
        self, request: Request, response: Response, history: list[Response], follow: bool
    ) -> Request | None:
        """After a response (and its hooks): the request to send next when `response` is a
        redirect to follow, else None. A redirect not followed gets `next_request`."""
        response.history = list(history)
        if not response.has_redirect_location:
            return None
        next_request = self._build_redirect_request(request, response)
        if not follow:
            response.next_request = next_request
            return None
        return next_request

    def _build_redirect_request(self, request: Request, response: Response) -> Request:
        method = self._redirect_method(request, response)
        url = self._redirect_url(request, response)
        headers = Headers(request.headers)
        if not _same_origin(url, request.url):
            if not _is_https_upgrade(request.url, url):
                # Proxy-Authorization too (httpx keeps it): no credentials to another origin.
                for name in _CREDENTIAL_HEADERS:
                    headers.pop(name, None)
            headers["Host"] = url.netloc.decode("ascii")
        to_get = method != request.method and method == "GET"
        if to_get:
            headers.pop("Content-Length", None)
            headers.pop("Transfer-Encoding", None)
        # Rebuilt from the jar (which holds the redirect's own Set-Cookie by now).
        headers.pop("Cookie", None)
        return Request(
            method,
            url,
            headers=headers,
            cookies=Cookies(self.cookies),
            stream=None if to_get else request.stream,
            extensions=request.extensions,
        )

    def _redirect_method(self, request: Request, response: Response) -> str:
        method = request.method
        status = response.status_code
        if status in (codes.SEE_OTHER, codes.FOUND) and method != "HEAD":
            return "GET"
        if status == codes.MOVED_PERMANENTLY and method == "POST":
            return "GET"
        return method

    def _redirect_url(self, request: Request, response: Response) -> URL:
        location = response.headers["Location"]
        try:
            url = URL(location)
        except InvalidURL as exc:
            raise RemoteProtocolError(
                f"Invalid URL in location header: {exc}.", request=request
            ) from None
        if url.scheme and not url.host:
            url = url.copy_with(host=request.url.host)
        if url.is_relative_url:
            url = request.url.join(url)
        if request.url.fragment and not url.fragment:
            url = url.copy_with(fragment=request.url.fragment)
        return url

    # -- transports ---------------------------------------------------------------------------

    def _init_transports(
        self,
        make: Callable[[Proxy | None], _T],
        transport: _T | None,
        proxy: ProxyTypes | None,
        mounts: Mapping[str, _T | None] | None,
        trust_env: bool,
        http2: bool,
    ) -> None:
        """Store the default transport (`transport`, else `make(None)`) and the mounts:
        proxies (`proxy=`, else the environment's when no `transport=` is given), each served by
        `make(proxy)`, then `mounts=` (which win for the same pattern), searched most specific
        pattern first."""
        from ._mounts import MountTable

        if http2:
            # As httpx: HTTP/2 needs the h2 package, whichever transport is used.
            try:
                # a call, not an import statement: compiled, the statement would take a None entry
                # in sys.modules (import blocked) for the module itself
                __import__("h2")
            except ImportError:
                raise ImportError(
                    "Using http2=True, but the 'h2' package is not installed. "
                    "Make sure to install faststream using `pip install faststream-http[http2]`."
                ) from None
        proxies = self._proxy_map(proxy, trust_env and transport is None)
        self._transport = make(None) if transport is None else transport
        table: dict[URLPattern | str, _T | None] = {
            key: None if value is None else make(value) for key, value in proxies.items()
        }
        if mounts is not None:
            table.update(mounts)
        self._mounts = MountTable(table)
        self._mounted = bool(table)  # False: every request goes to the default transport

    @staticmethod
    def _proxy_map(proxy: ProxyTypes | None, allow_env_proxies: bool) -> dict[str, Proxy | None]:
        """Pattern -> proxy (None: no proxy) from `proxy=`, else from the environment."""
        if proxy is not None:
            return {"all://": proxy if isinstance(proxy, Proxy) else Proxy(url=proxy)}
        if not allow_env_proxies:
            return {}
        from ._mounts import get_environment_proxies

        return {
            pattern: None if url is None else Proxy(url=url)
            for pattern, url in get_environment_proxies().items()
        }

    def _transport_for_url(self, url: URL) -> _T:
        """The transport of the most specific mount matching `url`, else the default one."""
        _, transport = self._mounts.select(url)
        return self._transport if transport is None else transport

    def _all_transports(self) -> list[_T]:
        return [self._transport] + [t for t in self._mounts.values() if t is not None]

    # -- state and bookkeeping ----------------------------------------------------------------

    def _open_for_send(self) -> None:
        if self._state == ClientState.CLOSED:
            raise RuntimeError("Cannot send a request, as the client has been closed.")
        self._state = ClientState.OPENED

    def _open_for_with(self) -> None:
        if self._state != ClientState.UNOPENED:
            raise RuntimeError(_REOPEN_MESSAGES[self._state])
        self._state = ClientState.OPENED

    def _received(self, request: Request, response: Response, start: float) -> None:
        """Take a transport's `response` to `request`, sent at `start` (`perf_counter`): check
        its stream's kind, attach `request`, time it, take its cookies, log it."""
        if not isinstance(response.stream, self._byte_stream):
            response.request = request
            raise TypeError(self._wrong_stream)
        response._request = request
        if not response.is_closed:
            response._clock = start  # what `time_on_close` does, without the call
        headers = response.headers
        # Else there is nothing to take; the marks spare a parsed head the scan.
        if headers._marks & MARK_SET_COOKIE and headers._has_any(_SET_COOKIE_NAMES):
            self._cookies.extract_cookies(response)
        response.default_encoding = self._default_encoding
        # A request's `extensions` may set or lift (None) any of the client's caps. Inline
        # test first: most requests carry none and the client sets none.
        caps = self._caps
        if caps is not None or not CAP_NAMES.isdisjoint(request.extensions):
            response._caps = Caps.merged(caps, request.extensions)
        if logger.isEnabledFor(logging.INFO):
            logger.info(
                'HTTP Request: %s %s "%s %d %s"',
                request.method,
                request.url,
                response.http_version,
                response.status_code,
                response.reason_phrase,
            )
