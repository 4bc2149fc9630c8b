"""Decompression bombs through `Response` (THREATS T1): a gzip body that inflates to 1 GiB,
about 1-2 MB on the wire, handed over by a `SyncByteStream` in 64 KiB pieces, iterated to the
end with `iter_bytes(65536)`, `iter_text()` and `iter_lines()` (a fresh response each). Peak
memory must stay under 16 MiB, measured two ways in a fresh interpreter per case, for the
compiled core and for its pure twin (``FASTSTREAM_NO_EXTENSIONS=1``):

* ``rss``: growth of the resident set's high-water mark (ru_maxrss) over its baseline after the
  imports and after loading the compressed body; it also sees what the inflate library
  allocates in C. Transients before the baseline can hide a small growth from ru_maxrss, so on
  Linux the peak is also taken from VmHWM, reset just before the drain (/proc/self/clear_refs);
* ``tracemalloc``: the peak of Python allocations while iterating.

`iter_bytes` and `iter_text` get 1 GiB of zeros. `iter_lines` on that would be one 1 GiB line,
unbounded by nature, so its bomb is 1 GiB of short lines: ``b"0123456789abcde\\n"`` repeated
(67,108,864 lines) for ``rss``; under tracemalloc every line's allocation is traced, which
would take minutes, so that measurement uses 1 KiB lines (1,048,576 lines) -- the memory held
by the pipeline does not depend on how many lines pass through it.

httpx 0.28.1 peaks at 258 MiB on the zeros bomb with `iter_bytes(65536)` (THREATS T1). The
measured peaks are printed (``pytest -s``).
"""

from __future__ import annotations

import os
import struct
import sys
import zlib
from pathlib import Path

import pytest

from tests.models._response_helpers import run_measured

MIB = 1 << 20
TOTAL = 1 << 30
LIMIT = 16 * MIB

UNITS = {
    "zeros": b"\0",
    "short-lines": b"0123456789abcde\n",
    "long-lines": b"x" * 1023 + b"\n",
}


def periodic_gzip(unit: bytes, total: int) -> bytes:
    """A gzip member of `unit` repeated to `total` bytes (a multiple of 1 MiB, `unit` dividing
    1 MiB), built by repeating one full-flushed compressed 1 MiB block: the window before each
    block holds the same bytes, so every block compresses identically."""
    block = unit * (MIB // len(unit))
    assert len(block) == MIB and total % MIB == 0
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    repeated = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    assert c.compress(block) + c.flush(zlib.Z_FULL_FLUSH) == repeated
    deflated = first + repeated * (total // MIB - 1) + c.flush()
    crc = 0
    for _ in range(total // MIB):
        crc = zlib.crc32(block, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return header + deflated + struct.pack("<II", crc, total & 0xFFFFFFFF)


@pytest.fixture(scope="module")
def bodies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bombs")
    paths = {}
    for name, unit in UNITS.items():
        path = folder / f"{name}.gz"
        path.write_bytes(periodic_gzip(unit, TOTAL))
        paths[name] = path
    return paths


_CHILD = """
import tracemalloc
method, measure_with, path = sys.argv[1:]

import _cstream
from faststream._response import Response
from faststream._streams import SyncByteStream

body = open(path, "rb").read()


class Wire(SyncByteStream):
    def __iter__(self):
        for start in range(0, len(body), 65536):
            yield body[start : start + 65536]


def drain():
    r = Response(200, headers={"Content-Encoding": "gzip"}, stream=Wire())
    total = 0
    if method == "iter_bytes":
        for chunk in r.iter_bytes(65536):
            assert len(chunk) == 65536
            total += 65536
    elif method == "iter_text":
        for text in r.iter_text():
            total += len(text)
    else:
        for _ in r.iter_lines():
            total += 1
    assert r.is_closed
    return total


if measure_with == "rss":
    total, peak, hwm_growth = measure(drain)
else:
    hwm_growth = -1
    tracemalloc.start()
    total = drain()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
print(_cstream.IMPLEMENTATION, total, peak, hwm_growth)
"""

CASES = [
    ("iter_bytes", "rss", "zeros", TOTAL),
    ("iter_bytes", "tracemalloc", "zeros", TOTAL),
    ("iter_text", "rss", "zeros", TOTAL),
    ("iter_text", "tracemalloc", "zeros", TOTAL),
    ("iter_lines", "rss", "short-lines", TOTAL // 16),
    ("iter_lines", "tracemalloc", "long-lines", TOTAL // 1024),
]


def compiled_available() -> bool:
    try:
        import _cstream._c  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.skipif(sys.platform == "win32", reason="the resource module is POSIX-only")
@pytest.mark.parametrize("impl", ["c", "python"])
@pytest.mark.parametrize("method, measure, body, total", CASES)
def test_bomb_stays_bounded(
    bodies: dict[str, Path], impl: str, method: str, measure: str, body: str, total: int
) -> None:
    if impl == "c" and not compiled_available():
        if os.environ.get("FASTSTREAM_REQUIRE_EXTENSIONS", "") not in ("", "0"):
            pytest.fail("the compiled core is required but did not load")
        pytest.skip("the compiled core is not built here")
    env = {"FASTSTREAM_NO_EXTENSIONS": "1" if impl == "python" else None}
    out = run_measured(_CHILD, [method, measure, str(bodies[body])], env)
    implementation, drained, peak, hwm_growth = out[0], int(out[1]), int(out[2]), int(out[3])
    label = "ru_maxrss growth" if measure == "rss" else "tracemalloc peak"
    note = f", VmHWM growth {hwm_growth / MIB:.3f} MiB" if hwm_growth >= 0 else ""
    print(f"\n{impl} {method}: {label} {peak / MIB:.3f} MiB{note}")
    assert implementation == impl
    assert drained == total
    assert peak < LIMIT, f"{peak / MIB:.1f} MiB"
    assert hwm_growth < LIMIT, f"{hwm_growth / MIB:.1f} MiB"
