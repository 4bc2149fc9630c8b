"""`ASGITransport`: sends requests to an ASGI application in the same process (no network).

```
async def app(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"Hello, world!"})

async with AsyncClient(transport=ASGITransport(app)) as client:
    (await client.get("http://testserver/")).text   # 'Hello, world!'
```

The app runs to completion inside `handle_async_request`, and the response body is buffered
whole (as httpx does): this is a test tool, not a streaming path. Lifespan events are not
sent. Runs under asyncio, and under trio when trio is the running library.
"""

from __future__ import annotations

import asyncio
import sys
import typing
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping

from .._response import Response
from .._streams import AsyncByteStream
from ._base import AsyncBaseTransport

if typing.TYPE_CHECKING:
    from .._request import Request

__all__ = ["ASGITransport"]

_Message = MutableMapping[str, typing.Any]
_Receive = Callable[[], Awaitable[_Message]]
_Send = Callable[[_Message], Awaitable[None]]
_ASGIApp = Callable[[MutableMapping[str, typing.Any], _Receive, _Send], Awaitable[None]]


class _Event(typing.Protocol):
    def set(self) -> None: ...
    def is_set(self) -> bool: ...
    async def wait(self) -> typing.Any: ...


def _running_trio() -> bool:
    """Whether the current task runs under trio (checked without importing trio)."""
    trio = sys.modules.get("trio")
    if trio is None:
        return False
    try:
        trio.lowlevel.current_task()
    except RuntimeError:
        return False
    return True


def _new_event() -> _Event:
    if _running_trio():
        event: _Event = sys.modules["trio"].Event()
        return event
    return asyncio.Event()


class _BufferedBody(AsyncByteStream):
    """The response body the app sent, yielded as one chunk."""

    def __init__(self, parts: list[bytes]) -> None:
        self._parts = parts

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b"".join(self._parts)


class _Exchange:
    """One request/response exchange with the app: its `receive` and `send` callables."""

    def __init__(self, request: Request) -> None:
        assert isinstance(request.stream, AsyncByteStream)
        self._body_chunks = request.stream.__aiter__()
        self._is_head = request.method == "HEAD"
        self._request_done = False
        self.status_code: int | None = None
        self.headers: typing.Any = None
        self.started = False
        self.body_parts: list[bytes] = []
        self.complete = _new_event()

    async def receive(self) -> dict[str, typing.Any]:
        """The next request body chunk; once the body is done, wait for `http.disconnect`."""
        if self._request_done:
            # The client "disconnects" when the response is complete.
            await self.complete.wait()
            return {"type": "http.disconnect"}
        try:
            chunk = await self._body_chunks.__anext__()
        except StopAsyncIteration:
            self._request_done = True
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(self, message: _Message) -> None:
        """Record `http.response.start` and `http.response.body` messages; ignore others."""
        kind = message["type"]
        if kind == "http.response.start":
            assert not self.started
            self.status_code = message["status"]
            self.headers = message.get("headers", [])
            self.started = True
        elif kind == "http.response.body":
            assert not self.complete.is_set()
            body = message.get("body", b"")
            if body and not self._is_head:
                self.body_parts.append(body)
            if not message.get("more_body", False):
                self.complete.set()


class ASGITransport(AsyncBaseTransport):
    """A transport that calls an ASGI application instead of using the network.

    * `app` - the ASGI application.
    * `raise_app_exceptions` - let an exception raised by the app propagate (the default);
      `False` returns what the app sent before failing instead, status 500 (empty headers,
      empty body) if it had not started a response.
    * `root_path` - the path the app is mounted on (`scope["root_path"]`).
    * `client` - the `(host, port)` the app sees as the client.
    """

    def __init__(
        self,
        app: _ASGIApp,
        raise_app_exceptions: bool = True,
        root_path: str = "",
        client: tuple[str, int] = ("127.0.0.1", 123),
    ) -> None:
        self.app = app
        self.raise_app_exceptions = raise_app_exceptions
        self.root_path = root_path
        self.client = client

    async def handle_async_request(self, request: Request) -> Response:
        exchange = _Exchange(request)
        try:
            await self.app(self._scope(request), exchange.receive, exchange.send)
        except Exception:
            if self.raise_app_exceptions:
                raise
            exchange.complete.set()
            if exchange.status_code is None:
                exchange.status_code = 500
            if exchange.headers is None:
                exchange.headers = {}

        # An app that returned without completing its response: AssertionError, as httpx.
        assert exchange.complete.is_set()
        assert exchange.status_code is not None
        assert exchange.headers is not None
        return Response(
            exchange.status_code,
            headers=exchange.headers,
            stream=_BufferedBody(exchange.body_parts),
        )

    def _scope(self, request: Request) -> dict[str, typing.Any]:
        url = request.url
        return {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": request.method,
            "headers": [(name.lower(), value) for name, value in request.headers.raw],
            "scheme": url.scheme,
            "path": url.path,
            "raw_path": url.raw_path.split(b"?")[0],
            "query_string": url.query,
            "server": (url.host, url.port),
            "client": self.client,
            "root_path": self.root_path,
        }
