"""The gzip CRC left to the consumer (`_defer_check`, the decoding worker's path): the compiled
zlib kernel's events, and `faststream._overlap.Overlapped` giving exactly the serial decoder's
pieces and error, on damaged trailers, members ending anywhere in the input pieces, header
CRCs, and random data split at random points."""

from __future__ import annotations

import gzip
import random
import struct
import zlib
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from faststream import _overlap


def zlib_c_api() -> bool:
    from _cstream._zlib import ZLIB_C_API

    return bool(ZLIB_C_API)


CRC = "Error -3 while decompressing data: incorrect data check"
LENGTH = "Error -3 while decompressing data: incorrect length check"


def _text(n: int, seed: int) -> bytes:
    rng = random.Random(seed)
    return bytes(rng.choice(b"abcdefgh {}:,\n0123") for _ in range(n))


def _member(data: bytes, level: int = 6) -> bytes:
    return gzip.compress(data, level, mtime=0)


def _fhcrc_member(data: bytes) -> bytes:
    """A member with a header CRC (FHCRC): zlib keeps its own checks for it."""
    head = b"\x1f\x8b\x08\x02\x00\x00\x00\x00\x00\xff"
    head += struct.pack("<H", zlib.crc32(head) & 0xFFFF)
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = packer.compress(data) + packer.flush()
    return head + body + struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)


def _flip(member: bytes, at: int) -> bytes:
    """`member` with one bit of its byte `at` (negative: from the end) flipped."""
    out = bytearray(member)
    out[at] ^= 0x10
    return bytes(out)


def _split(blob: bytes, cuts: list[int]) -> list[bytes]:
    cuts = sorted({c for c in cuts if 0 < c < len(blob)})
    return [blob[a:b] for a, b in zip([0, *cuts], [*cuts, len(blob)], strict=True)]


Outcome = tuple[list[bytes], tuple[type, str] | None]


def _serial(impl: Any, chunks: list[bytes], max_length: int) -> Outcome:
    decoder = impl.GzipDecoder(max_length, "zlib")
    out: list[bytes] = []
    try:
        for chunk in chunks:
            out.extend(decoder.decode(chunk))
        out.extend(decoder.flush())
    except Exception as exc:  # noqa: BLE001 - compared with the other path's
        return out, (type(exc), str(exc))
    return out, None


def _overlapped(impl: Any, chunks: list[bytes], max_length: int, before: int = 0) -> Outcome:
    """The worker path: `before` chunks decoded on this thread, then the rest on a worker."""
    decoder = impl.GzipDecoder(max_length, "zlib")
    out: list[bytes] = []
    try:
        for chunk in chunks[:before]:
            out.extend(decoder.decode(chunk))
    except Exception as exc:  # noqa: BLE001
        return out, (type(exc), str(exc))
    over = _overlap.start(decoder)
    if over is None:
        pytest.skip("no decoding worker on this machine (one CPU)")
    try:
        for chunk in chunks[before:]:
            out.extend(over.decode(chunk))
        out.extend(over.flush())
    except Exception as exc:  # noqa: BLE001
        return out, (type(exc), str(exc))
    finally:
        over.close()
    return out, None


def _same(impl: Any, chunks: list[bytes], max_length: int, before: int = 0) -> Outcome:
    serial = _serial(impl, chunks, max_length)
    assert _overlapped(impl, chunks, max_length, before) == serial
    return serial


A = _text(50_000, 1)
B = _text(3_000, 2)
C = _text(20_000, 3)


def test_the_kernel_reports_member_ends_and_trailer_crcs(c_impl: Any) -> None:
    if not zlib_c_api():
        pytest.skip("this build drives zlib.decompressobj (no zlib.h): no deferred check")
    decoder = c_impl.GzipDecoder(4096, "zlib")
    assert decoder._defer_check() == 0
    members = [A, B, C]
    ends: list[int] = []
    crcs: list[int] = []
    total = 0
    for piece in decoder.decode(b"".join(_member(m) for m in members)):
        events, partial = decoder._take_checks()
        assert partial is None
        for kind, value in events or ():
            if kind == 0:
                ends.append(total + value)
            else:
                crcs.append(value)
        total += len(piece)
    assert ends == [len(A), len(A) + len(B), len(A) + len(B) + len(C)]
    assert crcs == [zlib.crc32(m) for m in members]


def test_only_the_compiled_gzip_kernel_defers(impl: Any) -> None:
    assert impl.DeflateDecoder(65536, "zlib")._defer_check() is None
    deferred = impl.GzipDecoder(65536, "zlib")._defer_check()
    if impl.name == "python":
        assert deferred is None  # zlib.decompressobj cannot skip the check
    else:
        assert deferred == (0 if zlib_c_api() else None)


def test_deferred_midway_starts_from_the_crc_so_far(c_impl: Any) -> None:
    if not zlib_c_api():
        pytest.skip("this build drives zlib.decompressobj (no zlib.h): no deferred check")
    decoder = c_impl.GzipDecoder(1000, "zlib")
    blob = _member(A, 1)
    first = next(iter(decoder.decode(blob[:2000])))
    assert decoder._defer_check() == zlib.crc32(first)


@pytest.mark.parametrize("bad", [0, 1])
@pytest.mark.parametrize("max_length", [777, 65536])
def test_a_bad_crc_in_one_of_several_members(impl: Any, bad: int, max_length: int) -> None:
    members = [_member(A), _member(B), _member(C)]
    members[bad] = _flip(members[bad], -7)
    blob = b"".join(members)
    for size in (len(blob), 10_000, 4096):
        pieces, error = _same(impl, _split(blob, list(range(size, len(blob), size))), max_length)
        assert error == (impl.DecodeError, CRC)
        assert len(b"".join(pieces)) < len(A) + (len(B) if bad else 0)


@pytest.mark.parametrize("step", range(1, 10))
def test_member_ends_straddling_small_pieces(impl: Any, step: int) -> None:
    good = [_member(B), _member(b""), _member(C[:5000])]
    blob = b"".join(good)
    pieces, error = _same(impl, _split(blob, list(range(step, len(blob), step))), 1024)
    assert error is None and b"".join(pieces) == B + C[:5000]
    for at in range(-8, 0):  # each trailer byte of the first member, bad
        damaged = _flip(good[0], at) + b"".join(good[1:])
        cuts = list(range(step, len(damaged), step))
        _, error = _same(impl, _split(damaged, cuts), 1024)
        assert error == (impl.DecodeError, CRC if at < -4 else LENGTH)


@pytest.mark.parametrize("max_length", [100, 4096, 65536])
def test_the_trailer_right_after_a_full_piece(impl: Any, max_length: int) -> None:
    data = _text(max_length * 3, 4)
    member = _flip(_member(data), -8)
    for cut in range(len(member) - 12, len(member)):
        pieces, error = _same(impl, [member[:cut], member[cut:]], max_length)
        assert error == (impl.DecodeError, CRC)


def test_a_header_crc_member_keeps_zlibs_checks(impl: Any) -> None:
    good = _fhcrc_member(C)
    blob = _member(A) + good + _member(B)
    pieces, error = _same(impl, _split(blob, list(range(3000, len(blob), 3000))), 4096)
    assert error is None and b"".join(pieces) == A + C + B
    _, error = _same(impl, [_member(A) + _flip(good, -6) + _member(B)], 4096)
    assert error == (impl.DecodeError, CRC)
    _, error = _same(impl, [_member(A) + _flip(good, 10) + _member(B)], 4096)
    assert error == (impl.DecodeError, "Error -3 while decompressing data: header crc mismatch")


def test_both_bad_reports_the_crc(impl: Any) -> None:
    member = _flip(_flip(_member(A), -8), -1)
    for cuts in ([], [len(member) - 4], [len(member) - 6, len(member) - 2]):
        _, error = _same(impl, _split(member + _member(B), cuts), 4096)
        assert error == (impl.DecodeError, CRC)


def test_bad_data_after_a_bad_crc_in_the_same_piece(impl: Any) -> None:
    second = bytearray(_member(B))
    second[20:40] = b"\xff" * 20
    blob = _flip(_member(A[:3000]), -5) + bytes(second)
    _, error = _same(impl, [blob], 65536)
    assert error == (impl.DecodeError, CRC)
    _, error = _same(impl, [blob[:-3]], 65536)  # and a truncated body
    assert error == (impl.DecodeError, CRC)


def test_truncated_and_capped_bodies(impl: Any) -> None:
    blob = _member(A) + _member(B)
    for cut in (len(blob) - 1, len(blob) - 5, len(blob) - 9, len(_member(A)) - 3):
        _, error = _same(impl, _split(blob[:cut], [1000, 20_000]), 4096)
        assert error == (impl.DecodeError, "gzip data is incomplete")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.integers(0, 30_000), min_size=1, max_size=4),
    st.integers(0, 2**32 - 1),
    st.lists(st.integers(1, 200_000), max_size=12),
    st.sampled_from([1, 5, 9]),
    st.sampled_from([97, 4096, 65536]),
    st.integers(0, 4),
)
def test_differential_against_the_serial_path(
    impl: Any,
    sizes: list[int],
    seed: int,
    cuts: list[int],
    level: int,
    max_length: int,
    before: int,
) -> None:
    rng = random.Random(seed)
    members = []
    for i, size in enumerate(sizes):
        member = _member(_text(size, seed + i), level)
        damage = rng.random()
        if damage < 0.2:
            member = _flip(member, rng.randrange(-8, 0))  # the trailer
        elif damage < 0.3:
            member = _flip(_flip(member, -8), -1)  # CRC and ISIZE
        elif damage < 0.35:
            member = _flip(member, rng.randrange(10, len(member) - 8))  # the deflate data
        members.append(member)
    blob = b"".join(members)
    if rng.random() < 0.1:
        blob = blob[: rng.randrange(len(blob))]
    _same(impl, _split(blob, cuts), max_length, before)
