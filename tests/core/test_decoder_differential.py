"""Differential against httpx 0.28.1's decoders: where httpx is right (a single complete gzip
member, deflate zlib-wrapped or raw, a brotli stream, zstd frames), both implementations give
the same bytes as httpx, however the body is split, on every br and zstd library installed."""

from __future__ import annotations

import random
from typing import Any

import httpx._decoders as httpx_decoders
import pytest

from _cstream import _codecs

from ._codings import br, every, feed, gz, raw_deflate, sample, zlib_wrapped, zstd_frame

HTTPX = {
    "gzip": httpx_decoders.GZipDecoder,
    "deflate": httpx_decoders.DeflateDecoder,
    "br": httpx_decoders.BrotliDecoder,
    "zstd": httpx_decoders.ZStandardDecoder,
}


BODIES = {
    "gzip": [gz(sample(50000)), gz(b""), gz(random.Random(1).randbytes(3000), 9), gz(b"x", 0)],
    "deflate": [
        zlib_wrapped(sample(50000)),
        raw_deflate(sample(50000)),
        zlib_wrapped(b""),
        raw_deflate(random.Random(2).randbytes(3000)),
    ],
    "br": [br(sample(50000)), br(b"")],
    "zstd": [
        zstd_frame(sample(50000)),
        zstd_frame(b""),
        zstd_frame(b"ab") + zstd_frame(sample(3000)),
    ],
}


def _httpx(coding: str, chunks: list[bytes]) -> bytes:
    d = HTTPX[coding]()
    return b"".join(d.decode(c) for c in chunks) + d.flush()


LIBRARIES: dict[str, list[str | None]] = {
    "gzip": [None],
    "deflate": [None],
    "br": list(_codecs.BROTLI_BACKENDS),
    "zstd": list(_codecs.ZSTD_BACKENDS),
}
ENV = {"br": _codecs.BROTLI_ENV, "zstd": _codecs.ZSTD_ENV}


@pytest.mark.parametrize(
    "coding, library", [(c, lib) for c, libs in LIBRARIES.items() for lib in libs]
)
def test_same_bytes_as_httpx(
    impl: Any, coding: str, library: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if library is not None:
        monkeypatch.setenv(ENV[coding], library)
    rnd = random.Random(coding)
    for body in BODIES[coding]:
        cuts = sorted(rnd.sample(range(len(body) + 1), min(len(body), 5)))
        points = [0, *cuts, len(body)]
        splits = [
            [body],
            [body[a:b] for a, b in zip(points, points[1:], strict=False) if b > a],
            every(body, 997),
        ]
        for chunks in splits:
            expected = _httpx(coding, chunks)
            assert b"".join(feed(impl.make_decoder([coding], 4096), chunks)) == expected
