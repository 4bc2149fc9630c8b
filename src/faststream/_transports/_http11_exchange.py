"""One HTTP/1.1 exchange, sans-I/O: what to send, what the response head and body mean, and
what they decide for the connection. The network backends (plain sockets, asyncio, trio) only
move bytes between a socket and the objects here.

1. `request_writes` serialises the request head with `_cstream.serialize_request` (h11's
   checks on method, target, names and values: `LocalProtocolError` before anything is
   written; a transport's `KeptFields` are encoded once); `RequestBody` frames the body as
   the head declares it (Content-Length counted down exactly, or chunked), with
   `in_memory_writes` for a body already in memory.
2. `HeadParser` turns response bytes into a `Head` (`_cstream.ResponseHeadParser`, h11's
   strictness), skipping at most `MAX_INFORMATIONAL` 1xx responses; a head holds at most
   `MAX_HEADERS` fields (the transport's `max_header_fields`) and `MAX_HEAD_SIZE` bytes.
   `make_head` picks the body framing as h11
   would: none for HEAD, CONNECT 2xx, 204 and 304; chunked when Transfer-Encoding is set (and
   then never pooled when a Content-Length came too); else Content-Length; else until the
   peer closes (never pooled).
3. The `Head` (also named `Body` in that role, after `Head.start`) feeds the bytes after the
   head to the chosen `_cstream` reader. A framing error
   found after some good pieces is held back in `Body.error` and raised by the backend after
   those pieces, so what is delivered never depends on how the bytes were split.
4. `Body.reusable()`: the connection may carry another exchange only when both sides allow
   keep-alive (HTTP/1.1, no `Connection: close`), the body was read to its end with no error,
   and the reader saw nothing suspicious: bytes after the end of the message, a chunk
   extension or trailers. Anything else closes it, so a reply that overran its framing can
   never be read as the answer to the next request.
"""

from __future__ import annotations

import typing

import _cstream

from .._exceptions import LocalProtocolError, RemoteProtocolError
from .._headers import Headers
from .._streams import ByteStream

__all__ = [
    "FIRST_BUFFER",
    "MAX_BUFFER",
    "MAX_HEADERS",
    "MAX_HEAD_SIZE",
    "MAX_INFORMATIONAL",
    "Body",
    "ExchangeState",
    "Head",
    "HeadParser",
    "KEPT_FIELDS_SIZE",
    "KeptFields",
    "RequestBody",
    "ServerDisconnected",
    "Fields",
    "asks_close",
    "encode_end",
    "encode_piece",
    "in_memory_writes",
    "make_head",
    "replayable",
    "request_writes",
]

MAX_HEADERS = 100
MAX_INFORMATIONAL = 100
MAX_HEAD_SIZE = 100 * 1024  # the largest incomplete response head kept before refusing it
FIRST_BUFFER = 64 * 1024  # the first read of a response; reads double while they come full
MAX_BUFFER = 512 * 1024  # ... up to this
RAW_READ = 4096  # one read of a proxy handshake: its messages are a few hundred bytes at most
SMALL_BODY = 64 * 1024  # request bodies up to this size go out in the same write as the head
DISCONNECTED = "Server disconnected without sending a response."
Fields: typing.TypeAlias = list[tuple[bytes, bytes]]  # request head fields, raw
_NO_BODY_STATUS = frozenset({204, 304})
_IDEMPOTENT = frozenset({b"GET", b"HEAD", b"OPTIONS", b"TRACE", b"PUT", b"DELETE"})

# What `_cstream.ResponseHeadParser.next_head` returns: status, version, reason,
# [(raw name, lowercased name, value)], content length, chunked, Connection lists close, marks.
_Parsed = tuple[int, bytes, bytes, list[tuple[bytes, bytes, bytes]], "int | None", bool, bool, int]

Reader = typing.Union[
    "_cstream.ContentLengthReader", "_cstream.ChunkedReader", "_cstream.CloseDelimitedReader"
]


class ServerDisconnected(RemoteProtocolError):
    """The peer closed (or reset) the connection before sending any byte of a response.

    On a reused keep-alive connection this is the server having dropped an idle connection;
    the transport may then send an idempotent request once more on a new connection.
    """


# -- the request ----------------------------------------------------------------------------


class RequestBody:
    """The framing of the request body being written (h11's rules): a Content-Length to
    count down (0 when the head declares no body), or chunked."""

    __slots__ = ("chunked", "remaining")

    def __init__(self, framing: int) -> None:
        self.chunked = framing < 0
        self.remaining = max(framing, 0)


# Request head fields a transport keeps (`TransportSettings.route`): a client sends the same
# fields with every plain request (its defaults and the URL's Host), so they are validated and
# encoded once, and a head is then the request line joined to those bytes. The head is a pure
# function of method, target and fields, and the fields' bytes do not depend on the other two,
# so a kept encoding is byte for byte what serialising again would give.
KEPT_FIELDS_SIZE = 4096  # fields whose names and values are longer are not kept


class KeptFields(list[tuple[bytes, bytes]]):
    """Request head fields (`(name, value)` pairs) that a transport hands to every request
    with these fields; the pairs never change after `kept()`. `encoded` is the fields' part of
    a head serialised from them (None until one was), `framing` its body framing, `close`
    whether they ask to close the connection."""

    __slots__ = ("close", "encoded", "framing")
    close: bool
    encoded: bytes | None
    framing: int

    @classmethod
    def kept(cls, fields: Fields) -> KeptFields:
        """`fields`, to be kept (nothing serialised yet)."""
        kept = cls(fields)
        kept.close = _asks_close(fields)
        kept.framing = 0
        kept.encoded = None
        return kept


# What a method (a token) and a request target (visible ASCII) may hold, as h11 requires:
# deleting these from a valid one leaves nothing.
_TOKEN_BYTES = b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_TARGET_BYTES = bytes(range(0x21, 0x7F))


def request_writes(
    method: bytes, target: bytes, headers: Fields, stream: object
) -> tuple[list[bytes], RequestBody | None]:
    """The writes that send a request: its head, with the body when that is in memory (or
    there is none); and the framing of a body still to be streamed from `stream` (None when
    the writes carry all of it)."""
    if (
        type(headers) is KeptFields
        and headers.encoded is not None
        and method
        and target
        and not method.translate(None, _TOKEN_BYTES)
        and not target.translate(None, _TARGET_BYTES)
    ):
        framing = headers.framing
        head = b"".join((method, b" ", target, b" HTTP/1.1\r\n", headers.encoded))
    else:
        try:
            # A plain list: the compiled serializer takes no subclass.
            head, framing = _cstream.serialize_request(method, target, list(headers))
        except _cstream.HeadError as exc:
            raise LocalProtocolError(str(exc)) from None
        if type(headers) is KeptFields:
            headers.framing = framing  # before `encoded`, which says both are there
            headers.encoded = head[len(method) + len(target) + 12 :]  # after the request line
    if framing == 0 and (stream is None or (type(stream) is ByteStream and not stream._stream)):
        return [head], None  # no body: the common GET, with nothing more to frame
    body = RequestBody(framing)
    if stream is None or isinstance(stream, ByteStream):
        return in_memory_writes(body, head, stream), None
    return [head], body


def in_memory_writes(body: RequestBody, head: bytes, stream: ByteStream | None) -> list[bytes]:
    """The writes for a request with an in-memory body (or none): head and body in one write
    when the body is at most `SMALL_BODY` bytes, else head, body and end separately."""
    if stream is None:
        data = b""
    elif type(stream) is ByteStream:
        data = stream._stream  # its one bytes value, without a generator
    else:
        data = b"".join(stream)
    if data:
        data = encode_piece(body, data)
    end = encode_end(body)
    if len(data) <= SMALL_BODY:
        return [b"".join((head, data, end))] if data or end else [head]
    return [head, data, end] if end else [head, data]


def encode_piece(body: RequestBody, piece: bytes) -> bytes:
    """The wire bytes of one piece of a request body (chunk framing when chunked)."""
    size = len(piece)
    if body.chunked:
        return b"%x\r\n%b\r\n" % (size, piece) if size else b""
    if size > body.remaining:
        raise LocalProtocolError("Too much data for declared Content-Length")
    body.remaining -= size
    return piece


def encode_end(body: RequestBody) -> bytes:
    """The wire bytes ending a request body (the last chunk when chunked)."""
    if body.chunked:
        return b"0\r\n\r\n"
    if body.remaining:
        raise LocalProtocolError("Too little data for declared Content-Length")
    return b""


def asks_close(headers: Fields) -> bool:
    """The request's `Connection` header has the `close` token (h11's keep-alive rule)."""
    if type(headers) is KeptFields:
        return headers.close
    return _asks_close(headers)


def _asks_close(headers: Fields) -> bool:
    for name, value in headers:
        if len(name) == 10 and name.lower() == b"connection" and b"close" in value.lower():
            if any(token.strip() == b"close" for token in value.lower().split(b",")):
                return True
    return False


def replayable(method: bytes, stream: object) -> bool:
    """An idempotent request whose body is in memory may be sent again."""
    return method in _IDEMPOTENT and isinstance(stream, ByteStream)


# -- the response ---------------------------------------------------------------------------


class HeadParser:
    """Turns the response bytes fed to it (`feed`, `feed_eof`) into a `Head`.

    `next_head()` returns None while more bytes are needed; it raises `RemoteProtocolError`
    for a malformed or oversized head, or after more than `MAX_INFORMATIONAL` 1xx responses.
    A backend that reads on demand hands each read to `received(data)` instead.
    """

    __slots__ = (
        "feed",
        "feed_eof",
        "informational",
        "lengths",
        "max_fields",
        "method",
        "parser",
        "size",
    )

    def __init__(self, method: bytes, max_fields: int = MAX_HEADERS) -> None:
        self.method = method
        self.max_fields = max_fields
        self.informational = 0
        self.size = 0  # bytes received through `received`
        self.parser = parser = _cstream.ResponseHeadParser(MAX_HEAD_SIZE)
        self.feed = parser.feed
        self.feed_eof = parser.feed_eof
        # The Content-Length reader of every response this parser reads (`make_head`): the
        # connection reads one response at a time and the transport drops a response's
        # `Head` (the reader's other holder) before the next request, so resetting it per
        # response is safe, and a response allocates no reader and buffers of its own.
        self.lengths = _cstream.ContentLengthReader(0)

    def reset(self, method: bytes) -> None:
        """Ready for the response to the next request on the connection (`method`): a
        connection keeps one parser rather than building one, and its bound methods, per
        request."""
        self.method = method
        self.informational = 0
        self.size = 0
        self.parser.reset()

    def received(self, data: bytes | bytearray | memoryview) -> Head | None:
        """One read (empty: the peer closed): the head once it is complete, else None.
        Closed before any byte: `ServerDisconnected`."""
        if data:
            self.size += len(data)
            self.feed(data)
        elif self.size:
            self.feed_eof()
        else:
            raise ServerDisconnected(DISCONNECTED)
        return self.next_head()

    def next_head(self) -> Head | None:
        parser = self.parser
        try:
            while True:
                parsed = parser.next_head()
                if parsed is None:
                    return None
                if parsed[0] >= 200:
                    return make_head(
                        parsed, self.method, parser.rest(), self.max_fields, self.lengths
                    )
                self.informational += 1
                if self.informational > MAX_INFORMATIONAL:
                    raise RemoteProtocolError(
                        f"Too many informational (1xx) responses: more than {MAX_INFORMATIONAL}"
                    )
        except _cstream.HeadError as exc:
            raise RemoteProtocolError(str(exc)) from None


def make_head(
    parsed: _Parsed,
    method: bytes,
    leftover: bytes,
    max_fields: int = MAX_HEADERS,
    lengths: _cstream.ContentLengthReader | None = None,
) -> Head:
    """The `Head` of a final response, with the body reader its framing calls for; more than
    `max_fields` header fields: `RemoteProtocolError`. A Content-Length (or empty) body is
    read by `lengths`, reset, when one is given (the reader its previous response used)."""
    status, version, reason, fields, content_length, chunked, close, marks = parsed
    if len(fields) > max_fields:
        raise RemoteProtocolError(f"Too many response headers: {len(fields)} > {max_fields}")
    keep_alive = version == b"1.1" and not close
    reader: Reader
    length = None  # a Content-Length framing of this many bytes
    if method == b"HEAD" or status in _NO_BODY_STATUS:
        length = 0
    elif method == b"CONNECT" and status < 300:
        length = 0
    elif chunked:
        reader = _cstream.ChunkedReader()
        if content_length is not None:
            # Transfer-Encoding and Content-Length together: chunked framing, and the
            # connection is closed afterwards (the two could be read differently upstream).
            keep_alive = False
    elif content_length is not None:
        length = content_length
    else:
        reader = _cstream.CloseDelimitedReader()
        keep_alive = False
    if length is not None:
        if lengths is None:
            reader = _cstream.ContentLengthReader(length)
        else:
            lengths.reset(length)
            reader = lengths
    return Head(
        status,
        Headers._from_parsed(fields, marks),
        b"HTTP/" + version,
        reason,
        reader,
        leftover,
        keep_alive,
    )


class Head:
    """A final response head, and then the state of its body as it is read: one object per
    response for both (a connection holds it as its `body` until the exchange ends).

    The head: `status_code`, `headers`, `http_version`, `reason_phrase`; `reader` is the
    `_cstream` framing reader its framing calls for, `leftover` the bytes that came after the
    head, `keep_alive` whether the response allows another exchange on the connection.

    The body, once `start(close_requested)` was called: `feed(data)` returns the body pieces
    `data` completes; a framing error raises `RemoteProtocolError` at once, unless pieces came
    before it in the same data: then they are returned and the error waits in `error`, for the
    backend to raise once it has handed them on. `feed_eof()` is the peer closing. `done`: the
    body is complete.

    A backend that reads on demand asks `pending()` first and then feeds each read to
    `received(data)`; `read_size` is how much to ask the socket for next (it doubles, up to
    `MAX_BUFFER`, while reads come back full).
    """

    __slots__ = (
        "error",
        "headers",
        "http_version",
        "keep_alive",
        "leftover",
        "read_size",
        "reader",
        "reason_phrase",
        "status_code",
    )

    def __init__(
        self,
        status_code: int,
        headers: Headers,
        http_version: bytes,
        reason_phrase: bytes,
        reader: Reader,
        leftover: bytes,
        keep_alive: bool,
    ) -> None:
        self.status_code = status_code
        self.headers = headers
        self.http_version = http_version
        self.reason_phrase = reason_phrase
        self.reader = reader
        self.leftover = leftover
        self.keep_alive = keep_alive
        self.error: RemoteProtocolError | None = None
        self.read_size = FIRST_BUFFER

    def start(self, close_requested: bool) -> Head:
        """The body is to be read (itself, returned): the connection is kept after it only
        when the request did not ask to close it either."""
        if close_requested:
            self.keep_alive = False
        return self

    @property
    def done(self) -> bool:
        return self.reader.done

    def feed(self, data: bytes | bytearray | memoryview) -> list[bytes]:
        reader = self.reader
        try:
            pieces = reader.feed(data)
        except _cstream.FramingError as exc:
            raise RemoteProtocolError(str(exc)) from None
        held = reader.error
        if held is not None:
            self.error = RemoteProtocolError(held)
        return pieces

    def feed_eof(self) -> None:
        try:
            self.reader.feed_eof()
        except _cstream.FramingError as exc:
            raise RemoteProtocolError(str(exc)) from None

    def pending(self) -> list[bytes] | None:
        """Before reading: raise a held-back error; hand on what the bytes that came with the
        head complete; an empty list once the body is complete; None: read the socket.

        Bytes after the end of a body-less response are surplus: feeding them marks the
        connection unfit to pool.
        """
        if self.error is not None:
            raise self.error
        reader = self.reader
        leftover = self.leftover
        if leftover:
            self.leftover = b""
            try:  # `feed`, inlined: this runs once per response
                pieces = reader.feed(leftover)
            except _cstream.FramingError as exc:
                raise RemoteProtocolError(str(exc)) from None
            if reader.error is not None:
                self.error = RemoteProtocolError(reader.error)
            if pieces or reader.done:
                return pieces
        return [] if reader.done else None

    def received(self, data: bytes | bytearray | memoryview) -> list[bytes] | None:
        """One read from the socket (empty: the peer closed): the pieces to hand on, an empty
        list once the body is complete, or None: read again."""
        size = len(data)
        if not size:
            self.feed_eof()
            return []
        pieces = self.feed(data)
        if size == self.read_size and size < MAX_BUFFER:
            self.read_size = 2 * size  # reads keep coming full: a large body
        if pieces or self.reader.done:
            return pieces
        return None

    def received_data(self, data: bytes) -> list[bytes]:
        """One read of a chunk's data received outside the reader (empty: the peer closed,
        which cuts the body short and raises): the piece to hand on, `data` itself."""
        if not data:
            self.feed_eof()
            return []
        size = len(data)
        self.reader.advance(size)
        if size == self.read_size and size < MAX_BUFFER:
            self.read_size = 2 * size  # reads keep coming full: a large chunk
        return [data]

    def unfit(self) -> None:
        """The backend saw the connection become unfit for another exchange (bytes after the
        end of the message, the peer closing it)."""
        self.keep_alive = False

    def reusable(self) -> bool:
        """After the body was read to its end: may the connection carry another exchange?"""
        reader = self.reader
        return self.keep_alive and reader.done and not reader.suspicious and self.error is None


#: The body being read is its head's object (`Head.start`); the name says which role is meant.
Body: typing.TypeAlias = Head


class ExchangeState:
    """What the connection of every backend keeps across its exchanges: its pool key, the
    responses completed on it (> 0: a reused one), when it last went idle, whether it is
    closed, whether the current request asked to close, the current response's `Body`, the
    cap on a response head's fields and its head parser."""

    __slots__ = (
        "body",
        "close_requested",
        "closed",
        "idle_since",
        "key",
        "max_header_fields",
        "parser",
        "responses",
    )

    key: typing.Hashable
    responses: int
    idle_since: float
    closed: bool
    close_requested: bool
    body: Body | None
    max_header_fields: int
    parser: HeadParser | None

    def _start_state(self, key: typing.Hashable) -> None:
        self.key = key
        self.responses = 0
        self.idle_since = 0.0
        self.closed = False
        self.close_requested = False
        self.body = None
        self.max_header_fields = MAX_HEADERS
        self.parser = None

    def _head_parser(self, method: bytes) -> HeadParser:
        """The connection's head parser, ready for the response to `method`: made on the first
        exchange and reset for each later one, so that a request allocates no parser (a
        compiled one, its wrapper and two bound methods) of its own. Only one exchange runs
        on a connection at a time, so nothing else reads it meanwhile."""
        parser = self.parser
        if parser is None:
            parser = self.parser = HeadParser(method, self.max_header_fields)
        else:
            parser.reset(method)
        return parser
