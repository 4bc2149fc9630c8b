"""One HTTP/1.1 connection on asyncio: the protocol object is the connection.

The sans-I/O steps are the sync connection's (`_connection.py`): the compiled serialiser and
head parser with h11's strictness (`start_request`, `HeadParser`, the same caps), and the
`_cstream` framing reader chosen by `_make_head` cuts the body. Only the I/O differs:

* `AsyncConnection` is an `asyncio.BufferedProtocol`. `get_buffer()` hands the event loop the
  connection's reusable bytearray; `buffer_updated(n)` feeds a memoryview slice of it to the
  head parser (while the head is incomplete) or to the framing reader, whose body pieces are
  the one copy of each byte. The buffer starts at 64 KiB and doubles up to `_MAX_BUFFER` while
  reads fill it.
* Body pieces wait in a deque for the consumer. When more than `HIGH_WATER` bytes wait, reading
  pauses until the consumer has taken all but `LOW_WATER` of them: never an unbounded buffer.
* Failures seen in the callbacks (EOF, reset, framing errors) are stored and raised to the
  consumer after the pieces that came before them, as the sync reader would.
* Timeouts are timers on the future the consumer waits on: no extra task, no `wait_for`.
* Between exchanges the connection is idle: any byte, EOF or error then marks it `broken`, and
  the pool never lends a broken connection (THREATS section 4).
"""

from __future__ import annotations

import asyncio
import collections
import typing

import _cstream

from .._exceptions import (
    ReadError,
    ReadTimeout,
    RemoteProtocolError,
    WriteError,
    WriteTimeout,
)
from .._streams import AsyncByteStream, ByteStream
from ._connection import (
    _FIRST_BUFFER,
    _MAX_BUFFER,
    Head,
    HeadParser,
    ServerDisconnected,
    encode_end,
    encode_piece,
    in_memory_writes,
    start_request,
)

__all__ = ["AsyncConnection", "AsyncNetworkStream"]

HIGH_WATER = 2 * _MAX_BUFFER  # body bytes waiting for the consumer before reading pauses
LOW_WATER = _MAX_BUFFER // 2  # ... and resumes

_IDLE, _HEAD, _BODY = 0, 1, 2
_DISCONNECTED = "Server disconnected without sending a response."


class AsyncConnection(asyncio.BufferedProtocol):
    """A connection to one origin (or a proxy), used for one exchange at a time."""

    transport: asyncio.Transport

    def __init__(self, key: typing.Hashable, loop: asyncio.AbstractEventLoop) -> None:
        self.key = key
        self.loop = loop
        self.buffer = bytearray(_FIRST_BUFFER)
        self.view = memoryview(self.buffer)
        self.grow = False  # the next get_buffer() hands out a buffer twice as large
        self.responses = 0  # responses completed on this connection (> 0: a reused one)
        self.idle_since = 0.0
        self.closed = False  # closed by us, or the transport is gone
        self.broken = False  # something happened while idle: never reuse
        self.mode = _IDLE
        self.parser: HeadParser | None = None
        self.head: Head | None = None
        self.received = 0  # bytes of the current response received
        self.reader: typing.Any = None
        self.pieces: collections.deque[bytes] = collections.deque()
        self.queued = 0
        self.done = False  # the current body is complete
        self.error: BaseException | None = None
        self.paused = False
        self.waiter: asyncio.Future[bool] | None = None
        self.write_paused = False
        self.drain_waiter: asyncio.Future[bool] | None = None
        self.lost: BaseException | None = None

    # -- protocol callbacks ---------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = typing.cast(asyncio.Transport, transport)

    def get_buffer(self, sizehint: int) -> memoryview:
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
        if mode == _BODY:
            if self.done or self.error is not None:
                # Bytes after the end of the message: the connection will not be reused.
                self.broken = True
                return
            pieces: list[bytes] = []
            try:
                pieces = self.reader.feed(self.view[:nbytes])
                if pieces and not self.reader.done:
                    # A reader that found an error after some good pieces returned those and
                    # holds the error back: have it now (raised after the pieces).
                    self.reader.feed(b"")
            except _cstream.FramingError as exc:
                self._deliver(pieces)
                self._fail(RemoteProtocolError(str(exc)))
                return
            if nbytes == len(self.buffer) and nbytes < _MAX_BUFFER:
                # Reads keep filling the buffer: a large body; read more per call.
                self.grow = True
            self._deliver(pieces)
        elif mode == _HEAD:
            self.received += nbytes
            parser = self.parser
            assert parser is not None
            parser.feed(self.view[:nbytes])
            self._parse_head()
        else:
            self.broken = True

    def eof_received(self) -> bool:
        self._end(None)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
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
        self.reader = head.reader
        if head.leftover:
            pieces = []
            try:
                pieces = head.reader.feed(head.leftover)
                if pieces and not head.reader.done:
                    head.reader.feed(b"")  # a held-back error, as above
            except _cstream.FramingError as exc:
                self._deliver(pieces)
                self._fail(RemoteProtocolError(str(exc)))
                return
            self._deliver(pieces)
        else:
            self.done = head.reader.done
            self._wake()

    def _deliver(self, pieces: list[bytes]) -> None:
        if pieces:
            self.pieces.extend(pieces)
            for piece in pieces:
                self.queued += len(piece)
            if self.queued > HIGH_WATER and not self.paused:
                self.paused = True
                self.transport.pause_reading()
        self.done = self.reader.done
        self._wake()

    def _end(self, exc: Exception | None) -> None:
        """The peer closed (`exc` None) or the connection failed."""
        mode = self.mode
        if mode == _IDLE or self.error is not None:
            self.broken = True
            return
        if mode == _HEAD:
            if self.received == 0 and (
                exc is None or (self.responses and isinstance(exc, ConnectionResetError))
            ):
                # Closed before any byte of a response; a reset counts only on a reused
                # connection (the server dropped it while idle), as in the sync connection.
                self._fail(ServerDisconnected(_DISCONNECTED))
            elif exc is not None:
                self._fail(ReadError(str(exc)))
            else:
                parser = self.parser
                assert parser is not None
                parser.feed_eof()
                self._parse_head()
                if self.head is None and self.error is None:  # pragma: no cover - it raises
                    self._fail(RemoteProtocolError(_DISCONNECTED))
            return
        self.broken = True
        if self.done:
            return
        if exc is not None:
            self._fail(ReadError(str(exc)))
            return
        try:
            self.reader.feed_eof()
        except _cstream.FramingError as err:
            self._fail(RemoteProtocolError(str(err)))
            return
        self.done = self.reader.done
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
        self,
        method: bytes,
        target: bytes,
        headers: list[tuple[bytes, bytes]],
        stream: AsyncByteStream | None,
        write_timeout: float | None,
    ) -> None:
        """Write a request; the response head is then parsed as it arrives."""
        body, head = start_request(method, target, headers)
        self.parser = HeadParser(method)
        self.head = None
        self.received = 0
        self.done = False
        self.error = None
        self.mode = _HEAD
        if self.closed:
            # Lost while idle, between the pool's check and now.
            if self.responses:
                raise ServerDisconnected(_DISCONNECTED)
            raise WriteError(str(self.lost))
        if stream is None or isinstance(stream, ByteStream):
            for data in in_memory_writes(body, head, stream):
                await self._write(data, write_timeout)
            return
        await self._write(head, write_timeout)
        async for piece in stream:
            if piece:
                await self._write(encode_piece(body, piece), write_timeout)
        await self._write(encode_end(body), write_timeout)

    async def _write(self, data: bytes, timeout: float | None) -> None:
        if self.closed:
            if self.error is not None or self.head is not None:
                return  # the read side reports what happened
            if self.responses and self.received == 0:
                raise ServerDisconnected(_DISCONNECTED)
            raise WriteError(str(self.lost))
        self.transport.write(data)
        if self.write_paused:
            await self._drain(timeout)

    async def _drain(self, timeout: float | None) -> None:
        while self.write_paused and not self.closed:
            waiter = self.drain_waiter = self.loop.create_future()
            timer = None if timeout is None else self.loop.call_later(timeout, _expire, waiter)
            try:
                woke = await waiter
            finally:
                self.drain_waiter = None
                if timer is not None:
                    timer.cancel()
            if not woke and not self.closed:
                raise WriteTimeout("timed out")

    async def receive_head(self, read_timeout: float | None) -> Head:
        """The response head (after any 1xx responses)."""
        while True:
            head = self.head
            if head is not None:
                return head
            error = self.error
            if error is not None:
                raise error
            await self.wait(read_timeout)

    async def wait(self, timeout: float | None) -> None:
        """Wait for the callbacks to deliver something; `ReadTimeout` after `timeout`."""
        if self.paused:
            self.paused = False
            self.transport.resume_reading()
        waiter = self.waiter = self.loop.create_future()
        timer = None if timeout is None else self.loop.call_later(timeout, _expire, waiter)
        try:
            woke = await waiter
        finally:
            self.waiter = None
            if timer is not None:
                timer.cancel()
        if not woke:
            raise ReadTimeout("timed out")

    def taken(self, size: int) -> None:
        """The consumer took a piece of `size` bytes off `pieces`."""
        self.queued -= size
        if self.paused and self.queued <= LOW_WATER:
            self.paused = False
            self.transport.resume_reading()

    def reusable(self) -> bool:
        """After the body was read to its end: may the connection carry another exchange?"""
        reader = self.reader
        return not (self.closed or self.broken or reader is None or reader.suspicious)

    def idle(self) -> None:
        """The exchange is over; the connection waits in the pool."""
        self.mode = _IDLE
        self.parser = self.head = self.reader = None
        self.pieces.clear()
        self.queued = 0
        if self.paused:
            self.paused = False
            self.transport.resume_reading()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            transport = getattr(self, "transport", None)  # None: never connected
            if transport is not None:
                transport.abort()
        self.pieces.clear()
        self.queued = 0


def _expire(waiter: asyncio.Future[bool]) -> None:
    if not waiter.done():
        waiter.set_result(False)


class AsyncNetworkStream:
    """The `network_stream` response extension: details of the connection's transport."""

    def __init__(self, connection: AsyncConnection) -> None:
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
