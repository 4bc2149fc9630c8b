"""`WSGITransport` against httpx 0.28.1's: the same WSGI apps through both, compared.

Each case sends the same request through `faststream.WSGITransport` (with a faststream
`Request`) and `httpx.WSGITransport` (with an `httpx.Request`), and compares what the app saw
(the environ, the body it read) and what the caller got (status, headers, body chunks, the
exception raised).
"""

from __future__ import annotations

import inspect
import io
import sys
import typing
from collections.abc import Iterable, Iterator

import httpx
import pytest

from faststream._client import Client
from faststream._request import Request
from faststream._response import Response
from faststream._streams import SyncByteStream
from faststream._transports._base import BaseTransport
from faststream._transports._wsgi import WSGITransport

if typing.TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

Outcome = dict[str, typing.Any]


def summarise_environ(environ: WSGIEnvironment) -> dict[str, typing.Any]:
    """The environ with its two stream objects replaced by comparable values."""
    seen = dict(environ)
    wsgi_input = seen.pop("wsgi.input")
    seen["wsgi.input"] = (type(wsgi_input).__name__, wsgi_input.getvalue())
    errors = seen.pop("wsgi.errors")
    seen["wsgi.errors"] = "sys.stderr" if errors is sys.stderr else errors
    return seen


def outcome_of(
    transport: BaseTransport | httpx.BaseTransport,
    request: Request | httpx.Request,
    seen: list[dict[str, typing.Any]],
    chunks: bool = True,
) -> Outcome:
    """What sending `request` through `transport` gave: the response, or the exception."""
    try:
        response = transport.handle_request(request)  # type: ignore[arg-type]
    except Exception as exc:
        return {"raised": type(exc), "message": str(exc), "seen": seen}
    parts = list(response.iter_raw()) if chunks else [response.read()]
    response.close()
    return {
        "status": response.status_code,
        "reason": response.reason_phrase,
        "http_version": response.http_version,
        "headers": response.headers.raw,
        "parts": parts,
        "extensions": response.extensions,
        "seen": seen,
    }


def recording(app: WSGIApplication, seen: list[dict[str, typing.Any]]) -> WSGIApplication:
    """`app`, appending the environ it was called with to `seen`."""

    def wrapper(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        result = app(environ, start_response)
        seen.append(summarise_environ(environ))
        return result

    return wrapper


def both(
    app: WSGIApplication,
    method: str = "GET",
    url: str = "http://testserver/",
    transport_kwargs: dict[str, typing.Any] | None = None,
    **request_kwargs: typing.Any,
) -> tuple[Outcome, Outcome]:
    """Send the same request through faststream's and httpx's WSGITransport."""
    results = []
    for transport_class, request_class in (
        (WSGITransport, Request),
        (httpx.WSGITransport, httpx.Request),
    ):
        seen: list[dict[str, typing.Any]] = []
        transport = transport_class(recording(app, seen), **(transport_kwargs or {}))
        # A body given as a generator can be consumed only once: build a fresh one each time.
        kwargs = {k: v() if callable(v) else v for k, v in request_kwargs.items()}
        request = request_class(method, url, **kwargs)
        results.append(outcome_of(transport, request, seen))
    return results[0], results[1]


def assert_same(
    app: WSGIApplication,
    method: str = "GET",
    url: str = "http://testserver/",
    transport_kwargs: dict[str, typing.Any] | None = None,
    **request_kwargs: typing.Any,
) -> Outcome:
    ours, theirs = both(app, method, url, transport_kwargs, **request_kwargs)
    assert ours == theirs
    return ours


# Apps ------------------------------------------------------------------------------------


def echo_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """Reads the whole body and answers with it."""
    body = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain"), ("X-Length", str(len(body)))])
    return [body]


def hello_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "13")])
    return [b"Hello, world!"]


# Environ ---------------------------------------------------------------------------------


def test_simple_get() -> None:
    outcome = assert_same(hello_app)
    assert outcome["status"] == 200
    assert outcome["parts"] == [b"Hello, world!"]
    environ = outcome["seen"][0]
    assert environ["REQUEST_METHOD"] == "GET"
    assert environ["SERVER_NAME"] == "testserver"
    assert environ["SERVER_PORT"] == "80"
    assert environ["HTTP_HOST"] == "testserver"
    assert environ["wsgi.errors"] == "sys.stderr"


@pytest.mark.parametrize(
    "url",
    [
        "http://testserver/",
        "https://testserver/",
        "http://testserver:8080/a/b",
        "https://testserver:443/x",
        "http://127.0.0.1:5000/",
        "http://[::1]:8000/v6",
        "http://例え.jp/idna",
        "http://testserver/caf%C3%A9/a%20b%2Fc",
        "http://testserver/search?q=a+b&x=%20y&empty=&flag",
        "http://testserver/path?",
        "http://testserver",
        "http://user:pass@testserver/auth#fragment",
    ],
)
def test_environ_from_url(url: str) -> None:
    assert_same(echo_app, url=url)


def test_path_info_is_percent_decoded() -> None:
    outcome = assert_same(echo_app, url="http://testserver/caf%C3%A9/a%20b?q=%20")
    environ = outcome["seen"][0]
    assert environ["PATH_INFO"] == "/café/a b"
    assert environ["QUERY_STRING"] == "q=%20"


def test_https_default_port() -> None:
    outcome = assert_same(echo_app, url="https://testserver/")
    environ = outcome["seen"][0]
    assert (environ["SERVER_PORT"], environ["wsgi.url_scheme"]) == ("443", "https")


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_methods(method: str) -> None:
    outcome = assert_same(echo_app, method)
    assert outcome["seen"][0]["REQUEST_METHOD"] == method


def test_headers_become_cgi_variables() -> None:
    outcome = assert_same(
        echo_app,
        "POST",
        headers=[
            ("X-Custom-Thing", "one"),
            ("Accept", "text/html"),
            ("Content-Type", "application/x-thing"),
            ("x-repeated", "first"),
            ("X-Repeated", "second"),
            ("Cookie", "a=1; b=2"),
        ],
        content=b"abc",
    )
    environ = outcome["seen"][0]
    assert environ["HTTP_X_CUSTOM_THING"] == "one"
    assert environ["CONTENT_TYPE"] == "application/x-thing"
    assert environ["CONTENT_LENGTH"] == "3"
    assert "HTTP_CONTENT_TYPE" not in environ
    assert environ["HTTP_X_REPEATED"] == "second"


def test_non_ascii_header_value_raises() -> None:
    ours, theirs = both(echo_app, headers={"X-Name": "caf\xe9".encode("latin-1")})
    assert ours["raised"] is theirs["raised"] is UnicodeDecodeError
    assert ours == theirs


@pytest.mark.parametrize(
    "body",
    [
        {"content": b"raw bytes body"},
        {"content": "text body \u2603"},
        {"content": b""},
        {"json": {"a": [1, 2, None]}},
        {"data": {"name": "value", "list": ["x", "y"]}},
        {"files": {"upload": ("a.txt", b"file data", "text/plain")}, "data": {"f": "v"}},
    ],
    ids=["bytes", "str", "empty", "json", "form", "multipart"],
)
def test_request_bodies(body: dict[str, typing.Any]) -> None:
    # Multipart boundaries are random: compare the structure, not the bytes.
    if "files" in body:
        ours, theirs = both(echo_app, "POST", **body)
        for outcome in (ours, theirs):
            environ = outcome["seen"][0]
            boundary = environ["CONTENT_TYPE"].split("boundary=")[1]
            assert environ["wsgi.input"][1].count(boundary.encode()) == 3
            assert b"file data" in outcome["parts"][0]
            assert int(environ["CONTENT_LENGTH"]) == len(environ["wsgi.input"][1])
        return
    outcome = assert_same(echo_app, "POST", **body)
    assert outcome["seen"][0]["wsgi.input"][0] == "BytesIO"


def test_streaming_request_body_is_read_first() -> None:
    def chunks() -> Iterator[bytes]:
        yield b"one,"
        yield b"two,"
        yield b"three"

    outcome = assert_same(echo_app, "POST", content=lambda: chunks())
    environ = outcome["seen"][0]
    assert environ["HTTP_TRANSFER_ENCODING"] == "chunked"
    assert environ["wsgi.input"][1] == b"one,two,three"
    assert outcome["parts"] == [b"one,two,three"]


def test_transport_options() -> None:
    errors = io.StringIO()
    outcome = assert_same(
        echo_app,
        transport_kwargs={
            "script_name": "/mount",
            "remote_addr": "10.1.2.3",
            "wsgi_errors": errors,
        },
        url="http://testserver/mount/inner",
    )
    environ = outcome["seen"][0]
    assert environ["SCRIPT_NAME"] == "/mount"
    assert environ["PATH_INFO"] == "/mount/inner"
    assert environ["REMOTE_ADDR"] == "10.1.2.3"
    assert environ["wsgi.errors"] is errors


def test_wsgi_errors_defaults_to_stderr_at_request_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    transport = WSGITransport(echo_app)
    replacement = io.StringIO()
    monkeypatch.setattr(sys, "stderr", replacement)
    seen: list[WSGIEnvironment] = []

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        seen.append(environ)
        return echo_app(environ, start_response)

    transport.app = app
    transport.handle_request(Request("GET", "http://testserver/")).close()
    assert seen[0]["wsgi.errors"] is replacement


def test_unsupported_scheme_raises_key_error() -> None:
    ours, theirs = both(echo_app, url="ftp://testserver/file")
    assert ours["raised"] is theirs["raised"] is KeyError
    assert ours == theirs


# Responses -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status", ["200 OK", "201 Created", "204 No Content", "404 Not Found", "599 Custom", "418 x"]
)
def test_status_lines(status: str) -> None:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response(status, [])
        return []

    outcome = assert_same(app)
    assert outcome["status"] == int(status[:3])


def test_response_headers_keep_order_case_and_repeats() -> None:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response(
            "200 OK",
            [
                ("Content-Type", "text/plain"),
                ("Set-Cookie", "a=1"),
                ("set-cookie", "b=2"),
                ("X-Empty", ""),
            ],
        )
        return [b"x"]

    outcome = assert_same(app)
    assert outcome["headers"][1:3] == [(b"Set-Cookie", b"a=1"), (b"set-cookie", b"b=2")]


def test_non_ascii_response_header_raises() -> None:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [("X-Name", "caf\xe9")])
        return [b""]

    ours, theirs = both(app)
    assert ours["raised"] is theirs["raised"] is UnicodeEncodeError
    assert ours == theirs


@pytest.mark.parametrize(
    "chunks",
    [
        [],
        [b""],
        [b"", b"", b""],
        [b"one"],
        [b"", b"", b"first", b"", b"second"],
        [b"a", b"b", b"c"],
        [b"x" * 100_000, b"y"],
    ],
)
def test_response_body_chunks(chunks: list[bytes]) -> None:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [])
        return iter(chunks)

    outcome = assert_same(app)
    assert b"".join(outcome["parts"]) == b"".join(chunks)


def test_write_callable_output_is_discarded() -> None:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        write = start_response("200 OK", [])
        assert write(b"written") is None
        return [b"returned"]

    outcome = assert_same(app)
    assert outcome["parts"] == [b"returned"]


def test_generator_app_starts_response_lazily() -> None:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterator[bytes]:
        yield b""
        start_response("202 Accepted", [("X-Late", "yes")])
        yield b"late"
        yield b" body"

    outcome = assert_same(app)
    assert outcome["status"] == 202
    assert outcome["parts"] == [b"late", b" body"]


def test_generator_app_that_never_yields_data_must_start_before_returning() -> None:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterator[bytes]:
        start_response("204 No Content", [])
        yield b""

    outcome = assert_same(app)
    assert (outcome["status"], outcome["parts"]) == (204, [])


def test_app_that_never_starts_a_response() -> None:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        return [b"no start"]

    ours, theirs = both(app)
    assert ours["raised"] is theirs["raised"] is AssertionError
    assert ours == theirs


class ClosingBody:
    """A WSGI result iterable that records how far it was read and whether it was closed."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.produced = 0
        self.closed = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.chunks:
            self.produced += 1
            yield chunk

    def close(self) -> None:
        self.closed += 1


def closing_app(body: ClosingBody) -> WSGIApplication:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [])
        return body

    return app


@pytest.mark.parametrize("library", ["faststream", "httpx"])
def test_body_is_streamed_and_closed_with_the_response(library: str) -> None:
    body = ClosingBody([b"", b"a", b"b", b"c"])
    response: Response | httpx.Response
    if library == "faststream":
        response = WSGITransport(closing_app(body)).handle_request(
            Request("GET", "http://testserver/")
        )
    else:
        response = httpx.WSGITransport(closing_app(body)).handle_request(
            httpx.Request("GET", "http://testserver/")
        )
    # Run up to the first non-empty chunk, not further; not closed yet.
    assert (body.produced, body.closed) == (2, 0)
    parts = response.iter_raw()
    assert next(parts) == b"a"
    assert body.produced == 2
    assert next(parts) == b"b"
    assert body.produced == 3
    assert body.closed == 0
    response.close()
    assert (body.produced, body.closed) == (3, 1)


def test_generator_result_is_closed_when_response_closes_early() -> None:
    finished: list[str] = []

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterator[bytes]:
        start_response("200 OK", [])
        try:
            yield b"one"
            yield b"two"
            finished.append("end")
        finally:
            finished.append("cleanup")

    for transport, request in (
        (WSGITransport(app), Request("GET", "http://testserver/")),
        (httpx.WSGITransport(app), httpx.Request("GET", "http://testserver/")),
    ):
        response = transport.handle_request(request)  # type: ignore[arg-type]
        assert next(response.iter_raw()) == b"one"
        response.close()
    assert finished == ["cleanup", "cleanup"]


def test_response_stream_is_a_sync_byte_stream() -> None:
    response = WSGITransport(hello_app).handle_request(Request("GET", "http://testserver/"))
    assert isinstance(response.stream, SyncByteStream)
    assert response.read() == b"Hello, world!"
    assert response.is_closed


# Exceptions ------------------------------------------------------------------------------


class AppError(Exception):
    pass


def failing_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    raise AppError("boom")


def failing_generator_app(
    environ: WSGIEnvironment, start_response: StartResponse
) -> Iterator[bytes]:
    start_response("200 OK", [])
    yield b""
    raise AppError("late boom")


def exc_info_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    try:
        raise AppError("reported")
    except AppError:
        start_response("500 Internal Server Error", [("X-Error", "1")], sys.exc_info())
    return [b"error page"]


@pytest.mark.parametrize("raise_app_exceptions", [True, False])
@pytest.mark.parametrize("app", [failing_app, failing_generator_app], ids=["call", "iter"])
def test_app_exceptions_propagate(raise_app_exceptions: bool, app: WSGIApplication) -> None:
    ours, theirs = both(app, transport_kwargs={"raise_app_exceptions": raise_app_exceptions})
    assert ours["raised"] is theirs["raised"] is AppError
    assert ours == theirs


def test_exc_info_is_raised_by_default() -> None:
    ours, theirs = both(exc_info_app)
    assert ours["raised"] is theirs["raised"] is AppError
    assert ours["message"] == "reported"
    assert ours == theirs


def test_exc_info_with_raise_app_exceptions_false_returns_the_error_response() -> None:
    outcome = assert_same(exc_info_app, transport_kwargs={"raise_app_exceptions": False})
    assert outcome["status"] == 500
    assert outcome["parts"] == [b"error page"]


def test_exc_info_of_nones_is_not_an_error() -> None:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [], (None, None, None))
        return [b"fine"]

    outcome = assert_same(app)
    assert outcome["status"] == 200


def test_start_response_called_again_uses_the_last_call() -> None:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [("X-First", "1")])
        try:
            raise AppError("changed my mind")
        except AppError:
            start_response("503 Service Unavailable", [("X-Second", "2")], sys.exc_info())
        return [b"unavailable"]

    outcome = assert_same(app, transport_kwargs={"raise_app_exceptions": False})
    assert outcome["status"] == 503
    assert outcome["headers"] == [(b"X-Second", b"2")]


# The constructor (SPEC-httpx §4) ---------------------------------------------------------


def test_constructor_signature_matches_httpx() -> None:
    ours = inspect.signature(WSGITransport.__init__).parameters
    theirs = inspect.signature(httpx.WSGITransport.__init__).parameters
    assert [(p.name, p.default, p.kind) for p in ours.values()] == [
        (p.name, p.default, p.kind) for p in theirs.values()
    ]
    assert list(ours) == [
        "self",
        "app",
        "raise_app_exceptions",
        "script_name",
        "remote_addr",
        "wsgi_errors",
    ]


def test_constructor_keeps_its_arguments() -> None:
    errors = io.StringIO()
    transport = WSGITransport(hello_app, False, "/s", "1.2.3.4", errors)
    assert transport.app is hello_app
    assert transport.raise_app_exceptions is False
    assert transport.script_name == "/s"
    assert transport.remote_addr == "1.2.3.4"
    assert transport.wsgi_errors is errors


def test_is_a_sync_transport_and_context_manager() -> None:
    with WSGITransport(hello_app) as transport:
        assert isinstance(transport, BaseTransport)
        response = transport.handle_request(Request("GET", "http://testserver/"))
        assert response.read() == b"Hello, world!"
    transport.close()  # closing again is harmless


# Through the clients ---------------------------------------------------------------------


def router(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """A small app: /redirect -> /target, /set-cookie, anything else echoes the request."""
    path = environ["PATH_INFO"]
    if path == "/redirect":
        start_response("302 Found", [("Location", "/target?from=redirect")])
        return [b""]
    if path == "/set-cookie":
        start_response("200 OK", [("Set-Cookie", "session=abc; Path=/")])
        return [b"cookie set"]
    body = environ["wsgi.input"].read()
    lines = [
        f"{environ['REQUEST_METHOD']} {environ['SCRIPT_NAME']}|{path}?{environ['QUERY_STRING']}",
        f"cookie={environ.get('HTTP_COOKIE')}",
        f"type={environ.get('CONTENT_TYPE')}",
        f"body={body.decode()}",
    ]
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
    return ["\n".join(lines).encode()]


def client_pair(
    app: WSGIApplication, **transport_kwargs: typing.Any
) -> tuple[Client, httpx.Client]:
    return (
        Client(transport=WSGITransport(app, **transport_kwargs)),
        httpx.Client(transport=httpx.WSGITransport(app, **transport_kwargs)),
    )


def response_summary(response: Response | httpx.Response) -> tuple[typing.Any, ...]:
    return (
        response.status_code,
        response.headers.raw,
        response.text,
        str(response.url),
        [(r.status_code, str(r.url)) for r in response.history],
    )


def test_client_requests_match_httpx() -> None:
    ours, theirs = client_pair(router)
    with ours, theirs:
        for client_ in (ours, theirs):
            assert client_.get("http://testserver/set-cookie").text == "cookie set"
        calls: list[tuple[str, dict[str, typing.Any]]] = [
            ("GET", {"url": "http://testserver/echo", "params": {"a": "1", "b": ["x", "y"]}}),
            ("POST", {"url": "http://testserver/echo", "json": {"k": "v"}}),
            ("PUT", {"url": "http://testserver/echo", "data": {"field": "value"}}),
            ("DELETE", {"url": "http://testserver/caf%C3%A9"}),
            ("GET", {"url": "http://testserver/redirect", "follow_redirects": True}),
            ("GET", {"url": "http://testserver/redirect"}),
        ]
        for method, kwargs in calls:
            assert response_summary(ours.request(method, **kwargs)) == response_summary(
                theirs.request(method, **kwargs)
            )
        followed = ours.get("http://testserver/redirect", follow_redirects=True)
        assert followed.text.splitlines()[:2] == [
            "GET |/target?from=redirect",
            "cookie=session=abc",
        ]


def test_client_sends_the_same_environ_as_httpx() -> None:
    seen: dict[str, list[dict[str, typing.Any]]] = {"ours": [], "theirs": []}
    ours = Client(transport=WSGITransport(recording(echo_app, seen["ours"])))
    theirs = httpx.Client(transport=httpx.WSGITransport(recording(echo_app, seen["theirs"])))
    with ours, theirs:
        for client_ in (ours, theirs):
            client_.post("https://testserver:8443/p?q=1", content=b"payload", headers={"X-A": "b"})
    # The User-Agent names the library (a deliberate difference, DESIGN.md).
    assert seen["ours"][0].pop("HTTP_USER_AGENT").startswith("python-faststream/")
    assert seen["theirs"][0].pop("HTTP_USER_AGENT").startswith("python-httpx/")
    assert seen["ours"] == seen["theirs"]


def test_client_streams_and_closes_the_app_iterable() -> None:
    body = ClosingBody([b"a", b"b", b"c"])
    with Client(transport=WSGITransport(closing_app(body))) as client:
        with client.stream("GET", "http://testserver/") as response:
            assert list(response.iter_bytes()) == [b"a", b"b", b"c"]
        assert body.closed == 1
        with client.stream("GET", "http://testserver/") as response:
            pass
        assert body.closed == 2
        assert response.is_closed


@pytest.mark.parametrize("raise_app_exceptions", [True, False])
def test_client_app_errors_match_httpx(raise_app_exceptions: bool) -> None:
    for app in (failing_app, exc_info_app):
        outcomes: list[tuple[typing.Any, ...]] = []
        for client_ in client_pair(app, raise_app_exceptions=raise_app_exceptions):
            with client_:
                try:
                    response = client_.get("http://testserver/")
                except AppError as exc:
                    outcomes.append(("raised", str(exc)))
                else:
                    outcomes.append(("response", response.status_code, response.content))
        assert outcomes[0] == outcomes[1]
