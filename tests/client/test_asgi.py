"""`ASGITransport` against httpx 0.28.1's: the same ASGI apps through both, compared.

Each case sends the same request through `faststream.ASGITransport` (with a faststream
`Request`) and `httpx.ASGITransport` (with an `httpx.Request`), and compares what the app saw
(the scope, the messages `receive` gave it) and what the caller got (status, headers, body
chunks, the exception raised), on asyncio, uvloop and trio (`backend`).
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, MutableMapping

import anyio
import httpx
import pytest

from faststream._request import Request
from faststream._streams import AsyncByteStream
from faststream._transports._asgi import ASGITransport
from faststream._transports._base import AsyncBaseTransport
from tests.client._backends import run_on

Scope = MutableMapping[str, typing.Any]
Message = MutableMapping[str, typing.Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]
Outcome = dict[str, typing.Any]

pytestmark = pytest.mark.timeout(30)


async def outcome_of(
    transport: AsyncBaseTransport | httpx.AsyncBaseTransport,
    request: Request | httpx.Request,
    seen: dict[str, typing.Any],
) -> Outcome:
    """What sending `request` through `transport` gave: the response, or the exception."""
    try:
        response = await transport.handle_async_request(request)  # type: ignore[arg-type]
    except Exception as exc:
        return {"raised": type(exc), "message": str(exc), "seen": seen}
    parts = [part async for part in response.aiter_raw()]
    await response.aclose()
    return {
        "status": response.status_code,
        "reason": response.reason_phrase,
        "http_version": response.http_version,
        "headers": response.headers.raw,
        "parts": parts,
        "extensions": response.extensions,
        "seen": seen,
    }


def recording(app: App, seen: dict[str, typing.Any]) -> App:
    """`app`, recording in `seen` its scope and the messages `receive` gave it."""

    async def wrapper(scope: Scope, receive: Receive, send: Send) -> None:
        seen["scope"] = dict(scope)

        async def recording_receive() -> Message:
            message = await receive()
            seen["received"].append(dict(message))
            return message

        await app(scope, recording_receive, send)

    return wrapper


def both(
    backend: str,
    app: App,
    method: str = "GET",
    url: str = "http://testserver/",
    transport_kwargs: dict[str, typing.Any] | None = None,
    **request_kwargs: typing.Any,
) -> tuple[Outcome, Outcome]:
    """Send the same request through faststream's and httpx's ASGITransport, on `backend`."""

    async def run() -> list[Outcome]:
        results = []
        for transport_class, request_class in (
            (ASGITransport, Request),
            (httpx.ASGITransport, httpx.Request),
        ):
            seen: dict[str, typing.Any] = {"received": []}
            transport = transport_class(recording(app, seen), **(transport_kwargs or {}))
            # Generator bodies can be consumed only once: build a fresh one each time.
            kwargs = {k: v() if callable(v) else v for k, v in request_kwargs.items()}
            request = request_class(method, url, **kwargs)
            results.append(await outcome_of(transport, request, seen))
        return results

    ours, theirs = run_on(backend, run)
    return ours, theirs


def assert_same(
    backend: str,
    app: App,
    method: str = "GET",
    url: str = "http://testserver/",
    transport_kwargs: dict[str, typing.Any] | None = None,
    **request_kwargs: typing.Any,
) -> Outcome:
    ours, theirs = both(backend, app, method, url, transport_kwargs, **request_kwargs)
    assert ours == theirs
    return ours


# Apps ------------------------------------------------------------------------------------


async def read_body(receive: Receive) -> bytes:
    body = b""
    while True:
        message = await receive()
        assert message["type"] == "http.request"
        chunk: bytes = message.get("body", b"")
        body += chunk
        if not message.get("more_body", False):
            return body


async def echo_app(scope: Scope, receive: Receive, send: Send) -> None:
    body = await read_body(receive)
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain"), (b"x-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def hello_app(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"Hello, world!"})


# Scope -----------------------------------------------------------------------------------


def test_simple_get(backend: str) -> None:
    outcome = assert_same(backend, hello_app)
    assert outcome["status"] == 200
    assert outcome["parts"] == [b"Hello, world!"]
    scope = outcome["seen"]["scope"]
    assert scope["type"] == "http"
    assert scope["asgi"] == {"version": "3.0"}
    assert scope["server"] == ("testserver", None)
    assert scope["client"] == ("127.0.0.1", 123)
    assert scope["headers"][0] == (b"host", b"testserver")


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
        "ws://testserver/socket",
    ],
)
def test_scope_from_url(backend: str, url: str) -> None:
    assert_same(backend, echo_app, url=url)


def test_path_is_decoded_and_raw_path_is_not(backend: str) -> None:
    outcome = assert_same(backend, echo_app, url="http://testserver:81/caf%C3%A9/a%20b?q=%20")
    scope = outcome["seen"]["scope"]
    assert scope["path"] == "/café/a b"
    assert scope["raw_path"] == b"/caf%C3%A9/a%20b"
    assert scope["query_string"] == b"q=%20"
    assert scope["server"] == ("testserver", 81)


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_methods(backend: str, method: str) -> None:
    outcome = assert_same(backend, echo_app, method)
    assert outcome["seen"]["scope"]["method"] == method


def test_headers_are_lower_cased_and_kept_in_order(backend: str) -> None:
    outcome = assert_same(
        backend,
        echo_app,
        "POST",
        headers=[
            ("X-Custom-Thing", "one"),
            ("x-repeated", "first"),
            ("X-Repeated", "second"),
            ("Content-Type", "application/x-thing"),
        ],
        content=b"abc",
    )
    headers = outcome["seen"]["scope"]["headers"]
    assert (b"x-repeated", b"first") in headers
    assert (b"x-repeated", b"second") in headers
    assert (b"content-length", b"3") in headers


def test_transport_options(backend: str) -> None:
    outcome = assert_same(
        backend,
        echo_app,
        transport_kwargs={"root_path": "/mount", "client": ("10.1.2.3", 4567)},
        url="http://testserver/mount/inner",
    )
    scope = outcome["seen"]["scope"]
    assert scope["root_path"] == "/mount"
    assert scope["path"] == "/mount/inner"
    assert scope["client"] == ("10.1.2.3", 4567)


# Request body ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"content": b"raw bytes body"},
        {"content": "text body \u2603"},
        {"content": b""},
        {},
        {"json": {"a": [1, 2, None]}},
        {"data": {"name": "value", "list": ["x", "y"]}},
    ],
    ids=["bytes", "str", "empty", "none", "json", "form"],
)
def test_request_bodies(backend: str, body: dict[str, typing.Any]) -> None:
    outcome = assert_same(backend, echo_app, "POST", **body)
    received = outcome["seen"]["received"]
    assert received[-1] == {"type": "http.request", "body": b"", "more_body": False}


def test_async_streaming_request_body_arrives_chunk_by_chunk(backend: str) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"one,"
        yield b"two,"
        yield b"three"

    outcome = assert_same(backend, echo_app, "POST", content=lambda: chunks())
    assert outcome["seen"]["received"] == [
        {"type": "http.request", "body": b"one,", "more_body": True},
        {"type": "http.request", "body": b"two,", "more_body": True},
        {"type": "http.request", "body": b"three", "more_body": True},
        {"type": "http.request", "body": b"", "more_body": False},
    ]
    assert outcome["parts"] == [b"one,two,three"]


def test_sync_only_request_body_is_refused(backend: str) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"sync"

    ours, theirs = both(backend, echo_app, "POST", content=lambda: chunks())
    assert ours["raised"] is theirs["raised"] is AssertionError
    assert ours == theirs


def test_receive_after_the_response_gives_disconnect(backend: str) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await read_body(receive)
        await hello_app(scope, receive, send)
        await receive()

    outcome = assert_same(backend, app, "POST", content=b"data")
    assert outcome["seen"]["received"][-1] == {"type": "http.disconnect"}


def test_disconnect_waits_for_the_response_to_complete(backend: str) -> None:
    # An app that watches for disconnect in a task while it sends its body (as Starlette's
    # StreamingResponse does): the disconnect comes only once the last body message is sent.
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await read_body(receive)
        order: list[str] = []

        async def watch() -> None:
            message = await receive()
            order.append(message["type"])

        async with anyio.create_task_group() as watcher:
            watcher.start_soon(watch)
            await send({"type": "http.response.start", "status": 200, "headers": []})
            for index in range(3):
                await anyio.sleep(0)
                order.append(f"body {index}")
                await send({"type": "http.response.body", "body": b"x", "more_body": True})
            order.append("last")
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        await send({"type": "http.response.trailers"})  # unknown messages are ignored
        assert order == ["body 0", "body 1", "body 2", "last", "http.disconnect"]

    outcome = assert_same(backend, app)
    assert outcome["parts"] == [b"xxx"]


# Responses -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [200, 201, 204, 301, 404, 418, 500, 599])
def test_status_codes(backend: str, status: int) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body"})

    outcome = assert_same(backend, app)
    assert outcome["status"] == status


def test_response_headers_keep_order_case_and_repeats(backend: str) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [
            (b"Content-Type", b"text/plain"),
            (b"Set-Cookie", b"a=1"),
            (b"set-cookie", b"b=2"),
            (b"X-Empty", b""),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"x"})

    outcome = assert_same(backend, app)
    assert outcome["headers"][1:3] == [(b"Set-Cookie", b"a=1"), (b"set-cookie", b"b=2")]


def test_start_without_headers_key(backend: str) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200})
        await send({"type": "http.response.body", "body": b"ok"})

    outcome = assert_same(backend, app)
    assert outcome["headers"] == []


@pytest.mark.parametrize(
    "chunks",
    [[b""], [b"one"], [b"a", b"b", b"c"], [b"", b"x", b"", b"y"], [b"z" * 100_000, b"!"]],
)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_response_body_is_buffered_into_one_chunk(
    backend: str, chunks: list[bytes], method: str
) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for chunk in chunks[:-1]:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": chunks[-1], "more_body": False})

    outcome = assert_same(backend, app, method)
    assert b"".join(outcome["parts"]) == (b"".join(chunks) if method == "GET" else b"")


def test_body_is_buffered_before_the_transport_returns(backend: str) -> None:
    async def main() -> None:
        transport = ASGITransport(hello_app)
        response = await transport.handle_async_request(Request("GET", "http://testserver/"))
        assert isinstance(response.stream, AsyncByteStream)
        assert [part async for part in response.stream] == [b"Hello, world!"]
        assert await response.aread() == b"Hello, world!"

    run_on(backend, main)


# Broken apps -----------------------------------------------------------------------------


class AppError(Exception):
    pass


class FatalAppError(BaseException):
    pass


async def fails_before_start(scope: Scope, receive: Receive, send: Send) -> None:
    raise AppError("before start")


async def fails_after_start(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 201, "headers": [(b"x-a", b"1")]})
    await send({"type": "http.response.body", "body": b"partial", "more_body": True})
    raise AppError("after start")


async def fails_after_complete(scope: Scope, receive: Receive, send: Send) -> None:
    await hello_app(scope, receive, send)
    raise AppError("after complete")


async def never_completes(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"more to come", "more_body": True})


async def never_starts(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.body", "body": b"no start"})


async def does_nothing(scope: Scope, receive: Receive, send: Send) -> None:
    return None


async def starts_twice(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.start", "status": 404, "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def body_after_complete(scope: Scope, receive: Receive, send: Send) -> None:
    await hello_app(scope, receive, send)
    await send({"type": "http.response.body", "body": b"extra"})


BROKEN = [
    fails_before_start,
    fails_after_start,
    fails_after_complete,
    never_completes,
    never_starts,
    does_nothing,
    starts_twice,
    body_after_complete,
]


@pytest.mark.parametrize("app", BROKEN, ids=[app.__name__ for app in BROKEN])
@pytest.mark.parametrize("raise_app_exceptions", [True, False])
def test_broken_apps(backend: str, app: App, raise_app_exceptions: bool) -> None:
    assert_same(backend, app, transport_kwargs={"raise_app_exceptions": raise_app_exceptions})


def test_app_exception_is_raised_by_default(backend: str) -> None:
    outcome = assert_same(backend, fails_before_start)
    assert (outcome["raised"], outcome["message"]) == (AppError, "before start")


def test_failure_before_start_gives_500_when_not_raising(backend: str) -> None:
    outcome = assert_same(
        backend, fails_before_start, transport_kwargs={"raise_app_exceptions": False}
    )
    assert (outcome["status"], outcome["headers"], outcome["parts"]) == (500, [], [])


def test_failure_after_start_keeps_what_was_sent_when_not_raising(backend: str) -> None:
    outcome = assert_same(
        backend, fails_after_start, transport_kwargs={"raise_app_exceptions": False}
    )
    assert (outcome["status"], outcome["headers"], outcome["parts"]) == (
        201,
        [(b"x-a", b"1")],
        [b"partial"],
    )


def test_incomplete_response_is_an_assertion_error(backend: str) -> None:
    outcome = assert_same(
        backend, never_completes, transport_kwargs={"raise_app_exceptions": False}
    )
    assert outcome["raised"] is AssertionError


def test_base_exceptions_always_propagate(backend: str) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise FatalAppError("fatal")

    async def main() -> list[str]:
        raised = []
        for transport, request in (
            (ASGITransport(app, raise_app_exceptions=False), Request("GET", "http://t/")),
            (
                httpx.ASGITransport(app, raise_app_exceptions=False),
                httpx.Request("GET", "http://t/"),
            ),
        ):
            with pytest.raises(FatalAppError) as info:
                await transport.handle_async_request(request)  # type: ignore[arg-type]
            raised.append(str(info.value))
        return raised

    assert run_on(backend, main) == ["fatal", "fatal"]


# The constructor (SPEC-httpx §4) ---------------------------------------------------------


def test_constructor_signature_matches_httpx() -> None:
    ours = inspect.signature(ASGITransport.__init__).parameters
    theirs = inspect.signature(httpx.ASGITransport.__init__).parameters
    assert [(p.name, p.default, p.kind) for p in ours.values()] == [
        (p.name, p.default, p.kind) for p in theirs.values()
    ]
    assert list(ours) == ["self", "app", "raise_app_exceptions", "root_path", "client"]


def test_constructor_keeps_its_arguments() -> None:
    transport = ASGITransport(hello_app, False, "/r", ("1.2.3.4", 5))
    assert transport.app is hello_app
    assert transport.raise_app_exceptions is False
    assert transport.root_path == "/r"
    assert transport.client == ("1.2.3.4", 5)


def test_is_an_async_transport_and_context_manager(backend: str) -> None:
    async def main() -> bytes:
        async with ASGITransport(hello_app) as transport:
            assert isinstance(transport, AsyncBaseTransport)
            response = await transport.handle_async_request(Request("GET", "http://t/"))
            body = await response.aread()
        await transport.aclose()  # closing again is harmless
        return body

    assert run_on(backend, main) == b"Hello, world!"
