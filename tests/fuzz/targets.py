"""Fuzz targets: each compiled `_cstream` type against its pure twin.

A target is a Hypothesis strategy of cases and a check. A case is an input (random bytes or
text, or bytes built from the format's grammar and then damaged), the points where it is split
into pieces, and the constructor's parameters. The check drives the compiled object and the
twin the same way and requires the same outcome at every step: the pieces or lines returned,
the exception's type and message, and the state the object reports. Where the twin's reference
words errors differently by design (h11, for heads) only the exception type is compared.

Run by `test_fuzz.py`, normally or under ASan/UBSan with tools/fuzz-asan.
"""

from __future__ import annotations

import codecs
import importlib
import itertools
import operator
import re
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from _cstream._codecs import INFLATE_BACKENDS, SUPPORTED_ENCODINGS

from ..core._codings import (
    br,
    damaged,
    deflate_bodies,
    gz,
    gzip_members,
    payloads,
    raw_deflate,
    zstd_frame,
)
from ..core._h2frames import SplitterCase, drive_splitter, splitter_cases
from ..core._heads import requests, response_streams
from ..core._hpack import (
    DecodeCase,
    Step,
    connections,
    decode_cases,
    drive_decoder as drive_hpack_decoder,
    drive_encoder as drive_hpack_encoder,
)


def compiled(name: str) -> types.ModuleType:
    return importlib.import_module(f"_cstream.{name}")


def pure(name: str) -> types.ModuleType:
    return importlib.import_module(f"_cstream._pure.{name}")


def attempt(fn: Callable[..., Any], *args: Any) -> tuple[Any, ...]:
    """("ok", result) or ("raise", type name, message). SystemError means the C code misused
    the C API: it is never an acceptable outcome, so it propagates."""
    try:
        return ("ok", fn(*args))
    except SystemError:
        raise
    except Exception as exc:
        return ("raise", type(exc).__name__, str(exc))


def without_messages(outcome: list[Any]) -> list[Any]:
    return [o[:2] if isinstance(o, tuple) and o[:1] == ("raise",) else o for o in outcome]


# --- splitting ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Split:
    """Cut points and how each piece is handed over (bytes, bytearray or a memoryview)."""

    cuts: tuple[int, ...]
    kinds: tuple[int, ...]

    def pieces(self, data: bytes) -> list[bytes]:
        points = [0, *sorted(c % (len(data) + 1) for c in self.cuts), len(data)]
        return [data[a:b] for a, b in zip(points, points[1:], strict=False)]

    def buffers(self, data: bytes) -> list[Any]:
        """The pieces as the objects a caller might pass (each its own allocation, so a read
        past its end is caught by ASan)."""
        out: list[Any] = []
        for i, piece in enumerate(self.pieces(data)):
            kind = self.kinds[i % len(self.kinds)] if self.kinds else 0
            if kind == 1:
                out.append(bytearray(piece))
            elif kind == 2:
                out.append(memoryview(piece))
            elif kind == 3:  # a view that starts inside its buffer
                out.append(memoryview(b"#" + piece)[1:])
            else:
                out.append(piece)
        return out


splits = st.builds(
    Split,
    cuts=st.lists(st.integers(0, 1 << 20), max_size=12).map(tuple),
    kinds=st.lists(st.sampled_from([0, 0, 0, 1, 2, 3]), max_size=4).map(tuple),
)
byte_splits = st.builds(  # bytes only: for the APIs that take only str or bytes
    Split, cuts=st.lists(st.integers(0, 1 << 20), max_size=12).map(tuple), kinds=st.just(())
)


@st.composite
def mutated(draw: st.DrawFn, source: st.SearchStrategy[bytes]) -> bytes:
    """A value of `source` with up to three flips, insertions, deletions or a truncation."""
    data = bytearray(draw(source))
    for _ in range(draw(st.integers(0, 3))):
        how = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "repeat"]))
        at = draw(st.integers(0, len(data)))
        if how == "flip" and at < len(data):
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif how == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=6))
        elif how == "delete":
            del data[at : at + draw(st.integers(1, 4))]
        elif how == "truncate":
            del data[at:]
        elif how == "repeat" and at < len(data):
            data[at:at] = data[at : at + draw(st.integers(1, 8))] * draw(st.integers(1, 30))
    return bytes(data)


# --- _head: ResponseHeadParser ------------------------------------------------------------------


@st.composite
def clean_streams(draw: st.DrawFn) -> bytes:
    """Valid heads (1xx ones, then a final one) with many kinds of fields, then body bytes."""
    heads = []
    for final in [False] * draw(st.integers(0, 2)) + [True]:
        code = draw(st.integers(200, 599) if final else st.sampled_from([100, 102, 103]))
        reason = draw(st.sampled_from([b"OK", b"", b"Not Found", b"x\ty \x80\xff"]))
        lines = [b"HTTP/1.%d %d %s" % (draw(st.integers(0, 1)), code, reason)]
        for _ in range(draw(st.integers(0, 12))):
            name, value = draw(
                st.sampled_from([(b"Content-Length", b"5"), (b"content-length", b"5, 5"),
                                 (b"Transfer-Encoding", b"chunked"), (b"Connection", b"close"),
                                 (b"Connection", b"keep-alive")])
                | st.tuples(st.sampled_from([b"X-A", b"Set-Cookie", b"a!#$%&'*+-.^_`|~"]),
                            st.sampled_from([b"", b"v \x80\xff\x01 w", b"a" * 300]))
            )  # fmt: skip
            lines.append(name + b":" + draw(st.sampled_from([b" ", b"", b"\t "])) + value)
            if draw(st.integers(0, 9)) == 0:
                lines.append(b" \t continued")
        eol = draw(st.sampled_from([b"\r\n", b"\r\n", b"\n"]))
        heads.append(eol.join(lines) + eol + eol)
    return b"".join(heads) + draw(st.binary(max_size=30))


@dataclass(frozen=True)
class HeadCase:
    data: bytes
    split: Split
    eof: bool
    max_size: int


head_cases = st.builds(
    HeadCase,
    data=st.one_of(
        response_streams(),
        response_streams(),
        clean_streams(),
        mutated(clean_streams()),
        st.binary(max_size=300),
        st.builds(
            lambda prefix, tail: prefix + tail,
            st.sampled_from([b"HTTP/1.1 200 OK\r\n", b"HTTP/1.1 100 Continue\r\n\r\n"]),
            st.binary(max_size=200),
        ),
    ),  # fmt: skip
    split=splits,
    eof=st.booleans(),
    max_size=st.sampled_from([102400] * 6 + [0, 1, 17, 40, 64, 100]),
)


def drive_head(module: types.ModuleType, case: HeadCase) -> list[Any]:
    """Each call a transport makes, and its outcome; feeding stops at the first error."""
    parser = module.ResponseHeadParser(case.max_size)
    seen: list[Any] = []
    steps: list[Any] = case.split.buffers(case.data) + ([None] if case.eof else [])
    for piece in steps:
        got = attempt(parser.feed_eof) if piece is None else attempt(parser.feed, piece)
        seen.append(got)
        if got[0] == "raise":
            return seen
        while True:
            got = attempt(parser.next_head)
            seen.append(got)
            if got[0] == "raise":
                seen.append(attempt(parser.next_head))  # an error is raised again
                return seen
            if got[1] is None:
                break
            if parser.done:
                seen.append(("rest", parser.rest()))
                seen.append(attempt(parser.next_head))  # nothing after the final head
                return seen
    seen.append(("end", parser.done, parser.rest()))
    return seen


def check_head(case: HeadCase) -> None:
    c = drive_head(compiled("_head"), case)
    py = drive_head(pure("_head"), case)
    # h11 words its errors its own way; the type and the step must agree.
    assert without_messages(c) == without_messages(py), (c, py)
    assert all(o[1] == "HeadError" for o in c if isinstance(o, tuple) and o[0] == "raise")


# --- _head: serialize_request --------------------------------------------------------------------

serialize_cases = st.one_of(
    requests(),
    st.tuples(
        st.binary(max_size=8),
        st.binary(max_size=16),
        st.lists(st.tuples(st.binary(max_size=8), st.binary(max_size=24)), max_size=6),
    ),
)


def check_serialize(case: tuple[bytes, bytes, list[tuple[bytes, bytes]]]) -> None:
    method, target, headers = case
    c = attempt(compiled("_head").serialize_request, method, target, list(headers))
    py = attempt(pure("_head").serialize_request, method, target, list(headers))
    assert c[:2] == py[:2], (c, py)
    assert c[0] == "ok" or c[1] == "HeadError", c


# --- _framing -----------------------------------------------------------------------------------


@st.composite
def chunked_bodies(draw: st.DrawFn) -> bytes:
    """Chunked bodies from the grammar: half of them valid, the others with wrong sizes, odd
    line ends, bad trailers and surplus bytes mixed in."""
    clean = draw(st.booleans())
    eol = st.just(b"\r\n") if clean else st.sampled_from([b"\r\n"] * 8 + [b"\n", b"\r", b""])
    ext = st.sampled_from([b""] * 6 + [b";a=b", b";", b"; x", b";\x00\xff", b" ", b"\t "])
    out = []
    for _ in range(draw(st.integers(0, 6))):
        data = draw(st.binary(max_size=48))
        size = len(data) + (0 if clean else draw(st.sampled_from([0] * 10 + [-1, 1, 7])))
        text = draw(st.sampled_from([b"%x", b"%X", b"%04x", b"%x "])) % max(size, 0)
        if not clean and draw(st.integers(0, 15)) == 0:
            text = draw(st.sampled_from([b"", b"g", b"-1", b"0x5", b"f" * 21, b"0" * 20 + b"5"]))
        out.append(text + draw(ext) + draw(eol) + data + draw(eol))
    out.append(b"0" + draw(ext) + draw(eol))
    names = [b"X-T", b"Content-Length", b"transfer-encoding"] + ([] if clean else [b"", b"a b"])
    values = [b"v", b"", b"5", b"chunked", b" x "] + ([] if clean else [b"\x00", b"gzip"])
    for _ in range(draw(st.integers(0, 3))):
        name = draw(st.sampled_from(names))
        value = draw(st.sampled_from(values))
        out.append(name + b":" + value + draw(eol))
        if draw(st.integers(0, 5)) == 0:
            out.append(b" folded" + draw(eol))
    out.append(draw(eol))
    out.append(draw(st.sampled_from([b""] * 4 + [b"HTTP/1.1 200 OK\r\n", b"x"])))
    return b"".join(out)


@dataclass(frozen=True)
class FramingCase:
    reader: str
    args: tuple[int, ...]
    data: bytes
    split: Split
    eof: bool
    # per piece (cycled): first take what the reader's `remaining` allows with advance(), as a
    # transport receiving body data outside feed() does, then feed the rest of the piece
    direct: tuple[bool, ...] = ()


framing_cases = st.one_of(
    st.builds(
        FramingCase,
        reader=st.just("ChunkedReader"),
        args=st.one_of(
            st.just(()),
            st.tuples(st.integers(1, 64), st.integers(1, 64)),
        ),
        data=st.one_of(chunked_bodies(), mutated(chunked_bodies()), st.binary(max_size=200)),
        split=splits,
        eof=st.booleans(),
        direct=st.lists(st.booleans(), max_size=6).map(tuple),
    ),
    st.builds(
        FramingCase,
        reader=st.just("ContentLengthReader"),
        args=st.tuples(st.one_of(st.integers(0, 300), st.integers(0, 2**70))),
        data=st.binary(max_size=400),
        split=splits,
        eof=st.booleans(),
        direct=st.lists(st.booleans(), max_size=6).map(tuple),
    ),
    st.builds(
        FramingCase,
        reader=st.just("CloseDelimitedReader"),
        args=st.just(()),
        data=st.binary(max_size=300),
        split=splits,
        eof=st.booleans(),
    ),
)


def drive_framing(module: types.ModuleType, case: FramingCase) -> list[Any]:
    reader = getattr(module, case.reader)(*case.args)

    def state() -> tuple[Any, ...]:
        return (
            reader.done,
            reader.error,
            reader.received,
            reader.surplus,
            reader.suspicious,
            reader.trailers,
        )

    seen: list[Any] = [state()]
    for i, piece in enumerate(case.split.buffers(case.data)):
        if case.direct and case.direct[i % len(case.direct)]:
            remaining = attempt(getattr, reader, "remaining")
            seen.append(remaining)
            if remaining[0] == "ok":
                take = min(remaining[1], len(piece))
                seen.append(attempt(reader.advance, take))
                seen.append(state())
                piece = piece[take:]
        seen.append(attempt(reader.feed, piece))
        seen.append(state())
    if case.eof:
        seen.append(attempt(reader.feed_eof))
        seen.append(state())
    seen.append(attempt(reader.feed, b"\r\n0\r\n\r\n"))  # after the end, or after an error
    seen.append(state())
    return seen


def check_framing(case: FramingCase) -> None:
    c = drive_framing(compiled("_framing"), case)
    py = drive_framing(pure("_framing"), case)
    assert c == py, (c, py)


# --- _lines -------------------------------------------------------------------------------------

caps = st.one_of(st.none(), st.integers(0, 40), st.just(70000))
repeats = st.sampled_from([1, 2, 50, 1000, 20000, 70000])


def _widening(k: int, tail: str) -> str:
    """A line that widens (1, 2, then 4 bytes a character) while it is buffered."""
    return "a" * k + "\xe9" * (k // 7) + "\u20ac" * (k // 5) + "\U0001f600" + tail


line_text = st.one_of(
    st.text(alphabet="ab \r\n\xe9\u20ac\u2028\U0001f600\x00\x85", max_size=200),
    st.text(max_size=120),
    st.builds(operator.mul, st.text(alphabet="a\xe9\u20ac\U0001f600\r\n", min_size=1, max_size=4),
              repeats),
    st.builds(_widening, repeats, st.sampled_from(["", "\r", "\n", "\r\nz"])),
)  # fmt: skip


@dataclass(frozen=True)
class LinesCase:
    text: str
    split: Split
    cap: int | None


def _text_pieces(text: str, split: Split) -> list[str]:
    points = [0, *sorted(c % (len(text) + 1) for c in split.cuts), len(text)]
    return [text[a:b] for a, b in zip(points, points[1:], strict=False)]


def drive_lines(decoder: Any, pieces: list[Any]) -> list[Any]:
    """Every call's outcome; a LineTooLongError does not stop the stream (the decoder drops
    the long line and goes on)."""
    seen = [attempt(decoder.decode, piece) for piece in pieces]
    seen.append(attempt(decoder.flush))
    seen.append(attempt(decoder.flush))
    return seen


def by_definition(text: str) -> list[str]:
    lines = re.split(r"\r\n|\r|\n", text)
    return lines[:-1] if lines[-1] == "" else lines


def check_text_lines(case: LinesCase) -> None:
    pieces = _text_pieces(case.text, case.split)
    c = drive_lines(compiled("_lines").LineDecoder(case.cap), pieces)
    py = drive_lines(pure("_lines").LineDecoder(case.cap), pieces)
    assert c == py, (c, py)
    if all(o[0] == "ok" for o in c):
        assert [line for o in c for line in o[1]] == by_definition(case.text)


text_line_cases = st.builds(LinesCase, text=line_text, split=byte_splits, cap=caps)

ENCODINGS = ["utf-8", "UTF8", "ascii", "latin-1", "cp1252", "cp1250", "cp1258", "windows-1251"]
utf8_soup = st.lists(
    st.one_of(
        st.sampled_from([b"\r", b"\n", b"\r\n", b"a", b"\x80", b"\xc2", b"\xe2\x82", b"\xf0\x9f",
                         b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf", b"\xff", b"\xe0\x80"]),
        st.text(max_size=6).map(lambda t: t.encode()),
    ),
    max_size=60,
).map(b"".join)  # fmt: skip
line_bytes = st.one_of(
    st.binary(max_size=200),
    utf8_soup,
    st.builds(operator.mul, utf8_soup.filter(bool), st.sampled_from([1, 10, 200, 4000])),
    # long lines: past the size where the UTF-8 path changes (64 KiB), valid or not at the end
    st.builds(lambda unit, k, tail: unit * k + tail,
              st.sampled_from(["\u20ac", "\xe9a", "\U0001f600", "a" * 15 + "\u20ac"])
              .map(str.encode),
              repeats,
              st.sampled_from([b"", b"\r", b"\n", b"\xe2\x82", b"\xff\n"])),
)  # fmt: skip


@dataclass(frozen=True)
class ByteLinesCase:
    encoding: str
    data: bytes
    split: Split
    cap: int | None


byte_line_cases = st.builds(
    ByteLinesCase, encoding=st.sampled_from(ENCODINGS), data=line_bytes, split=splits, cap=caps
)


def check_byte_lines(case: ByteLinesCase) -> None:
    c = drive_lines(
        compiled("_lines").ByteLineDecoder(case.encoding, case.cap), case.split.buffers(case.data)
    )
    py = drive_lines(
        pure("_lines").ByteLineDecoder(case.encoding, case.cap), case.split.buffers(case.data)
    )
    assert c == py, (c, py)
    if all(o[0] == "ok" for o in c):
        # what decoding the whole body with errors="replace" and splitting it gives
        expected = by_definition(case.data.decode(case.encoding, "replace"))
        assert [line for o in c for line in o[1]] == expected


# --- _chunker -----------------------------------------------------------------------------------

chunk_sizes = st.one_of(st.none(), st.integers(1, 70), st.sampled_from([1 << 20, (1 << 20) + 3]))


@dataclass(frozen=True)
class ChunkerCase:
    text: bool
    size: int | None
    data: bytes
    split: Split


chunker_cases = st.builds(
    ChunkerCase,
    text=st.booleans(),
    size=chunk_sizes,
    data=st.one_of(
        st.binary(max_size=400),
        st.builds(operator.mul, st.binary(min_size=1, max_size=9), repeats),
    ),
    split=splits,
)


def _drive_chunker(chunker: Any, pieces: list[Any]) -> list[Any]:
    return [attempt(chunker.decode, p) for p in pieces] + [
        attempt(chunker.flush),
        attempt(chunker.flush),
    ]


def check_chunker(case: ChunkerCase) -> None:
    whole: str | bytes
    if case.text:
        whole = case.data.decode("latin-1") + "\u20ac\U0001f600" * (len(case.data) % 3)
        pieces: list[Any] = _text_pieces(whole, case.split)
        name = "TextChunker"
    else:
        whole = case.data
        pieces = case.split.buffers(case.data)
        name = "ByteChunker"
    c = _drive_chunker(getattr(compiled("_chunker"), name)(case.size), pieces)
    py = _drive_chunker(getattr(pure("_chunker"), name)(case.size), pieces)
    assert c == py, (c, py)
    chunks = [chunk for o in c for chunk in o[1]]
    assert whole[:0].join(chunks) == whole
    if case.size is not None and chunks:
        assert all(len(x) == case.size for x in chunks[:-1]) and 0 < len(chunks[-1]) <= case.size


@dataclass(frozen=True)
class TextDecoderCase:
    encoding: str
    data: bytes
    split: Split


text_decoder_cases = st.builds(
    TextDecoderCase,
    encoding=st.sampled_from(
        ["utf-8", "ascii", "latin-1", "utf-16", "cp1252", "utf-8-sig", "shift_jis"]
    ),
    data=st.one_of(st.binary(max_size=300), utf8_soup),
    split=splits,
)  # fmt: skip


def check_text_decoder(case: TextDecoderCase) -> None:
    pieces = case.split.buffers(case.data)
    outcomes = []
    for decoder in (
        compiled("_chunker").TextDecoder(case.encoding),
        pure("_chunker").TextDecoder(case.encoding),
    ):
        outcomes.append([attempt(decoder.decode, p) for p in pieces] + [attempt(decoder.flush)])
    stdlib = codecs.getincrementaldecoder(case.encoding)(errors="replace")
    expected = [attempt(stdlib.decode, bytes(p)) for p in pieces] + [
        attempt(stdlib.decode, b"", True)
    ]
    assert outcomes[0] == outcomes[1] == expected, outcomes


# --- _zlib --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InflateCase:
    kind: str
    data: bytes
    intact: bool
    split: Split
    pulls: tuple[int, ...]  # pieces taken from each decode()'s iterator (-1: all)
    max_length: int
    backend: str
    c_api: bool  # the compiled decoder inflates through zlib's C API (backend "zlib" only)


@st.composite
def inflate_cases(draw: st.DrawFn) -> InflateCase:
    kind = draw(st.sampled_from(["GzipDecoder", "DeflateDecoder"]))
    source = gzip_members() if kind == "GzipDecoder" else deflate_bodies()
    how = draw(st.sampled_from(["intact", "damaged", "damaged", "random"]))
    if how == "intact":
        data = draw(source)[0]
    elif how == "damaged":
        data = draw(damaged(source))
    else:
        data = draw(st.binary(max_size=200))
    return InflateCase(
        kind=kind,
        data=data,
        intact=how == "intact",
        split=draw(byte_splits),
        pulls=tuple(draw(st.lists(st.sampled_from([-1, -1, 0, 1, 2]), max_size=6))),
        max_length=draw(st.one_of(st.integers(1, 16), st.integers(17, 70000))),
        backend=draw(st.sampled_from(INFLATE_BACKENDS)),
        c_api=draw(st.booleans()),
    )


def drive_decoder(decoder: Any, pieces: list[bytes], pulls: tuple[int, ...]) -> list[Any]:
    """Pieces per step (a step pulls some or all of one decode()'s iterator), then flush; the
    error as ("raise", type, message)."""
    seen: list[Any] = []
    try:
        for i, piece in enumerate(pieces):
            it = decoder.decode(piece)
            want = pulls[i % len(pulls)] if pulls else -1
            seen.append(list(it) if want < 0 else list(itertools.islice(it, want)))
        seen.append(list(decoder.flush()))
    except SystemError:
        raise
    except Exception as exc:
        seen.append(("raise", type(exc).__name__, str(exc)))
    return seen


def _joined(seen: list[Any]) -> bytes:
    return b"".join(b"".join(step) for step in seen if isinstance(step, list))


def check_inflate(case: InflateCase) -> None:
    zlib_c = compiled("_zlib")
    pieces = case.split.pieces(case.data)
    zlib_c._use_zlib_c_api(case.c_api)
    try:
        c_dec = getattr(zlib_c, case.kind)(case.max_length, case.backend)
    finally:
        zlib_c._use_zlib_c_api(True)
    py_dec = getattr(pure("_zlib"), case.kind)(case.max_length, case.backend)
    c = drive_decoder(c_dec, pieces, case.pulls)
    py = drive_decoder(py_dec, pieces, case.pulls)
    for step in c:
        if isinstance(step, list):
            assert all(0 < len(p) <= case.max_length for p in step)
    c_error = c[-1] if isinstance(c[-1], tuple) else None
    py_error = py[-1] if isinstance(py[-1], tuple) else None
    if case.intact:
        assert c_error is None and py_error is None, (c_error, py_error)
    if c_error is None and py_error is None or not (case.c_api and case.backend == "zlib"):
        assert c == py, (c, py)
    else:
        # zlib's C API can meet damage one piece before the zlib module's decompressobj does:
        # the same error, and the bytes delivered before it agree.
        assert c_error == py_error, (c_error, py_error)
        c_out, py_out = _joined(c), _joined(py)
        assert c_out.startswith(py_out) or py_out.startswith(c_out)


def _encode(coding: str, data: bytes) -> bytes:
    if coding == "gzip":
        return gz(data)
    if coding == "deflate":
        return raw_deflate(data)
    if coding == "br":
        return br(data, quality=1)
    if coding == "zstd":
        return zstd_frame(data)
    return data


@dataclass(frozen=True)
class ChainCase:
    codings: tuple[str, ...]
    data: bytes
    cut_at: int | None  # the encoded body truncated here, or whole
    split: Split
    pulls: tuple[int, ...]
    max_length: int


chain_cases = st.builds(
    ChainCase,
    codings=st.lists(st.sampled_from([*SUPPORTED_ENCODINGS, "identity"]), max_size=6).map(tuple),
    data=payloads,
    cut_at=st.one_of(st.none(), st.integers(0, 4000)),
    split=byte_splits,
    pulls=st.lists(st.sampled_from([-1, -1, 0, 1, 3]), max_size=6).map(tuple),
    max_length=st.one_of(st.integers(1, 16), st.integers(17, 70000)),
)


def check_chain(case: ChainCase) -> None:
    body = case.data
    for coding in case.codings:
        body = _encode(coding, body)
    if case.cut_at is not None:
        body = body[: case.cut_at]
    pieces = case.split.pieces(body)
    header = ", ".join(case.codings)
    c = drive_decoder(
        attempt_decoder(compiled("_zlib").make_decoder, header, case), pieces, case.pulls
    )
    py = drive_decoder(
        attempt_decoder(pure("_zlib").make_decoder, header, case), pieces, case.pulls
    )
    assert c == py, (c, py)
    if case.cut_at is None and not isinstance(c[-1], tuple):
        assert _joined(c) == case.data


def attempt_decoder(make: Callable[..., Any], header: str, case: ChainCase) -> Any:
    try:
        return make([header], case.max_length)
    except Exception as exc:  # more than five codings: both refuse, with the same message
        return _Refused(exc)


class _Refused:
    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def decode(self, data: bytes) -> Iterator[bytes]:
        raise self.exc

    def flush(self) -> Iterator[bytes]:
        raise self.exc


# --- _sse: SSEDecoder -------------------------------------------------------------------------

sse_soup = st.lists(
    st.sampled_from([b"data", b"event", b"id", b"retry", b":", b": ", b" ", b"\r", b"\n",
                     b"\r\n", b"\n\n", b"x", b"42", b"\x00", b"\xef\xbb\xbf", b"\xef\xbb",
                     b"\xe2\x82", b"\xff", "\u20ac\U0001f600".encode(), b"99999999999999999999"]),
    max_size=80,
).map(b"".join)  # fmt: skip
sse_streams = st.one_of(
    st.binary(max_size=300),
    sse_soup,
    mutated(sse_soup),
    # long lines and long events, around the caps and the buffers' growth
    st.builds(lambda head, k, tail: head + b"x" * k + tail,
              st.sampled_from([b"data:", b"data: a\ndata: ", b": ", b"event: ", b"\xef\xbb"]),
              repeats,
              st.sampled_from([b"", b"\n", b"\r", b"\n\n", b"\r\n\r\n", b"\ndata\n\n"])),
)  # fmt: skip


@dataclass(frozen=True)
class SSECase:
    data: bytes
    split: Split
    cap: int | None


sse_cases = st.builds(SSECase, data=sse_streams, split=splits, cap=caps)


def drive_sse(decoder: Any, pieces: list[Any]) -> list[Any]:
    """Every call's outcome, events as tuples, and the state the decoder reports after it."""

    def events(found: list[Any]) -> list[Any]:
        return [(type(e).__name__, e.event, e.data, e.id, e.retry) for e in found]

    seen: list[Any] = []
    for piece in [*pieces, None, b"data: again\n\n"]:
        if piece is None:  # the end of the stream, then a next one
            seen.append(attempt(decoder.flush))
            continue
        got = attempt(decoder.decode, piece)
        seen.append((got[0], events(got[1])) if got[0] == "ok" else got)
        seen.append((decoder.last_event_id, decoder.retry))
    return seen


def check_sse(case: SSECase) -> None:
    pieces = case.split.buffers(case.data)
    c = drive_sse(compiled("_sse").SSEDecoder(case.cap), pieces)
    py = drive_sse(pure("_sse").SSEDecoder(case.cap), case.split.buffers(case.data))
    assert c == py, (c, py)


# --- construction and API misuse ---------------------------------------------------------------

ODD_VALUES: list[Any] = [
    None, 0, -1, 1, 70000, 2**20 + 1, 2**63, -(2**63), 2**64, 1.5, "", "utf-8", "x",
    b"", b"\r\n", b"a" * 70,
    bytearray(b"3\r\nabc"), memoryview(b"abcdef")[::2], memoryview(b"HTTP/1.1 200 OK\r\n\r\n"),
    [], [(b"Host", b"h")], [(None, None)], (b"a",), object(), True,
]  # fmt: skip
TYPES = {
    "_chunker": ["ByteChunker", "TextChunker", "TextDecoder"],
    "_lines": ["LineDecoder", "ByteLineDecoder"],
    "_zlib": ["IdentityDecoder", "GzipDecoder", "DeflateDecoder", "MultiDecoder"],
    "_framing": ["ContentLengthReader", "ChunkedReader", "CloseDelimitedReader"],
    "_head": ["ResponseHeadParser"],
    "_sse": ["SSEDecoder", "ServerSentEvent"],
    "_h2frames": ["H2FrameSplitter"],
    "_hpack": ["HpackDecoder", "HpackEncoder"],
}
METHODS = ["decode", "flush", "feed", "feed_eof", "next_head", "rest", "__next__", "next",
           "open", "close", "consumed", "forget", "held", "window", "data_to_send",
           "advance", "encode", "reset"]  # fmt: skip


@dataclass(frozen=True)
class MisuseCase:
    module: str
    which: int  # which type of the module
    init: tuple[int, ...] | None  # indexes into ODD_VALUES; None: __new__ without __init__
    calls: tuple[tuple[int, tuple[int, ...]], ...]  # (method index, argument indexes)


misuse_cases = st.builds(
    MisuseCase,
    module=st.sampled_from(sorted(TYPES)),
    which=st.integers(0, 3),
    init=st.one_of(st.none(), st.lists(st.integers(0, len(ODD_VALUES) - 1), max_size=3).map(tuple)),
    calls=st.lists(
        st.tuples(
            st.integers(0, len(METHODS) - 1),
            st.lists(st.integers(0, len(ODD_VALUES) - 1), max_size=2).map(tuple),
        ),
        max_size=8,
    ).map(tuple),
)


def check_misuse(case: MisuseCase) -> None:
    """Only Python exceptions may come out (never a crash, never SystemError)."""
    names = TYPES[case.module]
    cls = getattr(compiled(case.module), names[case.which % len(names)])
    if case.init is None:
        obj = cls.__new__(cls)
    else:
        made = attempt(cls, *(ODD_VALUES[i] for i in case.init))
        if made[0] != "ok":
            return
        obj = made[1]
    for method_index, arg_indexes in case.calls:
        method = getattr(obj, METHODS[method_index], None)
        if method is None:
            continue
        got = attempt(method, *(ODD_VALUES[i] for i in arg_indexes))
        if got[0] == "ok" and isinstance(got[1], Iterator):
            attempt(list, got[1])


# --- _h2frames: H2FrameSplitter ----------------------------------------------------------------


def check_h2frames(case: SplitterCase) -> None:
    """Random HTTP/2 frame sequences (padded, damaged, over the size limit, past the windows)
    split anywhere, with the consumer's calls between items: the same items, errors, windows
    and WINDOW_UPDATEs from both."""
    assert drive_splitter(compiled("_h2frames"), case) == drive_splitter(pure("_h2frames"), case)


# --- _hpack: HpackDecoder, HpackEncoder ---------------------------------------------------------


@dataclass(frozen=True)
class HpackCase:
    decode: DecodeCase
    encode: list[Step]
    huffman: bool


hpack_cases = st.builds(HpackCase, decode=decode_cases(), encode=connections, huffman=st.booleans())


def check_hpack(case: HpackCase) -> None:
    """Header blocks of one connection from hpack's encoder, damaged (flipped bits, cuts, stray
    bytes, size updates) or not, through one decoder; random header lists with table size
    changes through one encoder: the same lists, bytes, errors and tables from both."""
    c, py = compiled("_hpack"), pure("_hpack")
    assert drive_hpack_decoder(c, case.decode) == drive_hpack_decoder(py, case.decode)
    encoded = drive_hpack_encoder(c, case.encode, case.huffman)
    assert encoded == drive_hpack_encoder(py, case.encode, case.huffman)


@dataclass(frozen=True)
class Target:
    strategy: st.SearchStrategy[Any]
    check: Callable[[Any], None]


TARGETS: dict[str, Target] = {
    "head_parser": Target(head_cases, check_head),
    "serialize_request": Target(serialize_cases, check_serialize),
    "framing": Target(framing_cases, check_framing),
    "line_decoder": Target(text_line_cases, check_text_lines),
    "byte_line_decoder": Target(byte_line_cases, check_byte_lines),
    "chunker": Target(chunker_cases, check_chunker),
    "text_decoder": Target(text_decoder_cases, check_text_decoder),
    "inflate": Target(inflate_cases(), check_inflate),
    "decoder_chain": Target(chain_cases, check_chain),
    "sse": Target(sse_cases, check_sse),
    "h2frames": Target(splitter_cases, check_h2frames),
    "hpack": Target(hpack_cases, check_hpack),
    "misuse": Target(misuse_cases, check_misuse),
}
