"""Model-level benchmark: `Response.iter_bytes/iter_text/iter_lines` over an in-memory stream.

faststream with the compiled core vs faststream with its pure twins vs httpx, same run. Each
implementation runs in a child process (the core is chosen at import time, so the pure twins
need ``FASTSTREAM_NO_EXTENSIONS=1``); runs are interleaved round-robin and the table gives
medians. Usage: ``python bench/models.py [--size-mb 256] [--runs 5]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _data  # noqa: E402

IMPLS = ("faststream C", "faststream pure", "httpx")
# case name -> (unit, body kind, how the response is iterated)
CASES: dict[str, tuple[str, str, str]] = {
    "iter_bytes()": ("MB/s", "identity", "bytes"),
    "iter_bytes(65536)": ("MB/s", "identity", "bytes65536"),
    "iter_bytes(65536), gzip": ("MB/s", "gzip", "bytes65536"),
    "iter_text()": ("MB/s", "identity", "text"),
    "iter_lines()": ("Mlines/s", "identity", "lines"),
    "iter_lines(), gzip": ("Mlines/s", "gzip", "lines"),
}


def _child(impl: str, case: str, size_mb: int) -> dict[str, float]:
    """Run one case once in this process; return the amount processed and the seconds."""
    if impl == "httpx":
        import httpx as lib
    else:
        import _cstream
        import faststream as lib  # type: ignore[no-redef]

        assert _cstream.IMPLEMENTATION == ("c" if impl == "faststream C" else "python")
    unit, body, how = CASES[case]
    raw = _data.jsonl(size_mb)
    payload = _data.gzipped(size_mb) if body == "gzip" else raw
    pieces = _data.pieces(payload, low=512, high=64 * 1024 if body == "gzip" else 128 * 1024)
    headers = {"Content-Encoding": "gzip"} if body == "gzip" else {}

    class Stream(lib.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            return iter(pieces)

    response = lib.Response(200, headers=headers, stream=Stream())
    iterate: Callable[[], Any] = {
        "bytes": lambda: response.iter_bytes(),
        "bytes65536": lambda: response.iter_bytes(65536),
        "text": lambda: response.iter_text(),
        "lines": lambda: response.iter_lines(),
    }[how]
    t0 = time.perf_counter()
    amount = 0
    if how == "lines":
        for _ in iterate():
            amount += 1
    else:
        for item in iterate():
            amount += len(item)
    seconds = time.perf_counter() - t0
    return {"amount": amount, "seconds": seconds}


def _run_child(impl: str, case: str, size_mb: int) -> dict[str, float]:
    env = dict(os.environ)
    env.pop("FASTSTREAM_REQUIRE_EXTENSIONS", None)
    if impl == "faststream pure":
        env["FASTSTREAM_NO_EXTENSIONS"] = "1"
    else:
        env.pop("FASTSTREAM_NO_EXTENSIONS", None)
    out = subprocess.run(
        [sys.executable, __file__, "--child", impl, case, str(size_mb)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=256)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        impl, case, size = args.child
        print(json.dumps(_child(impl, case, int(size))))
        return 0

    try:
        import httpx  # noqa: F401

        impls = list(IMPLS)
    except ImportError:
        impls = [i for i in IMPLS if i != "httpx"]
    _data.gzipped(args.size_mb)  # generate inputs once, before timing anything
    times: dict[tuple[str, str], list[float]] = {}
    amounts: dict[tuple[str, str], float] = {}
    for r in range(args.runs):
        print(f"run {r + 1}/{args.runs} ...", file=sys.stderr, flush=True)
        for case in CASES:
            for impl in impls:
                res = _run_child(impl, case, args.size_mb)
                times.setdefault((case, impl), []).append(res["seconds"])
                seen = amounts.setdefault((case, impl), res["amount"])
                if seen != res["amount"]:
                    raise SystemExit(f"{case} / {impl}: output changed between runs")
    rows = []
    print(f"faststream model benchmark, {args.size_mb} MiB JSONL, median of {args.runs} runs")
    for case, (unit, _, _) in CASES.items():
        counts = {amounts[(case, i)] for i in impls if i != "httpx"}
        if len(counts) != 1:
            raise SystemExit(f"{case}: C and pure twin disagree: {counts}")
        rates = {i: amounts[(case, i)] / statistics.median(times[(case, i)]) / 1e6 for i in impls}
        print(f"\n{case}  ({unit})")
        for impl in impls:
            rate = rates[impl]
            vs_httpx = f"{rate / rates['httpx']:6.2f}x httpx" if "httpx" in rates else ""
            vs_pure = f"{rate / rates['faststream pure']:6.2f}x pure" if impl == IMPLS[0] else ""
            print(f"  {impl:<20} {rate:10.2f}  {vs_httpx:>14}  {vs_pure:>12}")
            rows.append({"case": case, "impl": impl, "unit": unit, "median": rate})
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
