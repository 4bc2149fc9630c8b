"""ByteChunker and TextChunker: exact-size re-chunking, as httpx 0.28.1 does it.

Every test runs on the compiled type and its pure twin (`impl`); the property tests check
compiled == pure == unsplit, and the differential tests check both against httpx 0.28.1.
"""

from __future__ import annotations

import array
import copy
import itertools
import pickle
import random
from collections.abc import Iterable, Sequence
from typing import Any

import httpx._decoders as httpx_decoders
import pytest
from hypothesis import given, settings, strategies as st

SIZES = [None, 1, 2, 3, 7, 11, 100]
BODY = b"abcdefghij"
TEXT = "a\xe9\u20ac\U0001f600bcd\u2028efg"  # mixed widths: 1-, 2- and 4-byte code points


def feed(chunker: Any, pieces: Iterable[Any]) -> list[Any]:
    """All chunks from decoding the pieces in order, then flushing."""
    out: list[Any] = []
    for piece in pieces:
        out += chunker.decode(piece)
    out += chunker.flush()
    return out


def split_at(data: Any, cuts: Iterable[int]) -> list[Any]:
    points = [0, *sorted(cuts), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(points)]


def expected_chunks(data: Any, size: int) -> list[Any]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def all_splits(data: Any, ways: int) -> Iterable[list[Any]]:
    """Every split of `data` into `ways` pieces (empty pieces included)."""
    for cuts in itertools.combinations_with_replacement(range(len(data) + 1), ways - 1):
        yield split_at(data, cuts)


# -- the examples in the spec ---------------------------------------------------------------


def test_spec_example_bytes(impl: Any) -> None:
    chunker = impl.ByteChunker(3)
    assert chunker.decode(b"ab") == []
    assert chunker.decode(b"cdefg") == [b"abc", b"def"]
    assert chunker.decode(b"h") == []
    assert chunker.decode(b"") == []
    assert chunker.decode(b"ij") == [b"ghi"]
    assert chunker.flush() == [b"j"]


def test_spec_example_text(impl: Any) -> None:
    assert feed(impl.TextChunker(3), ["ab", "cdefg", "h", "", "ij"]) == ["abc", "def", "ghi", "j"]


def test_body_shorter_than_chunk_is_one_short_chunk(impl: Any) -> None:
    assert feed(impl.ByteChunker(100), [b"abc", b"de"]) == [b"abcde"]
    assert feed(impl.TextChunker(100), ["abc", "de"]) == ["abcde"]


def test_empty_body_yields_nothing(impl: Any) -> None:
    for size in SIZES:
        assert feed(impl.ByteChunker(size), []) == []
        assert feed(impl.ByteChunker(size), [b"", b""]) == []
        assert feed(impl.TextChunker(size), ["", ""]) == []


# -- chunk_size=None: pass-through ----------------------------------------------------------


def test_none_passes_pieces_through_and_drops_empty_ones(impl: Any) -> None:
    chunker = impl.ByteChunker()
    piece = b"hello world"
    out = chunker.decode(piece)
    assert out == [piece]
    assert out[0] is piece  # no copy
    assert chunker.decode(b"") == []
    assert chunker.decode(b"x") == [b"x"]
    assert chunker.flush() == []


def test_none_text_passes_pieces_through(impl: Any) -> None:
    chunker = impl.TextChunker(None)
    piece = "h\xe9llo \u20ac"
    out = chunker.decode(piece)
    assert out == [piece]
    assert out[0] is piece
    assert chunker.decode("") == []
    assert chunker.flush() == []


def test_none_copies_other_buffers_into_bytes(impl: Any) -> None:
    chunker = impl.ByteChunker()
    source = bytearray(b"abc")
    (out,) = chunker.decode(source)
    assert type(out) is bytes and out == b"abc"
    source[0:1] = b"X"
    assert out == b"abc"
    assert chunker.decode(memoryview(b"0123")[1:3]) == [b"12"]


# -- every split point gives the unsplit result ---------------------------------------------


@pytest.mark.parametrize("size", [s for s in SIZES if s is not None])
def test_every_two_and_three_way_split_matches_unsplit_bytes(impl: Any, size: int) -> None:
    expected = expected_chunks(BODY, size)
    assert feed(impl.ByteChunker(size), [BODY]) == expected
    for ways in (2, 3):
        for pieces in all_splits(BODY, ways):
            assert feed(impl.ByteChunker(size), pieces) == expected, pieces


@pytest.mark.parametrize("size", [s for s in SIZES if s is not None])
def test_every_two_and_three_way_split_matches_unsplit_text(impl: Any, size: int) -> None:
    expected = expected_chunks(TEXT, size)
    assert feed(impl.TextChunker(size), [TEXT]) == expected
    for ways in (2, 3):
        for pieces in all_splits(TEXT, ways):
            assert feed(impl.TextChunker(size), pieces) == expected, pieces


def test_none_split_keeps_non_empty_pieces(impl: Any) -> None:
    for pieces in all_splits(BODY, 3):
        assert feed(impl.ByteChunker(None), pieces) == [p for p in pieces if p]
    for text_pieces in all_splits(TEXT, 3):
        assert feed(impl.TextChunker(None), text_pieces) == [p for p in text_pieces if p]


def test_chunk_sizes_and_concatenation(impl: Any) -> None:
    rng = random.Random(1234)
    data = rng.randbytes(5000)
    for size in (1, 2, 3, 7, 64, 4096, 5000, 5001):
        cuts = [rng.randrange(len(data) + 1) for _ in range(rng.randrange(0, 40))]
        chunks = feed(impl.ByteChunker(size), split_at(data, cuts))
        assert b"".join(chunks) == data
        assert all(len(c) == size for c in chunks[:-1])
        assert 1 <= len(chunks[-1]) <= size
        assert all(type(c) is bytes for c in chunks)


# -- flush ----------------------------------------------------------------------------------


def test_flush_returns_remainder_once_and_resets(impl: Any) -> None:
    chunker = impl.ByteChunker(4)
    assert chunker.decode(b"abcdef") == [b"abcd"]
    assert chunker.flush() == [b"ef"]
    assert chunker.flush() == []
    # after a flush the chunker starts afresh: nothing of the old remainder is left
    assert chunker.decode(b"ghi") == []
    assert chunker.decode(b"jk") == [b"ghij"]
    assert chunker.flush() == [b"k"]


def test_flush_text_returns_remainder_once_and_resets(impl: Any) -> None:
    chunker = impl.TextChunker(4)
    assert chunker.decode("ab\u20ac") == []
    assert chunker.flush() == ["ab\u20ac"]
    assert chunker.flush() == []
    assert chunker.decode("\U0001f600abcd") == ["\U0001f600abc"]
    assert chunker.flush() == ["d"]


def test_flush_with_nothing_held_after_exact_chunks(impl: Any) -> None:
    chunker = impl.ByteChunker(2)
    assert chunker.decode(b"abcd") == [b"ab", b"cd"]
    assert chunker.flush() == []


def test_empty_decode_keeps_pending(impl: Any) -> None:
    chunker = impl.ByteChunker(3)
    assert chunker.decode(b"a") == []
    assert chunker.decode(b"") == []
    assert chunker.decode(bytearray()) == []
    assert chunker.decode(b"bc") == [b"abc"]


# -- chunk_size validation ------------------------------------------------------------------


@pytest.mark.parametrize("bad", [0, -1, -(2**70)])
def test_non_positive_chunk_size_is_rejected(impl: Any, bad: int) -> None:
    with pytest.raises(ValueError, match="chunk_size"):
        impl.ByteChunker(bad)
    with pytest.raises(ValueError, match="chunk_size"):
        impl.TextChunker(bad)


@pytest.mark.parametrize("bad", [1.5, "3", b"3"])
def test_non_integer_chunk_size_is_a_type_error(impl: Any, bad: object) -> None:
    with pytest.raises(TypeError):
        impl.ByteChunker(bad)
    with pytest.raises(TypeError):
        impl.TextChunker(bad)


def test_huge_chunk_size_overflows(impl: Any) -> None:
    with pytest.raises(OverflowError):
        impl.ByteChunker(2**70)


def test_huge_chunk_size_holds_only_the_data(impl: Any) -> None:
    # a chunk size far beyond memory must not allocate it: only what arrives is held
    chunker = impl.ByteChunker(2**50)
    assert chunker.decode(b"x" * 3000) == []
    assert chunker.decode(b"y") == []
    assert chunker.flush() == [b"x" * 3000 + b"y"]


# -- input types ----------------------------------------------------------------------------


def test_bytearray_and_memoryview_input(impl: Any) -> None:
    pieces: list[Any] = [
        bytearray(b"ab"),
        memoryview(b"__cdefg__")[2:7],
        memoryview(bytearray(b"h")),
        bytearray(),
        b"ij",
    ]
    chunks = feed(impl.ByteChunker(3), pieces)
    assert chunks == [b"abc", b"def", b"ghi", b"j"]
    assert all(type(c) is bytes for c in chunks)


def test_buffer_sizes_count_bytes_not_items(impl: Any) -> None:
    words = array.array("H", [0x0102, 0x0304, 0x0506])  # 6 bytes, 3 items
    chunks = feed(impl.ByteChunker(4), [words])
    assert chunks == [words.tobytes()[:4], words.tobytes()[4:]]


def test_held_bytes_are_a_copy_of_the_input(impl: Any) -> None:
    chunker = impl.ByteChunker(4)
    source = bytearray(b"ab")
    assert chunker.decode(source) == []
    source[:] = b"ZZ"
    assert chunker.decode(b"cd") == [b"abcd"]


def test_non_contiguous_memoryview_is_rejected(impl: Any) -> None:
    strided = memoryview(b"abcdef")[::2]
    for size in (None, 2):
        with pytest.raises(BufferError):
            impl.ByteChunker(size).decode(strided)


def test_str_into_byte_chunker_and_bytes_into_text_chunker_are_type_errors(impl: Any) -> None:
    with pytest.raises(TypeError):
        impl.ByteChunker(3).decode("abc")
    with pytest.raises(TypeError):
        impl.ByteChunker().decode("abc")
    with pytest.raises(TypeError):
        impl.TextChunker(3).decode(b"abc")


def test_str_subclass_input_gives_exact_str(impl: Any) -> None:
    class Sub(str):
        pass

    for size in (None, 2, 10):
        chunks = feed(impl.TextChunker(size), [Sub("abc"), Sub("de")])
        assert "".join(chunks) == "abcde"
        assert all(type(c) is str for c in chunks)


def test_bytes_subclass_input_gives_exact_bytes(impl: Any) -> None:
    class Sub(bytes):
        pass

    for size in (None, 3, 5):
        chunks = feed(impl.ByteChunker(size), [Sub(b"abc"), Sub(b"de")])
        assert b"".join(chunks) == b"abcde"
        assert all(type(c) is bytes for c in chunks)


def test_chunkers_do_not_pickle_or_copy(impl: Any) -> None:
    for chunker in (impl.ByteChunker(3), impl.TextChunker(3)):
        chunker.decode(b"a" if isinstance(chunker, impl.ByteChunker) else "a")
        with pytest.raises(TypeError):
            pickle.dumps(chunker)
        with pytest.raises(TypeError):
            copy.copy(chunker)


# -- large chunks and linear time -----------------------------------------------------------


@pytest.mark.parametrize("size", [65536, 1 << 20, (1 << 20) + 1, 3 << 20])
def test_large_chunk_sizes_with_socket_like_pieces(impl: Any, size: int) -> None:
    rng = random.Random(size)
    data = rng.randbytes(7 << 20)
    pieces = []
    pos = 0
    while pos < len(data):
        step = rng.randint(1, 256 << 10)
        pieces.append(data[pos : pos + step])
        pos += step
    assert feed(impl.ByteChunker(size), pieces) == expected_chunks(data, size)


@pytest.mark.timeout(60)
def test_million_one_byte_pieces_into_one_chunk(impl: Any) -> None:
    chunker = impl.ByteChunker(1 << 20)
    one = b"x"
    out: list[bytes] = []
    for _ in range(1 << 20):
        out += chunker.decode(one)
    assert out == [b"x" * (1 << 20)]
    assert chunker.flush() == []


@pytest.mark.timeout(60)
def test_million_one_character_pieces_into_one_chunk(impl: Any) -> None:
    chunker = impl.TextChunker(1 << 20)
    out: list[str] = []
    for ch in itertools.islice(itertools.cycle("a\u20ac\U0001f600"), 1 << 20):
        out += chunker.decode(ch)
    assert len(out) == 1 and len(out[0]) == 1 << 20
    assert out[0][:4] == "a\u20ac\U0001f600a"


# -- differential against httpx 0.28.1 ------------------------------------------------------


def random_pieces(rng: random.Random, data: Any, max_piece: int) -> list[Any]:
    pieces = []
    pos = 0
    while pos < len(data):
        step = rng.randint(0, max_piece)
        pieces.append(data[pos : pos + step])
        pos += step
    return pieces


@pytest.mark.parametrize("seed", range(20))
def test_same_chunks_as_httpx(impl: Any, seed: int) -> None:
    rng = random.Random(seed)
    data = rng.randbytes(rng.randint(0, 3000))
    text = "".join(rng.choice("ab\xe9\u20ac\U0001f600\n") for _ in range(rng.randint(0, 800)))
    for size in (None, 1, 2, 3, 7, 64, 1000, 5000):
        pieces = random_pieces(rng, data, 300)
        theirs = httpx_decoders.ByteChunker(size)
        assert feed(impl.ByteChunker(size), pieces) == feed(theirs, pieces)
        text_pieces = random_pieces(rng, text, 100)
        text_theirs = httpx_decoders.TextChunker(size)
        assert feed(impl.TextChunker(size), text_pieces) == feed(text_theirs, text_pieces)


def test_same_calls_as_httpx(impl: Any) -> None:
    """Not only the same chunks: each decode() returns what httpx's returns."""
    rng = random.Random(99)
    data = rng.randbytes(2000)
    for size in (None, 1, 3, 64, 700):
        ours, theirs = impl.ByteChunker(size), httpx_decoders.ByteChunker(size)
        for piece in random_pieces(rng, data, 200):
            assert ours.decode(piece) == theirs.decode(piece)
        assert ours.flush() == theirs.flush()


# -- properties: compiled == pure == unsplit ------------------------------------------------

chunk_sizes = st.one_of(st.none(), st.integers(1, 8), st.integers(1, 300))


def calls(chunker: Any, pieces: Sequence[Any]) -> list[list[Any]]:
    """The result of every call, decode by decode, then the flush."""
    return [chunker.decode(p) for p in pieces] + [chunker.flush()]


@settings(deadline=None)
@given(data=st.binary(max_size=600), size=chunk_sizes, draw=st.data())
def test_property_bytes_c_equals_pure_equals_unsplit(
    c_impl: Any, py_impl: Any, data: bytes, size: int | None, draw: st.DataObject
) -> None:
    cuts = draw.draw(st.lists(st.integers(0, len(data)), max_size=12))
    pieces = split_at(data, cuts)
    c_calls = calls(c_impl.ByteChunker(size), pieces)
    assert c_calls == calls(py_impl.ByteChunker(size), pieces)
    chunks = [c for call in c_calls for c in call]
    assert b"".join(chunks) == data
    if size is None:
        assert chunks == [p for p in pieces if p]
    else:
        assert chunks == feed(c_impl.ByteChunker(size), [data]) == expected_chunks(data, size)


@settings(deadline=None)
@given(text=st.text(max_size=300), size=chunk_sizes, draw=st.data())
def test_property_text_c_equals_pure_equals_unsplit(
    c_impl: Any, py_impl: Any, text: str, size: int | None, draw: st.DataObject
) -> None:
    cuts = draw.draw(st.lists(st.integers(0, len(text)), max_size=12))
    pieces = split_at(text, cuts)
    c_calls = calls(c_impl.TextChunker(size), pieces)
    assert c_calls == calls(py_impl.TextChunker(size), pieces)
    chunks = [c for call in c_calls for c in call]
    assert "".join(chunks) == text
    if size is None:
        assert chunks == [p for p in pieces if p]
    else:
        assert chunks == feed(c_impl.TextChunker(size), [text]) == expected_chunks(text, size)
