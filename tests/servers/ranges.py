"""A loopback HTTP/1.1 server of one resource with byte ranges, and faults to order.

`RangeServer(body)` serves `body` at every path (GET and HEAD), keep-alive, one thread per
connection, with ``Accept-Ranges: bytes``, a strong ETag and ``Range: bytes=a-b`` / ``a-`` /
``-n`` answered with 206 (``If-Range`` honoured: a validator that does not match gets the whole
body with 200), and 416 ``bytes */N`` past the end. Faults, attributes a test may change at
any time (they apply to the next response):

* `drop_every`: close the connection after sending this many body bytes of a response;
* `ignore_range`: answer every request with 200 and the whole body;
* `lie_start` / `lie_total`: add this to the start / total written in ``Content-Range``;
* `etag`, `body` (`replace(body, etag)`): the resource changes between requests;
* `disposition`: a ``Content-Disposition`` value to send;
* `encoding`: a ``Content-Encoding`` value to send (the body is then the coded bytes);
* `rate`: at most this many body bytes per second on each connection (the bench's cap);
* `no_validator`: send neither ETag nor Last-Modified.

`requests` holds every request's method, target and lower-cased headers; `errors` the
exceptions of connection threads. Every connection thread is bounded by socket timeouts.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from dataclasses import dataclass, field
from types import TracebackType

MAX_HEAD = 64 * 1024
SOCKET_TIMEOUT = 10.0
WRITE_BLOCK = 256 * 1024


@dataclass
class SeenRequest:
    method: str
    target: str
    headers: dict[str, str] = field(default_factory=dict)


class RangeServer:
    def __init__(self, body: bytes, *, etag: str = '"v1"') -> None:
        self.body = body
        self.etag = etag
        self.drop_every: int | None = None
        self.ignore_range = False
        self.lie_start = 0
        self.lie_total = 0
        self.disposition: str | None = None
        self.encoding: str | None = None
        self.rate: float | None = None
        self.no_validator = False
        self.requests: list[SeenRequest] = []
        self.errors: list[BaseException] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._acceptor = threading.Thread(target=self._accept, daemon=True)

    def replace(self, body: bytes, etag: str) -> None:
        self.body, self.etag = body, etag

    def __enter__(self) -> RangeServer:
        self._acceptor.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def stop(self) -> None:
        self._stopping.set()
        self._acceptor.join(5)
        with self._lock:
            for sock in self._sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        for thread in self._threads:
            thread.join(5)
        self._listener.close()

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            sock.settimeout(SOCKET_TIMEOUT)
            thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            with self._lock:
                self._sockets.append(sock)
                self._threads.append(thread)
            thread.start()

    def _serve(self, sock: socket.socket) -> None:
        buffer = b""
        try:
            while not self._stopping.is_set():
                while b"\r\n\r\n" not in buffer:
                    data = sock.recv(65536)
                    if not data:
                        return
                    buffer += data
                    if len(buffer) > MAX_HEAD:
                        return
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                seen = SeenRequest(method, target, headers)
                with self._lock:
                    self.requests.append(seen)
                if not self._respond(sock, seen):
                    return
        except (ConnectionError, TimeoutError):
            return
        except OSError:
            if not self._stopping.is_set():
                raise
        except BaseException as exc:  # reported by the test's teardown
            self.errors.append(exc)
        finally:
            sock.close()

    def _respond(self, sock: socket.socket, request: SeenRequest) -> bool:
        """Send one response; False when the connection is to be closed."""
        body, etag, total = self.body, self.etag, len(self.body)
        status = "200 OK"
        headers = [("Accept-Ranges", "bytes")]
        if not self.no_validator:
            headers.append(("ETag", etag))
        if self.disposition is not None:
            headers.append(("Content-Disposition", self.disposition))
        if self.encoding is not None:
            headers.append(("Content-Encoding", self.encoding))
        start, end = 0, total
        wanted = request.headers.get("range")
        if_range = request.headers.get("if-range")
        if wanted and not self.ignore_range and (if_range is None or if_range == etag):
            parsed = _parse_range(wanted, total)
            if parsed is None:
                head = _head("416 Range Not Satisfiable", [("Content-Range", f"bytes */{total}")])
                sock.sendall(head + b"Content-Length: 0\r\n\r\n")
                return True
            start, end = parsed
            status = "206 Partial Content"
            first = start + self.lie_start
            headers.append(
                (
                    "Content-Range",
                    f"bytes {first}-{first + end - start - 1}/{total + self.lie_total}",
                )
            )
        headers.append(("Content-Length", str(end - start)))
        sock.sendall(_head(status, headers) + b"\r\n")
        if request.method == "HEAD":
            return True
        return self._send_body(sock, memoryview(body)[start:end])

    def _send_body(self, sock: socket.socket, view: memoryview) -> bool:
        drop = self.drop_every
        rate = self.rate
        sent = 0
        began = time.monotonic()
        while sent < len(view):
            block = WRITE_BLOCK if rate is None else max(1, min(WRITE_BLOCK, int(rate / 100)))
            if drop is not None:
                block = min(block, drop - sent)
                if block <= 0:
                    return False  # the fault: the connection drops mid-body
            sock.sendall(view[sent : sent + block])
            sent += block
            if rate is not None:
                ahead = began + sent / rate - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)
        return True


def _head(status: str, headers: list[tuple[str, str]]) -> bytes:
    lines = [f"HTTP/1.1 {status}"] + [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n").encode("latin-1")


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _parse_range(value: str, total: int) -> tuple[int, int] | None:
    """[start, end) of a single byte range; None when it cannot be satisfied."""
    match = _RANGE.match(value.strip())
    if match is None or not (match.group(1) or match.group(2)):
        return None
    if not match.group(1):  # the last n bytes
        n = int(match.group(2))
        return (max(0, total - n), total) if n > 0 and total > 0 else None
    start = int(match.group(1))
    end = int(match.group(2)) + 1 if match.group(2) else total
    if start >= total or end <= start:
        return None
    return start, min(end, total)
