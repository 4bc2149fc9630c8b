"""httpx with faststream's transport against httpx with its own, over loopback, same run.

Clients (the same httpx API code for the first two):

* ``httpx``: ``httpx.Client()`` / ``httpx.AsyncClient()``, httpx's default transport (httpcore);
* ``httpx + faststream``: ``httpx.Client(transport=faststream.HTTPXTransport())`` and
  ``httpx.AsyncClient(transport=faststream.AsyncHTTPXTransport())``: what an SDK that requires
  an httpx client gets from faststream;
* ``faststream``: ``faststream.Client`` / ``AsyncClient`` itself, the reference.

Workloads: ``identity``: a ``--size-mb`` body (1 GiB by default) read with ``iter_bytes()``
(MB/s); ``small``: ``--requests`` keep-alive GETs of a 2-byte body, one after another (req/s);
``small-32``: the same with an ``AsyncClient`` on asyncio, 32 requests in flight (req/s). The
server is bench/_server.py in its own process. Runs are interleaved round-robin (client after
client, then the next round) and the table gives the median of ``--runs`` rounds, with each
rate's ratio to httpx's default transport from the same run.

Usage: ``python bench/httpx_transport.py [--size-mb 1024] [--requests 3000] [--runs 5]
[--json FILE]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _server  # noqa: E402

try:
    import faststream
except ImportError:  # a checkout without an install
    sys.path.insert(0, str(HERE.parent / "src"))
    import faststream
import httpx  # noqa: E402

CLIENTS = ("httpx", "httpx + faststream", "faststream")
UNITS = {"identity": "MB/s", "small": "req/s", "small-32": "req/s"}
TIMEOUT = 60.0
IN_FLIGHT = 32


def _sync_client(name: str) -> Any:
    if name == "httpx":
        return httpx.Client(timeout=TIMEOUT)
    if name == "httpx + faststream":
        return httpx.Client(timeout=TIMEOUT, transport=faststream.HTTPXTransport())
    return faststream.Client(timeout=TIMEOUT)


def _async_client(name: str) -> Any:
    limits = {"max_connections": IN_FLIGHT, "max_keepalive_connections": IN_FLIGHT}
    if name == "httpx":
        return httpx.AsyncClient(timeout=TIMEOUT, limits=httpx.Limits(**limits))
    if name == "httpx + faststream":
        transport = faststream.AsyncHTTPXTransport(limits=faststream.Limits(**limits))
        return httpx.AsyncClient(timeout=TIMEOUT, transport=transport)
    return faststream.AsyncClient(timeout=TIMEOUT, limits=faststream.Limits(**limits))


def _identity(name: str, url: str, size: int) -> float:
    with _sync_client(name) as client:
        t0 = time.perf_counter()
        received = 0
        with client.stream("GET", url) as response:
            for chunk in response.iter_bytes():
                received += len(chunk)
        seconds = time.perf_counter() - t0
    if received != size:
        raise SystemExit(f"{name}: received {received} bytes, expected {size}")
    return size / seconds / 1e6


def _small(name: str, url: str, requests: int) -> float:
    with _sync_client(name) as client:
        client.get(url).read()  # the connection is opened outside the timing
        t0 = time.perf_counter()
        for _ in range(requests):
            if client.get(url).status_code != 200:
                raise SystemExit(f"{name}: unexpected status")
        return requests / (time.perf_counter() - t0)


async def _small_in_flight(name: str, url: str, requests: int) -> float:
    async with _async_client(name) as client:

        async def one() -> None:
            if (await client.get(url)).status_code != 200:
                raise SystemExit(f"{name}: unexpected status")

        for _ in range(2):  # warm-up, outside the timing: opens the 32 connections
            await asyncio.gather(*(one() for _ in range(IN_FLIGHT)))
        left = requests

        async def worker() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                await one()

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
        return requests / (time.perf_counter() - t0)


def _measure(workload: str, name: str, base_url: str, args: argparse.Namespace) -> float:
    if workload == "identity":
        size = args.size_mb * 2**20
        return _identity(name, f"{base_url}/identity?size={size}", size)
    if workload == "small":
        return _small(name, f"{base_url}/small", args.requests)
    return asyncio.run(_small_in_flight(name, f"{base_url}/small", args.requests))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", choices=list(UNITS), action="append")
    parser.add_argument("--json", help="write the runs and medians here")
    args = parser.parse_args(argv)
    workloads = args.only or list(UNITS)
    size = args.size_mb * 2**20
    runs: dict[str, dict[str, list[float]]] = {w: {c: [] for c in CLIENTS} for w in workloads}
    with _server.serve(preload=[f"/identity?size={size}"]) as server:
        for round_ in range(args.runs):
            for workload in workloads:
                for name in CLIENTS:
                    runs[workload][name].append(_measure(workload, name, server.base_url, args))
            print(f"round {round_ + 1}/{args.runs} done", file=sys.stderr)
    print(
        f"httpx {httpx.__version__}, faststream {faststream.__version__} "
        f"(compiled core: {faststream.compiled()}), median of {args.runs} runs"
    )
    print(f"{'workload':<10} {'client':<20} {'median':>12} {'vs httpx':>9}  runs")
    medians: dict[str, dict[str, float]] = {}
    for workload in workloads:
        medians[workload] = {c: statistics.median(runs[workload][c]) for c in CLIENTS}
        base = medians[workload]["httpx"]
        for name in CLIENTS:
            median = medians[workload][name]
            spread = " ".join(f"{value:.0f}" for value in runs[workload][name])
            print(
                f"{workload:<10} {name:<20} {median:>8.0f} {UNITS[workload]:<5}"
                f"{median / base:>7.2f}x  {spread}"
            )
    if args.json:
        Path(args.json).write_text(json.dumps({"runs": runs, "medians": medians}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
