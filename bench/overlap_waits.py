"""How often the decoding worker (`faststream._overlap`) waits for a job while its body has
work left, per big body over loopback.

Usage: ``python bench/overlap_waits.py [--coding gzip|br] [--backend zlib|isal|zlib-ng]
[--jsonl-mb 200] [--bodies 4]``.

nginx (bench/_nginx.py) serves bench/peers.py's gzip or brotli file; each body is read with
``Client.stream`` + ``iter_bytes()``. The worker loop is replaced by one that counts, after
each job, whether the body it served still has work queued (a raw chunk not fully decoded, or
a flush not done) and the worker's inbox is empty: the worker then waits for the caller to
ask again, idle while there is work. Printed per body: MB/s (wall, the load moves it), jobs,
those waits, and the time spent in them. The counts depend on the scheduling only a little;
the waiting time depends on the load.
"""

from __future__ import annotations

import argparse
import os
import queue
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _nginx  # noqa: E402

STATS = {"jobs": 0, "waits": 0, "waited": 0.0}


def _counting_serve(inbox: queue.SimpleQueue[Any]) -> None:
    """`_overlap._serve`, counting the waits with work left."""
    left = False
    while True:
        t0 = None
        if left and inbox.empty():
            STATS["waits"] += 1
            t0 = time.perf_counter()
        job = inbox.get()
        if t0 is not None:
            STATS["waited"] += time.perf_counter() - t0
        if job is None:
            return
        body = job[0]
        body.run(job[1], job[2])
        STATS["jobs"] += 1
        left = body.current is not None or bool(body.waiting) or (body.final and not body.ended)
        del job, body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--coding", choices=["gzip", "br"], default="gzip")
    parser.add_argument("--backend", default="", help="FASTSTREAM_INFLATE_BACKEND (gzip)")
    parser.add_argument("--jsonl-mb", type=int, default=200)
    parser.add_argument("--bodies", type=int, default=4)
    args = parser.parse_args(argv)
    if args.backend:
        os.environ["FASTSTREAM_INFLATE_BACKEND"] = args.backend
    import faststream
    from faststream import _overlap

    if not _overlap.ENABLED:
        raise SystemExit("no decoding worker here (one CPU, or FASTSTREAM_DECODE_THREAD=0)")
    _overlap._serve = _counting_serve  # before the first worker starts
    if args.coding == "gzip":
        file = _nginx.gzip_file(args.jsonl_mb)
    else:
        file = _nginx.brotli_file(args.jsonl_mb)
    with _nginx.serve({args.coding: file}) as server:
        url = f"{server.base_url}/{args.coding}"
        for n in range(args.bodies):
            for key in STATS:
                STATS[key] = 0
            total = 0
            t0 = time.perf_counter()
            with faststream.Client() as client, client.stream("GET", url) as response:
                for chunk in response.iter_bytes():
                    total += len(chunk)
            wall = time.perf_counter() - t0
            print(
                f"body {n}: {total / wall / 1e6:8.1f} MB/s  jobs {STATS['jobs']:4}  "
                f"waits with work left {STATS['waits']:4}  "
                f"waited {STATS['waited'] * 1e3:7.1f} ms  (load {os.getloadavg()[0]:.1f})",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
