"""Asyncio end-to-end benchmark: streams and concurrent small requests over loopback.

Clients: faststream's ``AsyncClient`` with the compiled core, with its pure twins
(``FASTSTREAM_NO_EXTENSIONS=1``), ``httpx.AsyncClient`` and aiohttp's ``ClientSession``; a client
that cannot be imported is skipped with a note. For the body workloads, ``faststream sync``
(``Client.stream`` with ``iter_bytes()`` / ``iter_lines()``, compiled core) runs in the same
rounds, so the async/sync ratio the async path is held to comes from one run. faststream is
driven with the httpx API, so the httpx and faststream code paths are the same code. The server
is bench/_server.py in its own process (as for bench/e2e.py); each measurement runs in a child
process of its own (peak RSS per case) on the default asyncio event loop (``--loop uvloop``:
uvloop's); runs are interleaved round-robin (the client order rotates from run to run) and the
tables give medians.

Workloads: ``identity`` (``--size-mb`` with Content-Length, ``aiter_bytes()`` / aiohttp
``content.iter_chunked(1 MiB)``), ``jsonl`` (``--jsonl-mb`` of JSONL, ``aiter_lines()`` / aiohttp
``async for line in response.content``; every client counts the lines it is given) and
``small``: ``--requests`` keep-alive GETs of a 2-byte body made by N tasks sharing one client,
for each N of ``--in-flight``; every client is limited to N connections (faststream and httpx
``Limits(max_connections=N, max_keepalive_connections=N)``, aiohttp ``TCPConnector(limit=N)``)
and 2N warm-up requests open the connections before the timing starts.

Client CPU and the server's CPU are measured over the timed window only (the child reads the
server's /proc/<pid>/stat). For ``small`` the child also reports the server's thread count (one
thread per connection, so it shows how many connections the client opened) and the growth of
the kernel's ListenOverflows/ListenDrops counters (system-wide, /proc/net/netstat). _server.py
listens with a backlog of 64: a burst of 256 connects overflows it and each dropped SYN costs
its client a 1 s retransmission, so this script raises the server's backlog to
``--server-backlog`` (1024; 0 keeps _server.py's) for the server process it forks.

``--before SRC`` adds ``faststream C before``: the same async client from another source tree
(``SRC`` first on ``PYTHONPATH`` of its children, e.g. ``git archive``'s ``src`` of an older
commit with the compiled modules copied in), so a change is measured before and after in the
same rounds, each with its own async/sync ratio (the sync client is the current tree's).

Usage: ``python bench/e2e_async.py [--size-mb 1024] [--jsonl-mb 200] [--requests 5000]
[--in-flight 1,32,256] [--runs 5] [--only identity,jsonl,small] [--clients C,...]
[--loop asyncio|uvloop] [--before SRC] [--json out.json]``; ``--clients`` takes client names as
printed, e.g. ``--clients "faststream C,faststream sync"``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _server  # noqa: E402
import e2e  # noqa: E402

FS_C = "faststream C"
FS_PURE = "faststream pure"
FS_SYNC = "faststream sync"  # the sync Client, body workloads only: the async path's reference
FS_BEFORE = "faststream C before"  # FS_C from the tree given by --before
HTTPX = "httpx"
AIOHTTP = "aiohttp"
IMPLS = (FS_C, FS_PURE, FS_SYNC, HTTPX, AIOHTTP)
TIMEOUT = e2e.TIMEOUT
CHILD_TIMEOUT = e2e.CHILD_TIMEOUT
AIOHTTP_READ = 1 << 20  # iter_chunked(1 MiB): measured as fast as iter_any() or a bit faster
# issue 5's "Done when": (workload, minimum vs httpx, minimum vs aiohttp or None)
TARGETS: tuple[tuple[str, float, float | None], ...] = (
    ("small-32", 10.0, 1.0),
    ("identity", 2.0, None),
    ("jsonl", 3.0, None),
)


def _targets(args: argparse.Namespace) -> dict[str, str]:
    """Request targets by workload (e2e.py's, so the server's bodies are the same)."""
    ns = argparse.Namespace(size_mb=args.size_mb, jsonl_mb=args.jsonl_mb, chunk_kb=16)
    base = e2e._targets(ns)
    return {"identity": base["identity"], "jsonl": base["jsonl"], "small": base["small"]}


def _in_flight(workload: str) -> int:
    return int(workload.split("-", 1)[1]) if workload.startswith("small-") else 1


# --- probes ------------------------------------------------------------------------------------


def _listen_drops() -> int:
    """The kernel's TcpExt ListenOverflows + ListenDrops counters (system-wide), or -1."""
    try:
        lines = Path("/proc/net/netstat").read_text().splitlines()
    except OSError:
        return -1
    for names, values in zip(lines[::2], lines[1::2], strict=False):
        if names.startswith("TcpExt:"):
            table = dict(zip(names.split()[1:], values.split()[1:], strict=True))
            return int(table.get("ListenOverflows", 0)) + int(table.get("ListenDrops", 0))
    return -1


def _threads(pid: int) -> int:
    """Number of threads of process `pid` (Linux /proc), or -1."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("Threads:"):
                return int(line.split()[1])
    except OSError:
        pass
    return -1


class _Window:
    """Client CPU, server CPU and wall time over the timed window."""

    def __init__(self, server: _server.Server) -> None:
        self.server = server
        self.srv0 = server.cpu_times()
        self.cpu0 = time.process_time()
        self.t0 = time.perf_counter()

    def close(self, amount: float, nbytes: float) -> dict[str, float]:
        seconds = time.perf_counter() - self.t0
        cpu = time.process_time() - self.cpu0
        srv1 = self.server.cpu_times()
        result = {"amount": amount, "bytes": nbytes, "seconds": seconds, "cpu": cpu}
        if self.srv0 is not None and srv1 is not None:
            result["server_user"] = srv1[0] - self.srv0[0]
            result["server_sys"] = srv1[1] - self.srv0[1]
        else:
            result["server_user"] = result["server_sys"] = float("nan")
        result["server_cpu"] = result["server_user"] + result["server_sys"]
        return result


async def _drive(
    one: Callable[[], Awaitable[None]], n: int, total: int, server: _server.Server
) -> dict[str, float]:
    """`total` calls of `one` by `n` tasks; 2n warm-up calls first, outside the timing."""
    drops0 = _listen_drops()
    t0 = time.perf_counter()
    for _ in range(2):
        await asyncio.gather(*(one() for _ in range(n)))
    warmup = time.perf_counter() - t0
    drops1 = _listen_drops()
    left = total

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            await one()

    window = _Window(server)
    await asyncio.gather(*(worker() for _ in range(n)))
    result = window.close(total, 0)
    result["server_threads"] = _threads(server.pid)
    result["warmup_seconds"] = warmup
    result["listen_drops_warmup"] = drops1 - drops0
    result["listen_drops_timed"] = _listen_drops() - drops1
    return result


@contextlib.contextmanager
def _listen_backlog(backlog: int) -> Iterator[None]:
    """Make `socket.listen` use a backlog of at least `backlog` (0: unchanged) while the server
    process is forked inside; _server.py's 64 overflows on a burst of 256 connects."""
    if backlog <= 0:
        yield
        return
    original = socket.socket.listen  # inherited from _socket.socket

    def listen(self: Any, n: int = backlog, /) -> None:
        original(self, max(n, backlog))

    socket.socket.listen = listen  # type: ignore[method-assign]
    try:
        yield
    finally:
        del socket.socket.listen  # back to the inherited one


# --- the clients -------------------------------------------------------------------------------


def _async_client_class(module: Any) -> Any:
    """`faststream.AsyncClient` (or httpx's); before faststream exports it, the module's."""
    cls = getattr(module, "AsyncClient", None)
    if cls is None and module.__name__ == "faststream":
        cls = getattr(importlib.import_module("faststream._async_client"), "AsyncClient", None)
    return cls


async def _httpx_api(
    impl: str, workload: str, url: str, args: argparse.Namespace, server: _server.Server
) -> dict[str, float]:
    """faststream and httpx: the same code."""
    lib = e2e._lib(impl)  # checks _cstream.IMPLEMENTATION for the faststream twins
    n = _in_flight(workload)
    limits = lib.Limits(max_connections=n, max_keepalive_connections=n)
    async with _async_client_class(lib)(timeout=TIMEOUT, limits=limits) as client:
        if workload.startswith("small-"):

            async def one() -> None:
                response = await client.get(url)
                if response.status_code != 200:
                    raise ValueError(f"status {response.status_code}")

            return await _drive(one, n, args.requests, server)
        amount = 0
        window = _Window(server)
        async with client.stream("GET", url) as response:
            if workload == "jsonl":
                async for _ in response.aiter_lines():
                    amount += 1
            else:
                async for chunk in response.aiter_bytes():
                    amount += len(chunk)
            wire = response.num_bytes_downloaded
        return window.close(amount, wire)


def _sync_body(workload: str, url: str, server: _server.Server) -> dict[str, float]:
    """faststream's sync `Client` on a body workload: the reference for the async path."""
    lib = e2e._lib(FS_C)
    with lib.Client(timeout=TIMEOUT) as client:
        amount = 0
        window = _Window(server)
        with client.stream("GET", url) as response:
            if workload == "jsonl":
                for _ in response.iter_lines():
                    amount += 1
            else:
                for chunk in response.iter_bytes():
                    amount += len(chunk)
            wire = response.num_bytes_downloaded
        return window.close(amount, wire)


async def _aiohttp(
    workload: str, url: str, args: argparse.Namespace, server: _server.Server
) -> dict[str, float]:
    import aiohttp

    n = _in_flight(workload)
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=TIMEOUT, sock_read=TIMEOUT)
    connector = aiohttp.TCPConnector(limit=n)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        if workload.startswith("small-"):

            async def one() -> None:
                async with session.get(url) as response:
                    await response.read()
                    if response.status != 200:
                        raise ValueError(f"status {response.status}")

            return await _drive(one, n, args.requests, server)
        amount = 0
        window = _Window(server)
        async with session.get(url) as response:
            if workload == "jsonl":
                async for _ in response.content:  # lines, newline kept
                    amount += 1
            else:
                async for chunk in response.content.iter_chunked(AIOHTTP_READ):
                    amount += len(chunk)
            wire = response.content.total_bytes
        return window.close(amount, wire)


def _child(
    impl: str, workload: str, base_url: str, server_pid: int, args: argparse.Namespace
) -> dict[str, float]:
    url = base_url + _targets(args)[workload.split("-", 1)[0]]
    server = _server.Server(base_url, server_pid)
    if impl == FS_SYNC:
        e2e._lib(FS_C)
        baseline = e2e._peak_rss_mib()
        result = _sync_body(workload, url, server)
        result["rss_mib"] = e2e._peak_rss_mib()
        result["baseline_mib"] = baseline
        return result
    if impl == AIOHTTP:
        import aiohttp  # noqa: F401  (outside the RSS baseline, as the others)

        coro = _aiohttp(workload, url, args, server)
    else:
        if impl == FS_BEFORE:
            impl = FS_C  # the same client, imported from the --before tree
        _async_client_class(e2e._lib(impl))
        coro = _httpx_api(impl, workload, url, args, server)
    run: Callable[[Any], dict[str, float]] = asyncio.run
    if args.loop == "uvloop":
        import uvloop

        run = uvloop.run
    baseline = e2e._peak_rss_mib()
    result = run(coro)
    result["rss_mib"] = e2e._peak_rss_mib()
    result["baseline_mib"] = baseline
    return result


def _run_child(
    impl: str, workload: str, server: _server.Server, argv: list[str], before: Path | None = None
) -> dict[str, float]:
    env = dict(os.environ)
    for name in ("FASTSTREAM_REQUIRE_EXTENSIONS", "FASTSTREAM_NO_EXTENSIONS"):
        env.pop(name, None)
    env.pop("FASTSTREAM_INFLATE_BACKEND", None)
    if impl == FS_PURE:
        env["FASTSTREAM_NO_EXTENSIONS"] = "1"
    if impl == FS_BEFORE:
        assert before is not None
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(before), env.get("PYTHONPATH")]))
    command = [sys.executable, __file__, *argv, "--child", impl, workload, server.base_url]
    out = subprocess.run(
        [*command, str(server.pid)], env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT
    )
    if out.returncode != 0:
        raise SystemExit(f"{impl} / {workload} failed:\n{out.stderr}")
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# --- which clients, the report -----------------------------------------------------------------


def _available() -> tuple[list[str], list[str]]:
    """The clients that can run, and notes (versions; why a client is skipped)."""
    impls: list[str] = []
    notes: list[str] = []
    e2e._import_faststream()
    try:
        import _cstream
        import faststream

        cls = _async_client_class(faststream)
        if cls is None:
            raise ImportError("faststream._async_client has no AsyncClient")
        where = "faststream.AsyncClient"
        if not hasattr(faststream, "AsyncClient"):
            where = "faststream._async_client.AsyncClient (not exported yet)"
        impls += [FS_C, FS_PURE, FS_SYNC]
        notes.append(f"{where} ({cls.__module__}), _cstream {_cstream.IMPLEMENTATION}")
    except ImportError as exc:
        notes.append(f"note: faststream skipped: no AsyncClient ({exc})")
    for name, impl in (("httpx", HTTPX), ("aiohttp", AIOHTTP)):
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            notes.append(f"note: {name} skipped: not importable ({exc})")
            continue
        impls.append(impl)
        notes.append(f"{name} {module.__version__}")
    return impls, notes


def _spread(values: list[float]) -> float:
    """(max - min) / median, in percent."""
    return (max(values) - min(values)) / statistics.median(values) * 100


def _rate(run: dict[str, float], small: bool) -> float:
    """Requests per second, or body bytes per second (wire bytes for jsonl)."""
    return (run["amount"] if small else run["bytes"]) / run["seconds"]


def _report(
    results: dict[tuple[str, str], list[dict[str, float]]], impls: list[str], workloads: list[str]
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    all_impls = impls
    for workload in workloads:
        impls = [i for i in all_impls if (workload, i) in results]
        small = workload.startswith("small-")
        unit = "req/s" if small else "MB/s"
        scale = 1.0 if small else 1e6
        cpu_col = "CPU us/req" if small else "CPU s/GiB"
        if not small:
            amounts = {results[(workload, i)][0]["amount"] for i in impls}
            if len(amounts) != 1:
                raise SystemExit(f"{workload}: clients disagree on the amount: {amounts}")
        first = results[(workload, impls[0])][0]
        if workload == "identity":
            what = "aiter_bytes / iter_chunked(1 MiB)"
        elif workload == "jsonl":
            what = f"aiter_lines / line iteration, {int(first['amount'])} lines"
        else:
            what = f"{_in_flight(workload)} tasks, {_in_flight(workload)} connections"
        print(f"\n{workload}  ({what}; {unit}, median; client {cpu_col}; peak RSS MiB)")
        header = f"  {'client':<20} {unit:>10} {'spread':>7} {'vs httpx':>9} {'vs aiohttp':>10}"
        header += f" {cpu_col:>10} {'RSS':>6} {'server %core':>13}"
        header += f" {'srv thr':>7} {'drops w/t':>9}" if small else ""
        print(header)
        rates: dict[str, float] = {}
        for impl in impls:
            runs = results[(workload, impl)]
            rates[impl] = statistics.median(_rate(r, small) for r in runs) / scale
        for impl in impls:
            runs = results[(workload, impl)]
            spread = _spread([_rate(r, small) for r in runs])
            if small:
                cpu = statistics.median(r["cpu"] / r["amount"] for r in runs) * 1e6
            else:
                cpu = statistics.median(r["cpu"] / (r["bytes"] / 2**30) for r in runs)
            rss = statistics.median(r["rss_mib"] for r in runs)
            share = statistics.median(r["server_cpu"] / r["seconds"] for r in runs) * 100
            vs_httpx = rates[impl] / rates[HTTPX] if HTTPX in rates else float("nan")
            vs_aiohttp = rates[impl] / rates[AIOHTTP] if AIOHTTP in rates else float("nan")
            line = f"  {impl:<20} {rates[impl]:10.1f} {spread:6.0f}% {vs_httpx:8.2f}x"
            line += f" {vs_aiohttp:9.2f}x {cpu:10.{2 if small else 3}f} {rss:6.1f} {share:12.0f}%"
            row: dict[str, Any] = {
                "workload": workload,
                "impl": impl,
                "unit": unit,
                "median": rates[impl],
                "spread_pct": spread,
                "vs_httpx": vs_httpx,
                "vs_aiohttp": vs_aiohttp,
                "cpu_us_per_request" if small else "cpu_s_per_gib": cpu,
                "peak_rss_mib": rss,
                "baseline_rss_mib": statistics.median(r["baseline_mib"] for r in runs),
                "server_core_share": share / 100,
                "runs": runs,
            }
            if small:
                threads = max(int(r["server_threads"]) for r in runs)
                warm = sum(int(r["listen_drops_warmup"]) for r in runs)
                timed = sum(int(r["listen_drops_timed"]) for r in runs)
                line += f" {threads:7d} {f'{warm}/{timed}':>9}"
                row["server_threads_max"] = threads
                row["listen_drops_warmup"] = warm
                row["listen_drops_timed"] = timed
            print(line)
            rows.append(row)
        for async_impl in (FS_BEFORE, FS_C):
            if async_impl not in rates or FS_SYNC not in rates:
                continue
            async_cpu, sync_cpu = (
                statistics.median(r["cpu"] / (r["bytes"] / 2**30) for r in results[(workload, i)])
                for i in (async_impl, FS_SYNC)
            )
            print(
                f"  {async_impl} async / sync: rate {rates[async_impl] / rates[FS_SYNC]:.3f}x, "
                f"CPU per GiB {async_cpu / sync_cpu:.3f}x"
            )
    return rows


def _check_targets(rows: list[dict[str, Any]], args: argparse.Namespace) -> list[dict[str, Any]]:
    """Print issue 5's targets for faststream C next to the measured ratios."""
    by_key = {(r["workload"], r["impl"]): r for r in rows}
    checks: list[dict[str, Any]] = []
    lines: list[str] = []
    for workload, min_httpx, min_aiohttp in TARGETS:
        row = by_key.get((workload, FS_C))
        if row is None:
            continue
        goal = f">= {min_httpx:g}x httpx" + (
            f" and >= {min_aiohttp:g}x aiohttp" if min_aiohttp is not None else ""
        )
        ok = row["vs_httpx"] >= min_httpx
        got = f"{row['vs_httpx']:.2f}x httpx"
        if min_aiohttp is not None:
            ok = ok and row["vs_aiohttp"] >= min_aiohttp
            got += f", {row['vs_aiohttp']:.2f}x aiohttp"
        sized = {"identity": args.size_mb != 1024, "jsonl": args.jsonl_mb != 200}.get(workload)
        caveat = " (not the target's size)" if sized else ""
        lines.append(f"  {workload:<9} {goal:<34} {got:<30} {'met' if ok else 'NOT met'}{caveat}")
        checks.append({"workload": workload, "goal": goal, "met": ok, "measured": got})
    if lines:
        print("\nissue 5 targets (faststream C):")
        print("\n".join(lines))
    return checks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="identity body (MiB)")
    parser.add_argument("--jsonl-mb", type=int, default=200, help="JSONL body (MiB)")
    parser.add_argument("--requests", type=int, default=5000, help="small keep-alive requests")
    parser.add_argument("--in-flight", default="1,32,256", help="concurrent small requests")
    parser.add_argument("--runs", type=int, default=5, help="runs per case (median)")
    parser.add_argument("--only", default="identity,jsonl,small", help="subset of those")
    parser.add_argument(
        "--server-backlog", type=int, default=1024, help="server listen backlog (0: _server's)"
    )
    parser.add_argument("--clients", default=",".join(IMPLS), help="subset of the clients")
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    parser.add_argument(
        "--before", type=Path, default=None, help="another tree's src: 'faststream C before'"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        impl, workload, base_url, pid = args.child
        print(json.dumps(_child(impl, workload, base_url, int(pid), args)))
        return 0
    try:
        in_flight = [int(n) for n in args.in_flight.split(",") if n.strip()]
    except ValueError:
        parser.error("--in-flight takes comma-separated integers")
    workloads: list[str] = []
    for name in (w.strip() for w in args.only.split(",") if w.strip()):
        if name == "small":
            workloads += [f"small-{n}" for n in in_flight]
        elif name in ("identity", "jsonl") or (
            name.startswith("small-") and name[6:].isdigit() and int(name[6:]) > 0
        ):
            workloads.append(name)
        else:
            parser.error(f"unknown workload {name!r}: identity, jsonl, small, small-N")
    if args.runs < 1 or args.size_mb < 1 or args.jsonl_mb < 1 or args.requests < 1:
        parser.error("--runs, --size-mb, --jsonl-mb and --requests must be positive")
    if not in_flight or min(in_flight) < 1:
        parser.error("--in-flight takes positive integers")

    chosen = [c.strip() for c in args.clients.split(",") if c.strip()]
    if not chosen or set(chosen) - set(IMPLS):
        parser.error(f"--clients takes names among {', '.join(IMPLS)}")
    impls, notes = _available()
    impls = [i for i in impls if i in chosen]
    if args.before is not None:
        if not (args.before / "faststream" / "__init__.py").is_file():
            parser.error(f"--before {args.before}: no faststream package there")
        impls.insert(impls.index(FS_C) + 1 if FS_C in impls else 0, FS_BEFORE)
        notes.append(f"{FS_BEFORE}: {args.before}")
    for note in notes:
        if note.startswith("note:"):
            print(note)
    print(
        f"faststream async e2e benchmark: Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, {'uvloop' if args.loop == 'uvloop' else 'asyncio default loop'}; "
        + "; ".join(n for n in notes if not n.startswith("note:"))
    )
    print(
        f"identity {args.size_mb} MiB, JSONL {args.jsonl_mb} MiB, {args.requests} small requests "
        f"at {','.join(str(_in_flight(w)) for w in workloads if w.startswith('small-')) or '-'} "
        f"in flight, median of {args.runs} runs; connection limit N = in "
        "flight: faststream/httpx Limits(max_connections=N, max_keepalive_connections=N), "
        "aiohttp TCPConnector(limit=N); server listen backlog "
        + (f"raised to {args.server_backlog}" if args.server_backlog else "as in _server.py")
    )
    if not impls:
        print("no client to measure")
        return 1
    child_argv = [
        f"--size-mb={args.size_mb}",
        f"--jsonl-mb={args.jsonl_mb}",
        f"--requests={args.requests}",
        f"--loop={args.loop}",
    ]
    targets = _targets(args)
    preload = sorted({targets[w] for w in workloads if not w.startswith("small")})
    results: dict[tuple[str, str], list[dict[str, float]]] = {}
    with contextlib.ExitStack() as stack:
        with _listen_backlog(args.server_backlog):
            server = stack.enter_context(_server.serve(preload=preload))
        for r in range(args.runs):
            print(f"run {r + 1}/{args.runs} ...", file=sys.stderr, flush=True)
            order = impls[r % len(impls) :] + impls[: r % len(impls)]
            for workload in workloads:
                for impl in order:
                    if impl == FS_SYNC and workload.startswith("small-"):
                        continue  # no concurrency in a sync client
                    res = _run_child(impl, workload, server, child_argv, args.before)
                    results.setdefault((workload, impl), []).append(res)
    rows = _report(results, impls, workloads)
    checks = _check_targets(rows, args)
    print(
        "\nspread: (max - min) / median of the runs' rates; server %core: server CPU seconds / "
        "timed seconds (100% = the server saturates a core);\nsrv thr: the server's threads "
        "at the end of the timing (one per open connection + 1); drops: growth of the kernel's "
        "ListenOverflows + ListenDrops in the warm-ups / in the timed windows, all runs "
        "(system-wide)"
    )
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"rows": rows, "targets": checks}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
