"""gzip with the stdlib's zlib: faststream over loopback against a bare in-memory loop.

Usage: ``python bench/gzip_stdlib.py [--jsonl-mb 200] [--rounds 5] [--json out.json]``.

The goal line: with isal and zlib-ng absent, faststream's gzip reaches at least a bare
``zlib.decompressobj(31).decompress`` loop. The backend is forced with
``FASTSTREAM_INFLATE_BACKEND=zlib`` (what an installation without isal and zlib-ng picks), set
before faststream is imported. nginx (bench/_nginx.py) serves bench/peers.py's gzip file. One
process runs, round-robin over ``--rounds``:

* ``client`` -- ``faststream.Client.stream`` + ``iter_bytes()`` (the peers' gzip row);
* ``bare16`` -- the bare loop over the compressed file in memory, in 16 KiB pieces (the
  peers' in-memory limit, with the stdlib's zlib instead of the fastest one).

It prints the medians of client CPU seconds per GiB of output (``time.process_time``: what a
loaded machine inflates least) and of MB/s, and the ratios (>= 1.00: the goal holds).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path

os.environ["FASTSTREAM_INFLATE_BACKEND"] = "zlib"
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _nginx  # noqa: E402

GIB = 2**30
PIECE = 16384


def client(url: str) -> int:
    import faststream

    total = 0
    with faststream.Client() as c, c.stream("GET", url) as response:
        for chunk in response.iter_bytes():
            total += len(chunk)
    return total


def bare16(data: bytes) -> int:
    step = zlib.decompressobj(31).decompress
    view = memoryview(data)
    total = 0
    for i in range(0, len(data), PIECE):
        total += len(step(view[i : i + PIECE]))
    return total


def _measure(run: Callable[[], int]) -> tuple[float, float, int]:
    t0, c0 = time.perf_counter(), time.process_time()
    out = run()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return cpu * GIB / out, out / wall / 1e6, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jsonl-mb", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path, help="write the medians and the ratios here")
    args = parser.parse_args(argv)
    file = _nginx.gzip_file(args.jsonl_mb)
    data = file.read_bytes()
    from _cstream._codecs import default_inflate_backend

    if default_inflate_backend() != "zlib":  # pragma: no cover - the variable is set above
        raise SystemExit("the inflate backend is not the stdlib's zlib")
    with _nginx.serve({"gzip": file}) as server:
        url = server.base_url + "/gzip"
        cases: dict[str, Callable[[], int]] = {
            "client": lambda: client(url),
            "bare16": lambda: bare16(data),
        }
        for run in cases.values():  # warm-up: imports, the heap, the connection path
            run()
        results: dict[str, list[tuple[float, float, int]]] = {name: [] for name in cases}
        for _ in range(args.rounds):
            for name, run in cases.items():
                results[name].append(_measure(run))
    sizes = {r[2] for rows in results.values() for r in rows}
    if len(sizes) != 1:
        raise SystemExit(f"cases disagree on the decoded size: {sizes}")
    cpu = {name: statistics.median(r[0] for r in rows) for name, rows in results.items()}
    rate = {name: statistics.median(r[1] for r in rows) for name, rows in results.items()}
    print(
        f"gzip, stdlib zlib {zlib.ZLIB_RUNTIME_VERSION}, {args.jsonl_mb} MiB of JSONL, "
        f"medians of {args.rounds} rounds (load {os.getloadavg()[0]:.1f})"
    )
    print(f"  {'case':<12} {'CPU s/GiB':>10} {'MB/s':>9}")
    for name in cases:
        print(f"  {name:<12} {cpu[name]:>10.3f} {rate[name]:>9.1f}")
    by_cpu = cpu["bare16"] / cpu["client"]
    by_rate = rate["client"] / rate["bare16"]
    print(f"client vs bare16: by CPU {by_cpu:.3f}x, by rate {by_rate:.3f}x (goal >= 1.00)")
    if args.json:
        result = {
            "zlib": zlib.ZLIB_RUNTIME_VERSION,
            "jsonl_mb": args.jsonl_mb,
            "rounds": args.rounds,
            "load": os.getloadavg()[0],
            "cpu_s_per_gib": cpu,
            "mb_per_s": rate,
            "ratio": by_rate,
            "ratio_by_cpu": by_cpu,
            "goal": 1.0,
        }
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
