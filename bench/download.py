"""Download benchmark: `Client.download` against reading the same body to nowhere, over loopback.

The server is tests/servers/ranges.py's `RangeServer` (byte ranges, keep-alive) in its own
process. Two comparisons, runs interleaved round-robin, medians of ``--runs``:

* one stream: ``client.download(url, /dev/shm/...)`` (writes, fsyncs, renames, hashes with
  sha256 on the way) against ``iter_raw()`` into nowhere on the same client; target >= 90 %;
  also the floor a download cannot go under: ``iter_raw()`` with each piece written to the
  same tmpfs and hashed, inline, by hand;
* segments: the server capped at ``--cap-mb`` MB/s per connection; ``download(segments=4)``
  against ``download()`` (one stream); target >= 3x.

Usage: ``python bench/download.py [--size-mb 512] [--capped-mb 200] [--cap-mb 200] [--runs 5]``.
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import os
import statistics
import sys
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import faststream  # noqa: E402

TMPFS = Path("/dev/shm") if Path("/dev/shm").is_dir() else Path("/tmp")
STOP_TIMEOUT = 10.0


def _serve(size: int, cap: float | None, ready: Connection, stop: Connection) -> None:
    from tests.servers.ranges import RangeServer

    block = os.urandom(1 << 20)
    body = (block * (size // len(block) + 1))[:size]
    with RangeServer(body) as server:
        server.rate = cap
        ready.send(server.url)
        stop.recv()


class Server:
    """A `RangeServer` of `size` bytes in a child process (`cap`: bytes/s per connection)."""

    def __init__(self, size: int, cap: float | None = None) -> None:
        ready_r, ready_w = multiprocessing.Pipe(duplex=False)
        self._stop_r, self._stop_w = multiprocessing.Pipe(duplex=False)
        self._process = multiprocessing.Process(
            target=_serve, args=(size, cap, ready_w, self._stop_r), daemon=True
        )
        self._process.start()
        if not ready_r.poll(60):
            raise RuntimeError("the range server did not start")
        self.url: str = ready_r.recv() + "/bench.bin"

    def close(self) -> None:
        self._stop_w.send(None)
        self._process.join(STOP_TIMEOUT)
        if self._process.is_alive():
            self._process.kill()


def iter_raw_to_nowhere(client: faststream.Client, url: str) -> int:
    n = 0
    with client.stream("GET", url, headers={"Accept-Encoding": "identity"}) as response:
        for chunk in response.iter_raw():
            n += len(chunk)
    return n


def by_hand_to_tmpfs(client: faststream.Client, url: str) -> int:
    """What the download must do at least: write each piece and hash it, inline."""
    target = TMPFS / f"faststream-bench-hand-{os.getpid()}.bin"
    digest = hashlib.sha256()
    n = 0
    try:
        with (
            client.stream("GET", url, headers={"Accept-Encoding": "identity"}) as response,
            open(target, "wb") as f,
        ):
            for chunk in response.iter_raw():
                f.write(chunk)
                digest.update(chunk)
                n += len(chunk)
    finally:
        target.unlink(missing_ok=True)
    return n


def download_to_tmpfs(client: faststream.Client, url: str, segments: int = 1) -> int:
    target = TMPFS / f"faststream-bench-{os.getpid()}.bin"
    try:
        return client.download(url, target, segments=segments, resume=False).size
    finally:
        target.unlink(missing_ok=True)


def measure(cases: dict[str, Callable[[], int]], runs: int, size: int) -> dict[str, list[float]]:
    rates: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, run in cases.items():
            start = time.perf_counter()
            got = run()
            seconds = time.perf_counter() - start
            if got != size:
                raise RuntimeError(f"{name}: {got} bytes, expected {size}")
            rates[name].append(size / seconds / 1e6)
    return rates


def report(title: str, rates: dict[str, list[float]], reference: str, target: str) -> None:
    print(f"\n{title}")
    base = statistics.median(rates[reference])
    for name, values in rates.items():
        median = statistics.median(values)
        print(
            f"  {name:<34} {median:9.0f} MB/s  ({median / base:5.2f}x)  "
            f"runs: {', '.join(f'{v:.0f}' for v in values)}"
        )
    print(f"  target: {target}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=512)
    parser.add_argument("--capped-mb", type=int, default=200, help="body size, capped server")
    parser.add_argument("--cap-mb", type=float, default=200.0, help="MB/s per connection")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    size = args.size_mb * 1_000_000
    server = Server(size)
    try:
        with faststream.Client(timeout=60) as client:
            url = server.url
            rates = measure(
                {
                    "iter_raw to nowhere": lambda: iter_raw_to_nowhere(client, url),
                    "iter_raw + write + sha256 by hand": lambda: by_hand_to_tmpfs(client, url),
                    f"download to {TMPFS}": lambda: download_to_tmpfs(client, url),
                },
                args.runs,
                size,
            )
        report(
            f"one stream, {args.size_mb} MB, loopback",
            rates,
            "iter_raw to nowhere",
            ">= 0.90x",
        )
    finally:
        server.close()

    size = args.capped_mb * 1_000_000
    server = Server(size, cap=args.cap_mb * 1e6)
    try:
        with faststream.Client(timeout=60) as client:
            url = server.url
            rates = measure(
                {
                    "download, one stream": lambda: download_to_tmpfs(client, url),
                    "download, segments=4": lambda: download_to_tmpfs(client, url, 4),
                },
                args.runs,
                size,
            )
        report(
            f"segments, {args.capped_mb} MB, capped at {args.cap_mb:.0f} MB/s per connection",
            rates,
            "download, one stream",
            ">= 3x",
        )
    finally:
        server.close()


if __name__ == "__main__":
    main()
