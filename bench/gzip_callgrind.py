"""Instruction counts for gzip decoding: the compiled GzipDecoder (stdlib zlib) vs a bare loop.

Wall-clock medians of the two differ by less than this machine's noise, so this compares the
work done, which callgrind counts the same way on every run. Run each case under valgrind and
subtract the `none` case (interpreter start, imports, input preparation):

    for case in none bare faststream; do
        valgrind --tool=callgrind --callgrind-out-file=/dev/null \\
            python bench/gzip_callgrind.py $case 2>&1 | grep Collected
    done
"""

from __future__ import annotations

import sys
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _data  # noqa: E402
from _cstream._zlib import GzipDecoder  # noqa: E402 - the compiled module

COMPRESSED_BYTES = 4_000_000  # the first 4 MB of the 256 MiB JSONL's gzip


def main(case: str) -> int:
    gz = _data.gzipped(256)[:COMPRESSED_BYTES]
    pieces = _data.pieces(gz, low=512, high=64 * 1024)
    total = 0
    if case == "bare":
        d = zlib.decompressobj(31)
        for piece in pieces:
            total += len(d.decompress(piece))
    elif case == "faststream":
        decoder = GzipDecoder(65536, backend="zlib")
        for piece in pieces:
            for out in decoder.decode(piece):
                total += len(out)
    elif case != "none":
        raise SystemExit(f"unknown case {case!r}: none, bare or faststream")
    print(case, total)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1] if len(sys.argv) > 1 else "none"))
