"""A loopback HTTP/1.1 server for the end-to-end benchmark, in its own process.

Bodies are built once, in memory, and written with ``socket.sendall`` of large memoryview
slices (or, with ``serve(sendfile=True)``, ``os.sendfile`` from a memfd -- measured no faster
over loopback on the 2-core machine). Keep-alive; GET only.

Endpoints (sizes in bytes unless the name says otherwise):

* ``/identity?size=N`` -- N bytes with Content-Length (a repeating 1 MiB block of JSONL).
* ``/chunked?size=N&chunk=K`` -- the same N bytes, ``Transfer-Encoding: chunked`` in K-byte
  chunks, framed ahead of time.
* ``/gzip?size_mb=M`` -- ``_data.gzipped(M)`` with ``Content-Encoding: gzip``.
* ``/jsonl?size_mb=M`` -- ``_data.jsonl(M)``.
* ``/small`` -- a two-byte 200 response, for the keep-alive request rate.

``serve()`` starts it on 127.0.0.1 (ephemeral port) and stops it, bounded in time.
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _data  # noqa: E402

BLOCK = 1 << 20  # the repeating unit of the identity body
SEND = 4 << 20  # bytes per sendall of a repeated body
MAX_HEAD = 64 * 1024
SMALL = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"


def chunk_frame(n: int) -> int:
    """Wire bytes of one chunk of n payload bytes: hex size, CRLF, data, CRLF."""
    return len(f"{n:x}") + 2 + n + 2


def chunked_wire_length(size: int, chunk: int) -> int:
    """Wire bytes of a chunked body of `size` payload bytes in `chunk`-byte chunks."""
    full, rest = divmod(size, chunk)
    return full * chunk_frame(chunk) + (chunk_frame(rest) if rest else 0) + len(b"0\r\n\r\n")


def _block() -> bytes:
    return _data.jsonl(1)[:BLOCK]


@dataclass
class _Body:
    """A response: its head, then `unit` sent `repeat` times, then `tail`."""

    head: bytes
    unit: memoryview
    repeat: int
    tail: memoryview

    def __post_init__(self) -> None:
        self._unit_fd = _memfd(self.unit) if _SENDFILE else -1
        self._tail_fd = _memfd(self.tail) if _SENDFILE and len(self.tail) else -1

    def send(self, sock: socket.socket) -> None:
        sock.sendall(self.head)
        if self._unit_fd >= 0:
            for _ in range(self.repeat):
                _sendfile(sock, self._unit_fd, len(self.unit))
        else:
            for _ in range(self.repeat):
                sock.sendall(self.unit)
        if self._tail_fd >= 0:
            _sendfile(sock, self._tail_fd, len(self.tail))
        elif len(self.tail):
            sock.sendall(self.tail)


_SENDFILE = hasattr(os, "memfd_create") and hasattr(os, "sendfile")


def _memfd(data: memoryview) -> int:
    fd = os.memfd_create("faststream-bench")
    view = data
    while len(view):
        view = view[os.write(fd, view) :]
    return fd


def _sendfile(sock: socket.socket, fd: int, count: int) -> None:
    """Send `count` bytes of `fd` from offset 0 (a blocking socket; partial sends continue)."""
    out = sock.fileno()
    offset = 0
    while offset < count:
        sent = os.sendfile(out, fd, offset, count - offset)
        if sent == 0:
            raise ConnectionError("sendfile sent nothing")
        offset += sent


def _head(status: str, headers: Sequence[tuple[str, str]]) -> bytes:
    lines = [f"HTTP/1.1 {status}"] + [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _identity(size: int) -> _Body:
    block = _block() * (SEND // BLOCK)
    full, rest = divmod(size, len(block))
    head = _head(
        "200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(size))]
    )
    return _Body(head, memoryview(block), full, memoryview(block)[:rest])


def _chunked(size: int, chunk: int) -> _Body:
    block = _block() * (SEND // BLOCK)
    per_unit = max(1, SEND // chunk_frame(chunk))
    payload = (block * (1 + (per_unit * chunk) // len(block)))[: per_unit * chunk]
    frames = [
        f"{chunk:x}\r\n".encode() + payload[i : i + chunk] + b"\r\n"
        for i in range(0, len(payload), chunk)
    ]
    unit = b"".join(frames)
    full, rest = divmod(size, per_unit * chunk)
    tail_parts: list[bytes] = []
    left = rest
    pos = 0
    while left:
        n = min(chunk, left)
        tail_parts.append(f"{n:x}\r\n".encode() + payload[pos : pos + n] + b"\r\n")
        pos += n
        left -= n
    tail = b"".join(tail_parts) + b"0\r\n\r\n"
    head = _head(
        "200 OK", [("Content-Type", "application/octet-stream"), ("Transfer-Encoding", "chunked")]
    )
    return _Body(head, memoryview(unit), full, memoryview(tail))


def _whole(data: bytes, headers: list[tuple[str, str]]) -> _Body:
    head = _head("200 OK", headers + [("Content-Length", str(len(data)))])
    return _Body(head, memoryview(data), 1, memoryview(b""))


class _Cache:
    def __init__(self) -> None:
        self._bodies: dict[str, _Body | None] = {}
        self._lock = threading.Lock()

    def get(self, target: str) -> _Body | None:
        with self._lock:
            if target not in self._bodies:
                self._bodies[target] = self._build(target)
            return self._bodies[target]

    @staticmethod
    def _build(target: str) -> _Body | None:
        parts = urlsplit(target)
        q = {k: int(v[-1]) for k, v in parse_qs(parts.query).items()}
        if parts.path == "/identity":
            return _identity(q["size"])
        if parts.path == "/chunked":
            return _chunked(q["size"], q.get("chunk", 16384))
        if parts.path == "/jsonl":
            return _whole(_data.jsonl(q["size_mb"]), [("Content-Type", "application/x-ndjson")])
        if parts.path == "/gzip":
            data = _data.gzipped(q["size_mb"])
            return _whole(
                data, [("Content-Type", "application/x-ndjson"), ("Content-Encoding", "gzip")]
            )
        return None


def _handle(conn: socket.socket, cache: _Cache) -> None:
    """Serve one keep-alive connection until the client closes it."""
    buf = b""
    with conn:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while True:
            end = buf.find(b"\r\n\r\n")
            while end < 0:
                if len(buf) > MAX_HEAD:
                    return
                try:
                    data = conn.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                buf += data
                end = buf.find(b"\r\n\r\n")
            head, buf = buf[:end], buf[end + 4 :]
            request_line, _, rest = head.partition(b"\r\n")
            target = request_line.split(b" ")[1].decode("latin-1") if b" " in request_line else "/"
            close = b"connection: close" in rest.lower()
            try:
                if target == "/small":
                    conn.sendall(SMALL)
                else:
                    body = cache.get(target)
                    if body is None:
                        conn.sendall(NOT_FOUND)
                    else:
                        body.send(conn)
            except OSError:
                return
            if close:
                return


def _main(ready: Connection, stop: Connection, preload: Sequence[str], sendfile: bool) -> None:
    global _SENDFILE
    _SENDFILE = _SENDFILE and sendfile
    cache = _Cache()
    for target in preload:
        cache.get(target)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1024)
    listener.settimeout(0.2)
    ready.send(listener.getsockname()[1])
    with listener:
        while not stop.poll():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            conn.settimeout(None)
            threading.Thread(target=_handle, args=(conn, cache), daemon=True).start()


@dataclass
class Server:
    base_url: str
    pid: int

    def cpu_times(self) -> tuple[float, float] | None:
        """(user, system) CPU seconds used so far by the server process (Linux /proc)."""
        try:
            stat = Path(f"/proc/{self.pid}/stat").read_text()
        except OSError:
            return None
        fields = stat.rsplit(")", 1)[1].split()
        tick = os.sysconf("SC_CLK_TCK")
        return int(fields[11]) / tick, int(fields[12]) / tick  # utime, stime (stat fields 14, 15)

    def cpu_seconds(self) -> float | None:
        """User + system CPU seconds used so far by the server process."""
        times = self.cpu_times()
        return None if times is None else sum(times)


@contextmanager
def serve(
    preload: Sequence[str] = (), sendfile: bool = False, startup_timeout: float = 300.0
) -> Iterator[Server]:
    """Run the server in a child process; yield it (``.base_url``, ``.pid``, ``.cpu_times()``).

    `preload` lists targets (e.g. ``"/jsonl?size_mb=200"``) to build before the server accepts
    connections, so no timed request pays for building its body. `sendfile=True` writes
    bodies with ``os.sendfile`` from a memfd instead of ``socket.sendall``.
    """
    ctx = multiprocessing.get_context("fork")
    ready_r, ready_w = ctx.Pipe(duplex=False)
    stop_r, stop_w = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_main, args=(ready_w, stop_r, tuple(preload), sendfile), daemon=True)
    proc.start()
    try:
        if not ready_r.poll(startup_timeout):
            raise RuntimeError("loopback server did not start in time")
        port = ready_r.recv()
        assert proc.pid is not None
        yield Server(f"http://127.0.0.1:{port}", proc.pid)
    finally:
        stop_w.send(True)
        proc.join(5)
        if proc.is_alive():
            proc.terminate()
            proc.join(5)
        if proc.is_alive():
            proc.kill()
            proc.join(5)
        for c in (ready_r, ready_w, stop_r, stop_w):
            c.close()
