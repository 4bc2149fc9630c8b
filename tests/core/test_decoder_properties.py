"""Hypothesis: on random data, compression levels, members, header fields, split points and
max_length, the compiled decoders and their pure twins give the same pieces, split input gives
the same bytes as unsplit, every piece is within bounds, and damaged input (truncated, bit
flips, inserted bytes) makes both raise DecodeError or both give the same bytes."""

from __future__ import annotations

import struct
import zlib
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st

from _cstream._codecs import INFLATE_BACKENDS
from _cstream._errors import DecodeError

from .test_decoders import br, gz, raw_deflate, zlib_wrapped, zstd_frame

SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])

payloads = st.one_of(
    st.binary(max_size=3000),
    st.text(alphabet="ab \n{}\u2028\xe9", max_size=3000).map(lambda t: t.encode()),
    st.tuples(st.binary(min_size=1, max_size=20), st.integers(1, 500)).map(lambda t: t[0] * t[1]),
)
max_lengths = st.one_of(st.integers(1, 16), st.integers(17, 70000))


@st.composite
def gzip_members(draw: st.DrawFn) -> tuple[bytes, bytes]:
    """(body, decoded): 1-3 members with random levels and header fields, maybe padding."""
    body, decoded = b"", b""
    for _ in range(draw(st.integers(1, 3))):
        data = draw(payloads)
        member = gz(data, draw(st.integers(0, 9)))
        flags = draw(st.sampled_from([0, 0x02, 0x04, 0x08, 0x10, 0x1E, 0x0C]))
        if flags:
            head = bytearray(member[:10])
            head[3] = flags
            if flags & 0x04:
                extra = draw(st.binary(max_size=40))
                head += struct.pack("<H", len(extra)) + extra
            if flags & 0x08:
                head += draw(st.binary(max_size=30)).replace(b"\0", b"n") + b"\0"
            if flags & 0x10:
                head += draw(st.binary(max_size=30)).replace(b"\0", b"c") + b"\0"
            if flags & 0x02:
                head += struct.pack("<H", zlib.crc32(head) & 0xFFFF)
            member = bytes(head) + member[10:]
        body += member
        decoded += data
    if draw(st.booleans()):
        body += bytes(draw(st.integers(1, 20)))  # zero padding after the last member
    return body, decoded


@st.composite
def deflate_bodies(draw: st.DrawFn) -> tuple[bytes, bytes]:
    data = draw(payloads)
    wrap = draw(st.sampled_from([zlib_wrapped, raw_deflate]))
    return wrap(data, draw(st.integers(0, 9))), data


def chunks_of(body: bytes, cuts: list[int]) -> list[bytes]:
    points = [0, *sorted(c % (len(body) + 1) for c in cuts), len(body)]
    return [body[a:b] for a, b in zip(points, points[1:], strict=False)]


def run(decoder: Any, chunks: list[bytes]) -> tuple[list[list[bytes]], str | None]:
    """Pieces per call, and the DecodeError message if one was raised."""
    out: list[list[bytes]] = []
    try:
        for chunk in chunks:
            out.append(list(decoder.decode(chunk)))
        out.append(list(decoder.flush()))
    except DecodeError as exc:
        return out, str(exc)
    return out, None


def joined(pieces: list[list[bytes]]) -> bytes:
    return b"".join(b"".join(p) for p in pieces)


def check_same(c_result: Any, py_result: Any, backend: str) -> None:
    (c_pieces, c_error), (py_pieces, py_error) = c_result, py_result
    assert c_error == py_error
    if c_error is None or backend != "zlib":
        assert c_pieces == py_pieces
    else:  # zlib's C API may meet the bad bytes one piece before decompressobj does
        c_out, py_out = joined(c_pieces), joined(py_pieces)
        assert c_out.startswith(py_out) or py_out.startswith(c_out)


@SETTINGS
@given(
    member=gzip_members(),
    cuts=st.lists(st.integers(0, 10**6), max_size=8),
    max_length=max_lengths,
    backend=st.sampled_from(INFLATE_BACKENDS),
)
def test_gzip_c_equals_pure(
    c_impl: Any, py_impl: Any, member: Any, cuts: list[int], max_length: int, backend: str
) -> None:
    body, decoded = member
    chunks = chunks_of(body, cuts)
    c_result = run(c_impl.GzipDecoder(max_length, backend), chunks)
    py_result = run(py_impl.GzipDecoder(max_length, backend), chunks)
    check_same(c_result, py_result, backend)
    assert c_result[1] is None
    assert joined(c_result[0]) == decoded
    assert all(0 < len(p) <= max_length for call in c_result[0] for p in call)
    unsplit = run(c_impl.GzipDecoder(max_length, backend), [body])
    assert joined(unsplit[0]) == decoded


@SETTINGS
@given(
    body=deflate_bodies(),
    cuts=st.lists(st.integers(0, 10**6), max_size=8),
    max_length=max_lengths,
    backend=st.sampled_from(INFLATE_BACKENDS),
)
def test_deflate_c_equals_pure(
    c_impl: Any, py_impl: Any, body: Any, cuts: list[int], max_length: int, backend: str
) -> None:
    data, decoded = body
    chunks = chunks_of(data, cuts)
    c_result = run(c_impl.DeflateDecoder(max_length, backend), chunks)
    py_result = run(py_impl.DeflateDecoder(max_length, backend), chunks)
    check_same(c_result, py_result, backend)
    assert c_result[1] is None
    assert joined(c_result[0]) == decoded
    assert all(0 < len(p) <= max_length for call in c_result[0] for p in call)


@st.composite
def damaged(draw: st.DrawFn, source: Any) -> bytes:
    body: bytes = draw(source)[0]
    how = draw(st.sampled_from(["truncate", "flip", "insert"]))
    at = draw(st.integers(0, max(len(body) - 1, 0)))
    if how == "truncate":
        return body[:at]
    if how == "flip" and body:
        return body[:at] + bytes([body[at] ^ (1 << draw(st.integers(0, 7)))]) + body[at + 1 :]
    return body[:at] + draw(st.binary(min_size=1, max_size=8)) + body[at:]


@SETTINGS
@given(
    kind=st.sampled_from(["GzipDecoder", "DeflateDecoder"]),
    data=st.data(),
    cuts=st.lists(st.integers(0, 10**6), max_size=5),
    max_length=max_lengths,
    backend=st.sampled_from(INFLATE_BACKENDS),
)
def test_damaged_input_c_equals_pure(
    c_impl: Any,
    py_impl: Any,
    kind: str,
    data: st.DataObject,
    cuts: list[int],
    max_length: int,
    backend: str,
) -> None:
    source = gzip_members() if kind == "GzipDecoder" else deflate_bodies()
    body = data.draw(damaged(source))
    chunks = chunks_of(body, cuts)
    c_result = run(getattr(c_impl, kind)(max_length, backend), chunks)
    py_result = run(getattr(py_impl, kind)(max_length, backend), chunks)
    check_same(c_result, py_result, backend)
    # split or not, the same outcome
    unsplit = run(getattr(py_impl, kind)(max_length, backend), [body])
    assert (unsplit[1] is None) == (py_result[1] is None)
    if unsplit[1] is None:
        assert joined(unsplit[0]) == joined(py_result[0])


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


@SETTINGS
@given(
    codings=st.lists(st.sampled_from(["gzip", "deflate", "br", "zstd", "identity"]), max_size=4),
    data=payloads,
    cuts=st.lists(st.integers(0, 10**6), max_size=6),
    max_length=max_lengths,
)
def test_chains_c_equal_pure(
    c_impl: Any, py_impl: Any, codings: list[str], data: bytes, cuts: list[int], max_length: int
) -> None:
    body = data
    for coding in codings:  # in header order: the first was applied first
        body = _encode(coding, body)
    header = ", ".join(codings)
    chunks = chunks_of(body, cuts)
    c_result = run(c_impl.make_decoder([header], max_length), chunks)
    py_result = run(py_impl.make_decoder([header], max_length), chunks)
    assert c_result == py_result
    assert c_result[1] is None
    assert joined(c_result[0]) == data
    assert all(0 < len(p) <= max_length for call in c_result[0] for p in call)


@SETTINGS
@given(
    chunks=st.lists(st.binary(max_size=300), max_size=8),
    max_length=max_lengths,
)
def test_identity_c_equals_pure(
    c_impl: Any, py_impl: Any, chunks: list[bytes], max_length: int
) -> None:
    c_result = run(c_impl.IdentityDecoder(max_length), chunks)
    assert c_result == run(py_impl.IdentityDecoder(max_length), chunks)
    assert joined(c_result[0]) == b"".join(chunks)
    for chunk, pieces in zip(chunks, c_result[0], strict=False):
        assert pieces == [chunk[i : i + max_length] for i in range(0, len(chunk), max_length)]
