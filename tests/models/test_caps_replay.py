"""A line cap on a body already read (`read()` / `aread()`): `iter_lines`, `iter_sse` and
`iter_json` (and their async twins) hand out every line, event or value before the first
over-long line, then raise `ResponseTooLarge`, as on the streamed body, whatever pieces the
body came in; a cap no line exceeds raises nothing. Run with FASTSTREAM_NO_EXTENSIONS=1 too."""

from __future__ import annotations

import asyncio
import re
import typing
from collections.abc import AsyncIterator, Callable

import pytest

import faststream
from tests.models.test_jsonl_line_cap import CORPUS, MALFORMED, cuts, expected as json_expected

LINES = [
    b"ab\ncd\n" + b"x" * 20,
    b"ab\r\ncd\rxxxxxxxx\nef\n",
    b"abc\rxxxxxxxxxx",
    b"\n\nabcdef\nab\n",
    b"ab\rcd\r\nef",
]
JSON_BODIES = [data for data in CORPUS if data != MALFORMED]
SSE = b"data: one\n\ndata: two\r\n\r\ndata: " + b"z" * 50 + b"\n\ndata: four\n\n"
SSE_HEADERS = {"Content-Type": "text/event-stream"}

Outcome = tuple[list[typing.Any], bool]  # what came out, and whether ResponseTooLarge ended it


def lines_expected(data: bytes, cap: int) -> Outcome:
    """The lines before the first one longer than `cap` bytes, and whether there is one."""
    lines = re.split(rb"\r\n|\r|\n", data)
    if lines[-1] == b"":
        lines.pop()
    out: list[typing.Any] = []
    for line in lines:
        if len(line) > cap:
            return out, True
        out.append(line.decode())
    return out, False


def sse_expected(cap: int) -> Outcome:
    # the third event's line is 56 bytes long
    return (["one", "two"], True) if cap < 56 else (["one", "two", "z" * 50, "four"], False)


def json_outcome(data: bytes, cap: int) -> Outcome:
    values, end = json_expected(data, cap, False)
    assert end != "malformed"
    return values, end == "too-large"


def drain(items: typing.Iterable[typing.Any]) -> Outcome:
    out: list[typing.Any] = []
    try:
        for item in items:
            out.append(getattr(item, "data", item))
    except faststream.ResponseTooLarge:
        return out, True
    return out, False


async def adrain(items: typing.AsyncIterable[typing.Any]) -> Outcome:
    out: list[typing.Any] = []
    try:
        async for item in items:
            out.append(getattr(item, "data", item))
    except faststream.ResponseTooLarge:
        return out, True
    return out, False


Read = Callable[[faststream.Response, int], typing.Iterable[typing.Any]]
ARead = Callable[[faststream.Response, int], typing.AsyncIterable[typing.Any]]
# (what is iterated, the bodies with their caps and expected outcomes, the headers)
Case = tuple[Read, ARead, list[tuple[bytes, int, Outcome]], dict[str, str]]


def cases() -> dict[str, Case]:
    line_bodies = [(d, cap, lines_expected(d, cap)) for d in LINES for cap in (3, 6, 8)]
    json_bodies = [(d, cap, json_outcome(d, cap)) for d in JSON_BODIES for cap in (8, 12)]
    sse_bodies = [(SSE, cap, sse_expected(cap)) for cap in (20, 56)]
    return {
        "lines": (
            lambda r, cap: r.iter_lines(max_line_length=cap),
            lambda r, cap: r.aiter_lines(max_line_length=cap),
            line_bodies,
            {},
        ),
        "sse": (
            lambda r, cap: r.iter_sse(max_line_length=cap),
            lambda r, cap: r.aiter_sse(max_line_length=cap),
            sse_bodies,
            SSE_HEADERS,
        ),
        "json": (
            lambda r, cap: r.iter_json(max_line_length=cap),
            lambda r, cap: r.aiter_json(max_line_length=cap),
            json_bodies,
            {},
        ),
    }


CASES = cases()


def test_the_corpus_has_caps_crossed_and_caps_not_crossed() -> None:
    # each iterator meets both outcomes, and the lines before an over-long one are not none
    for name, (_, _, bodies, _) in CASES.items():
        outcomes = [want for _, _, want in bodies]
        assert any(raises and out for out, raises in outcomes), name
        assert any(not raises for _, raises in outcomes), name


@pytest.mark.parametrize("name", CASES)
def test_a_read_body_hands_out_what_comes_before_an_over_long_line(name: str) -> None:
    read, _, bodies, headers = CASES[name]
    for data, cap, want in bodies:
        for pieces in cuts(data):
            response = faststream.Response(200, headers=headers, content=iter(pieces))
            assert response.read() == data
            assert drain(read(response, cap)) == want, (pieces, cap)
            # a read body can be iterated again: the same outcome
            assert drain(read(response, cap)) == want, (pieces, cap)
            streamed = faststream.Response(200, headers=headers, content=iter(pieces))
            assert drain(read(streamed, cap)) == want, (pieces, cap)


@pytest.mark.parametrize("name", CASES)
def test_an_aread_body_hands_out_what_comes_before_an_over_long_line(name: str) -> None:
    _, aread, bodies, headers = CASES[name]

    async def body(pieces: list[bytes]) -> AsyncIterator[bytes]:
        for piece in pieces:
            yield piece

    async def main() -> None:
        for data, cap, want in bodies:
            for pieces in cuts(data):
                response = faststream.Response(200, headers=headers, content=body(pieces))
                assert await response.aread() == data
                assert await adrain(aread(response, cap)) == want, (pieces, cap)
                streamed = faststream.Response(200, headers=headers, content=body(pieces))
                assert await adrain(aread(streamed, cap)) == want, (pieces, cap)

    asyncio.run(main())


def test_the_clients_cap_on_a_read_body() -> None:
    data = LINES[0]

    def handler(request: faststream.Request) -> faststream.Response:
        return faststream.Response(200, content=data)

    with faststream.Client(transport=faststream.MockTransport(handler), max_line_length=3) as c:
        response = c.get("http://example.org/")
        assert response.content == data  # the cap bounds lines only: the whole body reads
        assert drain(response.iter_lines()) == (["ab", "cd"], True)
        got: list[str] = []
        with pytest.raises(faststream.ResponseTooLarge) as info:
            for line in response.iter_lines():
                got.append(line)
        assert got == ["ab", "cd"]
        assert info.value.request.url == "http://example.org/"
