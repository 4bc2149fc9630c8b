# Generated from src/faststream/_async_client.py by tools/unasync.py: edit that file, then run
# `python tools/unasync.py`. CI fails when this file differs from what it generates.
"""`Client`: sends requests through a sync transport, with httpx 0.28.1's behaviour.

```
with Client(base_url="https://example.org", follow_redirects=True) as client:
    response = client.get("/items", params={"page": 2})
    with client.stream("GET", "/big") as response:
        for chunk in response.iter_bytes():
            ...
```

`BaseClient` (`_client_base.py`) holds everything that does no I/O; `Client` adds the
loops that call the transport, the event hooks and the auth flow (`Auth.sync_auth_flow`).
The default transport is `HTTPTransport`.

Every path that leaves `send()` or `stream()` early -- an exception, a cancellation, a `break`
out of a body loop inside `with client.stream(...)` -- closes the response, and closing a
transport's response gives its connection back to the pool without suspending, so a second
cancellation cannot interrupt it.

Deviations from httpx: the body of a redirect that is followed is discarded as raw bytes,
never decoded, and at most `REDIRECT_BODY_CAP` bytes of it are read before the response is
closed (a compressed bomb in a redirect costs nothing); a caller-set `Proxy-Authorization`
header is dropped on a cross-origin redirect like `Authorization`; the User-Agent is
`python-faststream/<version>` and the log line goes to the `faststream` logger. A transport
returning a response whose stream cannot be iterated this way raises `TypeError` (httpx: a
bare `AssertionError`).
"""

from __future__ import annotations

import contextlib
import os
import ssl
import time
import typing
from collections.abc import Iterator, Callable, Mapping
from types import TracebackType

from . import _download
from ._auth import Auth
from ._client_base import (
    AuthTypes,
    BaseClient,
    ClientState,
    EventHook,
    RedirectBody,
    warn_per_request_cookies,
)
from ._config import (
    DEFAULT_LIMITS,
    DEFAULT_MAX_REDIRECTS,
    DEFAULT_TIMEOUT_CONFIG,
    USE_CLIENT_DEFAULT,
    Limits,
    Proxy,
    UseClientDefault,
)
from ._download_base import DEFAULT_CHUNK_SIZE, DownloadResult, ProgressArg
from ._exceptions import RequestError, ResponseTooLarge, TooManyRedirects
from ._request import Request
from ._response import _REDIRECT_CODES, Response
from ._sse import DEFAULT_MAX_EVENT_SIZE, RECONNECTABLE, Reconnection, ServerSentEvent
from ._streams import SyncByteStream
from ._transports._backends import SYNC_BACKEND
from ._transports._base import BaseTransport
from ._urls import URL, QueryParamTypes

if typing.TYPE_CHECKING:
    from ._types import (
        CertTypes,
        CookieTypes,
        HeaderTypes,
        ProxyTypes,
        RequestContent,
        RequestData,
        RequestExtensions,
        RequestFiles,
        TimeoutTypes,
    )

__all__ = ["Client"]

_C = typing.TypeVar("_C", bound="Client")


class Client(BaseClient[BaseTransport]):
    """A synchronous HTTP client with connection pooling, cookies, redirects, auth and
    event hooks.

    Every option is keyword-only and has httpx's meaning and default: `verify`, `cert`,
    `http1`, `http2`, `limits` and `trust_env` configure the default `HTTPTransport`;
    `transport=` replaces it (and disables environment proxies); `proxy=` sends every request
    through a proxy; `mounts={pattern: transport or None}` picks a transport per URL.
    `http2=True` (needs h2: the `http2` extra) offers HTTP/2 by ALPN on https; with
    `http1=False` too, http:// speaks h2c by prior knowledge.

    Size caps (faststream's; None, the default, is httpx's behaviour: no cap), also per
    request as `extensions={"max_decoded_bytes": n}` (None there lifts the client's cap):
    `max_response_bytes` bounds the body bytes received (after framing, before decoding),
    `max_decoded_bytes` the body bytes after content decoding, `max_line_length` one line of
    `iter_lines`/`iter_lines`. Crossing one raises `ResponseTooLarge` and closes the response.
    """

    _byte_stream = SyncByteStream
    _wrong_stream = "The transport returned a response with an async stream."

    def __init__(
        self,
        *,
        auth: AuthTypes | None = None,
        params: QueryParamTypes | None = None,
        headers: HeaderTypes | None = None,
        cookies: CookieTypes | None = None,
        verify: ssl.SSLContext | str | bool = True,
        cert: CertTypes | None = None,
        trust_env: bool = True,
        http1: bool = True,
        http2: bool = False,
        proxy: ProxyTypes | None = None,
        mounts: Mapping[str, BaseTransport | None] | None = None,
        timeout: TimeoutTypes = DEFAULT_TIMEOUT_CONFIG,
        follow_redirects: bool = False,
        limits: Limits = DEFAULT_LIMITS,
        max_redirects: int = DEFAULT_MAX_REDIRECTS,
        event_hooks: Mapping[str, list[EventHook]] | None = None,
        base_url: URL | str = "",
        transport: BaseTransport | None = None,
        default_encoding: str | Callable[[bytes], str] = "utf-8",
        max_response_bytes: int | None = None,
        max_decoded_bytes: int | None = None,
        max_line_length: int | None = None,
    ) -> None:
        super().__init__(
            auth=auth,
            params=params,
            headers=headers,
            cookies=cookies,
            timeout=timeout,
            follow_redirects=follow_redirects,
            max_redirects=max_redirects,
            event_hooks=event_hooks,
            base_url=base_url,
            trust_env=trust_env,
            default_encoding=default_encoding,
            max_response_bytes=max_response_bytes,
            max_decoded_bytes=max_decoded_bytes,
            max_line_length=max_line_length,
        )
        from ._transports._http11 import HTTPTransport

        def make(proxy: Proxy | None) -> BaseTransport:
            return HTTPTransport(
                verify=verify,
                cert=cert,
                trust_env=trust_env,
                http1=http1,
                http2=http2,
                limits=limits,
                proxy=proxy,
            )

        self._init_transports(make, transport, proxy, mounts, trust_env, http2)
        # `send` runs the redirect loop's first turn itself, unless a subclass changes it.
        cls = type(self)
        self._plain_sends = all(
            getattr(cls, name) is getattr(Client, name)
            for name in ("_send_handling_redirects", "_send_single_request", "_next_hop")
        )

    # -- sending ------------------------------------------------------------------------------

    def request(
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
        auth: AuthTypes | UseClientDefault | None = USE_CLIENT_DEFAULT,
        follow_redirects: bool | UseClientDefault = USE_CLIENT_DEFAULT,
        timeout: TimeoutTypes | UseClientDefault = USE_CLIENT_DEFAULT,
        extensions: RequestExtensions | None = None,
    ) -> Response:
        """Build a request, send it, and return the response with its body read."""
        if cookies is not None:
            warn_per_request_cookies(cookies)
        request = self.build_request(
            method,
            url,
            content=content,
            data=data,
            files=files,
            json=json,
            params=params,
            headers=headers,
            cookies=cookies,
            timeout=timeout,
            extensions=extensions,
        )
        return self.send(request, auth=auth, follow_redirects=follow_redirects)

    @contextlib.contextmanager
    def stream(
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
        auth: AuthTypes | UseClientDefault | None = USE_CLIENT_DEFAULT,
        follow_redirects: bool | UseClientDefault = USE_CLIENT_DEFAULT,
        timeout: TimeoutTypes | UseClientDefault = USE_CLIENT_DEFAULT,
        extensions: RequestExtensions | None = None,
    ) -> Iterator[Response]:
        """Send a request; yield the response unread; close it on exit (also when the block
        raises or is cancelled)."""
        request = self.build_request(
            method,
            url,
            content=content,
            data=data,
            files=files,
            json=json,
            params=params,
            headers=headers,
            cookies=cookies,
            timeout=timeout,
            extensions=extensions,
        )
        response = self.send(
            request, auth=auth, follow_redirects=follow_redirects, stream=True
        )
        try:
            yield response
        finally:
            response.close()

    def send(
        self,
        request: Request,
        *,
        stream: bool = False,
        auth: AuthTypes | UseClientDefault | None = USE_CLIENT_DEFAULT,
        follow_redirects: bool | UseClientDefault = USE_CLIENT_DEFAULT,
    ) -> Response:
        """Send `request` (with auth and redirects); read the body unless `stream=True`."""
        if self._state is not ClientState.OPENED:  # else opening it again would do nothing
            self._open_for_send()
        follow = (
            self.follow_redirects
            if isinstance(follow_redirects, UseClientDefault)
            else follow_redirects
        )
        if "timeout" not in request.extensions:
            self._set_timeout(request)
        timeouts = request.extensions["timeout"]
        if len(timeouts) > 4 and timeouts.get("total") is not None:
            # One total deadline for the whole call: the redirects and auth requests that
            # follow carry these extensions, and the transport counts down to this instant.
            deadline = time.monotonic() + timeouts["total"]
            timeouts = {**timeouts, "deadline": deadline}
            request.extensions = {**request.extensions, "timeout": timeouts}
        if (
            self._auth is None
            and isinstance(auth, UseClientDefault)
            and not request.url._parts.userinfo
        ):
            # No authentication (what `_build_request_auth` finds, decided inline): the
            # request goes straight to the redirect loop.
            if self._plain_sends and not self._event_hooks["request"] and self.max_redirects >= 0:
                # The loop's first turn inline, as the loop would run it with no request
                # hook: send, then (response hooks or a redirect) the rest of the loop.
                # `_send_single_request`, made of the same helpers, without its call: in
                # async one coroutine fewer alive per request in flight.
                transport = self._transport_to_send(request)
                start = time.perf_counter()
                try:
                    response = transport.handle_request(request)
                except RequestError as exc:
                    exc.request = request  # what request_context() does, without its generator
                    raise
                self._received(request, response, start)
                response.history = []
                if self._event_hooks["response"] or (
                    # a 3xx first: most responses skip the property's call
                    response.status_code in _REDIRECT_CODES and response.has_redirect_location
                ):
                    response = self._send_handling_redirects(request, follow, [], response)
            else:
                response = self._send_handling_redirects(request, follow, [])
        else:
            chosen_auth = self._build_request_auth(request, auth)
            response = self._send_handling_auth(request, chosen_auth, follow, [])
        try:
            if not stream:
                response.read()
        except BaseException:
            response.close()
            raise
        return response

    def _send_handling_auth(
        self, request: Request, auth: Auth, follow: bool, history: list[Response]
    ) -> Response:
        if type(auth) is Auth:
            # No authentication: the base flow sends the request unchanged, once.
            return self._send_handling_redirects(request, follow, history)
        flow = auth.sync_auth_flow(request)
        try:
            request = flow.__next__()
            while True:
                response = self._send_handling_redirects(request, follow, history)
                try:
                    try:
                        next_request = flow.send(response)
                    except StopIteration:
                        return response
                    # An intermediate response of the flow: read, kept in the history.
                    response.history = list(history)
                    response.read()
                    request = next_request
                    history.append(response)
                except BaseException:
                    response.close()
                    raise
        finally:
            flow.close()

    def _send_handling_redirects(
        self,
        request: Request,
        follow: bool,
        history: list[Response],
        received: Response | None = None,
    ) -> Response:
        """Send `request` and follow its redirects; `received`: the response to `request`
        when it was sent already (the loop then starts at its response hooks)."""
        response = received
        while True:
            if response is None:
                if len(history) > self.max_redirects:
                    raise TooManyRedirects("Exceeded maximum allowed redirects.", request=request)
                for hook in self._event_hooks["request"]:
                    hook(request)
                response = self._send_single_request(request)
            try:
                for hook in self._event_hooks["response"]:
                    hook(response)
                next_request = self._next_hop(request, response, history, follow)
                if next_request is None:
                    return response
                history = [*history, response]
                _discard_redirect_body(response)
                request = next_request
            except BaseException:
                response.close()
                raise
            response = None

    def _send_single_request(self, request: Request) -> Response:
        transport = self._transport_to_send(request)
        start = time.perf_counter()
        try:
            response = transport.handle_request(request)
        except RequestError as exc:
            exc.request = request  # what request_context() does, without its generator
            raise
        self._received(request, response, start)
        return response

    def _transport_to_send(self, request: Request) -> BaseTransport:
        """The transport for `request` (which must carry a sync stream)."""
        # No mounts (the usual client): the default transport, without looking it up.
        transport = self._transport_for_url(request.url) if self._mounted else self._transport
        if not isinstance(request.stream, SyncByteStream):
            raise RuntimeError("Attempted to send an async request with a sync Client instance.")
        return transport

    # -- shortcuts ----------------------------------------------------------------------------

    def get(
        self,
        url: URL | str,
        *,
        params: QueryParamTypes | None = None,
        headers: HeaderTypes | None = None,
        cookies: CookieTypes | None = None,
        auth: AuthTypes | UseClientDefault | None = USE_CLIENT_DEFAULT,
        follow_redirects: bool | UseClientDefault = USE_CLIENT_DEFAULT,
        timeout: TimeoutTypes | UseClientDefault = USE_CLIENT_DEFAULT,
        extensions: RequestExtensions | None = None,
    ) -> Response:
        """Send a GET request."""
        if getattr(self.request, "__func__", None) is _PLAIN_REQUEST:
            # What `request` does, without its coroutine: one frame fewer per call, and one
            # object fewer kept alive while the response is awaited. A `request` replaced on
            # the class or the instance (SDKs and mocks do) is still called. Not looked up in
            # `self.__dict__`: reading it makes CPython 3.11 build the instance's dict, and
            # every attribute access of the client slower from then on.
            if cookies is not None:
                warn_per_request_cookies(cookies)
            request = self.build_request(
                "GET",
                url,
                params=params,
                headers=headers,
                cookies=cookies,
                timeout=timeout,
                extensions=extensions,
            )
            return self.send(request, auth=auth, follow_redirects=follow_redirects)
        return self.request(
            "GET",
            url,
            params=params,
            headers=headers,
            cookies=cookies,
            auth=auth,
            follow_redirects=follow_redirects,
            timeout=timeout,
            extensions=extensions,
        )

    def options(
        self,
        url: URL | str,
        *,
        params: QueryParamTypes | None = None,
        headers: HeaderTypes | None = None,
        cookies: CookieTypes | None = None,
        auth: AuthTypes | UseClientDefault | None = USE_CLIENT_DEFAULT,
        follow_redirects: bool | UseClientDefault = USE_CLIENT_DEFAULT,
        timeout: TimeoutTypes | UseClientDefault = USE_CLIENT_DEFAULT,
        extensions: RequestExtensions | None = None,
    ) -> Response:
        """Send an OPTIONS request."""
        return self.request(
            "OPTIONS",
            url,
            params=params,
            headers=headers,
            cookies=cookies,
            auth=auth,
            follow_redirects=follow_redirects,
            timeout=timeout,
            extensions=extensions,
        )

    def head(
        self,
        url: URL | str,
        *,
        params: QueryParamTypes | None = None,
        headers: HeaderTypes | None = None,
        cookies: CookieTypes | None = None,
        auth: AuthTypes | UseClientDefault | None = USE_CLIENT_DEFAULT,
        follow_redirects: bool | UseClientDefault = USE_CLIENT_DEFAULT,
        timeout: TimeoutTypes | UseClientDefault = USE_CLIENT_DEFAULT,
        extensions: RequestExtensions | None = None,
    ) -> Response:
        """Send a HEAD request."""
        return self.request(
            "HEAD",
            url,
            params=params,
            headers=headers,
            cookies=cookies,
            auth=auth,
            follow_redirects=follow_redirects,
            timeout=timeout,
            extensions=extensions,
        )

    def delete(
        self,
        url: URL | str,
        *,
        params: QueryParamTypes | None = None,
        headers: HeaderTypes | None = None,
        cookies: CookieTypes | None = None,
        auth: AuthTypes | UseClientDefault | None = USE_CLIENT_DEFAULT,
        follow_redirects: bool | UseClientDefault = USE_CLIENT_DEFAULT,
        timeout: TimeoutTypes | UseClientDefault = USE_CLIENT_DEFAULT,
        extensions: RequestExtensions | None = None,
    ) -> Response:
        """Send a DELETE request."""
        return self.request(
            "DELETE",
            url,
            params=params,
            headers=headers,
            cookies=cookies,
            auth=auth,
            follow_redirects=follow_redirects,
            timeout=timeout,
            extensions=extensions,
        )

    def post(
        self,
        url: URL | str,
        *,
        content: RequestContent | None = None,
        data: RequestData | None = None,
        files: RequestFiles | None = None,
        json: typing.Any | None = None,
        params: QueryParamTypes | None = None,
        headers: HeaderTypes | None = None,
        cookies: CookieTypes | None = None,
        auth: AuthTypes | UseClientDefault = USE_CLIENT_DEFAULT,
        follow_redirects: bool | UseClientDefault = USE_CLIENT_DEFAULT,
        timeout: TimeoutTypes | UseClientDefault = USE_CLIENT_DEFAULT,
        extensions: RequestExtensions | None = None,
    ) -> Response:
        """Send a POST request."""
        return self.request(
            "POST",
            url,
            content=content,
            data=data,
            files=files,
            json=json,
            params=params,
            headers=headers,
            cookies=cookies,
            auth=auth,
            follow_redirects=follow_redirects,
            timeout=timeout,
            extensions=extensions,
        )

    def put(
        self,
        url: URL | str,
        *,
        content: RequestContent | None = None,
        data: RequestData | None = None,
        files: RequestFiles | None = None,
        json: typing.Any | None = None,
        params: QueryParamTypes | None = None,
        headers: HeaderTypes | None = None,
        cookies: CookieTypes | None = None,
        auth: AuthTypes | UseClientDefault = USE_CLIENT_DEFAULT,
        follow_redirects: bool | UseClientDefault = USE_CLIENT_DEFAULT,
        timeout: TimeoutTypes | UseClientDefault = USE_CLIENT_DEFAULT,
        extensions: RequestExtensions | None = None,
    ) -> Response:
        """Send a PUT request."""
        return self.request(
            "PUT",
            url,
            content=content,
            data=data,
            files=files,
            json=json,
            params=params,
            headers=headers,
            cookies=cookies,
            auth=auth,
            follow_redirects=follow_redirects,
            timeout=timeout,
            extensions=extensions,
        )

    def patch(
        self,
        url: URL | str,
        *,
        content: RequestContent | None = None,
        data: RequestData | None = None,
        files: RequestFiles | None = None,
        json: typing.Any | None = None,
        params: QueryParamTypes | None = None,
        headers: HeaderTypes | None = None,
        cookies: CookieTypes | None = None,
        auth: AuthTypes | UseClientDefault = USE_CLIENT_DEFAULT,
        follow_redirects: bool | UseClientDefault = USE_CLIENT_DEFAULT,
        timeout: TimeoutTypes | UseClientDefault = USE_CLIENT_DEFAULT,
        extensions: RequestExtensions | None = None,
    ) -> Response:
        """Send a PATCH request."""
        return self.request(
            "PATCH",
            url,
            content=content,
            data=data,
            files=files,
            json=json,
            params=params,
            headers=headers,
            cookies=cookies,
            auth=auth,
            follow_redirects=follow_redirects,
            timeout=timeout,
            extensions=extensions,
        )

    # -- server-sent events with reconnection ------------------------------------------------

    def iter_events(
        self,
        url: URL | str,
        *,
        method: str = "GET",
        last_event_id: str | None = None,
        max_reconnects: int | None = 10,
        retry: float = 3.0,
        max_wait: float = 30.0,
        backoff: float = 2.0,
        max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
        **kwargs: typing.Any,
    ) -> Iterator[ServerSentEvent]:
        """The events of an event stream, reconnecting like a browser's EventSource.

        When the stream ends, or the connection fails, breaks or stalls past the read timeout,
        wait (the server's ``retry``, else `retry` seconds; `backoff` times longer for each
        further attempt in a row that brought no event; at most `max_wait`), then send the
        request again with ``Last-Event-ID``. `max_reconnects` attempts in a row without an
        event (None: no bound) end the iteration quietly after a clean end, or raise the last
        error. Stops quietly on 204 No Content; raises `HTTPStatusError` for another status
        outside 2xx and `SSEError` for a media type other than text/event-stream or an event
        past `max_event_size`. `kwargs` go to `stream()`.
        """
        plan = Reconnection(
            last_event_id=last_event_id,
            max_reconnects=max_reconnects,
            retry=retry,
            max_wait=max_wait,
            backoff=backoff,
            max_event_size=max_event_size,
        )
        headers = kwargs.pop("headers", None)
        while True:
            try:
                with self.stream(
                    method, url, headers=plan.headers(headers), **kwargs
                ) as response:
                    if not plan.opened(response):
                        return
                    chunks = typing.cast(
                        "typing.Generator[bytes, None, None]", response.iter_bytes()
                    )
                    try:
                        for chunk in chunks:
                            for event in plan.decode(chunk, response):
                                yield event
                    finally:  # stopped early: close the body's loop now
                        chunks.close()
                wait = plan.wait(None)
            except RECONNECTABLE as exc:
                wait = plan.wait(exc)
            if wait is None:
                return
            SYNC_BACKEND.sleep(wait)

    # -- downloads ----------------------------------------------------------------------------

    def download(
        self,
        url: URL | str,
        path: str | os.PathLike[str],
        *,
        resume: bool = True,
        progress: ProgressArg = None,
        retries: int = 3,
        segments: int = 1,
        checksum: str | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        decode: bool = False,
        **kwargs: typing.Any,
    ) -> DownloadResult:
        """GET `url` into the file `path` (or into an existing directory `path`, under the
        name the response offers, made safe); returns a `DownloadResult`.

        Bytes go to ``<path>.part`` and are renamed over `path` only once complete (and, with
        `checksum="<hashlib name>:<hex>"`, verified: else `ChecksumMismatch`). A `.part` left
        by an earlier call is resumed with ``Range`` and ``If-Range`` (`resume=False`: start
        over); a dropped connection is resumed up to `retries` times; `segments=N` fetches
        ranges in order on N connections. `progress`: a callable given `DownloadProgress` at most
        every 100 ms and at the end, or True for a bar on a terminal's stderr. The body is
        stored as sent (``Accept-Encoding: identity``) unless `decode=True`. Redirects are
        followed unless `follow_redirects=False`; other `kwargs` go to `stream()`.
        """
        return _download.download(
            self,
            url,
            path,
            resume=resume,
            progress=progress,
            retries=retries,
            segments=segments,
            checksum=checksum,
            chunk_size=chunk_size,
            decode=decode,
            **kwargs,
        )

    # -- lifetime -----------------------------------------------------------------------------

    def close(self) -> None:
        """Close the transport and every mounted transport (idempotent)."""
        if self._state != ClientState.CLOSED:
            self._state = ClientState.CLOSED
            for transport in self._all_transports():
                transport.close()

    def __enter__(self: _C) -> _C:
        self._open_for_with()
        for transport in self._all_transports():
            transport.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        self._state = ClientState.CLOSED
        for transport in self._all_transports():
            transport.__exit__(exc_type, exc_value, traceback)


# The class's own `request`, kept before anyone can replace it: `get` skips it only when the
# client's class still has this one.
_PLAIN_REQUEST = Client.request


def _discard_redirect_body(response: Response) -> None:
    """Throw away the body of a redirect that is being followed, then close the response:
    raw, never decoded, at most `REDIRECT_BODY_CAP` bytes read (see `RedirectBody`)."""
    if RedirectBody.already_read(response):
        return
    body = RedirectBody()
    raw = typing.cast(typing.Generator[bytes, None, None], response.iter_raw())
    try:
        for piece in raw:
            if not body.add(piece):
                break
    except ResponseTooLarge:
        # A wire cap crossed by a body that is thrown away: the redirect is followed anyway.
        body.cut()
    finally:
        raw.close()
        response.close()
    body.keep(response)
