"""faststream vs its peers (pycurl, pyreqwest, httpx) and the limits, one server, one run.

Usage: ``python bench/peers.py [--size-mb 1024] [--jsonl-mb 200] [--requests 5000] [--runs 5]
[--only small,small-32,...] [--server auto|nginx|python] [--json out.json]``.

Which server serves which row, and why (the server's CPU share is printed for every case, so
a saturated server shows):

* ``identity``, ``chunked``, ``identity-async`` -- bench/_server.py with ``sendfile=True``,
  one process for the three rows, in every mode: each body is framed ahead of time (the chunk
  size lines and CRLFs included) into a 4 MiB memfd sent again and again with
  ``os.sendfile``, so the kernel moves the pages and the server spends almost no CPU on
  either framing: the chunked row and the identity row it is compared with measure the
  clients, not the server. nginx cannot serve chunked cheaply: it frames chunked output only
  through a body filter (SSI here) that reads the file and writes each buffer, and saturated
  its core near 1.1 GB/s for every client, below what the clients reach on identity.
* every other row -- nginx (bench/_nginx.py: one worker, keep-alive, sendfile,
  pre-compressed bodies) when it is installed, else bench/_server.py (it has no brotli
  body) and bench/_small_server.py (a uvloop raw protocol) for small requests: at small
  request rates the Python server saturates its core before the fastest clients do.

Each case runs in a child process of its own; cases are interleaved round-robin over ``--runs``
rounds and the tables give medians. Client CPU (all threads: pyreqwest's runtime thread
included) and the server worker's CPU are measured per case.

Workloads and what each client does:

* ``small`` -- ``--requests`` sequential GETs of a 1 KiB body on one keep-alive connection:
  faststream/httpx ``Client.get``; pycurl one ``Curl`` handle reused (its connection cache keeps
  the connection), a write callback that counts bytes; pyreqwest ``SyncClient`` ``send()``
  (body read); the limit: a hand-written request and head parse on a raw socket.
* ``small-32`` / ``small-256`` -- the same requests, N in flight on N connections:
  faststream/httpx ``AsyncClient`` (asyncio, ``Limits(max_connections=N)``) with N tasks;
  pycurl ``CurlMulti`` with N easy handles re-added as they finish; pyreqwest ``Client``
  (``max_connections(N)``) with N tasks. 2N warm-up requests open the connections untimed.
* ``identity`` / ``chunked`` -- ``--size-mb`` MiB with Content-Length / in 16 KiB chunks:
  faststream/httpx ``iter_bytes()``; pycurl a write callback counting bytes (512 KiB
  ``BUFFERSIZE``); pyreqwest ``body_reader.read_chunk()``; the limit (identity only):
  ``recv_into`` a reused 1 MiB buffer.
* ``gzip`` / ``br`` / ``zstd`` -- ``--jsonl-mb`` of JSONL sent gzip- / brotli- / zstd-encoded;
  every client decodes (faststream with its default backend, pycurl via libcurl's decoders,
  pyreqwest via reqwest's, httpx via its own); the limit is in memory: the fastest zlib
  module's (isal, zlib-ng, zlib), brotli's or faststream's zstd library's (the stdlib's
  ``compression.zstd``, ``backports.zstd``, zstandard) streaming decoder over the compressed
  file in 16 KiB pieces. zstd is a measurement row without a goal: a pycurl whose libcurl was
  built without zstd, and httpx without zstandard, cannot decode it and are skipped (noted).
* ``jsonl`` -- that JSONL, lines counted: faststream/httpx ``iter_lines()`` (a ``str`` per
  line); pycurl and pyreqwest split each received piece with ``bytes.split(b"\\n")`` carrying
  the partial last line (a ``bytes`` per line, no decoding: less work than a ``str``); the
  limit counts newlines in the receive buffer.
* ``identity-async`` -- ``identity`` with ``AsyncClient.stream``/``aiter_bytes()`` and
  pyreqwest's async reader (pycurl has no async API here).

Every client must report the same decoded byte count (lines for ``jsonl``) or the run stops.
The last table prints the ratios the performance goals are stated in.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _data  # noqa: E402
import _nginx  # noqa: E402
import _server  # noqa: E402
import _small_server  # noqa: E402
import e2e  # noqa: E402

LIMIT = "limit"
FS = "faststream C"
HTTPX = "httpx"
PYCURL = "pycurl"
PYREQWEST = "pyreqwest"
IMPLS = (LIMIT, FS, PYCURL, PYREQWEST, HTTPX)
WORKLOADS: dict[str, str] = {
    "small": "req/s",
    "small-32": "req/s",
    "small-256": "req/s",
    "identity": "MB/s",
    "chunked": "MB/s",
    "gzip": "MB/s",
    "br": "MB/s",
    "zstd": "MB/s",
    "jsonl": "Mlines/s",
    "identity-async": "MB/s",
}
# which clients run which workload (the limit has no chunked or concurrent variant here)
RUNS: dict[str, tuple[str, ...]] = {
    "small": IMPLS,
    "small-32": (FS, PYCURL, PYREQWEST, HTTPX),
    "small-256": (FS, PYCURL, PYREQWEST, HTTPX),
    "identity": IMPLS,
    "chunked": (FS, PYCURL, PYREQWEST, HTTPX),
    "gzip": IMPLS,
    "br": IMPLS,
    "zstd": IMPLS,
    "jsonl": IMPLS,
    "identity-async": (FS, PYREQWEST, HTTPX),
}
TIMEOUT = e2e.TIMEOUT
nan = float("nan")
CURL_BUFFER = 512 * 1024
# compressed bytes per decoder call for the in-memory limits: ~5:1 on this JSONL, so each
# output stays under glibc's 128 KiB mmap threshold (larger outputs can be mmapped and faulted
# in afresh on every call, doubling the decoder's CPU depending on the allocator's history)
PIECE = 16 * 1024


def _in_flight(workload: str) -> int:
    return int(workload.split("-")[1]) if workload.startswith("small-") else 1


# the rows whose bodies every client decodes (the limit: the decoder alone, in memory)
DECODED = ("gzip", "br", "zstd")
# the rows served by bench/_server.py's sendfile server whatever the other rows' server is
STREAMED = ("identity", "chunked", "identity-async")


def _targets(kind: str, args: argparse.Namespace) -> dict[str, str]:
    size = args.size_mb * 2**20
    targets = e2e._targets(args)
    streamed = {
        "identity": f"/identity?size={size}",
        "chunked": targets["chunked"],
        "identity-async": f"/identity?size={size}",
    }
    if kind == "nginx":
        return {w: "/" + w.split("-")[0] for w in WORKLOADS} | streamed
    return {
        "small": "/small",
        "small-32": "/small",
        "small-256": "/small",
        "gzip": targets["gzip-fast"],
        "jsonl": targets["jsonl"],
    } | streamed


# --- the limits --------------------------------------------------------------------------


def _limit(workload: str, url: str, base_url: str, args: argparse.Namespace) -> dict[str, float]:
    if workload in DECODED:
        return _decode_in_memory(workload, args)
    result = e2e._raw(workload, url, base_url, args)
    if workload == "small":
        result["bytes"] = -1.0  # the raw loop does not count bytes; it reads Content-Length
    return result


def _brotli() -> Any:
    try:
        import brotli
    except ImportError:
        import brotlicffi as brotli
    return brotli


def _zstd_step() -> Callable[[Any], bytes]:
    """A new streaming zstd decompressor's `decompress` (one frame: the file is one)."""
    d = _nginx.zstd_module().ZstdDecompressor()
    if hasattr(d, "decompressobj"):  # zstandard: the streaming object is separate
        return cast(Callable[[Any], bytes], d.decompressobj().decompress)
    return cast(Callable[[Any], bytes], d.decompress)


def _cannot(impl: str, workload: str) -> str | None:
    """Why `impl` cannot decode `workload`'s body here (it would count compressed bytes)."""
    if workload != "zstd":
        return None
    if impl == PYCURL:
        import pycurl

        if not pycurl.version_info()[4] & pycurl.VERSION_ZSTD:
            return "pycurl's libcurl was built without zstd: no pycurl zstd row"
    elif impl == HTTPX and importlib.util.find_spec("zstandard") is None:
        return "httpx decodes zstd only with zstandard installed: no httpx zstd row"
    return None


def _decode_in_memory(workload: str, args: argparse.Namespace) -> dict[str, float]:
    """The decoder alone over the compressed body in PIECE-sized inputs, timed on the second
    of two passes: the first grows the heap (fresh pages fault in on first touch, which a
    long-lived client has already paid)."""
    if workload == "gzip":
        data = _data.gzipped(args.jsonl_mb)
    elif workload == "br":
        data = _nginx.brotli_file(args.jsonl_mb).read_bytes()
    else:
        data = _nginx.zstd_file(args.jsonl_mb).read_bytes()
    view = memoryview(data)
    for _ in range(2):
        if workload == "gzip":
            step: Callable[[Any], bytes] = e2e._fast_zlib().decompressobj(31).decompress
        elif workload == "br":
            step = _brotli().Decompressor().process
        else:
            step = _zstd_step()
        t0 = time.perf_counter()
        cpu0 = time.process_time()
        total = 0
        for i in range(0, len(data), PIECE):
            total += len(step(view[i : i + PIECE]))
        seconds = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
    return {"amount": total, "bytes": total, "seconds": seconds, "cpu": cpu}


# --- faststream and httpx (the same code: faststream has httpx's API) ----------------------


def _stream_kind(workload: str) -> str:
    """e2e._client's workload name: it reads lines for jsonl, requests for small, else bytes."""
    return workload if workload in ("small", "jsonl") else "identity"


async def _drive(one: Callable[[], Awaitable[int]], total: int, n: int) -> int:
    """Run `total` calls of `one` from `n` tasks; return the body bytes they report."""
    left = total
    got = 0

    async def worker() -> None:
        nonlocal left, got
        while left > 0:
            left -= 1
            size = await one()  # not `got += await ...`: that reads `got` before the await
            got += size

    await asyncio.gather(*(worker() for _ in range(n)))
    return got


async def _httpx_async(
    impl: str, workload: str, url: str, args: argparse.Namespace
) -> dict[str, float]:
    httpx = e2e._lib(impl)
    n = _in_flight(workload)
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(timeout=TIMEOUT, limits=limits) as client:
        if workload == "identity-async":
            t0 = time.perf_counter()
            amount = 0
            async with client.stream("GET", url) as response:
                async for chunk in response.aiter_bytes():
                    amount += len(chunk)
            return {"amount": amount, "bytes": amount, "seconds": time.perf_counter() - t0}

        async def one() -> int:
            response = await client.get(url)
            if response.status_code != 200:
                raise ValueError(f"status {response.status_code}")
            return len(response.content)

        await _drive(one, 2 * n, n)
        t0 = time.perf_counter()
        nbytes = await _drive(one, args.requests, n)
        return {"amount": args.requests, "bytes": nbytes, "seconds": time.perf_counter() - t0}


def _httpx_api(impl: str, workload: str, url: str, base_url: str, args: argparse.Namespace) -> Any:
    if workload in ("small-32", "small-256", "identity-async"):
        return asyncio.run(_httpx_async(impl, workload, url, args))
    result = e2e._client(impl, _stream_kind(workload), url, base_url, args)
    if workload == "small":
        result["bytes"] = -1.0  # Client.get reads the body; e2e's loop checks only the status
    return result


# --- pycurl --------------------------------------------------------------------------------


def _pycurl(workload: str, url: str, args: argparse.Namespace) -> dict[str, float]:
    import pycurl

    if workload in ("small-32", "small-256"):
        return _pycurl_multi(url, _in_flight(workload), args)
    curl = pycurl.Curl()
    curl.setopt(pycurl.URL, url)
    curl.setopt(pycurl.TIMEOUT, int(TIMEOUT * 10))
    curl.setopt(pycurl.TCP_NODELAY, 1)
    nbytes = 0

    def count(data: bytes) -> None:
        nonlocal nbytes
        nbytes += len(data)

    if workload == "small":
        curl.setopt(pycurl.WRITEFUNCTION, count)
        curl.perform()  # open the connection outside the timing
        nbytes = 0
        t0 = time.perf_counter()
        for _ in range(args.requests):
            curl.perform()
            if curl.getinfo(pycurl.RESPONSE_CODE) != 200:
                raise ValueError(f"status {curl.getinfo(pycurl.RESPONSE_CODE)}")
        seconds = time.perf_counter() - t0
        curl.close()
        return {"amount": args.requests, "bytes": nbytes, "seconds": seconds}

    curl.setopt(pycurl.BUFFERSIZE, CURL_BUFFER)
    if workload in DECODED:
        curl.setopt(pycurl.ACCEPT_ENCODING, "")  # every encoding libcurl decodes
    lines = 0
    carry = b""

    def split(data: bytes) -> None:
        nonlocal lines, carry
        parts = (carry + data).split(b"\n")
        carry = parts.pop()
        lines += len(parts)

    curl.setopt(pycurl.WRITEFUNCTION, split if workload == "jsonl" else count)
    t0 = time.perf_counter()
    curl.perform()
    seconds = time.perf_counter() - t0
    if curl.getinfo(pycurl.RESPONSE_CODE) != 200:
        raise ValueError(f"status {curl.getinfo(pycurl.RESPONSE_CODE)}")
    if workload == "jsonl":
        wire = int(curl.getinfo(pycurl.SIZE_DOWNLOAD))
        curl.close()
        return {"amount": lines + bool(carry), "bytes": wire, "seconds": seconds}
    curl.close()
    return {"amount": nbytes, "bytes": nbytes, "seconds": seconds}


def _pycurl_multi(url: str, n: int, args: argparse.Namespace) -> dict[str, float]:
    import pycurl

    multi = pycurl.CurlMulti()
    nbytes = 0

    def count(data: bytes) -> None:
        nonlocal nbytes
        nbytes += len(data)

    handles = []
    for _ in range(n):
        curl = pycurl.Curl()
        curl.setopt(pycurl.URL, url)
        curl.setopt(pycurl.TCP_NODELAY, 1)
        curl.setopt(pycurl.WRITEFUNCTION, count)
        handles.append(curl)

    def run(total: int) -> None:
        started = done = 0
        for curl in handles[:total]:
            multi.add_handle(curl)
            started += 1
        deadline = time.monotonic() + TIMEOUT * 10
        while done < total:
            while multi.perform()[0] == pycurl.E_CALL_MULTI_PERFORM:
                pass
            while True:
                queued, ok, failed = multi.info_read()
                if failed:
                    raise ConnectionError(f"pycurl: {failed[0][1:]}")
                for curl in ok:
                    if curl.getinfo(pycurl.RESPONSE_CODE) != 200:
                        raise ValueError(f"status {curl.getinfo(pycurl.RESPONSE_CODE)}")
                    multi.remove_handle(curl)
                    done += 1
                    if started < total:
                        multi.add_handle(curl)
                        started += 1
                if not queued:
                    break
            if done < total:
                if time.monotonic() > deadline:
                    raise TimeoutError("pycurl multi loop")
                multi.select(1.0)

    run(2 * n)
    nbytes = 0
    t0 = time.perf_counter()
    run(args.requests)
    seconds = time.perf_counter() - t0
    for curl in handles:
        curl.close()
    multi.close()
    return {"amount": args.requests, "bytes": nbytes, "seconds": seconds}


# --- pyreqwest -----------------------------------------------------------------------------


def _pyreqwest(workload: str, url: str, args: argparse.Namespace) -> dict[str, float]:
    if workload in ("small-32", "small-256", "identity-async"):
        return asyncio.run(_pyreqwest_async(workload, url, args))
    from pyreqwest.client import SyncClientBuilder

    client = SyncClientBuilder().timeout(timedelta(seconds=TIMEOUT * 10)).build()
    with client:
        if workload == "small":
            client.get(url).build().send().bytes()  # open the connection outside the timing
            nbytes = 0
            t0 = time.perf_counter()
            for _ in range(args.requests):
                response = client.get(url).build().send()
                if response.status != 200:
                    raise ValueError(f"status {response.status}")
                nbytes += len(response.bytes())
            seconds = time.perf_counter() - t0
            return {"amount": args.requests, "bytes": nbytes, "seconds": seconds}
        amount = wire = 0
        carry = b""
        t0 = time.perf_counter()
        with client.get(url).build_streamed() as response:
            if response.status != 200:
                raise ValueError(f"status {response.status}")
            reader = response.body_reader
            while (chunk := reader.read_chunk()) is not None:
                if workload == "jsonl":
                    wire += len(chunk)
                    parts = (carry + bytes(chunk)).split(b"\n")
                    carry = parts.pop()
                    amount += len(parts)
                else:
                    amount += len(chunk)
        seconds = time.perf_counter() - t0
    if workload == "jsonl":
        return {"amount": amount + bool(carry), "bytes": wire, "seconds": seconds}
    return {"amount": amount, "bytes": amount, "seconds": seconds}


async def _pyreqwest_async(workload: str, url: str, args: argparse.Namespace) -> dict[str, float]:
    from pyreqwest.client import ClientBuilder

    n = _in_flight(workload)
    builder = ClientBuilder().timeout(timedelta(seconds=TIMEOUT * 10))
    async with builder.max_connections(n).build() as client:
        if workload == "identity-async":
            amount = 0
            t0 = time.perf_counter()
            async with client.get(url).build_streamed() as response:
                reader = response.body_reader
                while (chunk := await reader.read_chunk()) is not None:
                    amount += len(chunk)
            return {"amount": amount, "bytes": amount, "seconds": time.perf_counter() - t0}

        async def one() -> int:
            response = await client.get(url).build().send()
            if response.status != 200:
                raise ValueError(f"status {response.status}")
            return len(await response.bytes())

        await _drive(one, 2 * n, n)
        t0 = time.perf_counter()
        nbytes = await _drive(one, args.requests, n)
        return {"amount": args.requests, "bytes": nbytes, "seconds": time.perf_counter() - t0}


# --- the parent ----------------------------------------------------------------------------


def _child(impl: str, workload: str, base_url: str, args: argparse.Namespace) -> dict[str, float]:
    url = base_url + _targets(args.server_kind, args)[workload]
    run: Callable[[], dict[str, float]]
    if impl == LIMIT:
        e2e._fast_zlib()  # imports outside the timing
        _brotli()
        if workload == "zstd":
            _nginx.zstd_module()
        run = lambda: _limit(workload, url, base_url, args)  # noqa: E731
    elif impl in (FS, HTTPX):
        e2e._lib(impl)
        run = lambda: _httpx_api(impl, workload, url, base_url, args)  # noqa: E731
    elif impl == PYCURL:
        run = lambda: _pycurl(workload, url, args)  # noqa: E731
    else:
        run = lambda: _pyreqwest(workload, url, args)  # noqa: E731
    cpu0 = time.process_time()
    result = run()
    result.setdefault("cpu", time.process_time() - cpu0)
    return result


def _run_child(
    impl: str, workload: str, server: Any, argv: list[str], timeout: float
) -> dict[str, float]:
    env = dict(os.environ)
    for name in ("FASTSTREAM_NO_EXTENSIONS", "FASTSTREAM_INFLATE_BACKEND"):
        env.pop(name, None)
    cpu0 = server.cpu_times()
    wait0 = _nginx.run_queue_wait(server.pid)
    out = subprocess.run(
        [sys.executable, __file__, *argv, "--child", impl, workload, server.base_url],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if out.returncode != 0:
        raise SystemExit(f"{impl} / {workload} failed:\n{out.stderr}")
    cpu1 = server.cpu_times()
    wait1 = _nginx.run_queue_wait(server.pid)
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    result["server_wait"] = (
        wait1 - wait0 if wait0 is not None and wait1 is not None else float("nan")
    )
    result["server_cpu"] = (
        sum(cpu1) - sum(cpu0) if cpu0 is not None and cpu1 is not None else float("nan")
    )
    return result


def _available(impls: tuple[str, ...]) -> tuple[list[str], list[str]]:
    have, notes = [], []
    for impl, module in ((PYCURL, "pycurl"), (PYREQWEST, "pyreqwest"), (HTTPX, "httpx")):
        try:
            __import__(module)
        except ImportError:
            notes.append(f"{impl} not installed: its rows are skipped")
            continue
        have.append(impl)
    e2e._import_faststream()
    import _cstream

    if _cstream.IMPLEMENTATION != "c":
        notes.append("faststream's compiled core is not built: faststream C rows are skipped")
    else:
        have.append(FS)
    return [i for i in impls if i in have or i == LIMIT], notes


def _report(
    results: dict[tuple[str, str], list[dict[str, float]]], workloads: list[str]
) -> tuple[list[dict[str, Any]], dict[tuple[str, ...], float]]:
    rows: list[dict[str, Any]] = []
    rates: dict[tuple[str, ...], float] = {}
    cpus: dict[tuple[str, ...], float] = {}
    for workload in workloads:
        unit = WORKLOADS[workload]
        scale = {"MB/s": 1e6, "Mlines/s": 1e6, "req/s": 1.0}[unit]
        small = unit == "req/s"
        impls = [i for i in RUNS[workload] if (workload, i) in results]
        for impl in impls:
            runs = results[(workload, impl)]
            rates[(workload, impl)] = (
                statistics.median(r["amount"] / r["seconds"] for r in runs) / scale
            )
            if small:
                cpus[(workload, impl)] = statistics.median(r["cpu"] / r["amount"] for r in runs)
            else:
                cpus[(workload, impl)] = statistics.median(
                    r["cpu"] / (r["bytes"] / 2**30) for r in runs
                )
        cpu_col = "CPU us/req" if small else "CPU s/GiB"
        print(f"\n{workload}  ({unit}; client {cpu_col}; server = the server worker's CPU share)")
        print(
            f"  {'client':<14} {unit:>10} {'vs fs':>7} {cpu_col:>11} {'server %core':>13}"
            f" {'srv wait':>9}"
        )
        base = rates.get((workload, FS))
        for impl in impls:
            runs = results[(workload, impl)]
            rate = rates[(workload, impl)]
            cpu = cpus[(workload, impl)] * (1e6 if small else 1.0)
            share = statistics.median(r["server_cpu"] / r["seconds"] for r in runs) * 100
            wait = statistics.median(r.get("server_wait", nan) / r["seconds"] for r in runs) * 100
            vs = rate / base if base else float("nan")
            note = " (in memory)" if impl == LIMIT and workload in DECODED else ""
            print(
                f"  {impl:<14} {rate:10.2f} {vs:6.2f}x {cpu:11.3f} {share:12.0f}%"
                f" {wait:8.0f}%{note}"
            )
            rows.append(
                {
                    "workload": workload,
                    "impl": impl,
                    "unit": unit,
                    "median": rate,
                    "cpu_us_per_request" if small else "cpu_s_per_gib": cpu,
                    "server_core_share": share / 100,
                    "server_run_queue_wait_share": wait / 100,
                    "runs": runs,
                }
            )
    table: dict[tuple[str, ...], float] = {("cpu", *k): v for k, v in cpus.items()}
    table.update(rates)
    return rows, table


# (label, numerator (workload, impl), denominator (workload, impl), goal; None: measured only)
RATIOS: tuple[tuple[str, tuple[str, str], tuple[str, str], float | None], ...] = (
    ("small sequential vs pycurl", ("small", FS), ("small", PYCURL), 1.05),
    ("32 in flight vs pyreqwest", ("small-32", FS), ("small-32", PYREQWEST), 1.6),
    ("256 in flight vs pyreqwest", ("small-256", FS), ("small-256", PYREQWEST), 1.3),
    ("JSONL iter_lines vs pyreqwest", ("jsonl", FS), ("jsonl", PYREQWEST), 1.45),
    ("gzip vs in-memory fast inflate", ("gzip", FS), ("gzip", LIMIT), 0.90),
    ("brotli vs pycurl", ("br", FS), ("br", PYCURL), 0.95),
    ("zstd vs in-memory zstd", ("zstd", FS), ("zstd", LIMIT), None),
    ("zstd vs pyreqwest", ("zstd", FS), ("zstd", PYREQWEST), None),
    ("chunked vs identity", ("chunked", FS), ("identity", FS), 0.90),
    ("async identity vs sync identity", ("identity-async", FS), ("identity", FS), 0.95),
    ("identity vs raw recv_into", ("identity", FS), ("identity", LIMIT), 0.95),
)


def _ratios(table: dict[tuple[str, ...], float]) -> list[dict[str, Any]]:
    # "by CPU": the same ratio from client CPU per request / per GiB instead of wall time;
    # steadier than the rates when other processes share the cores
    print("\nfaststream's ratios (goal: at least; rate ratio, then the same from client CPU)")
    out: list[dict[str, Any]] = []
    for label, num, den, goal in RATIOS:
        if num not in table or den not in table:
            print(f"  {label:<34} n/a (not measured)")
            continue
        ratio = table[num] / table[den]
        by_cpu = table[("cpu",) + den] / table[("cpu",) + num]
        if goal is None:
            print(f"  {label:<34} {ratio:6.2f}x  {'(no goal)':<17}  by CPU {by_cpu:5.2f}x")
        else:
            verdict = "meets" if ratio >= goal else "below"
            print(
                f"  {label:<34} {ratio:6.2f}x  goal {goal:.2f}x  {verdict:<5}"
                f"  by CPU {by_cpu:5.2f}x"
            )
        out.append({"ratio": label, "value": ratio, "by_cpu": by_cpu, "goal": goal})
    key = ("cpu", "small", FS)
    if key in table:
        us = table[key] * 1e6
        print(
            f"  {'small sequential client CPU':<34} {us:6.1f} us/req  goal <= 40  "
            + ("meets" if us <= 40 else "above")
        )
        out.append({"ratio": "small sequential CPU us/req", "value": us, "goal": 40.0})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="identity/chunked body (MiB)")
    parser.add_argument("--jsonl-mb", type=int, default=200, help="JSONL: plain, gzip, brotli")
    parser.add_argument("--chunk-kb", type=int, default=16, help="chunk size of /chunked (KiB)")
    parser.add_argument("--requests", type=int, default=5000, help="small requests per case")
    parser.add_argument("--runs", type=int, default=5, help="rounds (median)")
    parser.add_argument("--only", default=",".join(WORKLOADS), help=f"subset of {list(WORKLOADS)}")
    parser.add_argument("--server", choices=("auto", "nginx", "python"), default="auto")
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    parser.add_argument("--server-kind", default="nginx", help=argparse.SUPPRESS)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        impl, workload, base_url = args.child
        print(json.dumps(_child(impl, workload, base_url, args)), flush=True)
        # pyreqwest's runtime thread can abort the interpreter's finalization (a GIL state
        # error after an async streamed response); the result is out, so skip finalization
        os._exit(0)
    workloads = [w.strip() for w in args.only.split(",") if w.strip()]
    unknown = set(workloads) - set(WORKLOADS)
    if unknown:
        parser.error(f"unknown workloads: {sorted(unknown)}")
    if min(args.runs, args.size_mb, args.jsonl_mb, args.requests, args.chunk_kb) < 1:
        parser.error("--runs, --size-mb, --jsonl-mb, --requests and --chunk-kb must be positive")
    kind = args.server
    if kind == "auto":
        kind = "nginx" if _nginx.available() else "python"
    for name in ("br", "zstd"):
        if kind == "python" and name in workloads:
            workloads.remove(name)
            print(f"note: bench/_server.py has no {name} body: the {name} rows need nginx")
    if "zstd" in workloads:
        try:
            _nginx.zstd_module()
        except RuntimeError:
            workloads.remove("zstd")
            print("note: no zstd library (pip install faststream-http[zstd]): no zstd rows")
    small_uvloop = kind == "python" and importlib.util.find_spec("uvloop") is not None
    if kind == "python":
        print(
            "note: no nginx: bodies from bench/_server.py, small requests from "
            + ("bench/_small_server.py (uvloop)" if small_uvloop else "bench/_server.py")
        )
    impls, notes = _available(IMPLS)
    skipped = set()
    for workload in workloads:
        for impl in RUNS[workload]:
            reason = _cannot(impl, workload) if impl in impls else None
            if reason is not None:
                skipped.add((workload, impl))
                notes.append(reason)
    for note in notes:
        print(f"note: {note}")
    print(
        f"faststream vs peers: Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"server {kind} ({', '.join(STREAMED)}: bench/_server.py, os.sendfile), "
        f"identity/chunked {args.size_mb} MiB (chunks {args.chunk_kb} KiB), "
        f"JSONL {args.jsonl_mb} MiB, {args.requests} small requests, median of {args.runs} runs, "
        f"in-memory inflate {e2e._fast_zlib().__name__}"
    )
    child_argv = [
        f"--size-mb={args.size_mb}",
        f"--jsonl-mb={args.jsonl_mb}",
        f"--chunk-kb={args.chunk_kb}",
        f"--requests={args.requests}",
        f"--server-kind={kind}",
    ]
    results: dict[tuple[str, str], list[dict[str, float]]] = {}
    server: Any
    small_server: Any
    with contextlib.ExitStack() as stack:
        targets = _targets(kind, args)
        streamed = sorted({targets[w] for w in workloads if w in STREAMED})
        if kind == "nginx":
            files = {
                "jsonl": _nginx.jsonl_file(args.jsonl_mb),
                "gzip": _nginx.gzip_file(args.jsonl_mb),
                "br": _nginx.brotli_file(args.jsonl_mb),
            }
            if "zstd" in workloads:
                files["zstd"] = _nginx.zstd_file(args.jsonl_mb)
            server = stack.enter_context(_nginx.serve(files))
            small_server = server
        else:
            preload = sorted(
                {targets[w] for w in workloads if not w.startswith("small") and w not in STREAMED}
            )
            server = small_server = stack.enter_context(_server.serve(preload=preload))
            if small_uvloop:
                small_server = stack.enter_context(_small_server.serve())
        stream_server = server
        if streamed:
            stream_server = stack.enter_context(_server.serve(preload=streamed, sendfile=True))
        for r in range(args.runs):
            print(f"run {r + 1}/{args.runs} ...", file=sys.stderr, flush=True)
            for workload in workloads:
                srv = small_server if workload.startswith("small") else server
                if workload in STREAMED:
                    srv = stream_server
                for impl in RUNS[workload]:
                    if impl in impls and (workload, impl) not in skipped:
                        res = _run_child(impl, workload, srv, child_argv, e2e.CHILD_TIMEOUT)
                        results.setdefault((workload, impl), []).append(res)
    for workload in workloads:
        # decoded bytes or lines must agree; small: requests made and body bytes (where counted)
        amounts = {
            (results[(workload, i)][0]["amount"], results[(workload, i)][0]["bytes"])
            for i in RUNS[workload]
            if (workload, i) in results
        }
        counts = {a for a, _ in amounts}
        body = {b for _, b in amounts if b >= 0}
        if len(counts) != 1 or (workload.startswith("small") and len(body) > 1):
            raise SystemExit(f"{workload}: clients disagree on what they received: {amounts}")
    rows, table = _report(results, workloads)
    ratios = _ratios(table)
    print(
        "\nserver %core: the server worker's CPU seconds / transfer seconds (100% = it saturates"
        " a core and is the bottleneck); srv wait: the server's time runnable but waiting for a"
        " core / transfer seconds (high when other processes crowd the cores: the server may"
        " then pace the clients below 100%); vs fs: rate / faststream C's"
    )
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"rows": rows, "ratios": ratios}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
