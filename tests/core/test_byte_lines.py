"""ByteLineDecoder: bytes in, decoded lines out; exactly a codecs incremental decoder
(errors="replace") followed by LineDecoder, for the ASCII-compatible encodings it supports."""

from __future__ import annotations

import codecs
import itertools
import re
import tracemalloc
from collections.abc import Iterable
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from _cstream import LineTooLongError

from ._helpers import outcomes


def reference(data: bytes, encoding: str = "utf-8") -> list[str]:
    """Decode the whole body as iter_text() would, then split by the definition."""
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(data, final=True)
    if not text:
        return []
    lines = re.split(r"\r\n|\r|\n", text)
    if lines[-1] == "":
        lines.pop()
    return lines


def text_path(impl: Any, pieces: Iterable[bytes], encoding: str = "utf-8") -> list[str]:
    """The slow path the bytes path must equal: incremental decoder, then LineDecoder."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    lines = impl.LineDecoder()
    out: list[str] = []
    for piece in pieces:
        out += lines.decode(decoder.decode(piece))
    out += lines.decode(decoder.decode(b"", final=True))
    last: list[str] = lines.flush()
    return out + last


def run(decoder: Any, pieces: Iterable[Any]) -> list[str]:
    lines: list[str] = []
    for piece in pieces:
        lines += decoder.decode(piece)
    last: list[str] = decoder.flush()
    return lines + last


def splits(data: bytes, ways: int) -> Iterable[list[bytes]]:
    for cuts in itertools.combinations_with_replacement(range(len(data) + 1), ways - 1):
        bounds = (0, *cuts, len(data))
        yield [data[a:b] for a, b in itertools.pairwise(bounds)]


@pytest.mark.parametrize(
    "pieces, expected",
    [
        ([b"a\nb\n"], ["a", "b"]),
        ([b"\n\na\n\n"], ["", "", "a", ""]),
        ([b"a\r", b"\nb"], ["a", "b"]),
        ([b"\r"], [""]),
        ([b"a\n\r"], ["a", ""]),
        ([b"ab", b"cd", b"ef\ng"], ["abcdef", "g"]),
        ([b"\r\r\n", b"\n\r"], ["", "", "", ""]),
        ([b"\xe2\x82", b"\xac!\n"], ["€!"]),
        ([b"ab\xe2\x82"], ["ab\ufffd"]),
        ([b"ab\xe2\x82\r\ncd\xff"], ["ab\ufffd", "cd\ufffd"]),
        ([], []),
        ([b""], []),
    ],
)
def test_spec_examples(impl: Any, pieces: list[bytes], expected: list[str]) -> None:
    assert run(impl.ByteLineDecoder(), pieces) == expected
    assert text_path(impl, pieces) == expected


def test_trailing_cr_is_held_until_the_next_piece(impl: Any) -> None:
    decoder = impl.ByteLineDecoder()
    assert decoder.decode(b"a\xc3\xa9\r") == []
    assert decoder.decode(b"") == []
    assert decoder.decode(b"\nb\r") == ["aé"]
    assert decoder.decode(b"c") == ["b"]
    assert decoder.flush() == ["c"]
    assert decoder.flush() == []


def test_accepts_bytearray_and_memoryview(impl: Any) -> None:
    decoder = impl.ByteLineDecoder()
    assert decoder.decode(bytearray(b"a\nb")) == ["a"]
    assert decoder.decode(memoryview(b"c\nd")) == ["bc"]
    assert decoder.flush() == ["d"]
    with pytest.raises(TypeError):
        decoder.decode("text\n")


# ---------------------------------------------------------------------------------------------
# Encodings


@pytest.mark.parametrize(
    "name",
    [
        "utf-8", "UTF8", "utf_8", "U8", "ascii", "US-ASCII", "latin-1", "ISO-8859-1",
        "iso8859_1", "L1", "windows-1252", "cp1250", "CP1251", "cp1253", "cp1254", "cp1255",
        "cp1256", "cp1257", "windows-1258",
    ],
)  # fmt: skip
def test_supported_encodings(c_impl: Any, py_impl: Any, name: str) -> None:
    assert c_impl.bytes_lines_supported(name) is True
    assert py_impl.bytes_lines_supported(name) is True
    c_impl.ByteLineDecoder(name)
    py_impl.ByteLineDecoder(name)


@pytest.mark.parametrize(
    "name",
    ["utf-16", "utf-16-le", "utf-32", "utf-8-sig", "shift_jis", "euc-jp", "gb18030", "big5",
     "cp037", "iso-8859-15", "koi8-r", "mac-roman", "cp1259", "no-such-codec", "", "rot13"],
)  # fmt: skip
def test_unsupported_encodings(c_impl: Any, py_impl: Any, name: str) -> None:
    assert c_impl.bytes_lines_supported(name) is False
    assert py_impl.bytes_lines_supported(name) is False
    for impl in (c_impl, py_impl):
        with pytest.raises(ValueError, match="does not support the encoding"):
            impl.ByteLineDecoder(name)


def test_default_encoding_is_utf8(impl: Any) -> None:
    assert run(impl.ByteLineDecoder(), [b"\xe2\x82\xac\n\xe9"]) == ["€", "\ufffd"]


def test_latin1_0x85_does_not_split(impl: Any) -> None:
    data = b"a\x85b\xe9\r\nc\x85\n"
    assert run(impl.ByteLineDecoder("latin-1"), [data]) == ["a\x85b\xe9", "c\x85"]
    assert run(impl.ByteLineDecoder("latin-1"), [data]) == text_path(impl, [data], "latin-1")


def test_cp1252_including_undefined_bytes(impl: Any) -> None:
    # 0x80 is the euro sign, 0x85 an ellipsis; 0x81 and 0x8d are undefined -> U+FFFD
    data = b"\x80 \x85\x81\r\x8d\n\x9f"
    expected = ["€ …\ufffd", "\ufffd", "Ÿ"]
    assert run(impl.ByteLineDecoder("windows-1252"), [data]) == expected
    assert text_path(impl, [data], "cp1252") == expected


def test_ascii_with_high_bytes(impl: Any) -> None:
    data = b"caf\xc3\xa9\n\x80\xff\r"
    expected = ["caf\ufffd\ufffd", "\ufffd\ufffd"]
    assert run(impl.ByteLineDecoder("ascii"), [data]) == expected
    assert text_path(impl, [data], "ascii") == expected


@pytest.mark.parametrize("encoding", ["latin-1", "cp1250", "cp1251", "cp1252", "cp1255", "ascii"])
def test_every_byte_value_single_byte_codecs(impl: Any, encoding: str) -> None:
    data = bytes(range(256)) * 2
    pieces = [data[i : i + 7] for i in range(0, len(data), 7)]
    assert run(impl.ByteLineDecoder(encoding), pieces) == reference(data, encoding)


# ---------------------------------------------------------------------------------------------
# UTF-8 with invalid and truncated sequences next to terminators, split everywhere

UTF8_TRICKY = [
    b"\xe2\x82\xac\n",  # valid 3-byte character
    b"\xf0\x9f\x98\x80\r\n\xc3\xa9",  # valid 4- and 2-byte characters
    b"\xe2\x82\n\xe2\x82",  # truncated before a terminator and at the very end
    b"\xf0\x9f\x98\r",  # truncated 4-byte before a final \r
    b"\xff\r\n\xfe",  # never-valid bytes
    b"\xc0\xaf\n",  # overlong encoding
    b"\xed\xa0\x80\r",  # an encoded surrogate
    b"\xf0\x80\x80\x80\n",  # overlong 4-byte
    b"\x80\x80\r\r\n\xbf",  # stray continuation bytes
    b"a\xe2\r\x82\xac\n",  # a terminator cuts a sequence in two
    b"\xf4\x90\x80\x80",  # above U+10FFFF
]


@pytest.mark.parametrize("data", UTF8_TRICKY)
def test_utf8_every_two_and_three_way_split(impl: Any, data: bytes) -> None:
    expected = reference(data)
    assert run(impl.ByteLineDecoder(), [data]) == expected
    for ways in (2, 3):
        for pieces in splits(data, ways):
            assert run(impl.ByteLineDecoder(), pieces) == expected, pieces
            assert text_path(impl, pieces) == expected, pieces


def test_utf8_brute_force_short_inputs(impl: Any) -> None:
    # every sequence of up to 4 of these bytes, cut at every point: line by line == whole
    alphabet = [b"\n", b"\r", b"a", b"\xe2", b"\x82", b"\xac", b"\xf0", b"\x9f", b"\xc3", b"\xff"]
    for size in range(1, 5):
        for combo in itertools.product(alphabet, repeat=size):
            data = b"".join(combo)
            expected = reference(data)
            for cut in range(len(data) + 1):
                pieces = [data[:cut], data[cut:]]
                assert run(impl.ByteLineDecoder(), pieces) == expected, pieces


@pytest.mark.parametrize("size", [15, 16, 17, 33, 64, 100])
def test_terminator_and_high_byte_at_every_offset(impl: Any, size: int) -> None:
    # lines longer than the scanner's 16-byte blocks, with the terminator and a non-ASCII
    # character (valid, then invalid) anywhere relative to the block edges
    for extra in (b"\xc3\xa9", b"\xe2\x82\xac", b"\xff"):
        for end in range(size):
            for at in range(0, end + 1, 3):
                body = b"a" * at + extra + b"b" * (end - at) + b"\r\n" + b"c" * size
                expected = reference(body)
                assert run(impl.ByteLineDecoder(), [body]) == expected, body
                assert run(impl.ByteLineDecoder(), [body[:end], body[end:]]) == expected, body


@pytest.mark.parametrize("size", [100, 70_000])
@pytest.mark.parametrize(
    "char", ["é", "ÿ", "ā", "€", "\uffff", "😀", "\U0010ffff", "\ud800", "\x00"]
)
def test_utf8_lines_of_every_width(impl: Any, char: str, size: int) -> None:
    # 1-, 2- and 4-byte results, short lines and lines longer than 64 KiB, valid or not
    # (a lone surrogate is encoded as invalid UTF-8)
    line = ("ab" * (size // 2) + char + "cd").encode("utf-8", "surrogatepass")
    body = line + b"\n" + line[: size // 3] + b"\r" + line
    expected = reference(body)
    assert run(impl.ByteLineDecoder(), [body]) == expected
    cut = len(body) // 2
    assert run(impl.ByteLineDecoder(), [body[:cut], body[cut:]]) == expected


def test_utf8_every_code_point(impl: Any) -> None:
    chars = "".join(chr(i) for i in range(0x110000) if not 0xD800 <= i < 0xE000)
    data = chars.encode()
    pieces = [data[i : i + 4099] for i in range(0, len(data), 4099)]
    assert run(impl.ByteLineDecoder(), pieces) == reference(data)


# ---------------------------------------------------------------------------------------------
# max_line_length counts bytes


def test_max_line_length_counts_bytes(impl: Any) -> None:
    assert run(impl.ByteLineDecoder(max_line_length=4), [b"\xe2\x82", b"\xac!\n"]) == ["€!"]
    decoder = impl.ByteLineDecoder(max_line_length=4)
    assert decoder.decode(b"\xe2\x82") == []
    with pytest.raises(LineTooLongError, match="longer than 4 bytes"):
        decoder.decode(b"\xac!!")  # 5 bytes buffered, no terminator yet


@pytest.mark.parametrize("pieces", [[b"abcde\n"], [b"ab", b"cde\r\n"], [b"abcde"], [b"abcde\r"]])
def test_lines_at_exactly_the_cap_pass(impl: Any, pieces: list[bytes]) -> None:
    assert run(impl.ByteLineDecoder(max_line_length=5), pieces) == ["abcde"]


def test_max_line_length_in_one_piece(impl: Any) -> None:
    with pytest.raises(LineTooLongError):
        impl.ByteLineDecoder(max_line_length=5).decode(b"ok\nabcdef\n")
    with pytest.raises(LineTooLongError):
        impl.ByteLineDecoder("latin-1", max_line_length=5).decode(b"abcdef")


@pytest.mark.parametrize("bad, error", [(-1, ValueError), ("5", TypeError)])
def test_max_line_length_validated(impl: Any, bad: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        impl.ByteLineDecoder(max_line_length=bad)


# ---------------------------------------------------------------------------------------------
# Properties: C == pure == unsplit == decode-then-split, for any split.

UTF8_ALPHABET = st.sampled_from(
    [b"a", b"\n", b"\r", b"\r\n", b"\xc3\xa9", b"\xe2\x82\xac", b"\xf0\x9f\x98\x80", b"\xe2",
     b"\x82", b"\xf0\x9f", b"\xff", b"\xc0", b"\xed\xa0\x80", b"\xe2\x80\xa8", b"\xc2\x85",
     b"a long ASCII run, past one block"]
)  # fmt: skip
UTF8_BODIES = st.lists(UTF8_ALPHABET, max_size=40).map(b"".join)


@st.composite
def split_bytes(draw: st.DrawFn, bodies: st.SearchStrategy[bytes] = UTF8_BODIES) -> list[bytes]:
    data = draw(bodies)
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=8)))
    bounds = (0, *cuts, len(data))
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


@settings(deadline=None)
@given(pieces=split_bytes())
def test_property_utf8(c_impl: Any, py_impl: Any, pieces: list[bytes]) -> None:
    data = b"".join(pieces)
    expected = reference(data)
    c_calls = outcomes(c_impl.ByteLineDecoder(), pieces)
    assert c_calls == outcomes(py_impl.ByteLineDecoder(), pieces)
    assert [line for out in c_calls for line in out] == expected
    assert run(c_impl.ByteLineDecoder(), [data]) == expected
    assert text_path(c_impl, pieces) == expected


SINGLE_BYTE_BODIES = st.lists(
    st.sampled_from([b"a", b"\n", b"\r", b"\r\n", b"\x85", b"\x80", b"\x81", b"\xe9", b"\xff"]),
    max_size=40,
).map(b"".join)


@settings(deadline=None)
@given(
    pieces=split_bytes(SINGLE_BYTE_BODIES),
    encoding=st.sampled_from(["latin-1", "cp1252", "cp1251", "ascii"]),
)
def test_property_single_byte(
    c_impl: Any, py_impl: Any, pieces: list[bytes], encoding: str
) -> None:
    expected = reference(b"".join(pieces), encoding)
    c_calls = outcomes(c_impl.ByteLineDecoder(encoding), pieces)
    assert c_calls == outcomes(py_impl.ByteLineDecoder(encoding), pieces)
    assert [line for out in c_calls for line in out] == expected


@settings(deadline=None)
@given(pieces=split_bytes(), cap=st.integers(0, 8))
def test_property_cap_same_on_both_sides(
    c_impl: Any, py_impl: Any, pieces: list[bytes], cap: int
) -> None:
    c_calls = outcomes(c_impl.ByteLineDecoder(max_line_length=cap), pieces)
    assert c_calls == outcomes(py_impl.ByteLineDecoder(max_line_length=cap), pieces)
    raw_lines = re.split(rb"\r\n|\r|\n", b"".join(pieces))
    too_long = any(len(line) > cap for line in raw_lines)
    assert (c_calls[-1] is LineTooLongError) == too_long


# ---------------------------------------------------------------------------------------------
# Linear time and bounded memory on one huge line.


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_100_mb_line_one_byte_at_a_time(impl: Any) -> None:
    size = 100 * 1024 * 1024
    decoder = impl.ByteLineDecoder()
    decode = decoder.decode
    for _ in range(size):
        decode(b"x")
    assert decode(b"\r\nend") == ["x" * size]
    assert decoder.flush() == ["end"]


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_long_line_memory_stays_near_twice_the_line(impl: Any) -> None:
    size = 8 * 1024 * 1024
    decoder = impl.ByteLineDecoder()
    decode = decoder.decode
    tracemalloc.start()
    try:
        for _ in range(size):
            decode(b"x")
        (line,) = decoder.flush()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(line) == size
    assert peak < 2.5 * size
