"""Decompression bombs: 1 GiB of zeros in about 1 MB on the wire (less for br
and zstd), fed in 64 KiB network pieces to a decoder with max_length 65536, every piece pulled
and dropped, once per installed library of each coding. The whole GiB comes out, and memory
stays under 16 MiB, measured two ways: tracemalloc's peak in this process, and the growth of
the resident set (ru_maxrss) of a fresh interpreter over its baseline after imports (which also
sees allocations tracemalloc cannot, inside the inflate libraries). httpx 0.28.1 peaks at
258 MiB on the gzip one.

A brotli library without an output limit (before 1.2) returns a whole long copy from a few
input bytes (2.6 MiB here); the decoder stops such a body with a DecodeError naming the
upgrade, within the same memory bound."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import brotli
import pytest
import zstandard

from _cstream import _codecs
from _cstream._codecs import INFLATE_BACKENDS
from _cstream._errors import DecodeError

from ._codings import MIB, traced_peak, zeros_deflate, zeros_gzip, zeros_zlib, zstd

TOTAL = 1 << 30
LIMIT = 16 * MIB
PIECE = 65536


@functools.cache
def bomb(coding: str) -> bytes:
    """The compressed body for `coding` ("deflate-raw": deflate without the zlib wrapper)."""
    if coding == "gzip":
        return zeros_gzip(TOTAL)
    if coding == "deflate":
        return zeros_zlib(TOTAL)
    if coding == "deflate-raw":
        return zeros_deflate(TOTAL)[0]
    zeros = bytes(MIB)
    if coding == "br":
        c = brotli.Compressor(quality=1)
        return b"".join([c.process(zeros) for _ in range(TOTAL // MIB)] + [c.finish()])
    assert coding == "zstd"
    if zstd is None:  # only zstandard installed: its streaming compressor, same 2 MiB window
        zc = zstandard.ZstdCompressor().compressobj()
        return b"".join([zc.compress(zeros) for _ in range(TOTAL // MIB)] + [zc.flush()])
    z = zstd.ZstdCompressor()  # streaming, so the frame header declares a 2 MiB window
    parts = [z.compress(zeros) for _ in range(TOTAL // MIB)]
    return b"".join([*parts, z.flush(zstd.ZstdCompressor.FLUSH_FRAME)])


def drain(decoder: Any, body: bytes, size: int = PIECE) -> int:
    """Feed `body` in pieces of `size` bytes, pull every piece and drop it; the decoded size,
    or -1 when the decoder stops the body with a DecodeError naming the library to upgrade."""
    total = 0
    try:
        for start in range(0, len(body), size):
            for piece in decoder.decode(body[start : start + size]):
                assert len(piece) <= 65536
                total += len(piece)
        for piece in decoder.flush():
            total += len(piece)
    except DecodeError as exc:
        assert "pip install" in str(exc), exc
        return -1
    return total


def make(impl: Any, coding: str, backend: str | None) -> Any:
    if coding == "gzip":
        return impl.GzipDecoder(65536, backend)
    if coding.startswith("deflate"):
        return impl.DeflateDecoder(65536, backend)
    return impl.make_decoder([coding], 65536)  # the library comes from the environment


def library_env(coding: str, backend: str | None) -> dict[str, str]:
    """The environment switch that makes `make_decoder` take `backend` for br or zstd."""
    if coding == "br" and backend:
        return {_codecs.BROTLI_ENV: backend}
    if coding == "zstd" and backend:
        return {_codecs.ZSTD_ENV: backend}
    return {}


def expected_total(coding: str, backend: str | None) -> int:
    """1 GiB, or -1 (stopped) for a brotli library without an output limit."""
    if coding == "br" and backend and not _codecs.brotli_library(backend).bounded:
        return -1
    return TOTAL


CASES = [
    *[("gzip", backend) for backend in INFLATE_BACKENDS],
    ("deflate", None),
    ("deflate-raw", None),
    *[("br", backend) for backend in _codecs.BROTLI_BACKENDS],
    *[("zstd", backend) for backend in _codecs.ZSTD_BACKENDS],
]


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("coding, backend", CASES)
def test_bomb_tracemalloc_peak(
    impl: Any, monkeypatch: pytest.MonkeyPatch, coding: str, backend: str | None
) -> None:
    body = bomb(coding)
    assert len(body) < 1100 * 1024
    for key, value in library_env(coding, backend).items():
        monkeypatch.setenv(key, value)
    decoder = make(impl, coding, backend)
    totals: list[int] = []
    peak = traced_peak(lambda: totals.append(drain(decoder, body)))
    assert totals == [expected_total(coding, backend)]
    assert peak < LIMIT, f"{peak / MIB:.1f} MiB"


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize(
    "backend", [b for b in INFLATE_BACKENDS if _codecs.inflate_backend(b).buffers_input]
)
def test_gzip_bomb_in_one_read_stays_bounded(impl: Any, backend: str) -> None:
    # The whole ~1 MB bomb as one input (a large socket read): a backend that keeps unused
    # input gets it in slices of up to 1 MiB, and holds a copy of the rest; memory still
    # stays within the bound and the whole GiB comes out in bounded pieces.
    body = bomb("gzip")
    decoder = make(impl, "gzip", backend)
    totals: list[int] = []
    peak = traced_peak(lambda: totals.append(drain(decoder, body, len(body))))
    assert totals == [TOTAL]
    assert peak < LIMIT, f"{peak / MIB:.1f} MiB"


_CHILD = """
import resource, sys
impl, coding, backend, path = sys.argv[1:]
backend = None if backend == "-" else backend
if impl == "c":
    from _cstream import _zlib as mod
else:
    from _cstream._pure import _zlib as mod
from tests.core.test_decoder_bombs import drain

body = open(path, "rb").read()
if coding == "gzip":
    decoder = mod.GzipDecoder(65536, backend)
elif coding.startswith("deflate"):
    decoder = mod.DeflateDecoder(65536, backend)
else:
    decoder = mod.make_decoder([coding], 65536)
scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB elsewhere
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
total = drain(decoder, body)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
print(total, after - before)
"""


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.skipif(sys.platform == "win32", reason="the resource module is POSIX-only")
@pytest.mark.parametrize("coding, backend", CASES)
def test_bomb_resident_set_growth(
    impl: Any, tmp_path: Path, coding: str, backend: str | None
) -> None:
    make(impl, coding, backend)  # skips here if the compiled module was not built
    path = tmp_path / f"{coding}.bin"
    path.write_bytes(bomb(coding))
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root), *sys.path]))
    env.update(library_env(coding, backend))
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, impl.name, coding, backend or "-", str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
    ).stdout.split()
    total, growth = int(out[0]), int(out[1])
    assert total == expected_total(coding, backend)
    assert growth < LIMIT, f"{growth / MIB:.1f} MiB"
