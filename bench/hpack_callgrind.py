"""Instruction counts for HPACK: the compiled codec (`_cstream._hpack`), its pure twin and the
hpack package (what h2 uses), for bench/BUDGET-http2.md.

    python bench/hpack_callgrind.py report [--count N]   # runs valgrind itself, prints a table
    valgrind --tool=callgrind python bench/hpack_callgrind.py CASE IMPL N   # one run

CASE:
* `decode-warm`: a typical small response head (:status 200, content-type, content-length,
  date, server) as hpack encodes it once the dynamic table holds it (five indexed fields);
* `decode-cold`: the same head as first sent (literals with Huffman strings, added to the
  table), decoded over and over by one decoder, so each pass also evicts;
* `encode`: a typical GET (:method, :scheme, :authority, :path, user-agent, accept,
  accept-encoding) encoded again and again by one encoder: the warm case;
* `encode-cold`: the same GET as the first request of a connection (a new encoder and decoder
  each time).

IMPL is `c`, `c-raw` (compiled, without Huffman coding), `pure` or `hpack`.
(count(N) - count(0)) / N is the cost of one block; the report does that subtraction.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import hpack

RESPONSE = [
    (b":status", b"200"),
    (b"content-type", b"application/json"),
    (b"content-length", b"100"),
    (b"date", b"Mon, 07 Dec 2026 15:40:00 GMT"),
    (b"server", b"hypercorn-h11"),
]
REQUEST = [
    (b":method", b"GET"),
    (b":scheme", b"https"),
    (b":authority", b"api.example.com"),
    (b":path", b"/v1/items/1"),
    (b"user-agent", b"python-faststream/0.1"),
    (b"accept", b"*/*"),
    (b"accept-encoding", b"gzip, deflate"),
]
CASES = ["decode-warm", "decode-cold", "encode", "encode-cold"]
IMPLS = ["c", "c-raw", "pure", "hpack"]


def _codec(impl: str) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    """(a new decoder's decode, a new encoder's encode) for `impl`."""
    if impl == "hpack":
        decoder, encoder = hpack.Decoder(), hpack.Encoder()
        return (lambda block: decoder.decode(block, raw=True)), encoder.encode
    if impl.startswith("c"):
        from _cstream import _hpack as module
    else:
        from _cstream._pure import _hpack as module  # type: ignore[no-redef]
    return module.HpackDecoder().decode, module.HpackEncoder(huffman=impl != "c-raw").encode


def run(case: str, impl: str, count: int) -> None:
    decode, encode = _codec(impl)
    server = hpack.Encoder()  # the peer's encoder, as an h2 server has it
    cold = server.encode(RESPONSE)
    warm = server.encode(RESPONSE)
    if case == "decode-warm":
        decode(cold)  # the table now holds the head
        assert decode(warm) == RESPONSE
        for _ in range(count):
            decode(warm)
    elif case == "decode-cold":
        assert decode(cold) == RESPONSE
        for _ in range(count):
            decode(cold)
    elif case == "encode":
        encode(REQUEST)
        for _ in range(count):
            encode(REQUEST)
    elif case == "encode-cold":
        for _ in range(count):
            _codec(impl)[1](REQUEST)
    else:
        raise SystemExit(f"unknown case {case!r}: {', '.join(CASES)}")


def _instructions(case: str, impl: str, count: int) -> int:
    # a fixed hash seed: random ones move dict probing and the count by a few hundred per block
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            __file__,
            case,
            impl,
            str(count),
        ],  # fmt: skip
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    assert found is not None, done.stderr
    return int(found.group(1))


def _sizes() -> dict[str, str]:
    """The block each case handles, in bytes (encoding: ours, ours without Huffman, hpack's)."""
    server = hpack.Encoder()
    cold = server.encode(RESPONSE)
    warm = server.encode(RESPONSE)
    from _cstream._hpack import HpackEncoder

    sizes = {"decode-warm": str(len(warm)), "decode-cold": str(len(cold))}
    for case in ("encode-cold", "encode"):
        encoders: list[Any] = [HpackEncoder(), HpackEncoder(huffman=False), hpack.Encoder()]
        if case == "encode":
            for encoder in encoders:
                encoder.encode(REQUEST)
        sizes[case] = "/".join(str(len(encoder.encode(REQUEST))) for encoder in encoders)
    return sizes


def report(count: int) -> None:
    sizes = _sizes()
    print(f"instructions per block, (count({count}) - count(0)) / {count}, valgrind callgrind")
    print(f"{'case':<12} {'bytes':>9} " + " ".join(f"{impl:>10}" for impl in IMPLS) + "  hpack/c")
    for case in CASES:
        per = {}
        for impl in IMPLS:
            total = _instructions(case, impl, count) - _instructions(case, impl, 0)
            per[impl] = total / count
        cells = " ".join(f"{per[impl]:>10,.0f}" for impl in IMPLS)
        print(f"{case:<12} {sizes[case]:>9} {cells}  {per['hpack'] / per['c']:>6.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case", choices=[*CASES, "report"])
    parser.add_argument("impl", nargs="?", choices=IMPLS)
    parser.add_argument("count", nargs="?", type=int, default=0)
    parser.add_argument("--count", dest="report_count", type=int, default=2000)
    args = parser.parse_args()
    if args.case == "report":
        report(args.report_count)
    else:
        run(args.case, args.impl or "c", args.count)


if __name__ == "__main__":
    main()
