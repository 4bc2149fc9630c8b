"""A threaded HTTP/1.1 app server on 127.0.0.1 for client tests (keep-alive, counted connections).

`AppServer` accepts on port 0 in a daemon thread; each connection is served by its own thread,
which `stop()` unblocks (socket shutdown) and joins. Routes are functions of an `Exchange`,
registered by the first path segments (`/bytes` serves `/bytes/10`, with `ex.args == ["10"]`);
the longest registered prefix wins. Add one with `server.add_route("/x", func)` or the
`@server.route("/x")` decorator; `DEFAULT_ROUTES` (tests/servers/routes.py) are installed on
every server.

What a test can look at: `server.url`, `server.connections_accepted` (TCP connections accepted),
`server.requests` (every request head seen, with the id of the connection it came on),
`server.errors` (exceptions raised in connection threads, e.g. TLS handshakes the client
refused).
"""

from __future__ import annotations

import json
import socket
import socketserver
import ssl
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

Route = Callable[["Exchange"], None]
HeaderList = Sequence[tuple[str, str]]

IDLE_TIMEOUT = 30.0  # an idle keep-alive connection is dropped by the server after this
MAX_REQUEST_BODY = 64 * 1024 * 1024


def pattern(n: int) -> bytes:
    """The deterministic body of `/bytes/N`, `/chunked/N` and `/range/N`."""
    block = bytes(range(256))
    return (block * (n // 256 + 1))[:n]


@dataclass
class RecordedRequest:
    """A request head as the server saw it."""

    connection_id: int
    method: str
    target: str
    headers: list[tuple[str, str]]

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


@dataclass
class Exchange:
    """One request, as given to a route, with helpers to write the response."""

    handler: _Handler
    method: str
    target: str
    path: str
    args: list[str]
    query: list[tuple[str, str]]
    headers: list[tuple[str, str]]
    body: bytes
    connection_id: int
    server: AppServer
    keep_alive: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    def header(self, name: str, default: str | None = None) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return default

    def param(self, name: str, default: str | None = None) -> str | None:
        for key, value in self.query:
            if key == name:
                return value
        return default

    def float_param(self, name: str, default: float) -> float:
        value = self.param(name)
        return default if value is None else float(value)

    def int_param(self, name: str, default: int) -> int:
        value = self.param(name)
        return default if value is None else int(value)

    def wait(self, seconds: float) -> bool:
        """Sleep `seconds`, cut short when the server stops. True if the server is stopping."""
        return self.server.stopping.wait(seconds)

    # writing --------------------------------------------------------------------------------

    def send_head(
        self, status: int, headers: Iterable[tuple[str, str]] = (), reason: str = ""
    ) -> None:
        h = self.handler
        h.send_response(status, reason or None)
        names = set()
        for name, value in headers:
            names.add(name.lower())
            h.send_header(name, value)
        if not self.keep_alive and "connection" not in names:
            h.send_header("Connection", "close")
        if "connection" in names and any(
            n.lower() == "connection" and v.lower() == "close" for n, v in headers
        ):
            self.keep_alive = False
        h.end_headers()
        h.wfile.flush()

    def write(self, data: bytes) -> None:
        if self.method != "HEAD" and data:
            self.handler.wfile.write(data)
            self.handler.wfile.flush()

    def write_chunk(self, data: bytes) -> None:
        if data:
            self.write(b"%x\r\n%s\r\n" % (len(data), data))

    def end_chunks(self, trailers: HeaderList = ()) -> None:
        tail = b"".join(f"{k}: {v}\r\n".encode("latin-1") for k, v in trailers)
        self.write(b"0\r\n" + tail + b"\r\n")

    def respond(
        self,
        status: int = 200,
        body: bytes | str = b"",
        headers: HeaderList = (),
        content_type: str | None = "text/plain; charset=utf-8",
        reason: str = "",
    ) -> None:
        """A complete response with Content-Length."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        head = list(headers)
        names = {name.lower() for name, _ in head}
        if content_type is not None and "content-type" not in names:
            head.append(("Content-Type", content_type))
        if "content-length" not in names:
            head.append(("Content-Length", str(len(data))))
        self.send_head(status, head, reason)
        self.write(data)

    def respond_json(self, obj: Any, status: int = 200, headers: HeaderList = ()) -> None:
        self.respond(status, json.dumps(obj), headers, content_type="application/json")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT
    app: AppServer  # set on the subclass made per server
    connection_id: int

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return

    def setup(self) -> None:
        super().setup()
        self.connection_id = self.app._connection_id(self.request)

    def _read_body(self) -> bytes:
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            parts: list[bytes] = []
            total = 0
            while True:
                size_line = self.rfile.readline(1024)
                if not size_line:
                    raise ConnectionError("EOF in chunked request body")
                size = int(size_line.split(b";")[0].strip(), 16)
                if size == 0:
                    for _ in range(100):  # trailers, bounded
                        if self.rfile.readline(8192) in (b"\r\n", b"\n", b""):
                            break
                    return b"".join(parts)
                total += size
                if total > MAX_REQUEST_BODY:
                    raise ValueError("request body too large")
                parts.append(self.rfile.read(size))
                self.rfile.readline(8)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_REQUEST_BODY:
            raise ValueError("request body too large")
        return self.rfile.read(length) if length else b""

    def _dispatch(self) -> None:
        body = self._read_body()
        split = urlsplit(self.path)
        path = split.path or "/"
        headers = [(k, v) for k, v in self.headers.items()]
        self.app.requests.append(
            RecordedRequest(self.connection_id, self.command, self.path, list(headers))
        )
        route, args = self.app._find(path)
        ex = Exchange(
            handler=self,
            method=self.command,
            target=self.path,
            path=path,
            args=args,
            query=parse_qsl(split.query, keep_blank_values=True),
            headers=headers,
            body=body,
            connection_id=self.connection_id,
            server=self.app,
            keep_alive=not self.close_connection,
        )
        if route is None:
            ex.respond(404, f"no route for {path}\n")
        else:
            route(ex)
        if not ex.keep_alive:
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _dispatch


class _TCPServer(socketserver.TCPServer):
    allow_reuse_address = True
    request_queue_size = 64
    app: AppServer

    def process_request(self, request: Any, client_address: Any) -> None:
        cid = self.app._accepted(request)
        thread = threading.Thread(
            target=self._serve_one, args=(request, client_address, cid), daemon=True
        )
        self.app._threads.append(thread)
        thread.start()

    def _serve_one(self, request: Any, client_address: Any, cid: int) -> None:
        try:
            if self.app.ssl_context is not None:
                request.settimeout(10.0)
                self.app._forget(request)
                request = self.app.ssl_context.wrap_socket(request, server_side=True)
                self.app._register(cid, request)
            self.finish_request(request, client_address)
        except Exception as exc:  # the client went away, refused our certificate, ...
            self.app.errors.append(exc)
        finally:
            self.app._forget(request)
            try:
                request.close()
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        return


class AppServer:
    """The app server; use as a context manager or call `start()` / `stop()`."""

    def __init__(
        self,
        routes: dict[str, Route] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        from tests.servers.routes import DEFAULT_ROUTES

        self.ssl_context = ssl_context
        self.routes: dict[str, Route] = dict(DEFAULT_ROUTES)
        self.routes.update(routes or {})
        self.requests: list[RecordedRequest] = []
        self.errors: list[BaseException] = []
        self.stopping = threading.Event()
        self.connections_accepted = 0
        self._lock = threading.Lock()
        self._open: dict[int, socket.socket] = {}  # connection id -> socket
        self._ids: dict[int, int] = {}  # id(socket) -> connection id
        self._threads: list[threading.Thread] = []
        handler = type("Handler", (_Handler,), {"app": self})
        self._server = _TCPServer((host, 0), handler, bind_and_activate=True)
        self._server.app = self
        self.host = host
        self.port: int = self._server.server_address[1]
        scheme = "https" if ssl_context is not None else "http"
        self.url = f"{scheme}://{host}:{self.port}"
        self._thread = threading.Thread(target=self._serve, daemon=True, name="app-server")

    # routes ---------------------------------------------------------------------------------

    def add_route(self, prefix: str, func: Route) -> None:
        self.routes[prefix.rstrip("/") or "/"] = func

    def route(self, prefix: str) -> Callable[[Route], Route]:
        def register(func: Route) -> Route:
            self.add_route(prefix, func)
            return func

        return register

    def _find(self, path: str) -> tuple[Route | None, list[str]]:
        segments = [s for s in path.split("/") if s]
        for n in range(len(segments), -1, -1):
            prefix = "/" + "/".join(segments[:n])
            if prefix in self.routes:
                return self.routes[prefix], segments[n:]
        return None, []

    # connections ----------------------------------------------------------------------------

    def _accepted(self, sock: socket.socket) -> int:
        with self._lock:
            self.connections_accepted += 1
            cid = self.connections_accepted
        self._register(cid, sock)
        return cid

    def _register(self, cid: int, sock: socket.socket) -> None:
        with self._lock:
            self._open[cid] = sock
            self._ids[id(sock)] = cid

    def _connection_id(self, sock: socket.socket) -> int:
        with self._lock:
            return self._ids.get(id(sock), 0)

    def _forget(self, sock: socket.socket) -> None:
        with self._lock:
            cid = self._ids.pop(id(sock), None)
            if cid is not None:
                self._open.pop(cid, None)

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._open)

    # lifecycle ------------------------------------------------------------------------------

    def _serve(self) -> None:
        self._server.serve_forever(poll_interval=0.05)

    def start(self) -> AppServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(10)
        self._server.server_close()
        with self._lock:
            socks = list(self._open.values())
        for sock in socks:
            try:
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except OSError:
                pass
        for thread in self._threads:
            thread.join(10)
        alive = [t for t in self._threads if t.is_alive()]
        assert not alive, f"{len(alive)} connection thread(s) did not stop"

    def __enter__(self) -> AppServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
