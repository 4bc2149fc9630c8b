"""https through an https proxy (TLS inside TLS): body throughput, direct and through the proxy.

Clients: faststream and httpx, each with `Client` and with `AsyncClient` on asyncio, uvloop and
trio (a missing library's cases are skipped with a note). Servers: the test suite's https app
server and its forward proxy in TLS mode (tests/servers/), both in one child process, so that
they do not share the clients' interpreter. The proxy is a Python relay that decrypts and
re-encrypts every byte of the outer session: it bounds the rate through it, so the signal is
the ratio between clients through the same proxy, and the cost of the proxy against direct.

Each case streams `--size-mb` of `/bytes/N` (Content-Length) with `iter_bytes()` /
`aiter_bytes()` on a fresh client; the best of `--runs` is reported, in MB/s.

Usage: ``python bench/proxy_tls.py [--size-mb 64] [--runs 3]``.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import multiprocessing
import ssl
import sys
import tempfile
import time
import typing
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

MODES = ("sync", "asyncio", "uvloop", "trio")


def _serve(pipe: Connection) -> None:
    """The child: the https app server and the TLS proxy, until the parent says stop."""
    from tests.servers.proxy import ProxyServer
    from tests.servers.tls import TLSFiles

    files = TLSFiles.create(Path(tempfile.mkdtemp(prefix="proxy-tls-bench-")))
    with files.server() as origin, ProxyServer(ssl_context=files.server_context) as proxy:
        pipe.send((files.ca_file, origin.url, proxy.url))
        pipe.recv()


def _fetch(lib: typing.Any, mode: str, url: str, options: dict[str, typing.Any]) -> float:
    """Seconds to stream `url` to the end with a fresh client of `lib` in `mode`."""
    if mode == "sync":
        with lib.Client(**options) as client:
            started = time.perf_counter()
            with client.stream("GET", url) as response:
                for _ in response.iter_bytes():
                    pass
            return time.perf_counter() - started

    async def main() -> float:
        async with lib.AsyncClient(**options) as client:
            started = time.perf_counter()
            async with client.stream("GET", url) as response:
                async for _ in response.aiter_bytes():
                    pass
            return time.perf_counter() - started

    if mode == "trio":
        import trio

        return trio.run(main)
    loop: asyncio.AbstractEventLoop
    if mode == "uvloop":
        import uvloop

        loop = uvloop.new_event_loop()
    else:
        loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(main())
    finally:
        loop.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mb", type=int, default=64)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    size = args.size_mb * 1024 * 1024

    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(target=_serve, args=(child,), daemon=True)
    server.start()
    try:
        ca_file, origin_url, proxy_url = parent.recv()
        context = ssl.create_default_context(cafile=ca_file)
        url = f"{origin_url}/bytes/{size}"
        print(f"{args.size_mb} MiB per request, best of {args.runs}, MB/s")
        print(f"{'client':12} {'mode':8} {'direct':>8} {'proxy':>8} {'proxy/direct':>13}")
        for name in ("faststream", "httpx"):
            lib = importlib.import_module(name)
            for mode in MODES:
                if mode in ("uvloop", "trio") and importlib.util.find_spec(mode) is None:
                    print(f"{name:12} {mode:8} skipped: {mode} is not installed")
                    continue
                rates = []
                for proxy in (None, lib.Proxy(proxy_url, ssl_context=context)):
                    options: dict[str, typing.Any] = {"verify": context}
                    if proxy is not None:
                        options["proxy"] = proxy
                    best = min(_fetch(lib, mode, url, options) for _ in range(args.runs))
                    rates.append(size / best / 1e6)
                direct, tunnelled = rates
                print(
                    f"{name:12} {mode:8} {direct:8.0f} {tunnelled:8.0f} {tunnelled / direct:13.2f}"
                )
    finally:
        parent.send("stop")
        server.join(30)


if __name__ == "__main__":
    main()
