"""Hypothesis: on random data, compression levels, members, header fields, split points and
max_length, the compiled decoders and their pure twins give the same pieces, split input gives
the same bytes as unsplit, every piece is within bounds, and damaged input (truncated, bit
flips, inserted bytes) makes both raise DecodeError or both give the same bytes."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st

from _cstream._codecs import INFLATE_BACKENDS
from _cstream._errors import DecodeError

from ._codings import (
    br,
    damaged,
    deflate_bodies,
    gz,
    gzip_members,
    max_lengths,
    payloads,
    raw_deflate,
    zstd_frame,
)

SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


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
