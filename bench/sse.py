"""Server-sent events benchmark: events/s reading one long event stream over loopback.

A server in its own process sends ``--events`` realistic events (an id, an event type, one JSON
data line of ~90 bytes; every 50th event has two data lines, every 100th a ``: ping`` comment
block, the first a ``retry``), chunked in 16 KiB chunks, from a body built once in memory. Each
client reads the whole stream in its own child process and checks the event count and the last
event; runs are interleaved round-robin and the table gives the median of ``--runs``:

* ``faststream C``: ``faststream.connect_sse(client, ...)`` and ``iter_sse()``, compiled core;
* ``faststream pure``: the same with ``FASTSTREAM_NO_EXTENSIONS=1`` (the pure twins);
* ``httpx-sse``: ``httpx_sse.connect_sse(httpx.Client(), ...)`` and ``iter_sse()``;
* ``... async``: the same with ``aconnect_sse`` on asyncio.

Then the parsers alone, in memory, on the same body in 64 KiB pieces: `_cstream.SSEDecoder`,
its pure twin, and httpx-sse's line decoder + event decoder on the text.

Usage: ``python bench/sse.py [--events 1000000] [--runs 5] [--only NAME,...] [--json PATH]``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

CHUNK = 16 * 1024
PIECE = 64 * 1024
SERVER_LIFETIME = 3600.0  # seconds; the server stops on its own after this, whatever happens
CHILD_TIMEOUT = 900.0


def _data(i: int) -> str:
    return (
        f'{{"id": {i}, "user": "user-{i % 977}", "value": {i % 1000}.{i % 999983:06d}, '
        f'"tags": ["alpha", "beta"], "ok": true}}'
    )


def event_stream(events: int) -> bytes:
    """The body: `events` events, deterministic."""
    parts = [b"retry: 3000\n\n"]
    for i in range(events):
        data = _data(i).encode()
        if i % 100 == 0:
            parts.append(b": ping\n\n")
        if i % 50 == 0:
            parts.append(b"id: %d\nevent: batch\ndata: %s\ndata: %s\n\n" % (i, data, data))
        else:
            parts.append(b"id: %d\nevent: update\ndata: %s\n\n" % (i, data))
    return b"".join(parts)


def last_data(events: int) -> str:
    i = events - 1
    return _data(i) if i % 50 else _data(i) + "\n" + _data(i)


# --- the server -------------------------------------------------------------------------------


def _chunked(body: bytes) -> bytes:
    out = [
        b"%x\r\n%s\r\n" % (len(body[i : i + CHUNK]), body[i : i + CHUNK])
        for i in range(0, len(body), CHUNK)
    ]
    return b"".join(out) + b"0\r\n\r\n"


def _serve(events: int, ready: Connection) -> None:
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    wire = memoryview(head + _chunked(event_stream(events)))
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(1.0)
    ready.send(listener.getsockname()[1])
    deadline = time.monotonic() + SERVER_LIFETIME
    while time.monotonic() < deadline:
        try:
            sock, _ = listener.accept()
        except TimeoutError:
            continue
        with sock:
            sock.settimeout(60)
            request = b""
            while b"\r\n\r\n" not in request and len(request) < 65536:
                got = sock.recv(65536)
                if not got:
                    break
                request += got
            if request.startswith(b"GET /stop"):
                return
            try:
                for i in range(0, len(wire), 4 << 20):
                    sock.sendall(wire[i : i + (4 << 20)])
            except OSError:
                pass  # the client went away; the next run will tell


# --- the clients (each run in a child process: python bench/sse.py --child NAME URL N) ---------


def _child(name: str, url: str, events: int) -> dict[str, Any]:
    # imports before the clock starts
    import asyncio

    import httpx
    import httpx_sse

    import _cstream
    import faststream

    assert _cstream.IMPLEMENTATION == ("python" if name == "faststream pure" else "c")
    count = 0
    last = ""
    start = time.perf_counter()
    if name in ("faststream C", "faststream pure"):
        with faststream.Client(timeout=60) as client:
            with faststream.connect_sse(client, "GET", url) as source:
                for event in source.iter_sse():
                    if event.data:  # httpx-sse also yields data-less blocks (a ": ping")
                        count += 1
                        last = event.data
    elif name == "httpx-sse":
        with httpx.Client(timeout=60) as hclient:
            with httpx_sse.connect_sse(hclient, "GET", url) as hsource:
                for hevent in hsource.iter_sse():
                    if hevent.data:  # httpx-sse also yields data-less blocks (a ": ping")
                        count += 1
                        last = hevent.data
    elif name in ("faststream C async", "httpx-sse async"):

        async def main() -> tuple[int, str]:
            n, final = 0, ""
            if name == "faststream C async":
                async with faststream.AsyncClient(timeout=60) as client:
                    async with faststream.aconnect_sse(client, "GET", url) as source:
                        async for event in source.aiter_sse():
                            if event.data:
                                n += 1
                                final = event.data
            else:
                async with httpx.AsyncClient(timeout=60) as hclient:
                    async with httpx_sse.aconnect_sse(hclient, "GET", url) as hsource:
                        async for hevent in hsource.aiter_sse():
                            if hevent.data:
                                n += 1
                                final = hevent.data
            return n, final

        count, last = asyncio.run(main())
    else:
        raise SystemExit(f"unknown client {name}")
    seconds = time.perf_counter() - start
    assert count == events, (count, events)
    assert last == last_data(events), last[:80]
    return {"seconds": seconds, "events_per_s": events / seconds}


CLIENTS = ["faststream C", "faststream pure", "httpx-sse", "faststream C async", "httpx-sse async"]


def run_child(name: str, url: str, events: int) -> dict[str, Any]:
    env = dict(os.environ)
    env.pop("FASTSTREAM_NO_EXTENSIONS", None)
    if name == "faststream pure":
        env["FASTSTREAM_NO_EXTENSIONS"] = "1"
    out = subprocess.run(
        [sys.executable, __file__, "--child", name, url, str(events)],
        env=env,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        check=False,
    )
    if out.returncode:
        raise SystemExit(f"{name} failed:\n{out.stderr}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# --- the parsers alone ------------------------------------------------------------------------


def parse_only(body: bytes, runs: int) -> dict[str, float]:
    from httpx_sse._decoders import SSEDecoder as TheirDecoder, SSELineDecoder

    import _cstream._pure._sse as pure_sse
    import _cstream._sse as c_sse

    pieces = [body[i : i + PIECE] for i in range(0, len(body), PIECE)]
    text_pieces = [body.decode()[i : i + PIECE] for i in range(0, len(body), PIECE)]

    def ours(module: Any) -> Callable[[], int]:
        def run() -> int:
            decoder = module.SSEDecoder()
            n = 0
            for piece in pieces:
                for event in decoder.decode(piece):
                    if event.data:
                        n += 1
            return n

        return run

    def theirs() -> int:
        lines, decoder, n = SSELineDecoder(), TheirDecoder(), 0
        for text in text_pieces:
            for line in lines.decode(text):
                event = decoder.decode(line)
                if event is not None and event.data:
                    n += 1
        return n

    results: dict[str, float] = {}
    for name, fn in (
        ("SSEDecoder C", ours(c_sse)),
        ("SSEDecoder pure", ours(pure_sse)),
        ("httpx-sse decoders", theirs),
    ):
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        results[name] = statistics.median(times)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", default="", help="comma-separated client names")
    parser.add_argument("--parse-runs", type=int, default=3)
    parser.add_argument("--json", default="")
    parser.add_argument("--child", nargs=3, metavar=("NAME", "URL", "EVENTS"))
    args = parser.parse_args()
    if args.child:
        name, url, events = args.child
        print(json.dumps(_child(name, url, int(events))))
        return

    clients = [c for c in CLIENTS if not args.only or c in args.only.split(",")]
    ctx = multiprocessing.get_context("spawn")
    here, there = ctx.Pipe()
    server = ctx.Process(target=_serve, args=(args.events, there), daemon=True)
    server.start()
    try:
        if not here.poll(300):
            raise SystemExit("the server did not start")
        url = f"http://127.0.0.1:{here.recv()}/events"
        rates: dict[str, list[float]] = {c: [] for c in clients}
        for _ in range(args.runs):
            for name in clients:
                rates[name].append(run_child(name, url, args.events)["events_per_s"])
    finally:
        server.terminate()
        server.join(10)

    report: dict[str, Any] = {"events": args.events, "runs": args.runs, "loopback": {}}
    print(f"{args.events:,} events over loopback, median of {args.runs} runs")
    for name in clients:
        median = statistics.median(rates[name])
        # sync clients against httpx-sse, async ones against httpx-sse async
        versus = "httpx-sse async" if name.endswith(" async") else "httpx-sse"
        reference = statistics.median(rates[versus]) if versus in rates else None
        ratio = f"  {median / reference:5.2f}x {versus}" if reference else ""
        print(f"  {name:20} {median / 1e3:9.0f} k events/s{ratio}")
        report["loopback"][name] = {"median": median, "all": rates[name]}

    body = event_stream(args.events)
    parsed = parse_only(body, args.parse_runs)
    size = len(body) / 1e6
    print(f"parsers alone, in memory, {size:.0f} MB in 64 KiB pieces (median of {args.parse_runs})")
    theirs = parsed["httpx-sse decoders"]
    for name, seconds in parsed.items():
        rate = args.events / seconds / 1e3
        print(f"  {name:20} {rate:9.0f} k events/s  {theirs / seconds:5.2f}x httpx-sse")
    report["parse_only_seconds"] = parsed
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
