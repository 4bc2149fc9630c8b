"""Client CPU per GiB when the client is faster than the server: sync vs asyncio identity.

bench/peers.py's identity rows are paced by a server that saturates its core; how often the
client then finds the socket empty (and waits) depends on the load of the machine. Here the
server paces itself: a loopback server in its own process writes the body in ``--send-kib``
KiB writes with a ``--nap-us`` pause after each, so the client always catches up and waits,
on every run. Each client runs in a child process of its own (``Client.stream`` +
``iter_bytes()``, or ``AsyncClient.stream`` + ``aiter_bytes()`` on the default asyncio loop);
runs are interleaved (the order flips every run) and the table gives medians of the client's
CPU seconds per GiB (user + system, ``getrusage`` around the body), its context switches
(voluntary: the waits) and its body pieces.

``--before SRC`` adds ``asyncio before``: the asyncio client from another source tree (``SRC``
first on ``PYTHONPATH`` of its child, e.g. ``git archive``'s ``src`` of an older commit with
the compiled modules copied in).

Usage: ``python bench/async_waits.py [--size-mb 256] [--runs 7] [--send-kib 64] [--nap-us 50]
[--before SRC]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TIMEOUT = 120.0


def _serve(send: int, nap: float) -> None:
    """The paced server (a child process): prints its port, serves until killed."""
    block = memoryview(os.urandom(send))
    listener = socket.create_server(("127.0.0.1", 0))
    print(listener.getsockname()[1], flush=True)

    def handle(conn: socket.socket) -> None:
        data = b""
        with conn:
            while True:
                while b"\r\n\r\n" not in data:
                    part = conn.recv(65536)
                    if not part:
                        return
                    data += part
                head, data = data.split(b"\r\n\r\n", 1)
                size = int(head.split(b"size=")[1].split()[0]) if b"size=" in head else 2
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size)
                if size == 2:
                    conn.sendall(b"ok")
                    continue
                left = size
                while left:
                    n = min(left, send)
                    conn.sendall(block[:n])
                    left -= n
                    time.sleep(nap)

    while True:
        conn, _ = listener.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


def _usage() -> tuple[float, int]:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime, r.ru_nvcsw


def _client(kind: str, url: str) -> dict[str, float]:
    """One client run (a child process): CPU seconds, voluntary switches, pieces, bytes."""
    import faststream as httpx

    small = url.split("?")[0] + "?small"
    pieces = nbytes = 0
    if kind == "sync":
        with httpx.Client(timeout=TIMEOUT) as client:
            client.get(small)  # the connection opens outside the measurement
            cpu0, switches0 = _usage()
            with client.stream("GET", url) as response:
                for chunk in response.iter_bytes():
                    pieces += 1
                    nbytes += len(chunk)
            cpu1, switches1 = _usage()
    else:

        async def main() -> tuple[float, int, float, int]:
            nonlocal pieces, nbytes
            async with httpx.AsyncClient(timeout=TIMEOUT) as client:
                await client.get(small)
                cpu0, switches0 = _usage()
                async with client.stream("GET", url) as response:
                    async for chunk in response.aiter_bytes():
                        pieces += 1
                        nbytes += len(chunk)
                cpu1, switches1 = _usage()
            return cpu0, switches0, cpu1, switches1

        cpu0, switches0, cpu1, switches1 = asyncio.run(main())
    return {
        "cpu": cpu1 - cpu0,
        "switches": switches1 - switches0,
        "pieces": pieces,
        "bytes": nbytes,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mb", type=int, default=256)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--send-kib", type=int, default=64)
    parser.add_argument("--nap-us", type=float, default=50.0)
    parser.add_argument("--before", help="source tree of the 'asyncio before' client")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--server", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.server:
        _serve(args.send_kib * 1024, args.nap_us / 1e6)
        return 0
    if args.child:
        print(json.dumps(_client(*args.child)))
        return 0

    size = args.size_mb * 2**20
    clients: dict[str, tuple[str, str | None]] = {
        "sync": ("sync", None),
        "asyncio": ("asyncio", None),
    }
    if args.before:
        clients["asyncio before"] = ("asyncio", args.before)
    argv = [sys.executable, __file__, "--send-kib", str(args.send_kib)]
    server = subprocess.Popen(
        [*argv, "--nap-us", str(args.nap_us), "--server"], stdout=subprocess.PIPE, text=True
    )
    results: dict[str, list[dict[str, float]]] = {name: [] for name in clients}
    try:
        assert server.stdout is not None
        url = f"http://127.0.0.1:{int(server.stdout.readline())}/identity?size={size}"
        names = list(clients)
        for run in range(args.runs):
            for name in names if run % 2 == 0 else names[::-1]:
                kind, src = clients[name]
                env = dict(os.environ)
                if src is not None:
                    env["PYTHONPATH"] = os.pathsep.join(
                        p for p in (src, env.get("PYTHONPATH")) if p
                    )
                out = subprocess.run(
                    [*argv, "--child", kind, url],
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=TIMEOUT,
                    check=True,
                )
                result = json.loads(out.stdout.strip().splitlines()[-1])
                if result["bytes"] != size:
                    raise ValueError(f"{name}: {result['bytes']} bytes of {size}")
                results[name].append(result)
    finally:
        server.kill()
        server.wait(10)

    gib = size / 2**30
    print(
        f"identity {args.size_mb} MiB, server writes {args.send_kib} KiB + {args.nap_us:g} us "
        f"nap, {args.runs} runs (medians)"
    )
    print(f"  {'client':16s} {'CPU s/GiB':>10s} {'switches':>9s} {'pieces':>7s}")
    for name, rows in results.items():
        cpu = statistics.median(r["cpu"] for r in rows) / gib
        switches = statistics.median(r["switches"] for r in rows)
        pieces = statistics.median(r["pieces"] for r in rows)
        print(f"  {name:16s} {cpu:10.3f} {switches:9.0f} {pieces:7.0f}")
    sync = statistics.median(r["cpu"] for r in results["sync"])
    ratio = sync / statistics.median(r["cpu"] for r in results["asyncio"])
    print(f"async identity vs sync identity by client CPU: {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
