"""One HTTP/2 connection, sans-I/O: requests in, bytes to send out; bytes received in,
per-stream results out. The network backends only move bytes between a socket and an
`H2Exchange`; the connection shell above them decides who reads and who waits.

Streams are this module's; h2 keeps only the connection level: the preface, SETTINGS both ways
(and the values read from the server's: frame size, initial window, header table size, stream
limit), PING, GOAWAY, the connection's send window and unknown frames. What it adds, and the
bounds that keep a hostile server from costing more than a fixed amount:

1. Streams: requests are framed here (HEADERS/CONTINUATION by the compiled HPACK encoder, DATA
   within the server's frame size and the stream's and connection's send windows,
   RST_STREAM), and every received frame on a non-zero stream is handled here: heads, 1xx
   heads and trailers, RST_STREAM, WINDOW_UPDATE, PRIORITY, DATA that the splitter did not
   take, PUSH_PROMISE (push is off: a connection error), frames on idle streams. Bytes h2
   queues and bytes framed here go out in the order they were produced.
2. Header lists: HPACK decoding stops at `MAX_HEADER_LIST_SIZE` decoded bytes and a header
   block at `MAX_CONTINUATIONS` CONTINUATION frames and `MAX_BLOCK` bytes, so a compression
   bomb or an endless CONTINUATION run costs at most a bounded buffer; a response head or
   trailer with more than `max_fields` fields fails that stream, as HTTP/1.1 refuses it.
   Every received field is checked (RFC 9113 8.2, `_h2_heads`): uppercase names,
   connection-specific fields, a pseudo-header after a regular one, forbidden characters,
   Content-Length. Any of these is a connection error (`RemoteProtocolError`), as h2 made it.
3. Flow control is backpressure: a stream's receive window (`STREAM_WINDOW`) is handed back to
   the server only as the stream's consumer takes its pieces (`take`), so a stalled consumer
   holds the server back and buffers at most one window. The connection window is opened
   wide at once: it must not let one stalled stream starve the others, and the per-stream
   windows already bound what is buffered. DATA beyond a window is FLOW_CONTROL_ERROR.
4. DATA frames of a stream whose response head has arrived are taken by
   `_cstream.H2FrameSplitter`, which walks every read by frame headers and keeps those
   streams' receive windows itself; every other frame comes here in order, before the next
   DATA frame is looked at.
5. Control-frame floods: PING and SETTINGS are answered (by h2) while they come with real
   work; more than `MAX_CONTROL_FRAMES` in a row with no HEADERS or DATA between them ends
   the connection, so the answers a peer can extract are bounded by the work it sends.
6. Errors land where they belong: a stream reset by the server fails that stream only; a
   connection-level protocol error fails every open stream and leaves a GOAWAY to send.
   Streams the server never processed (above a GOAWAY's last-stream-id, or refused with
   REFUSED_STREAM) fail with `StreamRefused`, which the pool may retry on a new connection.
"""

from __future__ import annotations

import re
import typing

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import h2.settings
import hpack

import _cstream
from _cstream._errors import (
    H2_BAD_PADDING,
    H2_NO_PAD_LENGTH,
    HPACK_LIST_TOO_LARGE,
    H2FrameError,
    HpackError,
)

from .._exceptions import LocalProtocolError, RemoteProtocolError
from .._headers import Headers
from ._h2_heads import MalformedHead, response_fields
from ._http11_exchange import KeptFields

if typing.TYPE_CHECKING:
    from typing_extensions import Buffer

__all__ = [
    "CONNECTION_WINDOW",
    "MAX_BLOCK",
    "MAX_CONTINUATIONS",
    "MAX_CONTROL_FRAMES",
    "MAX_FRAME_SIZE",
    "MAX_HEADER_LIST_SIZE",
    "STREAM_WINDOW",
    "H2Exchange",
    "H2Stream",
    "StreamRefused",
]

MAX_HEADER_LIST_SIZE = 100 * 1024  # decoded size of one header block, as HTTP/1.1's head cap
STREAM_WINDOW = 1024 * 1024  # a stream's receive window: the most buffered for one stream
# The largest frame we accept (RFC 9113 allows 16 KiB to 16 MiB). A server that sends frames
# this large costs a sixteenth per byte of what 16 KiB frames do; a frame is buffered whole, a
# quarter of one stream's window at most.
MAX_FRAME_SIZE = 256 * 1024
CONNECTION_WINDOW = 2**31 - 1  # the largest window RFC 9113 allows
MAX_CONTROL_FRAMES = 1000  # PING/SETTINGS/PRIORITY frames in a row with no HEADERS or DATA
MAX_INFORMATIONAL = 100  # 1xx heads on one stream, as HTTP/1.1 allows
MAX_HEADERS = 100
# A header block's CONTINUATION frames and encoded bytes: an encoded block longer than twice
# the decoded cap is padding (table size updates), never a real head.
MAX_CONTINUATIONS = 64
MAX_BLOCK = 2 * MAX_HEADER_LIST_SIZE
_DEFAULT_WINDOW = 65535  # every window's size before SETTINGS or WINDOW_UPDATE changes it
_LARGEST_WINDOW = 2**31 - 1
_LAST_STREAM_ID = 2**31 - 1

# Frame types and flags (RFC 9113 6).
_DATA, _HEADERS, _PRIORITY, _RST_STREAM, _PUSH_PROMISE, _WINDOW_UPDATE, _CONTINUATION = (
    0, 1, 2, 3, 5, 8, 9,
)  # fmt: skip
_END_STREAM, _END_HEADERS, _PADDED, _PRIORITY_FLAG = 0x1, 0x4, 0x8, 0x20
# Frame types handled here when on a non-zero stream; any other type goes to h2, which
# refuses the connection-level ones on a stream and ignores unknown ones.
_STREAM_FRAMES = frozenset(
    {_DATA, _HEADERS, _PRIORITY, _RST_STREAM, _PUSH_PROMISE, _WINDOW_UPDATE, _CONTINUATION}
)
_PROTOCOL_ERROR, _FLOW_CONTROL_ERROR, _STREAM_CLOSED, _FRAME_SIZE_ERROR = 1, 3, 5, 6
_REFUSED_STREAM, _CANCEL, _ENHANCE_YOUR_CALM = 7, 8, 11

# Request fields that are about the HTTP/1.1 connection and have no meaning in HTTP/2
# (RFC 9113 8.2.2); `host` becomes `:authority`.
_NOT_FORWARDED = frozenset(
    {b"host", b"connection", b"keep-alive", b"proxy-connection", b"transfer-encoding", b"upgrade"}
)


# h11's rules for request fields, as the HTTP/1.1 path applies them: a token for a name, no
# control character but tab in a value.
_TOKEN = re.compile(rb"[-!#$%&'*+.^_`|~0-9a-zA-Z]+")
_BAD_VALUE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_KEPT = 32  # kept field lists' normalizations per connection


def _request_fields(
    headers: list[tuple[bytes, bytes]],
) -> tuple[bytes | None, list[tuple[bytes, bytes]]]:
    """The last `Host` value (None without one) and the regular fields as sent: names
    lower-cased, values without surrounding whitespace, HTTP/1.1 connection fields and TE
    other than "trailers" left out. An illegal name or value is `LocalProtocolError`.
    (Credentials and short cookies stay out of HPACK's tables: the codec keeps them out.)"""
    host = None
    fields: list[tuple[bytes, bytes]] = []
    for name, value in headers:
        if _TOKEN.fullmatch(name) is None or _BAD_VALUE.search(value) is not None:
            raise LocalProtocolError(f"Illegal header field: {name!r}: {value!r}")
        lowered = name.lower()
        if lowered in _NOT_FORWARDED:
            if lowered == b"host":
                host = value
            continue
        if lowered == b"te" and value.lower() != b"trailers":
            continue  # only "trailers" may be sent in HTTP/2
        fields.append((lowered, value.strip()))  # only spaces and tabs can be around it
    return host, fields


def _frame(kind: int, flags: int, stream_id: int, payload: bytes | memoryview) -> bytes:
    return b"".join(
        (
            len(payload).to_bytes(3, "big"),
            bytes((kind, flags)),
            stream_id.to_bytes(4, "big"),
            payload,
        )
    )


class StreamRefused(RemoteProtocolError):
    """The server did not process this stream (GOAWAY below its id, or REFUSED_STREAM): the
    request may be sent again on another connection."""


_LIST_TOO_LARGE = HPACK_LIST_TOO_LARGE.partition("{")[0]


class _HeadEncoder:
    """The compiled HPACK encoder as h2 sees it: h2 sets `header_table_size` from the server's
    SETTINGS; the exchange encodes every head with the same codec. Which fields stay out of
    the tables (credentials, short cookies) the codec decides from their names and values."""

    __slots__ = ("codec",)

    def __init__(self) -> None:
        self.codec = _cstream.HpackEncoder()

    @property
    def header_table_size(self) -> int:
        return self.codec.header_table_size

    @header_table_size.setter
    def header_table_size(self, value: int) -> None:
        self.codec.header_table_size = value

    def encode(self, headers: typing.Any, huffman: bool = True) -> bytes:
        return self.codec.encode(headers)


class _Connection(h2.connection.H2Connection):
    """h2's connection, kept open for the streams a graceful GOAWAY lets finish.

    h2 refuses every frame after a GOAWAY, yet RFC 9113 6.8 has the streams at or below its
    last-stream-id complete. After a NO_ERROR GOAWAY the state goes back to open; the exchange
    itself starts no new stream once `goaway` is set.
    """

    def __init__(self, config: h2.config.H2Configuration) -> None:
        super().__init__(config=config)
        self.encoder = typing.cast(hpack.Encoder, _HeadEncoder())

    def _receive_goaway_frame(self, frame: typing.Any) -> typing.Any:
        result = super()._receive_goaway_frame(frame)
        if frame.error_code == h2.errors.ErrorCodes.NO_ERROR:
            self.state_machine.state = h2.connection.ConnectionState.CLIENT_OPEN
        return result


class H2Stream:
    """What has arrived for one request: the response head, body pieces not yet taken, the
    trailers, whether the body ended, and the error that ended it otherwise; and what may still
    be sent on it."""

    __slots__ = (
        "ended",
        "error",
        "expected",
        "head_request",
        "headers",
        "informational",
        "pieces",
        "received",
        "request_ended",
        "reset_by_server",
        "send_window",
        "status_code",
        "stream_id",
        "trailers",
    )

    def __init__(self, stream_id: int, send_window: int, head_request: bool) -> None:
        self.stream_id = stream_id
        self.status_code = 0  # 0 until the final response head arrives
        self.headers: Headers | None = None
        self.pieces: list[bytes] = []
        self.trailers: Headers | None = None
        self.ended = False  # the server's END_STREAM arrived
        self.error: RemoteProtocolError | None = None
        self.informational = 0
        # The response's Content-Length (0 for HEAD), checked as the splitter takes the DATA,
        # and the body bytes taken so far.
        self.expected: int | None = None
        self.received = 0
        self.head_request = head_request
        self.request_ended = False  # our END_STREAM (or RST_STREAM) is sent
        self.send_window = send_window  # what the server lets this stream send
        self.reset_by_server = False  # its RST_STREAM arrived

    @property
    def finished(self) -> bool:
        """Nothing more will arrive for this stream."""
        return self.ended or self.error is not None


class _Block:
    """A header block being received: HEADERS without END_HEADERS, then CONTINUATIONs."""

    __slots__ = ("continuations", "data", "end_stream", "stream_id")

    def __init__(self, stream_id: int, data: bytes, end_stream: bool) -> None:
        self.stream_id = stream_id
        self.data = bytearray(data)
        self.end_stream = end_stream
        self.continuations = 0


class H2Exchange:
    """An HTTP/2 client connection's protocol state (one per connection).

    The shell sends `data_to_send()` after every call that may produce frames, feeds every read
    to `received` (an empty read to `peer_closed`), and reads each stream's results from
    `streams[stream_id]`, taking body pieces with `take` so their window reopens.
    """

    #: The error of a stream the server did not process, for the shells, which import this
    #: module (and h2) only once HTTP/2 is used.
    Refused: typing.ClassVar[type[StreamRefused]] = StreamRefused

    __slots__ = (
        "_block",
        "_conn",
        "_control",
        "_decoder",
        "_dropped",
        "_encoder",
        "_initial_window",
        "_kept",
        "_max_streams",
        "_next_id",
        "_out",
        "_split",
        "error",
        "goaway",
        "max_fields",
        "settings",
        "streams",
    )

    def __init__(self, max_fields: int = MAX_HEADERS) -> None:
        config = h2.config.H2Configuration(client_side=True, header_encoding=None)
        self._conn = _Connection(config=config)
        self._encoder = typing.cast(_HeadEncoder, self._conn.encoder).codec
        # Enforced from the first response on: our SETTINGS announce the same limit.
        self._decoder = _cstream.HpackDecoder(max_header_list_size=MAX_HEADER_LIST_SIZE)
        self._split = _cstream.H2FrameSplitter(MAX_FRAME_SIZE, STREAM_WINDOW, CONNECTION_WINDOW)
        self.max_fields = max_fields
        self.streams: dict[int, H2Stream] = {}
        self.error: RemoteProtocolError | None = None  # the connection failed
        self.goaway: int | None = None  # the last-stream-id of the server's GOAWAY
        self._control = 0  # control frames since the last HEADERS or DATA
        # id(kept field list) -> (that list, its Host value, its fields as sent)
        self._kept: dict[int, tuple[KeptFields, bytes | None, list[tuple[bytes, bytes]]]] = {}
        # The server's first SETTINGS arrived: its stream limit is known from then on.
        self.settings = False
        self._next_id = 1  # the next stream id; every lower odd id has been used
        self._initial_window = _DEFAULT_WINDOW  # the server's SETTINGS_INITIAL_WINDOW_SIZE
        # The server's SETTINGS_MAX_CONCURRENT_STREAMS, as h2 holds it: h2 changes it only on
        # a SETTINGS frame, whose RemoteSettingsChanged event copies it here.
        self._max_streams: int = self._conn.remote_settings.max_concurrent_streams
        self._out = bytearray()  # frames to send: h2's earlier bytes, then ours, in order
        self._block: _Block | None = None
        # Flow-controlled bytes of DATA dropped here (on reset or finished streams) and not
        # yet given back to the connection window.
        self._dropped = 0

    # -- the connection --------------------------------------------------------------------

    def initiate(self) -> bytes:
        """The connection preface, our SETTINGS and the connection window's opening."""
        conn = self._conn
        conn.local_settings = h2.settings.Settings(
            client=True,
            initial_values={
                h2.settings.SettingCodes.ENABLE_PUSH: 0,
                h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 100,
                h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: STREAM_WINDOW,
                h2.settings.SettingCodes.MAX_FRAME_SIZE: MAX_FRAME_SIZE,
                h2.settings.SettingCodes.MAX_HEADER_LIST_SIZE: MAX_HEADER_LIST_SIZE,
            },
        )
        # Settings given as initial values are never "changed" by the server's acknowledgement,
        # so h2 would keep the default frame limit: ours applies from the start (a server may
        # use it only once it has read our SETTINGS; a larger frame before is still bounded).
        conn.max_inbound_frame_size = MAX_FRAME_SIZE
        conn.initiate_connection()
        conn.increment_flow_control_window(CONNECTION_WINDOW - _DEFAULT_WINDOW)
        return conn.data_to_send()

    def data_to_send(self) -> bytes:
        """Frames produced since the last call (b"" when there are none)."""
        out = self._split.data_to_send()
        if self._out:
            out += self._out
            self._out.clear()
        return out + self._conn.data_to_send()

    def _queue(self, frames: bytes) -> None:
        """Our frames, after everything h2 has queued so far."""
        out = self._out
        out += self._conn.data_to_send()
        out += frames

    @property
    def max_streams(self) -> int:
        """How many streams the server lets us have open at once."""
        return self._max_streams

    @property
    def accepts_streams(self) -> bool:
        """A new request may start on this connection now."""
        return (
            self.error is None
            and self.goaway is None
            and len(self.streams) < self._max_streams
            and self._next_id < _LAST_STREAM_ID
        )

    @property
    def usable(self) -> bool:
        """The connection may still carry new streams later (not failed, no GOAWAY)."""
        return self.error is None and self.goaway is None

    def close(self) -> bytes:
        """A GOAWAY saying we are done (NO_ERROR), to send before closing the socket."""
        if self.error is None:
            try:
                self._conn.close_connection()
            except h2.exceptions.ProtocolError:
                pass  # already closed by the server: nothing to say
        return self.data_to_send()

    def peer_closed(self) -> None:
        """The server closed the connection: every stream still waiting fails."""
        self._fail(RemoteProtocolError("Server disconnected without completing the response."))

    def _fail(self, error: RemoteProtocolError) -> None:
        if self.error is None:
            self.error = error
        refused = self.goaway
        for stream in self.streams.values():
            if stream.finished:
                continue
            if refused is not None and stream.stream_id > refused:
                stream.error = StreamRefused(
                    "The server did not process the request (GOAWAY): it may be retried."
                )
            else:
                stream.error = error

    # -- the request -----------------------------------------------------------------------

    def start_request(
        self,
        method: bytes,
        scheme: bytes,
        authority: bytes,
        path: bytes,
        headers: list[tuple[bytes, bytes]],
        end_stream: bool,
    ) -> int:
        """Opens a stream with the request head; returns its id. A `Host` field, when given,
        is the `:authority` (as an HTTP/1.1 server would read it).

        The head is checked and normalized whole before HPACK encodes any of it: a head
        refused after HPACK had encoded part of it would leave the encoder's table ahead of
        the server's, and every later head on the connection would be misread."""
        if not self.accepts_streams:
            raise StreamRefused("The connection takes no more streams.")
        if type(headers) is KeptFields:
            # The same list object for every request with these fields, never changed: its
            # normalization is kept for the connection's later requests.
            kept = self._kept.get(id(headers))
            if kept is None or kept[0] is not headers:
                if len(self._kept) >= _KEPT:
                    self._kept.clear()  # many different lists: start again, bounded
                kept = self._kept[id(headers)] = (headers, *_request_fields(headers))
            host, fields = kept[1], kept[2]
        else:
            host, fields = _request_fields(headers)
        if host is not None:
            authority = host
        # Pseudo-header values lose surrounding whitespace.
        method = method.strip()
        path = path.strip()
        if not path:
            raise LocalProtocolError("An empty :path header is forbidden")
        if method == b"CONNECT":
            # A tunnel has neither :scheme nor :path, and this client sends both always.
            raise LocalProtocolError("Ordinary CONNECT MUST NOT include :scheme or :path")
        head = [
            (b":method", method),
            (b":authority", authority.strip()),
            (b":scheme", scheme.strip()),
            (b":path", path),
        ]
        head += fields
        stream_id = self._next_id
        self._next_id += 2
        block = self._encoder.encode(head)
        size = self._conn.max_outbound_frame_size
        flags = _END_STREAM if end_stream else 0
        if len(block) <= size:
            self._queue(_frame(_HEADERS, flags | _END_HEADERS, stream_id, block))
        else:
            view = memoryview(block)
            frames = [_frame(_HEADERS, flags, stream_id, view[:size])]
            for at in range(size, len(block), size):
                last = at + size >= len(block)
                frames.append(
                    _frame(
                        _CONTINUATION, _END_HEADERS if last else 0, stream_id, view[at : at + size]
                    )
                )
            self._queue(b"".join(frames))
        stream = H2Stream(stream_id, self._initial_window, method == b"HEAD")
        stream.request_ended = end_stream
        self.streams[stream_id] = stream
        return stream_id

    def send_window(self, stream_id: int) -> int:
        """How many body bytes the server lets this stream send now."""
        stream = self.streams.get(stream_id)
        if stream is None or stream.request_ended or stream.error is not None:
            return 0  # nothing more may be sent
        return max(0, min(stream.send_window, self._conn.outbound_flow_control_window))

    def send_body(self, stream_id: int, data: bytes | memoryview, end_stream: bool) -> int:
        """Frames as much of `data` as the windows allow and returns how many bytes that was;
        `end_stream` ends the request once all of `data` is framed. The shell waits for a
        window update (any `received` call) before offering the rest."""
        size = min(len(data), self.send_window(stream_id))
        stream = self.streams.get(stream_id)
        if stream is None or stream.request_ended or stream.error is not None:
            return 0
        frame = self._conn.max_outbound_frame_size
        view = memoryview(data)
        frames = []
        offset = 0
        while offset < size:
            piece = view[offset : offset + min(frame, size - offset)]
            offset += len(piece)
            last = end_stream and offset == len(data)
            frames.append(_frame(_DATA, _END_STREAM if last else 0, stream_id, piece))
        if end_stream and size == len(data) == 0:
            frames.append(_frame(_DATA, _END_STREAM, stream_id, b""))
        if frames:
            self._queue(b"".join(frames))
        stream.send_window -= size
        self._conn.outbound_flow_control_window -= size
        if end_stream and size == len(data):
            stream.request_ended = True
        return size

    def end_request(self, stream_id: int) -> None:
        """The request body is complete."""
        self.send_body(stream_id, b"", end_stream=True)

    def reset(self, stream_id: int) -> None:
        """Abandons a stream (its consumer closed it or was cancelled): RST_STREAM CANCEL unless
        it has ended already; its buffered pieces give their connection window back."""
        stream = self.streams.pop(stream_id, None)
        if stream is None:
            return
        if self.error is None and not stream.finished:
            self._rst(stream_id, _CANCEL)
        self._split.forget(stream_id)
        stream.pieces.clear()

    def release(self, stream_id: int) -> None:
        """Forgets a stream that finished and whose pieces were all taken."""
        self.reset(stream_id)

    def _rst(self, stream_id: int, code: int) -> None:
        self._queue(_frame(_RST_STREAM, 0, stream_id, code.to_bytes(4, "big")))

    # -- the response ----------------------------------------------------------------------

    def take(self, stream_id: int) -> list[bytes]:
        """The body pieces received for a stream so far, handed over now; their bytes go back
        into the stream's window (the WINDOW_UPDATE is in the next `data_to_send`)."""
        stream = self.streams[stream_id]
        pieces = stream.pieces
        if pieces:
            stream.pieces = []
        if self.error is None:
            self._split.consumed(stream_id)  # a no-op when nothing was taken
        return pieces

    def queue_window_updates(self) -> bool:
        """Moves the WINDOW_UPDATEs that taken pieces made due into the output; True when there
        were any. A taker that finds none need not write: most small responses reopen no
        window (an update waits for a threshold), and what others queued is theirs to send."""
        updates = self._split.data_to_send()
        if updates:
            self._queue(updates)
            return True
        return False

    def received(self, data: bytes | bytearray | memoryview) -> None:
        """Feeds bytes read from the socket. A connection-level protocol error raises
        `RemoteProtocolError` (and is kept in `error`, failing every open stream); the GOAWAY
        it produced is in `data_to_send()`."""
        if self.error is not None:
            raise self.error
        self._split.feed(data)
        self._walk()

    def read_buffer(self) -> Buffer | None:
        """Where the next socket read should go when a large DATA payload is being received
        (the read lands in the piece itself: see `_cstream.H2FrameSplitter.read_buffer`);
        report it with `received_into`, dropping the buffer first. None: read bytes and
        pass them to `received`."""
        if self.error is not None:
            return None
        return self._split.read_buffer()

    def received_into(self, count: int) -> None:
        """`count` (> 0) bytes were read into the last `read_buffer()`; as `received`."""
        if self.error is not None:
            raise self.error
        self._split.received_into(count)
        self._walk()

    def _walk(self) -> None:
        """Hands out what the splitter has: DATA to the streams, other frames to `_frames`."""
        split = self._split
        try:
            while (item := split.next()) is not None:
                stream_id, payload, end = item
                if not stream_id:
                    self._frames(payload)
                    continue
                self._control = 0
                stream = self.streams.get(stream_id)
                if stream is None or stream.error is not None:
                    split.forget(stream_id)  # dropped: its window goes back at once
                else:
                    if stream.expected is not None:
                        stream.received += len(payload)
                        if stream.received > stream.expected or (
                            end and stream.received != stream.expected
                        ):
                            raise H2FrameError(
                                _PROTOCOL_ERROR,
                                "InvalidBodyLengthError: Expected "
                                f"{stream.expected} bytes, received {stream.received}",
                            )
                    if payload:
                        stream.pieces.append(payload)
                    if end:
                        stream.ended = True
        except H2FrameError as exc:
            error = RemoteProtocolError(f"HTTP/2 protocol error: {exc}")
            try:
                self._conn.close_connection(exc.code)
            except h2.exceptions.ProtocolError:
                pass
            self._fail(error)
            raise error from None

    def _frames(self, run: bytes) -> None:
        """Whole frames, in order: those on a stream handled here, the rest by h2."""
        pos = 0
        start = 0  # where the frames for h2 not yet handed over begin
        size = len(run)
        while pos < size:
            length = int.from_bytes(run[pos : pos + 3], "big")
            kind = run[pos + 3]
            stream_id = int.from_bytes(run[pos + 5 : pos + 9], "big") & _LAST_STREAM_ID
            end = pos + 9 + length
            block = self._block
            if block is not None and (kind != _CONTINUATION or stream_id != block.stream_id):
                raise H2FrameError(_PROTOCOL_ERROR, "Invalid frame during header block.")
            if stream_id and kind in _STREAM_FRAMES:
                if start < pos:
                    self._engine(run[start:pos])
                self._stream_frame(kind, run[pos + 4], stream_id, run[pos + 9 : end])
                start = end
            pos = end
        if start < size:
            self._engine(run[start:] if start else run)

    def _engine(self, data: bytes) -> None:
        """Whole connection-level frames for h2, and the events they produce."""
        try:
            events = self._conn.receive_data(data)
        except (h2.exceptions.ProtocolError, ValueError) as exc:
            error = RemoteProtocolError(f"HTTP/2 protocol error: {exc}")
            self._fail(error)
            raise error from None
        for event in events:
            handler = _EVENTS.get(type(event))
            if handler is not None:
                handler(self, event)

    # -- frames on a stream ----------------------------------------------------------------

    def _stream_frame(self, kind: int, flags: int, stream_id: int, payload: bytes) -> None:
        if kind == _HEADERS:
            self._headers_frame(flags, stream_id, payload)
        elif kind == _CONTINUATION:
            self._continuation(flags, stream_id, payload)
        elif kind == _DATA:
            self._data(flags, stream_id, payload)
        elif kind == _RST_STREAM:
            self._reset_by_server(stream_id, payload)
        elif kind == _WINDOW_UPDATE:
            self._window_update(stream_id, payload)
        elif kind == _PRIORITY:
            if len(payload) != 5:
                raise H2FrameError(_FRAME_SIZE_ERROR, "Invalid PRIORITY frame length.")
            self._priority(stream_id, payload)
        else:  # PUSH_PROMISE: our SETTINGS disabled push
            raise H2FrameError(_PROTOCOL_ERROR, "Received pushed stream")

    def _idle(self, stream_id: int) -> bool:
        """The stream was never opened by us (a server-initiated or future id)."""
        return not stream_id & 1 or stream_id >= self._next_id

    def _priority(self, stream_id: int, fields: bytes) -> None:
        """A PRIORITY frame, or a HEADERS frame's priority fields: advisory, but a stream may
        not depend on itself; counted among control frames."""
        if int.from_bytes(fields[:4], "big") & _LAST_STREAM_ID == stream_id:
            raise H2FrameError(_PROTOCOL_ERROR, f"Stream {stream_id} may not depend on itself")
        self._count_control()

    def _count_control(self) -> None:
        self._control += 1
        if self._control > MAX_CONTROL_FRAMES:
            raise H2FrameError(
                _PROTOCOL_ERROR,
                f"More than {MAX_CONTROL_FRAMES} PING/SETTINGS frames with no data.",
            )

    def _headers_frame(self, flags: int, stream_id: int, payload: bytes) -> None:
        start = 0
        stop = len(payload)
        if flags & _PADDED:
            if not stop:
                raise H2FrameError(_FRAME_SIZE_ERROR, "PADDED HEADERS frame too short.")
            stop -= payload[0]
            start = 1
        if flags & _PRIORITY_FLAG:
            if stop - start < 5:
                raise H2FrameError(_FRAME_SIZE_ERROR, "HEADERS frame too short for priority.")
            self._priority(stream_id, payload[start : start + 5])
            self._control = 0
            start += 5
        if stop < start:
            raise H2FrameError(_PROTOCOL_ERROR, "Received frame with invalid padding.")
        if start or stop != len(payload):
            payload = payload[start:stop]
        end_stream = bool(flags & _END_STREAM)
        if flags & _END_HEADERS:
            self._head(stream_id, payload, end_stream)
        else:
            self._block = _Block(stream_id, payload, end_stream)

    def _continuation(self, flags: int, stream_id: int, payload: bytes) -> None:
        block = self._block
        if block is None:
            raise H2FrameError(_PROTOCOL_ERROR, "Received unexpected CONTINUATION frame.")
        block.continuations += 1
        if block.continuations > MAX_CONTINUATIONS:
            raise H2FrameError(_PROTOCOL_ERROR, "Too many continuation frames received.")
        block.data += payload
        if len(block.data) > MAX_BLOCK:
            raise H2FrameError(
                _PROTOCOL_ERROR,
                f"Too many continuation frames received: a header block over {MAX_BLOCK} bytes.",
            )
        if flags & _END_HEADERS:
            self._block = None
            self._head(stream_id, bytes(block.data), block.end_stream)

    def _head(self, stream_id: int, block: bytes, end_stream: bool) -> None:
        """A whole header block: decoded always (HPACK's table must follow the server's),
        then a response head, 1xx head or trailers for a stream still wanted."""
        self._control = 0
        try:
            fields = self._decoder.decode(block)
        except HpackError as exc:
            message = str(exc)
            if message.startswith(_LIST_TOO_LARGE):
                raise H2FrameError(
                    _ENHANCE_YOUR_CALM, f"Oversized header block: {message}"
                ) from None
            raise H2FrameError(_PROTOCOL_ERROR, f"Error decoding header block: {message}") from None
        if self._idle(stream_id):
            raise H2FrameError(_PROTOCOL_ERROR, f"Received HEADERS on idle stream {stream_id}.")
        stream = self.streams.get(stream_id)
        if stream is not None and (stream.ended or stream.reset_by_server):
            # A head after the server ended or reset the stream: a connection error, as h2
            # makes it, but for a final head or trailers after a reset (a stream error).
            if _informational(fields):
                raise H2FrameError(
                    _PROTOCOL_ERROR, f"Received a 1xx head on closed stream {stream_id}."
                )
            if not stream.reset_by_server:
                raise H2FrameError(
                    _STREAM_CLOSED, f"Received HEADERS on closed stream {stream_id}."
                )
        if stream is None or stream.error is not None:
            self._closed(stream)
            return
        trailer = stream.status_code != 0
        try:
            status, regular, length = response_fields(fields, trailer, not stream.head_request)
        except MalformedHead as exc:
            raise H2FrameError(_PROTOCOL_ERROR, str(exc)) from None
        if trailer:
            if not end_stream:
                raise H2FrameError(_PROTOCOL_ERROR, "Trailers must have END_STREAM set")
            self._split.close(stream_id)
            stream.ended = True
            if len(regular) > self.max_fields:
                self._stream_error(stream, f"Too many header fields: more than {self.max_fields}.")
                return
            stream.trailers = Headers._from_parsed(regular)
            return
        if status is not None and status[:1] == b"1":
            if end_stream:
                raise H2FrameError(
                    _PROTOCOL_ERROR, "Cannot set END_STREAM on informational responses"
                )
            stream.informational += 1
            if stream.informational > MAX_INFORMATIONAL:
                raise H2FrameError(
                    _PROTOCOL_ERROR, f"More than {MAX_INFORMATIONAL} informational responses."
                )
            return
        if len(regular) > self.max_fields:
            self._stream_error(stream, f"Too many header fields: more than {self.max_fields}.")
            return
        if status is None or not status.isdigit() or len(status) != 3:
            self._stream_error(stream, f"Invalid :status in response: {status!r}.")
            return
        stream.status_code = int(status)
        stream.headers = Headers._from_parsed(regular)
        stream.expected = 0 if stream.head_request else length
        if end_stream:
            stream.ended = True
        else:
            self._split.open(stream_id)  # its DATA frames are taken from now on

    def _data(self, flags: int, stream_id: int, payload: bytes) -> None:
        """A DATA frame the splitter did not take: on a stream without its head yet, ended,
        reset or forgotten. Its bytes count against the connection window and go back."""
        length = len(payload)
        if flags & _PADDED:
            if not length:
                raise H2FrameError(_FRAME_SIZE_ERROR, H2_NO_PAD_LENGTH)
            if payload[0] >= length:
                raise H2FrameError(_PROTOCOL_ERROR, H2_BAD_PADDING.format(payload[0], length))
        if self._idle(stream_id):
            raise H2FrameError(_PROTOCOL_ERROR, f"Received DATA on idle stream {stream_id}.")
        window = self._split.connection_window - self._dropped
        if length > window:
            raise H2FrameError(
                _FLOW_CONTROL_ERROR,
                f"DATA frame of {length} bytes exceeds the connection flow control window "
                f"({window})",
            )
        self._control = 0
        self._dropped += length
        if self._dropped >= CONNECTION_WINDOW // 2:
            self._queue(_frame(_WINDOW_UPDATE, 0, 0, self._dropped.to_bytes(4, "big")))
            self._dropped = 0
        stream = self.streams.get(stream_id)
        if stream is None or stream.error is not None or stream.ended:
            self._closed(stream)
            return
        # The head has not arrived (the splitter takes the DATA of every stream that has it):
        # a connection error, as h2 makes it.
        raise H2FrameError(_PROTOCOL_ERROR, "cannot receive data before headers")

    def _closed(self, stream: H2Stream | None) -> None:
        """HEADERS or DATA on a stream that is closed to the server: ignored when this side
        reset or forgot it (RFC 9113 5.1: frames may still be in flight), a stream error
        STREAM_CLOSED when the server ended or reset it (it must send nothing more)."""
        if stream is not None and (stream.ended or stream.reset_by_server):
            self._rst(stream.stream_id, _STREAM_CLOSED)

    def _reset_by_server(self, stream_id: int, payload: bytes) -> None:
        if len(payload) != 4:
            raise H2FrameError(_FRAME_SIZE_ERROR, "Invalid RST_STREAM frame length.")
        stream = self.streams.get(stream_id)
        if stream is None:
            return  # idle, reset or forgotten: nothing to fail
        self._split.close(stream_id)
        stream.request_ended = True  # nothing more may be sent on it
        if stream.ended:
            return  # closed by its END_STREAM already
        stream.reset_by_server = True
        if stream.error is not None:
            return
        code = int.from_bytes(payload, "big")
        if code == _REFUSED_STREAM:
            stream.error = StreamRefused(
                "The server refused the stream (REFUSED_STREAM): it may be retried."
            )
        else:
            stream.error = RemoteProtocolError(f"The server reset the stream: {_code_name(code)}.")

    def _window_update(self, stream_id: int, payload: bytes) -> None:
        if len(payload) != 4:
            raise H2FrameError(_FRAME_SIZE_ERROR, "Invalid WINDOW_UPDATE frame length.")
        increment = int.from_bytes(payload, "big") & _LAST_STREAM_ID
        if not increment:
            raise H2FrameError(_PROTOCOL_ERROR, "WINDOW_UPDATE with a zero increment.")
        if self._idle(stream_id):
            raise H2FrameError(
                _PROTOCOL_ERROR, f"Received WINDOW_UPDATE on idle stream {stream_id}."
            )
        stream = self.streams.get(stream_id)
        if stream is None or stream.error is not None or (stream.ended and stream.request_ended):
            return  # closed, reset or forgotten
        # Kept after the request ended too, while the response goes on: an overflow is an
        # error in either state.
        stream.send_window += increment
        if stream.send_window > _LARGEST_WINDOW:
            self._stream_error(
                stream,
                f"The server's WINDOW_UPDATE took stream {stream_id}'s flow control window past "
                f"{_LARGEST_WINDOW}.",
                _FLOW_CONTROL_ERROR,
            )

    def _stream_error(self, stream: H2Stream, message: str, code: int = _PROTOCOL_ERROR) -> None:
        """Fails one stream and tells the server with RST_STREAM; the others go on."""
        self._split.close(stream.stream_id)
        stream.error = RemoteProtocolError(message)
        stream.request_ended = True
        self._rst(stream.stream_id, code)

    # -- h2's events -----------------------------------------------------------------------

    def _goaway(self, event: h2.events.ConnectionTerminated) -> None:
        self.goaway = event.last_stream_id or 0
        reason = event.error_code
        refused = self.goaway
        for stream in self.streams.values():
            if not stream.finished and stream.stream_id > refused:
                self._split.close(stream.stream_id)
                stream.error = StreamRefused(
                    "The server did not process the request (GOAWAY): it may be retried."
                )
        if reason not in (None, h2.errors.ErrorCodes.NO_ERROR):
            self._fail(
                RemoteProtocolError(f"The server closed the connection: {_code_name(reason)}.")
            )

    def _settings_changed(self, event: h2.events.RemoteSettingsChanged) -> None:
        self.settings = True
        self._max_streams = self._conn.remote_settings.max_concurrent_streams
        changed = event.changed_settings.get(h2.settings.SettingCodes.INITIAL_WINDOW_SIZE)
        if changed is not None and changed.new_value is not None:
            delta = changed.new_value - self._initial_window
            self._initial_window = changed.new_value
            for stream in self.streams.values():
                stream.send_window += delta
                if stream.send_window > _LARGEST_WINDOW:
                    raise H2FrameError(
                        _FLOW_CONTROL_ERROR,
                        f"SETTINGS took stream {stream.stream_id}'s flow control window past "
                        f"{_LARGEST_WINDOW}.",
                    )
        self._control_event(event)

    def _control_event(self, event: h2.events.Event) -> None:
        self._count_control()


_EVENTS: dict[type, typing.Callable[[H2Exchange, typing.Any], None]] = {
    h2.events.ConnectionTerminated: H2Exchange._goaway,
    h2.events.RemoteSettingsChanged: H2Exchange._settings_changed,
    h2.events.PingReceived: H2Exchange._control_event,
    h2.events.PingAckReceived: H2Exchange._control_event,
    h2.events.SettingsAcknowledged: H2Exchange._control_event,
    h2.events.PriorityUpdated: H2Exchange._control_event,
    h2.events.UnknownFrameReceived: H2Exchange._control_event,
    h2.events.AlternativeServiceAvailable: H2Exchange._control_event,
}
# WindowUpdated needs no bookkeeping: the connection's send window is h2's, read by the next
# `send_window`.


def _informational(fields: list[tuple[bytes, bytes]]) -> bool:
    """The block's `:status` is 1xx."""
    return any(name == b":status" and value[:1] == b"1" for name, value in fields)


def _code_name(code: object) -> str:
    """An HTTP/2 error code as its name (unknown codes as their number)."""
    if isinstance(code, h2.errors.ErrorCodes):
        return code.name
    if isinstance(code, int):
        try:
            return h2.errors.ErrorCodes(code).name
        except ValueError:
            pass
    return str(code)
