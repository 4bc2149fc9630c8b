"""`ContentLengthReader.reset(length)`: a connection keeps one reader for its responses' bodies,
so a reset reader must behave as a new one whatever its previous body left in it (surplus,
an error, a body cut short, bytes counted by `advance`), on both implementations."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from .conftest import Implementation

SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def drive(impl: Implementation, reader: Any, steps: list[tuple[str, Any]]) -> list[Any]:
    """Run `steps` (feed bytes, advance n, eof) on `reader`: what each step returned or raised,
    and the reader's observable state after it."""
    seen: list[Any] = []
    for kind, arg in steps:
        try:
            if kind == "feed":
                result: Any = reader.feed(arg)
            elif kind == "advance":
                result = reader.advance(arg)
            else:
                result = reader.feed_eof()
        except impl.FramingError as exc:
            result = ("FramingError", str(exc))
        except ValueError as exc:
            result = ("ValueError", str(exc))
        seen.append(
            (
                result,
                reader.done,
                reader.error,
                reader.received,
                reader.remaining,
                reader.surplus,
                reader.suspicious,
                reader.trailers,
            )
        )
    return seen


steps = st.lists(
    st.one_of(
        st.tuples(st.just("feed"), st.binary(max_size=12)),
        st.tuples(st.just("advance"), st.integers(-1, 12)),
        st.tuples(st.just("eof"), st.none()),
    ),
    max_size=8,
)
lengths = st.integers(0, 24) | st.sampled_from([2**64 - 1, 2**64, 2**70])


@SETTINGS
@given(first_length=lengths, first=steps, length=lengths, second=steps)
def test_a_reset_reader_is_a_new_one(
    c_impl: Implementation,
    py_impl: Implementation,
    first_length: int,
    first: list[tuple[str, Any]],
    length: int,
    second: list[tuple[str, Any]],
) -> None:
    results = []
    for impl in (c_impl, py_impl):
        reader = impl.ContentLengthReader(first_length)
        drive(impl, reader, first)
        reader.reset(length)
        reused = drive(impl, reader, second)
        assert reused == drive(impl, impl.ContentLengthReader(length), second)
        results.append(reused)
    assert results[0] == results[1]


def test_reset_refuses_a_negative_length_as_the_constructor(impl: Implementation) -> None:
    reader = impl.ContentLengthReader(3)
    with pytest.raises(ValueError, match="length must be >= 0"):
        reader.reset(-1)
    with pytest.raises(ValueError, match="length must be >= 0"):
        impl.ContentLengthReader(-1)
