"""`advance(n)`: body bytes a backend received straight into a caller's buffer are counted as
`feed` would count them (both implementations), with no piece made."""

from __future__ import annotations

import pytest

from tests.core.conftest import Implementation


def test_content_length_advance_then_feed(impl: Implementation) -> None:
    reader = impl.ContentLengthReader(10)
    assert reader.remaining == 10
    reader.advance(4)
    assert (reader.remaining, reader.received, reader.done) == (6, 4, False)
    assert reader.feed(b"abc") == [b"abc"]
    reader.advance(3)
    assert (reader.remaining, reader.received, reader.done) == (0, 10, True)
    assert not reader.suspicious
    reader.feed_eof()  # complete: no error


def test_content_length_advance_past_the_end_is_refused(impl: Implementation) -> None:
    reader = impl.ContentLengthReader(5)
    with pytest.raises(ValueError):
        reader.advance(6)
    with pytest.raises(ValueError):
        reader.advance(-1)
    assert (reader.remaining, reader.received) == (5, 0)


def test_content_length_eof_after_advance_reports_what_came(impl: Implementation) -> None:
    reader = impl.ContentLengthReader(10)
    reader.advance(7)
    with pytest.raises(impl.FramingError, match=r"received 7 bytes, expected 10"):
        reader.feed_eof()


def test_content_length_huge_remaining(impl: Implementation) -> None:
    reader = impl.ContentLengthReader(2**70)
    reader.advance(2**20)
    assert reader.remaining == 2**70 - 2**20


def test_close_delimited_advance(impl: Implementation) -> None:
    reader = impl.CloseDelimitedReader()
    reader.advance(5)
    assert reader.feed(b"xy") == [b"xy"]
    assert (reader.received, reader.done) == (7, False)
    reader.feed_eof()
    assert reader.done


# --- chunked: the current chunk's data received outside feed() ---------------------------------


def test_chunked_remaining_is_the_current_chunks_data(impl: Implementation) -> None:
    reader = impl.ChunkedReader()
    assert reader.remaining == 0  # the size line is due: it goes through feed()
    assert reader.feed(b"a\r\n") == []
    assert reader.remaining == 10
    reader.advance(4)
    assert (reader.remaining, reader.received) == (6, 4)
    assert reader.feed(b"xy") == [b"xy"]  # feed and advance mix freely
    reader.advance(4)
    assert (reader.remaining, reader.received, reader.done) == (0, 10, False)
    assert reader.feed(b"\r\n3;ext\r\n") == []  # the CRLF after the data, then the next size
    assert reader.remaining == 3
    reader.advance(3)
    assert reader.feed(b"\r\n0\r\nX-T: 1\r\n\r\n") == []
    assert (reader.done, reader.received, reader.remaining) == (True, 13, 0)
    assert reader.trailers == [(b"x-t", b"1")]
    assert reader.suspicious  # the extension and the trailer, as through feed()
    reader.advance(0)  # nothing is always fine
    assert reader.surplus == b""


def test_chunked_advance_past_the_chunk_is_refused(impl: Implementation) -> None:
    reader = impl.ChunkedReader()
    with pytest.raises(ValueError):
        reader.advance(1)  # no chunk data is due yet
    reader.feed(b"5\r\nab")
    for bad in (4, -1):
        with pytest.raises(ValueError):
            reader.advance(bad)
    assert (reader.remaining, reader.received, reader.error) == (3, 2, None)


def test_chunked_crlf_after_advanced_data_is_still_checked(impl: Implementation) -> None:
    reader = impl.ChunkedReader()
    reader.feed(b"3\r\n")
    reader.advance(3)
    with pytest.raises(impl.FramingError) as caught:
        reader.feed(b"XY0\r\n\r\n")
    message = str(caught.value)
    assert reader.error == message and reader.remaining == 0
    with pytest.raises(impl.FramingError, match=message):
        reader.advance(0)  # dead: every call raises the same error
    with pytest.raises(impl.FramingError, match=message):
        reader.feed_eof()


def test_chunked_size_checks_are_unchanged_by_advance(impl: Implementation) -> None:
    reader = impl.ChunkedReader(max_line_size=8)
    reader.feed(b"2\r\n")
    reader.advance(2)
    with pytest.raises(impl.FramingError, match="8"):
        reader.feed(b"\r\n123456789")  # the next size line passes the cap
    reader = impl.ChunkedReader()
    reader.feed(b"2\r\n")
    reader.advance(2)
    with pytest.raises(impl.FramingError):
        reader.feed(b"\r\nzz\r\n")  # not a size


def test_chunked_eof_in_advanced_data(impl: Implementation) -> None:
    reader = impl.ChunkedReader()
    reader.feed(b"10\r\n")
    reader.advance(7)
    with pytest.raises(impl.FramingError, match="incomplete chunked read"):
        reader.feed_eof()
    assert reader.remaining == 0  # a dead reader takes nothing more
    assert reader.received == 7


def test_chunked_huge_chunk_remaining(impl: Implementation) -> None:
    reader = impl.ChunkedReader()
    reader.feed(b"ffffffffffffffff\r\n")
    assert reader.remaining == 2**64 - 1
    reader.advance(2**40)
    assert (reader.remaining, reader.received) == (2**64 - 1 - 2**40, 2**40)
    saturated = impl.ChunkedReader()
    saturated.feed(b"f" * 20 + b"\r\n")  # more than 2**64 - 1: kept saturated, as feed() does
    assert saturated.remaining == 2**64 - 1
