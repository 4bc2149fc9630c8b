"""br and zstd decompression bombs through `Response.iter_bytes(65536)`, once per installed
library: a brotli stream of 256 MiB of zeros at quality 11 (about 420 bytes) and a zstd frame
of 256 MiB in RLE blocks (about 8 KiB). Each runs in a fresh interpreter with the library
forced by its environment switch; the growth of the resident set over the drain (VmHWM reset
just before it on Linux, else ru_maxrss) must stay under 16 MiB.

brotli before 1.2 has no output limit: one input byte can finish a whole meta-block (this bomb:
8 MiB), which the library returns in one piece after growing a buffer for it. faststream feeds
it a byte at a time while output is large, so a step holds one meta-block here (at most 16 MiB
of output, by the format), never the body; for that library the bound checked is that, not
16 MiB. The measured growth is printed (``pytest -s``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from _cstream import _codecs

MIB = 1 << 20
TOTAL = 256 * MIB
LIMIT = 16 * MIB
# brotli < 1.2: the window (4 MiB here) + one meta-block in the library's buffer and its copy
UNBOUNDED_BROTLI_LIMIT = 48 * MIB
ROOT = Path(__file__).resolve().parents[2]


def brotli_bomb() -> bytes:
    import brotli

    body: bytes = brotli.compress(bytes(TOTAL), quality=11)
    return body


def zstd_rle_bomb() -> bytes:
    """One zstd frame (window 128 KiB, no content size) of 2048 RLE blocks of 128 KiB zeros."""
    block = 128 * 1024
    header = b"\x28\xb5\x2f\xfd" + b"\x00" + bytes([(17 - 10) << 3])
    count = TOTAL // block
    blocks = []
    for i in range(count):
        last = 1 if i == count - 1 else 0
        blocks.append(((block << 3) | (1 << 1) | last).to_bytes(3, "little") + b"\x00")
    return header + b"".join(blocks)


_CHILD = """
import os, resource, sys
coding, path = sys.argv[1:]
from faststream._response import Response
from faststream._streams import SyncByteStream

body = open(path, "rb").read()


class Wire(SyncByteStream):
    def __iter__(self):
        for start in range(0, len(body), 65536):
            yield body[start : start + 65536]


def drain():
    r = Response(200, headers={"Content-Encoding": coding}, stream=Wire())
    total = 0
    for chunk in r.iter_bytes(65536):
        assert len(chunk) == 65536
        total += 65536
    return total


def status_kib(key):
    with open("/proc/self/status") as f:
        return int(next(line for line in f if line.startswith(key)).split()[1])


def reset_high_water_mark():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # VmHWM := the current resident set
        return True
    except OSError:
        return False


drain_warm = Response(200, headers={"Content-Encoding": coding}, content=b"")
scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB elsewhere
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
hwm = reset_high_water_mark()
rss_before = status_kib("VmRSS") * 1024 if hwm else 0
total = drain()
growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale - before
if hwm:
    growth = status_kib("VmHWM") * 1024 - rss_before
print(total, growth)
"""

CASES = [("br", lib) for lib in _codecs.BROTLI_BACKENDS] + [
    ("zstd", lib) for lib in _codecs.ZSTD_BACKENDS
]


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.skipif(sys.platform == "win32", reason="the resource module is POSIX-only")
@pytest.mark.parametrize("coding, library", CASES)
def test_bomb_per_library_stays_bounded(tmp_path: Path, coding: str, library: str) -> None:
    path = tmp_path / f"{coding}.bin"
    path.write_bytes(brotli_bomb() if coding == "br" else zstd_rle_bomb())
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    env[_codecs.BROTLI_ENV if coding == "br" else _codecs.ZSTD_ENV] = library
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, coding, str(path)],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert child.returncode == 0, child.stderr
    total, growth = (int(x) for x in child.stdout.split())
    lib = _codecs.brotli_library(library) if coding == "br" else _codecs.zstd_library(library)
    print(
        f"\n{coding} {library} {lib.version}: {path.stat().st_size} bytes, "
        f"RSS growth {growth / MIB:.2f} MiB"
    )
    assert total == TOTAL
    limit = UNBOUNDED_BROTLI_LIMIT if coding == "br" and not lib.bounded else LIMIT
    assert growth < limit, f"{growth / MIB:.1f} MiB"
