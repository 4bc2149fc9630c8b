"""LineDecoder: text pieces in, lines out, split on \\n, \\r\\n and \\r only (httpx also splits
on the other str.splitlines boundaries; faststream does not, so JSON lines stay whole)."""

from __future__ import annotations

import itertools
import re
import sys
import tracemalloc
from collections.abc import Iterable
from typing import Any

import httpx._decoders
import pytest
from hypothesis import given, settings, strategies as st

from _cstream import DecodeError, LineTooLongError

from ._helpers import outcomes


def reference(text: str) -> list[str]:
    """The definition: split at every terminator, minus the empty item after a final one."""
    if not text:
        return []
    lines = re.split(r"\r\n|\r|\n", text)
    if lines[-1] == "":
        lines.pop()
    return lines


def run(decoder: Any, pieces: Iterable[Any]) -> list[str]:
    lines: list[str] = []
    for piece in pieces:
        lines += decoder.decode(piece)
    last: list[str] = decoder.flush()
    return lines + last


def splits(text: str, ways: int) -> Iterable[list[str]]:
    """Every way of cutting `text` into `ways` pieces (empty pieces included)."""
    for cuts in itertools.combinations_with_replacement(range(len(text) + 1), ways - 1):
        bounds = (0, *cuts, len(text))
        yield [text[a:b] for a, b in itertools.pairwise(bounds)]


@pytest.mark.parametrize(
    "pieces, expected",
    [
        (["a\nb\n"], ["a", "b"]),
        (["a\nb"], ["a", "b"]),
        (["\n\na\n\n"], ["", "", "a", ""]),
        (["a\r", "\nb"], ["a", "b"]),
        (["\r"], [""]),
        (["a\n\r"], ["a", ""]),
        (["ab", "cd", "ef\ng"], ["abcdef", "g"]),
        (["a\rb\r\nc\nd"], ["a", "b", "c", "d"]),
        (["\r\r\n"], ["", ""]),
        (["\n\r"], ["", ""]),
        (["\r\n"], [""]),
        (["\r", "\r", "\n"], ["", ""]),
        ([""], []),
        ([], []),
        (["", "", ""], []),
    ],
)
def test_spec_examples(impl: Any, pieces: list[str], expected: list[str]) -> None:
    assert run(impl.LineDecoder(), pieces) == expected


def test_only_cr_lf_and_crlf_split(impl: Any) -> None:
    # httpx also splits at these (str.splitlines); faststream keeps them inside the line
    exotic = "a\x0bb\x0cc\x1cd\x1de\x1ef\x85g\u2028h\u2029i"
    assert run(impl.LineDecoder(), [exotic + "\n", exotic]) == [exotic, exotic]


def test_trailing_cr_is_held_until_the_next_piece(impl: Any) -> None:
    decoder = impl.LineDecoder()
    assert decoder.decode("a\r") == []
    assert decoder.decode("") == []  # an empty piece tells nothing: still held
    assert decoder.decode("\nb\r") == ["a"]
    assert decoder.decode("c") == ["b"]
    assert decoder.flush() == ["c"]


def test_flush_returns_held_line_and_resets(impl: Any) -> None:
    decoder = impl.LineDecoder()
    assert decoder.decode("x\ry\r") == ["x"]
    assert decoder.flush() == ["y"]
    assert decoder.flush() == []
    # after a flush the decoder starts afresh: a leading "\n" is a terminator again
    assert decoder.decode("\nz") == [""]
    assert decoder.flush() == ["z"]


def test_flush_of_partial_line(impl: Any) -> None:
    decoder = impl.LineDecoder()
    assert decoder.decode("partial") == []
    assert decoder.decode(" line") == []
    assert decoder.flush() == ["partial line"]
    assert decoder.flush() == []


TRICKY = [
    "a\r\nb",
    "\r\r\n",
    "\n\r",
    "\r",
    "a\n\r",
    "x\r\n\r\ny\r",
    "\u2028a\x85b\x0bc\r",
    "é\r€\n😀\r\n",
]


@pytest.mark.parametrize("text", TRICKY)
def test_every_two_and_three_way_split(impl: Any, text: str) -> None:
    expected = reference(text)
    assert run(impl.LineDecoder(), [text]) == expected
    for ways in (2, 3):
        for pieces in splits(text, ways):
            assert run(impl.LineDecoder(), pieces) == expected, pieces


def test_lines_mixing_character_widths(impl: Any) -> None:
    # the partial line is kept across pieces of 1-, 2- and 4-byte characters
    pieces = ["a", "é", "€", "😀", "b\nc€", "d\n", "€\nab", "cd\n", "😀\nx", "é\n"]
    lines = run(impl.LineDecoder(), pieces)
    assert lines == ["aé€😀b", "c€d", "€", "abcd", "😀", "xé"]
    # the built str objects are ordinary ones: usable as dict keys and the same size as a
    # literal with the same content
    assert {"abcd": 1}[lines[3]] == 1
    assert sys.getsizeof(lines[3]) == sys.getsizeof("abcd")
    assert sys.getsizeof(lines[5]) == sys.getsizeof("xé")


@pytest.mark.parametrize("wide", ["", "é", "€", "😀"])
def test_terminator_at_every_offset_of_long_lines(impl: Any, wide: str) -> None:
    # lines longer than the scanner's blocks, in 1-, 2- and 4-byte text
    for size in (31, 32, 33, 70):
        for at in range(size):
            text = wide + "a" * at + "\r\n" + "b" * (size - at) + "\r" + "c" * size
            expected = reference(text)
            assert run(impl.LineDecoder(), [text]) == expected
            assert run(impl.LineDecoder(), [text[: at + 1], text[at + 1 :]]) == expected


def test_decode_takes_str_only(impl: Any) -> None:
    with pytest.raises(TypeError):
        impl.LineDecoder().decode(b"a\n")


# ---------------------------------------------------------------------------------------------
# max_line_length


def test_max_line_length_raises_before_the_terminator_arrives(impl: Any) -> None:
    decoder = impl.LineDecoder(max_line_length=5)
    assert decoder.decode("abc") == []
    with pytest.raises(LineTooLongError):
        decoder.decode("def")


def test_max_line_length_in_one_piece(impl: Any) -> None:
    with pytest.raises(LineTooLongError, match="longer than 5 characters"):
        impl.LineDecoder(max_line_length=5).decode("ok\nabcdef\n")
    with pytest.raises(LineTooLongError):
        impl.LineDecoder(max_line_length=5).decode("ok\nabcdef")
    with pytest.raises(LineTooLongError):
        impl.LineDecoder(max_line_length=5).decode("abcdef\r")


@pytest.mark.parametrize(
    "pieces",
    [["abcde\n"], ["abc", "de\n"], ["abcde"], ["abcde\r"], ["ab", "c", "de", "\r\nabcde"]],
)
def test_lines_at_exactly_the_cap_pass(impl: Any, pieces: list[str]) -> None:
    assert set(run(impl.LineDecoder(max_line_length=5), pieces)) == {"abcde"}


def test_max_line_length_counts_characters(impl: Any) -> None:
    assert run(impl.LineDecoder(max_line_length=3), ["€😀", "é\n"]) == ["€😀é"]
    with pytest.raises(LineTooLongError):
        run(impl.LineDecoder(max_line_length=3), ["€😀", "éa"])


def test_max_line_length_zero_allows_empty_lines_only(impl: Any) -> None:
    assert run(impl.LineDecoder(max_line_length=0), ["\n\r\n\r"]) == ["", "", ""]
    with pytest.raises(LineTooLongError):
        impl.LineDecoder(max_line_length=0).decode("\na")


def test_line_too_long_is_a_decode_error() -> None:
    assert issubclass(LineTooLongError, DecodeError)
    assert issubclass(LineTooLongError, ValueError)


@pytest.mark.parametrize("bad, error", [(-1, ValueError), ("5", TypeError), (1.5, TypeError)])
def test_max_line_length_validated(impl: Any, bad: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        impl.LineDecoder(max_line_length=bad)


# ---------------------------------------------------------------------------------------------
# Properties: C == pure == unsplit == the definition, for any split.

ALPHABET = st.sampled_from(
    ["a", "b", "\n", "\r", "\r\n", "\n\r", "é", "€", "😀", "\u2028", "\x85", "\x0b", " ",
     "a run of text longer than one block of 32"]
)  # fmt: skip
TEXTS = st.lists(ALPHABET, max_size=40).map("".join)


@st.composite
def split_text(draw: st.DrawFn, texts: st.SearchStrategy[str] = TEXTS) -> list[str]:
    text = draw(texts)
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=8)))
    bounds = (0, *cuts, len(text))
    return [text[a:b] for a, b in itertools.pairwise(bounds)]


@settings(deadline=None)
@given(pieces=split_text())
def test_property_split_equals_unsplit_and_definition(c_impl: Any, py_impl: Any, pieces) -> None:
    text = "".join(pieces)
    c_calls = outcomes(c_impl.LineDecoder(), pieces)
    assert c_calls == outcomes(py_impl.LineDecoder(), pieces)
    assert [line for out in c_calls for line in out] == reference(text)
    assert run(c_impl.LineDecoder(), [text]) == reference(text)


@settings(deadline=None)
@given(pieces=split_text(), cap=st.integers(0, 6))
def test_property_cap_same_on_both_sides(c_impl: Any, py_impl: Any, pieces, cap: int) -> None:
    c_calls = outcomes(c_impl.LineDecoder(max_line_length=cap), pieces)
    assert c_calls == outcomes(py_impl.LineDecoder(max_line_length=cap), pieces)
    text = "".join(pieces)
    expected = reference(text)
    if all(len(line) <= cap for line in expected):
        assert c_calls[-1] is not LineTooLongError
    else:
        assert c_calls[-1] is LineTooLongError


# httpx 0.28.1 splits at the same places when the text holds none of the other
# str.splitlines boundaries; there the two must agree call by call.
PLAIN_TEXTS = st.lists(
    st.sampled_from(["a", "bc", "\n", "\r", "\r\n", "é", "€", "😀", " "]), max_size=40
).map("".join)


@settings(deadline=None)
@given(pieces=split_text(PLAIN_TEXTS))
def test_property_same_as_httpx_without_exotic_boundaries(impl: Any, pieces) -> None:
    ours = impl.LineDecoder()
    theirs = httpx._decoders.LineDecoder()
    for piece in pieces:
        assert ours.decode(piece) == theirs.decode(piece)
    assert ours.flush() == theirs.flush()


# ---------------------------------------------------------------------------------------------
# Linear time and bounded memory on one huge line.


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_100_mb_line_one_character_at_a_time(impl: Any) -> None:
    size = 100 * 1024 * 1024
    decoder = impl.LineDecoder()
    decode = decoder.decode
    for _ in range(size):
        decode("x")
    assert decode("\nend") == ["x" * size]
    assert decoder.flush() == ["end"]


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_long_line_memory_stays_near_twice_the_line(impl: Any) -> None:
    # one piece per character: neither a pointer per piece nor a 4-byte-a-character buffer
    size = 8 * 1024 * 1024
    decoder = impl.LineDecoder()
    decode = decoder.decode
    tracemalloc.start()
    try:
        for _ in range(size):
            decode("x")
        (line,) = decoder.flush()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(line) == size
    assert peak < 2.5 * size
