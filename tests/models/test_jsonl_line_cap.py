"""`iter_json()` / `aiter_json()` under a line cap (`max_line_length`, per call or the client's):
the values of every line before the first over-long one come out, in order, whatever the cut
of the body into pieces (the over-long line's piece included), then `ResponseTooLarge`; a
malformed line before it still ends the stream with its own `DecodingError` (or is skipped
with ``on_error="skip"``). Run with FASTSTREAM_NO_EXTENSIONS=1 too (the pure twins)."""

from __future__ import annotations

import asyncio
import json
import re
import typing
from collections.abc import AsyncIterator, Iterator

import pytest

import faststream
from faststream import _jsonl
from tests.models._response_helpers import APieces, Pieces

# a malformed line before the over-long one: its error ends the stream first, unless skipped
MALFORMED = b"1\nnope\n2\n[" + b"0," * 8 + b"0]\n4\n"
CORPUS = [
    b'{"a":1}\n[2]\n"' + b"x" * 20 + b'"\n3\n',
    b'1\r\n \t\r{"k":"v"}\n' + b"9" * 12,
    MALFORMED,
    b'"\xc3\xa9"\r\n\r\n[true]\r' + b"x" * 15 + b"\n",
    b"{}\n" * 3 + b"[]",
    b"[1]\r" + b'"' + b"y" * 10 + b'"',
]
CAPS = (8, 12)
# What the iterator ends with: "ok" (the body's end), "too-large", "malformed".
Outcome = typing.Literal["ok", "too-large", "malformed"]


@pytest.fixture(params=["orjson", "json"], autouse=True)
def parser(request: pytest.FixtureRequest) -> Iterator[None]:
    """Both parsers: their batch paths differ."""
    if request.param == "orjson" and _jsonl._orjson_module is None:
        pytest.skip("orjson is not installed here (the json extra); json alone is tested")
    _jsonl.use_orjson(request.param == "orjson")
    yield
    _jsonl.use_orjson(True)


def expected(data: bytes, cap: int, skip: bool) -> tuple[list[typing.Any], Outcome]:
    """A straightforward reference: the values before the first line longer than `cap`
    bytes (or the first malformed line, unless skipped), and how the iterator ends."""
    lines = re.split(rb"\r\n|\r|\n", data)
    if lines[-1] == b"":
        lines.pop()
    values: list[typing.Any] = []
    for line in lines:
        if len(line) > cap:
            return values, "too-large"
        if not line.strip(b" \t"):
            continue
        try:
            values.append(json.loads(line.decode("utf-8")))
        except ValueError:
            if not skip:
                return values, "malformed"
    return values, "ok"


def cuts(data: bytes) -> Iterator[list[bytes]]:
    """Every cut of `data` into up to three pieces (empty ones left out)."""
    for i in range(len(data) + 1):
        for j in range(i, len(data) + 1):
            yield [p for p in (data[:i], data[i:j], data[j:]) if p]


def halves(data: bytes) -> Iterator[list[bytes]]:
    """Every cut of `data` into up to two pieces."""
    for i in range(len(data) + 1):
        yield [p for p in (data[:i], data[i:]) if p]


def bodies(on_error: str) -> list[bytes]:
    # skipping differs from raising on the body with a malformed line only
    return CORPUS if on_error == "raise" else [MALFORMED]


def outcome(exc: BaseException | None) -> Outcome:
    if exc is None:
        return "ok"
    if isinstance(exc, faststream.ResponseTooLarge):
        return "too-large"
    assert isinstance(exc, faststream.DecodingError), exc
    return "malformed"


def read_sync(values: typing.Iterable[typing.Any]) -> tuple[list[typing.Any], Outcome]:
    out: list[typing.Any] = []
    try:
        for value in values:
            out.append(value)
    except faststream.DecodingError as exc:
        return out, outcome(exc)
    return out, "ok"


async def read_async(values: typing.AsyncIterable[typing.Any]) -> tuple[list[typing.Any], Outcome]:
    out: list[typing.Any] = []
    try:
        async for value in values:
            out.append(value)
    except faststream.DecodingError as exc:
        return out, outcome(exc)
    return out, "ok"


@pytest.mark.parametrize("on_error", ["raise", "skip"])
def test_iter_json_hands_out_the_values_before_an_over_long_line(on_error: str) -> None:
    skip = on_error == "skip"
    for data in bodies(on_error):
        for cap in CAPS:
            want = expected(data, cap, skip)
            for pieces in cuts(data):
                response = faststream.Response(200, content=iter(pieces))
                values = response.iter_json(
                    on_error=typing.cast(_jsonl.OnError, on_error), max_line_length=cap
                )
                assert read_sync(values) == want, (pieces, cap)
                assert response.is_closed


@pytest.mark.parametrize("on_error", ["raise", "skip"])
def test_aiter_json_hands_out_the_values_before_an_over_long_line(on_error: str) -> None:
    skip = on_error == "skip"

    async def body(pieces: list[bytes]) -> AsyncIterator[bytes]:
        for piece in pieces:
            yield piece

    async def main() -> None:
        for data in bodies(on_error):
            for cap in CAPS:
                want = expected(data, cap, skip)
                for pieces in cuts(data):
                    response = faststream.Response(200, content=body(pieces))
                    values = response.aiter_json(
                        on_error=typing.cast(_jsonl.OnError, on_error), max_line_length=cap
                    )
                    assert await read_async(values) == want, (pieces, cap)
                    assert response.is_closed

    asyncio.run(main())


def test_iter_json_under_the_clients_line_cap() -> None:
    for data in CORPUS:
        want = expected(data, 8, False)
        for pieces in halves(data):
            transport = faststream.MockTransport(
                lambda request, pieces=pieces: faststream.Response(200, stream=Pieces(pieces))
            )
            with faststream.Client(transport=transport, max_line_length=8) as client:
                with client.stream("GET", "http://example.org/") as response:
                    assert read_sync(response.iter_json()) == want, pieces


def test_aiter_json_under_the_clients_line_cap() -> None:
    async def main() -> None:
        for data in CORPUS:
            want = expected(data, 8, False)
            for pieces in halves(data):
                transport = faststream.MockTransport(
                    lambda request, pieces=pieces: faststream.Response(200, stream=APieces(pieces))
                )
                async with faststream.AsyncClient(transport=transport, max_line_length=8) as c:
                    async with c.stream("GET", "http://example.org/") as response:
                        assert await read_async(response.aiter_json()) == want, pieces

    asyncio.run(main())


def test_a_large_piece_hands_out_its_values_before_an_over_long_line() -> None:
    # a piece larger than the reader's slice (it parses big pieces a slice at a time)
    data = b'{"n":1}\n' * 20000 + b"[" + b"0," * 100 + b"0]\n"
    response = faststream.Response(200, content=iter([data]))
    values, end = read_sync(response.iter_json(max_line_length=100))
    assert (len(values), end) == (20000, "too-large")


def test_a_large_read_body_hands_out_its_values_before_an_over_long_line() -> None:
    data = b'{"n":1}\n' * 20000 + b"[" + b"0," * 100 + b"0]\n" + b"2\n"
    response = faststream.Response(200, content=data)
    assert read_sync(response.iter_json(max_line_length=100)) == ([{"n": 1}] * 20000, "too-large")
    assert read_sync(response.iter_json(max_line_length=300)) == (
        [{"n": 1}] * 20000 + [[0] * 101, 2],
        "ok",
    )
