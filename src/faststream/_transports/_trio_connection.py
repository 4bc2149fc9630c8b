"""The trio network backend: one HTTP/1.1 connection on a trio stream (TCP, then TLS).

Imported only when the caller runs on trio. The exchange (what to send, how to frame the body,
what the connection may do next) is `_http11_exchange.py`; this module only moves bytes:
every read is `receive_some` into a new bytes object that the body reader passes on as the
piece itself (or, for `Response.areadinto` on plain TCP, `recv_into` the caller's buffer),
and every phase's timeout is a cancel scope around the one await it limits.

Cancellation: a cancelled scope mid-exchange leaves the stream in an unknown state, so the
caller closes the connection; `close()` is synchronous (it closes the socket at once), so
closing can never be interrupted by a second cancellation.
"""

from __future__ import annotations

import math
import socket
import ssl
import typing

import trio

import _cstream

from .._exceptions import (
    ConnectError,
    ConnectTimeout,
    ReadError,
    ReadTimeout,
    WriteError,
    WriteTimeout,
)
from . import _http11_exchange as exchange
from ._backends import Stream, Timeout, write_request
from ._connection import FRAMING_READ, after_framing, big_chunk_due
from ._http11_exchange import Fields
from ._sockets import first_address, socket_extra_info
from ._waiter import PoolWaiter

if typing.TYPE_CHECKING:
    from ._settings import Dial, TransportSettings


__all__ = ["TrioBackend", "TrioConnection"]


def _limit(timeout: float | None) -> float:
    return math.inf if timeout is None else timeout


class TrioWaiter(PoolWaiter):
    """A pool waiter on trio: an event."""

    __slots__ = ("_event",)

    def __init__(self, key: typing.Hashable) -> None:
        super().__init__(key)
        self._event = trio.Event()

    def _wake(self) -> None:
        self._event.set()

    async def wait(self, timeout: float | None) -> None:
        with trio.move_on_after(_limit(timeout)):
            await self._event.wait()


class TrioBackend:
    """Opens connections on the running trio run."""

    Waiter = TrioWaiter
    sleep = staticmethod(trio.sleep)

    @staticmethod
    def spawn(afn: typing.Callable[[], typing.Coroutine[typing.Any, typing.Any, None]]) -> None:
        """Runs `afn()` as a system task of the running trio run, so the caller need not wait
        (an HTTP/2 reset to send); `afn` handles its own errors (a system task's error
        would end the run)."""
        trio.lowlevel.spawn_system_task(afn)

    @staticmethod
    async def connect(dial: Dial, settings: TransportSettings) -> TrioConnection:
        """A connection as `dial` says: `ConnectError`; `ConnectTimeout` after its timeout."""
        connection: TrioConnection | None = None
        with trio.move_on_after(_limit(dial.timeout)) as scope:
            try:
                if dial.uds is not None:
                    stream = await trio.open_unix_socket(dial.uds)
                else:
                    local = settings.local_address
                    stream = await trio.open_tcp_stream(dial.host, dial.port, local_address=local)
                for option in settings.socket_options or ():
                    stream.setsockopt(*option)
            except OSError as exc:
                raise ConnectError(str(exc)) from exc
            connection = TrioConnection(stream, dial.key)
            connection.max_header_fields = settings.max_header_fields
            if dial.context is not None:
                try:
                    await connection._handshake(dial.context, dial.host)
                except BaseException:
                    connection.close()
                    raise
        if connection is None or scope.cancelled_caught:
            if connection is not None:
                connection.close()
            raise ConnectTimeout("timed out")
        return connection

    @staticmethod
    async def resolve(
        host: str, port: int, timeout: float | None, prefer: int = socket.AF_UNSPEC
    ) -> str:
        """The first address of `host`, of family `prefer` when it has one: `ConnectError`;
        `ConnectTimeout` after `timeout`."""
        with trio.move_on_after(_limit(timeout)):
            try:
                infos = await trio.socket.getaddrinfo(host, port, type=trio.socket.SOCK_STREAM)
            except OSError as exc:
                raise ConnectError(str(exc)) from exc
            return first_address(host, infos, prefer)
        raise ConnectTimeout("timed out")


def _cause(exc: BaseException) -> BaseException:
    """The OS or TLS error behind trio's `BrokenResourceError`, if it has one."""
    return exc.__cause__ or exc


class TrioConnection(exchange.ExchangeState):
    """A connection to one origin (or a proxy), used for one exchange at a time."""

    def __init__(self, stream: trio.SocketStream, key: typing.Hashable) -> None:
        self.stream: trio.abc.Stream = stream  # the socket stream, or TLS over it
        self.socket = stream.socket
        self._start_state(key)
        self.token = trio.lowlevel.current_trio_token()
        # > 0 after a big chunk went out in pieces of its own: the size of the read that
        # takes the framing after it (as in the sync backend).
        self.framing = 0
        # The `network_stream` extension of every response on this connection.
        self.network_stream = TrioNetworkStream(self)

    async def _handshake(self, context: ssl.SSLContext, server_hostname: str) -> None:
        tls = trio.SSLStream(
            self.stream, context, server_hostname=server_hostname, https_compatible=True
        )
        try:
            await tls.do_handshake()
        except (trio.BrokenResourceError, OSError, ssl.SSLError, ValueError) as exc:
            raise ConnectError(str(_cause(exc))) from exc
        self.stream = tls

    async def start_tls(
        self, context: ssl.SSLContext, server_hostname: str, timeout: float | None
    ) -> None:
        """Continue in TLS over this connection (a CONNECT tunnel): `ConnectError`,
        `ConnectTimeout`."""
        with trio.move_on_after(_limit(timeout)) as scope:
            await self._handshake(context, server_hostname)
        if scope.cancelled_caught:
            raise ConnectTimeout("timed out")

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.socket.close()

    def stale(self) -> bool:
        """Closed, or data, EOF or an error pending (an idle connection must have none)."""
        return self.closed or self.socket.is_readable()

    def idle(self) -> None:
        """The exchange is over; the connection waits in the pool."""
        self.body = None

    def schedule(self, callback: typing.Callable[[TrioConnection], None]) -> None:
        """Call `callback(self)` in the connection's trio run, from any thread (a response
        being garbage-collected); nothing once that run has finished."""
        try:
            self.token.run_sync_soon(callback, self)
        except trio.RunFinishedError:
            pass

    # -- one exchange ---------------------------------------------------------------------

    async def send_request(
        self, method: bytes, target: bytes, headers: Fields, stream: Stream, timeout: Timeout
    ) -> None:
        """Write a request (head and body)."""
        prepared = exchange.request_writes(method, target, headers, stream)
        self.close_requested = exchange.asks_close(headers)
        await write_request(self._write, prepared, stream, timeout)

    async def _write(self, data: bytes, timeout: float | None) -> None:
        if self.closed:
            raise WriteError("The connection is closed.")
        try:
            with trio.move_on_after(_limit(timeout)) as scope:
                await self.stream.send_all(data)
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError) as exc:
            cause = _cause(exc)
            if self.responses and isinstance(cause, (BrokenPipeError, ConnectionResetError)):
                raise exchange.ServerDisconnected(str(cause)) from exc
            raise WriteError(str(cause)) from exc
        if scope.cancelled_caught:
            raise WriteTimeout("timed out")

    async def _read(self, size: int, timeout: float | None, received: int) -> bytes | bytearray:
        """One `receive_some`: `ReadTimeout`, `ReadError`; a reset before any byte of a
        response on a reused connection is `ServerDisconnected` (`received` < 0: a body)."""
        try:
            if timeout is None:
                return await self.stream.receive_some(size)
            with trio.move_on_after(timeout):
                return await self.stream.receive_some(size)
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError) as exc:
            cause = _cause(exc)
            if received == 0 and self.responses and isinstance(cause, ConnectionResetError):
                raise exchange.ServerDisconnected(exchange.DISCONNECTED) from exc
            raise ReadError(str(cause)) from exc
        raise ReadTimeout("timed out")

    async def send_raw(self, data: bytes, timeout: float | None) -> None:
        """Write bytes outside any exchange (a proxy handshake)."""
        await self._write(data, timeout)

    async def receive_raw(self, timeout: float | None, size: int = exchange.RAW_READ) -> bytes:
        """The next bytes (at most `size`) received outside any exchange (a proxy handshake,
        HTTP/2 frames); empty at EOF. `ReadTimeout`, `ReadError`."""
        return bytes(await self._read(size, timeout, -1))

    async def receive_head(self, method: bytes, read_timeout: float | None) -> exchange.Head:
        """Read the response head (after any 1xx responses) and choose the body reader."""
        parser = self._head_parser(method)
        while True:
            data = await self._read(exchange.FIRST_BUFFER, read_timeout, parser.size)
            head = parser.received(data)
            if head is not None:
                self.body = head.start(self.close_requested)
                self.framing = 0
                return head

    async def read_pieces(self, read_timeout: float | None) -> list[bytes]:
        """The next body pieces of the current response, reading as needed; an empty list
        once the body is complete. A held-back framing error is raised after the pieces
        before it."""
        body = self.body
        assert body is not None
        pieces = body.pending()
        if pieces is None and type(body.reader) is _cstream.ChunkedReader:
            pieces = await self._read_chunked(body, read_timeout)
        while pieces is None:
            pieces = body.received(await self._read(body.read_size, read_timeout, -1))
        return pieces

    async def _read_chunked(self, body: exchange.Body, timeout: float | None) -> list[bytes] | None:
        """A chunked body: the data of a big chunk as pieces of their own (one read each,
        never past the chunk), the framing after it in reads of its last size (see the sync
        backend); None: read as for small chunks (the reader cuts them out of each read)."""
        reader = typing.cast(_cstream.ChunkedReader, body.reader)
        if self.framing and not reader.remaining:
            pieces = await self._read_framing(body, timeout)
            if pieces is not None:
                return pieces
        if not big_chunk_due(reader, self.framing):
            self.framing = 0
            return None
        data = await self._read(min(reader.remaining, body.read_size), timeout, -1)
        pieces = body.received_data(data if type(data) is bytes else bytes(data))
        self.framing = self.framing or FRAMING_READ
        return pieces

    async def _read_framing(self, body: exchange.Body, timeout: float | None) -> list[bytes] | None:
        """The framing after a big chunk, in reads of its last size (see the sync backend)."""
        reader = typing.cast(_cstream.ChunkedReader, body.reader)
        spent = 0
        while True:
            data = await self._read(self.framing, timeout, -1)
            pieces, self.framing = after_framing(body, data, spent)
            if pieces is not None or not self.framing or reader.remaining:
                return pieces
            spent += len(data)

    async def receive_into(
        self, target: memoryview, read_timeout: float | None
    ) -> int | list[bytes]:
        """The next body bytes of the current response: received straight into `target` by
        the kernel on plain TCP (their count, > 0); or, when bytes are held already (those
        that came with the head), the body is chunked in small chunks or the stream is TLS
        (trio's hands out new bytes objects only), what `read_pieces` gives (an empty list
        at the end).

        A Content-Length read never asks for more than the body still has, a read of a big
        chunk's data never more than the chunk still has. `ReadTimeout`, `ReadError`;
        `RemoteProtocolError` for a body cut short."""
        body = self.body
        assert body is not None
        pieces = body.pending()
        if pieces is not None:
            return pieces
        reader = body.reader
        if not isinstance(self.stream, trio.SocketStream):
            return await self.read_pieces(read_timeout)
        size = target.nbytes
        if isinstance(reader, _cstream.ChunkedReader):
            if self.framing and not reader.remaining:
                pieces = await self._read_framing(body, read_timeout)
                if pieces is not None:
                    return pieces
            if not big_chunk_due(reader, self.framing):
                return await self.read_pieces(read_timeout)  # small chunks: cut out of reads
            self.framing = self.framing or FRAMING_READ
            size = min(size, reader.remaining)
        elif isinstance(reader, _cstream.ContentLengthReader) and reader.remaining < size:
            size = reader.remaining
        if size == 0 or reader.done:
            return []
        view = target[:size] if size < target.nbytes else target
        n = -1
        try:
            with trio.move_on_after(_limit(read_timeout)):
                n = await self.socket.recv_into(view)
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError) as exc:
            raise ReadError(str(_cause(exc))) from exc
        if n < 0:
            raise ReadTimeout("timed out")
        if not n:
            body.feed_eof()  # the end of a close-delimited body; an error for the others
            return []
        reader.advance(n)
        return n


class TrioNetworkStream:
    """The `network_stream` response extension: details of the connection's stream."""

    def __init__(self, connection: TrioConnection) -> None:
        self._connection = connection

    def get_extra_info(self, info: str) -> typing.Any:
        connection = self._connection
        return socket_extra_info(connection.socket, info, self._ssl_object, connection.stale)

    def _ssl_object(self) -> ssl.SSLObject | None:
        # The `ssl.SSLObject` itself, as asyncio and the sync backend give one. trio keeps it
        # private (its stream forwards only some of its methods); httpx reads the same field.
        stream = self._connection.stream
        return stream._ssl_object if isinstance(stream, trio.SSLStream) else None
