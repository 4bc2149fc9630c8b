"""The reference for the differential tests of the HTTP/2 exchange: a client connection whose
every frame on a stream is handled by h2 (its stream state machines, header validation,
flow control and errors), with the exchange's bounds on top, as the exchange worked before it
took the streams over. It keeps the exchange's interface for what the tests drive: `initiate`,
`start_request`, `received`, `take`, `reset`, `data_to_send`, `streams`, `error`."""

from __future__ import annotations

import typing

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import h2.settings
import hpack
import hyperframe.frame

import _cstream
from _cstream._errors import HPACK_LIST_TOO_LARGE, H2FrameError, HpackError
from faststream._exceptions import LocalProtocolError, RemoteProtocolError
from faststream._headers import Headers
from faststream._transports._http2_exchange import (
    _DEFAULT_WINDOW,
    _KEPT,
    CONNECTION_WINDOW,
    MAX_CONTROL_FRAMES,
    MAX_FRAME_SIZE,
    MAX_HEADER_LIST_SIZE,
    MAX_HEADERS,
    MAX_INFORMATIONAL,
    STREAM_WINDOW,
    StreamRefused,
    _code_name,
    _HeadEncoder,
    _request_fields,
)
from faststream._transports._http11_exchange import KeptFields

__all__ = [
    "CONNECTION_WINDOW",
    "MAX_CONTROL_FRAMES",
    "MAX_FRAME_SIZE",
    "MAX_HEADER_LIST_SIZE",
    "STREAM_WINDOW",
    "H2Exchange",
    "H2Stream",
    "StreamRefused",
]


class _QuietRepr:
    """A received frame's repr without its payload (see `_Connection`)."""

    stream_id: int
    body_len: int

    def __repr__(self) -> str:
        return f"{type(self).__name__}(stream_id={self.stream_id}, length={self.body_len})"


class _QuietDataFrame(_QuietRepr, hyperframe.frame.DataFrame):
    pass


class _QuietHeadersFrame(_QuietRepr, hyperframe.frame.HeadersFrame):
    pass


# h2 formats every received frame for its trace log before dispatching it, whether or not
# anything logs; a DATA frame's repr serializes and hex-encodes its whole payload (a copy and
# a double-size string per 16 KiB frame), a third of the CPU a large download costs. The
# frames are given a class whose repr is a constant-size summary; h2 dispatches them as before.
_QUIET_FRAMES: dict[type, type] = {
    hyperframe.frame.DataFrame: _QuietDataFrame,
    hyperframe.frame.HeadersFrame: _QuietHeadersFrame,
}


_LIST_TOO_LARGE = HPACK_LIST_TOO_LARGE.partition("{")[0]


class _HeadDecoder:
    """h2's HPACK decoder, as the compiled codec: h2 calls `decode` for each header block it
    receives and sets the two limits from our acknowledged SETTINGS. Errors come out as hpack's
    exception types, which h2 turns into a connection error (COMPRESSION_ERROR, or a refused
    oversized header list)."""

    __slots__ = ("_codec",)

    def __init__(self, max_header_list_size: int) -> None:
        self._codec = _cstream.HpackDecoder(max_header_list_size=max_header_list_size)

    @property
    def max_header_list_size(self) -> int:
        return self._codec.max_header_list_size

    @max_header_list_size.setter
    def max_header_list_size(self, value: int) -> None:
        self._codec.max_header_list_size = value

    @property
    def max_allowed_table_size(self) -> int:
        return self._codec.max_allowed_table_size

    @max_allowed_table_size.setter
    def max_allowed_table_size(self, value: int) -> None:
        self._codec.max_allowed_table_size = value

    def decode(self, data: typing.Any, raw: bool = False) -> list[tuple[bytes, bytes]]:
        try:
            return self._codec.decode(data)
        except HpackError as exc:
            message = str(exc)
            if message.startswith(_LIST_TOO_LARGE):
                raise hpack.OversizedHeaderListError(message) from None
            raise hpack.HPACKError(message) from None


class _Connection(h2.connection.H2Connection):
    """h2's connection, kept open for the streams a graceful GOAWAY lets finish, and received
    DATA/HEADERS frames without a payload-sized repr.

    h2 refuses every frame after a GOAWAY, yet RFC 9113 6.8 has the streams at or below its
    last-stream-id complete. After a NO_ERROR GOAWAY the state goes back to open; the exchange
    itself starts no new stream once `goaway` is set.
    """

    def __init__(self, config: h2.config.H2Configuration) -> None:
        super().__init__(config=config)
        # HPACK in both directions by the compiled codec (h2 uses only the methods and
        # limits these provide).
        self.encoder = typing.cast(hpack.Encoder, _HeadEncoder())
        self.decoder = typing.cast(hpack.Decoder, _HeadDecoder(self.decoder.max_header_list_size))
        table = self._frame_dispatch_table
        for plain, quiet in _QUIET_FRAMES.items():
            table[quiet] = table[plain]
        # Streams this side opened and has not seen closed, and the streams whose state may
        # have changed since h2 last counted. A stream's state changes only by a frame
        # received on it or by a send call naming it, so every closed stream in `streams` is
        # among `_touched`, and counting the open outbound streams needs no walk over all of
        # them.
        self._opened: set[int] = set()
        self._touched: set[int] = set()

    def _receive_frame(self, frame: typing.Any) -> typing.Any:
        quiet = _QUIET_FRAMES.get(frame.__class__)
        if quiet is not None:
            frame.__class__ = quiet
        self._touched.add(frame.stream_id)
        return super()._receive_frame(frame)

    def _open_streams(self, remainder: int) -> int:
        # h2 counts (and forgets closed streams) before every new stream, by walking every
        # stream it holds. Closed streams are forgotten here exactly as h2 would, but only
        # the touched ones are looked at; when every held stream is one this side opened
        # (no pushed or idle stream), all of them are open outbound streams.
        streams = self.streams
        if remainder == 1 and len(streams) == len(self._opened):
            opened = self._opened
            closed_streams = self._closed_streams
            for stream_id in self._touched:
                stream = streams.get(stream_id)
                if stream is not None and stream.closed:
                    del streams[stream_id]
                    closed_streams[stream_id] = stream.closed_by
                    opened.discard(stream_id)
            self._touched.clear()
            if len(streams) == len(opened):
                return len(opened)
        count = super()._open_streams(remainder)
        self._touched.clear()
        self._opened.intersection_update(streams)
        return count

    def send_headers(  # type: ignore[override]
        self, stream_id: int, headers: list[tuple[bytes, bytes]], end_stream: bool = False
    ) -> None:
        new = stream_id not in self.streams
        self._touched.add(stream_id)
        h2.connection.H2Connection.send_headers(self, stream_id, headers, end_stream)
        if new:
            # Only once h2 has opened it: a stream left idle by a failed send is not counted.
            self._opened.add(stream_id)

    def send_data(self, stream_id: int, *args: typing.Any, **kwargs: typing.Any) -> None:
        self._touched.add(stream_id)
        super().send_data(stream_id, *args, **kwargs)

    def end_stream(self, stream_id: int) -> None:
        self._touched.add(stream_id)
        super().end_stream(stream_id)

    def reset_stream(self, stream_id: int, error_code: typing.Any = 0) -> None:
        self._touched.add(stream_id)
        super().reset_stream(stream_id, error_code)

    def _receive_goaway_frame(self, frame: typing.Any) -> typing.Any:
        result = super()._receive_goaway_frame(frame)
        if frame.error_code == h2.errors.ErrorCodes.NO_ERROR:
            self.state_machine.state = h2.connection.ConnectionState.CLIENT_OPEN
        return result


class H2Stream:
    """What has arrived for one request: the response head, body pieces not yet taken, the
    trailers, whether the body ended, and the error that ended it otherwise."""

    __slots__ = (
        "ended",
        "error",
        "expected",
        "headers",
        "informational",
        "pieces",
        "received",
        "status_code",
        "stream_id",
        "trailers",
        "unacked",
    )

    def __init__(self, stream_id: int) -> None:
        self.stream_id = stream_id
        self.status_code = 0  # 0 until the final response head arrives
        self.headers: Headers | None = None
        self.pieces: list[bytes] = []
        self.unacked = 0  # flow-controlled bytes of `pieces` (padding included)
        self.trailers: Headers | None = None
        self.ended = False
        self.error: RemoteProtocolError | None = None
        self.informational = 0
        # The response's Content-Length, checked here once the splitter takes the DATA, and
        # the body bytes taken so far.
        self.expected: int | None = None
        self.received = 0

    @property
    def finished(self) -> bool:
        """Nothing more will arrive for this stream."""
        return self.ended or self.error is not None


def _fields(headers: list[tuple[bytes, bytes]], max_fields: int) -> tuple[bytes | None, Headers]:
    """The `:status` value and the regular fields of a decoded header block (h2 has
    validated names, order and connection-specific fields already)."""
    status = None
    fields: list[tuple[bytes, bytes, bytes]] = []
    for name, value in headers:
        if name[:1] == b":":
            if name == b":status":
                status = value
            continue
        fields.append((name, name, value))
    if len(fields) > max_fields:
        raise RemoteProtocolError(f"Too many header fields: more than {max_fields}.")
    return status, Headers._from_parsed(fields)


class H2Exchange:
    """An HTTP/2 client connection's protocol state (one per connection).

    The shell sends `data_to_send()` after every call that may produce frames, feeds every read
    to `received` (an empty read to `peer_closed`), and reads each stream's results from
    `streams[stream_id]`, taking body pieces with `take` so their window reopens.
    """

    __slots__ = (
        "_conn",
        "_control",
        "_kept",
        "_split",
        "error",
        "goaway",
        "max_fields",
        "settings",
        "streams",
    )

    def __init__(self, max_fields: int = MAX_HEADERS) -> None:
        config = h2.config.H2Configuration(
            client_side=True,
            header_encoding=None,
            validate_inbound_headers=True,
            # `start_request` checks and normalizes every head it sends (see there).
            validate_outbound_headers=False,
            normalize_outbound_headers=False,
        )
        self._conn = _Connection(config=config)
        # Enforced from the first response on, before the server acknowledges our SETTINGS.
        self._conn.decoder.max_header_list_size = MAX_HEADER_LIST_SIZE
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
        updates = self._split.data_to_send()
        if updates:
            return updates + self._conn.data_to_send()
        return self._conn.data_to_send()

    @property
    def max_streams(self) -> int:
        """How many streams the server lets us have open at once."""
        return self._conn.remote_settings.max_concurrent_streams

    @property
    def accepts_streams(self) -> bool:
        """A new request may start on this connection now."""
        return (
            self.error is None
            and self.goaway is None
            and len(self.streams) < self.max_streams
            and self._conn.highest_outbound_stream_id < 2**31 - 3
        )

    @property
    def usable(self) -> bool:
        """The connection may still carry new streams later (not failed, no GOAWAY)."""
        return self.error is None and self.goaway is None

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

        The head is checked and normalized here, whole, before h2 sees it (h2's own outbound
        checks are off): a head refused after HPACK had encoded part of it would leave the
        encoder's table ahead of the server's, and every later head on the connection would
        be misread."""
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
        # Pseudo-header values lose surrounding whitespace, as h2's normalization did.
        method = method.strip()
        path = path.strip()
        if not path:
            raise LocalProtocolError("An empty :path header is forbidden")
        if method == b"CONNECT":
            # A tunnel has neither :scheme nor :path, and this client sends both always.
            raise LocalProtocolError("Ordinary CONNECT MUST NOT include :scheme or :path")
        conn = self._conn
        stream_id = conn.get_next_available_stream_id()
        head = [
            (b":method", method),
            (b":authority", authority.strip()),
            (b":scheme", scheme.strip()),
            (b":path", path),
        ]
        head += fields
        try:
            conn.send_headers(stream_id, head, end_stream=end_stream)
        except h2.exceptions.ProtocolError as exc:
            raise LocalProtocolError(str(exc)) from None
        self.streams[stream_id] = H2Stream(stream_id)
        return stream_id

    def reset(self, stream_id: int) -> None:
        """Abandons a stream (its consumer closed it or was cancelled): RST_STREAM CANCEL unless
        it has ended already; its buffered pieces give their connection window back."""
        stream = self.streams.pop(stream_id, None)
        if stream is None:
            return
        conn = self._conn
        if self.error is None:
            if not stream.finished:
                try:
                    conn.reset_stream(stream_id, h2.errors.ErrorCodes.CANCEL)
                except h2.exceptions.ProtocolError:
                    pass  # the stream closed meanwhile: nothing to reset
            if stream.unacked:
                conn.acknowledge_received_data(stream.unacked, stream_id)
        self._split.forget(stream_id)
        stream.pieces.clear()
        stream.unacked = 0

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
            if stream.unacked:
                self._conn.acknowledge_received_data(stream.unacked, stream_id)
        stream.unacked = 0
        return pieces

    def received(self, data: bytes | bytearray | memoryview) -> None:
        """Feeds bytes read from the socket. A connection-level protocol error raises
        `RemoteProtocolError` (and is kept in `error`, failing every open stream); the GOAWAY
        it produced is in `data_to_send()`."""
        if self.error is not None:
            raise self.error
        split = self._split
        try:
            split.feed(data)
            while (item := split.next()) is not None:
                stream_id, payload, end = item
                if not stream_id:
                    self._engine(payload)
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
                            self._length_error(stream, stream.expected)
                    if payload:
                        stream.pieces.append(payload)
                if end:  # h2's view of the stream ends with it (StreamEnded comes out)
                    self._engine(b"\x00\x00\x00\x00\x01" + stream_id.to_bytes(4, "big"))
        except H2FrameError as exc:
            error = RemoteProtocolError(f"HTTP/2 protocol error: {exc}")
            try:
                self._conn.close_connection(exc.code)
            except h2.exceptions.ProtocolError:
                pass
            self._fail(error)
            raise error from None

    def _length_error(self, stream: H2Stream, expected: int) -> typing.NoReturn:
        """h2's Content-Length rule for the DATA it no longer sees: more body than the field
        says, or less by the end, is a connection error (PROTOCOL_ERROR), worded as h2's."""
        error = RemoteProtocolError(
            "HTTP/2 protocol error: InvalidBodyLengthError: "
            f"Expected {expected} bytes, received {stream.received}"
        )
        try:
            self._conn.close_connection(h2.errors.ErrorCodes.PROTOCOL_ERROR)
        except h2.exceptions.ProtocolError:
            pass
        self._fail(error)
        raise error

    def _engine(self, data: bytes) -> None:
        """Whole frames for h2, and the events they produce."""
        try:
            events = self._conn.receive_data(data)
        except (h2.exceptions.ProtocolError, ValueError) as exc:
            error = RemoteProtocolError(f"HTTP/2 protocol error: {exc}")
            self._fail(error)
            raise error from None
        try:
            for event in events:
                self._event(event)
        except RemoteProtocolError as error:
            self._terminate(error)
            raise

    def _terminate(self, error: RemoteProtocolError) -> None:
        try:
            self._conn.close_connection(h2.errors.ErrorCodes.PROTOCOL_ERROR)
        except h2.exceptions.ProtocolError:
            pass
        self._fail(error)

    def _event(self, event: h2.events.Event) -> None:

        if isinstance(event, h2.events.DataReceived):
            self._control = 0
            stream = self.streams.get(event.stream_id)
            if stream is None or stream.error is not None:
                # a stream we reset or that failed: drop, and give the connection window back
                if event.flow_controlled_length:
                    self._conn.acknowledge_received_data(
                        event.flow_controlled_length,
                        event.stream_id,
                    )
                return
            if event.data:
                stream.pieces.append(event.data)
            stream.unacked += event.flow_controlled_length or 0
        elif isinstance(event, h2.events.ResponseReceived):
            self._control = 0
            stream = self.streams.get(event.stream_id)
            if stream is None:
                return
            block = self._block(stream, event.headers)
            if block is None:
                return
            status, headers = block
            if status is None or not status.isdigit() or len(status) != 3:
                self._stream_error(stream, f"Invalid :status in response: {status!r}.")
                return
            stream.status_code = int(status)
            stream.headers = headers
            # Its DATA frames are taken from now on; h2 no longer sees them, so the
            # Content-Length h2 parsed (0 for HEAD) is checked here instead.
            self._split.open(event.stream_id)
            engine_stream = self._conn.streams.get(event.stream_id)
            if engine_stream is not None and self._split.is_open(event.stream_id):
                stream.expected = engine_stream._expected_content_length
                engine_stream._expected_content_length = None
        elif isinstance(event, h2.events.StreamEnded):
            self._split.close(event.stream_id)
            stream = self.streams.get(event.stream_id)
            if stream is not None:
                stream.ended = True
        elif isinstance(event, h2.events.TrailersReceived):
            self._control = 0
            stream = self.streams.get(event.stream_id)
            if stream is not None:
                block = self._block(stream, event.headers)
                if block is not None:
                    stream.trailers = block[1]
        elif isinstance(event, h2.events.InformationalResponseReceived):
            stream = self.streams.get(event.stream_id)
            if stream is not None:
                stream.informational += 1
                if stream.informational > MAX_INFORMATIONAL:
                    raise RemoteProtocolError(
                        f"More than {MAX_INFORMATIONAL} informational responses."
                    )
        elif isinstance(event, h2.events.StreamReset):
            self._split.close(event.stream_id)
            stream = self.streams.get(event.stream_id)
            if stream is not None and not stream.finished:
                code = event.error_code
                if code == h2.errors.ErrorCodes.REFUSED_STREAM:
                    stream.error = StreamRefused(
                        "The server refused the stream (REFUSED_STREAM): it may be retried."
                    )
                else:
                    stream.error = RemoteProtocolError(
                        f"The server reset the stream: {_code_name(code)}."
                    )
        elif isinstance(event, h2.events.ConnectionTerminated):
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
        elif type(event) in _CONTROL_EVENTS:
            if type(event) is h2.events.RemoteSettingsChanged:
                self.settings = True
            self._control += 1
            if self._control > MAX_CONTROL_FRAMES:
                raise RemoteProtocolError(
                    f"More than {MAX_CONTROL_FRAMES} PING/SETTINGS frames with no data."
                )
        # WindowUpdated and the rest need no bookkeeping: a window update is seen by the
        # next `send_window`, priorities are advisory.

    def _block(
        self, stream: H2Stream, headers: list[tuple[bytes, bytes]]
    ) -> tuple[bytes | None, Headers] | None:
        """A header block's status and fields; None when the block fails the stream (too many
        fields: that stream is reset, the others go on)."""
        try:
            return _fields(headers, self.max_fields)
        except RemoteProtocolError as exc:
            self._stream_error(stream, str(exc))
            return None

    def _stream_error(self, stream: H2Stream, message: str) -> None:
        self._split.close(stream.stream_id)
        stream.error = RemoteProtocolError(message)
        try:
            self._conn.reset_stream(stream.stream_id, h2.errors.ErrorCodes.PROTOCOL_ERROR)
        except h2.exceptions.ProtocolError:
            pass


_CONTROL_EVENTS = frozenset(
    {
        h2.events.PingReceived,
        h2.events.PingAckReceived,
        h2.events.RemoteSettingsChanged,
        h2.events.SettingsAcknowledged,
        h2.events.PriorityUpdated,
        h2.events.UnknownFrameReceived,
        h2.events.AlternativeServiceAvailable,
    }
)
