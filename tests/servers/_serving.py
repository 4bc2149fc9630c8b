"""What the proxies among the test servers share: a threaded TCP server on 127.0.0.1 that counts
the connections it accepts and keeps the open ones, so that `stop()` can shut every tunnel down
(a relay blocked on a socket wakes up) before joining the connection threads."""

from __future__ import annotations

import socket
import socketserver
import threading
from typing import Any, TypeVar

_S = TypeVar("_S", bound="ProxyBase")


class _TCPServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    allow_reuse_address = True
    daemon_threads = False
    block_on_close = True
    proxy: ProxyBase

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.proxy._lock:
            self.proxy.connections_accepted += 1
            self.proxy._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.proxy._lock:
            self.proxy._open.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        return


class ProxyBase:
    """Serves `handler` (a `socketserver.BaseRequestHandler` class, given this object as its
    `proxy` attribute) in a thread; a context manager, or `start()` / `stop()`."""

    def __init__(self, handler: type[socketserver.BaseRequestHandler]) -> None:
        self.connections_accepted = 0
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        bound = type("Handler", (handler,), {"proxy": self})
        self._server = _TCPServer(("127.0.0.1", 0), bound)
        self._server.proxy = self
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self: _S) -> _S:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(10)
        with self._lock:
            socks = list(self._open)
        for sock in socks:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._server.server_close()  # joins the connection threads

    def __enter__(self: _S) -> _S:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
