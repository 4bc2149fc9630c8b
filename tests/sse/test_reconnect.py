"""`Client.iter_events` / `AsyncClient.aiter_events`: reconnection like a browser's EventSource,
against scripted loopback servers, on `Client` and on `AsyncClient` (asyncio, uvloop, trio)."""

from __future__ import annotations

import socket
import time
import typing

import pytest

import faststream
from faststream._sse import Reconnection
from tests.client._backends import run_on
from tests.wire._raw_server import Close, Recv, Send, Sleep, StartServer, response

Events = list[tuple[str, str, str, int | None]]
Outcome = tuple[Events, BaseException | None, float]

HEAD = [
    ("Content-Type", "text/event-stream"),
    ("Transfer-Encoding", "chunked"),
    ("Connection", "close"),
]


def head(status: str = "200 OK", headers: list[tuple[str, str]] = HEAD) -> Send:
    return Send(response(status, headers, content_length=False))


def chunk(piece: bytes) -> Send:
    return Send(b"%x\r\n%s\r\n" % (len(piece), piece))


END = Send(b"0\r\n\r\n")
NO_CONTENT = Send(response("204 No Content", [("Connection", "close")]))
# fast waits for the tests: 0.1 s (the floor), no backoff unless a test asks
FAST: dict[str, typing.Any] = {"retry": 0.1, "backoff": 1.0}


def read(mode: str, url: str, **kwargs: typing.Any) -> Outcome:
    """(events, the exception that ended the iteration or None, seconds taken)."""
    events: Events = []
    start = time.monotonic()
    if mode == "sync":
        try:
            with faststream.Client() as client:
                for e in client.iter_events(url, **kwargs):
                    events.append((e.event, e.data, e.id, e.retry))
        except faststream.HTTPError as exc:
            return events, exc, time.monotonic() - start
        return events, None, time.monotonic() - start

    async def main() -> BaseException | None:
        try:
            async with faststream.AsyncClient() as client:
                async for e in client.aiter_events(url, **kwargs):
                    events.append((e.event, e.data, e.id, e.retry))
        except faststream.HTTPError as exc:
            return exc
        return None

    error = run_on(mode, main)
    return events, error, time.monotonic() - start


def header(request: bytes, name: bytes) -> bytes | None:
    for line in request.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name.lower():
            return value.strip()
    return None


def test_reconnects_with_last_event_id_until_204(mode: str, raw_server: StartServer) -> None:
    server = raw_server(
        # the stream ends cleanly
        [Recv(), head(), chunk(b"retry: 100\nid: 1\ndata: a\n\nid: 2\ndata: b\n\n"), END, Close()],
        # it breaks mid-body (no last chunk), with half an event
        [Recv(), head(), chunk(b"data: c\n\nid: 3\n\ndata: half"), Close()],
        # the server says stop
        [Recv(), NO_CONTENT, Close()],
    )
    events, error, _ = read(mode, server.url + "/feed", **FAST)
    assert error is None
    assert events == [("message", "a", "1", 100), ("message", "b", "2", None),
                      ("message", "c", "2", None)]  # fmt: skip
    first, second, third = server.requests
    assert header(first, b"last-event-id") is None
    assert header(second, b"last-event-id") == b"2"
    assert header(third, b"last-event-id") == b"3"  # set by a block without data
    for request in server.requests:
        assert request.startswith(b"GET /feed HTTP/1.1\r\n")
        assert header(request, b"accept") == b"text/event-stream"
        assert header(request, b"cache-control") == b"no-store"


def test_starting_last_event_id_and_caller_headers(mode: str, raw_server: StartServer) -> None:
    server = raw_server([Recv(), NO_CONTENT, Close()])
    events, error, _ = read(mode, server.url, last_event_id="99", headers={"X-Token": "t"})
    assert (events, error) == ([], None)
    [request] = server.requests
    assert header(request, b"last-event-id") == b"99"
    assert header(request, b"x-token") == b"t"


def test_non_2xx_stops_with_http_status_error(mode: str, raw_server: StartServer) -> None:
    server = raw_server(
        [Recv(), head(), chunk(b"data: a\n\n"), END, Close()],
        [Recv(), Send(response("503 Service Unavailable", [("Connection", "close")])), Close()],
    )
    events, error, _ = read(mode, server.url, **FAST)
    assert events == [("message", "a", "", None)]
    assert isinstance(error, faststream.HTTPStatusError)
    assert error.response.status_code == 503
    assert server.accepted == 2


def test_wrong_media_type_stops_with_sse_error(mode: str, raw_server: StartServer) -> None:
    body = b'{"not": "events"}'
    server = raw_server([Recv(), Send(response("200 OK", [("Content-Type", "application/json")],
                                               body)), Close()])  # fmt: skip
    events, error, _ = read(mode, server.url, **FAST)
    assert events == []
    assert isinstance(error, faststream.SSEError)
    assert server.accepted == 1


def test_oversized_event_stops_with_sse_error(mode: str, raw_server: StartServer) -> None:
    server = raw_server([Recv(), head(), chunk(b"data: ok\n\ndata: " + b"x" * 500 + b"\n\n"),
                         END, Close()])  # fmt: skip
    events, error, _ = read(mode, server.url, max_event_size=100, **FAST)
    assert events == [("message", "ok", "", None)]
    assert isinstance(error, faststream.SSEError)
    assert server.accepted == 1


def test_a_server_that_closes_at_once_forever(mode: str, raw_server: StartServer) -> None:
    # E12: every attempt waits (never a hot loop) and the budget ends it, quietly after
    # clean ends
    empty = [Recv(), head(), END, Close()]
    server = raw_server(*[empty] * 6)
    events, error, seconds = read(mode, server.url, max_reconnects=3, **FAST)
    assert (events, error) == ([], None)
    assert server.accepted == 4  # the first attempt and 3 reconnections
    assert seconds >= 0.3


def test_connection_refused_raises_after_the_budget(mode: str) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens once the socket is closed
    events, error, seconds = read(mode, f"http://127.0.0.1:{port}/", max_reconnects=2, **FAST)
    assert events == []
    assert isinstance(error, faststream.ConnectError)
    assert seconds >= 0.2


def test_backoff_grows_and_max_wait_caps_it(raw_server: StartServer) -> None:
    empty = [Recv(), head(), END, Close()]
    server = raw_server(*[empty] * 4)
    # waits 0.1, 0.2, 0.4
    _, _, seconds = read("sync", server.url, max_reconnects=3, retry=0.1, backoff=2.0)
    assert seconds >= 0.7
    server = raw_server(*[empty] * 4)
    # waits 0.1, 0.15, 0.15
    _, _, seconds = read("sync", server.url, max_reconnects=3, retry=0.1, backoff=2.0,
                         max_wait=0.15)  # fmt: skip
    assert 0.4 <= seconds < 0.7


def test_the_servers_retry_sets_the_wait(raw_server: StartServer) -> None:
    server = raw_server(
        [Recv(), head(), chunk(b"retry: 600\n\n"), END, Close()],
        [Recv(), NO_CONTENT, Close()],
    )
    _, error, seconds = read("sync", server.url, retry=0.1)
    assert error is None
    assert seconds >= 0.6


def test_an_event_resets_the_budget(raw_server: StartServer) -> None:
    empty = [Recv(), head(), END, Close()]
    with_event = [Recv(), head(), chunk(b"data: e\n\n"), END, Close()]
    server = raw_server(empty, with_event, empty, with_event, empty, [Recv(), NO_CONTENT, Close()])
    # never more than 2 attempts in a row without an event, 5 in all
    events, error, _ = read("sync", server.url, max_reconnects=2, **FAST)
    assert (len(events), error) == (2, None)
    assert server.accepted == 6


def test_a_stalled_stream_reconnects_after_the_read_timeout(
    mode: str, raw_server: StartServer
) -> None:
    server = raw_server(
        [Recv(), head(), chunk(b"id: 1\ndata: a\n\n"), Sleep(3.0), Close()],
        [Recv(), head(), chunk(b"data: b\n\n"), END, Close()],
        [Recv(), NO_CONTENT, Close()],
    )
    events, error, seconds = read(mode, server.url, timeout=0.3, **FAST)
    assert error is None
    assert events == [("message", "a", "1", None), ("message", "b", "1", None)]
    assert header(server.requests[1], b"last-event-id") == b"1"
    assert seconds < 2.5


def test_stopping_early_sends_nothing_more(mode: str, raw_server: StartServer) -> None:
    server = raw_server([Recv(), head(), chunk(b"data: 1\n\ndata: 2\n\n"), Sleep(3.0), Close()])
    start = time.monotonic()
    if mode == "sync":
        with faststream.Client() as client:
            for event in client.iter_events(server.url):
                assert event.data == "1"
                break
    else:

        async def main() -> None:
            async with faststream.AsyncClient() as client:
                events = typing.cast(
                    typing.AsyncGenerator[faststream.ServerSentEvent, None],
                    client.aiter_events(server.url),
                )
                assert (await events.__anext__()).data == "1"
                await events.aclose()

        run_on(mode, main)
    assert time.monotonic() - start < 2.0
    assert server.accepted == 1


@pytest.mark.parametrize(
    "kwargs",
    [{"max_reconnects": -1}, {"retry": -1.0}, {"max_wait": -1.0}, {"backoff": 0.5}],
)
def test_bad_settings(kwargs: dict[str, typing.Any]) -> None:
    with faststream.Client() as client:
        with pytest.raises(ValueError):
            next(iter(client.iter_events("http://127.0.0.1:9/", **kwargs)))


def test_max_wait_caps_the_servers_retry(raw_server: StartServer) -> None:
    server = raw_server(
        [Recv(), head(), chunk(b"retry: 100000\ndata: a\n\n"), END, Close()],
        [Recv(), NO_CONTENT, Close()],
    )
    events, error, seconds = read("sync", server.url, max_wait=0.2)
    assert (events, error) == ([("message", "a", "", 100000)], None)
    assert 0.2 <= seconds < 2.0


def test_the_default_wait_is_three_seconds(raw_server: StartServer) -> None:
    # no retry field from the server and no retry keyword: a browser's 3 s (plus jitter)
    server = raw_server([Recv(), head(), END, Close()], [Recv(), NO_CONTENT, Close()])
    _, error, seconds = read("sync", server.url)
    assert error is None
    assert server.accepted == 2
    assert 3.0 <= seconds < 5.0


def test_waits_spread_upwards_and_stay_under_the_cap() -> None:
    plan = Reconnection(
        last_event_id=None, max_reconnects=None, retry=1.0, max_wait=30.0, backoff=1.0,
        max_event_size=None,
    )  # fmt: skip
    waits = [plan.wait(None) for _ in range(40)]
    assert all(w is not None and 1.0 <= w <= 1.2 for w in waits)  # never sooner than asked
    assert len(set(waits)) > 1  # clients cut off together do not return together
    capped = Reconnection(
        last_event_id=None, max_reconnects=None, retry=1.0, max_wait=0.5, backoff=2.0,
        max_event_size=None,
    )  # fmt: skip
    assert {capped.wait(None) for _ in range(10)} == {0.5}
