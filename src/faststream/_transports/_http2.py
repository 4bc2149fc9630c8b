# Generated from src/faststream/_transports/_async_http2.py by tools/unasync.py: edit that file, then run
# `python tools/unasync.py`. CI fails when this file differs from what it generates.
"""One HTTP/2 connection carrying many streams at once, on any network backend.

The protocol is `_http2_exchange.H2Exchange` (sans-I/O, over h2); this module moves its bytes
through a connection of a network backend (`send_raw` / `receive_raw`) and lets several tasks
(or, in the generated sync module, threads) use it together:

* Reading: no task owns the socket. A stream that needs data (its head, a body piece, a
  window to send into) reads the socket itself when nobody else is reading, feeds what it got
  to the exchange (which files it under the streams it belongs to) and wakes every waiting
  stream the read gave news to (and, when the reader itself got what it wanted, one more
  waiting stream, to read next); while another stream reads, it waits to be woken, at most
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

import collections
import threading
import time
import typing
import warnings
from collections.abc import Iterator

from .._exceptions import (
    ConnectTimeout,
    PoolTimeout,
    ReadTimeout,
    RemoteProtocolError,
    RequestError,
    TimeoutException,
)
from .._response import Response
from .._streams import SyncByteStream, ByteStream
from ._deadlines import Deadlines
from ._waiter import PoolWaiter

if typing.TYPE_CHECKING:
    from .._request import Request
    from ._backends import SyncBackend, Connection
    from ._http2_exchange import H2Stream

__all__ = ["HTTP2Connection", "HTTP2ResponseStream", "HTTP2Routes"]

Fields: typing.TypeAlias = list[tuple[bytes, bytes]]


def _remaining(deadline: float | None) -> float | None:
    return None if deadline is None else max(0.0, deadline - time.monotonic())


_HEAD, _DATA, _WINDOW = 0, 1, 2  # what a stream waits for
_READ = 256 * 1024  # the most one socket read takes: a quarter of a stream's window
_RESET_TIMEOUT = 5.0  # the most a reset's write may take before the connection is closed


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


class HTTP2Connection:
    """An HTTP/2 connection over `connection` (TLS with ALPN h2, or prior-knowledge h2c)."""

    def __init__(
        self, connection: Connection, backend: SyncBackend, max_fields: int = 100
    ) -> None:
        self.network = connection
        self._backend = backend
        from ._http2_exchange import H2Exchange  # h2 is imported only when HTTP/2 is used

        self.exchange = H2Exchange(max_fields)
        self._lock = threading.Lock()
        self._reading = False
        self._writing = False
        # Streams waiting for a read by another: waiter (the backend's PoolWaiter, or a
        # ThreadWaiter) -> (its stream, what it waits for), in the order they came.
        self._waiters: dict[typing.Any, tuple[H2Stream, int]] = {}
        self.closed = False
        self.idle_since = time.monotonic()
        # Streams whose responses were garbage-collected unclosed, for the sync client to
        # give back at the connection's next use (a collector may run on any thread, with
        # any lock held: it only appends here).
        self.abandoned: collections.deque[H2Stream] = collections.deque()

    # -- the connection --------------------------------------------------------------------

    def start(self, timeout: float | None) -> None:
        """Sends the connection preface and our SETTINGS, and waits for the server's SETTINGS
        (the first frame it sends): until then its stream limit is unknown, and a burst of
        requests over that limit would be refused, or end the connection on some servers."""
        # Before any stream: nobody else reads or writes yet.
        exchange = self.exchange
        deadline = None if timeout is None else time.monotonic() + timeout
        self.network.send_raw(exchange.initiate(), timeout)
        while not exchange.settings:
            try:
                data = self.network.receive_raw(_remaining(deadline), _READ)
            except ReadTimeout as exc:  # still opening the connection
                raise ConnectTimeout(str(exc)) from None
            if not data:
                raise RemoteProtocolError("Server disconnected before its HTTP/2 SETTINGS.")
            exchange.received(data)
        self._flush(timeout)  # our acknowledgement of them

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
                waiters, self._waiters = list(self._waiters), {}
            self.network.close()
            for waiter in waiters:
                waiter.grant(None)

    def retire(self, done: typing.Callable[[], None]) -> None:
        """Ends a connection that nobody uses any more (no stream open, and none will be
        started: the routes forgot it) politely: a GOAWAY, then the socket closes and
        `done()` runs. On an event loop the caller does not wait for the write."""
        self._goodbye(done)

    def _goodbye(self, done: typing.Callable[[], None]) -> None:
        try:
            with self._lock:
                data = b"" if self.closed or self._writing else self.exchange.close()
            if data:
                self.network.send_raw(data, _RESET_TIMEOUT)
        except Exception:  # noqa: S110 - the peer went away first: nothing to tell it
            pass
        finally:
            self.close()
            done()

    # -- a request -------------------------------------------------------------------------

    def request(
        self,
        method: bytes,
        scheme: bytes,
        authority: bytes,
        path: bytes,
        headers: Fields,
        body: SyncByteStream | bytes | None,
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
            # On an event loop, requests started together (a gather of many) go out in one
            # write: each yields once before flushing, so the first flush carries the HEADERS
            # of every request begun in the same turn of the loop, and the server reads and
            # answers them as one batch rather than waking once per request. A request alone
            # on its connection skips the yield (a turn of the loop), as there is no batch to
            # join: of a gather, the first goes alone and the others together.
            self._flush(write_timeout)
            if body:
                if in_memory:
                    assert isinstance(body, bytes)
                    self._send_body(stream, body, write_timeout)
                else:
                    assert not isinstance(body, bytes) and body is not None
                    for piece in body:
                        if piece:
                            self._send_body(stream, piece, write_timeout)
                with self._lock:
                    if not stream.finished:
                        self.exchange.send_body(stream_id, b"", end_stream=True)
                self._flush(write_timeout)
            deadline = None if read_timeout is None else time.monotonic() + read_timeout
            while stream.status_code == 0 and stream.error is None:
                self._receive(stream, deadline, _HEAD)
            if stream.error is not None:
                raise stream.error
        except BaseException:
            self.close_stream(stream)
            raise
        return stream

    def _send_body(self, stream: H2Stream, data: bytes, timeout: float | None) -> None:
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
                self._flush(timeout)
            else:
                self._receive(stream, deadline, _WINDOW)

    def read_pieces(self, stream: H2Stream, read_timeout: float | None) -> list[bytes]:
        """The body pieces received for `stream` (waiting for some when there are none); an
        empty list at its end. A stream error is raised once the pieces before it are out."""
        deadline = None if read_timeout is None else time.monotonic() + read_timeout
        while True:
            with self._lock:
                if stream.pieces:
                    pieces = self.exchange.take(stream.stream_id)
                    due = self.exchange.queue_window_updates()
                    break
                if stream.error is not None:
                    raise stream.error
                if stream.ended:
                    return []
            self._receive(stream, deadline, _DATA)
        if due:
            # The window updates for what was taken. Without them nothing is written here:
            # frames others queued go out with their own flush, so the requests begun in one
            # turn of the loop leave in one write rather than one write per taker.
            self._flush(read_timeout)
        return pieces

    def close_stream(self, stream: H2Stream) -> None:
        """Gives a stream back: reset (RST_STREAM CANCEL) unless it ended. The reset goes
        out at once, even on an otherwise idle connection, so the server stops sending what
        nobody reads: from a task of its own on an event loop (the caller never waits, so a
        cancelled caller cannot cut the write short), else from the calling thread (its
        write bounded by `_RESET_TIMEOUT`)."""
        with self._lock:
            unfinished = not stream.finished and stream.stream_id in self.exchange.streams
            self.exchange.reset(stream.stream_id)
            self.idle_since = time.monotonic()
            sending = unfinished and not self._writing and not self.closed
        if sending:
            self._send_reset()

    def _send_reset(self) -> None:
        try:
            self._flush(_RESET_TIMEOUT)
        except Exception:  # noqa: S110 - the write failed: _flush closed the connection
            pass

    # -- the socket ------------------------------------------------------------------------

    def _waiter(self) -> typing.Any:
        return ThreadWaiter(None)

    def _receive(self, stream: H2Stream, deadline: float | None, want: int) -> None:
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
                self._waiters[waiter] = (stream, want)
            else:
                self._reading = True
                waiter = None
        if waiter is not None:
            woken = True  # `done` alone cannot tell: giving up sets it too
            try:
                waiter.wait(_remaining(deadline))
            finally:
                with self._lock:
                    if not waiter.done:
                        woken = False
                        waiter.give_up()
                        del self._waiters[waiter]
            if not woken and deadline is not None and time.monotonic() >= deadline:
                raise ReadTimeout("timed out")
            return
        read = False
        try:
            if self.closed:
                raise exchange.error or RemoteProtocolError("The connection was closed.")
            data = self._read(deadline)
            with self._lock:
                if not data:
                    exchange.peer_closed()
                else:
                    try:
                        if isinstance(data, int):
                            exchange.received_into(data)
                        else:
                            exchange.received(data)
                    except RemoteProtocolError:
                        pass  # every stream has the error now; the GOAWAY is queued
            read = True
        finally:
            with self._lock:
                self._reading = False
                waiters = self._to_wake(stream, want) if read else self._everyone()
            for other in waiters:
                other.grant(None)
        if exchange.error is not None:
            try:
                self._flush(_remaining(deadline))
            finally:
                self.close()
        else:
            try:
                self._flush(_remaining(deadline))
            except BaseException:
                # This reader's caller may never read again: those still waiting look again
                # (one of them reads next).
                with self._lock:
                    waiters = self._everyone()
                for other in waiters:
                    other.grant(None)
                raise

    def _read(self, deadline: float | None) -> bytes | int:
        """One read of the socket, by the reader: the bytes read (empty at EOF); or, on a
        socket backend while a large DATA payload is being received, the count of bytes read
        straight into it (0 at EOF: the piece is the kernel's one copy of its bytes). The
        exchange's buffer lives only as long as this call, so that the piece is unshared
        once whole."""
        room = self.exchange.read_buffer()
        if room is not None:
            return self.network.receive_raw_into(room, _remaining(deadline))
        return self.network.receive_raw(_remaining(deadline), _READ)

    def _to_wake(self, reader: H2Stream, want: int) -> list[typing.Any]:
        """After a read (under the lock): the waiters whose streams it gave news to, and,
        when the reader has its own news and so may not read again, one more waiter to read
        next. Waking a stream with nothing new costs a task switch and a look; with many
        streams open, most reads concern a few of them."""
        waiters = self._waiters
        if not waiters:
            return []
        if self.closed or self.exchange.error is not None:
            return self._everyone()
        news = self._news
        woken = [waiter for waiter, (stream, wants) in waiters.items() if news(stream, wants)]
        for waiter in woken:
            del waiters[waiter]
        if waiters and news(reader, want):
            successor = next(iter(waiters))
            del waiters[successor]
            woken.append(successor)
        return woken

    def _everyone(self) -> list[typing.Any]:
        """Every waiter, to wake (under the lock): each looks at its stream again, and one of
        those with nothing new reads next."""
        waiters, self._waiters = list(self._waiters), {}
        return waiters

    def _news(self, stream: H2Stream, want: int) -> bool:
        if stream.finished or self.closed:
            return True
        if want == _DATA:
            return bool(stream.pieces)
        if want == _HEAD:
            return stream.status_code != 0
        return self.exchange.send_window(stream.stream_id) > 0

    def _flush(self, timeout: float | None) -> None:
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
                self.network.send_raw(data, timeout)
            except BaseException:
                self._writing = False
                self.close()
                raise
            with self._lock:
                self._writing = False


class HTTP2Routes:
    """A transport's HTTP/2 connections, by origin.

    A connection negotiated as h2 (ALPN over TLS, or prior knowledge on http:// with
    `http1=False`) keeps its pool slot for its whole life and carries as many streams at once
    as the server allows; a request finds the first one with room (`find`), else the pool
    opens a new connection within `Limits`. A connection that failed, or whose server sent
    GOAWAY, takes no new stream and gives its slot back once its last stream is done.

    While one request opens a connection to an origin, the others for that origin wait for
    it (`wait_for_opening`) rather than open their own: if it speaks h2 they all share it.
    An origin once found to answer in HTTP/1.1 opens connections freely from then on.
    """

    def __init__(self, pool: typing.Any, max_fields: int) -> None:
        self._pool = pool
        self._max_fields = max_fields
        self._connections: dict[typing.Hashable, list[HTTP2Connection]] = {}
        self._opening: dict[typing.Hashable, list[typing.Any]] = {}  # key -> waiters
        self._http1: set[typing.Hashable] = set()  # origins that chose HTTP/1.1
        # key -> requests waiting for a stream on that origin's full connections
        self._stream_waiters: dict[typing.Hashable, list[typing.Any]] = {}
        self._lock = threading.Lock()

    def _waiter(self, backend: SyncBackend) -> typing.Any:
        return ThreadWaiter(None)

    def speaks_http1(self, key: typing.Hashable) -> bool:
        """The origin answered a new connection in HTTP/1.1 before."""
        return key in self._http1

    def wait_for_opening(
        self, key: typing.Hashable, backend: SyncBackend, timeout: float | None
    ) -> bool:
        """True after waiting for another request's new connection to `key` (look again);
        False when nobody is opening one: the caller opens it and then calls `opening_done`.
        `PoolTimeout` after `timeout`."""
        with self._lock:
            waiters = self._opening.get(key)
            if waiters is None:
                self._opening[key] = []
                return False
            waiter = self._waiter(backend)
            waiters.append(waiter)
        woken = True  # `done` alone cannot tell: giving up sets it too
        try:
            waiter.wait(timeout)
        finally:
            with self._lock:
                if not waiter.done:
                    woken = False
                    waiter.give_up()
                    if waiter in waiters:
                        waiters.remove(waiter)
        if not woken:
            raise PoolTimeout(
                f"Timed out after {timeout} s waiting for a new connection to the same origin."
            )
        return True

    def opening_done(self, key: typing.Hashable, http1: bool) -> None:
        """The connection this caller was opening is ready (or failed): wake the others.
        `http1`: the origin answered in HTTP/1.1."""
        with self._lock:
            waiters = self._opening.pop(key, [])
            if http1:
                self._http1.add(key)
        for waiter in waiters:
            waiter.grant(None)

    def wait_for_stream(
        self,
        key: typing.Hashable,
        backend: SyncBackend,
        timeout: float | None,
        deadline: float | None,
    ) -> bool:
        """Waits for a stream to free up on the open connections to `key` when every one of
        them is at its server's stream limit and the pool has no room for another: True
        after waiting (look again), False when there is no reason to wait (no connection to
        `key`, one has room, or the pool can open a new one). `PoolTimeout` at `deadline`
        (`timeout` after the request began waiting).

        The check and the waiter's registration happen under the lock that `_freed` takes
        after a stream is given back, so a stream freed meanwhile is never missed."""
        with self._lock:
            connections = self._connections.get(key)
            if not connections or self._pool.has_room:
                return False
            for connection in connections:
                if connection.accepts_streams:
                    return False
            waiter = self._waiter(backend)
            self._stream_waiters.setdefault(key, []).append(waiter)
        woken = True  # `done` alone cannot tell: giving up sets it too
        try:
            waiter.wait(_remaining(deadline))
        finally:
            with self._lock:
                if not waiter.done:
                    woken = False
                    waiter.give_up()
                    waiters = self._stream_waiters.get(key)
                    if waiters is not None and waiter in waiters:
                        waiters.remove(waiter)
                        if not waiters:
                            del self._stream_waiters[key]
        if not woken:
            pool = self._pool
            raise PoolTimeout(
                f"Timed out after {timeout} s waiting for a connection from the pool: "
                f"{pool.connections_in_use}"
                f" of max_connections={pool._max} connections are in use, each carrying as"
                " many streams as its server allows (a response that is never closed keeps"
                " its stream)."
            )
        return True

    def _freed(self, key: typing.Hashable) -> None:
        """A stream (or a whole connection) to `key` was given back: every request waiting
        for a stream looks again (one takes it, the others wait again)."""
        with self._lock:
            waiters = self._stream_waiters.pop(key, None)
        if waiters:
            for waiter in waiters:
                waiter.grant(None)

    def find(self, key: typing.Hashable) -> HTTP2Connection | None:
        """A connection to `key` that takes a new stream now. One left idle (no stream) for
        longer than the pool's `keepalive_expiry` is retired instead, as the pool drops idle
        HTTP/1.1 connections: a server may have forgotten it, and it holds a pool slot."""
        for connection in list(self._connections.get(key, ())):
            while connection.abandoned:
                self.finished(key, connection, connection.abandoned.popleft())
            if connection.accepts_streams:
                expiry = self._pool._expiry
                if (
                    expiry is not None
                    and not connection.active
                    and connection.idle_since <= time.monotonic() - expiry
                ):
                    self._retire(key, connection)
                    continue
                return connection
            self._check(key, connection)
        return None

    def _retire(self, key: typing.Hashable, connection: HTTP2Connection) -> None:
        """Forgets an idle connection, says GOAWAY on it and gives its pool slot back."""
        with self._lock:
            connections = self._connections.get(key)
            if connections is None or connection not in connections:
                return  # another caller retired it already
            connections.remove(connection)
            if not connections:
                del self._connections[key]
        network = connection.network
        connection.retire(lambda: self._pool.discard(network))

    @staticmethod
    def negotiated(network: Connection, scheme: str, http1: bool) -> bool:
        """The new connection speaks HTTP/2: the origin's TLS handshake chose h2, or h2c by
        prior knowledge (an http:// origin with HTTP/1.1 turned off). Through an https proxy
        the origin's session is the inner one, which is what every backend's `ssl_object`
        reports, never the proxy's (whose ALPN offers http/1.1 alone)."""
        if scheme == "https":
            ssl_object = network.network_stream.get_extra_info("ssl_object")
            return ssl_object is not None and ssl_object.selected_alpn_protocol() == "h2"
        return not http1

    def adopt(
        self,
        network: Connection,
        backend: SyncBackend,
        key: typing.Hashable,
        timeout: float | None,
    ) -> HTTP2Connection:
        """An h2 connection over `network` (whose pool slot it now holds)."""
        connection = HTTP2Connection(network, backend, self._max_fields)
        try:
            connection.start(timeout)
        except BaseException:
            self._pool.discard(network)
            raise
        with self._lock:
            self._connections.setdefault(key, []).append(connection)
        return connection

    def send(
        self,
        connection: HTTP2Connection,
        key: typing.Hashable,
        request: Request,
        scheme: str,
        target: bytes,
        headers: Fields,
        timeouts: dict[str, float | None],
    ) -> Response | None:
        """The response to `request` on `connection`; None when the server refused the
        stream unprocessed (GOAWAY, REFUSED_STREAM): the caller sends it again elsewhere."""
        stream = request.stream
        body: SyncByteStream | bytes | None
        if isinstance(stream, ByteStream):
            body = stream._stream or None
        else:
            body = typing.cast("SyncByteStream", stream)
        authority = request.url.netloc
        try:
            h2_stream = connection.request(
                request.method.encode("ascii"),
                scheme.encode("ascii"),
                authority,
                target,
                headers,
                body,
                timeouts.get("write"),
                timeouts.get("read"),
            )
        except connection.exchange.Refused:
            self._check(key, connection)
            self._freed(key)
            return None
        except BaseException as exc:
            if isinstance(exc, RequestError) and exc._request is None:
                exc.request = request
            self._check(key, connection)
            self._freed(key)
            raise
        assert h2_stream.headers is not None
        return Response._from_transport(
            h2_stream.status_code,
            h2_stream.headers,
            HTTP2ResponseStream(self, key, connection, h2_stream, request, timeouts),
            {
                "http_version": b"HTTP/2",
                "network_stream": connection.network.network_stream,
                "stream_id": h2_stream.stream_id,
            },
        )

    def finished(
        self, key: typing.Hashable, connection: HTTP2Connection, stream: H2Stream
    ) -> None:
        connection.close_stream(stream)
        self._check(key, connection)
        self._freed(key)

    def _check(self, key: typing.Hashable, connection: HTTP2Connection) -> None:
        """Closes a connection that takes no more streams once its last one is done, and
        gives its pool slot back (once)."""
        if not connection.closed and (connection.exchange.usable or connection.active):
            return
        with self._lock:
            connections = self._connections.get(key)
            if connections is None or connection not in connections:
                return  # another caller gave it back already
            connections.remove(connection)
            if not connections:
                del self._connections[key]
        connection.close()
        self._pool.discard(connection.network)

    def close(self) -> None:
        for key, connections in list(self._connections.items()):
            for connection in list(connections):
                connection.close()
                self._check(key, connection)


_CLOSE_ADVICE = "use `with client.stream(...)` or call `response.close()`"


class HTTP2ResponseStream(SyncByteStream):
    """The body of a response on an HTTP/2 stream. Reading it to the end, closing it, an error
    or a cancellation gives the stream back (reset when unfinished); never twice."""

    #: The total deadline and rate window, when the request set them (see the HTTP/1.1
    #: response stream): chosen once before the read loop, so without them it is unchanged.
    deadlines: Deadlines | None = None
    #: The trailing HEADERS' fields (name, value), set once the body has been read to its end
    #: (`Response.trailers`), as the HTTP/1.1 stream sets its chunked trailers.
    trailers: typing.Sequence[tuple[bytes, bytes]] = ()

    def __init__(
        self,
        routes: HTTP2Routes,
        key: typing.Hashable,
        connection: HTTP2Connection,
        stream: H2Stream,
        request: Request,
        timeouts: dict[str, float | None],
    ) -> None:
        self._routes = routes
        self._key = key
        self._connection: HTTP2Connection | None = connection
        self._stream = stream
        self._request = request
        self._read_timeout = timeouts.get("read")

    def __iter__(self) -> Iterator[bytes]:
        connection = self._connection
        if connection is None:
            raise RuntimeError("The response stream was closed.")
        stream = self._stream
        timeout = self._read_timeout
        deadlines = self.deadlines
        try:
            if deadlines is not None:
                wait = deadlines.wait
                counting = deadlines.rate is not None
                while True:
                    try:
                        pieces = connection.read_pieces(stream, wait(timeout))
                    except TimeoutException as exc:
                        deadlines.expired(exc)
                        raise
                    if not pieces:
                        break
                    if counting:
                        deadlines.received(pieces)
                    for piece in pieces:
                        yield piece
            else:
                while True:
                    pieces = connection.read_pieces(stream, timeout)
                    if not pieces:
                        break
                    for piece in pieces:
                        yield piece
        except BaseException as exc:
            self._failed(exc)
            raise
        self._ended()

    def _failed(self, exc: BaseException) -> None:
        """The body's reading stopped with `exc`: a request error gets the request; the
        stream is let go."""
        if isinstance(exc, RequestError) and exc._request is None:
            exc.request = self._request
        self._finish()

    def _ended(self) -> None:
        """The body came to its end: its trailers are kept; the stream is let go."""
        if self._stream.trailers is not None:
            self.trailers = self._stream.trailers.raw
        self._finish()

    def _read_to_end(self, pieces: list[bytes]) -> None:
        """Append the rest of the body to `pieces`: what `__iter__` yields, for a caller
        that wants it all (`Response.read`), without a generator per response. Errors,
        closing and the stream's return are as for `__iter__`."""
        connection = self._connection
        if connection is None or self.deadlines is not None:
            for piece in self:  # the deadlines bound each read there
                pieces.append(piece)
            return
        stream = self._stream
        timeout = self._read_timeout
        read_pieces = connection.read_pieces
        try:
            while True:
                got = read_pieces(stream, timeout)
                if not got:
                    break
                pieces += got
        except BaseException as exc:
            self._failed(exc)
            raise
        self._ended()

    def close(self) -> None:
        self._finish()

    def __del__(self) -> None:
        connection = self._connection
        if connection is None:
            return
        self._connection = None
        # Garbage-collected unclosed: the collector may run anywhere, with any lock held, so
        # the stream is given back where the connection is used: on its event loop at once
        # (the server stops sending), in the sync client at the connection's next use.
        connection.abandoned.append(self._stream)
        warnings.warn(
            f"Unclosed response to {self._request.method} {self._request.url}: its HTTP/2 "
            "stream is reset as the response was garbage-collected. Close responses "
            f"({_CLOSE_ADVICE}).",
            ResourceWarning,
            stacklevel=1,
        )

    def _finish(self) -> None:
        connection = self._connection
        if connection is not None:
            self._connection = None
            self._routes.finished(self._key, connection, self._stream)
