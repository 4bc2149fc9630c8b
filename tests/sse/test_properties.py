"""Hypothesis: both parsers equal a small reference written from the WHATWG standard, for
streams built from the format's pieces and for random bytes, cut at random points."""

from __future__ import annotations

import re
import types

from hypothesis import given, strategies as st

from ._helpers import Event, outcome

UINT64_MAX = 2**64 - 1


def reference(stream: bytes) -> tuple[list[Event], str, int | None]:
    """The standard's algorithm, on text: decode the whole stream (UTF-8, replacement, one
    leading BOM stripped), split lines at CRLF/LF/CR, drop the unterminated rest, interpret."""
    text = stream.decode("utf-8", "replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = re.split(r"\r\n|\r|\n", text)[:-1]
    events: list[Event] = []
    data, event_type, id_buffer, last_id = "", "", "", ""
    block_retry: int | None = None
    retry: int | None = None
    for line in lines:
        if line == "":
            last_id = id_buffer
            if data:
                events.append((event_type or "message", data[:-1], last_id, block_retry))
            data, event_type, block_retry = "", "", None
            continue
        if line.startswith(":"):
            continue
        name, colon, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "event":
            event_type = value
        elif name == "data":
            data += value + "\n"
        elif name == "id":
            if "\0" not in value:
                id_buffer = value
        elif name == "retry":
            if value and all(c in "0123456789" for c in value) and int(value) <= UINT64_MAX:
                block_retry = retry = int(value)
    return events, last_id, retry


NAMES = st.sampled_from(
    [b"data", b"event", b"id", b"retry", b"", b":", b"dat", b"Data", b"data ", b"\xef\xbb\xbfdata"]
)
VALUE_PARTS = st.sampled_from(
    [
        b"a",
        b" ",
        b"  ",
        b":",
        b"0",
        b"42",
        b"18446744073709551616",
        b"\x00",
        b"\xef\xbb\xbf",
        "é€😀".encode(),
        b"\xff",
        b"\xe2\x82",
        b"\xed\xa0\x80",
        "\u2028\x85\x0b".encode(),
        b"{}",
    ]
)
TERMINATORS = st.sampled_from([b"\n", b"\r", b"\r\n", b"\n\n", b"\r\r", b"\r\n\r\n", b""])


@st.composite
def streams(draw: st.DrawFn) -> bytes:
    out = [draw(st.sampled_from([b"", b"\xef\xbb\xbf", b"\xef\xbb", b"\xef"]))]
    for _ in range(draw(st.integers(0, 12))):
        out.append(draw(NAMES))
        out.append(draw(st.sampled_from([b":", b": ", b"", b"::"])))
        out.extend(draw(st.lists(VALUE_PARTS, max_size=4)))
        out.append(draw(TERMINATORS))
    return b"".join(out)


ANY_STREAM = st.one_of(streams(), st.binary(max_size=200))


def cut(data: bytes, points: list[int]) -> list[bytes]:
    marks = [0, *sorted(p % (len(data) + 1) for p in points), len(data)]
    return [data[a:b] for a, b in zip(marks, marks[1:], strict=False)]


@given(stream=ANY_STREAM, points=st.lists(st.integers(0, 10_000), max_size=8))
def test_equals_the_reference(sse: types.ModuleType, stream: bytes, points: list[int]) -> None:
    events, last_id, retry = reference(stream)
    assert outcome(sse, cut(stream, points), max_event_size=None) == ("ok", events, last_id, retry)


@given(
    stream=ANY_STREAM, points=st.lists(st.integers(0, 10_000), max_size=8), cap=st.integers(0, 40)
)
def test_a_cap_only_cuts_the_stream_short(
    sse: types.ModuleType, stream: bytes, points: list[int], cap: int
) -> None:
    # with a cap: the reference's events up to some point, then EventTooLargeError exactly
    # when an event's data (or a line) is past the cap; the same wherever the stream is cut
    events, last_id, retry = reference(stream)
    result = outcome(sse, cut(stream, points), max_event_size=cap)
    assert result == outcome(sse, [stream], max_event_size=cap)
    if result[0] == "ok":
        assert result == ("ok", events, last_id, retry)
        # (every character of data came from at least one received byte)
        assert all(len(e[1]) <= cap for e in events)
    else:
        assert result[2] == "EventTooLargeError"
        assert result[1] == events[: len(result[1])]
