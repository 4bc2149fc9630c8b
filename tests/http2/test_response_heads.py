"""Response heads received over HTTP/2 as the exchange reports them, for many responses on
one connection: repeated heads (which a server encodes to the same bytes once HPACK's table
is warm), heads that add to the table, never-indexed fields, and table-size updates by the
server's encoder. Each must come out exactly as the server sent it.
"""

from __future__ import annotations

import random
import typing

import h2.config
import h2.connection
import h2.events
import hpack
import pytest

from faststream import RemoteProtocolError
from faststream._transports._http2_exchange import H2Exchange

Fields = list[tuple[bytes, bytes]]


def _connected() -> tuple[H2Exchange, h2.connection.H2Connection]:
    exchange = H2Exchange()
    server = h2.connection.H2Connection(
        h2.config.H2Configuration(client_side=False, header_encoding=None)
    )
    server.initiate_connection()
    server.receive_data(exchange.initiate())
    for _ in range(3):
        exchange.received(server.data_to_send())
        server.receive_data(exchange.data_to_send())
    return exchange, server


def test_response_heads_come_out_as_sent() -> None:
    exchange, server = _connected()

    def respond(status: bytes, fields: list[typing.Any]) -> None:
        stream_id = exchange.start_request(b"GET", b"https", b"e", b"/", [], end_stream=True)
        server.receive_data(exchange.data_to_send())
        server.send_headers(stream_id, [(b":status", status), *fields], end_stream=True)
        exchange.received(server.data_to_send())
        stream = exchange.streams[stream_id]
        assert stream.error is None
        assert stream.ended
        assert stream.status_code == int(status)
        assert stream.headers is not None
        assert stream.headers.raw == [(bytes(n), bytes(v)) for n, v in fields]
        exchange.release(stream_id)
        server.receive_data(exchange.data_to_send())

    rng = random.Random(11)
    same = [(b"content-type", b"text/plain"), (b"content-length", b"0")]
    for turn in range(400):
        if turn in (120, 260):  # the server's encoder shrinks its table, then grows it back
            server.encoder.header_table_size = 0 if turn == 120 else 4096
        choice = rng.randrange(4)
        if choice == 0:
            respond(b"200", same)
        elif choice == 1:
            # A new field, added to the table, then sent again from it: the second block's
            # bytes (the newest entry's index) are those of every other such pair.
            fresh = [(b"x-n", str(turn).encode())]
            respond(b"200", fresh)
            respond(b"200", fresh)
        elif choice == 2:  # never indexed: nothing added
            secret = hpack.NeverIndexedHeaderTuple(b"set-cookie", f"s={turn}".encode())
            respond(b"404", [*same, secret])
        else:
            respond(b"204", [])


def test_responses_complete_before_a_connection_error_in_the_same_read() -> None:
    """Two whole responses, then a frame h2 refuses (a zero WINDOW_UPDATE on the connection),
    all in one read: the two responses stay complete, the stream still waiting fails."""
    exchange, server = _connected()
    ids = [
        exchange.start_request(b"GET", b"https", b"e", b"/", [], end_stream=True) for _ in range(3)
    ]
    server.receive_data(exchange.data_to_send())
    for stream_id in ids[:2]:
        server.send_headers(stream_id, [(b":status", b"200"), (b"content-length", b"5")])
        server.send_data(stream_id, b"hello", end_stream=True)
    zero_window_update = b"\x00\x00\x04\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    with pytest.raises(RemoteProtocolError):
        exchange.received(server.data_to_send() + zero_window_update)
    for stream_id in ids[:2]:
        stream = exchange.streams[stream_id]
        assert (stream.ended, stream.error, stream.status_code) == (True, None, 200)
        assert exchange.take(stream_id) == [b"hello"]
    waiting = exchange.streams[ids[2]]
    assert isinstance(waiting.error, RemoteProtocolError)
    assert not waiting.ended
    assert exchange.error is not None
