"""`WSGITransport`: sends requests to a WSGI application in the same process (no network).

```
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"Hello, world!"]

client = Client(transport=WSGITransport(app))
client.get("http://testserver/").text   # 'Hello, world!'
```

The request body is read whole and handed to the app as `wsgi.input`. The app runs until it
produces its first non-empty chunk (so a generator app may call `start_response` lazily);
the rest of its iterable is the response stream, read as the caller reads the response.
Closing the response calls the iterable's `close()` (PEP 3333).
"""

from __future__ import annotations

import io
import sys
import typing
from collections.abc import Callable, Iterable, Iterator

from .._response import Response
from .._streams import SyncByteStream
from ._base import BaseTransport

if typing.TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import WSGIApplication, WSGIEnvironment

    from .._request import Request

__all__ = ["WSGITransport"]

# The port in SERVER_PORT when the URL has none; other schemes have no WSGI meaning (KeyError).
_DEFAULT_PORTS = {"http": 80, "https": 443}

# Headers that CGI names without the `HTTP_` prefix.
_UNPREFIXED = frozenset({"CONTENT_TYPE", "CONTENT_LENGTH"})


def _discard(data: bytes) -> None:
    """The `write` callable given back by `start_response`: its data is ignored."""


class _StartResponse:
    """The `start_response` callable: remembers the last status, headers and exc_info."""

    def __init__(self) -> None:
        self.status: str | None = None
        self.headers: list[tuple[str, str]] | None = None
        self.exc_info: OptExcInfo | None = None

    def __call__(
        self,
        status: str,
        response_headers: list[tuple[str, str]],
        exc_info: OptExcInfo | None = None,
    ) -> Callable[[bytes], object]:
        self.status = status
        self.headers = response_headers
        self.exc_info = exc_info
        return _discard


class _WSGIResponseStream(SyncByteStream):
    """The app's iterable as a response stream, from its first non-empty chunk on.

    Building it runs the app's iterable up to that chunk (or to its end); `close()` calls the
    iterable's own `close()`, if it has one.
    """

    def __init__(self, result: Iterable[bytes]) -> None:
        self._result_close: Callable[[], object] | None = getattr(result, "close", None)
        self._first = b""
        self._rest: Iterator[bytes] = iter(())
        chunks = iter(result)
        for chunk in chunks:
            if chunk:
                self._first = chunk
                self._rest = chunks
                break

    def __iter__(self) -> Iterator[bytes]:
        if self._first:
            first, self._first = self._first, b""
            yield first
        yield from self._rest

    def close(self) -> None:
        if self._result_close is not None:
            self._result_close()


class WSGITransport(BaseTransport):
    """A transport that calls a WSGI application instead of using the network.

    * `app` - the WSGI application.
    * `raise_app_exceptions` - when the app calls `start_response` with `exc_info`, raise that
      exception (the default); `False` returns the response the app gave instead (to test a
      500 page, say). Exceptions raised by the app itself always propagate.
    * `script_name` - the path the app is mounted on (`SCRIPT_NAME`).
    * `remote_addr` - the client address the app sees (`REMOTE_ADDR`).
    * `wsgi_errors` - the `wsgi.errors` stream (default: `sys.stderr` at request time).
    """

    def __init__(
        self,
        app: WSGIApplication,
        raise_app_exceptions: bool = True,
        script_name: str = "",
        remote_addr: str = "127.0.0.1",
        wsgi_errors: typing.TextIO | None = None,
    ) -> None:
        self.app = app
        self.raise_app_exceptions = raise_app_exceptions
        self.script_name = script_name
        self.remote_addr = remote_addr
        self.wsgi_errors = wsgi_errors

    def handle_request(self, request: Request) -> Response:
        request.read()
        environ = self._environ(request)
        start_response = _StartResponse()
        result = self.app(environ, start_response)
        stream = _WSGIResponseStream(result)

        status, headers, exc_info = (
            start_response.status,
            start_response.headers,
            start_response.exc_info,
        )
        # An app that never called start_response: AssertionError, as httpx.
        assert status is not None
        assert headers is not None
        if exc_info and exc_info[0] and self.raise_app_exceptions:
            raise exc_info[1]

        return Response(
            int(status.split()[0]),
            headers=[(name.encode("ascii"), value.encode("ascii")) for name, value in headers],
            stream=stream,
        )

    def _environ(self, request: Request) -> WSGIEnvironment:
        """The WSGI environ for `request`, whose body has been read."""
        url = request.url
        port = url.port or _DEFAULT_PORTS[url.scheme]
        environ: dict[str, typing.Any] = {
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": url.scheme,
            "wsgi.input": io.BytesIO(request.content),
            "wsgi.errors": self.wsgi_errors or sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "REQUEST_METHOD": request.method,
            "SCRIPT_NAME": self.script_name,
            "PATH_INFO": url.path,
            "QUERY_STRING": url.query.decode("ascii"),
            "SERVER_NAME": url.host,
            "SERVER_PORT": str(port),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": self.remote_addr,
        }
        # A repeated header keeps its last value, as CGI variables cannot repeat.
        for raw_name, raw_value in request.headers.raw:
            name = raw_name.decode("ascii").upper().replace("-", "_")
            if name not in _UNPREFIXED:
                name = "HTTP_" + name
            environ[name] = raw_value.decode("ascii")
        return environ
