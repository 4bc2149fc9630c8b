"""HTTP/1.1 message heads (`_cstream._head`): ResponseHeadParser and serialize_request.

Unit tests run against both implementations (the compiled module and its pure twin, which is
h11 0.16 itself); Hypothesis then drives the compiled parser and serialiser against the pure
ones on grammar-built, mutated inputs split at random points, and two tests check that a
large head fed byte by byte and an endless line fed in pieces stay linear and bounded.
"""

from __future__ import annotations

import random
import traceback
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from _cstream._errors import HeadError

from ._heads import requests, response_streams

Head = tuple[int, bytes, bytes, list[tuple[bytes, bytes, bytes]], int | None, bool, bool, int]

OK_HEAD = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\n"


def parse(impl: Any, data: bytes, max_size: int = 102400, eof: bool = False) -> list[Head]:
    """Feed `data` in one piece (then EOF); every head next_head() returns until None/done."""
    parser = impl.ResponseHeadParser(max_size)
    parser.feed(data)
    if eof:
        parser.feed_eof()
    heads: list[Head] = []
    for _ in range(len(data) + 2):  # at most one head per byte, and a final None
        head = parser.next_head()
        if head is None:
            break
        heads.append(head)
        if parser.done:
            break
    return heads


def one_head(impl: Any, data: bytes) -> Head:
    """The single (final) head of `data`."""
    heads = parse(impl, data)
    assert len(heads) == 1, heads
    return heads[0]


def fields_of(impl: Any, *lines: bytes) -> list[tuple[bytes, bytes, bytes]]:
    """The fields of a 200 head with these field lines (CRLF-terminated)."""
    head = one_head(impl, b"HTTP/1.1 200 OK\r\n" + b"".join(x + b"\r\n" for x in lines) + b"\r\n")
    return head[3]


def refused(impl: Any, data: bytes, max_size: int = 102400, eof: bool = False) -> None:
    """`data` makes next_head() raise HeadError, and again on the next call (sticky)."""
    parser = impl.ResponseHeadParser(max_size)
    parser.feed(data)
    if eof:
        parser.feed_eof()
    with pytest.raises(HeadError):
        for _ in range(len(data) + 2):
            if parser.next_head() is None or parser.done:
                break
    with pytest.raises(HeadError):
        parser.next_head()


# --- the response head parser ------------------------------------------------------------


def test_head_error_is_a_value_error(impl: Any) -> None:
    assert impl.HeadError is HeadError
    assert issubclass(HeadError, ValueError)


def test_simple_head_and_body_start(impl: Any) -> None:
    parser = impl.ResponseHeadParser()
    assert not parser.done
    assert parser.next_head() is None
    parser.feed(OK_HEAD + b"hello, more")
    head = parser.next_head()
    assert head == (
        200,
        b"1.1",
        b"OK",
        [(b"Content-Length", b"content-length", b"5"), (b"X-A", b"x-a", b"b")],
        5,
        False,
        False,
        0,
    )
    assert parser.done
    assert parser.rest() == b"hello, more"
    parser.feed(b"!")  # the body keeps arriving; rest() holds it
    assert parser.rest() == b"hello, more!"
    with pytest.raises(HeadError):
        parser.next_head()  # the final head was already returned


def test_head_fed_in_any_split_gives_the_same_result(impl: Any) -> None:
    data = OK_HEAD + b"xy"
    whole = one_head(impl, data)
    ways = [[data[:i], data[i:]] for i in range(1, len(data))]
    ways.append([data[i : i + 1] for i in range(len(data))])
    for pieces in ways:
        parser = impl.ResponseHeadParser()
        got = []
        for piece in pieces:
            parser.feed(piece)
            if not parser.done:
                got.append(parser.next_head())
        assert [h for h in got if h is not None] == [whole], pieces
        assert parser.done and parser.rest() == b"xy"


def test_buffer_objects_are_accepted(impl: Any) -> None:
    parser = impl.ResponseHeadParser()
    parser.feed(bytearray(OK_HEAD[:10]))
    parser.feed(memoryview(OK_HEAD)[10:])
    parser.feed(memoryview(b"abcde"))
    assert parser.next_head() == one_head(impl, OK_HEAD)
    assert parser.rest() == b"abcde"


def test_informational_heads_before_the_final_one(impl: Any) -> None:
    parser = impl.ResponseHeadParser()
    parser.feed(
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s>\r\n\r\nHTTP/1."
    )
    first = parser.next_head()
    assert first == (100, b"1.1", b"Continue", [], None, False, False, 0)
    assert not parser.done
    assert parser.rest().startswith(b"HTTP/1.1 103 ")
    second = parser.next_head()
    assert second == (
        103,
        b"1.1",
        b"Early Hints",
        [(b"Link", b"link", b"</s>")],
        None,
        False,
        False,
        0,
    )
    assert not parser.done
    assert parser.rest() == b"HTTP/1."
    assert parser.next_head() is None
    parser.feed(b"1 299 Fine\r\nConnection: close\r\n\r\nbody")
    assert parser.next_head() == (299, b"1.1", b"Fine", [(b"Connection", b"connection", b"close")],
                                  None, False, True, 0)  # fmt: skip
    assert parser.done
    assert parser.rest() == b"body"


def test_informational_head_then_need_more(impl: Any) -> None:
    parser = impl.ResponseHeadParser()
    parser.feed(b"HTTP/1.1 102 Processing\r\n\r\n")
    assert parser.next_head() == (102, b"1.1", b"Processing", [], None, False, False, 0)
    assert not parser.done
    assert parser.next_head() is None
    assert parser.rest() == b""


def test_bare_lf_line_endings(impl: Any) -> None:
    head = one_head(impl, b"HTTP/1.1 200 OK\nA: b\nC:d \n\n")
    assert head[:4] == (200, b"1.1", b"OK", [(b"A", b"a", b"b"), (b"C", b"c", b"d")])
    # mixed: a bare LF line, then CRLF ones; the head ends at LF CR LF
    parser = impl.ResponseHeadParser()
    parser.feed(b"HTTP/1.1 204 No Content\nA: b\r\n\nrest")
    assert parser.next_head() == (204, b"1.1", b"No Content", [(b"A", b"a", b"b")],
                                  None, False, False, 0)  # fmt: skip
    assert parser.rest() == b"rest"


def test_status_line_without_reason(impl: Any) -> None:
    assert one_head(impl, b"HTTP/1.1 204\r\n\r\n")[:3] == (204, b"1.1", b"")
    assert one_head(impl, b"HTTP/1.1 204 \r\n\r\n")[:3] == (204, b"1.1", b"")


def test_reason_keeps_spaces_tabs_and_obs_text(impl: Any) -> None:
    head = one_head(impl, b"HTTP/1.1 404  Not\tFound \x7f\x80\xff \r\n\r\n")
    assert head[:3] == (404, b"1.1", b" Not\tFound \x7f\x80\xff ")


def test_obs_fold_is_joined_with_single_spaces(impl: Any) -> None:
    fields = fields_of(impl, b"X-Fold: a", b"  b", b"\t folded more", b"Y: z")
    assert fields == [(b"X-Fold", b"x-fold", b"a b folded more"), (b"Y", b"y", b"z")]
    # whitespace before the line break stays; each continuation's lead becomes one SP
    fields = fields_of(impl, b"X-Fold: a ", b" \t b ", b"\tfolded more")
    assert fields == [(b"X-Fold", b"x-fold", b"a  b  folded more")]
    # a fold of only whitespace adds a SP inside the value (then trimmed if at the end)
    assert fields_of(impl, b"X: a", b"  ", b" b") == [(b"X", b"x", b"a  b")]
    assert fields_of(impl, b"X: a", b"  ") == [(b"X", b"x", b"a")]


def test_field_value_whitespace_is_trimmed(impl: Any) -> None:
    fields = fields_of(impl, b"A:b", b"B: \t x  y \t", b"C:", b"D:   ", b"E: \x01\x7f\x80\xff")
    assert fields == [
        (b"A", b"a", b"b"),
        (b"B", b"b", b"x  y"),
        (b"C", b"c", b""),
        (b"D", b"d", b""),
        (b"E", b"e", b"\x01\x7f\x80\xff"),
    ]


def test_names_keep_their_case_and_are_lowercased_alongside(impl: Any) -> None:
    fields = fields_of(impl, b"X-MiXeD: v", b"!#$%&'*+-.^_`|~09aZ: w")
    assert fields == [
        (b"X-MiXeD", b"x-mixed", b"v"),
        (b"!#$%&'*+-.^_`|~09aZ", b"!#$%&'*+-.^_`|~09az", b"w"),
    ]


def test_content_length_list_is_normalised(impl: Any) -> None:
    head = one_head(impl, b"HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n")
    assert head[3] == [(b"Content-Length", b"content-length", b"5")]
    assert head[4] == 5
    head = one_head(
        impl, b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nA: b\r\ncontent-length: 5\r\n\r\n"
    )
    assert head[3] == [(b"Content-Length", b"content-length", b"5"), (b"A", b"a", b"b")]
    assert head[4] == 5
    head = one_head(impl, b"HTTP/1.1 200 OK\r\nContent-Length:  007 ,007\r\n\r\n")
    assert head[3] == [(b"Content-Length", b"content-length", b"007")]
    assert head[4] == 7
    twenty = b"9" * 20
    assert one_head(impl, b"HTTP/1.1 200 OK\r\nContent-Length: " + twenty + b"\r\n\r\n")[4] == int(
        twenty
    )


@pytest.mark.parametrize(
    "lines",
    [
        [b"Content-Length: 5, 6"],
        [b"Content-Length: 5", b"Content-Length: 6"],
        [b"Content-Length: 5", b"Content-Length: 05"],
        [b"Content-Length: 5,,5"],
        [b"Content-Length: " + b"1" * 21],
        [b"Content-Length: "],
        [b"Content-Length: -1"],
        [b"Content-Length: 0x10"],
        [b"Content-Length: 1 2"],
    ],
)
def test_bad_content_length(impl: Any, lines: list[bytes]) -> None:
    refused(impl, b"HTTP/1.1 200 OK\r\n" + b"".join(x + b"\r\n" for x in lines) + b"\r\n")


def test_transfer_encoding_chunked_is_lowercased(impl: Any) -> None:
    head = one_head(impl, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: ChUnKeD\r\n\r\n")
    assert head[3] == [(b"Transfer-Encoding", b"transfer-encoding", b"chunked")]
    assert head[4:7] == (None, True, False)
    # with a Content-Length as well: both fields are kept, both facts reported
    head = one_head(
        impl, b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\ntransfer-encoding:  chunked \r\n\r\n"
    )
    assert head[3][1] == (b"transfer-encoding", b"transfer-encoding", b"chunked")
    assert head[4:7] == (3, True, False)


@pytest.mark.parametrize(
    "lines",
    [
        [b"Transfer-Encoding: chunked", b"Transfer-Encoding: chunked"],
        [b"Transfer-Encoding: gzip"],
        [b"Transfer-Encoding: gzip, chunked"],
        [b"Transfer-Encoding: chunked, chunked"],
        [b"Transfer-Encoding: "],
    ],
)
def test_bad_transfer_encoding(impl: Any, lines: list[bytes]) -> None:
    refused(impl, b"HTTP/1.1 200 OK\r\n" + b"".join(x + b"\r\n" for x in lines) + b"\r\n")


@pytest.mark.parametrize(
    ("lines", "close"),
    [
        ([b"Connection: keep-alive, Close"], True),
        ([b"Connection: keep-alive", b"connection: , CLOSE ,"], True),
        ([b"Connection: close"], True),
        ([b"Connection: keep-alive"], False),
        ([b"Connection: closed, cl ose"], False),
        ([b"X-Connection: close"], False),
        ([], False),
    ],
)
def test_connection_close(impl: Any, lines: list[bytes], close: bool) -> None:
    head = one_head(impl, b"HTTP/1.1 200 OK\r\n" + b"".join(x + b"\r\n" for x in lines) + b"\r\n")
    assert head[6] is close
    assert len(head[3]) == len(lines)  # Connection fields are kept as they are


@pytest.mark.parametrize(
    ("lines", "marks"),
    [
        ([], 0),
        ([b"Content-Type: text/plain", b"Content-Length: 2", b"Cookie: a=b"], 0),
        ([b"Set-Cookie: a=b"], 1),
        ([b"set-cookie2: a=b", b"SET-COOKIE: c=d"], 1),
        ([b"Content-Encoding: gzip"], 2),
        ([b"CONTENT-ENCODING:"], 2),  # an empty value is still the field
        ([b"Content-Encoding: br", b"X: y", b"Set-Cookie: a=b"], 3),
        ([b"Set-Cookie3: a", b"Content-Encodings: gzip", b"X-Set-Cookie: a"], 0),
        ([b"Set-Cookie: a=b", b" c=d"], 1),  # folded onto the field
    ],
)
def test_marks(impl: Any, lines: list[bytes], marks: int) -> None:
    """The last item marks the names a response is checked for: 1 Set-Cookie or Set-Cookie2,
    2 Content-Encoding (any case); the same in a 1xx head."""
    head = b"".join(x + b"\r\n" for x in lines) + b"\r\n"
    assert one_head(impl, b"HTTP/1.1 200 OK\r\n" + head)[7] == marks
    parser = impl.ResponseHeadParser()
    parser.feed(b"HTTP/1.1 103 Early Hints\r\n" + head)
    assert parser.next_head()[7] == marks


def test_http_versions(impl: Any) -> None:
    assert one_head(impl, b"HTTP/1.0 200 OK\r\n\r\n")[:2] == (200, b"1.0")
    assert one_head(impl, b"HTTP/2.7 200 OK\r\n\r\n")[:2] == (200, b"2.7")
    assert one_head(impl, b"HTTP/0.9 200 OK\r\n\r\n")[:2] == (200, b"0.9")


def test_status_range_accepted(impl: Any) -> None:
    assert one_head(impl, b"HTTP/1.1 999 Odd\r\n\r\n")[0] == 999
    assert parse(impl, b"HTTP/1.1 100 C\r\n\r\nHTTP/1.1 199 x\r\n\r\n")[1][0] == 199


@pytest.mark.parametrize(
    "line",
    [
        b"X: a\x00b",
        b"X: a\rb",
        b"X: a\x0bb",
        b"X: a\x0cb",
        b"X : a",
        b"X\t: a",
        b": a",
        b"X",
        b"X-No-Colon a",
        b"X(y): a",
        b"X\x7f: a",
        b"X\x80: a",
        b"\x00X: a",
        b"X: a\r",  # a CR left over at the end of the value (the line ended CR CR LF)
    ],
)
def test_illegal_header_lines(impl: Any, line: bytes) -> None:
    refused(impl, b"HTTP/1.1 200 OK\r\nA: b\r\n" + line + b"\r\n\r\n")


def test_continuation_line_at_start_of_headers(impl: Any) -> None:
    refused(impl, b"HTTP/1.1 200 OK\r\n folded\r\nA: b\r\n\r\n")
    refused(impl, b"HTTP/1.1 200 OK\n\tA: b\n\n")


@pytest.mark.parametrize(
    "data",
    [
        b"\r\nHTTP/1.1 200 OK\r\n\r\n",
        b"\nHTTP/1.1 200 OK\r\n\r\n",
        b" HTTP/1.1 200 OK\r\n\r\n",
        b"\r\n\r\n",
        b"\n\n",
    ],
)
def test_leading_whitespace_or_empty_line_refused(impl: Any, data: bytes) -> None:
    refused(impl, data)


@pytest.mark.parametrize("start", [b"\r", b"\x16\x03\x01\x02\x00", b" HTTP/1.1", b"\t", b"\x00"])
def test_obviously_invalid_start_refused_before_the_head_completes(impl: Any, start: bytes) -> None:
    refused(impl, start)  # no LF at all yet: the first byte already decides


@pytest.mark.parametrize(
    "status_line",
    [
        b"HTTP/1.1 101 Switching Protocols",
        b"HTTP/1.1 099 Low",
        b"HTTP/1.1 000",
        b"HTTP/1.1 20 OK",
        b"HTTP/1.1 2000 OK",
        b"HTTP/1.1 2x0 OK",
        b"HTTP/1.1\t200 OK",
        b"HTTP/1.1 200\tOK",
        b"HTTP/1.1  200 OK",
        b"HTTP/11 200 OK",
        b"HTTP/1.10 200 OK",
        b"http/1.1 200 OK",
        b"HTTP/1.1 200 O\x00K",
        b"HTTP/1.1 200 O\x0bK",
        b"HTTP/1.1 200 OK\r",
        b"ICY 200 OK",
        b"HTTP/1.1",
    ],
)
def test_bad_status_lines(impl: Any, status_line: bytes) -> None:
    refused(impl, status_line + b"\r\n\r\n")


def test_bad_final_head_after_a_good_informational_one(impl: Any) -> None:
    parser = impl.ResponseHeadParser()
    parser.feed(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 101 Switching\r\n\r\n")
    assert parser.next_head() is not None
    with pytest.raises(HeadError):
        parser.next_head()
    with pytest.raises(HeadError):
        parser.next_head()
    assert not parser.done


def test_max_size_applies_only_to_incomplete_heads(impl: Any) -> None:
    head = b"HTTP/1.1 200 OK\r\nX-Pad: " + b"p" * 100 + b"\r\n\r\n"
    incomplete = head[:-2]
    size = len(incomplete)
    # incomplete, exactly at the limit: still waiting; one byte over: refused
    parser = impl.ResponseHeadParser(size)
    parser.feed(incomplete)
    assert parser.next_head() is None
    parser.feed(b"\r")
    with pytest.raises(HeadError):
        parser.next_head()
    with pytest.raises(HeadError):
        parser.next_head()
    # the same head complete in one feed is accepted although it is larger than max_size
    parser = impl.ResponseHeadParser(size)
    parser.feed(head + b"body" * 100)
    got = parser.next_head()
    assert got is not None and got[3] == [(b"X-Pad", b"x-pad", b"p" * 100)]
    assert parser.done and parser.rest() == b"body" * 100


def test_max_size_counts_the_buffer_after_informational_heads(impl: Any) -> None:
    informational = b"HTTP/1.1 100 Continue\r\n" + b"A: " + b"a" * 50 + b"\r\n\r\n"
    parser = impl.ResponseHeadParser(40)
    parser.feed(informational + b"HTTP/1.1 200 OK\r\n")
    assert parser.next_head() is not None  # complete: over the limit but accepted
    assert parser.next_head() is None  # 17 bytes pending
    parser.feed(b"B: " + b"b" * 30)  # 50 bytes pending: over
    with pytest.raises(HeadError):
        parser.next_head()


def test_eof_before_any_byte(impl: Any) -> None:
    parser = impl.ResponseHeadParser()
    parser.feed_eof()
    with pytest.raises(HeadError):
        parser.next_head()
    with pytest.raises(HeadError):
        parser.next_head()


def test_eof_mid_head(impl: Any) -> None:
    for cut in (1, 10, len(OK_HEAD) - 1):
        refused(impl, OK_HEAD[:cut], eof=True)
    # EOF arriving after next_head() already said "need more"
    parser = impl.ResponseHeadParser()
    parser.feed(OK_HEAD[:20])
    assert parser.next_head() is None
    parser.feed_eof()
    with pytest.raises(HeadError):
        parser.next_head()


def test_eof_right_after_a_complete_head(impl: Any) -> None:
    parser = impl.ResponseHeadParser()
    parser.feed(OK_HEAD)
    parser.feed_eof()
    parser.feed_eof()  # twice is fine
    assert parser.next_head() == one_head(impl, OK_HEAD)
    assert parser.done and parser.rest() == b""
    # an informational head, then EOF: the 1xx head is returned, then the error
    parser = impl.ResponseHeadParser()
    parser.feed(b"HTTP/1.1 100 Continue\r\n\r\n")
    parser.feed_eof()
    assert parser.next_head() == (100, b"1.1", b"Continue", [], None, False, False, 0)
    with pytest.raises(HeadError):
        parser.next_head()


def test_feed_after_feed_eof_raises(impl: Any) -> None:
    parser = impl.ResponseHeadParser()
    parser.feed(b"HTTP/1.1 200")
    parser.feed_eof()
    with pytest.raises(HeadError):
        parser.feed(b" OK\r\n\r\n")


def test_errors_are_sticky(impl: Any) -> None:
    parser = impl.ResponseHeadParser()
    parser.feed(b"HTTP/1.1 200 OK\r\nBad Line\r\n\r\n")
    with pytest.raises(HeadError):
        parser.next_head()
    parser.feed(OK_HEAD)  # a good head afterwards does not heal the parser
    for _ in range(3):
        with pytest.raises(HeadError):
            parser.next_head()
    assert not parser.done


def test_sticky_error_does_not_pile_up_traceback(impl: Any) -> None:
    parser = impl.ResponseHeadParser()
    parser.feed(b"HTTP/1.1 200 OK\r\nBad Line\r\n\r\n")
    depths = []
    for _ in range(20):
        try:
            parser.next_head()
        except HeadError as exc:
            depths.append(len(traceback.extract_tb(exc.__traceback__)))
    assert len(depths) == 20
    assert max(depths) == depths[0]


def test_feeding_empty_bytes_is_a_no_op(impl: Any) -> None:
    # h11's receive_data(b"") means EOF; feed(b"") must not (the pure twin filters it out).
    parser = impl.ResponseHeadParser()
    parser.feed(b"HTTP/1.1 200 OK\r\n")
    parser.feed(b"")
    assert parser.next_head() is None
    parser.feed(memoryview(b""))
    parser.feed(bytearray())
    assert parser.next_head() is None
    parser.feed(b"\r\n")
    parser.feed(b"")
    assert parser.next_head() == (200, b"1.1", b"OK", [], None, False, False, 0)
    assert parser.rest() == b""


# --- serialize_request -----------------------------------------------------------------------


def test_serialize_exact_bytes(impl: Any) -> None:
    head, framing = impl.serialize_request(
        b"GET",
        b"/path?q=1&r=%20",
        [(b"Accept", b"*/*"), (b"hOsT", b"example.com:8080"), (b"X-Empty", b""), (b"X-B", b"a\tb")],
    )
    assert head == (
        b"GET /path?q=1&r=%20 HTTP/1.1\r\n"
        b"hOsT: example.com:8080\r\n"
        b"Accept: */*\r\n"
        b"X-Empty: \r\n"
        b"X-B: a\tb\r\n"
        b"\r\n"
    )
    assert framing == 0
    assert impl.serialize_request(b"OPTIONS", b"*", [(b"Host", b"h")]) == (
        b"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
        0,
    )


def test_serialize_framing(impl: Any) -> None:
    head, framing = impl.serialize_request(
        b"POST", b"/", [(b"Transfer-Encoding", b"Chunked"), (b"Host", b"h")]
    )
    assert head == b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
    assert framing == -1
    head, framing = impl.serialize_request(
        b"PUT", b"/", [(b"Host", b"h"), (b"Content-Length", b"10")]
    )
    assert head == b"PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n"
    assert framing == 10
    head, framing = impl.serialize_request(
        b"PUT", b"/", [(b"Host", b"h"), (b"Content-Length", b"3, 3"), (b"content-length", b"3")]
    )
    assert head == b"PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n"
    assert framing == 3
    _, framing = impl.serialize_request(
        b"POST",
        b"/",
        [(b"Host", b"h"), (b"Content-Length", b"3"), (b"Transfer-Encoding", b"chunked")],
    )
    assert framing == -1  # chunked wins
    _, framing = impl.serialize_request(b"POST", b"/", [(b"Host", b"h"), (b"Content-Length", b"0")])
    assert framing == 0


@pytest.mark.parametrize(
    ("method", "target", "headers"),
    [
        (b"GET", b"/", []),
        (b"GET", b"/", [(b"Accept", b"*/*")]),
        (b"GET", b"/", [(b"Host", b"a"), (b"host", b"a")]),
        (b"GET", b"/", [(b"Host", b"a"), (b"Bad Name", b"x")]),
        (b"GET", b"/", [(b"Host", b"a"), (b"", b"x")]),
        (b"GET", b"/", [(b"Host", b"a"), (b"X:", b"x")]),
        (b"GET", b"/", [(b"Host", b"a"), (b"X\x80", b"x")]),
        (b"GET", b"/", [(b"Host", b" a")]),
        (b"GET", b"/", [(b"Host", b"a"), (b"X", b"v\t")]),
        (b"GET", b"/", [(b"Host", b"a"), (b"X", b"v\r\nInjected: 1")]),
        (b"GET", b"/", [(b"Host", b"a"), (b"X", b"v\nw")]),
        (b"GET", b"/", [(b"Host", b"a"), (b"X", b"v\rw")]),
        (b"GET", b"/", [(b"Host", b"a"), (b"X", b"v\x00w")]),
        (b"GET", b"/", [(b"Host", b"a"), (b"X", b"v\x0bw")]),
        (b"GET", b"/", [(b"Host", b"a"), (b"X", b" ")]),
        (b"G T", b"/", [(b"Host", b"a")]),
        (b"", b"/", [(b"Host", b"a")]),
        (b"GET\r\n", b"/", [(b"Host", b"a")]),
        (b"GET", b"", [(b"Host", b"a")]),
        (b"GET", b"/a b", [(b"Host", b"a")]),
        (b"GET", b"/\x7f", [(b"Host", b"a")]),
        (b"GET", b"/\x80", [(b"Host", b"a")]),
        (b"GET", b"/\r\n", [(b"Host", b"a")]),
        (b"POST", b"/", [(b"Host", b"a"), (b"Transfer-Encoding", b"gzip")]),
        (b"POST", b"/", [(b"Host", b"a"), (b"Transfer-Encoding", b"gzip, chunked")]),
        (b"POST", b"/", [(b"Host", b"a"), (b"Transfer-Encoding", b"chunked")] * 2),
        (b"POST", b"/", [(b"Host", b"a"), (b"Content-Length", b"3, 4")]),
        (b"POST", b"/", [(b"Host", b"a"), (b"Content-Length", b"3"), (b"Content-Length", b"4")]),
        (b"POST", b"/", [(b"Host", b"a"), (b"Content-Length", b"1" * 21)]),
        (b"POST", b"/", [(b"Host", b"a"), (b"Content-Length", b"abc")]),
        (b"POST", b"/", [(b"Host", b"a"), (b"Content-Length", b"")]),
    ],
)
def test_serialize_refused(
    impl: Any, method: bytes, target: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    with pytest.raises(HeadError):
        impl.serialize_request(method, target, headers)


def test_serialize_none_is_a_type_error(impl: Any) -> None:
    with pytest.raises(TypeError):
        impl.serialize_request(b"GET", b"/", [(b"Host", b"a"), (None, b"x")])
    with pytest.raises(TypeError):
        impl.serialize_request(b"GET", b"/", [(b"Host", None)])


# --- compiled == pure (h11), Hypothesis --------------------------------------------------------


@st.composite
def max_sizes(draw: st.DrawFn) -> int:
    """The default mostly; a small limit one time in four."""
    return draw(st.integers(0, 160)) if draw(st.integers(0, 3)) == 0 else 102400


def pieces_of(data: bytes, cuts: list[int]) -> list[bytes]:
    """`data` cut at `cuts` (mod its length + 1); repeated cuts give empty pieces."""
    points = [0, *sorted(c % (len(data) + 1) for c in cuts), len(data)]
    return [data[a:b] for a, b in zip(points, points[1:], strict=False)]


def drive(
    module: Any, pieces: list[bytes], eof: bool, max_size: int
) -> tuple[list[Any], bool, bytes | None]:
    """Feed the pieces (then maybe EOF); after each, call next_head() until None, an error or
    done. The steps (each head or None with rest() after it, or the error type), done, and
    rest() at the end if done. A parser in error keeps being asked (errors are sticky)."""
    parser = module.ResponseHeadParser(max_size)
    steps: list[Any] = []
    broken = False

    def pump() -> None:
        nonlocal broken
        for _ in range(8):  # at most 4 heads in a stream, then None
            try:
                head = parser.next_head()
            except Exception as exc:
                steps.append(("error", type(exc).__name__))
                broken = True
                return
            steps.append((head, parser.rest()))
            if head is None or parser.done:
                return
        raise AssertionError("next_head() kept returning heads")

    for piece in pieces:
        parser.feed(piece)
        if not parser.done:
            pump()
    if eof and not broken:
        parser.feed_eof()
        if not parser.done:
            pump()
    return steps, parser.done, parser.rest() if parser.done else None


def heads_of(result: tuple[list[Any], bool, bytes | None]) -> list[Any]:
    return [step[0] for step in result[0] if step[0] not in (None, "error")]


def failed(result: tuple[list[Any], bool, bytes | None]) -> bool:
    return any(step[0] == "error" for step in result[0])


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=response_streams(),
    cuts=st.lists(st.integers(0), max_size=6),
    eof=st.booleans(),
    max_size=max_sizes(),
)
def test_parser_c_equals_h11(
    c_impl: Any, py_impl: Any, data: bytes, cuts: list[int], eof: bool, max_size: int
) -> None:
    pieces = pieces_of(data, cuts)
    compiled = drive(c_impl, pieces, eof, max_size)
    assert compiled == drive(py_impl, pieces, eof, max_size), (data, pieces, eof, max_size)
    assert all(s[1] == "HeadError" for s in compiled[0] if s[0] == "error")
    # Split or not, the same heads: a prefix of them when a split could push an incomplete
    # head over max_size, all of them (and the same outcome) when it cannot.
    whole = drive(c_impl, [data], eof, max_size)
    split_heads, whole_heads = heads_of(compiled), heads_of(whole)
    assert split_heads == whole_heads[: len(split_heads)]
    if max_size >= len(data):
        assert split_heads == whole_heads
        assert compiled[1:] == whole[1:]
        assert failed(compiled) == failed(whole)


REPRESENTATIVE = [
    OK_HEAD + b"hello",
    b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 E\nLink: x\n\nHTTP/1.0 200\nA: b\n c\n\nbody",
    b"HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\ncontent-length: 5\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nX: a\r\r\n\r\n",
    b"HTTP/1.1 200 OK\n\r\n",
    b"HTTP/1.1 100 Continue\r\n\r\n\r\nHTTP/1.1 200 OK\r\n\r\n",
    b"HTTP/1.1 101 Switching\r\n\r\n",
    b"\x16\x03\x01\x00",
]


@pytest.mark.parametrize("data", REPRESENTATIVE)
def test_parser_c_equals_h11_at_every_split(c_impl: Any, py_impl: Any, data: bytes) -> None:
    ways = [[data[:i], data[i:]] for i in range(len(data) + 1)]
    ways.append([data[i : i + 1] for i in range(len(data))])
    for pieces in ways:
        for eof in (False, True):
            compiled = drive(c_impl, pieces, eof, 102400)
            assert compiled == drive(py_impl, pieces, eof, 102400), pieces
            assert compiled[1:] == drive(c_impl, [data], eof, 102400)[1:]


def test_byte_soup_c_equals_h11(c_impl: Any, py_impl: Any) -> None:
    """Short runs over the bytes the grammar turns on, after a few prefixes, whole and split."""
    rng = random.Random(5)
    alphabet = b"HTP/1.0 29:aA\t\r\n\x00\x0b\x80,"
    prefixes = [b"", b"HTTP/1.1 200 OK\r\n", b"HTTP/1.1 100 C\r\n\r\n", b"HTTP/1.1 2",
                b"HTTP/1.1 200 OK\r\nA: b\r\n", b"HTTP/1.1 200 OK\n X"]  # fmt: skip
    outcomes = {"done": 0, "error": 0}
    for _ in range(2500):
        soup = bytes(rng.choice(alphabet) for _ in range(rng.randrange(1, 14)))
        data = rng.choice(prefixes) + soup + rng.choice([b"", b"\r\n", b"\r\n\r\n", b"\n\n"])
        cut = rng.randrange(len(data) + 1)
        eof = rng.random() < 0.5
        max_size = rng.choice([102400, rng.randrange(0, 40)])
        for pieces in ([data], [data[:cut], data[cut:]]):
            compiled = drive(c_impl, pieces, eof, max_size)
            assert compiled == drive(py_impl, pieces, eof, max_size), (pieces, eof, max_size)
            outcomes["done"] += compiled[1]
            outcomes["error"] += failed(compiled)
    assert outcomes["done"] > 100 and outcomes["error"] > 1000  # both kinds represented


def serialize(module: Any, method: bytes, target: bytes, headers: list[Any]) -> Any:
    try:
        return module.serialize_request(method, target, list(headers))
    except Exception as exc:
        return ("error", type(exc).__name__)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(request=requests())
def test_serialize_c_equals_h11(
    c_impl: Any, py_impl: Any, request: tuple[bytes, bytes, list[tuple[bytes, bytes]]]
) -> None:
    method, target, headers = request
    compiled = serialize(c_impl, method, target, headers)
    assert compiled == serialize(py_impl, method, target, headers), (method, target, headers)
    assert compiled[0] != "error" or compiled[1] == "HeadError"


# --- linear time, bounded memory ---------------------------------------------------------------


@pytest.mark.timeout(60)
def test_100k_head_fed_one_byte_at_a_time(impl: Any) -> None:
    line = b"X-Field-%05d: " + b"v" * 40 + b"\r\n"
    count = 100_000 // len(line % 0) + 1
    data = b"HTTP/1.1 200 OK\r\n" + b"".join(line % i for i in range(count)) + b"\r\nbody"
    assert len(data) > 100_000
    parser = impl.ResponseHeadParser(200_000)
    head = None
    view = memoryview(data)
    for i in range(len(data)):
        parser.feed(view[i : i + 1])
        head = parser.next_head()
        if head is not None:
            assert i == len(data) - 5  # the last byte of the head completes it
            break
    assert head is not None and parser.done
    assert len(head[3]) == count
    assert head[3][-1] == (b"X-Field-%05d" % (count - 1), b"x-field-%05d" % (count - 1), b"v" * 40)
    assert parser.rest() == b""


@pytest.mark.timeout(60)
def test_endless_line_refused_once_past_max_size(impl: Any) -> None:
    parser = impl.ResponseHeadParser()  # max_size 102400 = 100 pieces of 1 KiB
    piece = b"HTTP/1.1 200 " + b"x" * (1024 - 13)
    failed_at = None
    for i in range(1024):  # 1 MiB with no LF
        parser.feed(piece if i == 0 else b"x" * 1024)
        try:
            assert parser.next_head() is None
        except HeadError:
            failed_at = i
            break
    assert failed_at == 100  # the first piece that takes the buffer over 102400 bytes
    assert len(parser.rest()) == 101 * 1024  # nothing more was kept
    with pytest.raises(HeadError):
        parser.next_head()
