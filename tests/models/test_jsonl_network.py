"""`iter_json` / `aiter_json` over loopback: a scripted server sends JSON lines in chunks with
pauses, read with `Client` and with `AsyncClient` on asyncio, uvloop and trio. Values arrive as
their lines do, and a malformed line raises at once, without waiting for the server's next
write, and frees the connection."""

from __future__ import annotations

import gzip
import time
import typing
from collections.abc import Iterator

import pytest

import faststream
from tests.client._backends import BACKENDS, run_on
from tests.wire._raw_server import Close, RawServer, Recv, Script, Send, Sleep, response

# (value or the DecodingError's message, seconds since the request was sent)
Seen = list[tuple[typing.Any, float]]

HEAD = Send(response(headers=[("Transfer-Encoding", "chunked")], content_length=False))
END = Send(b"0\r\n\r\n")
PAUSE = 1.5  # the server's pause; anything seen before it ends arrived without waiting


def chunk(piece: bytes) -> Send:
    return Send(b"%x\r\n%s\r\n" % (len(piece), piece))


@pytest.fixture(params=["sync", *BACKENDS])
def mode(request: pytest.FixtureRequest) -> str:
    return typing.cast(str, request.param)


@pytest.fixture
def server() -> Iterator[typing.Callable[[Script], RawServer]]:
    servers: list[RawServer] = []

    def start(script: Script) -> RawServer:
        started = RawServer([script]).start()
        servers.append(started)
        return started

    yield start
    for started in servers:
        started.stop()
    assert not [e for s in servers for e in s.errors]


def watch(mode: str, url: str, on_error: str = "raise") -> tuple[Seen, bool, int]:
    """Everything `iter_json` / `aiter_json` gave, with when; whether the response ended
    closed; the skip count."""
    seen: Seen = []
    if mode == "sync":
        with faststream.Client() as client:
            start = time.monotonic()
            with client.stream("GET", url) as r:
                it = r.iter_json(on_error=on_error)  # type: ignore[arg-type]
                try:
                    for value in it:
                        seen.append((value, time.monotonic() - start))
                except faststream.DecodingError as exc:
                    seen.append((str(exc), time.monotonic() - start))
                return seen, r.is_closed, it.skipped

    async def main() -> tuple[Seen, bool, int]:
        async with faststream.AsyncClient() as client:
            start = time.monotonic()
            async with client.stream("GET", url) as r:
                it = r.aiter_json(on_error=on_error)  # type: ignore[arg-type]
                try:
                    async for value in it:
                        seen.append((value, time.monotonic() - start))
                except faststream.DecodingError as exc:
                    seen.append((str(exc), time.monotonic() - start))
                return seen, r.is_closed, it.skipped

    return run_on(mode, main)


def test_values_arrive_with_their_lines(
    mode: str, server: typing.Callable[[Script], RawServer]
) -> None:
    started = server(
        [
            Recv(),
            HEAD,
            chunk(b'{"a": 1}\r\n'),
            Sleep(PAUSE),
            chunk(b'[2]\r"\xc3'),
            chunk(b'\xa9"\n\n3'),
            END,
            Close(),
        ]
    )
    seen, closed, skipped = watch(mode, started.url)
    assert [value for value, _ in seen] == [{"a": 1}, [2], "é", 3]
    # the first line is delivered before the pause, not when more arrives
    assert seen[0][1] < PAUSE
    assert (closed, skipped) == (True, 0)


@pytest.mark.parametrize(
    "pieces",
    [[b"1\n2\nbad\n"], [b"1\n2\n", b"bad\n"], [b"1\n2\n" + b"\n" * 199_997 + b"bad\n"]],
    ids=["after-values-in-its-piece", "first-in-its-piece", "first-in-a-later-slice"],
)
def test_a_malformed_line_raises_without_waiting(
    mode: str, server: typing.Callable[[Script], RawServer], pieces: list[bytes]
) -> None:
    started = server(
        [Recv(), HEAD, *[chunk(p) for p in pieces], Sleep(PAUSE), chunk(b"4\n"), END, Close()]
    )
    seen, closed, _ = watch(mode, started.url)
    line = b"".join(pieces).count(b"\n")
    assert [value for value, _ in seen] == [
        1,
        2,
        f"line {line} is not valid JSON (Expecting value: line 1 column 1 (char 0))",
    ]
    assert seen[-1][1] < PAUSE
    assert closed


def test_skip_over_the_network(mode: str, server: typing.Callable[[Script], RawServer]) -> None:
    body = gzip.compress(b"".join(b"%d\n{\n" % i for i in range(2000)))
    started = server(
        [
            Recv(),
            Send(response(headers=[("Content-Encoding", "gzip")], body=body)),
            Close(),
        ]
    )
    seen, closed, skipped = watch(mode, started.url, on_error="skip")
    assert [value for value, _ in seen] == list(range(2000))
    assert (closed, skipped) == (True, 2000)
