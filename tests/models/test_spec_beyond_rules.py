"""SPEC rules the other model tests leave unchecked: a line cap raises at the line that
crosses it, after every line before it (for every cut of the body into pieces), on the bytes
path and on the text path of encodings that are not ASCII-compatible."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import nullcontext

import pytest

import faststream

CORPUS = [
    b"ab\ncd\n" + b"x" * 20,
    b"ab\r\ncd\rxxxxxxxx\nef\n",
    b"abc\rxxxxxxxxxx",
    b"\n\nabcdef\nab\n",
    b"abcde\r\nabcde\rabcde\nabcdef",
    b"ab\rcd\r\nef",
]


def expected(data: bytes, cap: int) -> tuple[list[str], bool]:
    """The lines before the first one longer than `cap`, and whether there is one."""
    lines = re.split(rb"\r\n|\r|\n", data)
    if lines and lines[-1] == b"":
        lines.pop()
    out: list[str] = []
    for line in lines:
        if len(line) > cap:
            return out, True
        out.append(line.decode())
    return out, False


def cuts(data: bytes) -> Iterator[list[bytes]]:
    """Every cut of `data` into three pieces (empty ones left out)."""
    for i in range(len(data) + 1):
        for j in range(i, len(data) + 1):
            yield [p for p in (data[:i], data[i:j], data[j:]) if p]


def lines_of(pieces: list[bytes], cap: int) -> tuple[list[str], bool]:
    response = faststream.Response(200, content=iter(pieces))
    out: list[str] = []
    try:
        for line in response.iter_lines(max_line_length=cap):
            out.append(line)
    except faststream.ResponseTooLarge:
        assert response.is_closed
        return out, True
    return out, False


@pytest.mark.parametrize("data", CORPUS)
def test_iter_lines_hands_out_every_line_before_the_long_one(data: bytes) -> None:
    for cap in (3, 5, 6):
        want = expected(data, cap)
        for pieces in cuts(data):
            assert lines_of(pieces, cap) == want, (pieces, cap)


@pytest.mark.parametrize("data", CORPUS)
@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-32-be"])
def test_iter_lines_on_the_text_path_hands_out_every_line_before_the_long_one(
    data: bytes, encoding: str
) -> None:
    # an encoding that is not ASCII-compatible is decoded to text before it is split; the cap
    # counts characters, and the cuts fall inside code units too
    encoded = data.decode().encode(encoding)
    want = expected(data, 5)
    for pieces in cuts(encoded):
        response = faststream.Response(
            200, headers={"Content-Type": f"text/plain; charset={encoding}"}, content=iter(pieces)
        )
        out: list[str] = []
        with pytest.raises(faststream.ResponseTooLarge) if want[1] else nullcontext():
            for line in response.iter_lines(max_line_length=5):
                out.append(line)
        assert out == want[0], pieces


def test_aiter_lines_hands_out_every_line_before_the_long_one() -> None:
    async def body(pieces: list[bytes]) -> AsyncIterator[bytes]:
        for piece in pieces:
            yield piece

    async def main() -> None:
        for data in CORPUS:
            for pieces in cuts(data):
                response = faststream.Response(200, content=body(pieces))
                out: list[str] = []
                lines, raises = expected(data, 5)
                with pytest.raises(faststream.ResponseTooLarge) if raises else nullcontext():
                    async for line in response.aiter_lines(max_line_length=5):
                        out.append(line)
                assert out == lines, pieces

    asyncio.run(main())


def test_iter_sse_hands_out_the_events_before_a_long_line() -> None:
    data = b"data: one\n\ndata: two\r\n\r\ndata: " + b"z" * 50 + b"\n\ndata: four\n\n"
    for pieces in cuts(data):
        response = faststream.Response(
            200, headers={"Content-Type": "text/event-stream"}, content=iter(pieces)
        )
        seen: list[str] = []
        with pytest.raises(faststream.ResponseTooLarge):
            for event in response.iter_sse(max_line_length=20):
                seen.append(event.data)
        assert seen == ["one", "two"], pieces
