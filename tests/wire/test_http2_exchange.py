"""The HTTP/2 exchange without a socket (`faststream._transports._http2_exchange`).

A client `H2Exchange` talks to an h2 server-side connection in memory: what it sends for a
request, what each stream receives, and the bounds a hostile server meets (header-list caps,
flow-control violations, stalled consumers, resets, GOAWAY, control-frame floods, forbidden
response fields). Frames h2 refuses to send are built by hand with hyperframe.
"""

from __future__ import annotations

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.settings
import hpack
import hyperframe.frame
import pytest

import faststream
from faststream._transports import _http2_exchange as h2x

GET_FIELDS = [(b"Host", b"example.org"), (b"Accept", b"*/*")]


class Server:
    """An h2 server connection wired to a client exchange in memory."""

    def __init__(
        self,
        settings: dict[int, int] | None = None,
        validate: bool = True,
    ) -> None:
        config = h2.config.H2Configuration(
            client_side=False,
            header_encoding=None,
            validate_outbound_headers=validate,
            normalize_outbound_headers=validate,
        )
        self.conn = h2.connection.H2Connection(config=config)
        self.client = h2x.H2Exchange()
        self.events: list[h2.events.Event] = []
        self.events += self.conn.receive_data(self.client.initiate())
        self.conn.initiate_connection()
        if settings:
            self.conn.update_settings(settings)
        self.flush()

    def flush(self) -> None:
        """Moves pending bytes both ways until neither side has anything to say."""
        for _ in range(100):
            to_client = self.conn.data_to_send()
            if to_client:
                self.client.received(to_client)
            to_server = self.client.data_to_send()
            if to_server:
                self.events += self.conn.receive_data(to_server)
            if not to_client and not to_server:
                return
        raise AssertionError("the two sides never went quiet")

    def raw(self, data: bytes) -> None:
        """Bytes the h2 server would not send, straight to the client."""
        self.client.received(data)

    def request(self, method: bytes = b"GET", end: bool = True) -> int:
        sid = self.client.start_request(
            method, b"https", b"example.org", b"/path?q=1", GET_FIELDS, end_stream=end
        )
        self.flush()
        return sid

    def respond(
        self,
        sid: int,
        body: bytes = b"",
        headers: list[tuple[bytes, bytes]] | None = None,
        end: bool = True,
    ) -> None:
        fields = [(b":status", b"200"), *(headers or [(b"content-type", b"text/plain")])]
        self.conn.send_headers(sid, fields, end_stream=not body and end)
        if body:
            self.conn.send_data(sid, body, end_stream=end)
        self.flush()

    def of(self, kind: type[h2.events.Event]) -> list[h2.events.Event]:
        return [event for event in self.events if isinstance(event, kind)]


def received_body(server: Server) -> bytes:
    """The request body bytes the server has received so far."""
    return b"".join(
        event.data or b"" for event in server.events if isinstance(event, h2.events.DataReceived)
    )


def encode_block(fields: list[tuple[bytes, bytes]]) -> bytes:
    return hpack.Encoder().encode(fields)


# -- requests and responses ------------------------------------------------------------------


def test_get_round_trip_gives_status_headers_body_and_end() -> None:
    server = Server()
    sid = server.request()
    (received,) = server.of(h2.events.RequestReceived)
    assert isinstance(received, h2.events.RequestReceived)
    assert received.headers == [
        (b":method", b"GET"),
        (b":authority", b"example.org"),
        (b":scheme", b"https"),
        (b":path", b"/path?q=1"),
        (b"accept", b"*/*"),
    ]
    assert server.of(h2.events.StreamEnded)  # no body: END_STREAM on the HEADERS
    server.respond(sid, b"hello", [(b"content-type", b"text/plain"), (b"x-a", b"1")])
    stream = server.client.streams[sid]
    assert stream.status_code == 200
    assert stream.headers is not None
    assert stream.headers.multi_items() == [("content-type", "text/plain"), ("x-a", "1")]
    assert server.client.take(sid) == [b"hello"]
    assert stream.ended and stream.error is None


def test_connection_specific_request_fields_are_not_sent() -> None:
    server = Server()
    server.client.start_request(
        b"GET",
        b"http",
        b"default.org",
        b"/",
        [
            (b"Host", b"named.org:8080"),
            (b"Connection", b"keep-alive"),
            (b"Keep-Alive", b"5"),
            (b"Transfer-Encoding", b"chunked"),
            (b"Upgrade", b"h2c"),
            (b"TE", b"gzip"),
            (b"X-Kept", b"yes"),
        ],
        end_stream=True,
    )
    server.flush()
    (received,) = server.of(h2.events.RequestReceived)
    assert isinstance(received, h2.events.RequestReceived)
    assert dict(received.headers)[b":authority"] == b"named.org:8080"
    assert [name for name, _ in received.headers if not name.startswith(b":")] == [b"x-kept"]


def test_invalid_request_field_is_a_local_protocol_error() -> None:
    server = Server()
    with pytest.raises(faststream.LocalProtocolError):
        server.client.start_request(
            b"GET", b"https", b"example.org", b"/", [(b"x-bad", b"a\nb")], end_stream=True
        )


def test_request_body_waits_for_the_servers_window() -> None:
    server = Server({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 10})
    sid = server.request(b"POST", end=False)
    body = b"0123456789abcdefghij"
    sent = server.client.send_body(sid, body, end_stream=True)
    assert sent == 10
    assert server.client.send_window(sid) == 0
    server.flush()
    assert received_body(server) == body[:10]
    assert not server.of(h2.events.StreamEnded)
    server.conn.acknowledge_received_data(10, sid)
    server.flush()  # the server's WINDOW_UPDATE reaches the client
    assert server.client.send_window(sid) == 10
    assert server.client.send_body(sid, body[10:], end_stream=True) == 10
    server.flush()
    assert received_body(server) == body
    assert server.of(h2.events.StreamEnded)


def test_empty_final_body_piece_ends_the_request() -> None:
    server = Server()
    sid = server.request(b"POST", end=False)
    assert server.client.send_body(sid, b"abc", end_stream=False) == 3
    assert server.client.send_body(sid, b"", end_stream=True) == 0
    server.flush()
    assert server.of(h2.events.StreamEnded)


def test_trailers_are_kept() -> None:
    server = Server()
    sid = server.request()
    server.respond(sid, b"body", end=False)
    server.conn.send_headers(sid, [(b"x-checksum", b"abc")], end_stream=True)
    server.flush()
    stream = server.client.streams[sid]
    assert stream.trailers is not None and stream.trailers["x-checksum"] == "abc"
    assert stream.ended


def test_informational_heads_are_skipped() -> None:
    server = Server()
    sid = server.request()
    server.conn.send_headers(sid, [(b":status", b"103"), (b"link", b"</a>")])
    server.respond(sid, b"ok")
    stream = server.client.streams[sid]
    assert stream.status_code == 200 and server.client.take(sid) == [b"ok"]


# -- flow control: backpressure (E6) and violations (E5) -------------------------------------


def test_window_reopens_only_as_the_consumer_takes() -> None:
    server = Server()
    sid = server.request()
    server.respond(sid, end=False)
    window = server.conn.local_flow_control_window(sid)
    assert window == h2x.STREAM_WINDOW
    frame = server.conn.max_outbound_frame_size
    for offset in range(0, window, frame):
        server.conn.send_data(sid, b"x" * min(frame, window - offset))
    server.flush()
    # the consumer has not read: the server may send nothing more on this stream
    assert server.conn.local_flow_control_window(sid) == 0
    # ... while the connection window is not what holds it back
    assert server.conn.outbound_flow_control_window > h2x.STREAM_WINDOW
    stream = server.client.streams[sid]
    assert sum(map(len, stream.pieces)) == h2x.STREAM_WINDOW
    assert sum(map(len, server.client.take(sid))) == h2x.STREAM_WINDOW
    server.flush()
    assert server.conn.local_flow_control_window(sid) == h2x.STREAM_WINDOW


def test_data_past_the_window_is_a_flow_control_error() -> None:
    server = Server()
    sid = server.request()
    server.respond(sid, end=False)
    window = server.conn.local_flow_control_window(sid)
    frame = server.conn.max_outbound_frame_size
    for offset in range(0, window, frame):
        server.conn.send_data(sid, b"x" * min(frame, window - offset))
    server.flush()
    extra = hyperframe.frame.DataFrame(sid, data=b"y" * 100)
    with pytest.raises(faststream.RemoteProtocolError, match="FLOW_CONTROL|[Ff]low control"):
        server.raw(extra.serialize())
    stream = server.client.streams[sid]
    assert isinstance(stream.error, faststream.RemoteProtocolError)
    assert sum(map(len, stream.pieces)) == window  # nothing past the window kept
    goaway = server.conn.receive_data(server.client.data_to_send())
    (terminated,) = [e for e in goaway if isinstance(e, h2.events.ConnectionTerminated)]
    assert terminated.error_code == h2.errors.ErrorCodes.FLOW_CONTROL_ERROR
    with pytest.raises(faststream.RemoteProtocolError):
        server.client.received(b"")


# -- header caps (E4) and forbidden fields (E9) ----------------------------------------------


def test_hpack_bomb_is_refused_at_the_header_list_cap() -> None:
    server = Server()
    sid = server.request()
    # one 4000-byte field, then indexed repeats of it: a few bytes each on the wire
    fields = [(b":status", b"200")] + [(b"x-bomb", b"v" * 4000)] * 200
    block = encode_block(fields)
    assert len(block) < 5000
    frame = hyperframe.frame.HeadersFrame(sid, data=block, flags=["END_HEADERS"])
    with pytest.raises(faststream.RemoteProtocolError):
        server.raw(frame.serialize())
    assert isinstance(server.client.streams[sid].error, faststream.RemoteProtocolError)


def test_continuation_flood_is_refused() -> None:
    server = Server()
    sid = server.request()
    block = encode_block([(b":status", b"200")])
    wire = hyperframe.frame.HeadersFrame(sid, data=block).serialize()
    with pytest.raises(faststream.RemoteProtocolError):
        for _ in range(1000):
            wire = hyperframe.frame.ContinuationFrame(sid, data=b"\x00" * 16).serialize()
            server.raw(wire)
    assert server.client.error is not None


def test_more_header_fields_than_the_cap_fail_that_stream_only() -> None:
    server = Server()
    first = server.request()
    second = server.request()
    server.respond(first, b"a", [(f"x-{i}".encode(), b"v") for i in range(101)], end=False)
    stream = server.client.streams[first]
    assert isinstance(stream.error, faststream.RemoteProtocolError)
    assert "Too many header fields" in str(stream.error)
    assert server.of(h2.events.StreamReset)  # the server is told to stop
    server.respond(second, b"b")
    assert server.client.take(second) == [b"b"]
    assert server.client.streams[second].ended


@pytest.mark.parametrize(
    "fields",
    [
        [(b":status", b"200"), (b"connection", b"close")],
        [(b":status", b"200"), (b"transfer-encoding", b"chunked")],
        [(b":status", b"200"), (b"X-Upper", b"1")],
        [(b"x-first", b"1"), (b":status", b"200")],
        [(b":status", b"200"), (b":path", b"/")],
    ],
    ids=["connection", "transfer-encoding", "uppercase", "pseudo-after-regular", "req-pseudo"],
)
def test_forbidden_response_fields_are_protocol_errors(fields: list[tuple[bytes, bytes]]) -> None:
    server = Server(validate=False)
    sid = server.request()
    frame = hyperframe.frame.HeadersFrame(
        sid, data=encode_block(fields), flags=["END_HEADERS", "END_STREAM"]
    )
    with pytest.raises(faststream.RemoteProtocolError):
        server.raw(frame.serialize())
    assert isinstance(server.client.streams[sid].error, faststream.RemoteProtocolError)


def test_bad_status_fails_the_stream() -> None:
    server = Server(validate=False)
    sid = server.request()
    server.conn.send_headers(sid, [(b":status", b"abc")], end_stream=True)
    server.flush()
    assert isinstance(server.client.streams[sid].error, faststream.RemoteProtocolError)


# -- resets, GOAWAY (E7), floods (E8) --------------------------------------------------------


def test_reset_by_server_fails_that_stream_only() -> None:
    server = Server()
    first = server.request()
    second = server.request()
    server.respond(first, b"partial", end=False)
    server.conn.reset_stream(first, h2.errors.ErrorCodes.INTERNAL_ERROR)
    server.respond(second, b"fine")
    stream = server.client.streams[first]
    assert isinstance(stream.error, faststream.RemoteProtocolError)
    assert not isinstance(stream.error, h2x.StreamRefused)
    assert "INTERNAL_ERROR" in str(stream.error)
    assert server.client.take(second) == [b"fine"]
    assert server.client.error is None and server.client.accepts_streams


def test_refused_stream_is_retryable() -> None:
    server = Server()
    sid = server.request()
    server.conn.reset_stream(sid, h2.errors.ErrorCodes.REFUSED_STREAM)
    server.flush()
    assert isinstance(server.client.streams[sid].error, h2x.StreamRefused)


def test_goaway_refuses_streams_above_last_id_and_lets_the_others_finish() -> None:
    server = Server()
    ids = [server.request() for _ in range(3)]
    goaway = hyperframe.frame.GoAwayFrame(0, last_stream_id=ids[1], error_code=0)
    server.raw(goaway.serialize())
    client = server.client
    assert client.goaway == ids[1] and not client.accepts_streams and not client.usable
    assert isinstance(client.streams[ids[2]].error, h2x.StreamRefused)
    for sid in ids[:2]:
        assert client.streams[sid].error is None
    server.respond(ids[0], b"one")
    server.respond(ids[1], b"two")
    assert client.take(ids[0]) == [b"one"] and client.streams[ids[0]].ended
    assert client.take(ids[1]) == [b"two"] and client.streams[ids[1]].ended
    with pytest.raises(h2x.StreamRefused):
        client.start_request(b"GET", b"https", b"a", b"/", [], end_stream=True)


def test_goaway_with_an_error_fails_processed_streams_too() -> None:
    server = Server()
    first = server.request()
    second = server.request()
    goaway = hyperframe.frame.GoAwayFrame(0, last_stream_id=first, error_code=2)
    server.raw(goaway.serialize())
    assert isinstance(server.client.streams[second].error, h2x.StreamRefused)
    error = server.client.streams[first].error
    assert isinstance(error, faststream.RemoteProtocolError)
    assert not isinstance(error, h2x.StreamRefused)


def test_ping_flood_closes_the_connection_after_the_budget() -> None:
    server = Server()
    sid = server.request()
    ping = hyperframe.frame.PingFrame(0, opaque_data=b"12345678").serialize()
    with pytest.raises(faststream.RemoteProtocolError, match="PING/SETTINGS"):
        server.raw(ping * (h2x.MAX_CONTROL_FRAMES + 1))
    assert isinstance(server.client.streams[sid].error, faststream.RemoteProtocolError)


def test_pings_with_real_work_between_them_are_answered() -> None:
    server = Server()
    sid = server.request()
    server.respond(sid, end=False)
    for round_ in range(3):
        for i in range(h2x.MAX_CONTROL_FRAMES - 1):
            server.conn.ping(i.to_bytes(8, "big"))
        server.conn.send_data(sid, b"d")
        server.flush()
        acks = server.of(h2.events.PingAckReceived)
        assert len(acks) == (round_ + 1) * (h2x.MAX_CONTROL_FRAMES - 1)
    assert server.client.take(sid) == [b"d"] * 3 and server.client.error is None


# -- the consumer leaves, the server leaves --------------------------------------------------


def test_reset_by_client_sends_cancel_and_returns_the_connection_window() -> None:
    server = Server()
    first = server.request()
    server.respond(first, b"x" * 1000, end=False)
    server.client.reset(first)
    server.flush()
    (reset,) = server.of(h2.events.StreamReset)
    assert isinstance(reset, h2.events.StreamReset)
    assert reset.stream_id == first and reset.error_code == h2.errors.ErrorCodes.CANCEL
    assert first not in server.client.streams
    # DATA already in flight for the reset stream is dropped; the connection goes on
    server.raw(hyperframe.frame.DataFrame(first, data=b"late").serialize())
    assert first not in server.client.streams and server.client.error is None
    second = server.request()
    server.respond(second, b"next")
    assert server.client.take(second) == [b"next"]


def test_max_concurrent_streams_of_the_server_is_honoured() -> None:
    server = Server({h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 2})
    assert server.client.max_streams == 2
    first = server.request()
    server.request()
    assert not server.client.accepts_streams
    server.respond(first, b"done")
    server.client.take(first)
    server.client.release(first)
    assert server.client.accepts_streams


def test_peer_closing_fails_the_unfinished_streams() -> None:
    server = Server()
    done = server.request()
    waiting = server.request()
    server.respond(done, b"ok")
    server.client.peer_closed()
    assert server.client.streams[done].error is None
    error = server.client.streams[waiting].error
    assert isinstance(error, faststream.RemoteProtocolError)


def test_close_sends_goaway_no_error() -> None:
    server = Server()
    events = server.conn.receive_data(server.client.close())
    (terminated,) = [e for e in events if isinstance(e, h2.events.ConnectionTerminated)]
    assert terminated.error_code == h2.errors.ErrorCodes.NO_ERROR


# -- the stream layer of our own: framing, send windows, frames h2 no longer sees ------------


def test_a_head_larger_than_a_frame_goes_out_in_continuation_frames() -> None:
    server = Server()
    assert server.client._conn.max_outbound_frame_size == 16384
    fields = [(b"x-big-%d" % i, b"v" * 4000) for i in range(10)]  # ~40 KB, no table reuse
    sid = server.client.start_request(b"GET", b"https", b"a.org", b"/", fields, end_stream=True)
    wire = server.client.data_to_send()
    kinds = []
    at = 0
    while at < len(wire):
        kinds.append(wire[at + 3])
        at += 9 + int.from_bytes(wire[at : at + 3], "big")
    assert kinds == [1, 9, 9]  # HEADERS, then two CONTINUATION frames
    server.events += server.conn.receive_data(wire)
    (received,) = server.of(h2.events.RequestReceived)
    assert isinstance(received, h2.events.RequestReceived)
    assert received.stream_id == sid
    assert [field for field in received.headers if field[0].startswith(b"x-big")] == fields


def test_send_windows_follow_settings_and_the_connection_window() -> None:
    server = Server()
    sid = server.request(b"POST", end=False)
    # the server's view of what the client may send, stream and connection together
    assert server.client.send_window(sid) == 65535 == server.conn.remote_flow_control_window(sid)
    # a smaller initial window shrinks the open stream's window by the difference
    server.conn.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 1000})
    server.flush()
    assert server.client.send_window(sid) == 1000 == server.conn.remote_flow_control_window(sid)
    assert server.client.send_body(sid, b"x" * 5000, end_stream=False) == 1000
    server.flush()
    assert server.client.send_window(sid) == 0
    # the stream's window opened past the connection's: the connection's bounds what is sent
    server.conn.increment_flow_control_window(200_000, stream_id=sid)
    server.flush()
    window = server.client.send_window(sid)
    assert window == 65535 - 1000 == server.conn.remote_flow_control_window(sid)
    assert server.client.send_body(sid, b"y" * 300_000, end_stream=True) == window
    server.flush()
    assert received_body(server) == b"x" * 1000 + b"y" * window
    assert not server.of(h2.events.StreamEnded)  # not all of it was sent: not ended
    assert server.client.send_window(sid) == 0 == server.conn.remote_flow_control_window(sid)
    assert server.client.error is None


def test_window_update_past_the_largest_window_fails_that_stream() -> None:
    server = Server()
    sid = server.request(b"POST", end=False)
    other = server.request()
    update = hyperframe.frame.WindowUpdateFrame(sid, window_increment=2**31 - 1)
    server.raw(update.serialize())
    stream = server.client.streams[sid]
    assert isinstance(stream.error, faststream.RemoteProtocolError)
    assert server.client.send_window(sid) == 0
    server.flush()
    (reset,) = server.of(h2.events.StreamReset)
    assert isinstance(reset, h2.events.StreamReset)
    assert reset.error_code == h2.errors.ErrorCodes.FLOW_CONTROL_ERROR
    server.respond(other, b"fine")
    assert server.client.take(other) == [b"fine"] and server.client.error is None


@pytest.mark.parametrize(
    "frame",
    [
        hyperframe.frame.PushPromiseFrame(
            1, promised_stream_id=2, data=b"\x82", flags=["END_HEADERS"]
        ),
        hyperframe.frame.DataFrame(9, data=b"idle"),
        hyperframe.frame.HeadersFrame(2, data=b"\x88", flags=["END_HEADERS"]),
        hyperframe.frame.ContinuationFrame(1, data=b"\x88", flags=["END_HEADERS"]),
        hyperframe.frame.PriorityFrame(1, depends_on=1),
    ],
    ids=["push-promise", "data-on-idle", "server-stream", "naked-continuation", "self-priority"],
)
def test_frames_a_client_never_accepts_end_the_connection(frame: hyperframe.frame.Frame) -> None:
    server = Server()
    sid = server.request()
    with pytest.raises(faststream.RemoteProtocolError, match="HTTP/2 protocol error"):
        server.raw(frame.serialize())
    assert isinstance(server.client.streams[sid].error, faststream.RemoteProtocolError)
    events = server.conn.receive_data(server.client.data_to_send())
    (terminated,) = [e for e in events if isinstance(e, h2.events.ConnectionTerminated)]
    assert terminated.error_code == h2.errors.ErrorCodes.PROTOCOL_ERROR


def test_a_frame_inside_a_header_block_ends_the_connection() -> None:
    server = Server()
    sid = server.request()
    opened = hyperframe.frame.HeadersFrame(sid, data=encode_block([(b":status", b"200")]))
    ping = hyperframe.frame.PingFrame(0, opaque_data=b"12345678")
    with pytest.raises(faststream.RemoteProtocolError, match="header block"):
        server.raw(opened.serialize() + ping.serialize())
    assert server.client.streams[sid].status_code == 0


def test_a_head_split_over_continuation_frames_is_read_whole() -> None:
    server = Server()
    sid = server.request()
    block = encode_block([(b":status", b"200"), (b"x-long", b"v" * 300)])
    first = hyperframe.frame.HeadersFrame(sid, data=block[:5])
    middle = hyperframe.frame.ContinuationFrame(sid, data=block[5:100])
    last = hyperframe.frame.ContinuationFrame(sid, data=block[100:], flags=["END_HEADERS"])
    for frame in (first, middle, last):
        server.raw(frame.serialize())
    stream = server.client.streams[sid]
    assert stream.status_code == 200 and stream.headers is not None
    assert stream.headers["x-long"] == "v" * 300
    server.conn.send_data(sid, b"body", end_stream=True)
    server.flush()
    assert server.client.take(sid) == [b"body"] and stream.ended
