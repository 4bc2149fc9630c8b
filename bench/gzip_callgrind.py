"""Instruction counts for gzip decoding with the stdlib's zlib: ours vs a bare loop.

Wall-clock medians of the two differ by less than this machine's noise, so this compares the
work done, which callgrind counts the same way on every run. In memory (4 MB of the 256 MiB
JSONL's gzip), run each case under valgrind and subtract the `none` case (interpreter start,
imports, input preparation):

    for case in none bare faststream; do
        valgrind --tool=callgrind --callgrind-out-file=/dev/null \\
            python bench/gzip_callgrind.py $case 2>&1 | grep Collected
    done

Over the socket (bench/gzip_stdlib.py's cases: nginx serves the 20 MiB JSONL's gzip, the
backend forced to the stdlib's zlib): ``bare16`` (``decompressobj(31)`` over the file in
memory, 16 KiB pieces), ``client`` (``Client.stream`` + ``iter_bytes``, the decoding worker
on) and ``client-serial`` (the worker off) run once as a warm-up, then ``N`` times
(``python bench/gzip_callgrind.py CASE N``): one body is the difference between N=3 and
N=1, halved. ``--callgrind-out-file=F`` and ``callgrind_annotate F`` split it per function.
"""

from __future__ import annotations

import os
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

os.environ["FASTSTREAM_INFLATE_BACKEND"] = "zlib"
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _data  # noqa: E402
import _nginx  # noqa: E402
from _cstream._zlib import GzipDecoder  # noqa: E402 - the compiled module

COMPRESSED_BYTES = 4_000_000  # the first 4 MB of the 256 MiB JSONL's gzip
SOCKET_MB = 20  # the socket cases' JSONL (MiB)


def in_memory(case: str) -> int:
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
    return total


def over_socket(case: str, repeat: int) -> int:
    import faststream
    from faststream import _overlap

    file = _nginx.gzip_file(SOCKET_MB)
    data = file.read_bytes()
    _overlap.ENABLED = case != "client-serial"

    def bare16() -> int:
        step = zlib.decompressobj(31).decompress
        view = memoryview(data)
        return sum(len(step(view[i : i + 16384])) for i in range(0, len(data), 16384))

    with _nginx.serve({"gzip": file}) as server:
        url = server.base_url + "/gzip"

        def client() -> int:
            total = 0
            with faststream.Client() as c, c.stream("GET", url) as response:
                for chunk in response.iter_bytes():
                    total += len(chunk)
            return total

        run: Callable[[], int] = bare16 if case == "bare16" else client
        total = run()
        for _ in range(repeat):
            total = run()
    return total


def main(case: str, repeat: int) -> int:
    if case in ("none", "bare", "faststream"):
        total = in_memory(case)
    elif case in ("bare16", "client", "client-serial"):
        total = over_socket(case, repeat)
    else:
        raise SystemExit(f"unknown case {case!r}: none, bare, faststream, bare16, client(-serial)")
    print(case, total)
    return 0


if __name__ == "__main__":
    args = sys.argv[1:]
    raise SystemExit(main(args[0] if args else "none", int(args[1]) if len(args) > 1 else 1))
