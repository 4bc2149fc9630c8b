"""One HTTP/2 connection carrying many streams at once, on any network backend.

The protocol is `_http2_exchange.H2Exchange` (sans-I/O, over h2); this module moves its bytes
through a connection of a network backend (`send_raw` / `receive_raw`) and lets several tasks
(or, in the generated sync module, threads) use it together:

* Reading: no task owns the socket. A stream that needs data (its head, a body piece, a
  window to send into) reads the socket itself when nobody else is reading, feeds what it got
  to the exchange (which files it under the streams it belongs to) and wakes every waiting
  stream to look at its own state; while another stream reads, it waits to be woken, at most
  until its own read deadline. So the connection is read only while someone needs data:
  that, with windows reopened only as pieces are taken, is the backpressure.
* Writing: frames are queued in the exchange under the state lock and sent by whoever is not
  blocked behind another writer: a writer keeps sending until the queue is empty, so frames
  queued meanwhile by others (window updates, PING answers, RST_STREAM) go out with it and
  no writer waits for another. A reader never waits for the writer, so a request body
  waiting for a window can never deadlock against the reader that would open it.
* State: every change of the exchange and of the reader/writer flags happens under one lock
  with no wait inside (a no-op on an event loop, a real lock between threads).
* Cancellation and failure: closing a stream early (or cancelling its task) resets it with
  RST_STREAM CANCEL and frees its slot; the connection goes on. A write cut off half-way
  leaves the framing unknown, so it closes the connection. A connection-level protocol error
  fails every stream with `RemoteProtocolError`.
"""

from __future__ import annotations

import threading
import time
import typing

from .._exceptions import ReadTimeout, RemoteProtocolError
from ._http2_exchange import H2Exchange, H2Stream
from ._waiter import PoolWaiter

if typing.TYPE_CHECKING:
    from .._streams import AsyncByteStream
    from ._backends import AsyncBackend, AsyncConnection

__all__ = ["AsyncHTTP2Connection"]

Fields: typing.TypeAlias = list[tuple[bytes, bytes]]


def _remaining(deadline: float | None) -> float | None:
    return None if deadline is None else max(0.0, deadline - time.monotonic())


_HEAD, _DATA, _WINDOW = 0, 1, 2  # what a stream waits for


class _NoLock:
    """The state lock on an event loop: one thread, and no wait inside the guarded code."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info: object) -> None:
        return None


class ThreadWaiter(PoolWaiter):
    """A waiting thread (the sync module's waiter): an event."""

    __slots__ = ("_event",)

    def __init__(self, key: typing.Hashable) -> None:
        super().__init__(key)
        self._event = threading.Event()

    def _wake(self) -> None:
        self._event.set()

    def wait(self, timeout: float | None) -> None:  # type: ignore[override]
        self._event.wait(timeout)


class AsyncHTTP2Connection:
    """An HTTP/2 connection over `connection` (TLS with ALPN h2, or prior-knowledge h2c)."""

    def __init__(
        self, connection: AsyncConnection, backend: AsyncBackend, max_fields: int = 100
    ) -> None:
        self.network = connection
        self._backend = backend
        self.exchange = H2Exchange(max_fields)
        self._lock = _NoLock()  # unasync: async-only
        # unasync: sync-only: self._lock = threading.Lock()
        self._reading = False
        self._writing = False
        self._waiters: list[typing.Any] = []  # PoolWaiter: the backend's, or ThreadWaiter
        self.closed = False
        self.idle_since = time.monotonic()

    # -- the connection --------------------------------------------------------------------

    async def start(self, timeout: float | None) -> None:
        """Sends the connection preface and our SETTINGS."""
        # Before any stream: nobody else reads or writes yet.
        await self.network.send_raw(self.exchange.initiate(), timeout)

    @property
    def accepts_streams(self) -> bool:
        return not self.closed and self.exchange.accepts_streams

    @property
    def active(self) -> int:
        """Streams open on this connection."""
        return len(self.exchange.streams)

    def close(self) -> None:
        """Closes the socket now; streams still open fail with `RemoteProtocolError`."""
        if not self.closed:
            self.closed = True
            with self._lock:
                self.exchange.close()
                if self.exchange.error is None:
                    self.exchange.peer_closed()
                waiters, self._waiters = self._waiters, []
            self.network.close()
            for waiter in waiters:
                waiter.grant(None)

    # -- a request -------------------------------------------------------------------------

    async def request(
        self,
        method: bytes,
        scheme: bytes,
        authority: bytes,
        path: bytes,
        headers: Fields,
        body: AsyncByteStream | bytes | None,
        write_timeout: float | None,
        read_timeout: float | None,
    ) -> H2Stream:
        """Sends a request and waits for its response head; the stream's body is then read
        with `read_pieces` and the stream given back with `close_stream`."""
        in_memory = body is None or isinstance(body, bytes)
        with self._lock:
            stream_id = self.exchange.start_request(
                method, scheme, authority, path, headers, end_stream=not body
            )
            stream = self.exchange.streams[stream_id]
        try:
            await self._flush(write_timeout)
            if body:
                if in_memory:
                    assert isinstance(body, bytes)
                    await self._send_body(stream, body, write_timeout)
                else:
                    assert not isinstance(body, bytes) and body is not None
                    async for piece in body:
                        if piece:
                            await self._send_body(stream, piece, write_timeout)
                with self._lock:
                    if not stream.finished:
                        self.exchange.send_body(stream_id, b"", end_stream=True)
                await self._flush(write_timeout)
            deadline = None if read_timeout is None else time.monotonic() + read_timeout
            while stream.status_code == 0 and stream.error is None:
                await self._receive(stream, deadline, _HEAD)
            if stream.error is not None:
                raise stream.error
        except BaseException:
            self.close_stream(stream)
            raise
        return stream

    async def _send_body(self, stream: H2Stream, data: bytes, timeout: float | None) -> None:
        view = memoryview(data)
        deadline = None if timeout is None else time.monotonic() + timeout
        while view:
            with self._lock:
                if stream.error is not None:
                    raise stream.error
                if stream.ended:
                    return  # the server answered already: the rest is not wanted
                sent = self.exchange.send_body(stream.stream_id, view, end_stream=False)
            if sent:
                view = view[sent:]
                await self._flush(timeout)
            else:
                await self._receive(stream, deadline, _WINDOW)

    async def read_pieces(self, stream: H2Stream, read_timeout: float | None) -> list[bytes]:
        """The body pieces received for `stream` (waiting for some when there are none); an
        empty list at its end. A stream error is raised once the pieces before it are out."""
        deadline = None if read_timeout is None else time.monotonic() + read_timeout
        while True:
            with self._lock:
                if stream.pieces:
                    pieces = self.exchange.take(stream.stream_id)
                    break
                if stream.error is not None:
                    raise stream.error
                if stream.ended:
                    return []
            await self._receive(stream, deadline, _DATA)
        await self._flush(read_timeout)  # the window update for what was taken
        return pieces

    def close_stream(self, stream: H2Stream) -> None:
        """Gives a stream back: reset (RST_STREAM CANCEL) unless it ended. Never waits; the
        reset goes out with the connection's next write."""
        with self._lock:
            self.exchange.reset(stream.stream_id)
            self.idle_since = time.monotonic()

    # -- the socket ------------------------------------------------------------------------

    def _waiter(self) -> typing.Any:
        return self._backend.Waiter(None)  # unasync: async-only
        # unasync: sync-only: return ThreadWaiter(None)

    async def _receive(self, stream: H2Stream, deadline: float | None, want: int) -> None:
        """Returns once `stream` may have what it wants (its head, data or a send window), or
        has ended or failed.
        Reads the socket when no one else does; else waits for the reader's wake-up.
        `ReadTimeout` at `deadline`."""
        exchange = self.exchange
        with self._lock:
            if self._news(stream, want):
                return
            if self._reading:
                waiter = self._waiter()
                self._waiters.append(waiter)
            else:
                self._reading = True
                waiter = None
        if waiter is not None:
            try:
                await waiter.wait(_remaining(deadline))
            finally:
                with self._lock:
                    if not waiter.done:
                        waiter.give_up()
                        self._waiters.remove(waiter)
            if not waiter.done and deadline is not None and time.monotonic() >= deadline:
                raise ReadTimeout("timed out")
            return
        try:
            if self.closed:
                raise exchange.error or RemoteProtocolError("The connection was closed.")
            data = await self.network.receive_raw(_remaining(deadline))
            with self._lock:
                if not data:
                    exchange.peer_closed()
                else:
                    try:
                        exchange.received(data)
                    except RemoteProtocolError:
                        pass  # every stream has the error now; the GOAWAY is queued
        finally:
            with self._lock:
                self._reading = False
                waiters, self._waiters = self._waiters, []
            for other in waiters:
                other.grant(None)
        if exchange.error is not None:
            try:
                await self._flush(_remaining(deadline))
            finally:
                self.close()
        else:
            await self._flush(_remaining(deadline))

    def _news(self, stream: H2Stream, want: int) -> bool:
        if stream.finished or self.closed:
            return True
        if want == _DATA:
            return bool(stream.pieces)
        if want == _HEAD:
            return stream.status_code != 0
        return self.exchange.send_window(stream.stream_id) > 0

    async def _flush(self, timeout: float | None) -> None:
        """Sends every queued frame, unless another writer is at it (it sends ours too). A
        write cut off half-way closes the connection."""
        while True:
            with self._lock:
                if self._writing or self.closed:
                    return
                data = self.exchange.data_to_send()
                if not data:
                    return
                self._writing = True
            try:
                await self.network.send_raw(data, timeout)
            except BaseException:
                self._writing = False
                self.close()
                raise
            with self._lock:
                self._writing = False
