"""End-to-end benchmark: streaming over loopback from a server in its own process.

Clients: a raw-socket ``recv_into`` loop into a reusable 1 MiB buffer (the limit), faststream
with the compiled core, faststream with its pure twins, and httpx. faststream is driven with
the httpx API (``import faststream as httpx``); until it has a ``Client`` its columns are
skipped with a note. Each measurement runs in its own child process (so peak RSS is per case);
runs are interleaved round-robin and the table gives medians. The server's CPU time per case
is read from /proc to show it is not the bottleneck.

Workloads: identity and chunked bodies (``--size-mb``), the gzip of ``--jsonl-mb`` of JSONL
inflated with stdlib zlib (faststream gets ``FASTSTREAM_INFLATE_BACKEND=zlib``, the raw loop
``zlib``) and with the fastest backend (faststream's default; the raw loop isal or zlib-ng --
httpx has only zlib, so its two gzip rows measure the same thing), that JSONL via
``iter_lines()`` (the raw loop counts newlines), and ``--requests`` small keep-alive GETs.

Usage: ``python bench/e2e.py [--size-mb 1024] [--jsonl-mb 200] [--runs 5] [--only ...]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import socket
import statistics
import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _data  # noqa: E402
import _server  # noqa: E402

RAW = "raw socket"
IMPLS = (RAW, "faststream C", "faststream pure", "httpx")
# workload -> unit of the rate
WORKLOADS: dict[str, str] = {
    "identity": "MB/s",
    "chunked": "MB/s",
    "gzip-zlib": "MB/s",
    "gzip-fast": "MB/s",
    "jsonl": "Mlines/s",
    "small": "req/s",
}
BUF = 1 << 20
# compressed bytes per read for gzip: 1 MiB reads inflate to ~5 MiB outputs that fall out of
# cache and make the "limit" slower than httpx's 64 KiB reads; 64 KiB is the faster choice
GZIP_READ = 64 * 1024
TIMEOUT = 60.0  # per socket operation
CHILD_TIMEOUT = 900.0  # per child process


def _targets(args: argparse.Namespace) -> dict[str, str]:
    size = args.size_mb * 2**20
    return {
        "identity": f"/identity?size={size}",
        "chunked": f"/chunked?size={size}&chunk={args.chunk_kb * 1024}",
        "gzip-zlib": f"/gzip?size_mb={args.jsonl_mb}",
        "gzip-fast": f"/gzip?size_mb={args.jsonl_mb}",
        "jsonl": f"/jsonl?size_mb={args.jsonl_mb}",
        "small": "/small",
    }


# --- the raw-socket limit ---------------------------------------------------------------------


def _connect(base_url: str) -> tuple[socket.socket, str]:
    host, port = base_url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=TIMEOUT)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock, f"{host}:{port}"


def _raw_head(sock: socket.socket, buf: bytearray) -> tuple[dict[bytes, bytes], int, int]:
    """Read a response head into `buf`; return (lowercased headers, body start, bytes in buf)."""
    n = 0
    view = memoryview(buf)
    while True:
        got = sock.recv_into(view[n:])
        if not got:
            raise ConnectionError("server closed before the head ended")
        n += got
        end = buf.find(b"\r\n\r\n", 0, n)
        if end >= 0:
            break
        if n >= len(buf):
            raise ValueError("response head too large")
    headers: dict[bytes, bytes] = {}
    for line in bytes(buf[:end]).split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    return headers, end + 4, n


def _raw(workload: str, url: str, base_url: str, args: argparse.Namespace) -> dict[str, float]:
    """Hand-written GET, minimal head parsing, body via recv_into a reusable 1 MiB buffer."""
    sock, hostport = _connect(base_url)
    buf = bytearray(BUF)
    view = memoryview(buf)
    path = url[len(base_url) :]
    request = f"GET {path} HTTP/1.1\r\nHost: {hostport}\r\n\r\n".encode()
    with sock:
        if workload == "small":
            t0 = time.perf_counter()
            for _ in range(args.requests):
                sock.sendall(request)
                headers, start, n = _raw_head(sock, buf)
                want = start + int(headers[b"content-length"])
                while n < want:
                    got = sock.recv_into(view[n:want])
                    if not got:
                        raise ConnectionError("short body")
                    n += got
            return {"amount": args.requests, "bytes": 0, "seconds": time.perf_counter() - t0}

        inflate: Any = None
        if workload == "gzip-zlib":
            inflate = zlib.decompressobj(31)
        elif workload == "gzip-fast":
            inflate = _fast_zlib().decompressobj(31)
        t0 = time.perf_counter()
        sock.sendall(request)
        headers, start, n = _raw_head(sock, buf)
        if workload == "chunked":
            left = _server.chunked_wire_length(args.size_mb * 2**20, args.chunk_kb * 1024) - (
                n - start
            )
        else:
            left = int(headers[b"content-length"]) - (n - start)
        wire = n - start
        lines = buf.count(b"\n", start, n)
        decoded = len(inflate.decompress(view[start:n])) if inflate is not None else 0
        tail = bytes(buf[max(start, n - 5) : n])
        step = GZIP_READ if inflate is not None else BUF
        while left > 0:
            got = sock.recv_into(view, min(left, step))
            if not got:
                raise ConnectionError("short body")
            left -= got
            wire += got
            if inflate is not None:
                decoded += len(inflate.decompress(view[:got]))
            elif workload == "jsonl":
                lines += buf.count(b"\n", 0, got)
            elif workload == "chunked":
                tail = (tail + bytes(view[max(0, got - 5) : got]))[-5:]
        seconds = time.perf_counter() - t0
        if workload == "chunked" and tail != b"0\r\n\r\n":
            raise ValueError(f"chunked body did not end with the last chunk: {tail!r}")
    if workload == "jsonl":
        return {"amount": lines, "bytes": wire, "seconds": seconds}
    if inflate is not None:
        decoded += len(inflate.flush())
        return {"amount": decoded, "bytes": decoded, "seconds": seconds}
    payload = args.size_mb * 2**20 if workload == "chunked" else wire
    return {"amount": payload, "bytes": payload, "seconds": seconds}


def _fast_zlib() -> Any:
    """The fastest zlib-compatible module installed (isal, zlib-ng), else stdlib zlib."""
    try:
        from isal import isal_zlib

        return isal_zlib
    except ImportError:
        pass
    try:
        from zlib_ng import zlib_ng

        return zlib_ng
    except ImportError:
        return zlib


# --- httpx and faststream (the same code: faststream has httpx's API) ------------------------


def _lib(impl: str) -> Any:
    if impl == "httpx":
        import httpx as lib

        return lib
    _import_faststream()
    import _cstream
    import faststream

    want = "c" if impl == "faststream C" else "python"
    if _cstream.IMPLEMENTATION != want:
        raise SystemExit(f"{impl}: _cstream.IMPLEMENTATION is {_cstream.IMPLEMENTATION!r}")
    return faststream


def _import_faststream() -> None:
    """Import faststream; from a checkout (src/) when it is not installed."""
    try:
        import faststream  # noqa: F401
    except ImportError:
        sys.path.insert(0, str(HERE.parent / "src"))


def _client(
    impl: str, workload: str, url: str, base_url: str, args: argparse.Namespace
) -> dict[str, float]:
    httpx = _lib(impl)
    with httpx.Client(timeout=TIMEOUT) as client:
        if workload == "small":
            client.get(url).read()  # open the connection outside the timing, like the raw loop
            t0 = time.perf_counter()
            for _ in range(args.requests):
                response = client.get(url)
                if response.status_code != 200:
                    raise ValueError(f"status {response.status_code}")
            return {"amount": args.requests, "bytes": 0, "seconds": time.perf_counter() - t0}
        t0 = time.perf_counter()
        amount = 0
        with client.stream("GET", url) as response:
            if workload == "jsonl":
                for _ in response.iter_lines():
                    amount += 1
            else:
                for chunk in response.iter_bytes():
                    amount += len(chunk)
            wire = response.num_bytes_downloaded
        seconds = time.perf_counter() - t0
    return {"amount": amount, "bytes": wire if workload == "jsonl" else amount, "seconds": seconds}


def _child(impl: str, workload: str, base_url: str, args: argparse.Namespace) -> dict[str, float]:
    url = base_url + _targets(args)[workload]
    run: Callable[[], dict[str, float]]
    if impl == RAW:
        if workload == "gzip-fast":
            _fast_zlib()  # import outside the timing
        run = lambda: _raw(workload, url, base_url, args)  # noqa: E731
    else:
        _lib(impl)
        run = lambda: _client(impl, workload, url, base_url, args)  # noqa: E731
    baseline = _peak_rss_mib()
    cpu0 = time.process_time()
    result = run()
    result["cpu"] = time.process_time() - cpu0
    result["rss_mib"] = _peak_rss_mib()
    result["baseline_mib"] = baseline
    return result


def _peak_rss_mib() -> float:
    """Peak RSS of this process: VmHWM (reset by exec, unlike ru_maxrss, which on Linux keeps
    the high-water mark of the process that forked us), else ru_maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run_child(
    impl: str, workload: str, server: _server.Server, argv: list[str]
) -> dict[str, float]:
    env = dict(os.environ)
    env.pop("FASTSTREAM_REQUIRE_EXTENSIONS", None)
    env.pop("FASTSTREAM_NO_EXTENSIONS", None)
    env.pop("FASTSTREAM_INFLATE_BACKEND", None)
    if impl == "faststream pure":
        env["FASTSTREAM_NO_EXTENSIONS"] = "1"
    if workload == "gzip-zlib":
        env["FASTSTREAM_INFLATE_BACKEND"] = "zlib"
    cpu0 = server.cpu_times()
    out = subprocess.run(
        [sys.executable, __file__, *argv, "--child", impl, workload, server.base_url],
        env=env,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
    )
    if out.returncode != 0:
        raise SystemExit(f"{impl} / {workload} failed:\n{out.stderr}")
    cpu1 = server.cpu_times()
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    if cpu0 is not None and cpu1 is not None:
        result["server_user"] = cpu1[0] - cpu0[0]
        result["server_sys"] = cpu1[1] - cpu0[1]
    else:
        result["server_user"] = result["server_sys"] = float("nan")
    result["server_cpu"] = result["server_user"] + result["server_sys"]
    return result


def _faststream_client() -> tuple[bool, str]:
    _import_faststream()
    try:
        import _cstream
        import faststream
    except ImportError as exc:
        return False, f"faststream not importable ({exc})"
    if not hasattr(faststream, "Client"):
        return False, "faststream has no Client yet"
    return True, f"_cstream {_cstream.IMPLEMENTATION}, inflate {_cstream.INFLATE_BACKENDS}"


def _report(
    results: dict[tuple[str, str], list[dict[str, float]]],
    impls: list[str],
    workloads: list[str],
    args: argparse.Namespace,
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for workload in workloads:
        unit = WORKLOADS[workload]
        scale = {"MB/s": 1e6, "Mlines/s": 1e6, "req/s": 1.0}[unit]
        amounts = {results[(workload, i)][0]["amount"] for i in impls}
        if workload != "small" and len(amounts) != 1:
            raise SystemExit(f"{workload}: clients disagree on the amount: {amounts}")
        small = workload == "small"
        cpu_col = "CPU us/req" if small else "CPU s/GiB"
        print(f"\n{workload}  ({unit}; client {cpu_col}; peak RSS MiB)")
        header = f"  {'client':<16} {unit:>10} {'vs httpx':>9} {'vs raw':>7}"
        header += f" {cpu_col:>10} {'RSS':>6} {'server %core':>13} {'srv s/GiB':>10} {'srv sys':>7}"
        print(header)
        rates: dict[str, float] = {}
        for impl in impls:
            runs = results[(workload, impl)]
            rates[impl] = statistics.median(r["amount"] / r["seconds"] for r in runs) / scale
        for impl in impls:
            runs = results[(workload, impl)]
            gib = runs[0]["bytes"] / 2**30
            if small:  # CPU microseconds per request
                cpu_gib = statistics.median(r["cpu"] / r["amount"] for r in runs) * 1e6
            else:
                cpu_gib = statistics.median(r["cpu"] for r in runs) / gib
            rss = statistics.median(r["rss_mib"] for r in runs)
            share = statistics.median(r["server_cpu"] / r["seconds"] for r in runs) * 100
            srv_gib = (
                statistics.median(r["server_cpu"] for r in runs) / gib if gib else float("nan")
            )
            srv_sys = statistics.median(
                r["server_sys"] / r["server_cpu"] if r["server_cpu"] else float("nan") for r in runs
            )
            vs_httpx = rates[impl] / rates["httpx"] if "httpx" in rates else float("nan")
            vs_raw = rates[impl] / rates[RAW]
            print(
                f"  {impl:<16} {rates[impl]:10.2f} {vs_httpx:8.2f}x {vs_raw:6.2f}x"
                f" {cpu_gib:10.3f} {rss:6.1f} {share:12.0f}% {srv_gib:10.3f} {srv_sys * 100:6.0f}%"
            )
            rows.append(
                {
                    "workload": workload,
                    "impl": impl,
                    "unit": unit,
                    "median": rates[impl],
                    "vs_httpx": vs_httpx,
                    "vs_raw": vs_raw,
                    "cpu_us_per_request" if small else "cpu_s_per_gib": cpu_gib,
                    "peak_rss_mib": rss,
                    "baseline_rss_mib": statistics.median(r["baseline_mib"] for r in runs),
                    "server_core_share": share / 100,
                    "server_cpu_s_per_gib": srv_gib,
                    "server_sys_share": srv_sys,
                    "runs": runs,
                }
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="identity/chunked body (MiB)")
    parser.add_argument("--jsonl-mb", type=int, default=200, help="JSONL body, plain and gzip")
    parser.add_argument("--chunk-kb", type=int, default=16, help="chunk size of /chunked (KiB)")
    parser.add_argument("--requests", type=int, default=5000, help="small keep-alive requests")
    parser.add_argument("--runs", type=int, default=5, help="runs per case (median)")
    parser.add_argument("--only", default=",".join(WORKLOADS), help=f"subset of {list(WORKLOADS)}")
    parser.add_argument(
        "--server-sendfile", action="store_true", help="server: sendfile instead of sendall"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        impl, workload, base_url = args.child
        print(json.dumps(_child(impl, workload, base_url, args)))
        return 0
    workloads = [w.strip() for w in args.only.split(",") if w.strip()]
    unknown = set(workloads) - set(WORKLOADS)
    if unknown:
        parser.error(f"unknown workloads: {sorted(unknown)}")
    if args.runs < 1 or args.size_mb < 1 or args.jsonl_mb < 1 or args.requests < 1:
        parser.error("--runs, --size-mb, --jsonl-mb and --requests must be positive")

    impls = [RAW]
    have_fs, note = _faststream_client()
    if have_fs:
        impls += ["faststream C", "faststream pure"]
    else:
        print(f"note: faststream columns skipped: {note}")
    try:
        import httpx

        impls.append("httpx")
        hx_note = f"httpx {httpx.__version__}"
    except ImportError:
        hx_note = "httpx absent"
    print(
        f"faststream e2e benchmark: Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"{hx_note}, fast inflate for the raw client: {_fast_zlib().__name__}"
        + (f", faststream {note}" if have_fs else "")
    )
    print(
        f"identity/chunked {args.size_mb} MiB (chunks {args.chunk_kb} KiB), "
        f"JSONL {args.jsonl_mb} MiB (gzip {len(_data.gzipped(args.jsonl_mb)) / 2**20:.1f} MiB), "
        f"{args.requests} small requests, median of {args.runs} runs, server writes with "
        + ("sendfile" if args.server_sendfile else "sendall")
    )
    child_argv = [
        f"--size-mb={args.size_mb}",
        f"--jsonl-mb={args.jsonl_mb}",
        f"--chunk-kb={args.chunk_kb}",
        f"--requests={args.requests}",
    ]
    targets = _targets(args)
    preload = sorted({targets[w] for w in workloads if w != "small"})
    results: dict[tuple[str, str], list[dict[str, float]]] = {}
    with _server.serve(preload=preload, sendfile=args.server_sendfile) as server:
        for r in range(args.runs):
            print(f"run {r + 1}/{args.runs} ...", file=sys.stderr, flush=True)
            for workload in workloads:
                for impl in impls:
                    res = _run_child(impl, workload, server, child_argv)
                    results.setdefault((workload, impl), []).append(res)
    rows = _report(results, impls, workloads, args)
    print(
        "\nserver %core: server CPU seconds / transfer seconds (100% = the server saturates a "
        "core and would be the bottleneck); srv s/GiB: server CPU seconds per GiB of body;\n"
        "srv sys: the kernel's part of the server's CPU (TCP send, loopback delivery)"
    )
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
