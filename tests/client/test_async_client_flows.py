"""`AsyncClient`-only behaviour, differential against httpx 0.28.1's `AsyncClient`.

The behaviours shared with `Client` run for both clients in tests/client/test_client_*.py
(`client_mode`). Here: what exists only on the async side -- auth flows overriding
`async_auth_flow`, coroutine event hooks, async request bodies (async generators, async
iterator objects), `MockTransport` with an `async def` handler, `ASGITransport` -- and the
sync/async mismatch errors. Each scenario is an `async def` run once with faststream and once
with httpx (`both`), on asyncio, uvloop and trio (`backend`); the observations must be equal
unless a comment says otherwise.
"""

from __future__ import annotations

import json
import sys
import typing
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterator

import anyio
import pytest

from tests.client._backends import run_on
from tests.client._helpers import FASTSTREAM, HTTPX, Lib

Scenario = Callable[[Lib, typing.Any], Awaitable[typing.Any]]

pytestmark = pytest.mark.timeout(30)


def both(scenario: Scenario, backend: str) -> typing.Any:
    """Run `scenario(lib, lib.AsyncClient)` on `backend` with faststream and with httpx; assert
    the two results are equal and return faststream's."""
    results = []
    for lib in (FASTSTREAM, HTTPX):
        results.append(run_on(backend, _outcome_of, scenario, lib))
    assert results[0] == results[1]
    return results[0]


async def _outcome_of(scenario: Scenario, lib: Lib) -> typing.Any:
    return await _outcome(scenario(lib, lib.AsyncClient))


async def _outcome(awaitable: Awaitable[typing.Any]) -> typing.Any:
    try:
        return await awaitable
    except Exception as exc:
        return ("raised", type(exc).__name__, str(exc))


def echo(lib: Lib) -> typing.Any:
    def handler(request: typing.Any) -> typing.Any:
        return lib.Response(
            200,
            json={
                "method": request.method,
                "url": str(request.url),
                "body": request.content.decode(),
                "headers": {k: v for k, v in request.headers.items() if k not in ("user-agent",)},
            },
        )

    return lib.MockTransport(handler)


# --- async auth flows ------------------------------------------------------------------------


def token_auth(lib: Lib, log: list[str]) -> typing.Any:
    """An Auth doing I/O the async way: `async_auth_flow` awaits to get a token, retries once
    on 401 with a fresh one."""

    class TokenAuth(lib.Auth):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            self.issued = 0

        async def token(self) -> str:
            await anyio.sleep(0)
            self.issued += 1
            log.append(f"token {self.issued}")
            return f"t{self.issued}"

        async def async_auth_flow(
            self, request: typing.Any
        ) -> AsyncGenerator[typing.Any, typing.Any]:
            request.headers["Authorization"] = f"Bearer {await self.token()}"
            response = yield request
            log.append(f"got {response.status_code}")
            if response.status_code == 401:
                request.headers["Authorization"] = f"Bearer {await self.token()}"
                yield request

        def sync_auth_flow(self, request: typing.Any) -> typing.Any:
            raise RuntimeError("the sync flow is not used by AsyncClient")

    return TokenAuth()


def test_async_auth_flow_with_retry(backend: str) -> None:
    async def scenario(lib: Lib, client_class: typing.Any) -> typing.Any:
        log: list[str] = []

        def handler(request: typing.Any) -> typing.Any:
            if request.headers["Authorization"] == "Bearer t1":
                return lib.Response(401, text="expired")
            return lib.Response(200, text=request.headers["Authorization"])

        transport = lib.MockTransport(handler)
        async with client_class(transport=transport, auth=token_auth(lib, log)) as client:
            response = await client.get("http://example.org/")
        return (
            response.text,
            [(r.status_code, r.text, r.is_closed) for r in response.history],
            log,
        )

    assert both(scenario, backend) == (
        "Bearer t2",
        [(401, "expired", True)],
        ["token 1", "got 401", "token 2"],
    )


@pytest.mark.parametrize("request_body", [False, True])
@pytest.mark.parametrize("response_body", [False, True])
def test_requires_bodies_with_async_streams(
    backend: str, request_body: bool, response_body: bool
) -> None:
    async def scenario(lib: Lib, client_class: typing.Any) -> typing.Any:
        seen: list[typing.Any] = []

        class Inspecting(lib.Auth):  # type: ignore[misc,name-defined]
            requires_request_body = request_body
            requires_response_body = response_body

            def auth_flow(self, request: typing.Any) -> typing.Any:
                seen.append(_content(request))
                response = yield request
                seen.append(_content(response))

        class Body(lib.AsyncByteStream):  # type: ignore[misc,name-defined]
            async def __aiter__(self) -> AsyncIterator[bytes]:
                yield b"response "
                yield b"body"

        async def body() -> AsyncIterator[bytes]:
            yield b"request "
            yield b"body"

        async def handler(request: typing.Any) -> typing.Any:
            return lib.Response(200, stream=Body())

        async with client_class(transport=lib.MockTransport(handler)) as client:
            response = await client.post("http://example.org/", content=body(), auth=Inspecting())
        return seen, response.content

    seen, content = both(scenario, backend)
    assert seen[0] == (b"request body" if request_body else "RequestNotRead")
    assert seen[1] == (b"response body" if response_body else "ResponseNotRead")
    assert content == b"response body"


def _content(message: typing.Any) -> typing.Any:
    try:
        return message.content
    except Exception as exc:  # RequestNotRead / ResponseNotRead of either library
        return type(exc).__name__


def test_digest_auth_with_async_body(backend: str) -> None:
    # MockTransport reads the body (aread), so the retry after the challenge re-sends it.
    async def scenario(lib: Lib, client_class: typing.Any) -> typing.Any:
        def handler(request: typing.Any) -> typing.Any:
            if "Authorization" not in request.headers:
                return lib.Response(
                    401, headers={"WWW-Authenticate": 'Digest realm="r", nonce="n"'}
                )
            return lib.Response(200, content=request.content)

        async def body() -> AsyncIterator[bytes]:
            yield b"once"

        async with client_class(transport=lib.MockTransport(handler)) as client:
            response = await client.post(
                "http://example.org/", content=body(), auth=lib.DigestAuth("u", "p")
            )
        return response.status_code, response.content, [r.status_code for r in response.history]

    assert both(scenario, backend) == (200, b"once", [401])


# --- coroutine event hooks --------------------------------------------------------------------


def test_coroutine_hooks_run_on_every_hop_in_order(backend: str) -> None:
    async def scenario(lib: Lib, client_class: typing.Any) -> typing.Any:
        events: list[typing.Any] = []

        async def on_request(request: typing.Any) -> None:
            await anyio.sleep(0)
            events.append(("request", str(request.url)))
            request.headers["X-Hooked"] = "1"

        async def on_response(response: typing.Any) -> None:
            await anyio.sleep(0)
            events.append(("response", response.status_code, response.is_stream_consumed))

        def handler(request: typing.Any) -> typing.Any:
            if request.url.path == "/start":
                return lib.Response(302, headers={"Location": "/end"})
            return lib.Response(200, text=request.headers["X-Hooked"])

        hooks = {"request": [on_request], "response": [on_response]}
        async with client_class(
            transport=lib.MockTransport(handler), event_hooks=hooks, follow_redirects=True
        ) as client:
            response = await client.get("http://example.org/start")
        return response.text, events

    text, events = both(scenario, backend)
    assert text == "1"
    assert [e[0] for e in events] == ["request", "response", "request", "response"]


@pytest.mark.parametrize("where", ["request", "response"])
def test_sync_hook_in_async_client_is_a_type_error(backend: str, where: str) -> None:
    # httpx awaits every hook: a plain function runs, then awaiting its None fails.
    async def scenario(lib: Lib, client_class: typing.Any) -> typing.Any:
        calls: list[str] = []
        closes: list[int] = []

        class Body(lib.AsyncByteStream):  # type: ignore[misc,name-defined]
            async def __aiter__(self) -> AsyncIterator[bytes]:
                yield b"x"

            async def aclose(self) -> None:
                closes.append(1)

        transport = lib.MockTransport(lambda request: lib.Response(200, stream=Body()))
        hooks = {where: [lambda message: calls.append(where)]}
        async with client_class(transport=transport, event_hooks=hooks) as client:
            outcome = await _outcome(client.get("http://example.org/"))
        return outcome, calls, closes

    outcome, calls, closes = both(scenario, backend)
    assert outcome[:2] == ("raised", "TypeError")
    assert calls == [where]
    assert closes == ([] if where == "request" else [1])


def test_async_hook_exception_closes_the_response(backend: str) -> None:
    async def scenario(lib: Lib, client_class: typing.Any) -> typing.Any:
        closes: list[int] = []

        class Body(lib.AsyncByteStream):  # type: ignore[misc,name-defined]
            async def __aiter__(self) -> AsyncIterator[bytes]:
                yield b"x"

            async def aclose(self) -> None:
                closes.append(1)

        async def check(response: typing.Any) -> None:
            response.raise_for_status()

        transport = lib.MockTransport(lambda request: lib.Response(503, stream=Body()))
        async with client_class(transport=transport, event_hooks={"response": [check]}) as client:
            outcome = await _outcome(client.get("http://example.org/"))
        return outcome[:2], closes

    assert both(scenario, backend) == (("raised", "HTTPStatusError"), [1])


# --- async request bodies ----------------------------------------------------------------------


class Pieces:
    """An async iterator object (not a generator): `__aiter__` returns itself."""

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = list(pieces)

    def __aiter__(self) -> Pieces:
        return self

    async def __anext__(self) -> bytes:
        if not self.pieces:
            raise StopAsyncIteration
        await anyio.sleep(0)
        return self.pieces.pop(0)


@pytest.mark.parametrize("kind", ["async-generator", "async-iterator", "bytes", "empty"])
@pytest.mark.parametrize("method", ["post", "put", "patch"])
def test_async_request_bodies(backend: str, kind: str, method: str) -> None:
    async def scenario(lib: Lib, client_class: typing.Any) -> typing.Any:
        async def generator() -> AsyncIterator[bytes]:
            yield b"first,"
            await anyio.sleep(0)
            yield b""
            yield b"second"

        content: typing.Any = {
            "async-generator": generator(),
            "async-iterator": Pieces([b"first,", b"second"]),
            "bytes": b"first,second",
            "empty": b"",
        }[kind]
        async with client_class(transport=echo(lib)) as client:
            response = await getattr(client, method)("http://example.org/", content=content)
        return response.json()

    seen = both(scenario, backend)
    assert seen["body"] == ("" if kind == "empty" else "first,second")
    chunked = kind in ("async-generator", "async-iterator")
    assert (seen["headers"].get("transfer-encoding") == "chunked") == chunked


def test_sync_request_body_in_async_client(backend: str) -> None:
    async def scenario(lib: Lib, client_class: typing.Any) -> typing.Any:
        def body() -> Iterator[bytes]:
            yield b"x"

        async with client_class(transport=echo(lib)) as client:
            return await client.post("http://example.org/", content=body())

    assert both(scenario, backend) == (
        "raised",
        "RuntimeError",
        "Attempted to send an sync request with an AsyncClient instance.",
    )


def test_async_streaming_response_methods(backend: str) -> None:
    async def scenario(lib: Lib, client_class: typing.Any) -> typing.Any:
        class Lines(lib.AsyncByteStream):  # type: ignore[misc,name-defined]
            async def __aiter__(self) -> AsyncIterator[bytes]:
                for piece in (b'{"a": 1}\n{"b"', b": 2}\r\n", b"caf\xc3", b"\xa9\n"):
                    yield piece

        def handler(request: typing.Any) -> typing.Any:
            return lib.Response(200, stream=Lines())

        got: dict[str, typing.Any] = {}
        async with client_class(transport=lib.MockTransport(handler)) as client:
            for name in ("aiter_raw", "aiter_bytes", "aiter_text", "aiter_lines"):
                async with client.stream("GET", "http://example.org/") as response:
                    got[name] = [piece async for piece in getattr(response, name)()]
                    got[name + " closed"] = response.is_closed
            async with client.stream("GET", "http://example.org/") as response:
                got["aread"] = await response.aread()
                got["sync read"] = await _outcome(_sync(response.read))
        return got

    got = both(scenario, backend)
    assert [json.loads(line) for line in got["aiter_lines"][:2]] == [{"a": 1}, {"b": 2}]
    assert got["aiter_lines"][2] == "café"


async def _sync(call: Callable[[], typing.Any]) -> typing.Any:
    return call()


# --- MockTransport with an async handler ---------------------------------------------------------


def test_mock_transport_async_handler(backend: str) -> None:
    async def scenario(lib: Lib, client_class: typing.Any) -> typing.Any:
        async def handler(request: typing.Any) -> typing.Any:
            await anyio.sleep(0)
            return lib.Response(201, json={"got": request.content.decode()})

        async with client_class(
            transport=lib.MockTransport(handler), base_url="http://api.example"
        ) as client:
            response = await client.post("/items", json={"k": 1})
        return response.status_code, response.json(), str(response.url)

    assert both(scenario, backend) == (201, {"got": '{"k":1}'}, "http://api.example/items")


# --- sync/async mismatches ---------------------------------------------------------------------


def test_sync_transport_in_async_client(backend: str) -> None:
    async def scenario(lib: Lib, client_class: typing.Any) -> typing.Any:
        class SyncOnly(lib.BaseTransport):  # type: ignore[misc,name-defined]
            def handle_request(self, request: typing.Any) -> typing.Any:
                return lib.Response(200)

        client = client_class(transport=SyncOnly())
        outcome = await _outcome(client.get("http://example.org/"))
        return outcome

    assert both(scenario, backend) == (
        "raised",
        "AttributeError",
        "'SyncOnly' object has no attribute 'handle_async_request'",
    )


def test_transport_returning_a_sync_stream(backend: str) -> None:
    # httpx: a bare AssertionError; faststream: TypeError with a message (deviation, as
    # `Client` does for the reverse), the request attached to the response.
    outcomes = {}
    for lib in (FASTSTREAM, HTTPX):

        class SyncBody(lib.SyncByteStream):  # type: ignore[misc,name-defined]
            def __iter__(self) -> Iterator[bytes]:
                yield b"x"

        async def scenario(
            lib: Lib, client_class: typing.Any, body: typing.Any = SyncBody
        ) -> typing.Any:
            transport = lib.MockTransport(lambda request: lib.Response(200, stream=body()))
            async with client_class(transport=transport) as client:
                return await client.get("http://example.org/")

        outcomes[lib.name] = run_on(backend, _outcome_of, scenario, lib)
    assert outcomes == {
        "faststream": (
            "raised",
            "TypeError",
            "The transport returned a response with a sync stream.",
        ),
        "httpx": ("raised", "AssertionError", ""),
    }


def test_sync_methods_on_async_responses(backend: str) -> None:
    async def scenario(lib: Lib, client_class: typing.Any) -> typing.Any:
        class Body(lib.AsyncByteStream):  # type: ignore[misc,name-defined]
            async def __aiter__(self) -> AsyncIterator[bytes]:
                yield b"x"

        transport = lib.MockTransport(lambda request: lib.Response(200, stream=Body()))
        outcomes = []
        async with client_class(transport=transport) as client:
            async with client.stream("GET", "http://example.org/") as response:
                for call in (response.read, lambda: next(response.iter_bytes()), response.close):
                    outcomes.append(await _outcome(_sync(call)))
        return outcomes

    assert [o[2] for o in both(scenario, backend)] == [
        "Attempted to call a sync iterator on an async stream.",
        "Attempted to call a sync iterator on an async stream.",
        "Attempted to call an sync close on an async stream.",
    ]


def test_state_and_aclose(backend: str) -> None:
    async def scenario(lib: Lib, client_class: typing.Any) -> typing.Any:
        calls: list[str] = []

        class Counting(lib.AsyncBaseTransport):  # type: ignore[misc,name-defined]
            def __init__(self, name: str) -> None:
                self.name = name

            async def handle_async_request(self, request: typing.Any) -> typing.Any:
                return lib.Response(200, text=self.name)

            async def __aenter__(self) -> typing.Any:
                calls.append(f"{self.name}.enter")
                return self

            async def __aexit__(self, *args: typing.Any) -> None:
                calls.append(f"{self.name}.exit")

            async def aclose(self) -> None:
                calls.append(f"{self.name}.close")

        first = client_class(transport=Counting("default"), mounts={"https://": Counting("secure")})
        async with first as entered:
            assert entered is first
            calls.append((await first.get("https://example.org/")).text)
        outcomes = [await _outcome(first.get("http://example.org/"))]
        outcomes.append(await _outcome(first.__aenter__()))
        second = client_class(transport=Counting("second"))
        await second.get("http://example.org/")
        outcomes.append(await _outcome(second.__aenter__()))
        await second.aclose()
        await second.aclose()
        return calls, outcomes, first.is_closed, second.is_closed

    calls, outcomes, first_closed, second_closed = both(scenario, backend)
    assert calls == [
        "default.enter",
        "secure.enter",
        "secure",
        "default.exit",
        "secure.exit",
        "second.close",
    ]
    assert [o[2] for o in outcomes] == [
        "Cannot send a request, as the client has been closed.",
        "Cannot reopen a client instance, once it has been closed.",
        "Cannot open a client instance more than once.",
    ]
    assert first_closed and second_closed


def test_http2_without_h2_is_an_import_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "h2", None)
    with pytest.raises(ImportError, match="'h2' package is not installed"):
        FASTSTREAM.AsyncClient(http2=True)


# --- ASGITransport -------------------------------------------------------------------------------


async def asgi_app(scope: dict[str, typing.Any], receive: typing.Any, send: typing.Any) -> None:
    assert scope["type"] == "http"
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if scope["path"] == "/redirect":
        await send(
            {"type": "http.response.start", "status": 302, "headers": [(b"location", b"/echo")]}
        )
        await send({"type": "http.response.body", "body": b"moved"})
        return
    if scope["path"] == "/cookie":
        headers = [(b"set-cookie", b"session=s1; Path=/"), (b"content-type", b"text/plain")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"set"})
        return
    if scope["path"] == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for i in range(3):
            await send({"type": "http.response.body", "body": b"line %d\n" % i, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        return
    if scope["path"] == "/error":
        raise ValueError("app failed")
    reply = {
        "method": scope["method"],
        "path": scope["path"],
        "query": scope["query_string"].decode(),
        "root_path": scope["root_path"],
        "client": list(scope["client"]) if scope["client"] else None,
        "cookie": dict(scope["headers"]).get(b"cookie", b"").decode(),
        "body": body.decode(),
    }
    payload = json.dumps(reply).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": payload})


@pytest.mark.parametrize("options", [{}, {"root_path": "/root", "client": ("1.2.3.4", 5)}])
def test_asgi_transport_through_async_client(backend: str, options: dict[str, typing.Any]) -> None:
    async def scenario(lib: Lib, client_class: typing.Any) -> typing.Any:
        transport = lib.ASGITransport(app=asgi_app, **options)
        results: list[typing.Any] = []
        async with client_class(
            transport=transport, base_url="http://testserver", follow_redirects=True
        ) as client:
            await client.get("/cookie")
            response = await client.post("/echo?q=1", content=b"payload")
            results.append(response.json())
            response = await client.get("/redirect")
            results.append((response.json()["path"], [r.status_code for r in response.history]))
            async with client.stream("GET", "/stream") as response:
                results.append([line async for line in response.aiter_lines()])
            results.append(await _outcome(client.get("/error")))
        return results

    results = both(scenario, backend)
    assert results[0]["cookie"] == "session=s1"
    assert results[1] == ("/echo", [302])
    assert results[3] == ("raised", "ValueError", "app failed")


def test_asgi_transport_without_raising_app_exceptions(backend: str) -> None:
    async def scenario(lib: Lib, client_class: typing.Any) -> typing.Any:
        transport = lib.ASGITransport(app=asgi_app, raise_app_exceptions=False)
        async with client_class(transport=transport) as client:
            response = await client.get("http://testserver/error")
        return response.status_code, response.content

    assert both(scenario, backend) == (500, b"")
