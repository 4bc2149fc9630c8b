"""TextDecoder: incremental decoding with errors="replace", as httpx 0.28.1 does it.

The oracle is the stdlib: for every input and every split, each decode() and the flush() must
return what ``codecs.getincrementaldecoder(encoding)(errors="replace")`` returns. Every test
runs on the compiled type and its pure twin (`impl`).
"""

from __future__ import annotations

import codecs
import copy
import itertools
import pickle
import random
from collections.abc import Sequence
from typing import Any

import httpx._decoders as httpx_decoders
import pytest
from hypothesis import given, settings, strategies as st

# A sample with 1-, 2-, 3- and 4-byte utf-8 characters.
SAMPLE = 'a\xe9\u20ac\U0001f600 {"k": "\u65e5\u672c"}'

# (encoding, text it can encode): multi-byte, stateful and single-byte codecs.
ENCODED_SAMPLES = [
    ("utf-8", SAMPLE),
    ("utf-16", SAMPLE),  # BOM, surrogate pairs
    ("utf-16-le", SAMPLE),
    ("utf-32", SAMPLE),
    ("latin-1", "caf\xe9 \xff\x85"),
    ("cp1252", "caf\xe9 \u20ac\u2019"),
    ("ascii", "plain text"),
    ("shift_jis", "\u65e5\u672c\u8a9e abc \uff71"),
    ("euc-jp", "\u65e5\u672c\u8a9e abc"),
    ("utf-8-sig", "\ufeffhi \u20ac"),
]


def stdlib_calls(encoding: str, pieces: Sequence[bytes]) -> list[str]:
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    return [decoder.decode(p) for p in pieces] + [decoder.decode(b"", True)]


def calls(decoder: Any, pieces: Sequence[Any]) -> list[str]:
    return [decoder.decode(p) for p in pieces] + [decoder.flush()]


def outcome(make: Any, pieces: Sequence[bytes]) -> list[str] | tuple[str, str]:
    """The result of every call, or the exception (the utf-16 codec raises on a missing BOM)."""
    try:
        return calls(make(), pieces)
    except UnicodeError as exc:
        return (type(exc).__name__, str(exc))


def stdlib_outcome(encoding: str, pieces: Sequence[bytes]) -> list[str] | tuple[str, str]:
    try:
        return stdlib_calls(encoding, pieces)
    except UnicodeError as exc:
        return (type(exc).__name__, str(exc))


def split_at(data: bytes, cuts: Sequence[int]) -> list[bytes]:
    points = [0, *sorted(cuts), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(points)]


# -- the examples in the spec ---------------------------------------------------------------


def test_split_character_is_reassembled(impl: Any) -> None:
    decoder = impl.TextDecoder()
    assert decoder.decode(b"\xe2\x82") == ""
    assert decoder.decode(b"\xac!") == "\u20ac!"
    assert decoder.flush() == ""


def test_incomplete_sequence_at_end_is_one_replacement(impl: Any) -> None:
    decoder = impl.TextDecoder("utf-8")
    assert decoder.decode(b"ab\xe2\x82") == "ab"
    assert decoder.flush() == "\ufffd"


def test_no_bom_stripping_for_utf8(impl: Any) -> None:
    decoder = impl.TextDecoder("utf-8")
    assert decoder.decode(b"\xef\xbb\xbfhi") == "\ufeffhi"


def test_utf16_bom_is_handled_by_the_codec(impl: Any) -> None:
    decoder = impl.TextDecoder("utf-16")
    data = "hi\u20ac".encode("utf-16")
    assert [decoder.decode(data[:1]), decoder.decode(data[1:]), decoder.flush()] == [
        "",
        "hi\u20ac",
        "",
    ]


# -- every split position, every encoding ---------------------------------------------------


@pytest.mark.parametrize(("encoding", "text"), ENCODED_SAMPLES)
def test_every_two_way_split_matches_the_stdlib(impl: Any, encoding: str, text: str) -> None:
    data = text.encode(encoding)
    for cut in range(len(data) + 1):
        pieces = [data[:cut], data[cut:]]
        got = calls(impl.TextDecoder(encoding), pieces)
        assert got == stdlib_calls(encoding, pieces), cut
        assert "".join(got) == codecs.decode(data, encoding)


@pytest.mark.parametrize(("encoding", "text"), ENCODED_SAMPLES)
def test_every_three_way_split_matches_the_stdlib(impl: Any, encoding: str, text: str) -> None:
    data = text.encode(encoding)[:24]
    for a, b in itertools.combinations_with_replacement(range(len(data) + 1), 2):
        pieces = [data[:a], data[a:b], data[b:]]
        assert calls(impl.TextDecoder(encoding), pieces) == stdlib_calls(encoding, pieces)


@pytest.mark.parametrize(("encoding", "text"), ENCODED_SAMPLES)
def test_byte_at_a_time(impl: Any, encoding: str, text: str) -> None:
    data = text.encode(encoding)
    pieces = [data[i : i + 1] for i in range(len(data))]
    got = calls(impl.TextDecoder(encoding), pieces)
    assert got == stdlib_calls(encoding, pieces)
    assert "".join(got) == codecs.decode(data, encoding)


# -- invalid bytes --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"a\xffb", "a\ufffdb"),
        (b"\x80", "\ufffd"),
        (b"\xe2\x28\xa1", "\ufffd(\ufffd"),
        (b"\xe2\x82\xe2\x82\xac", "\ufffd\u20ac"),
        (b"\xed\xa0\x80", "\ufffd\ufffd\ufffd"),  # an encoded surrogate is not utf-8
        (b"\xf4\x90\x80\x80", "\ufffd\ufffd\ufffd\ufffd"),  # past U+10FFFF
        (b"\xc0\xaf", "\ufffd\ufffd"),  # overlong
    ],
)
def test_invalid_utf8_becomes_replacement_characters(impl: Any, data: bytes, expected: str) -> None:
    decoder = impl.TextDecoder()
    assert decoder.decode(data) + decoder.flush() == expected
    for cut in range(len(data) + 1):
        pieces = [data[:cut], data[cut:]]
        got = calls(impl.TextDecoder(), pieces)
        assert got == stdlib_calls("utf-8", pieces)
        assert "".join(got) == expected


def test_invalid_ascii_and_shift_jis(impl: Any) -> None:
    assert impl.TextDecoder("ascii").decode(b"a\x80b\xff") == "a\ufffdb\ufffd"
    pieces = [b"\x93\xfa", b"\x96", b"\xff{"]
    assert calls(impl.TextDecoder("shift_jis"), pieces) == stdlib_calls("shift_jis", pieces)


def test_latin1_decodes_every_byte(impl: Any) -> None:
    data = bytes(range(256))
    assert impl.TextDecoder("latin-1").decode(data) == data.decode("latin-1")
    assert impl.TextDecoder("iso-8859-1").flush() == ""


# -- encodings, input types, reuse ----------------------------------------------------------


def test_unknown_encoding_is_a_lookup_error(impl: Any) -> None:
    with pytest.raises(LookupError):
        impl.TextDecoder("no-such-encoding")


@pytest.mark.parametrize("alias", ["UTF-8", "utf8", "U8", "Latin1", "L1", "US-ASCII", "cp1252"])
def test_aliases_decode_like_the_codec(impl: Any, alias: str) -> None:
    data = b"ab\xc3\xa9\xe2\x82\xac\x85\xff"
    pieces = [data[:3], data[3:6], data[6:]]
    assert calls(impl.TextDecoder(alias), pieces) == stdlib_calls(alias, pieces)


@pytest.mark.parametrize("encoding", ["utf-8", "latin-1", "ascii", "utf-16-le", "cp1252"])
def test_bytearray_and_memoryview_input(impl: Any, encoding: str) -> None:
    text = "cafe ok" if encoding == "ascii" else "caf\xe9 ok"
    data = text.encode(encoding)
    pieces: list[Any] = [bytearray(data[:4]), memoryview(b"__" + data[4:] + b"__")[2:-2]]
    assert "".join(calls(impl.TextDecoder(encoding), pieces)) == text


def test_utf16_without_bom_raises_like_the_codec(impl: Any) -> None:
    # errors="replace" does not cover this: the stdlib codec (and so httpx) raises UnicodeError
    decoder = impl.TextDecoder("utf-16")
    assert decoder.decode(b"a") == ""
    with pytest.raises(UnicodeError, match="BOM"):
        decoder.decode(b"\x00b\x00")


def test_str_input_is_a_type_error(impl: Any) -> None:
    for encoding in ("utf-8", "latin-1", "ascii", "cp1252"):
        with pytest.raises(TypeError):
            impl.TextDecoder(encoding).decode("text")


def test_decoder_does_not_pickle_or_copy(impl: Any) -> None:
    decoder = impl.TextDecoder()
    decoder.decode(b"\xe2")
    with pytest.raises(TypeError):
        pickle.dumps(decoder)
    with pytest.raises(TypeError):
        copy.deepcopy(decoder)


def test_empty_input_and_empty_flush(impl: Any) -> None:
    decoder = impl.TextDecoder()
    assert decoder.decode(b"") == ""
    assert decoder.flush() == ""
    assert decoder.decode(b"\xf0\x9f") == ""
    assert decoder.decode(b"") == ""  # the held bytes stay held
    assert decoder.decode(b"\x98\x80") == "\U0001f600"


def test_decoder_is_reusable_after_flush(impl: Any) -> None:
    decoder = impl.TextDecoder()
    assert decoder.decode(b"x\xf0\x9f") == "x"
    assert decoder.flush() == "\ufffd"
    assert decoder.decode(b"\x98\x80") == "\ufffd\ufffd"  # the old tail is gone
    assert decoder.decode(b"ok") == "ok"


def test_long_text_in_random_pieces(impl: Any) -> None:
    rng = random.Random(7)
    text = "".join(
        rng.choice(["a", "\xe9", "\u20ac", "\U0001f600", '{"k": 1}\n']) for _ in range(20000)
    )
    data = text.encode()
    pieces = []
    pos = 0
    while pos < len(data):
        step = rng.randint(0, 500)
        pieces.append(data[pos : pos + step])
        pos += step
    got = calls(impl.TextDecoder(), pieces)
    assert got == stdlib_calls("utf-8", pieces)
    assert "".join(got) == text


# -- differential against httpx 0.28.1 ------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "latin-1", "cp1252", "euc-jp"])
def test_same_as_httpx(impl: Any, encoding: str) -> None:
    rng = random.Random(encoding)
    for _ in range(30):
        data = rng.randbytes(rng.randint(0, 60))
        cuts = sorted(rng.randrange(len(data) + 1) for _ in range(rng.randint(0, 6)))
        pieces = split_at(data, cuts)
        expected = outcome(lambda: httpx_decoders.TextDecoder(encoding), pieces)
        assert outcome(lambda: impl.TextDecoder(encoding), pieces) == expected


# -- properties: compiled == pure == stdlib, split == unsplit -------------------------------

# Fragments that make interesting utf-8: valid characters of every width, their prefixes,
# stray continuation bytes, surrogates and bytes that can never appear.
UTF8_FRAGMENTS = [
    b"a",
    b"\n",
    b"\xc3\xa9",
    b"\xe2\x82\xac",
    b"\xf0\x9f\x98\x80",
    b"\xc3",
    b"\xe2\x82",
    b"\xf0\x9f\x98",
    b"\x80",
    b"\xbf",
    b"\xed\xa0\x80",
    b"\xf4\x90",
    b"\xff",
    b"\xc0",
]

utf8ish = st.lists(st.sampled_from(UTF8_FRAGMENTS), max_size=40).map(b"".join)
encodings = st.sampled_from(
    ["utf-8", "utf-8", "utf-8", "latin-1", "ascii", "utf-16", "cp1252", "shift_jis", "euc-jp"]
)


@settings(deadline=None)
@given(payload=st.one_of(utf8ish, st.binary(max_size=80)), encoding=encodings, draw=st.data())
def test_property_c_equals_pure_equals_stdlib(
    c_impl: Any, py_impl: Any, payload: bytes, encoding: str, draw: st.DataObject
) -> None:
    cuts = draw.draw(st.lists(st.integers(0, len(payload)), max_size=10))
    pieces = split_at(payload, cuts)
    c_calls = outcome(lambda: c_impl.TextDecoder(encoding), pieces)
    assert c_calls == outcome(lambda: py_impl.TextDecoder(encoding), pieces)
    assert c_calls == stdlib_outcome(encoding, pieces)
    if isinstance(c_calls, list):
        unsplit = outcome(lambda: c_impl.TextDecoder(encoding), [payload])
        assert isinstance(unsplit, list)
        assert "".join(c_calls) == "".join(unsplit)
