"""One HTTP/1.1 connection: h11 for the request and the response head, `_cstream` for the body.

An exchange on a connection:

1. A fresh `h11.Connection` serialises the request (h11 validates the method, target and
   header names and values: `LocalProtocolError` before anything is written) and parses the
   response head, skipping at most `MAX_INFORMATIONAL` 1xx responses. The head may hold at
   most `MAX_HEADERS` fields (THREATS T20, T23) and `MAX_HEAD_SIZE` bytes (T19).
2. The body framing is chosen from the head as h11 would (no body for HEAD, 1xx, 204, 304;
   chunked when Transfer-Encoding is set; else Content-Length; else until the peer closes),
   and h11's unconsumed bytes plus every later socket read go to that `_cstream` reader.
   Socket reads go into one buffer per connection with `recv_into`; the reader cuts body
   pieces out of it (one copy per byte). The buffer starts at 64 KiB and doubles up to
   512 KiB while reads keep filling it, so small responses never pay for a large buffer.
3. The connection may be reused only when h11 would keep it alive (HTTP/1.1, no
   `Connection: close` either way), the body was read to its end, and the reader saw nothing
   suspicious (surplus bytes after the message, a chunk extension, trailers; TE together with
   CL). Anything else closes it (THREATS section 4).
"""

from __future__ import annotations

import math
import select
import socket
import ssl
import typing

import h11

import _cstream

from .._exceptions import (
    LocalProtocolError,
    ReadError,
    ReadTimeout,
    RemoteProtocolError,
    WriteError,
    WriteTimeout,
)
from .._headers import Headers
from .._streams import ByteStream, SyncByteStream

__all__ = [
    "MAX_HEADERS",
    "MAX_INFORMATIONAL",
    "Connection",
    "Head",
    "HeadParser",
    "ServerDisconnected",
    "encode_end",
    "encode_piece",
    "in_memory_writes",
    "start_request",
]

MAX_HEADERS = 100
MAX_INFORMATIONAL = 100
MAX_HEAD_SIZE = 100 * 1024  # httpcore's limit on an incomplete h11 event
_FIRST_BUFFER = 64 * 1024
_MAX_BUFFER = 512 * 1024
_SMALL_BODY = 64 * 1024  # request bodies up to this size go out in the same write as the head
_NO_BODY_STATUS = frozenset({204, 304})

Reader = typing.Union[
    "_cstream.ContentLengthReader", "_cstream.ChunkedReader", "_cstream.CloseDelimitedReader"
]


class ServerDisconnected(RemoteProtocolError):
    """The peer closed (or reset) the connection before sending any byte of a response.

    On a reused keep-alive connection this is the server having dropped an idle connection;
    the transport may then retry an idempotent request once (THREATS F10).
    """


class Head(typing.NamedTuple):
    """A parsed response head and how its body is to be read."""

    status_code: int
    headers: Headers
    http_version: bytes
    reason_phrase: bytes
    reader: Reader
    leftover: bytes
    keep_alive: bool


class Connection:
    """A socket to one origin (or a proxy), used for one exchange at a time.

    The socket is non-blocking: every read and write is tried first and waits (with
    `poll`, for at most the phase's timeout) only when the kernel has nothing to give or no
    room to take. Python's own socket timeouts poll before every call, which costs a system
    call per read on a stream and two per small request.
    """

    __slots__ = ("_waiter", "buffer", "closed", "idle_since", "key", "responses", "sock")

    def __init__(self, sock: socket.socket, key: typing.Hashable) -> None:
        sock.setblocking(False)
        self.sock = sock
        self.key = key
        self.buffer = bytearray(_FIRST_BUFFER)
        self.responses = 0  # responses completed on this connection (> 0: a reused one)
        self.idle_since = 0.0
        self.closed = False
        self._waiter = Waiter(sock)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            try:
                self.sock.close()
            except OSError:  # pragma: no cover - close() of a TCP socket does not fail
                pass

    def is_readable(self) -> bool:
        """Data, EOF or an error is pending (an idle connection must have none)."""
        return self._waiter.readable(0.0)

    # -- one exchange ---------------------------------------------------------------------

    def send_request(
        self,
        method: bytes,
        target: bytes,
        headers: list[tuple[bytes, bytes]],
        stream: SyncByteStream | None,
        write_timeout: float | None,
    ) -> h11.Connection:
        """Write a request (head and body); return the h11 state to read the response with.

        `stream` None means no body. An in-memory body (`ByteStream`) up to 64 KiB goes out
        in one write with the head.
        """
        state, head = start_request(method, target, headers)
        if stream is None or isinstance(stream, ByteStream):
            for data in in_memory_writes(state, head, stream):
                self._write(data, write_timeout)
            return state
        self._write(head, write_timeout)
        for piece in stream:
            if piece:
                self._write(encode_piece(state, piece), write_timeout)
        self._write(encode_end(state), write_timeout)
        return state

    def _write(self, data: bytes, timeout: float | None) -> None:
        sock = self.sock
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
        except (BrokenPipeError, ConnectionResetError) as exc:
            if self.responses:
                raise ServerDisconnected(str(exc)) from exc
            raise WriteError(str(exc)) from exc
        except OSError as exc:
            raise WriteError(str(exc)) from exc
        finally:
            view.release()

    def receive_head(
        self, state: h11.Connection, method: bytes, read_timeout: float | None
    ) -> Head:
        """Read the response head (after any 1xx responses) and choose the body reader."""
        buffer = self.buffer
        view = memoryview(buffer)
        parser = HeadParser(state, method)
        received = 0
        # The response is rarely there yet right after the request: on a plain socket, wait
        # first rather than pay for a read that would fail.
        waiter = None if isinstance(self.sock, ssl.SSLSocket) else self._waiter
        try:
            while (head := parser.next_head()) is None:
                if waiter is not None and not waiter.readable(read_timeout):
                    raise ReadTimeout("timed out")
                n = self._read(buffer, received, read_timeout)
                received += n
                if n == 0 and received == 0:
                    raise ServerDisconnected("Server disconnected without sending a response.")
                # h11 appends to its own bytearray: a memoryview slice saves a copy.
                state.receive_data(typing.cast(bytes, view[:n]) if n else b"")
        finally:
            view.release()
        return head

    def _read(self, buffer: bytearray, received: int, timeout: float | None) -> int:
        try:
            return self._recv_into(buffer, timeout)
        except ConnectionResetError as exc:
            if received == 0 and self.responses:
                # A reused connection the server dropped while it was idle.
                raise ServerDisconnected("Server disconnected without sending a response.") from exc
            raise ReadError(str(exc)) from exc

    def _recv_into(self, buffer: bytearray, timeout: float | None) -> int:
        """`recv_into` waiting at most `timeout` for data; `ReadTimeout`, `ReadError`."""
        sock = self.sock
        while True:
            try:
                return sock.recv_into(buffer)
            except (BlockingIOError, ssl.SSLWantReadError):
                if not self._waiter.readable(timeout):
                    raise ReadTimeout("timed out") from None
            except ssl.SSLWantWriteError:  # pragma: no cover - TLS renegotiation
                if not self._waiter.writable(timeout):
                    raise ReadTimeout("timed out") from None
            except ConnectionResetError:
                raise
            except OSError as exc:
                raise ReadError(str(exc)) from exc

    def read_body(
        self, reader: Reader, leftover: bytes, read_timeout: float | None
    ) -> typing.Generator[list[bytes], None, None]:
        """Yield the lists of body pieces `reader` produces, reading the socket until done.

        Raises `ReadTimeout`/`ReadError` for socket failures and `RemoteProtocolError` for
        framing errors and bodies cut short.
        """
        try:
            pieces = reader.feed(leftover) if leftover else None
            if pieces:
                yield pieces
            buffer = self.buffer
            size = len(buffer)
            view = memoryview(buffer)
            recv_into = self.sock.recv_into
            feed = reader.feed
            try:
                while not reader.done:
                    if pieces:
                        # A reader that found an error after some good pieces returned those
                        # and holds the error back: raise it now, before waiting for the
                        # socket (an empty feed costs nothing otherwise).
                        feed(b"")
                    try:
                        n = recv_into(buffer)
                    except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                        try:
                            n = self._recv_into(buffer, read_timeout)
                        except ConnectionResetError as exc:
                            raise ReadError(str(exc)) from exc
                    except OSError as exc:
                        raise ReadError(str(exc)) from exc
                    if n == 0:
                        reader.feed_eof()
                        break
                    pieces = feed(view[:n])
                    if n == size and size < _MAX_BUFFER:
                        # Reads keep filling the buffer: a large body; read more per call.
                        view.release()
                        size *= 2
                        buffer = self.buffer = bytearray(size)
                        view = memoryview(buffer)
                    if pieces:
                        yield pieces
            finally:
                view.release()
        except _cstream.FramingError as exc:
            raise RemoteProtocolError(str(exc)) from exc


if hasattr(select, "poll"):

    class Waiter:
        """Waits for a socket to become readable or writable (`poll`, one object per socket)."""

        __slots__ = ("_reading", "_sock", "_writing")

        def __init__(self, sock: socket.socket) -> None:
            self._sock = sock
            self._reading = select.poll()
            self._reading.register(sock, select.POLLIN | select.POLLPRI)
            self._writing: typing.Any = None

        def readable(self, timeout: float | None) -> bool:
            sock = self._sock
            if isinstance(sock, ssl.SSLSocket) and sock.pending():
                return True
            return bool(self._reading.poll(_milliseconds(timeout)))

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


def _milliseconds(timeout: float | None) -> int | None:
    """`poll`'s timeout: None waits forever; a positive timeout is never rounded to 0."""
    if timeout is None:
        return None
    return max(0, math.ceil(timeout * 1000))


# -- sans-I/O steps, shared with the asyncio connection ------------------------------------


def start_request(
    method: bytes, target: bytes, headers: list[tuple[bytes, bytes]]
) -> tuple[h11.Connection, bytes]:
    """A fresh h11 state for one exchange and the serialised request head.

    h11 validates the method, target and header names and values: `LocalProtocolError`
    before anything is written.
    """
    state = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD_SIZE)
    try:
        head = state.send(h11.Request(method=method, target=target, headers=headers))
    except h11.LocalProtocolError as exc:
        raise LocalProtocolError(str(exc)) from exc
    assert head is not None
    return state, head


def in_memory_writes(state: h11.Connection, head: bytes, stream: ByteStream | None) -> list[bytes]:
    """The writes for a request with an in-memory body (or none): head and body in one write
    when the body is at most 64 KiB, else head, body and end separately."""
    body = b"".join(stream) if stream is not None else b""
    if not body and _empty_framing(head):
        # No body, none declared: h11's end of message would be b"" (its client side is left
        # in SEND_BODY, which does not stop it from parsing the response).
        return [head]
    data = encode_piece(state, body) if body else b""
    end = encode_end(state)
    if len(body) <= _SMALL_BODY:
        return [b"".join((head, data, end))]
    return [head, data, end]


def _empty_framing(head: bytes) -> bool:
    """The serialised head declares no body: no Transfer-Encoding, Content-Length 0 or none."""
    lower = head.lower()
    if b"\r\ntransfer-encoding:" in lower:
        return False
    start = lower.find(b"\r\ncontent-length:")
    if start < 0:
        return True
    start += len(b"\r\ncontent-length:")
    return lower[start : lower.find(b"\r\n", start)].strip() == b"0"


def encode_piece(state: h11.Connection, piece: bytes) -> bytes:
    """The wire bytes of one piece of a request body (chunk framing when chunked)."""
    try:
        return state.send(h11.Data(data=piece)) or b""
    except h11.LocalProtocolError as exc:
        raise LocalProtocolError(str(exc)) from exc


def encode_end(state: h11.Connection) -> bytes:
    """The wire bytes ending a request body (the last chunk when chunked)."""
    try:
        return state.send(h11.EndOfMessage()) or b""
    except h11.LocalProtocolError as exc:
        raise LocalProtocolError(str(exc)) from exc


class HeadParser:
    """Turns the bytes fed to an h11 state (`state.receive_data`, b"" for EOF) into a `Head`.

    `next_head()` returns None while more bytes are needed. It skips at most
    `MAX_INFORMATIONAL` 1xx responses and raises `RemoteProtocolError` for a malformed or
    oversized head.
    """

    __slots__ = ("informational", "method", "state")

    def __init__(self, state: h11.Connection, method: bytes) -> None:
        self.state = state
        self.method = method
        self.informational = 0

    def next_head(self) -> Head | None:
        state = self.state
        try:
            while True:
                event = state.next_event()
                if event is h11.NEED_DATA:
                    return None
                if isinstance(event, h11.InformationalResponse):
                    self.informational += 1
                    if self.informational > MAX_INFORMATIONAL:
                        raise RemoteProtocolError(
                            f"Too many informational (1xx) responses: more than {MAX_INFORMATIONAL}"
                        )
                elif isinstance(event, h11.Response):
                    return _make_head(event, self.method, state.trailing_data[0])
                else:  # pragma: no cover - h11 gives nothing else before the head
                    raise RemoteProtocolError(f"Unexpected event from the server: {event!r}")
        except h11.RemoteProtocolError as exc:
            raise RemoteProtocolError(str(exc)) from exc


def _make_head(event: h11.Response, method: bytes, leftover: bytes) -> Head:
    status = event.status_code
    fields = event.headers
    if len(fields) > MAX_HEADERS:
        raise RemoteProtocolError(f"Too many response headers: {len(fields)} > {MAX_HEADERS}")
    keep_alive = event.http_version == b"1.1"
    content_length: bytes | None = None
    chunked = False
    for name, value in fields:
        if name == b"content-length":
            content_length = value
        elif name == b"transfer-encoding":
            chunked = True  # h11 accepts nothing but "chunked"
        elif name == b"connection" and b"close" in value.lower():
            keep_alive = keep_alive and not _has_token(value, b"close")
    reader: Reader
    if method == b"HEAD" or status < 200 or status in _NO_BODY_STATUS:
        reader = _cstream.ContentLengthReader(0)
    elif method == b"CONNECT" and status < 300:
        reader = _cstream.ContentLengthReader(0)
    elif chunked:
        reader = _cstream.ChunkedReader()
        if content_length is not None:
            # TE and CL together: chunked framing, never pooled (THREATS T8).
            keep_alive = False
    elif content_length is not None:
        reader = _cstream.ContentLengthReader(int(content_length))
    else:
        reader = _cstream.CloseDelimitedReader()
        keep_alive = False
    return Head(
        status,
        Headers._from_wire(fields.raw_items()),
        b"HTTP/" + event.http_version,
        event.reason,
        reader,
        leftover,
        keep_alive,
    )


def _has_token(value: bytes, token: bytes) -> bool:
    return any(part.strip().lower() == token for part in value.split(b","))
