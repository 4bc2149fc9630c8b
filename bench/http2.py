"""HTTP/2: one large body over one stream, and small GETs multiplexed on one connection;
faststream vs httpx[http2], same run, same loopback h2c server (prior knowledge).

    python bench/http2.py [--mib 1024] [--runs 3] [--inflight 32] [--rounds 20]

* `large`: `Client(http1=False, http2=True).stream("GET", ...)` read with `iter_bytes()`;
  MB/s, median of `--runs`.
  The `faststream HTTP/1.1` row reads the same body from the same server process over
  HTTP/1.1 (`Client()`), the rate the HTTP/2 path is measured against.
* `small`: `AsyncClient(http1=False, http2=True)` on asyncio, `--inflight` GETs of a 100-byte
  body at once, `--rounds` times; requests/s, median of `--runs`.

The server is h2 (Python) in its own process, sending DATA frames as fast as the client's
windows allow; its CPU seconds are printed with each case, so a server-bound figure shows as
such (a server near 100 % of a core is the limit, not the client).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import select
import socket
import statistics
import threading
import time
import typing
from multiprocessing.connection import Connection

import h2.config
import h2.connection
import h2.events
import h2.exceptions

_BLOCK = b"x" * (1 << 20)


_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def _serve_http11(sock: socket.socket) -> None:
    """HTTP/1.1 keep-alive: `GET /bytes/N` answered with N bytes, written 1 MiB at a time."""
    buffered = b""
    while True:
        while b"\r\n\r\n" not in buffered:
            received = sock.recv(1 << 16)
            if not received:
                return
            buffered += received
        head, buffered = buffered.split(b"\r\n\r\n", 1)
        size = int(head.split(b" ", 2)[1].rsplit(b"/", 1)[1])
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size)
        while size:
            sent = min(size, len(_BLOCK))
            sock.sendall(_BLOCK[:sent])
            size -= sent


def _serve_connection(sock: socket.socket) -> None:
    start = b""
    while len(start) < len(_PREFACE) and _PREFACE.startswith(start):
        received = sock.recv(len(_PREFACE) - len(start), socket.MSG_PEEK | socket.MSG_WAITALL)
        if not received:
            return
        start = received
    if not start.startswith(_PREFACE):
        _serve_http11(sock)
        return
    conn = h2.connection.H2Connection(
        h2.config.H2Configuration(client_side=False, header_encoding=None)
    )
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    outgoing: dict[int, int] = {}  # stream -> bytes left to send
    while True:
        if outgoing:
            for stream_id, left in list(outgoing.items()):
                frame = conn.max_outbound_frame_size
                window = conn.local_flow_control_window(stream_id)
                while left and window:
                    size = min(left, window, frame)
                    left -= size
                    window -= size
                    conn.send_data(stream_id, _BLOCK[:size], end_stream=not left)
                if left:
                    outgoing[stream_id] = left
                else:
                    del outgoing[stream_id]
            data = conn.data_to_send()
            if data:
                sock.sendall(data)
        # Data still to send and a window open somewhere: only look for what came in.
        if any(conn.local_flow_control_window(stream_id) for stream_id in outgoing):
            if not select.select([sock], [], [], 0)[0]:
                continue
        received = sock.recv(1 << 16)
        if not received:
            return
        for event in conn.receive_data(received):
            if isinstance(event, h2.events.RequestReceived):
                assert event.headers is not None
                path = dict(event.headers)[b":path"]
                size = int(path.rsplit(b"/", 1)[1])
                conn.send_headers(
                    event.stream_id,
                    [(b":status", b"200"), (b"content-length", str(size).encode())],
                    end_stream=not size,
                )
                if size:
                    outgoing[event.stream_id] = size
        data = conn.data_to_send()
        if data:
            sock.sendall(data)


def _server(ready: Connection) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    ready.send(listener.getsockname()[1])
    while True:
        sock, _ = listener.accept()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def serve(sock: socket.socket = sock) -> None:
            try:
                _serve_connection(sock)
            except (OSError, h2.exceptions.ProtocolError):
                pass  # the client went away
            finally:
                sock.close()

        threading.Thread(target=serve, daemon=True).start()


def _cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def large(module: typing.Any, url: str) -> float:
    """Seconds to read the body with iter_bytes."""
    with module.Client(http1=False, http2=True, timeout=60) as client:
        start = time.perf_counter()
        with client.stream("GET", url) as response:
            assert response.http_version == "HTTP/2"
            total = sum(len(piece) for piece in response.iter_bytes())
        elapsed = time.perf_counter() - start
    assert total == int(url.rsplit("/", 1)[1]), total
    return elapsed


def large_http11(url: str) -> float:
    """Seconds for faststream to read the body over HTTP/1.1 with iter_bytes."""
    import faststream

    with faststream.Client(timeout=60) as client:
        start = time.perf_counter()
        with client.stream("GET", url) as response:
            assert response.http_version == "HTTP/1.1"
            total = sum(len(piece) for piece in response.iter_bytes())
        elapsed = time.perf_counter() - start
    assert total == int(url.rsplit("/", 1)[1]), total
    return elapsed


def small(module: typing.Any, url: str, inflight: int, rounds: int) -> float:
    """Seconds for `rounds` batches of `inflight` concurrent GETs on one connection."""

    async def main() -> float:
        async with module.AsyncClient(http1=False, http2=True, timeout=60) as client:
            await client.get(url)  # the connection, opened once
            start = time.perf_counter()
            for _ in range(rounds):
                responses = await asyncio.gather(*(client.get(url) for _ in range(inflight)))
                assert all(r.http_version == "HTTP/2" and len(r.content) == 100 for r in responses)
            return time.perf_counter() - start

    return asyncio.run(main())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--inflight", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    import httpx

    import faststream

    ready, child = multiprocessing.Pipe()
    process = multiprocessing.Process(target=_server, args=(child,), daemon=True)
    process.start()
    try:
        port = ready.recv()
        base = f"http://127.0.0.1:{port}"
        size = args.mib << 20
        print(f"large: {args.mib} MiB over one stream, median of {args.runs}")
        cases: list[tuple[str, typing.Callable[[str], float]]] = [
            ("faststream", lambda url: large(faststream, url)),
            ("httpx", lambda url: large(httpx, url)),
            ("faststream HTTP/1.1", large_http11),
        ]
        for name, case in cases:
            cpu = _cpu(process.pid or 0)
            times = [case(f"{base}/bytes/{size}") for _ in range(args.runs)]
            server = (_cpu(process.pid or 0) - cpu) / sum(times)
            rate = size / statistics.median(times) / 1e6
            print(f"  {name:<20} {rate:8.1f} MB/s   (server CPU {server:.0%})")
        count = args.inflight * args.rounds
        print(f"small: {args.rounds} x {args.inflight} concurrent GETs, median of {args.runs}")
        for name, module in (("faststream", faststream), ("httpx", httpx)):
            cpu = _cpu(process.pid or 0)
            times = [
                small(module, f"{base}/bytes/100", args.inflight, args.rounds)
                for _ in range(args.runs)
            ]
            server = (_cpu(process.pid or 0) - cpu) / sum(times)
            rate = count / statistics.median(times)
            print(f"  {name:<20} {rate:8.0f} req/s  (server CPU {server:.0%})")
    finally:
        process.kill()


if __name__ == "__main__":
    main()
