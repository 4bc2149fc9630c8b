"""Server-sent events end to end: a scripted loopback server, `connect_sse` / `iter_sse` with
`Client`, and `aconnect_sse` / `aiter_sse` with `AsyncClient` on asyncio, uvloop and trio."""

from __future__ import annotations

import gzip
import time
import typing
from collections.abc import Callable

import httpx
import httpx_sse
import pytest

import faststream
from tests.client._backends import run_on
from tests.wire._raw_server import Close, Recv, Send, Sleep, StartServer, response

Events = list[tuple[str, str, str, int | None]]

SSE_HEAD = [("Content-Type", "text/event-stream"), ("Transfer-Encoding", "chunked")]


def head(headers: list[tuple[str, str]] = SSE_HEAD, status: str = "200 OK") -> Send:
    return Send(response(status, headers, content_length=False))


def chunk(piece: bytes) -> Send:
    return Send(b"%x\r\n%s\r\n" % (len(piece), piece))


END = Send(b"0\r\n\r\n")


def as_tuples(events: typing.Iterable[faststream.ServerSentEvent]) -> Events:
    return [(e.event, e.data, e.id, e.retry) for e in events]


def read_events(mode: str, url: str, **kwargs: typing.Any) -> Events:
    """The events `connect_sse` (sync) or `aconnect_sse` (on the backend `mode`) yields."""
    if mode == "sync":
        with faststream.Client() as client:
            with faststream.connect_sse(client, "GET", url, **kwargs) as source:
                assert isinstance(source.response, faststream.Response)
                return as_tuples(source.iter_sse())

    async def main() -> Events:
        async with faststream.AsyncClient() as client:
            async with faststream.aconnect_sse(client, "GET", url, **kwargs) as source:
                return as_tuples([e async for e in source.aiter_sse()])

    return run_on(mode, main)


def outcome(
    mode: str,
    url: str,
    use: Callable[[faststream.Response], typing.Any] | None = None,
    **kwargs: typing.Any,
) -> tuple[Events, BaseException | None, bool]:
    """(events read, the exception raised or None, whether the response ended closed), reading
    with `Response.iter_sse` / `aiter_sse` inside `client.stream`."""
    events: Events = []
    if mode == "sync":
        with faststream.Client() as client:
            with client.stream("GET", url) as resp:
                try:
                    for event in resp.iter_sse(**kwargs):
                        events += as_tuples([event])
                except faststream.HTTPError as exc:
                    return events, exc, resp.is_closed
                return events, None, resp.is_closed

    async def main() -> tuple[Events, BaseException | None, bool]:
        async with faststream.AsyncClient() as client:
            async with client.stream("GET", url) as resp:
                try:
                    async for event in resp.aiter_sse(**kwargs):
                        events.extend(as_tuples([event]))
                except faststream.HTTPError as exc:
                    return events, exc, resp.is_closed
                return events, None, resp.is_closed

    return run_on(mode, main)


def test_events_across_writes(mode: str, raw_server: StartServer) -> None:
    # events cut at every awkward point: inside a field, between CR and LF, inside a UTF-8
    # character, inside the BOM
    server = raw_server(
        [
            Recv(),
            head(),
            chunk(b"\xef\xbb"),
            chunk(b"\xbfretry: 2500\r"),
            Sleep(0.02),
            chunk(b"\nid: 1\ndata: a"),
            chunk(b"b\r\n"),
            chunk(b"\r"),
            Sleep(0.02),
            chunk(b"\n: keep-alive\n\nevent: x\ndata: \xc3"),
            chunk(b"\xa9\n\ndata: incomplete"),
            END,
            Close(),
        ]
    )
    assert read_events(mode, server.url + "/stream") == [
        ("message", "ab", "1", 2500),
        ("x", "é", "1", None),
    ]
    request = server.requests[0].lower()
    assert b"\r\naccept: text/event-stream\r\n" in request
    assert b"\r\ncache-control: no-store\r\n" in request


def test_caller_headers_are_kept(mode: str, raw_server: StartServer) -> None:
    server = raw_server([Recv(), head(), chunk(b"data: 1\n\n"), END, Close()])
    events = read_events(
        mode, server.url, headers={"Accept": "text/event-stream; q=1", "X-Token": "t"}
    )
    assert events == [("message", "1", "", None)]
    request = server.requests[0].lower()
    assert b"\r\naccept: text/event-stream; q=1\r\n" in request
    assert b"\r\nx-token: t\r\n" in request


def test_an_event_is_delivered_before_the_stream_goes_on(
    mode: str, raw_server: StartServer
) -> None:
    # the first event must arrive while the server still holds the rest: a parser that waited
    # for more bytes (or for the end) would block until the server's pause ends
    server = raw_server(
        [
            Recv(),
            head(),
            chunk(b"data: first\r\r"),
            Sleep(1.0),
            chunk(b"data: second\n\n"),
            END,
            Close(),
        ]
    )
    seen: list[float] = []
    start = time.monotonic()
    if mode == "sync":
        with faststream.Client() as client, client.stream("GET", server.url) as resp:
            for _ in resp.iter_sse():
                seen.append(time.monotonic() - start)
    else:

        async def main() -> None:
            async with faststream.AsyncClient() as client:
                async with client.stream("GET", server.url) as resp:
                    async for _ in resp.aiter_sse():
                        seen.append(time.monotonic() - start)

        run_on(mode, main)
    assert len(seen) == 2
    assert seen[0] < 0.8 <= seen[1]


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/json", "text/event-streams", "", "text/event-stream-x"],
)
def test_wrong_media_type_raises_sse_error(
    mode: str, raw_server: StartServer, content_type: str
) -> None:
    headers = [("Content-Type", content_type)] if content_type else []
    server = raw_server([Recv(), Send(response("200 OK", headers, b"data: 1\n\n")), Close()])
    events, exc, _ = outcome(mode, server.url)
    assert events == []
    assert isinstance(exc, faststream.SSEError)
    assert isinstance(exc, faststream.TransportError)
    assert str(exc) == (
        f"Expected response header Content-Type to be 'text/event-stream', got {content_type!r}"
    )
    assert exc.request.url == server.url


@pytest.mark.parametrize(
    "content_type",
    ["text/event-stream; charset=latin-1", "Text/Event-Stream", " text/event-stream ;x=1"],
)
def test_media_type_parameters_and_case(
    mode: str, raw_server: StartServer, content_type: str
) -> None:
    # the charset parameter is ignored: the stream is UTF-8
    body = "data: é\n\n".encode()
    server = raw_server(
        [Recv(), Send(response("200 OK", [("Content-Type", content_type)], body)), Close()]
    )
    assert outcome(mode, server.url) == ([("message", "é", "", None)], None, True)


def test_oversized_event_raises_after_earlier_events(mode: str, raw_server: StartServer) -> None:
    server = raw_server(
        [
            Recv(),
            head(),
            chunk(b"data: ok\n\n"),
            # E10: one event of endless data lines, never a blank line; the client stops it
            *[chunk(b"data: " + b"x" * 1000 + b"\n") for _ in range(40)],
            END,
            Close(),
        ]
    )
    events, exc, closed = outcome(mode, server.url, max_event_size=10_000)
    assert events == [("message", "ok", "", None)]
    assert isinstance(exc, faststream.SSEError)
    assert str(exc) == "server-sent event larger than max_event_size (10000 bytes)"
    assert exc.request.url == server.url
    assert closed


def test_content_encoding_is_decoded(mode: str, raw_server: StartServer) -> None:
    body = gzip.compress(b"id: 9\ndata: zipped\n\n" * 3)
    headers = [("Content-Type", "text/event-stream"), ("Content-Encoding", "gzip")]
    server = raw_server([Recv(), Send(response("200 OK", headers, body)), Close()])
    assert read_events(mode, server.url) == [("message", "zipped", "9", None)] * 3


def test_stopping_early_does_not_wait_for_the_stream(mode: str, raw_server: StartServer) -> None:
    # the server holds the stream open for 3 s; leaving after the first event must not wait
    server = raw_server(
        [Recv(), head(), chunk(b"data: 1\n\ndata: 2\n\n"), Sleep(3.0), END, Close()]
    )
    start = time.monotonic()
    if mode == "sync":
        with faststream.Client() as client, client.stream("GET", server.url) as resp:
            events = resp.iter_sse()
            assert next(events).data == "1"
            events.close()  # type: ignore[attr-defined]
        assert resp.is_closed
    else:

        async def main() -> faststream.Response:
            async with faststream.AsyncClient() as client:
                async with client.stream("GET", server.url) as resp:
                    events = typing.cast(
                        typing.AsyncGenerator[faststream.ServerSentEvent, None], resp.aiter_sse()
                    )
                    assert (await events.__anext__()).data == "1"
                    await events.aclose()
            return resp

        assert run_on(mode, main).is_closed
    assert time.monotonic() - start < 2.0


def test_read_response_replays_its_events(raw_server: StartServer) -> None:
    server = raw_server(
        [
            Recv(),
            Send(
                response(
                    "200 OK", [("Content-Type", "text/event-stream")], b"data: 1\n\ndata: 2\n\n"
                )
            ),
            Close(),
        ]
    )
    with faststream.Client() as client:
        resp = client.get(server.url)
    assert [e.data for e in resp.iter_sse()] == ["1", "2"]
    assert [e.data for e in resp.iter_sse()] == ["1", "2"]
    assert all(type(e) is faststream.ServerSentEvent for e in resp.iter_sse())


def test_in_memory_response() -> None:
    resp = faststream.Response(
        200, headers={"Content-Type": "text/event-stream"}, content=b'event: e\ndata: {"a": 1}\n\n'
    )
    [event] = resp.iter_sse()
    assert event == faststream.ServerSentEvent("e", '{"a": 1}')
    assert event.json() == {"a": 1}
    assert repr(event) == "ServerSentEvent(event='e', data='{\"a\": 1}')"


# --- httpx-sse on the same bytes -------------------------------------------------------------

# Streams where httpx-sse 0.4 follows the standard too: every block that ends has data (httpx-sse
# also dispatches blocks with only event/id/retry), retry values are plain ASCII digits, no BOM.
AGREEING = [
    b"data: a\n\n",
    b"data: a\ndata: b\r\n\r\nid: 7\nevent: t\ndata:c\r\rdata: d\n\n",
    b": comment\nretry: 100\ndata: x\n\nid:\ndata: y\n\nid: 1\x002\ndata: z\n\n",
    b"data\n\ndata:  two spaces\nfield: ignored\ndata: \xe2\x82\xac\n\n",
    b"data: 1\n\ndata: 2\n\ndata: incomplete",
    "data: \u2028 line separator \x85 \x0b stays\n\n".encode(),
]


@pytest.mark.parametrize("body", AGREEING)
def test_same_events_as_httpx_sse(raw_server: StartServer, body: bytes) -> None:
    pieces = [body[i : i + 5] for i in range(0, len(body), 5)]
    script = [Recv(), head(), *[chunk(p) for p in pieces], END, Close()]
    server = raw_server(script, script)
    with httpx.Client() as client:
        with httpx_sse.connect_sse(client, "GET", server.url) as source:
            theirs = as_tuples(source.iter_sse())  # type: ignore[arg-type]
    assert read_events("sync", server.url) == theirs
    assert theirs  # each case has events


@pytest.mark.parametrize("body", AGREEING[:3])
def test_httpx_sse_runs_on_a_faststream_client(raw_server: StartServer, body: bytes) -> None:
    # code that keeps httpx-sse and swaps the client for faststream's sees the same events
    script = [Recv(), head(), chunk(body), END, Close()]
    server = raw_server(script, script)
    with faststream.Client() as client:
        with httpx_sse.connect_sse(client, "GET", server.url) as source:  # type: ignore[arg-type]
            theirs = as_tuples(source.iter_sse())  # type: ignore[arg-type]
    assert theirs == read_events("sync", server.url)
