"""Relaying bytes both ways between two connected sockets, for the proxies among the test servers.

`relay(a, b, stop)` copies what either socket receives to the other until one side closes or
fails, `stop` is set or `limit` seconds have passed, and then closes both sockets: a test never
waits on a relay that outlives it, and the peer of each side sees the end of the tunnel.

`from_b`, when given, sees every piece received from `b` before it goes to `a` (`feed`) and may
hold bytes back (a proxy rewriting a response head waits for the whole head); what it still holds
when `b` ends is sent by `flush`.
"""

from __future__ import annotations

import selectors
import socket
import threading
import time
from typing import Protocol

RELAY_LIMIT = 60.0  # seconds a relay may last
READ_SIZE = 65536
POLL_INTERVAL = 0.1  # seconds between checks of `stop` and the deadline


class Filter(Protocol):
    """A transformation of one direction of a relay."""

    def feed(self, data: bytes) -> bytes:
        """The bytes to forward now for `data` (possibly empty: held back)."""

    def flush(self) -> bytes:
        """The bytes held back, to forward when the source has ended."""


def relay(
    a: socket.socket,
    b: socket.socket,
    stop: threading.Event,
    *,
    limit: float = RELAY_LIMIT,
    from_b: Filter | None = None,
) -> None:
    """Copy bytes both ways until one side ends, `stop` is set or `limit` passes; close both."""
    sel = selectors.DefaultSelector()
    deadline = time.monotonic() + limit
    try:
        sel.register(a, selectors.EVENT_READ, b)
        sel.register(b, selectors.EVENT_READ, a)
        while not stop.is_set() and time.monotonic() < deadline:
            for key, _ in sel.select(timeout=POLL_INTERVAL):
                src: socket.socket = key.fileobj  # type: ignore[assignment]
                dst: socket.socket = key.data
                filtered = from_b is not None and src is b
                try:
                    data = src.recv(READ_SIZE)
                except OSError:
                    return
                try:
                    if not data:
                        if filtered:
                            assert from_b is not None
                            dst.sendall(from_b.flush())
                        return
                    if filtered:
                        assert from_b is not None
                        data = from_b.feed(data)
                    if data:
                        dst.sendall(data)
                except OSError:
                    return
    finally:
        sel.close()
        for sock in (a, b):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
