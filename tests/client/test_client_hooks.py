"""Event hooks and the log line, against httpx 0.28.1.

Hooks run on every hop (redirects and auth retries); a response hook sees the response before
its body is read; an exception in a hook propagates and the response is closed. Each request
is logged at INFO as `HTTP Request: GET <url> "HTTP/1.1 200 OK"` -- on logger `faststream`
for faststream, `httpx` for httpx (deviation: the logger name).
"""

from __future__ import annotations

import logging
import typing
from collections.abc import Iterator

import pytest

from tests.client._helpers import FASTSTREAM, HTTPX, Lib, differential, observe

pytestmark = pytest.mark.usefixtures("client_mode")


def hop(lib: Lib, request: typing.Any) -> typing.Any:
    if request.url.path == "/start":
        return lib.Response(302, headers={"Location": "/end"})
    return lib.Response(200, text="done")


def test_hooks_run_on_every_hop() -> None:
    views = []
    for lib in (FASTSTREAM, HTTPX):
        events: list[typing.Any] = []

        def on_request(request: typing.Any, events: list[typing.Any] = events) -> None:
            events.append(("request", request.method, str(request.url)))
            request.headers["X-Hooked"] = "1"

        def on_response(response: typing.Any, events: list[typing.Any] = events) -> None:
            events.append(
                ("response", response.status_code, response.is_stream_consumed, str(response.url))
            )

        seen = observe(
            lib,
            hop,
            lambda c: c.get("http://example.org/start", follow_redirects=True),
            event_hooks={"request": [on_request], "response": [on_response, on_response]},
        )
        views.append((events, seen))
    assert views[0] == views[1]
    assert len(views[0][0]) == 6
    assert all(h == (b"X-Hooked", b"1") for h in [r["headers"][-1] for r in views[0][1]["sent"]])


def test_response_hook_sees_unread_body(lib: Lib) -> None:
    states = []

    class Body(lib.SyncByteStream):  # type: ignore[misc,name-defined]
        def __iter__(self) -> Iterator[bytes]:
            yield b"body"

    def on_response(response: typing.Any) -> None:
        states.append((response.is_stream_consumed, response.is_closed))

    transport = lib.MockTransport(lambda request: lib.Response(200, stream=Body()))
    with lib.Client(transport=transport, event_hooks={"response": [on_response]}) as client:
        response = client.get("http://example.org/")
    assert states == [(False, False)]
    assert response.content == b"body"


@pytest.mark.parametrize("where", ["request", "response"])
def test_hook_exception_propagates_and_closes(lib: Lib, where: str) -> None:
    closes = []

    class Body(lib.SyncByteStream):  # type: ignore[misc,name-defined]
        def __iter__(self) -> Iterator[bytes]:
            yield b"x"

        def close(self) -> None:
            closes.append(1)

    def fail(_: typing.Any) -> None:
        raise LookupError("hook failed")

    transport = lib.MockTransport(lambda request: lib.Response(500, stream=Body()))
    with lib.Client(transport=transport, event_hooks={where: [fail]}) as client:
        with pytest.raises(LookupError, match="hook failed"):
            client.get("http://example.org/")
    assert closes == ([] if where == "request" else [1])


def test_raise_for_status_in_a_hook() -> None:
    def check(response: typing.Any) -> None:
        response.raise_for_status()

    seen = differential(
        lambda lib, request: lib.Response(404, text="missing"),
        lambda c: c.get("http://example.org/x"),
        event_hooks={"response": [check]},
    )
    assert seen["result"]["raised"] == "HTTPStatusError"


def test_event_hooks_property(lib: Lib) -> None:
    def a(_: typing.Any) -> None:
        pass

    client = lib.Client(event_hooks={"request": [a]})
    assert client.event_hooks == {"request": [a], "response": []}
    client.event_hooks = {"response": [a, a]}
    assert client.event_hooks == {"request": [], "response": [a, a]}
    hooks = {"request": [a]}
    client.event_hooks = hooks
    hooks["request"].append(a)  # the client keeps its own lists
    assert client.event_hooks["request"] == [a]
    client.close()


# --- logging -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "extensions"),
    [
        (200, {}),
        (404, {}),
        (299, {}),
        (200, {"reason_phrase": b"Fine", "http_version": b"HTTP/1.0"}),
        (302, {}),
    ],
)
def test_log_line(status: int, extensions: dict[str, typing.Any]) -> None:
    def handler(lib: Lib, request: typing.Any) -> typing.Any:
        return lib.Response(status, extensions=extensions)

    seen = differential(handler, lambda c: c.request("PATCH", "http://example.org/a?b=c d"))
    assert len(seen["logs"]) == 1


def test_logger_name_and_level(lib: Lib, caplog: pytest.LogCaptureFixture) -> None:
    # Deviation: faststream logs on "faststream" (httpx on "httpx"), same level and text.
    transport = lib.MockTransport(lambda request: lib.Response(200))
    with caplog.at_level(logging.INFO, logger=lib.name):
        with lib.Client(transport=transport) as client:
            client.get("http://127.0.0.1:8000/")
    assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records] == [
        (lib.name, logging.INFO, 'HTTP Request: GET http://127.0.0.1:8000/ "HTTP/1.1 200 OK"')
    ]


def test_each_hop_is_logged() -> None:
    seen = differential(hop, lambda c: c.get("http://example.org/start", follow_redirects=True))
    assert [line for _, line in seen["logs"]] == [
        'HTTP Request: GET http://example.org/start "HTTP/1.1 302 Found"',
        'HTTP Request: GET http://example.org/end "HTTP/1.1 200 OK"',
    ]
