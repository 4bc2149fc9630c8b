"""N small GETs in flight on N connections (asyncio): client CPU and garbage-collector work per
request, for faststream's AsyncClient and for a bare asyncio protocol (the event loop's floor).

    python bench/small_inflight.py [--n 32,256] [--requests 5000] [--kind fs,bare]
                                   [--url URL] [--no-gc] [--profile]

Each of N tasks sends GETs one after another (`await client.get(url)`, body read), like
bench/peers.py's small-N workloads; a first pass of the same size warms the connections up.
It prints, per request: client CPU (`time.process_time`), generation-0/1/2 collections (per
1000 requests), objects the collector examined (the generations it walked, summed at each
collection's start) and the time spent in collections (`gc.callbacks`). Without `--url` it
serves nginx's /small (bench/_nginx.py). `--profile` prints cProfile's top functions;
`--no-gc` runs with the collector disabled.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import pstats
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _nginx  # noqa: E402

_REQUEST = b"GET /small HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n"


class _GcStats:
    """Collections, objects examined and seconds spent, from `gc.callbacks`."""

    def __init__(self) -> None:
        self.collections = [0, 0, 0]
        self.examined = 0
        self.seconds = 0.0
        self._start = 0.0
        self._busy = False

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if self._busy:
            return
        if phase == "start":
            self._busy = True  # get_objects allocates: no nested accounting
            generation = info["generation"]
            self.collections[generation] += 1
            self.examined += sum(len(gc.get_objects(g)) for g in range(generation + 1))
            self._busy = False
            self._start = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._start


async def _measure(
    label: str, run: Callable[[int], Awaitable[None]], total: int, profile: bool
) -> None:
    await run(total)  # warm-up: every connection open and used
    gc.collect()
    stats = _GcStats()
    gc.callbacks.append(stats)
    profiler = cProfile.Profile() if profile else None
    cpu0, t0 = time.process_time(), time.perf_counter()
    if profiler is not None:
        profiler.enable()
    await run(total)
    if profiler is not None:
        profiler.disable()
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    gc.callbacks.remove(stats)
    per_k = [round(c * 1000 / total, 1) for c in stats.collections]
    print(
        f"{label}: {total / seconds:8.0f} req/s  CPU {cpu / total * 1e6:6.1f} us/req  "
        f"gc per 1000 req {per_k}  examined {stats.examined / total:5.1f} objects/req  "
        f"gc {stats.seconds / total * 1e6:5.2f} us/req"
    )
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


async def _faststream(url: str, n: int, total: int, profile: bool) -> None:
    import faststream

    limits = faststream.Limits(max_connections=n, max_keepalive_connections=n)
    async with faststream.AsyncClient(timeout=600, limits=limits) as client:

        async def run(count: int) -> None:
            left = count

            async def worker() -> None:
                nonlocal left
                while left > 0:
                    left -= 1
                    response = await client.get(url)
                    if response.status_code != 200 or not response.content:
                        raise ValueError(f"status {response.status_code}")

            await asyncio.gather(*(worker() for _ in range(n)))

        await _measure(f"faststream n={n}", run, total, profile)


class _Bare(asyncio.BufferedProtocol):
    """One response at a time: the head's Content-Length, then that many body bytes."""

    def __init__(self) -> None:
        self.buffer = bytearray(64 * 1024)
        self.received = b""
        self.done: asyncio.Future[None] | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def get_buffer(self, sizehint: int) -> memoryview:
        return memoryview(self.buffer)

    def buffer_updated(self, nbytes: int) -> None:
        self.received += self.buffer[:nbytes]
        end = self.received.find(b"\r\n\r\n")
        if end < 0:
            return
        length = int(self.received.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        if len(self.received) >= end + 4 + length:
            self.received = b""
            if self.done is not None and not self.done.done():
                self.done.set_result(None)


async def _bare(url: str, n: int, total: int, profile: bool) -> None:
    loop = asyncio.get_running_loop()
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    protocols = [(await loop.create_connection(_Bare, "127.0.0.1", port))[1] for _ in range(n)]

    async def run(count: int) -> None:
        left = count

        async def worker(protocol: _Bare) -> None:
            nonlocal left
            assert protocol.transport is not None
            while left > 0:
                left -= 1
                protocol.done = loop.create_future()
                protocol.transport.write(_REQUEST)
                await protocol.done

        await asyncio.gather(*(worker(p) for p in protocols))

    await _measure(f"bare asyncio n={n}", run, total, profile)
    for protocol in protocols:
        if protocol.transport is not None:
            protocol.transport.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", default="32,256", help="requests in flight, comma-separated")
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--kind", default="fs,bare", help="fs (faststream), bare, or both")
    parser.add_argument("--url", help="a running server's small endpoint (else nginx)")
    parser.add_argument("--no-gc", action="store_true", help="run with gc disabled")
    parser.add_argument("--profile", action="store_true", help="cProfile the measured pass")
    args = parser.parse_args()
    if args.no_gc:
        gc.disable()
    runners = {"fs": _faststream, "bare": _bare}

    def go(url: str) -> None:
        for n in (int(x) for x in args.n.split(",")):
            for kind in args.kind.split(","):
                asyncio.run(runners[kind](url, n, args.requests, args.profile))

    if args.url:
        go(args.url)
        return
    with _nginx.serve({}) as server:
        go(server.base_url + "/small")


if __name__ == "__main__":
    main()
