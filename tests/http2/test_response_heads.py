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
