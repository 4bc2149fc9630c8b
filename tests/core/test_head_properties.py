"""Hypothesis: the compiled head parser and serialiser agree with their pure twin, which is h11
0.16 itself, on random heads split at random points.

Response streams are drawn from a grammar of mostly valid heads with damage in the places h11
is strict about (status line shape, field-line characters, obs-fold, Content-Length lists,
Transfer-Encoding, bare LF, leading whitespace, 1xx heads, a small size cap). Both parsers are
driven the same way; they must return the same heads at the same feed, fail at the same feed
(`HeadError` from both; the messages are worded differently), and leave the same bytes after
the final head. Request heads: the same bytes and framing, or `HeadError` from both.
"""

from __future__ import annotations

import typing

from hypothesis import HealthCheck, given, settings, strategies as st

from .conftest import Implementation

SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Bytes h11 treats specially somewhere in a head.
EDGE = b" \t\r\n\x00\x0b\x0c:,;\x7f\x80\xff\x01"
token_chars = st.sampled_from(list(b"abcXYZ09-!#_.~"))
value_chars = st.sampled_from(list(b"ab09 /=.") + list(EDGE))


def _bytes(chars: st.SearchStrategy[int], min_size: int, max_size: int) -> st.SearchStrategy[bytes]:
    return st.lists(chars, min_size=min_size, max_size=max_size).map(bytes)


tokens = _bytes(token_chars, 0, 8)
values = _bytes(value_chars, 0, 12)
eols = st.sampled_from([b"\r\n"] * 6 + [b"\n", b"\r", b"\r\r\n", b" \r\n"])


@st.composite
def status_lines(draw: st.DrawFn, final: bool) -> bytes:
    version = draw(st.sampled_from([b"1.1"] * 5 + [b"1.0", b"2.0", b"0.9", b"1.x", b"11"]))
    code = (
        draw(st.integers(200, 599))
        if final
        else draw(st.sampled_from([100, 102, 103, 101, 99, 150, 199]))
    )
    code_text = str(code).zfill(3).encode()
    if draw(st.integers(0, 9)) == 0:
        code_text = draw(st.sampled_from([b"20", b"2000", b"2x0", b" 200"]))
    sep = draw(st.sampled_from([b" "] * 8 + [b"", b"  ", b"\t"]))
    reason = draw(st.sampled_from([b"OK", b"", b"Not Found", b"x\ty"]) | values)
    line = b"HTTP/" + version + b" " + code_text
    if sep or reason:
        line += sep + reason
    if draw(st.integers(0, 19)) == 0:
        line = draw(st.sampled_from([b"http/1.1 200 OK", b"HTTP/1.1", b" HTTP/1.1 200 OK", b""]))
    return line


@st.composite
def field_lines(draw: st.DrawFn) -> list[bytes]:
    kind = draw(st.integers(0, 9))
    if kind == 0:
        lengths = draw(
            st.lists(
                st.sampled_from([b"5", b"05", b" 5 ", b"", b"x", b"9" * 21]), min_size=1, max_size=3
            )
        )
        return [b"Content-Length: " + b",".join(lengths)]
    if kind == 1:
        return [
            b"Transfer-Encoding: "
            + draw(st.sampled_from([b"chunked", b"CHUNKED", b"gzip", b"chunked, gzip", b""]))
        ]
    if kind == 2:
        return [
            b"Connection: "
            + draw(st.sampled_from([b"close", b"keep-alive, Close", b"closed", b" , close ,"]))
        ]
    name = draw(tokens)
    colon = draw(st.sampled_from([b":"] * 8 + [b" :", b""]))
    ows = draw(st.sampled_from([b"", b" ", b"\t", b"  "]))
    line = name + colon + ows + draw(values) + draw(st.sampled_from([b"", b"", b" ", b"\t"]))
    lines = [line]
    for _ in range(draw(st.integers(0, 2)) if draw(st.integers(0, 4)) == 0 else 0):
        lines.append(draw(st.sampled_from([b" ", b"\t", b"  \t"])) + draw(values))  # obs-fold
    return lines


@st.composite
def heads(draw: st.DrawFn, final: bool) -> bytes:
    lines = [draw(status_lines(final))]
    if draw(st.integers(0, 19)) == 0:
        lines.append(b" leading continuation")
    for _ in range(draw(st.integers(0, 5))):
        lines.extend(draw(field_lines()))
    eol = draw(eols)
    out = b"".join(line + (draw(eols) if draw(st.integers(0, 7)) == 0 else eol) for line in lines)
    return out + draw(st.sampled_from([b"\r\n"] * 4 + [b"\n", b"\r\r\n"]))


@st.composite
def response_streams(draw: st.DrawFn) -> bytes:
    prefix = draw(st.sampled_from([b""] * 12 + [b"\r\n", b"\n", b" ", b"\x16\x03\x01"]))
    informational = b"".join(draw(st.lists(heads(final=False), max_size=3)))
    body = draw(st.binary(max_size=40))
    return prefix + informational + draw(heads(final=True)) + body


def _splits(draw: typing.Callable[..., typing.Any], data: bytes) -> list[bytes]:
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=8)))
    pieces, last = [], 0
    for cut in cuts + [len(data)]:
        pieces.append(data[last:cut])  # empty pieces included
        last = cut
    return pieces


def drive(
    impl: Implementation,
    pieces: list[bytes],
    eof: bool,
    max_size: int,
    parser: typing.Any = None,
) -> list[typing.Any]:
    """What a transport sees: each head returned (and when), the error step, the rest."""
    if parser is None:
        parser = impl.ResponseHeadParser(max_size)
    seen: list[typing.Any] = []
    steps = [(i, piece) for i, piece in enumerate(pieces)] + ([(len(pieces), None)] if eof else [])
    try:
        for step, piece in steps:
            if piece is None:
                parser.feed_eof()
            else:
                parser.feed(piece)
            while (head := parser.next_head()) is not None:
                seen.append((step, head))
                if parser.done:
                    seen.append(("rest", parser.rest()))
                    return seen
    except impl.HeadError:
        seen.append(("HeadError", step))
        return seen
    seen.append(("incomplete", parser.done))
    return seen


@SETTINGS
@given(data=st.data(), stream=response_streams())
def test_compiled_parser_agrees_with_h11(
    c_impl: Implementation, py_impl: Implementation, data: st.DataObject, stream: bytes
) -> None:
    pieces = _splits(data.draw, stream)
    eof = data.draw(st.booleans())
    max_size = data.draw(st.sampled_from([102400] * 4 + [16, 40, 64]))
    assert drive(c_impl, pieces, eof, max_size) == drive(py_impl, pieces, eof, max_size)


@SETTINGS
@given(data=st.data(), first=response_streams(), second=response_streams())
def test_a_reset_parser_is_a_new_one(
    c_impl: Implementation,
    py_impl: Implementation,
    data: st.DataObject,
    first: bytes,
    second: bytes,
) -> None:
    # One parser serves a connection's exchanges: whatever the first left (bytes after its
    # head, an unfinished head, end-of-stream, an error), the second sees none of it.
    max_size = data.draw(st.sampled_from([102400] * 4 + [16, 40, 64]))
    first_pieces = _splits(data.draw, first[: data.draw(st.integers(0, len(first)))])
    first_eof = data.draw(st.booleans())
    pieces = _splits(data.draw, second)
    eof = data.draw(st.booleans())
    results = []
    for impl in (c_impl, py_impl):
        parser = impl.ResponseHeadParser(max_size)
        drive(impl, first_pieces, first_eof, max_size, parser)
        parser.reset()
        reused = drive(impl, pieces, eof, max_size, parser)
        assert reused == drive(impl, pieces, eof, max_size)
        results.append(reused)
    assert results[0] == results[1]


@st.composite
def request_heads(draw: st.DrawFn) -> tuple[bytes, bytes, list[tuple[bytes, bytes]]]:
    method = draw(st.sampled_from([b"GET", b"POST", b"M-SEARCH", b"", b"GE T", b"G\r\nX"]) | tokens)
    target = draw(
        st.sampled_from([b"/", b"/a?b=c", b"*", b"http://h/x", b"", b"/a b", b"/\x7f", b"/\x80"])
    )
    headers: list[tuple[bytes, bytes]] = []
    if draw(st.integers(0, 9)):
        headers.append((draw(st.sampled_from([b"Host", b"host", b"HOST"])), draw(values)))
    for _ in range(draw(st.integers(0, 4))):
        headers.append(
            draw(
                st.sampled_from(
                    [
                        (b"Content-Length", b"3"),
                        (b"content-length", b"3, 3"),
                        (b"Content-Length", b"4"),
                        (b"Transfer-Encoding", b"Chunked"),
                        (b"Transfer-Encoding", b"gzip"),
                        (b"Host", b"second"),
                    ]
                )
                | st.tuples(tokens, values)
            )
        )
    draw(st.randoms()).shuffle(headers)
    return method, target, headers


@SETTINGS
@given(request=request_heads())
def test_compiled_serialiser_agrees_with_h11(
    c_impl: Implementation,
    py_impl: Implementation,
    request: tuple[bytes, bytes, list[tuple[bytes, bytes]]],
) -> None:
    def outcome(impl: Implementation) -> typing.Any:
        try:
            return impl.serialize_request(*request)
        except impl.HeadError:
            return "HeadError"

    assert outcome(c_impl) == outcome(py_impl)
