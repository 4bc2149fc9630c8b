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
