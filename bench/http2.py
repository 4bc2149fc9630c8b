"""HTTP/2: one large body over one stream, and small GETs multiplexed on one connection;
faststream vs httpx[http2] vs faststream's own HTTP/1.1, same run, same loopback server.

    python bench/http2.py [--server custom|nginx] [--mib 1024] [--requests 5000]
                          [--inflight 1,32,256] [--loop asyncio|uvloop] [--runs 5]
                          [--json out.json] [--profile cpu|wall]

Servers (each its own process; its CPU share is printed beside every figure, so a row the
server limits shows as such -- a server near 100 % of a core is the limit, not the client):

* `custom` (default): bench/_h2_server.py, h2c with prior knowledge; the body goes out as
  prebuilt DATA frames as large as the client's SETTINGS_MAX_FRAME_SIZE allows, within the
  client's flow-control windows. HTTP/1.1 on the same port (a plain `sendall` loop) gives the
  `faststream HTTP/1.1` large row.
* `nginx`: nginx with http2 (bench/_nginx.py), h2c on one port and HTTP/1.1 on another of the
  same worker; DATA frames of `--nginx-chunk-kib` (nginx's `http2_chunk_size`; it does not
  take the client's larger frame size on its own). The HTTP/1.1 rows include the small GETs
  (faststream's pool, one connection per request in flight).

Cases, run round-robin `--runs` times (medians):

* `large`: `Client(http1=False, http2=True).stream("GET", ...)` read with `iter_bytes()`, a new
  client (and connection) per run; MB/s. The HTTP/1.1 row: `Client()` on the same server.
* `small`: `AsyncClient(http1=False, http2=True)` on asyncio (`--loop uvloop`: uvloop), one
  connection opened before the clock starts, `--requests` GETs of a 100-byte body with N in
  flight (N tasks each looping); requests/s.

Printed per row: the rate, the client's CPU seconds per GiB or microseconds per request (its
process time: steadier than wall time on a shared machine), the server's CPU share, and the
share of the time the server's and the client's threads were runnable but waiting for a core
(Linux schedstat: the load of other processes, which depresses wall rates); then the
ratios the HTTP/2 work is judged by (1 GiB >= 3x httpx[http2] and >= 80 % of faststream's
HTTP/1.1; 32 in flight >= 10x httpx[http2]), from the rates and from the client CPU.

`--profile cpu` (or `wall`) runs each faststream HTTP/2 case once under cProfile instead,
counting the client's CPU (or wall) time, and prints that time by group (h2's Python,
faststream, asyncio, built-ins such as the socket calls) and the top functions.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import os
import statistics
import subprocess
import sys
import time
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _data  # noqa: E402
import _nginx  # noqa: E402

SMALL = 100  # bytes in a small response's body


@dataclass
class Target:
    h2_url: str  # base URL, h2c with prior knowledge
    h11_url: str  # base URL, HTTP/1.1 (same server process)
    pid: int  # the process whose CPU is the server's
    large: str  # path of the large body
    small: str  # path of the SMALL-byte body
    small_http11: bool  # whether the HTTP/1.1 small rows are worth running on this server


def _cpu(pid: int) -> float:
    """User + system CPU seconds of `pid` so far (Linux /proc), all its threads."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _queued(pid: int) -> float:
    """Seconds the threads of `pid` have been runnable but waiting for a core (Linux
    schedstat): on a loaded machine a server can pace the client at a small CPU share."""
    return _nginx.run_queue_wait(pid) or 0.0


@contextlib.contextmanager
def custom_server(size: int) -> Iterator[Target]:
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "_h2_server.py")], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        base = f"http://127.0.0.1:{port}"
        yield Target(base, base, proc.pid, f"/bytes/{size}", f"/bytes/{SMALL}", False)
    finally:
        proc.kill()
        proc.wait(10)


@contextlib.contextmanager
def nginx_server(size: int, chunk: int) -> Iterator[Target]:
    small = _data.DATA_DIR / f"small-{SMALL}.bin"
    small.parent.mkdir(parents=True, exist_ok=True)
    small.write_bytes(b"x" * SMALL)
    files = {"identity": _nginx.identity_file(size), "small100": small}
    with _nginx.serve(files, http2=True, http2_chunk=chunk) as server:
        assert server.h2_base_url is not None
        yield Target(
            server.h2_base_url, server.base_url, server.pid, "/identity", "/small100", True
        )


# --- the cases: each returns (seconds, client CPU seconds) --------------------------------------


def large(module: typing.Any, url: str, size: int, http2: bool) -> tuple[float, float]:
    """Read the body with iter_bytes on a new client."""
    version = "HTTP/2" if http2 else "HTTP/1.1"
    with module.Client(http1=not http2, http2=http2, timeout=60) as client:
        start, cpu = time.perf_counter(), time.process_time()
        with client.stream("GET", url) as response:
            assert response.http_version == version, response.http_version
            total = sum(len(piece) for piece in response.iter_bytes())
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert total == size, total
    return elapsed, cpu


def small(
    module: typing.Any, url: str, requests: int, inflight: int, http2: bool, loop: str
) -> tuple[float, float]:
    """`requests` GETs, `inflight` at a time (one task each), on one client, on an asyncio
    event loop (`loop` "uvloop": uvloop's)."""
    version = "HTTP/2" if http2 else "HTTP/1.1"

    async def main() -> tuple[float, float]:
        async with module.AsyncClient(http1=not http2, http2=http2, timeout=60) as client:
            assert (await client.get(url)).http_version == version  # connection opened
            left = requests

            async def worker() -> None:
                nonlocal left
                while left > 0:
                    left -= 1
                    response = await client.get(url)
                    assert response.status_code == 200 and len(response.content) == SMALL
                    assert response.http_version == version

            start, cpu = time.perf_counter(), time.process_time()
            await asyncio.gather(*(worker() for _ in range(inflight)))
            return time.perf_counter() - start, time.process_time() - cpu

    if loop == "uvloop":
        import uvloop

        return uvloop.run(main())
    return asyncio.run(main())


@dataclass
class Case:
    workload: str  # "large" or "small N"
    client: str  # "faststream", "httpx", "faststream HTTP/1.1"
    run: Callable[[], tuple[float, float]]
    amount: float  # bytes or requests per run


# cProfile groups, by the function's file: the first whose marker is in the path
_GROUPS = (
    ("h2's Python (h2, hpack, hyperframe)", ("/h2/", "/hpack/", "/hyperframe/")),
    ("faststream (Python; compiled _cstream time counts to its callers)", ("/faststream/",)),
    ("_cstream (Python parts)", ("/_cstream/",)),
    ("asyncio", ("/asyncio/",)),
    ("built-ins (socket, poll, bytes, ...)", ("~",)),
)


def profile(case: Case, clock: str) -> None:
    """Run `case` once under cProfile; print its own time by group and the top functions.

    With `clock` "cpu" the profile counts the client's CPU time (a `send` that wakes the
    server and waits for a core counts only its own work); with "wall", wall time."""
    import cProfile
    import pstats

    timer = time.process_time if clock == "cpu" else time.perf_counter
    profiler = cProfile.Profile(timer)
    seconds, _ = profiler.runcall(case.run)
    stats: dict[tuple[str, int, str], tuple[int, int, float, float, typing.Any]]
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in stats.values())
    groups: dict[str, float] = {}
    for (filename, _, _), entry in stats.items():
        group = next((g for g, marks in _GROUPS if any(m in filename for m in marks)), "other")
        groups[group] = groups.get(group, 0.0) + entry[2]
    rate = case.amount / seconds / (1e6 if case.workload == "large" else 1)
    unit = "MB/s" if case.workload == "large" else "req/s"
    print(
        f"{case.workload}, {case.client}: {rate:.1f} {unit} under cProfile,"
        f" {total:.2f} s of {clock} time"
    )
    for group, spent in sorted(groups.items(), key=lambda item: -item[1]):
        print(f"  {spent / total:6.1%}  {group}")
    print("  top functions by own time:")
    top = sorted(stats.items(), key=lambda item: -item[1][2])[:15]
    for (filename, line, name), entry in top:
        where = "/".join(filename.split("/")[-2:]) + f":{line}" if filename != "~" else ""
        print(f"  {entry[2] / total:6.1%}  {entry[1]:>8} calls  {name}  {where}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--server", choices=("custom", "nginx"), default="custom")
    parser.add_argument("--nginx-chunk-kib", type=int, default=256)
    parser.add_argument("--mib", type=int, default=1024)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--inflight", default="1,32,256")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", choices=("large", "small"), default=None)
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--profile",
        choices=("cpu", "wall"),
        default=None,
        help="instead: run each faststream HTTP/2 case once under cProfile (counting CPU or "
        "wall time) and print where its time goes (h2's Python, faststream, asyncio, sockets)",
    )
    args = parser.parse_args()

    import httpx

    import faststream

    size = args.mib << 20
    inflights = [int(n) for n in args.inflight.split(",")]
    server = (
        custom_server(size)
        if args.server == "custom"
        else nginx_server(size, args.nginx_chunk_kib << 10)
    )
    print(f"server: {args.server}; load average {os.getloadavg()[0]:.1f} at start")
    with server as target:
        cases: list[Case] = []
        if args.only in (None, "large"):
            big_h2, big_h11 = target.h2_url + target.large, target.h11_url + target.large
            for name, module, url, http2 in (
                ("faststream", faststream, big_h2, True),
                ("httpx", httpx, big_h2, True),
                ("faststream HTTP/1.1", faststream, big_h11, False),
            ):
                run = functools.partial(large, module, url, size, http2)
                cases.append(Case("large", name, run, size))
        if args.only in (None, "small"):
            h2, h11 = target.h2_url + target.small, target.h11_url + target.small
            n = args.requests
            for k in inflights:
                clients: list[tuple[str, typing.Any, str, bool]] = [
                    ("faststream", faststream, h2, True),
                    ("httpx", httpx, h2, True),
                ]
                if target.small_http11:
                    clients.append(("faststream HTTP/1.1", faststream, h11, False))
                for name, module, url, http2 in clients:
                    run = functools.partial(small, module, url, n, k, http2, args.loop)
                    cases.append(Case(f"small {k}", name, run, n))
        if args.profile:
            for case in cases:
                if case.client == "faststream":
                    profile(case, args.profile)
            return
        results: dict[tuple[str, str], list[dict[str, float]]] = {}
        for _ in range(args.runs):  # round-robin: load changes hit every case alike
            for case in cases:
                server_cpu = _cpu(target.pid)
                queued = _queued(target.pid), _queued(os.getpid())
                seconds, cpu = case.run()
                share = (_cpu(target.pid) - server_cpu) / seconds
                server_queued = (_queued(target.pid) - queued[0]) / seconds
                client_queued = (_queued(os.getpid()) - queued[1]) / seconds
                results.setdefault((case.workload, case.client), []).append(
                    {
                        "seconds": seconds,
                        "cpu": cpu,
                        "server": share,
                        "server_queued": server_queued,
                        "client_queued": client_queued,
                    }
                )
    print(f"load average {os.getloadavg()[0]:.1f} at end; medians of {args.runs} runs")
    rates: dict[tuple[str, str], float] = {}
    cpus: dict[tuple[str, str], float] = {}
    rows: list[dict[str, typing.Any]] = []
    for case in cases:
        key = (case.workload, case.client)
        if key in rates:
            continue
        runs = results[key]
        large_case = case.workload == "large"
        unit = "MB/s" if large_case else "req/s"
        rate = statistics.median(case.amount / r["seconds"] for r in runs) / (
            1e6 if large_case else 1
        )
        cpu = statistics.median(r["cpu"] / case.amount for r in runs) * (
            2**30 if large_case else 1e6
        )
        share = statistics.median(r["server"] for r in runs)
        server_queued = statistics.median(r["server_queued"] for r in runs)
        client_queued = statistics.median(r["client_queued"] for r in runs)
        rates[key], cpus[key] = rate, cpu
        if case.client == "faststream":
            what = (
                f"{args.mib} MiB, one stream"
                if large_case
                else (f"{args.requests} GETs, {case.workload.split()[1]} in flight")
            )
            print(f"{case.workload}: {what}")
        cpu_unit = "client CPU s/GiB" if large_case else "client CPU us/req"
        print(
            f"  {case.client:<20} {rate:9.1f} {unit:<6} {cpu:8.2f} {cpu_unit:<18}"
            f" server CPU {share:4.0%}  waiting for a core: server {server_queued:4.0%},"
            f" client {client_queued:4.0%}"
        )
        rows.append(
            {
                "workload": case.workload,
                "client": case.client,
                "rate": rate,
                "unit": unit,
                "client_cpu": cpu,
                "server_cpu_share": share,
                "server_queued_share": server_queued,
                "client_queued_share": client_queued,
                "runs": runs,
            }
        )
    ratios: list[dict[str, typing.Any]] = []
    print("ratios (rate; the same from client CPU)")
    wanted: list[tuple[str, str, str, float | None]] = [
        ("large", "faststream", "httpx", 3.0),
        ("large", "faststream", "faststream HTTP/1.1", 0.8),
    ]
    wanted += [(f"small {k}", "faststream", "httpx", 10.0 if k == 32 else None) for k in inflights]
    wanted += [(f"small {k}", "faststream", "faststream HTTP/1.1", None) for k in inflights]
    for workload, num, den, goal in wanted:
        if (workload, num) not in rates or (workload, den) not in rates:
            continue
        ratio = rates[(workload, num)] / rates[(workload, den)]
        by_cpu = cpus[(workload, den)] / cpus[(workload, num)]
        verdict = (
            "" if goal is None else f"  goal >= {goal:.1f}x {'met' if ratio >= goal else 'NOT met'}"
        )
        print(f"  {workload:<9} {num} / {den:<20} {ratio:6.2f}x  by CPU {by_cpu:6.2f}x{verdict}")
        ratios.append(
            {
                "workload": workload,
                "of": num,
                "to": den,
                "ratio": ratio,
                "by_cpu": by_cpu,
                "goal": goal,
            }
        )
    if args.json:
        args.json.write_text(
            json.dumps(
                {"args": vars(args) | {"json": str(args.json)}, "rows": rows, "ratios": ratios},
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
