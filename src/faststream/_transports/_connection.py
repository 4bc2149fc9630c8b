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
   pieces out of it (one copy per byte). The buffer starts at 64 KiB and doubles up to 1 MiB
   while reads keep filling it, so small responses never pay for a large buffer.
3. The connection may be reused only when h11 would keep it alive (HTTP/1.1, no
   `Connection: close` either way), the body was read to its end, and the reader saw nothing
   suspicious (surplus bytes after the message, a chunk extension, trailers; TE together with
   CL). Anything else closes it (THREATS section 4).
"""

from __future__ import annotations

import socket
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
    """A socket to one origin (or a proxy), used for one exchange at a time."""

    __slots__ = ("buffer", "closed", "idle_since", "key", "responses", "sock")

    def __init__(self, sock: socket.socket, key: typing.Hashable) -> None:
        self.sock = sock
        self.key = key
        self.buffer = bytearray(_FIRST_BUFFER)
        self.responses = 0  # responses completed on this connection (> 0: a reused one)
        self.idle_since = 0.0
        self.closed = False

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            try:
                self.sock.close()
            except OSError:  # pragma: no cover - close() of a TCP socket does not fail
                pass

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
        self.sock.settimeout(write_timeout)
        if stream is None or isinstance(stream, ByteStream):
            # In memory: one write for head and body when it is small.
            for data in in_memory_writes(state, head, stream):
                self._write(data)
            return state
        self._write(head)
        for piece in stream:
            if piece:
                self._write(encode_piece(state, piece))
        self._write(encode_end(state))
        return state

    def _write(self, data: bytes) -> None:
        if not data:
            return
        try:
            self.sock.sendall(data)
        except TimeoutError as exc:
            raise WriteTimeout(str(exc) or "timed out") from exc
        except (BrokenPipeError, ConnectionResetError) as exc:
            if self.responses:
                raise ServerDisconnected(str(exc)) from exc
            raise WriteError(str(exc)) from exc
        except OSError as exc:
            raise WriteError(str(exc)) from exc

    def receive_head(
        self, state: h11.Connection, method: bytes, read_timeout: float | None
    ) -> Head:
        """Read the response head (after any 1xx responses) and choose the body reader."""
        sock = self.sock
        sock.settimeout(read_timeout)
        buffer = self.buffer
        view = memoryview(buffer)
        parser = HeadParser(state, method)
        received = 0
        try:
            while (head := parser.next_head()) is None:
                n = self._read(sock, buffer, received)
                received += n
                if n == 0 and received == 0:
                    raise ServerDisconnected("Server disconnected without sending a response.")
                # h11 appends to its own bytearray: a memoryview slice saves a copy.
                state.receive_data(typing.cast(bytes, view[:n]) if n else b"")
        finally:
            view.release()
        return head

    def _read(self, sock: socket.socket, buffer: bytearray, received: int) -> int:
        try:
            return sock.recv_into(buffer)
        except TimeoutError as exc:
            raise ReadTimeout(str(exc) or "timed out") from exc
        except ConnectionResetError as exc:
            if received == 0 and self.responses:
                # A reused connection the server dropped while it was idle.
                raise ServerDisconnected("Server disconnected without sending a response.") from exc
            raise ReadError(str(exc)) from exc
        except OSError as exc:
            raise ReadError(str(exc)) from exc

    def read_body(
        self, reader: Reader, leftover: bytes
    ) -> typing.Generator[list[bytes], None, None]:
        """Yield the lists of body pieces `reader` produces, reading the socket until done.

        Raises `ReadTimeout`/`ReadError` for socket failures and `RemoteProtocolError` for
        framing errors and bodies cut short.
        """
        try:
            pieces = reader.feed(leftover) if leftover else None
            if pieces:
                yield pieces
            sock = self.sock
            buffer = self.buffer
            size = len(buffer)
            view = memoryview(buffer)
            recv_into = sock.recv_into
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
                    except TimeoutError as exc:
                        raise ReadTimeout(str(exc) or "timed out") from exc
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
    data = encode_piece(state, body) if body else b""
    end = encode_end(state)
    if len(body) <= _SMALL_BODY:
        return [b"".join((head, data, end))]
    return [head, data, end]


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
