"""Compressed bodies for the decoder tests and the fuzz targets: encoders for every coding,
zero-filled bombs built without compressing gigabytes, Hypothesis strategies of bodies (valid,
or damaged by truncation, a bit flip or inserted bytes), and small driving helpers."""

from __future__ import annotations

import functools
import gzip
import random
import struct
import sys
import tracemalloc
import zlib
from collections.abc import Iterable
from typing import Any

import brotli
from hypothesis import strategies as st


def _bounded_zstd() -> Any:
    """compression.zstd or backports.zstd; None where only zstandard is installed (what
    httpx's zstd extra installs)."""
    try:
        if sys.version_info >= (3, 14):
            from compression import zstd
        else:
            from backports import zstd
    except ImportError:
        return None
    return zstd


zstd: Any = _bounded_zstd()

MIB = 1 << 20


def sample(size: int, seed: int = 0) -> bytes:
    """Deterministic JSONL-like text with some binary noise: compresses about 3:1."""
    rnd = random.Random(seed)
    words = [b"alpha", b"beta", b"gamma", b"delta", b"\xff\x00\x01", b"ok", b"\xe2\x80\xa8"]
    out = bytearray()
    while len(out) < size:
        out += b'{"id": %d, "w": "%s"}\n' % (rnd.randrange(10**6), rnd.choice(words))
    return bytes(out[:size])


def gz(data: bytes, level: int = 6) -> bytes:
    return gzip.compress(data, level, mtime=0)


def zlib_wrapped(data: bytes, level: int = 6) -> bytes:
    return zlib.compress(data, level)


def raw_deflate(data: bytes, level: int = 6) -> bytes:
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def br(data: bytes, quality: int = 5) -> bytes:
    body: bytes = brotli.compress(data, quality=quality)
    return body


def zstd_frame(data: bytes, window_log: int | None = None) -> bytes:
    """One zstd frame, compressed in streaming mode (no content size, so the header declares
    the window: 2**window_log, or the level's default)."""
    if zstd is None:
        import zstandard

        params = zstandard.ZstdCompressionParameters.from_level(3, window_log=window_log or 0)
        z = zstandard.ZstdCompressor(compression_params=params).compressobj()
        return bytes(z.compress(data) + z.flush())
    options: dict[int, int] = {}
    if window_log is not None:
        options[zstd.CompressionParameter.window_log] = window_log
    c = zstd.ZstdCompressor(options=options)
    body: bytes = c.compress(data) + c.flush(zstd.ZstdCompressor.FLUSH_FRAME)
    return body


def feed(decoder: Any, chunks: Iterable[bytes | bytearray | memoryview]) -> list[bytes]:
    """Every piece from decoding the chunks in order (each iterator drained), then flushing."""
    out: list[bytes] = []
    for chunk in chunks:
        out.extend(decoder.decode(chunk))
    out.extend(decoder.flush())
    return out


def split(data: bytes, cuts: Iterable[int]) -> list[bytes]:
    points = [0, *sorted(cuts), len(data)]
    return [data[a:b] for a, b in zip(points, points[1:], strict=False)]


def every(data: bytes, n: int) -> list[bytes]:
    return [data[i : i + n] for i in range(0, len(data), n)]


def assert_pieces(pieces: list[bytes], max_length: int) -> None:
    assert all(type(p) is bytes for p in pieces)
    assert all(0 < len(p) <= max_length for p in pieces), [len(p) for p in pieces][:20]


@functools.cache
def zeros_deflate(total: int) -> tuple[bytes, int, int]:
    """Raw deflate of `total` zero bytes (a multiple of 1 MiB), with their CRC-32 and Adler-32,
    built by repeating one full-flushed 1 MiB block rather than compressing `total` bytes."""
    assert total % MIB == 0
    zeros = bytes(MIB)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    assert c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH) == block  # the window is all zeros
    body = first + block * (total // MIB - 1) + c.flush()
    crc = adler = 0
    adler = 1
    for _ in range(total // MIB):
        crc = zlib.crc32(zeros, crc)
        adler = zlib.adler32(zeros, adler)
    return body, crc, adler


@functools.cache
def zeros_gzip(total: int = 1 << 30) -> bytes:
    """A gzip member of `total` zero bytes: 1 GiB is about 1 MB on the wire (a bomb)."""
    body, crc, _ = zeros_deflate(total)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return header + body + struct.pack("<II", crc, total & 0xFFFFFFFF)


@functools.cache
def zeros_zlib(total: int = 1 << 30) -> bytes:
    body, _, adler = zeros_deflate(total)
    return b"\x78\xda" + body + struct.pack(">I", adler)


def traced_peak(fn: Any) -> int:
    """Peak bytes traced by tracemalloc while `fn()` runs."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


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
