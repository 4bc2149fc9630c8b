"""A raw scripted TCP server on 127.0.0.1 for wire-level tests (THREATS §5, urllib3's socket-level
tests, curl's `sws`).

Each accepted connection plays the next script of the list it was given (connection 1 plays
script 1, connection 2 plays script 2...; connections past the list are closed at once). A script
is a sequence of steps:

- `Recv()`  read one request (head, then the body by Content-Length or chunked framing) and record
            its raw bytes; at end of file the script stops (the client closed the connection);
- `Send(b)` write bytes; `Sleep(s)` pause (cut short at teardown);
- `HalfClose()` shut down the write side (FIN, the read side stays open);
- `Close()` close the connection; `Reset()` close it with an RST (SO_LINGER 0).

A script that ends without `Close`/`Reset` closes the connection gracefully. Every loop is bounded
in count and time, the accept thread and every connection thread are joined at `stop()`.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

# bounds: every loop below ends on one of these (or on `stop()`)
POLL = 0.05  # seconds per blocking socket call, so the stop flag is seen quickly
STEP_DEADLINE = 10.0  # seconds any one step may take
MAX_CONNECTIONS = 16  # connections handled; later ones are closed at once (still counted)
MAX_REQUEST = 1 << 20  # bytes of one recorded request
MAX_SLEEP = 10.0


@dataclass(frozen=True)
class Recv:
    """Read one request and record it; the script ends if the client closed the connection."""


@dataclass(frozen=True)
class Send:
    data: bytes


@dataclass(frozen=True)
class Sleep:
    seconds: float


@dataclass(frozen=True)
class HalfClose:
    """shutdown(SHUT_WR): the client sees end of file, the server can still read."""


@dataclass(frozen=True)
class Close:
    """Close the connection (FIN)."""


@dataclass(frozen=True)
class Reset:
    """Close the connection with an RST (SO_LINGER on, timeout 0)."""


Step = Recv | Send | Sleep | HalfClose | Close | Reset
Script = Sequence[Step]


class _Ended(Exception):
    """The script stops: the peer closed, the server is stopping, or a step ran out of time."""


@dataclass
class Connection:
    """What one accepted connection received."""

    index: int
    requests: list[bytes] = field(default_factory=list)  # each complete request read by Recv
    received: bytearray = field(default_factory=bytearray)  # every byte read, in order
    saw_eof: bool = False  # the client closed (or reset) its side while we were reading
    done: threading.Event = field(default_factory=threading.Event)


class RawServer:
    """Start with `start()`, stop with `stop()` (joins every thread). `url` is `http://127.0.0.1:P`."""

    def __init__(self, scripts: Sequence[Script]) -> None:
        self.scripts = [tuple(s) for s in scripts]
        self.connections: list[Connection] = []
        self.errors: list[str] = []  # unexpected server-side failures (a test should see none)
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(MAX_CONNECTIONS)
        self._listener.settimeout(POLL)
        self.port: int = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._acceptor = threading.Thread(target=self._accept_loop, daemon=True)

    # -- what the tests read ----------------------------------------------------------------

    @property
    def accepted(self) -> int:
        with self._lock:
            return len(self.connections)

    @property
    def requests(self) -> list[bytes]:
        """Every recorded request, connection by connection."""
        with self._lock:
            return [r for c in self.connections for r in c.requests]

    @property
    def received(self) -> bytes:
        """Every byte received on every connection."""
        with self._lock:
            return b"".join(bytes(c.received) for c in self.connections)

    def wait_done(self, index: int, timeout: float = 5.0) -> bool:
        """Wait until connection `index` (0-based) was accepted and its script has ended."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                conn = self.connections[index] if index < len(self.connections) else None
            if conn is not None:
                return conn.done.wait(max(0.0, deadline - time.monotonic()))
            time.sleep(0.01)
        return False

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> RawServer:
        self._acceptor.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._acceptor.join(timeout=10)
        self._listener.close()
        with self._lock:
            threads = list(self._threads)
        for t in threads:
            t.join(timeout=10)
        alive = [t.name for t in [self._acceptor, *threads] if t.is_alive()]
        if alive:
            raise RuntimeError(f"raw server threads still running: {alive}")

    def __enter__(self) -> RawServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- server side ------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        deadline = time.monotonic() + 300  # a fixture never lives this long; a hard bound anyway
        while not self._stopping.is_set() and time.monotonic() < deadline:
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                index = len(self.connections)
                conn = Connection(index)
                self.connections.append(conn)
            if index >= MAX_CONNECTIONS or index >= len(self.scripts):
                sock.close()  # no script for it: the client sees the connection closed
                conn.done.set()
                continue
            t = threading.Thread(
                target=self._serve, args=(sock, conn, self.scripts[index]), daemon=True
            )
            with self._lock:
                self._threads.append(t)
            t.start()

    def _serve(self, sock: socket.socket, conn: Connection, script: tuple[Step, ...]) -> None:
        sock.settimeout(POLL)
        buf = bytearray()  # received but not yet consumed by a Recv
        try:
            for step in script:
                if isinstance(step, Recv):
                    conn.requests.append(self._read_request(sock, conn, buf))
                elif isinstance(step, Send):
                    self._send(sock, step.data)
                elif isinstance(step, Sleep):
                    if self._stopping.wait(min(step.seconds, MAX_SLEEP)):
                        raise _Ended
                elif isinstance(step, HalfClose):
                    sock.shutdown(socket.SHUT_WR)
                elif isinstance(step, Close):
                    break
                elif isinstance(step, Reset):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    break
        except _Ended:
            pass
        except OSError:
            pass  # the client reset or closed while we were writing: the script is over
        except Exception as exc:  # pragma: no cover - a bug in a script or in this server
            self.errors.append(repr(exc))
        finally:
            sock.close()
            conn.done.set()

    def _recv_more(self, sock: socket.socket, conn: Connection, buf: bytearray) -> None:
        deadline = time.monotonic() + STEP_DEADLINE
        while time.monotonic() < deadline:
            if self._stopping.is_set():
                raise _Ended
            try:
                data = sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                conn.saw_eof = True
                raise _Ended from None
            if not data:
                conn.saw_eof = True
                raise _Ended
            conn.received += data
            buf += data
            if len(buf) > MAX_REQUEST:
                raise _Ended
            return
        raise _Ended

    def _read_request(self, sock: socket.socket, conn: Connection, buf: bytearray) -> bytes:
        while b"\r\n\r\n" not in buf:
            self._recv_more(sock, conn, buf)
        head_end = buf.index(b"\r\n\r\n") + 4
        head = bytes(buf[:head_end]).lower()
        length = 0
        chunked = b"\r\ntransfer-encoding: chunked" in head
        for line in head.split(b"\r\n"):
            if line.startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        if chunked:
            end = self._chunked_end(sock, conn, buf, head_end)
        else:
            end = head_end + length
            while len(buf) < end:
                self._recv_more(sock, conn, buf)
        request = bytes(buf[:end])
        del buf[:end]
        return request

    def _chunked_end(self, sock: socket.socket, conn: Connection, buf: bytearray, pos: int) -> int:
        """Offset just past a chunked body (and its empty trailer section) starting at `pos`."""
        for _ in range(100_000):
            while b"\r\n" not in buf[pos:]:
                self._recv_more(sock, conn, buf)
            line_end = buf.index(b"\r\n", pos)
            size = int(bytes(buf[pos:line_end]).split(b";")[0], 16)
            pos = line_end + 2
            if size == 0:
                while b"\r\n\r\n" not in buf[pos - 2 :]:
                    self._recv_more(sock, conn, buf)
                return buf.index(b"\r\n\r\n", pos - 2) + 4
            while len(buf) < pos + size + 2:
                self._recv_more(sock, conn, buf)
            pos += size + 2
        raise _Ended

    def _send(self, sock: socket.socket, data: bytes) -> None:
        view = memoryview(data)
        deadline = time.monotonic() + STEP_DEADLINE
        while view and time.monotonic() < deadline:
            if self._stopping.is_set():
                raise _Ended
            try:
                sent = sock.send(view)
            except TimeoutError:
                continue
            view = view[sent:]
        if view:
            raise _Ended


# -- helpers for writing scripts ------------------------------------------------------------


def response(
    status: str = "200 OK",
    headers: Sequence[tuple[str, str]] = (),
    body: bytes = b"",
    *,
    content_length: bool = True,
) -> bytes:
    """A well-formed response; `Content-Length` is added unless `content_length=False`."""
    lines = [f"HTTP/1.1 {status}"]
    lines += [f"{name}: {value}" for name, value in headers]
    if content_length:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def chunked(*pieces: bytes, trailer: bytes = b"") -> bytes:
    """A chunked body: one chunk per piece, the last chunk, then `trailer` and the final CRLF."""
    out = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces if p)
    return out + b"0\r\n" + trailer + b"\r\n"


#: The `raw_server` fixture (tests/wire/conftest.py): `raw_server(script1, script2, ...)`.
StartServer = Callable[..., RawServer]
