"""The sync network backend: one HTTP/1.1 connection on a plain (or TLS) socket, or on TLS
inside an https proxy's TLS (`_tls_in_tls.py`).

The exchange itself (what to send, how to frame the body, what the connection may do next)
is `_http11_exchange.py`; this module only moves bytes.

Waiting. On Linux a plain (not TLS) socket is blocking, with the kernel's receive and send
timeouts (`SO_RCVTIMEO`/`SO_SNDTIMEO`) set to the phase's timeout, and set again only when the
timeout changes: a read or write is one system call that waits in the kernel, and its
`EAGAIN` (nothing moved within the timeout) is `ReadTimeout`/`WriteTimeout`. A timeout of 0
or less, which the kernel cannot express (a zero timeout waits forever), turns the socket
non-blocking for good. A TLS socket, and every socket elsewhere, is non-blocking: every read
and write is tried first and waits (with `poll`, for at most the phase's timeout) only when
the kernel has nothing to give or no room to take. Python's own socket timeouts poll before
every call, which costs a system call per read on a stream and two per small request.

Reads: a Content-Length or close-delimited body is read with `recv` into a new bytes object
per read, which the reader passes on as the piece itself (no copy after the kernel's), or, for
`Response.readinto`, with `recv_into` straight into the caller's buffer (`receive_into`).
Reads start at `FIRST_BUFFER` bytes and double up to `MAX_BUFFER` while they keep coming full,
so small responses never pay for large ones.

A chunked body is read with `recv_into` into one buffer per connection, and the reader copies
the chunk data out of it, while its chunks are small: the data of all the chunks of one read
in one piece, so a run of small chunks costs one piece (and one trip through the iterators
above) per read, as identity does, not one per chunk. The data of a chunk of at least
`BIG_CHUNK` bytes is received like a Content-Length body instead, bounded by what the chunk
still has (the reader's `remaining`, reported with `advance`); the framing after such a chunk
is read in reads of the size that framing had last time (`framing`), so that they do not take
the next chunk's data into the buffer. Reads then stop at every chunk's end and the framing
takes a read of its own: at 16 KiB chunks those system calls cost more than the copy they save
(measured on loopback), so only chunks of `BIG_CHUNK` or more take this path.
"""

from __future__ import annotations

import functools
import math
import select
import socket
import ssl
import struct
import sys
import time
import typing

import _cstream

from .._exceptions import ReadError, ReadTimeout, WriteError, WriteTimeout
from .._streams import SyncByteStream
from . import _http11_exchange as exchange
from ._http11_exchange import Fields
from ._sockets import is_readable, open_socket, resolve_address, socket_extra_info, start_tls
from ._tls_in_tls import LayeredTLS, start_tls_in_tls

if typing.TYPE_CHECKING:
    from typing_extensions import Buffer

    from ._settings import Dial, TransportSettings

Stream: typing.TypeAlias = SyncByteStream | None
Timeout: typing.TypeAlias = float | None

__all__ = [
    "BIG_CHUNK",
    "FRAMING_READ",
    "Connection",
    "NetworkStream",
    "SyncBackend",
    "after_framing",
    "big_chunk_due",
]

_R = typing.TypeVar("_R")

#: A chunk with at least this much data left is received into objects of its own, not cut
#: out of the connection's buffer: two reads per chunk (data, framing) instead of one per
#: buffer of up to `MAX_BUFFER` bytes, and no copy; the saved copy outweighs the reads with
#: room to spare from here on.
BIG_CHUNK = 128 * 1024
#: The first guess at the framing after a big chunk: CRLF, 5 hex digits, CRLF (64 KiB to
#: 1 MiB chunks). A wrong guess costs a read more or a small piece, never a wrong result.
FRAMING_READ = 9
_FRAMING_MAX = 256  # framing longer than this after a big chunk: read it into the buffer

#: Plain sockets wait in the kernel (`SO_RCVTIMEO`/`SO_SNDTIMEO`, a `struct timeval` of two
#: native longs): Linux with 64-bit longs, where that layout is certain. Elsewhere `poll`.
KERNEL_TIMEOUTS = sys.platform == "linux" and struct.calcsize("@l") == 8
#: The socket class whose calls are the kernel's own: not a green one (gevent, eventlet patch
#: `socket.socket` with a class that keeps its descriptor non-blocking and waits in its hub,
#: where a kernel timeout would never fire).
_KERNEL_SOCKET = socket.socket if socket.socket.__module__ == "socket" else None
_TIMEVAL = struct.Struct("@ll")
_FOREVER = _TIMEVAL.pack(0, 0)  # the kernel's "no timeout"
_LONGEST = 1e9  # seconds; longer timeouts wait forever (31 years; the struct must not overflow)
#: The timeout the kernel holds when faststream has not set one (a caller's socket option
#: may have): NaN, equal to no timeout, so the first read and the first write set theirs.
_UNKNOWN = math.nan


class SyncBackend:
    """Opens connections with blocking calls; the sync transport's network backend."""

    sleep = staticmethod(time.sleep)

    @staticmethod
    def connect(dial: Dial, settings: TransportSettings) -> Connection:
        """A connection as `dial` says: `ConnectError`, `ConnectTimeout`."""
        sock = open_socket(
            dial.host,
            dial.port,
            timeout=dial.timeout,
            local_address=settings.local_address,
            socket_options=settings.socket_options,
            uds=dial.uds,
        )
        if dial.context is not None:
            sock = start_tls(sock, dial.context, dial.host, dial.timeout)
        connection = Connection(sock, dial.key)
        connection.max_header_fields = settings.max_header_fields
        return connection

    @staticmethod
    def resolve(host: str, port: int, timeout: float | None, prefer: int = socket.AF_UNSPEC) -> str:
        """The first address of `host`, of family `prefer` when it has one (`ConnectError`
        when it has none). The system resolver has no timeout of its own."""
        return resolve_address(host, port, prefer)


class Connection(exchange.ExchangeState):
    """A socket to one origin (or a proxy), used for one exchange at a time."""

    __slots__ = (
        "_kernel_read",
        "_kernel_write",
        "_ready_now",
        "_waiter",
        "blocking",
        "buffer",
        "framing",
        "network_stream",
        "sock",
        "view",
    )

    def __init__(self, sock: socket.socket, key: typing.Hashable) -> None:
        self._start_state(key)
        self.buffer = bytearray(exchange.FIRST_BUFFER)
        self.view = memoryview(self.buffer)
        # > 0 after a big chunk went out in pieces of its own: the size of the read that
        # takes the framing after it (0: read chunked bodies into the buffer).
        self.framing = 0
        self._use(sock)

    def _use(self, sock: socket.socket) -> None:
        # True: the kernel waits (a blocking socket with kernel timeouts; see the opening).
        self.blocking = KERNEL_TIMEOUTS and type(sock) is _KERNEL_SOCKET
        sock.setblocking(self.blocking)
        self._kernel_read: float | None = _UNKNOWN
        self._kernel_write: float | None = _UNKNOWN
        self.sock = sock
        waiter = Waiter(sock)
        self._waiter: Waiter | LayeredWaiter = waiter
        # The stale check of a plain socket: `poll(0)` with no call around it.
        self._ready_now = waiter.ready_now if self.blocking else None
        # The `network_stream` extension of every response on this connection.
        self.network_stream = NetworkStream(sock)

    def _set_kernel_timeout(self, option: int, timeout: float | None) -> None:
        """Give the kernel `timeout` as the socket's `option` (`SO_RCVTIMEO`, `SO_SNDTIMEO`);
        a timeout of 0 or less makes the socket non-blocking from now on instead."""
        if timeout is not None and not timeout > 0:  # NaN included: `poll` judges it
            self.blocking = False
            self._ready_now = None
            self.sock.setblocking(False)
            return
        if timeout is None or timeout >= _LONGEST:
            value = _FOREVER
        else:
            seconds = int(timeout)
            # Rounded up, so a positive timeout never becomes the zero that waits forever;
            # the kernel refuses a microseconds field of a whole second.
            micro = math.ceil((timeout - seconds) * 1e6)
            if micro >= 1_000_000:
                seconds, micro = seconds + 1, 0
            value = _TIMEVAL.pack(seconds, micro)
        self.sock.setsockopt(socket.SOL_SOCKET, option, value)
        if option == socket.SO_RCVTIMEO:
            self._kernel_read = timeout
        else:
            self._kernel_write = timeout

    def start_tls(
        self, context: ssl.SSLContext, server_hostname: str, timeout: float | None
    ) -> None:
        """Continue in TLS over this connection (a CONNECT tunnel): `ConnectError`,
        `ConnectTimeout`; the socket is closed when the handshake fails."""
        sock = self.sock
        if not isinstance(sock, ssl.SSLSocket):
            self._use(start_tls(sock, context, server_hostname, timeout))
            return
        # A tunnel through an https proxy: TLS inside its TLS, pumped by `LayeredTLS`, which
        # the connection then uses as its socket.
        layered = start_tls_in_tls(sock, context, server_hostname, timeout, self._waiter)
        self.sock = typing.cast(socket.socket, layered)
        self._waiter = LayeredWaiter(layered)
        self.network_stream = LayeredNetworkStream(layered)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            try:
                self.sock.close()
            except OSError:  # pragma: no cover - close() of a TCP socket does not fail
                pass

    def stale(self) -> bool:
        """Closed, or data, EOF or an error pending (an idle connection must have none)."""
        if self.closed:
            return True
        ready_now = self._ready_now
        return bool(ready_now(0)) if ready_now is not None else self._waiter.readable(0.0)

    def idle(self) -> None:
        """The exchange is over; the connection waits in the pool."""
        self.body = None

    # -- one exchange ---------------------------------------------------------------------

    def send_request(
        self, method: bytes, target: bytes, headers: Fields, stream: Stream, timeout: Timeout
    ) -> None:
        """Write a request (head and body). An in-memory body up to 64 KiB goes out in one
        write with the head."""
        writes, streaming = exchange.request_writes(method, target, headers, stream)
        self.close_requested = exchange.asks_close(headers)
        for data in writes:
            self._write(data, timeout)
        if streaming is not None:
            assert stream is not None
            for piece in stream:
                self._write(exchange.encode_piece(streaming, piece), timeout)
            self._write(exchange.encode_end(streaming), timeout)

    def _write(self, data: bytes, timeout: float | None) -> None:
        if self.blocking and timeout != self._kernel_write:
            self._set_kernel_timeout(socket.SO_SNDTIMEO, timeout)
        sock = self.sock
        try:
            if self.blocking:
                # Each `send` in it waits at most the timeout for room; `EAGAIN`: none came.
                try:
                    sock.sendall(data)
                except BlockingIOError:
                    raise WriteTimeout("timed out") from None
                return
            view = memoryview(data)
            try:
                while view:
                    try:
                        sent = sock.send(view)
                    except (BlockingIOError, ssl.SSLWantWriteError):
                        if not self._waiter.writable(timeout):
                            raise WriteTimeout("timed out") from None
                        continue
                    except ssl.SSLWantReadError:  # pragma: no cover - TLS renegotiation
                        if not self._waiter.readable(timeout):
                            raise WriteTimeout("timed out") from None
                        continue
                    view = view[sent:]
            finally:
                view.release()
        except (BrokenPipeError, ConnectionResetError) as exc:
            if self.responses:
                raise exchange.ServerDisconnected(str(exc)) from exc
            raise WriteError(str(exc)) from exc
        except OSError as exc:
            raise WriteError(str(exc)) from exc

    def send_raw(self, data: bytes, timeout: float | None) -> None:
        """Write bytes outside any exchange (a proxy handshake)."""
        self._write(data, timeout)

    def receive_raw(self, timeout: float | None, size: int = exchange.RAW_READ) -> bytes:
        """The next bytes (at most `size`) received outside any exchange (a proxy handshake,
        HTTP/2 frames); empty at EOF. `ReadTimeout`, `ReadError`."""
        try:
            return self._retry_read(lambda: self.sock.recv(size), timeout)
        except ConnectionResetError as exc:
            raise ReadError(str(exc)) from exc

    def receive_raw_into(self, buffer: Buffer, timeout: float | None) -> int:
        """Like `receive_raw`, into `buffer` (HTTP/2 DATA payloads received in place): the
        count of bytes read, 0 at EOF. The buffer is not kept past the call."""
        try:
            return self._retry_read(lambda: self.sock.recv_into(buffer), timeout)
        except ConnectionResetError as exc:
            raise ReadError(str(exc)) from exc

    def receive_head(self, method: bytes, read_timeout: float | None) -> exchange.Head:
        """Read the response head (after any 1xx responses) and choose the body reader."""
        buffer = self.buffer
        parser = self._head_parser(method)
        sock = self.sock
        if self.blocking and read_timeout != self._kernel_read:
            self._set_kernel_timeout(socket.SO_RCVTIMEO, read_timeout)
        blocking = self.blocking
        # The response is rarely there yet right after the request: on a non-blocking plain
        # socket, wait first rather than pay for a read that would fail.
        wait = None if blocking or isinstance(sock, ssl.SSLSocket) else self._waiter.readable
        while True:
            if wait is not None and not wait(read_timeout):
                raise ReadTimeout("timed out")
            try:
                n = sock.recv_into(buffer)
            except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                if blocking:  # the kernel waited the whole timeout
                    raise ReadTimeout("timed out") from None
                n = self._read_head_bytes(buffer, parser.size, read_timeout)
            except ConnectionResetError as exc:
                raise self._reset(exc, parser.size) from exc
            except OSError as exc:
                raise ReadError(str(exc)) from exc
            head = parser.received(self.view[:n])
            if head is not None:
                self.body = head.start(self.close_requested)
                self.framing = 0
                return head

    def _read_head_bytes(self, buffer: bytearray, received: int, timeout: float | None) -> int:
        try:
            return self._retry_read(lambda: self.sock.recv_into(buffer), timeout)
        except ConnectionResetError as exc:
            raise self._reset(exc, received) from exc

    def _reset(self, exc: ConnectionResetError, received: int) -> Exception:
        """The error for a connection reset while `received` bytes of a head had come."""
        if received == 0 and self.responses:
            # A reused connection the server dropped while it was idle.
            return exchange.ServerDisconnected(exchange.DISCONNECTED)
        return ReadError(str(exc))

    def _retry_read(self, read: typing.Callable[[], _R], timeout: float | None) -> _R:
        """`read()` (a read of the socket), waiting at most `timeout` whenever there is nothing
        to read yet (in the kernel, or retried after `poll` on a non-blocking socket):
        `ReadTimeout`; other failures are `ReadError`, except `ConnectionResetError`, left for
        the caller to judge."""
        if self.blocking and timeout != self._kernel_read:
            self._set_kernel_timeout(socket.SO_RCVTIMEO, timeout)
        while True:
            try:
                return read()
            except (BlockingIOError, ssl.SSLWantReadError):
                # Blocking: the kernel waited the whole timeout.
                if self.blocking or not self._waiter.readable(timeout):
                    raise ReadTimeout("timed out") from None
            except ssl.SSLWantWriteError:  # pragma: no cover - TLS renegotiation
                if not self._waiter.writable(timeout):
                    raise ReadTimeout("timed out") from None
            except ConnectionResetError:
                raise
            except OSError as exc:
                raise ReadError(str(exc)) from exc

    def read_pieces(self, read_timeout: float | None) -> list[bytes]:
        """The next body pieces of the current response, reading the socket as needed; an
        empty list once the body is complete.

        Raises `ReadTimeout`/`ReadError` for socket failures and `RemoteProtocolError` for
        framing errors and bodies cut short (a held-back one after the pieces before it).
        """
        body = self.body
        assert body is not None
        pieces = body.pending()
        if pieces is not None:
            return pieces
        reader = body.reader
        if type(reader) is _cstream.ChunkedReader:
            if self.framing and not reader.remaining:
                pieces = self._read_framing(body, read_timeout)
                if pieces is not None:
                    return pieces
            if big_chunk_due(reader, self.framing):
                # A big chunk: its data in a bytes object of its own per read, the piece
                # itself, as for a Content-Length body.
                size = min(reader.remaining, body.read_size)
                data = self._read_body(functools.partial(self.sock.recv, size), read_timeout)
                pieces = body.received_data(data)
                self.framing = self.framing or FRAMING_READ
                return pieces
            self.framing = 0
            # Small chunks: `recv_into` the connection's buffer, and the reader cuts the chunk
            # data out of it.
            recv_into = self.sock.recv_into
            while True:
                buffer = self.buffer
                n = self._read_body(functools.partial(recv_into, buffer), read_timeout)
                pieces = body.received(self.view[:n])
                if n == len(buffer) and n < exchange.MAX_BUFFER:
                    # Reads keep filling the buffer: a large body; read more per call.
                    self.view.release()
                    self.buffer = bytearray(2 * n)
                    self.view = memoryview(self.buffer)
                if pieces is not None:
                    return pieces
        # Otherwise `recv` into a new bytes object per read, which the reader hands on as the
        # piece itself: each byte is copied once, by the kernel (a reused buffer would need
        # a second copy to make the piece).
        recv = self.sock.recv
        while pieces is None:
            pieces = body.received(
                self._read_body(functools.partial(recv, body.read_size), read_timeout)
            )
        return pieces

    def receive_into(self, target: memoryview, read_timeout: float | None) -> int | list[bytes]:
        """The next body bytes of the current response: received straight into `target` by
        the kernel (or the TLS layer), with no bytes object in between -- their count, > 0;
        or, when bytes are held already (those that came with the head) or the body is
        chunked in small chunks, what `read_pieces` gives (an empty list once the body is
        complete).

        A Content-Length read asks for at most the bytes the body still has, a read of a
        big chunk's data for at most what the chunk still has, so it never takes a byte of
        what follows. `ReadTimeout`, `ReadError`; `RemoteProtocolError` for a body cut short.
        """
        body = self.body
        assert body is not None
        pieces = body.pending()
        if pieces is not None:
            return pieces
        reader = body.reader
        size = target.nbytes
        if isinstance(reader, _cstream.ChunkedReader):
            if self.framing and not reader.remaining:
                pieces = self._read_framing(body, read_timeout)
                if pieces is not None:
                    return pieces
            if not big_chunk_due(reader, self.framing):
                return self.read_pieces(read_timeout)  # small chunks are cut out of reads
            self.framing = self.framing or FRAMING_READ
            size = min(size, reader.remaining)
        elif isinstance(reader, _cstream.ContentLengthReader) and reader.remaining < size:
            size = reader.remaining
        if size == 0 or reader.done:
            return []
        view = target[:size] if size < target.nbytes else target
        n = self._read_body(functools.partial(self.sock.recv_into, view), read_timeout)
        if not n:
            body.feed_eof()  # the end of a close-delimited body; an error for the others
            return []
        reader.advance(n)
        return n

    def _read_framing(self, body: exchange.Body, timeout: float | None) -> list[bytes] | None:
        """After a big chunk's data: read its framing (the CRLF, the next size line) in reads
        of the size it had last time, so that the next chunk's data stays in the socket. The
        pieces it completes (some data of the next chunk, the end of the body), or None: the
        next chunk's data is due, or `framing` is 0 and the buffer reads take over."""
        reader = typing.cast(_cstream.ChunkedReader, body.reader)
        spent = 0
        recv = self.sock.recv
        while True:
            data = self._read_body(functools.partial(recv, self.framing), timeout)
            pieces, self.framing = after_framing(body, data, spent)
            if pieces is not None or not self.framing or reader.remaining:
                return pieces
            spent += len(data)

    def _read_body(self, read: typing.Callable[[], _R], timeout: float | None) -> _R:
        """One read of a body: `ReadTimeout`, `ReadError` (a reset included)."""
        try:
            return self._retry_read(read, timeout)
        except ConnectionResetError as exc:
            raise ReadError(str(exc)) from exc


def big_chunk_due(reader: _cstream.ChunkedReader, framing: int) -> bool:
    """Whether the next read takes a chunk's data alone: a big chunk's, or the rest of one
    whose framing was read alone (`framing` > 0)."""
    left = reader.remaining
    return left >= BIG_CHUNK or bool(framing and left)


def after_framing(
    body: exchange.Body, data: bytes | bytearray, spent: int
) -> tuple[list[bytes] | None, int]:
    """Feed `data`, a read of the framing after a big chunk, `spent` bytes of that framing
    having been read before it: what it completes (as `Body.received` gives it), and the size
    of the next read -- when the next chunk's data is due, that of the framing after the next
    big chunk (this framing's exact size); when the framing is unfinished, the next part of
    it; 0 to leave big-chunk reading (the next chunk is small, the body ended, or the framing
    runs long: trailers)."""
    reader = typing.cast(_cstream.ChunkedReader, body.reader)
    before = reader.received
    pieces = body.received(data)
    left = reader.remaining
    if not left:
        if pieces is not None or spent + len(data) >= _FRAMING_MAX:
            return pieces, 0  # the end, a small chunk held whole, or long framing
        return None, 2 * len(data)  # a size line or trailers not complete: read on
    came = reader.received - before  # data of the next chunk that came in this read
    if left + came < BIG_CHUNK:
        return pieces, 0
    return pieces, spent + len(data) - came


class NetworkStream:
    """The `network_stream` response extension: details of the connection's socket."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def get_extra_info(self, info: str) -> typing.Any:
        sock = self._sock
        return socket_extra_info(sock, info, functools.partial(_ssl_object, sock), self._readable)

    def _readable(self) -> bool:
        return is_readable(self._sock)


def _ssl_object(sock: socket.socket) -> ssl.SSLSocket | None:
    return sock if isinstance(sock, ssl.SSLSocket) else None


class LayeredNetworkStream(NetworkStream):
    """`network_stream` of a connection in TLS inside a proxy's TLS: the socket and addresses
    are the outer socket's, `ssl_object` the inner session's (the origin's), as httpx."""

    def __init__(self, layered: LayeredTLS) -> None:
        super().__init__(layered.outer)
        self._layered = layered

    def get_extra_info(self, info: str) -> typing.Any:
        if info == "ssl_object":
            return self._layered.ssl_object
        return super().get_extra_info(info)

    def _readable(self) -> bool:
        return self._layered.ready() or is_readable(self._layered.outer)


if hasattr(select, "poll"):

    class Waiter:
        """Waits for a socket to become readable or writable (`poll`, one object per socket)."""

        __slots__ = ("_reading", "_sock", "_writing")

        def __init__(self, sock: socket.socket) -> None:
            self._sock = sock
            self._reading = select.poll()
            self._reading.register(sock, select.POLLIN | select.POLLPRI)
            self._writing: typing.Any = None

        @property
        def ready_now(self) -> typing.Callable[[int], list[tuple[int, int]]]:
            """`ready_now(0)`: the socket's readiness events now (empty: none); plain sockets."""
            return self._reading.poll

        def readable(self, timeout: float | None) -> bool:
            sock = self._sock
            if isinstance(sock, ssl.SSLSocket) and sock.pending():
                return True
            if timeout is None:
                return bool(self._reading.poll())
            # poll's timeout in ms; a positive timeout is never rounded down to 0
            return bool(self._reading.poll(math.ceil(timeout * 1000) if timeout > 0 else 0))

        def writable(self, timeout: float | None) -> bool:
            if self._writing is None:
                self._writing = select.poll()
                self._writing.register(self._sock, select.POLLOUT)
            return bool(self._writing.poll(_milliseconds(timeout)))

else:  # pragma: no cover - Windows

    class Waiter:  # type: ignore[no-redef]
        """Waits for a socket to become readable or writable (`select`)."""

        __slots__ = ("_sock",)

        def __init__(self, sock: socket.socket) -> None:
            self._sock = sock

        def readable(self, timeout: float | None) -> bool:
            sock = self._sock
            if isinstance(sock, ssl.SSLSocket) and sock.pending():
                return True
            readable, _, errored = select.select([sock], [], [sock], timeout)
            return bool(readable or errored)

        def writable(self, timeout: float | None) -> bool:
            _, writable, errored = select.select([], [self._sock], [self._sock], timeout)
            return bool(writable or errored)


class LayeredWaiter:
    """The waiter of a connection in TLS inside a proxy's TLS: it waits on the outer socket,
    except when the layered session has something to do first (`LayeredTLS.ready`)."""

    __slots__ = ("_layered", "_outer")

    def __init__(self, layered: LayeredTLS) -> None:
        self._layered = layered
        self._outer = Waiter(layered.outer)

    def readable(self, timeout: float | None) -> bool:
        return self._layered.ready() or self._outer.readable(timeout)

    def writable(self, timeout: float | None) -> bool:
        return self._outer.writable(timeout)


def _milliseconds(timeout: float | None) -> int | None:
    """`poll`'s timeout: None waits forever; a positive timeout is never rounded to 0."""
    if timeout is None:
        return None
    return max(0, math.ceil(timeout * 1000))
