"""The largest frame the client accepts (SETTINGS_MAX_FRAME_SIZE): a server that honours it
sends the body in frames of that size, which arrive whole; a longer frame is a protocol error
that ends the connection (the frame is never buffered past the limit)."""

from __future__ import annotations

import h2.errors
import h2.events
import hyperframe.frame
import pytest

import faststream
from faststream._transports import _http2_exchange as h2x
from tests.wire.test_http2_exchange import Server


def test_the_server_may_send_frames_up_to_our_limit() -> None:
    server = Server()
    assert server.conn.max_outbound_frame_size == h2x.MAX_FRAME_SIZE > 16384
    sid = server.request()
    body = bytes(range(256)) * (h2x.MAX_FRAME_SIZE * 3 // 256)
    server.respond(sid, end=False)
    for offset in range(0, len(body), h2x.MAX_FRAME_SIZE):
        end = offset + h2x.MAX_FRAME_SIZE
        server.conn.send_data(sid, body[offset:end], end_stream=end >= len(body))
    server.flush()
    pieces = server.client.take(sid)
    assert b"".join(pieces) == body
    assert [len(piece) for piece in pieces] == [h2x.MAX_FRAME_SIZE] * 3
    assert server.client.streams[sid].ended


def test_a_frame_past_our_limit_ends_the_connection() -> None:
    server = Server()
    sid = server.request()
    server.respond(sid, end=False)
    frame = hyperframe.frame.DataFrame(sid, data=b"x" * (h2x.MAX_FRAME_SIZE + 1))
    with pytest.raises(faststream.RemoteProtocolError, match="overlong frame"):
        server.raw(frame.serialize())
    assert isinstance(server.client.streams[sid].error, faststream.RemoteProtocolError)
    assert server.client.streams[sid].pieces == []
    events = server.conn.receive_data(server.client.data_to_send())
    (goaway,) = [e for e in events if isinstance(e, h2.events.ConnectionTerminated)]
    assert goaway.error_code == h2.errors.ErrorCodes.FRAME_SIZE_ERROR
