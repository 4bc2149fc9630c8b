"""A minimal uvloop raw-protocol server for the small-request benchmarks when nginx is absent.

It answers every request head (a GET without a body, ended by an empty line) with the same
1 KiB keep-alive response, pipelining included, and parses nothing else: the threaded Python
server of bench/_server.py costs a thread switch and a Python parse per request and becomes
the bottleneck at tens of thousands of requests per second. ``serve()`` yields a ``Server``
(``base_url``, ``cpu_times()``) like bench/_server.py's.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import cast

import _nginx
import _server

RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n"
    % len(_nginx.SMALL_BODY)
    + _nginx.SMALL_BODY
)


class _Protocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.tail = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it
        self.transport = cast(asyncio.Transport, transport)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        # keep the last 3 bytes so a head end split across two reads is still counted once
        buf = self.tail + data
        heads = buf.count(b"\r\n\r\n")
        cut = buf.rfind(b"\r\n\r\n")
        rest = buf[cut + 4 :] if cut >= 0 else buf
        self.tail = rest[-3:]
        if heads and self.transport is not None:
            self.transport.write(RESPONSE * heads)


def _main(ready: Connection, stop: Connection) -> None:
    import uvloop

    async def run() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(_Protocol, "127.0.0.1", 0, backlog=4096)
        ready.send(server.sockets[0].getsockname()[1])
        await loop.run_in_executor(None, stop.recv)
        server.close()

    uvloop.run(run())


@contextmanager
def serve(startup_timeout: float = 30.0) -> Iterator[_server.Server]:
    ctx = multiprocessing.get_context("fork")
    ready_r, ready_w = ctx.Pipe(duplex=False)
    stop_r, stop_w = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_main, args=(ready_w, stop_r), daemon=True)
    proc.start()
    try:
        if not ready_r.poll(startup_timeout):
            raise RuntimeError("uvloop server did not start in time")
        port = ready_r.recv()
        assert proc.pid is not None
        yield _server.Server(f"http://127.0.0.1:{port}", proc.pid)
    finally:
        stop_w.send(True)
        proc.join(5)
        if proc.is_alive():
            proc.terminate()
            proc.join(5)
        for c in (ready_r, ready_w, stop_r, stop_w):
            c.close()
