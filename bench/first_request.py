"""The first streaming request of a process vs the ones after it: client CPU and page faults.

Usage: ``python bench/first_request.py [--processes 5] [--requests 3] [--jsonl-mb 200]
[--size-mb 512] [--only jsonl,identity,gzip]``.

Each process is fresh (a child of this one) and makes ``--requests`` requests of one workload
on one keep-alive client; the table gives, per request index, the medians over the processes
of the client's CPU seconds (user + system), its system share, the minor page faults taken
during the request and the rate. A benchmark that runs one request per process (bench/peers.py,
bench/e2e.py) measures request 1: if it costs more than requests 2 and 3, that is what those
benchmarks see.

Workloads (nginx when installed, else bench/_server.py): ``jsonl`` -- ``iter_lines()`` over
``--jsonl-mb`` of JSONL; ``identity`` -- ``iter_raw()`` over ``--size-mb`` MiB with
Content-Length; ``gzip`` -- ``iter_bytes()`` over the JSONL gzip-encoded.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _nginx  # noqa: E402
import _server  # noqa: E402

CHILD = r"""
import json, resource, sys, time
import faststream
url, mode, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
out = []
with faststream.Client(timeout=120) as client:
    for _ in range(count):
        before, start, amount = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter(), 0
        with client.stream("GET", url) as response:
            if mode == "jsonl":
                for _line in response.iter_lines():
                    amount += 1
            elif mode == "identity":
                for piece in response.iter_raw():
                    amount += len(piece)
            else:
                for piece in response.iter_bytes():
                    amount += len(piece)
        wall, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF)
        system = after.ru_stime - before.ru_stime
        cpu = after.ru_utime - before.ru_utime + system
        faults = after.ru_minflt - before.ru_minflt
        out.append({"cpu": cpu, "sys": system, "faults": faults, "wall": wall, "amount": amount})
print(json.dumps(out))
"""

UNITS = {"jsonl": ("M lines/s", 1e6), "identity": ("MB/s", 1e6), "gzip": ("MB/s", 1e6)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--processes", type=int, default=5)
    parser.add_argument("--requests", type=int, default=3)
    parser.add_argument("--jsonl-mb", type=int, default=200)
    parser.add_argument("--size-mb", type=int, default=512)
    parser.add_argument("--only", default="jsonl,identity,gzip")
    args = parser.parse_args()
    workloads = [w for w in args.only.split(",") if w]
    if set(workloads) - set(UNITS) or min(args.processes, args.requests) < 1:
        parser.error(f"workloads are {sorted(UNITS)}; counts must be positive")
    server: Any
    with contextlib.ExitStack() as stack:
        if _nginx.available():
            files = {
                "jsonl": _nginx.jsonl_file(args.jsonl_mb),
                "identity": _nginx.identity_file(args.size_mb * 2**20),
                "gzip": _nginx.gzip_file(args.jsonl_mb),
            }
            server = stack.enter_context(_nginx.serve(files))
            targets = {w: f"{server.base_url}/{w}" for w in files}
        else:
            paths = {
                "jsonl": f"/jsonl?size_mb={args.jsonl_mb}",
                "identity": f"/identity?size={args.size_mb * 2**20}",
                "gzip": f"/gzip?size_mb={args.jsonl_mb}",
            }
            server = stack.enter_context(_server.serve(preload=[paths[w] for w in workloads]))
            targets = {w: server.base_url + p for w, p in paths.items()}
        results: dict[str, list[list[dict[str, float]]]] = {w: [] for w in workloads}
        for _ in range(args.processes):  # workloads interleaved, a fresh process each
            for workload in workloads:
                argv = [targets[workload], workload, str(args.requests)]
                done = subprocess.run(
                    [sys.executable, "-c", CHILD, *argv],
                    capture_output=True,
                    text=True,
                    timeout=900,
                )
                if done.returncode:
                    raise SystemExit(done.stderr)
                results[workload].append(json.loads(done.stdout))
    print(f"medians over {args.processes} fresh processes; request 1 is each process's first")
    print(f"{'workload':<10} {'request':>7} {'CPU s':>7} {'sys s':>7} {'faults':>8} {'rate':>16}")
    for workload, runs in results.items():
        unit, scale = UNITS[workload]
        for index in range(args.requests):
            rows = [run[index] for run in runs]
            rate = statistics.median(r["amount"] / r["wall"] for r in rows) / scale
            print(
                f"{workload:<10} {index + 1:>7} {statistics.median(r['cpu'] for r in rows):7.3f} "
                f"{statistics.median(r['sys'] for r in rows):7.3f} "
                f"{statistics.median(r['faults'] for r in rows):8.0f} {rate:8.2f} {unit}"
            )


if __name__ == "__main__":
    main()
