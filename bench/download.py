"""Download benchmark: `Client.download` against reading the same body to nowhere, over loopback.

The server is tests/servers/ranges.py's `RangeServer` (byte ranges, keep-alive) in its own
process. Two comparisons, runs interleaved round-robin, medians of ``--runs``:

* one stream: ``client.download(url, /dev/shm/...)`` (writes, fsyncs, renames, hashes with
  sha256 on the way) against ``iter_raw()`` into nowhere on the same client; target >= 90 %.
  The budget, same run: a raw socket ``recv_into`` one reused buffer (the receive alone, no
  client); ``Response.readinto`` one reused buffer (the client's path into a caller's
  buffer); ``iter_raw()`` with each piece written to the same tmpfs by hand, and then also
  hashed inline by hand; the download with the part written inline instead of on the writer
  threads; and, with no network, sha256 of an in-memory buffer and writes of one to tmpfs
  (each on one core). The ratios printed separate the receive, the write and the hash;
* segments: the server capped at ``--cap-mb`` MB/s per connection; ``download(segments=4)``
  against ``download()`` (one stream); target >= 3x.

Usage: ``python bench/download.py [--size-mb 512] [--capped-mb 200] [--cap-mb 200] [--runs 5]``.
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import os
import socket
import statistics
import sys
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import faststream  # noqa: E402
from faststream._download_base import Plan  # noqa: E402

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


RECV_BUFFER = 1 << 20


def recv_into_to_nowhere(url: str) -> int:
    """The receive alone: one GET by hand on a plain socket, the body read with `recv_into`
    into one reused buffer (no bytes object per read, no client)."""
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    buffer = bytearray(RECV_BUFFER)
    view = memoryview(buffer)
    with socket.create_connection((parts.hostname, parts.port), timeout=60) as sock:
        sock.sendall(f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode())
        got = bytearray()
        while b"\r\n\r\n" not in got:
            data = sock.recv(65536)
            if not data:
                raise RuntimeError("no response head")
            got += data
        head, _, rest = bytes(got).partition(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        n = len(rest)
        while n < length:
            count = sock.recv_into(view, min(RECV_BUFFER, length - n))
            if not count:
                break
            n += count
    return n


def readinto_to_nowhere(client: faststream.Client, url: str) -> int:
    """`Response.readinto` one reused buffer: the socket receives straight into it."""
    buffer = bytearray(RECV_BUFFER)
    n = 0
    with client.stream("GET", url, headers={"Accept-Encoding": "identity"}) as response:
        while count := response.readinto(buffer):
            n += count
    return n


def by_hand_to_tmpfs(client: faststream.Client, url: str, hash_too: bool = True) -> int:
    """What the download must do at least: write each piece (and hash it), inline."""
    target = TMPFS / f"faststream-bench-hand-{os.getpid()}.bin"
    digest = hashlib.sha256()
    n = 0
    try:
        with (
            client.stream("GET", url, headers={"Accept-Encoding": "identity"}) as response,
            open(target, "wb", buffering=0) as f,
        ):
            for chunk in response.iter_raw():
                f.write(chunk)
                if hash_too:
                    digest.update(chunk)
                n += len(chunk)
    finally:
        target.unlink(missing_ok=True)
    return n


def sha256_in_memory(size: int) -> int:
    """sha256 of `size` bytes already in memory (one core, no network)."""
    block = os.urandom(RECV_BUFFER)
    digest = hashlib.sha256()
    for _ in range(size // len(block)):
        digest.update(block)
    digest.update(block[: size % len(block)])
    return size


def write_to_tmpfs(size: int) -> int:
    """`size` bytes from memory written to a new file on tmpfs (one core, no network)."""
    target = TMPFS / f"faststream-bench-write-{os.getpid()}.bin"
    block = os.urandom(RECV_BUFFER)
    try:
        with open(target, "wb", buffering=0) as f:
            for _ in range(size // len(block)):
                f.write(block)
            f.write(block[: size % len(block)])
    finally:
        target.unlink(missing_ok=True)
    return size


def download_to_tmpfs(
    client: faststream.Client, url: str, segments: int = 1, write_behind: bool = True
) -> int:
    """`client.download`; `write_behind=False`: the part written and hashed inline, in the
    receiving thread, instead of on the writer thread."""
    target = TMPFS / f"faststream-bench-{os.getpid()}.bin"
    Plan.write_behind = write_behind
    try:
        return client.download(url, target, segments=segments, resume=False).size
    finally:
        Plan.write_behind = True
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


def budget(rates: dict[str, list[float]]) -> None:
    """The download against the spec's "write cost aside" reading, and the time per GB of
    each part (seconds = 1000 / MB/s), from the medians above."""
    median = {name: statistics.median(values) for name, values in rates.items()}
    download = next(v for k, v in median.items() if k.startswith("download to"))
    write = median["iter_raw + write by hand"]
    print(f"  download / (iter_raw + write by hand): {download / write:.2f}x")
    seconds = {name: 1000 / value for name, value in median.items()}
    print("  seconds per GB:")
    for name, value in seconds.items():
        print(f"    {name:<34} {value:6.3f}")
    receive = seconds["iter_raw to nowhere"]
    hashing = seconds["sha256 in memory (no network)"]
    writing = seconds["write to tmpfs (no network)"]
    cores = os.cpu_count() or 1
    floor = max(receive, hashing, writing, (receive + hashing + writing) / cores)
    print(
        f"  CPU per GB: receive {receive:.3f} + sha256 {hashing:.3f} + write {writing:.3f} "
        f"= {receive + hashing + writing:.3f} core-s (the server's sending not counted); "
        f"on {cores} cores a download with the three overlapped takes >= {floor:.3f} s/GB "
        f"= {floor / receive:.2f}x the receive alone; 90 % of iter_raw to nowhere needs "
        f"<= {receive / 0.9:.3f} s/GB"
    )


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
                    "raw socket recv_into to nowhere": lambda: recv_into_to_nowhere(url),
                    "readinto a reused buffer, nowhere": lambda: readinto_to_nowhere(client, url),
                    "iter_raw + write by hand": lambda: by_hand_to_tmpfs(client, url, False),
                    "iter_raw + write + sha256 by hand": lambda: by_hand_to_tmpfs(client, url),
                    f"download to {TMPFS}": lambda: download_to_tmpfs(client, url),
                    "download, written inline": lambda: download_to_tmpfs(
                        client, url, write_behind=False
                    ),
                    "sha256 in memory (no network)": lambda: sha256_in_memory(size),
                    "write to tmpfs (no network)": lambda: write_to_tmpfs(size),
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
        budget(rates)
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
