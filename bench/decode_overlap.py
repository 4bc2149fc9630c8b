"""Where inflating on a worker thread starts to pay: gzip bodies of several sizes, decoded
serially and on the worker (`faststream._overlap`), per request.

Usage: ``python bench/decode_overlap.py [--sizes-kb 32,128,256,1024,4096] [--rounds 7]
[--requests 20]``.

nginx (bench/_nginx.py) serves prefixes of the JSONL corpus of bench/peers.py, gzip level 6,
about the given compressed sizes. One client (keep-alive) fetches each body ``--requests``
times per mode and round (``iter_bytes()``), modes interleaved per round; printed: medians over
rounds of the wall milliseconds and the client CPU milliseconds (``time.process_time``: every
thread) per request, for each mode:

* ``serial`` -- the worker disabled (``_overlap.ENABLED = False``);
* ``worker`` -- the worker from the first raw chunk (``OVERLAP_AFTER = 0``).

The worker pays when its wall time is lower at a CPU cost that stays small; `OVERLAP_AFTER`
is set where that starts.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import _nginx  # noqa: E402

MODES = ("serial", "worker")


def _bodies(sizes_kb: list[int], out: Path) -> dict[str, Path]:
    corpus = _nginx.jsonl_file(200).read_bytes()
    files = {}
    for kb in sizes_kb:
        plain = corpus[: kb * 1024 * 5]  # about 5:1 on this corpus
        path = out / f"{kb}.gz"
        path.write_bytes(gzip.compress(plain, 6))
        files[str(kb)] = path
    return files


def _fetch(client: object, url: str, requests: int) -> tuple[float, float, int]:
    total = 0
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(requests):
        with client.stream("GET", url) as response:  # type: ignore[attr-defined]
            for chunk in response.iter_bytes():
                total += len(chunk)
    return time.perf_counter() - t0, time.process_time() - c0, total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes-kb", default="32,128,256,1024,4096")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes_kb.split(",") if s]
    import faststream
    from faststream import _overlap

    if not _overlap.ENABLED:
        raise SystemExit("no decoding worker here (one CPU, or FASTSTREAM_DECODE_THREAD=0)")
    with tempfile.TemporaryDirectory() as tmp:
        files = _bodies(sizes, Path(tmp))
        sizes_out = {name: len(gzip.decompress(path.read_bytes())) for name, path in files.items()}
        with contextlib.ExitStack() as stack:
            # one nginx per body: only its /gzip target is sent with Content-Encoding
            urls = {
                name: stack.enter_context(_nginx.serve({"gzip": path})).base_url + "/gzip"
                for name, path in files.items()
            }
            client = stack.enter_context(faststream.Client())
            results: dict[tuple[str, str], list[tuple[float, float]]] = {}
            for url in urls.values():  # warm-up: connections, worker thread, allocator
                _fetch(client, url, 2)
            for _ in range(args.rounds):
                for name, url in urls.items():
                    for mode in MODES:
                        _overlap.ENABLED = mode == "worker"
                        _overlap.OVERLAP_AFTER = 0
                        wall, cpu, total = _fetch(client, url, args.requests)
                        if total != args.requests * sizes_out[name]:
                            raise SystemExit(f"{name}: decoded {total} bytes")
                        per = 1000 / args.requests
                        results.setdefault((name, mode), []).append((wall * per, cpu * per))
    print(f"gzip bodies, {args.requests} requests x {args.rounds} rounds, medians per request")
    print(
        f"{'compressed':>10} {'serial wall ms':>15} {'worker wall ms':>15} "
        f"{'serial CPU ms':>14} {'worker CPU ms':>14}"
    )
    for name in files:
        med = {
            (mode, i): statistics.median(r[i] for r in results[(name, mode)])
            for mode in MODES
            for i in (0, 1)
        }
        print(
            f"{name + ' KiB':>10} {med[('serial', 0)]:>15.3f} {med[('worker', 0)]:>15.3f} "
            f"{med[('serial', 1)]:>14.3f} {med[('worker', 1)]:>14.3f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
