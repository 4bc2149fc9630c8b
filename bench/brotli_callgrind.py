"""Instruction counts and library calls for br decoding: BrotliDecoder vs bare bounded loops.

CPU time on a shared machine moves by more than the difference, so this compares the work
done and the number of `process` calls. Each case runs its loop `--repeat` times after the
input is prepared; the instructions of one loop are the difference between `--repeat 3` and
`--repeat 1` under callgrind, halved (start-up, imports and input preparation cancel):

    for n in 1 3; do
        valgrind --tool=callgrind --callgrind-out-file=/dev/null \\
            python bench/brotli_callgrind.py ours --piece-kb 256 --repeat $n 2>&1 | grep Collected
    done

Cases: ``ours`` (`BrotliDecoder(65536)` on brotli's binding), ``bare-lim`` (``process(p,
output_buffer_limit=16384)``, called again while ``not can_accept_more_data()``: decoded
bytes may stay in the library until later input), ``bare-drain`` (also called again while the
output is a full 32,752-byte block, so each piece's output comes out with it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import brotli  # noqa: E402

import _nginx  # noqa: E402
from _cstream import _codecs  # noqa: E402

COMPRESSED_BYTES = 4_000_000  # the first 4 MB of the 50 MiB JSONL's br (~21 MB out)
BLOCK = 32752  # brotli 1.2's first output block


class _Counted:
    """brotli's Decompressor, counting calls and calls that returned nothing."""

    calls = 0
    empty = 0

    def __init__(self) -> None:
        self._d = brotli.Decompressor()

    def process(self, data: Any, output_buffer_limit: int) -> bytes:
        out: bytes = self._d.process(data, output_buffer_limit=output_buffer_limit)
        _Counted.calls += 1
        _Counted.empty += not out
        return out

    def __getattr__(self, name: str) -> Any:
        return getattr(self._d, name)


def run(case: str, pieces: list[bytes]) -> int:
    total = 0
    if case == "ours":
        decoder = _codecs.BrotliDecoder(65536, backend="brotli")
        for piece in pieces:
            for out in decoder.decode(piece):
                total += len(out)
        return total
    d: Any = _Counted() if case.endswith("-counted") else brotli.Decompressor()
    drain = case.startswith("bare-drain")
    for piece in pieces:
        out = d.process(piece, output_buffer_limit=16384)
        total += len(out)
        while not d.can_accept_more_data() or (drain and len(out) >= BLOCK):
            out = d.process(b"", output_buffer_limit=16384)
            total += len(out)
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("case", choices=("ours", "bare-lim", "bare-drain"))
    parser.add_argument("--piece-kb", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--count", action="store_true", help="count the library's calls")
    args = parser.parse_args(argv)
    data = _nginx.brotli_file(50).read_bytes()[:COMPRESSED_BYTES]
    size = args.piece_kb * 1024
    pieces = [data[i : i + size] for i in range(0, len(data), size)]
    case = args.case
    if args.count:
        lib = _codecs.brotli_library("brotli")
        module = type("M", (), {"Decompressor": _Counted, "error": brotli.error})
        _codecs._BROTLI["brotli"] = lib._replace(module=module)
        if case != "ours":
            case += "-counted"
    for _ in range(args.repeat):
        total = run(case, pieces)
    print(args.case, total, f"calls {_Counted.calls} empty {_Counted.empty}" if args.count else "")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
