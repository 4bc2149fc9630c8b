"""The HTTP/2 protocol layer alone (`H2Exchange` over h2, no socket, no event loop): what one
MiB of received DATA and one small request cost in instructions, for bench/BUDGET-http2.md.

    valgrind --tool=callgrind python bench/http2_exchange.py data 0
    valgrind --tool=callgrind python bench/http2_exchange.py data 32      # 32 MiB
    valgrind --tool=callgrind python bench/http2_exchange.py request 0
    valgrind --tool=callgrind python bench/http2_exchange.py request 300  # 300 requests

(count(N) - count(0)) / N is the cost per MiB (per request). `data` feeds DATA frames of
`--frame-kib` KiB (16, h2's default; 256, the most faststream accepts), four to a read, and
takes the pieces after each read, as the shell does. `request` sends a GET and feeds a canned
response (HEADERS + a 100-byte DATA with END_STREAM, as a real h2 server encodes it once
HPACK's dynamic table is warm); the server's own cost is not counted. `--vary` gives every
request a path of its own (`/items/<n>`), as a client walking an API does, so no two heads
encode alike.
"""

from __future__ import annotations

import argparse
import struct

import h2.config
import h2.connection

from faststream._transports import _http2_exchange

_FIELDS = [
    (b"accept", b"*/*"),
    (b"accept-encoding", b"gzip, deflate"),
    (b"user-agent", b"python-faststream/0"),
]


def _frame(kind: int, flags: int, stream_id: int, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))[1:]
        + bytes([kind, flags])
        + struct.pack(">I", stream_id)
        + payload
    )


def _connected() -> tuple[_http2_exchange.H2Exchange, h2.connection.H2Connection]:
    exchange = _http2_exchange.H2Exchange()
    server = h2.connection.H2Connection(
        h2.config.H2Configuration(client_side=False, header_encoding=None)
    )
    server.initiate_connection()
    server.receive_data(exchange.initiate())
    exchange.received(server.data_to_send())
    server.receive_data(exchange.data_to_send())
    exchange.received(server.data_to_send())
    exchange.data_to_send()
    return exchange, server


def data(mib: int, frame_kib: int) -> None:
    exchange, server = _connected()
    stream_id = exchange.start_request(b"GET", b"http", b"h", b"/", [], True)
    server.receive_data(exchange.data_to_send())
    server.send_headers(stream_id, [(b":status", b"200")])
    exchange.received(server.data_to_send())
    read = b"".join(_frame(0, 0, stream_id, b"x" * (frame_kib << 10)) for _ in range(4))
    for _ in range(mib * 256 // frame_kib):
        exchange.received(read)
        exchange.take(stream_id)
        exchange.data_to_send()


def request(count: int, vary: bool) -> None:
    exchange, server = _connected()
    paths = iter(range(1 << 62))

    def get() -> int:
        path = b"/items/%d" % next(paths) if vary else b"/bytes/100"
        return exchange.start_request(b"GET", b"http", b"127.0.0.1:8000", path, _FIELDS, True)

    canned = bytearray()
    for _ in range(3):  # the third response is encoded as every later one is
        stream_id = get()
        server.receive_data(exchange.data_to_send())
        server.send_headers(stream_id, [(b":status", b"200"), (b"content-length", b"100")])
        server.send_data(stream_id, b"y" * 100, end_stream=True)
        canned[:] = server.data_to_send()
        exchange.received(bytes(canned))
        exchange.release(stream_id)
    head = int.from_bytes(canned[0:3], "big")
    for _ in range(count):
        stream_id = get()
        exchange.data_to_send()
        canned[5:9] = canned[9 + head + 5 : 9 + head + 9] = stream_id.to_bytes(4, "big")
        exchange.received(bytes(canned))
        assert exchange.streams[stream_id].ended
        exchange.take(stream_id)
        exchange.release(stream_id)
        exchange.data_to_send()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case", choices=["data", "request"])
    parser.add_argument("count", type=int)
    parser.add_argument("--vary", action="store_true", help="a path per request (request)")
    parser.add_argument("--frame-kib", type=int, default=16, help="DATA frame size (data)")
    args = parser.parse_args()
    if args.case == "data":
        data(args.count, args.frame_kib)
    else:
        request(args.count, args.vary)


if __name__ == "__main__":
    main()
