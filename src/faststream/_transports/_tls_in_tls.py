"""TLS inside TLS for the sync backend: a TLS session to an origin carried by the TLS session
to an https proxy (the CONNECT tunnel), as `ssl.SSLSocket` cannot wrap another `SSLSocket`.

`LayeredTLS` is an `ssl.SSLObject` whose memory BIOs are pumped over the outer, non-blocking
`SSLSocket`; it offers the few socket methods the sync `Connection` calls, with the same
non-blocking contract: `SSLWantReadError` / `SSLWantWriteError` when the outer socket has
nothing to give or no room to take, so the connection waits (with the phase's timeout) and
calls again. Ordinary connections never see this class.

Encrypted bytes the outer socket could not take yet wait in `unsent`; they go out before
anything else is written or read, and while some wait, `ready()` is true so a connection
about to wait for a response calls `recv` instead (which sends them first, or raises
`SSLWantWriteError`). An EOF without the origin's close_notify reads as an empty result, as
`SSLSocket` does by default.

An HTTP/2 connection is read by one thread while others write: `send`, `recv` and `recv_into`
each hold a lock for their whole call (none of them waits, the sockets are non-blocking), so
the inner session, its buffers and the outer socket are used by one thread at a time.
"""

from __future__ import annotations

import ssl
import threading
import time
import typing

from .._exceptions import ConnectError, ConnectTimeout

__all__ = ["LayeredTLS", "start_tls_in_tls"]

#: Bytes read from the outer socket per call (a TLS record is at most ~16 KiB).
OUTER_READ = 65536
#: Plaintext encrypted per `send`: bounds the encrypted bytes held while the outer socket is
#: busy.
MAX_WRITE = 256 * 1024


class OuterWaiter(typing.Protocol):
    """Waits for the outer socket (the connection's waiter)."""

    def readable(self, timeout: float | None) -> bool: ...

    def writable(self, timeout: float | None) -> bool: ...


class LayeredTLS:
    """A TLS session (`ssl_object`) over the TLS socket `outer`, used as a non-blocking socket."""

    __slots__ = ("_eof", "_incoming", "_lock", "_outgoing", "outer", "ssl_object", "unsent")

    def __init__(self, outer: ssl.SSLSocket, context: ssl.SSLContext, server_hostname: str):
        self.outer = outer
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self.ssl_object = context.wrap_bio(
            self._incoming, self._outgoing, server_hostname=server_hostname
        )
        self.unsent = b""
        self._eof = False
        self._lock = threading.Lock()

    # -- socket methods the connection uses ----------------------------------------------

    def fileno(self) -> int:
        return self.outer.fileno()

    def setblocking(self, flag: bool) -> None:
        self.outer.setblocking(flag)

    def close(self) -> None:
        self.outer.close()

    def ready(self) -> bool:
        """Something to do without waiting for the network: decrypted bytes to read, or
        encrypted bytes to send."""
        return bool(self.unsent) or self.ssl_object.pending() > 0 or self.outer.pending() > 0

    def send(self, data: typing.Any) -> int:
        """Encrypt up to `MAX_WRITE` bytes of `data` and send what the outer socket takes:
        the count of `data` consumed. `SSLWantWriteError` (nothing consumed) while earlier
        bytes are still unsent."""
        with self._lock:
            if self.unsent:
                self.flush()
            written = self.ssl_object.write(data[:MAX_WRITE])
            self._queue()
            return written

    def recv(self, size: int) -> bytes:
        """Up to `size` decrypted bytes; empty at EOF. `SSLWantReadError` when the outer
        socket has nothing yet."""
        with self._lock:
            return typing.cast(bytes, self._read(size, None))

    def recv_into(self, buffer: typing.Any) -> int:
        """Decrypt into `buffer`: the count (0 at EOF). `SSLWantReadError` as `recv`."""
        with self._lock:
            return typing.cast(int, self._read(len(buffer), buffer))

    # -- pumping ------------------------------------------------------------------------

    def _read(self, size: int, buffer: typing.Any) -> bytes | int:
        if self.unsent:
            self.flush()
        tls = self.ssl_object
        while True:
            try:
                data = tls.read(size) if buffer is None else tls.read(size, buffer)
            except ssl.SSLWantReadError:
                if self._eof:
                    return b"" if buffer is None else 0
                self._fill()
                continue
            except ssl.SSLEOFError:
                # The outer session ended without the origin's close_notify.
                return b"" if buffer is None else 0
            if self._outgoing.pending:
                # Reading made TLS output (a key update's answer): send it soon.
                self._queue()
            return data

    def _fill(self) -> None:
        """Move what the outer socket has into the inner session (`SSLWantReadError` when
        it has nothing)."""
        data = self.outer.recv(OUTER_READ)
        if data:
            self._incoming.write(data)
        else:
            self._eof = True
            self._incoming.write_eof()

    def _queue(self) -> None:
        """Take the inner session's output and send what the outer socket takes now."""
        self.unsent += self._outgoing.read()
        try:
            self.flush()
        except (ssl.SSLWantWriteError, ssl.SSLWantReadError, BlockingIOError):
            pass  # sent before the next read or write

    def flush(self) -> None:
        """Send the unsent bytes: `SSLWantWriteError` (or `BlockingIOError`) when the outer
        socket cannot take them all now; the rest stays unsent."""
        view = memoryview(self.unsent)
        try:
            while view:
                view = view[self.outer.send(view) :]
        finally:
            self.unsent = bytes(view) if view else b""
            view.release()

    def handshake(self, deadline: float | None, waiter: OuterWaiter) -> None:
        """Complete the inner handshake: `ConnectError` (a certificate that does not verify
        included), `ConnectTimeout` at `deadline` (`time.monotonic()`)."""
        tls = self.ssl_object
        try:
            while True:
                try:
                    tls.do_handshake()
                    done = True
                except ssl.SSLWantReadError:
                    done = False
                self.unsent += self._outgoing.read()
                self._send_all(deadline, waiter)
                if done:
                    return
                while True:
                    try:
                        self._fill()
                        break
                    except ssl.SSLWantReadError:
                        if not waiter.readable(_left(deadline)):
                            raise ConnectTimeout("timed out") from None
                if self._eof:
                    raise ConnectError("The proxy closed the tunnel during the TLS handshake.")
        except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
            raise ConnectError(str(exc)) from exc

    def _send_all(self, deadline: float | None, waiter: OuterWaiter) -> None:
        while self.unsent:
            try:
                self.flush()
            except (ssl.SSLWantWriteError, BlockingIOError):
                if not waiter.writable(_left(deadline)):
                    raise ConnectTimeout("timed out") from None
            except ssl.SSLWantReadError:  # pragma: no cover - outer renegotiation
                if not waiter.readable(_left(deadline)):
                    raise ConnectTimeout("timed out") from None


def _left(deadline: float | None) -> float | None:
    return None if deadline is None else max(0.0, deadline - time.monotonic())


def start_tls_in_tls(
    outer: ssl.SSLSocket,
    context: ssl.SSLContext,
    server_hostname: str,
    timeout: float | None,
    waiter: OuterWaiter,
) -> LayeredTLS:
    """TLS to `server_hostname` inside the TLS socket `outer`, handshake done: `ConnectError`,
    `ConnectTimeout`; `outer` is closed when it fails."""
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        try:
            layered = LayeredTLS(outer, context, server_hostname)
        except (ssl.SSLError, ValueError) as exc:
            raise ConnectError(str(exc)) from exc
        layered.handshake(deadline, waiter)
    except BaseException:
        outer.close()
        raise
    return layered
