"""The asyncio network backend: one HTTP/1.1 connection, the protocol object itself.

The exchange (what to send, how to frame the body, what the connection may do next) is
`_http11_exchange.py`; this module only moves bytes:

* `AsyncioConnection` is an `asyncio.BufferedProtocol`. `get_buffer()` hands the event loop
  the connection's reusable bytearray; `buffer_updated(n)` feeds a memoryview slice of it to
  the head parser (while the head is incomplete) or to the response's `Body`, whose pieces
  are the one copy of each byte. The buffer starts at `FIRST_BUFFER` bytes and doubles up to
  `MAX_BUFFER` while reads fill it.
* `Response.areadinto` with nothing queued: `get_buffer()` hands the loop the caller's buffer
  instead (`receive_into`), so the bytes land there with no piece made.
* A large Content-Length or close-delimited body on asyncio's own socket transport: once a
  read fills the buffer, the transport is handed `_Copies`, a plain `Protocol` whose
  `data_received` gets a new bytes object per read (`recv`), which the framing reader hands on
  as the piece itself: the kernel's copy is the only one, as in the sync backend (through the
  buffer, every byte would be copied twice). Back to the buffer protocol when the exchange
  ends or a caller's buffer waits. Other transports (uvloop, TLS) copy into a bytes object
  of their own for `data_received`, so they keep the buffer protocol.
* In that mode the consumer, finding nothing queued, first reads the socket itself (`os.read`
  of a non-blocking descriptor: bytes already there, or nothing) and waits for the event loop
  only when nothing was there, or when the loop has not had a turn for `DIRECT_SLICE` seconds
  (other tasks and timers must not starve behind a fast body). A read through the loop costs
  an iteration of it (a `select`, the transport's callback, a future, the task's wake-up):
  about 2.5 times the instructions of a read by the consumer. The descriptor is forgotten
  before the transport can close it (`connection_lost`, `close`, back to the buffer
  protocol), so a later read never reaches a descriptor number the OS has reused.
* A Content-Length body in that mode waits for `GATHER` bytes at a time (`SO_RCVLOWAT`, on
  Linux): the kernel wakes the loop once that much has arrived (or the rest of the body, or
  EOF, or an error), not at each segment, so a consumer faster than the server pays one loop
  iteration per `GATHER` bytes instead of one per few segments. Fewer bytes never stay
  unseen for long: `GATHER_WAIT` seconds into a wait the consumer's side reads what is there,
  and when nothing is, the wait goes on with the usual wake-up at the first byte (a stalled
  or slow server is seen as before). The default setting is back when the mode ends; a
  socket the user gave a setting of its own keeps it, and waits as it says.
* Body pieces wait in a list for the consumer, which takes them all at once. When more than
  `HIGH_WATER` bytes wait, reading pauses until the consumer has taken them: never an
  unbounded buffer.
* Failures seen in the callbacks (EOF, reset, framing errors) are stored and raised to the
  consumer after the pieces that came before them, as the sync backend does.
* A read timeout is a deadline on the connection, checked by one timer that stays armed
  between waits and is re-armed only when it would fire too late (or has fired): a wait costs
  a clock read, not a timer object. No extra task, no `wait_for`.
* Between exchanges the connection is idle: any byte, EOF or error then marks it `broken`, and
  the pool never lends a broken connection.
"""

from __future__ import annotations

import asyncio
import asyncio.sslproto
import os
import socket
import ssl
import sys
import time
import typing
import weakref
from types import TracebackType

import _cstream

from .._exceptions import (
    ConnectError,
    ConnectTimeout,
    ReadError,
    ReadTimeout,
    RemoteProtocolError,
    WriteError,
    WriteTimeout,
)
from . import _http11_exchange as exchange
from ._backends import Stream, Timeout, write_request
from ._http11_exchange import Fields
from ._sockets import first_address
from ._waiter import PoolWaiter

if typing.TYPE_CHECKING:
    from ._settings import Dial, TransportSettings


__all__ = ["HIGH_WATER", "AsyncioBackend", "AsyncioConnection"]

HIGH_WATER = 2 * exchange.MAX_BUFFER  # body bytes waiting for the consumer before reading pauses
# Writes larger than this go to the transport in slices of it, waiting in between while it is
# paused: a TLS transport encrypts and passes on a whole write at once and asks to pause only
# on a later write, so one large write would never wait (no WriteTimeout) and would be
# buffered whole, twice.
WRITE_SLICE = 256 * 1024

_IDLE, _HEAD, _BODY, _RAW = 0, 1, 2, 3
_NEVER = float("inf")
# asyncio's own socket transport (the selector event loops'): it reads a plain `Protocol`'s
# data with `recv` into a new bytes object, the one copy `_Copies` relies on.
_SELECTOR_TRANSPORT: type | None = getattr(
    asyncio.selector_events, "_SelectorSocketTransport", None
)
_EARLY_READS = 16  # reads kept from a new connection before its first raw read
# The longest a consumer reads the socket itself (and processes what it read) before it lets
# the event loop run: about five reads of the largest size at loopback speed, and one loop
# iteration (~10 us) per slice is ~1 % of the time.
DIRECT_SLICE = 0.001
# Reading a socket descriptor with `os.read` is POSIX (Windows sockets are no file descriptors).
_CAN_READ_FD = os.name == "posix"
_monotonic = time.monotonic
_read_fd = os.read
# Bytes a wait through `_Copies` lets the kernel gather before it wakes the loop (a read of
# the largest size: the transport's read then comes full), and the longest such a wait goes
# on without looking at fewer bytes.
GATHER = exchange.MAX_BUFFER
GATHER_WAIT = 0.001
_CAN_GATHER = sys.platform == "linux" and hasattr(socket, "SO_RCVLOWAT")
_T = typing.TypeVar("_T")


class AsyncioWaiter(PoolWaiter):
    """A pool waiter on asyncio: a future on the running loop."""

    __slots__ = ("_future",)

    def __init__(self, key: typing.Hashable) -> None:
        super().__init__(key)
        self._future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def _wake(self) -> None:
        if not self._future.done():
            self._future.set_result(None)

    async def wait(self, timeout: float | None) -> None:
        future = self._future
        timer = None
        if timeout is not None:
            # The future's own loop: `get_running_loop` costs a `getpid` system call.
            timer = future.get_loop().call_later(timeout, _set_none, future)
        try:
            await future
        finally:
            if timer is not None:
                timer.cancel()


def _set_none(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


_SPAWNED: set[asyncio.Task[None]] = set()


class AsyncioBackend:
    """Opens connections on the running asyncio loop (uvloop included)."""

    Waiter = AsyncioWaiter
    sleep = staticmethod(asyncio.sleep)

    @staticmethod
    def spawn(afn: typing.Callable[[], typing.Coroutine[typing.Any, typing.Any, None]]) -> None:
        """Runs `afn()` in a task of its own on the running loop, so the caller need not wait
        (an HTTP/2 reset to send); `afn` handles its own errors."""
        task = asyncio.get_running_loop().create_task(afn())
        _SPAWNED.add(task)  # the loop keeps only a weak reference to a task
        task.add_done_callback(_SPAWNED.discard)

    @staticmethod
    async def connect(dial: Dial, settings: TransportSettings) -> AsyncioConnection:
        """A connection as `dial` says: `ConnectError`; `ConnectTimeout` after its timeout."""
        loop = asyncio.get_running_loop()
        connection = AsyncioConnection(dial.key, loop)
        connection.max_header_fields = settings.max_header_fields
        tls: dict[str, typing.Any] = {}
        if dial.context is not None:
            tls = {"ssl": dial.context, "server_hostname": dial.host}
        with _Deadline(dial.timeout):
            if dial.uds is not None:
                await _guard(loop.create_unix_connection(lambda: connection, dial.uds, **tls))
            elif settings.socket_options is None and settings.local_address is None:
                host, port = dial.host, dial.port
                await _guard(loop.create_connection(lambda: connection, host, port, **tls))
            else:
                sock = await _guard(_open_socket(loop, dial.host, dial.port, settings))
                try:
                    await _guard(loop.create_connection(lambda: connection, sock=sock, **tls))
                except BaseException:
                    sock.close()
                    raise
        return connection

    @staticmethod
    async def resolve(
        host: str, port: int, timeout: float | None, prefer: int = socket.AF_UNSPEC
    ) -> str:
        """The first address of `host`, of family `prefer` when it has one: `ConnectError`;
        `ConnectTimeout` after `timeout`."""
        loop = asyncio.get_running_loop()
        with _Deadline(timeout):
            infos = await _guard(loop.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        return first_address(host, infos, prefer)


class AsyncioConnection(exchange.ExchangeState, asyncio.BufferedProtocol):
    """A connection to one origin (or a proxy), used for one exchange at a time."""

    transport: asyncio.Transport

    def __init__(self, key: typing.Hashable, loop: asyncio.AbstractEventLoop) -> None:
        self._start_state(key)  # `closed`: closed by us, or the transport is gone
        self.loop = loop
        self.buffer = bytearray(exchange.FIRST_BUFFER)
        self.view = memoryview(self.buffer)
        self.grow = False  # the next get_buffer() hands out a buffer twice as large
        self.broken = False  # something happened while idle: never reuse
        self.mode = _IDLE
        self.method = b""
        self.head: exchange.Head | None = None
        self.received = 0  # bytes of the current response received
        self.pieces: list[bytes] = []
        self.queued = 0
        self.done = False  # the current body is complete
        self.error: BaseException | None = None
        self.paused = False
        self.waiter: asyncio.Future[bool] | None = None
        self.write_paused = False
        self.drain_waiter: asyncio.Future[bool] | None = None
        self.lost: BaseException | None = None
        # The read deadline (loop time; `_NEVER`: none) and the one timer that checks it: it
        # fires at `timer_at` (`_NEVER`: no timer), never later than the deadline it serves.
        self.deadline = _NEVER
        self.timer: asyncio.TimerHandle | None = None
        self.timer_at = _NEVER
        self.copies: _Copies | None = None  # the transport's protocol while it is `_Copies`
        # The socket's descriptor, which the consumer reads itself while `copies` (-1: never),
        # and the time (`_monotonic`) until which it may do so without letting the loop run.
        self.fd = -1
        self.turn_due = 0.0
        # While a Content-Length body arrives through `_Copies` (Linux): the socket, and its
        # SO_RCVLOWAT now (1, the default, before and after that body).
        self.gather_sock: socket.socket | None = None
        self.lowat = 1
        # `receive_into`: the caller's buffer the next read goes to, whether the last
        # get_buffer() handed it out, and the bytes received into it
        self.target: memoryview | None = None
        self.target_out = False
        self.direct = 0
        self.raw: list[bytes] = []  # bytes received in raw mode (a proxy handshake)
        self.raw_eof = False
        # The `network_stream` extension of every response on this connection.
        self.network_stream = AsyncioNetworkStream(self)

    # -- protocol callbacks ---------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = typing.cast(asyncio.Transport, transport)

    def get_buffer(self, sizehint: int) -> memoryview:
        target = self.target
        if target is not None:
            # A consumer waits in `receive_into` with nothing queued: this read goes
            # straight into its buffer (sized to what the body still has).
            self.target_out = True
            return target
        self.target_out = False
        if self.grow:
            # Swapped here, not in buffer_updated: an event loop may still hold the buffer it
            # got from us while it calls buffer_updated (uvloop does), so the old view cannot
            # be released there; it is dropped here instead.
            self.grow = False
            self.buffer = bytearray(2 * len(self.buffer))
            self.view = memoryview(self.buffer)
        return self.view

    def buffer_updated(self, nbytes: int) -> None:
        mode = self.mode
        if mode == _HEAD:
            # The head of a small response, most often with its whole body: handled here,
            # without another call.
            self.received += nbytes
            parser = self.parser
            assert parser is not None
            parser.feed(self.view[:nbytes])
            self._parse_head()
        elif self.target_out and mode == _BODY and not self.done and self.error is None:
            body = self.body
            assert body is not None
            self._received_into(nbytes, body)
        else:
            self.received_data(self.view[:nbytes], nbytes == len(self.buffer))

    def received_data(self, data: bytes | memoryview, full: bool = False) -> None:
        """Bytes read by the transport: `data` is a slice of the buffer (valid until the next
        read) or, through `_Copies`, a bytes object of its own; `full`: it filled the buffer."""
        mode = self.mode
        if mode == _BODY:
            body = self.body
            assert body is not None
            if self.done or self.error is not None:
                # Bytes after the end of the message: the connection will not be reused.
                self.broken = True
                body.unfit()
                return
            try:
                pieces = body.feed(data)
            except RemoteProtocolError as exc:
                self._fail(exc)
                return
            if full:
                self._large(body)
            self._deliver(pieces, body)
        elif mode == _RAW:
            self.raw.append(bytes(data))  # `bytes` of a bytes object is that object
            self._wake()
        elif mode == _HEAD:
            self.received += len(data)
            parser = self.parser
            assert parser is not None
            parser.feed(data)
            self._parse_head()
        else:
            # Bytes nobody asked for: the connection is not reused for HTTP/1.1. On a new
            # connection they may be an HTTP/2 server's SETTINGS, sent before our preface
            # switched to raw mode: kept (a bounded number of reads) for `receive_raw`.
            self.broken = True
            if not self.responses and len(self.raw) < _EARLY_READS:
                self.raw.append(bytes(data))

    def _large(self, body: exchange.Body) -> None:
        """A body read filled the buffer: a large body. Read it through `_Copies` where the
        transport allows (one copy per byte), else read more per call."""
        if (
            type(self.transport) is _SELECTOR_TRANSPORT
            and self.copies is None
            and not isinstance(body.reader, _cstream.ChunkedReader)
        ):
            # Chunk data is cut out of the reads anyway: a chunked body gains nothing.
            self.copies = _Copies(self)
            transport: typing.Any = self.transport
            if _CAN_READ_FD:
                sock = transport.get_extra_info("socket")
                self.fd = sock.fileno()
                self.turn_due = _monotonic() + DIRECT_SLICE  # the loop has its turn now
                if (
                    _CAN_GATHER
                    and isinstance(body.reader, _cstream.ContentLengthReader)
                    and sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVLOWAT) == 1
                ):
                    # (A socket given a setting of its own by the user keeps it.)
                    self.gather_sock = sock
            # Reads of the sync backend's largest size (asyncio's default is half of it):
            # each read costs a loop iteration and a wake-up of the consumer.
            transport.max_size = exchange.MAX_BUFFER
            transport.set_protocol(self.copies)
        elif len(self.buffer) < exchange.MAX_BUFFER:
            self.grow = True

    def _buffered(self) -> None:
        """Back to the buffer protocol (from `_Copies`)."""
        self.copies = None
        self.fd = -1
        sock = self.gather_sock
        if sock is not None:
            self.gather_sock = None
            if self.lowat != 1:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVLOWAT, 1)
                self.lowat = 1
        self.transport.set_protocol(self)

    def eof_received(self) -> bool:
        self._end(None)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.fd = -1  # the transport closes the socket next
        self.gather_sock = None
        self.lost = exc or ConnectionResetError("Connection lost")
        self._end(exc)
        drain = self.drain_waiter
        if drain is not None and not drain.done():
            drain.set_result(False)

    def pause_writing(self) -> None:
        self.write_paused = True

    def resume_writing(self) -> None:
        self.write_paused = False
        drain = self.drain_waiter
        if drain is not None and not drain.done():
            drain.set_result(True)

    # -- callback helpers -------------------------------------------------------------------

    def _parse_head(self) -> None:
        parser = self.parser
        assert parser is not None
        try:
            head = parser.next_head()
        except RemoteProtocolError as exc:
            self._fail(exc)
            return
        if head is None:
            return
        self.head = head
        self.mode = _BODY
        body = self.body = head.start(self.close_requested)
        try:
            pieces = body.pending()  # what the bytes that came with the head complete
        except RemoteProtocolError as exc:
            self._fail(exc)
            return
        self._deliver(pieces or [], body)

    def _received_into(self, nbytes: int, body: exchange.Body) -> None:
        # `nbytes` body bytes went into the waiting consumer's buffer: counted by the reader
        # (the buffer never holds more than the body still has). Reading pauses until the
        # consumer comes back, so that its next buffer takes the next bytes.
        self.target = None
        self.target_out = False
        reader = body.reader
        assert not isinstance(reader, _cstream.ChunkedReader)
        reader.advance(nbytes)
        self.direct += nbytes
        self.done = reader.done
        if not self.paused and not self.done:
            self.paused = True
            self.transport.pause_reading()
        self._wake()

    def _deliver(self, pieces: list[bytes], body: exchange.Body) -> None:
        if pieces:
            self.pieces += pieces
            for piece in pieces:
                self.queued += len(piece)
            if self.queued > HIGH_WATER and not self.paused:
                self.paused = True
                self.transport.pause_reading()
        if body.error is not None:
            self._fail(body.error)  # raised after the pieces delivered with it
        self.done = body.reader.done
        self._wake()

    def copied_data(self, data: bytes) -> None:
        """A read through `_Copies`: a bytes object of its own, handed on as the piece."""
        body = self.body
        if self.mode != _BODY or body is None or self.done or self.error is not None:
            self.received_data(data)
            return
        try:
            pieces = body.feed(data)
        except RemoteProtocolError as exc:
            self._fail(exc)
            return
        self._deliver(pieces, body)

    def _end(self, exc: Exception | None) -> None:
        """The peer closed (`exc` None) or the connection failed."""
        mode = self.mode
        if mode == _RAW:
            self.raw_eof = True
            self.broken = True
            self._wake()
            return
        if mode == _IDLE or self.error is not None:
            self.broken = True
            self.raw_eof = True  # a later raw read sees the end
            return
        if mode == _HEAD:
            if self.received == 0 and (
                exc is None or (self.responses and isinstance(exc, ConnectionResetError))
            ):
                # Closed before any byte of a response; a reset counts only on a reused
                # connection (the server dropped it while idle), as in the sync backend.
                self._fail(exchange.ServerDisconnected(exchange.DISCONNECTED))
            elif exc is not None:
                self._fail(ReadError(str(exc)))
            else:
                parser = self.parser
                assert parser is not None
                parser.feed_eof()
                self._parse_head()
                if self.head is None and self.error is None:  # pragma: no cover - it raises
                    self._fail(RemoteProtocolError(exchange.DISCONNECTED))
            return
        self.broken = True
        body = self.body
        assert body is not None
        body.unfit()
        if self.done:
            return
        if exc is not None:
            self._fail(ReadError(str(exc)))
            return
        body = self.body
        assert body is not None
        try:
            body.feed_eof()
        except RemoteProtocolError as err:
            self._fail(err)
            return
        self.done = body.done
        self._wake()

    def _fail(self, exc: BaseException) -> None:
        if self.error is None:
            self.error = exc
        self._wake()

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(True)

    # -- one exchange (called by the transport) -----------------------------------------------

    async def send_request(
        self, method: bytes, target: bytes, headers: Fields, stream: Stream, timeout: Timeout
    ) -> None:
        """Write a request; the response head is then parsed as it arrives."""
        prepared = exchange.request_writes(method, target, headers, stream)
        self.close_requested = exchange.asks_close(headers)
        self._head_parser(method)
        self.head = self.body = None
        self.received = 0
        self.done = False
        self.error = None
        self.mode = _HEAD
        if self.closed:
            # Lost while idle, between the pool's check and now.
            if self.responses:
                raise exchange.ServerDisconnected(exchange.DISCONNECTED)
            raise WriteError(str(self.lost))
        writes, streaming = prepared
        if streaming is None:
            # All in memory (the common case): hand every write to the transport at once and
            # wait only if its buffer is full; no coroutine per write.
            write = self.transport.write
            for data in writes:
                if len(data) > WRITE_SLICE:
                    await self._write(data, timeout)
                else:
                    write(data)
            if self.write_paused:
                await self._drain(timeout)
            return
        await write_request(self._write, prepared, stream, timeout)

    async def _write(self, data: bytes, timeout: float | None) -> None:
        if len(data) > WRITE_SLICE:
            view = memoryview(data)
            for start in range(0, len(view), WRITE_SLICE):
                await self._write_slice(view[start : start + WRITE_SLICE], timeout)
        else:
            await self._write_slice(data, timeout)

    async def _write_slice(self, data: bytes | memoryview, timeout: float | None) -> None:
        if self.closed:
            if self.error is not None or self.head is not None:
                return  # the read side reports what happened
            if self.responses and self.received == 0:
                raise exchange.ServerDisconnected(exchange.DISCONNECTED)
            raise WriteError(str(self.lost))
        self.transport.write(data)
        if self.write_paused:
            await self._drain(timeout)

    async def _drain(self, timeout: float | None) -> None:
        while self.write_paused and not self.closed:
            self.drain_waiter = self.loop.create_future()
            try:
                woke = await self._woken(self.drain_waiter, timeout)
            finally:
                self.drain_waiter = None
            if not woke and not self.closed:
                raise WriteTimeout("timed out")

    async def _woken(self, waiter: asyncio.Future[bool], timeout: float | None) -> bool:
        """Await `waiter`: its result, or False after `timeout` seconds."""
        timer = None if timeout is None else self.loop.call_later(timeout, _expire, waiter)
        try:
            return await waiter
        finally:
            if timer is not None:
                timer.cancel()

    async def send_raw(self, data: bytes, timeout: float | None) -> None:
        """Write bytes outside any exchange (a proxy handshake); what arrives meanwhile is
        kept for `receive_raw` (raw mode) instead of marking the connection broken."""
        self.mode = _RAW
        if self.closed:
            raise WriteError(str(self.lost))
        self.transport.write(data)
        if self.write_paused:
            await self._drain(timeout)

    async def receive_raw(self, timeout: float | None, size: int = exchange.RAW_READ) -> bytes:
        """The bytes received outside any exchange so far (waiting for some when there are
        none; all of them, whatever `size`, which paces only the socket backends); empty at
        EOF. `ReadTimeout`; `idle()` ends raw mode."""
        self.mode = _RAW
        while True:
            if self.raw:
                data = b"".join(self.raw)
                self.raw = []
                return data
            if self.raw_eof or self.closed:
                return b""
            await self._wait(timeout)

    async def receive_head(self, method: bytes, read_timeout: float | None) -> exchange.Head:
        """The response head (after any 1xx responses); its body is then read as it arrives."""
        while True:
            head = self.head
            if head is not None:
                return head
            error = self.error
            if error is not None:
                raise error
            # `_wait`, inlined: its coroutine would be one more object alive per request in
            # flight while the head is awaited.
            waiter = self._waiter(read_timeout)
            try:
                woke = await waiter
            finally:
                self.waiter = None
            if not woke:
                raise ReadTimeout("timed out")

    async def read_pieces(self, read_timeout: float | None) -> list[bytes]:
        """The body pieces received so far (waiting for some when there are none); an empty
        list once the body is complete. A failure is raised after the pieces before it."""
        while True:
            pieces = self.pieces
            if pieces:
                self.pieces = []
                self.queued = 0
                if self.paused:
                    self.paused = False
                    self.transport.resume_reading()
                return pieces
            if self.error is not None:
                raise self.error
            if self.done:
                return pieces
            if self.copies is not None:
                if self.fd >= 0 and _monotonic() < self.turn_due and self._read_now():
                    continue
                if self.gather_sock is not None:
                    await self._gather(read_timeout)
                else:
                    await self._wait(read_timeout)
                self.turn_due = _monotonic() + DIRECT_SLICE  # the loop just had a turn
                continue
            await self._wait(read_timeout)

    def _read_now(self) -> bool:
        """One read of the socket by the consumer, outside the event loop (through `_Copies`
        only: the transport reads into a new bytes object per read too): False when nothing
        was waiting (or at EOF, which the transport then reads and reports in order); True when
        pieces were queued or the read failed (raised as the transport's failure would be)."""
        try:
            data = _read_fd(self.fd, exchange.MAX_BUFFER)
        except (BlockingIOError, InterruptedError):
            return False
        except OSError as exc:
            # What the transport does on a read error: the connection is gone; the consumer
            # gets `ReadError`, as from `connection_lost`.
            self.fd = -1
            self.transport.abort()
            self._end(exc)
            return True
        if not data:
            return False
        self.copied_data(data)
        return True

    async def receive_into(
        self, target: memoryview, read_timeout: float | None
    ) -> int | list[bytes]:
        """The next body bytes: when none are waiting, the next read goes straight into
        `target` (`get_buffer` hands it to the event loop) and their count (> 0) is
        returned; otherwise -- bytes queued, the body chunked, complete or failed -- what
        `read_pieces` gives (an empty list at the end).

        A Content-Length read is offered at most the bytes the body still has, so it never
        takes a byte of what follows the body. `ReadTimeout`; the failures of `read_pieces`.
        """
        body = self.body
        assert body is not None
        reader = body.reader
        if (
            self.pieces
            or self.error is not None
            or self.done
            or self.mode != _BODY
            or isinstance(reader, _cstream.ChunkedReader)
        ):
            return await self.read_pieces(read_timeout)
        size = target.nbytes
        if isinstance(reader, _cstream.ContentLengthReader) and reader.remaining < size:
            size = reader.remaining
        if self.copies is not None:
            self._buffered()  # the next read goes through get_buffer
        self.target = target[:size] if size < target.nbytes else target
        self.direct = 0
        try:
            while not self._news():
                await self._wait(read_timeout)
        finally:
            # Not handed out again: the loop may ask for a buffer after we stop waiting.
            self.target = None
        count, self.direct = self.direct, 0
        if count:
            return count
        return await self.read_pieces(read_timeout)

    async def _gather(self, timeout: float | None) -> None:
        """`_wait` for a Content-Length body through `_Copies`: the kernel wakes the loop once
        `GATHER` bytes (at most the rest of the body) have arrived; `GATHER_WAIT` seconds in,
        `_peek` looks at what is there. `ReadTimeout` after `timeout`, as for `_wait`."""
        sock = self.gather_sock
        body = self.body
        assert sock is not None and body is not None
        want = min(GATHER, typing.cast(_cstream.ContentLengthReader, body.reader).remaining)
        if want != self.lowat and want > 0:
            # The kernel caps it at half the receive buffer, so a full buffer always wakes.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVLOWAT, want)
            self.lowat = want
        waiter = self._waiter(timeout)
        peek = self.loop.call_later(GATHER_WAIT, self._peek)
        try:
            woke = await waiter
        finally:
            self.waiter = None
            peek.cancel()
        if not woke:
            raise ReadTimeout("timed out")

    def _peek(self) -> None:
        """A wait has gathered for `GATHER_WAIT` seconds: the bytes there are read (and wake
        the consumer); with none there, the wait goes on until the first byte arrives."""
        sock = self.gather_sock
        if self.fd < 0 or sock is None or self._read_now():
            return
        if self.lowat != 1:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVLOWAT, 1)
            self.lowat = 1

    def _news(self) -> bool:
        """Bytes received into the target, pieces queued, the end or a failure."""
        return bool(self.direct or self.pieces or self.error is not None or self.done)

    async def _wait(self, timeout: float | None) -> None:
        """Wait for the callbacks to deliver something; `ReadTimeout` after `timeout`."""
        waiter = self._waiter(timeout)
        try:
            woke = await waiter
        finally:
            self.waiter = None
        if not woke:
            raise ReadTimeout("timed out")

    def _waiter(self, timeout: float | None) -> asyncio.Future[bool]:
        """The future a wait awaits (`self.waiter`, set by the callbacks: True when something
        arrived, False when `timeout` passed); the awaiting side clears `self.waiter`."""
        if self.paused:
            self.paused = False
            self.transport.resume_reading()
        # `_woken`, inlined and without a timer per wait: this runs once or twice per response.
        loop = self.loop
        waiter = self.waiter = loop.create_future()
        if timeout is None:
            self.deadline = _NEVER
        else:
            deadline = self.deadline = loop.time() + timeout
            if deadline < self.timer_at:
                self._arm(deadline)
        return waiter

    def _arm(self, at: float) -> None:
        """The deadline timer fires at loop time `at` (a weak reference: a timer left armed
        keeps no connection alive)."""
        timer = self.timer
        if timer is not None:
            timer.cancel()
        self.timer_at = at
        self.timer = self.loop.call_at(at, _timer_fired, weakref.ref(self))

    def _timer_fired(self) -> None:
        # The loop ran the timer as due at `at`: a wait whose deadline is at or before it has
        # timed out, exactly as a timer of its own would have; a later one is checked again
        # at its deadline. No wait: nothing to check until the next one arms it.
        at = self.timer_at
        self.timer = None
        self.timer_at = _NEVER
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        if at >= self.deadline:
            waiter.set_result(False)
        elif self.deadline != _NEVER:
            self._arm(self.deadline)

    async def start_tls(
        self, context: ssl.SSLContext, server_hostname: str, timeout: float | None
    ) -> None:
        """Continue in TLS over this connection (a CONNECT tunnel): `ConnectError`,
        `ConnectTimeout`. Over a TLS transport (an https proxy) this is TLS inside TLS."""
        transport: asyncio.BaseTransport = self.transport
        tunnel = None
        if isinstance(transport, asyncio.sslproto._SSLProtocolTransport):
            transport = tunnel = _TunnelTransport(self.transport)
        with _Deadline(timeout):
            tls = await _guard(
                self.loop.start_tls(transport, self, context, server_hostname=server_hostname)
            )
        if tls is None:
            # Python 3.10 reports a failed handshake inside TLS as the connection lost, without
            # the handshake's error: the stand-in kept it.
            error = None if tunnel is None else tunnel.error
            raise ConnectError(str(error) if error is not None else "The TLS handshake failed.")
        self.transport = tls

    def stale(self) -> bool:
        """Closed, or something arrived while idle: never to be lent again."""
        return self.broken or self.closed

    def idle(self) -> None:
        """The exchange is over; the connection waits in the pool."""
        self.mode = _IDLE
        self.head = self.body = None  # the parser is kept: the next exchange resets it
        self.pieces = []
        self.queued = 0
        if self.copies is not None:
            self._buffered()
        if self.paused:
            self.paused = False
            self.transport.resume_reading()

    def schedule(self, callback: typing.Callable[[AsyncioConnection], None]) -> None:
        """Call `callback(self)` on the connection's loop, from any thread (a response being
        garbage-collected); nothing when the loop is closed (nobody can wait on it then)."""
        try:
            self.loop.call_soon_threadsafe(callback, self)
        except RuntimeError:
            pass

    def close(self) -> None:
        self.fd = -1
        self.gather_sock = None
        if not self.closed:
            self.closed = True
            transport = getattr(self, "transport", None)  # None: never connected
            if transport is not None:
                transport.abort()
        timer = self.timer
        if timer is not None:
            self.timer = None
            self.timer_at = _NEVER
            timer.cancel()
        self.pieces = []
        self.queued = 0


class _TunnelTransport(asyncio.Transport):
    """asyncio's TLS transport to an https proxy, as the transport of the origin's TLS inside
    it (`loop.start_tls` over it).

    asyncio's own TLS transport cannot carry a second TLS session by itself: Python 3.10
    refuses to start TLS over it, and 3.11 and 3.12, when the inner handshake fails, call it
    in a way its protocol does not accept (the error then raised replaces the handshake's).
    This stand-in passes every call through, and on a fatal inner error keeps the error and
    ends the outer session. uvloop's TLS transport needs none of it and is used as it is.
    """

    _start_tls_compatible = True  # what asyncio's start_tls checks a transport for

    def __init__(self, outer: asyncio.Transport) -> None:
        super().__init__()
        self._outer = outer
        self.error: BaseException | None = None  # the inner session's fatal error

    def get_extra_info(self, name: str, default: typing.Any = None) -> typing.Any:
        return self._outer.get_extra_info(name, default)

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._outer.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._outer.get_protocol()

    def is_closing(self) -> bool:
        return self._outer.is_closing()

    def close(self) -> None:
        self._outer.close()

    def abort(self) -> None:
        self._outer.abort()

    def _force_close(self, exc: BaseException | None) -> None:
        self.error = exc
        self._outer.abort()

    def is_reading(self) -> bool:
        return self._outer.is_reading()

    def pause_reading(self) -> None:
        self._outer.pause_reading()

    def resume_reading(self) -> None:
        self._outer.resume_reading()

    def write(self, data: typing.Any) -> None:
        self._outer.write(data)

    def writelines(self, list_of_data: typing.Any) -> None:
        self._outer.writelines(list_of_data)

    def can_write_eof(self) -> bool:
        return False  # TLS has no half-close

    def get_write_buffer_size(self) -> int:
        return self._outer.get_write_buffer_size()

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._outer.get_write_buffer_limits()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._outer.set_write_buffer_limits(high, low)


def _expire(waiter: asyncio.Future[bool]) -> None:
    if not waiter.done():
        waiter.set_result(False)


def _timer_fired(ref: weakref.ref[AsyncioConnection]) -> None:
    connection = ref()
    if connection is not None:
        connection._timer_fired()


class _Copies(asyncio.Protocol):
    """The protocol of a connection's socket transport while a large body arrives: each read
    is a new bytes object (asyncio's `recv`), given to the connection as it is, so the framing
    reader can hand it on as the piece with no copy of our own."""

    __slots__ = ("_connection",)

    def __init__(self, connection: AsyncioConnection) -> None:
        self._connection = connection

    def data_received(self, data: bytes) -> None:
        self._connection.copied_data(data)

    def eof_received(self) -> bool:
        return self._connection.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self._connection.connection_lost(exc)

    def pause_writing(self) -> None:
        self._connection.pause_writing()

    def resume_writing(self) -> None:
        self._connection.resume_writing()


class AsyncioNetworkStream:
    """The `network_stream` response extension: details of the connection's transport."""

    def __init__(self, connection: AsyncioConnection) -> None:
        self._connection = connection

    def get_extra_info(self, info: str) -> typing.Any:
        connection = self._connection
        transport = connection.transport
        if info == "ssl_object":
            return transport.get_extra_info("ssl_object")
        if info == "client_addr":
            return transport.get_extra_info("sockname")
        if info == "server_addr":
            return transport.get_extra_info("peername")
        if info == "socket":
            return transport.get_extra_info("socket")
        if info == "is_readable":
            return connection.broken or connection.closed or bool(connection.pieces)
        return None


# -- connecting ---------------------------------------------------------------------------


async def _guard(awaitable: typing.Awaitable[_T]) -> _T:
    """Await a connection step; OS and TLS failures become `ConnectError`."""
    try:
        return await awaitable
    except (OSError, ssl.SSLError, ValueError) as exc:
        raise ConnectError(str(exc)) from exc


async def _open_socket(
    loop: asyncio.AbstractEventLoop, host: str, port: int, settings: TransportSettings
) -> socket.socket:
    """A connected non-blocking TCP socket with the transport's socket options and local
    address: each address `getaddrinfo` gives is tried in turn; the last failure is raised."""
    options = list(settings.socket_options or ())
    local_address = settings.local_address
    last_error: OSError | None = None
    for family, kind, proto, _, address in await loop.getaddrinfo(
        host, port, type=socket.SOCK_STREAM
    ):
        sock = socket.socket(family, kind, proto)
        try:
            sock.setblocking(False)
            for option in options:
                sock.setsockopt(*option)
            if local_address is not None:
                sock.bind((local_address, 0))
            await loop.sock_connect(sock, address)
        except BaseException as exc:
            sock.close()
            if not isinstance(exc, OSError):
                raise
            last_error = exc
            continue
        return sock
    raise last_error or OSError(f"getaddrinfo returned nothing for {host!r}")


class _Deadline:
    """`with _Deadline(seconds):` cancels the enclosed awaits after `seconds` and raises
    `ConnectTimeout` instead (None: no limit). Works on Python 3.10 (no `asyncio.timeout`);
    cancelling the task rather than wrapping the work in another one means asyncio's own
    cleanup of a half-made connection runs, and no finished connection is ever dropped."""

    __slots__ = ("_fired", "_handle", "_task", "_timeout")

    def __init__(self, timeout: float | None) -> None:
        self._timeout = timeout
        self._fired = False
        self._handle: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[typing.Any] | None = None

    def __enter__(self) -> None:
        if self._timeout is not None:
            self._task = asyncio.current_task()
            self._handle = asyncio.get_running_loop().call_later(self._timeout, self._fire)

    def _fire(self) -> None:
        self._fired = True
        assert self._task is not None
        self._task.cancel()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._handle is not None:
            self._handle.cancel()
        if self._fired:
            assert self._task is not None
            if sys.version_info >= (3, 11) and self._task.uncancel() > 0:
                return  # cancelled from outside as well: let that cancellation through
            if exc_type is asyncio.CancelledError:
                raise ConnectTimeout("timed out") from None
