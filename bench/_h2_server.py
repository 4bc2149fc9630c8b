"""A loopback HTTP/2 (h2c, prior knowledge) bench server that is not the bottleneck.

    python bench/_h2_server.py        # prints the port on stdout, serves until killed

`GET /bytes/N` is answered with N bytes (`content-length: N`); an HTTP/1.1 request on the
same port (no connection preface) gets the same body over HTTP/1.1, so the HTTP/2 rows can be
compared with faststream's HTTP/1.1 rate from the same process.

Why not h2 for the body: h2 copies every payload into its frames and runs Python per frame,
which made the Python server the limit of a 1 GiB download. Here the frame layer is a few
lines of our own: the body goes out as DATA frames whose 9-byte headers are prebuilt and whose
payloads are views of one 1 MiB block, many frames per `sendmsg`. It is still a correct HTTP/2
peer, not a firehose:

* the client's SETTINGS are honoured and acknowledged: MAX_FRAME_SIZE bounds every DATA frame,
  INITIAL_WINDOW_SIZE sets new streams' windows and moves open ones by the difference;
* flow control is tracked here: DATA never exceeds the connection's or the stream's send
  window, which only the client's WINDOW_UPDATEs reopen; a stream waits while either is spent;
* PING is answered, RST_STREAM drops the stream, GOAWAY and EOF end the connection;
* request header blocks (HEADERS + CONTINUATION) are decoded with hpack's decoder, whose
  dynamic table must follow every block; a block made only of one-byte indexed fields changes
  no table state, so its decoded path is cached until a block that may change the table;
* response header blocks use no dynamic table (`:status 200` indexed, `content-length` a
  literal without indexing), so they are plain bytes cached per length; the first one starts
  with a table-size update to 0, which satisfies any SETTINGS_HEADER_TABLE_SIZE the client
  announces.

One (pooled) thread per connection; sockets block (the writes never exceed the client's
windows, so the client always has room to take them).
"""

from __future__ import annotations

import concurrent.futures
import socket
import struct
import sys

import hpack

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
BLOCK = memoryview(b"x" * (1 << 20))  # payloads are views of this; frames are at most its size

DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = (
    0x0,
    0x1,
    0x3,
    0x4,
    0x6,
    0x7,
    0x8,
    0x9,
)
END_STREAM, ACK, END_HEADERS, PADDED, PRIORITY = 0x1, 0x1, 0x4, 0x8, 0x20
SETTINGS_INITIAL_WINDOW_SIZE, SETTINGS_MAX_FRAME_SIZE = 0x4, 0x5
SETTINGS_MAX_CONCURRENT_STREAMS = 0x3
MAX_STREAMS = 1024  # announced: 256 requests in flight fit on one connection
IOV_MAX = 512  # buffers per sendmsg (Linux allows 1024)

_HEADER = struct.Struct(">I B I")  # (length << 8 | type, flags, stream id): a frame header
_pack = _HEADER.pack


def frame(kind: int, flags: int, stream_id: int, payload: bytes = b"") -> bytes:
    return _pack(len(payload) << 8 | kind, flags, stream_id) + payload


def serve_http11(sock: socket.socket) -> None:
    """HTTP/1.1 keep-alive: `GET /bytes/N` answered with N bytes, written 1 MiB at a time."""
    buffered = b""
    while True:
        while b"\r\n\r\n" not in buffered:
            received = sock.recv(1 << 16)
            if not received:
                return
            buffered += received
        head, buffered = buffered.split(b"\r\n\r\n", 1)
        size = int(head.split(b" ", 2)[1].rsplit(b"/", 1)[1])
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size)
        while size:
            sent = min(size, len(BLOCK))
            sock.sendall(BLOCK[:sent])
            size -= sent


class Connection:
    """One client connection's HTTP/2 state: settings, windows, streams with body left."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.decoder = hpack.Decoder()
        self.max_frame = 16384  # the client's SETTINGS_MAX_FRAME_SIZE (default until told)
        self.initial_window = 65535  # the client's SETTINGS_INITIAL_WINDOW_SIZE
        self.conn_window = 65535  # what we may still send on the connection
        self.windows: dict[int, int] = {}  # open stream -> what we may still send on it
        self.left: dict[int, int] = {}  # stream -> body bytes still to send
        self.out: list[bytes | memoryview] = []  # frames to write, in order
        self.block = b""  # a header block in progress (HEADERS without END_HEADERS)
        self.block_stream = 0
        self.table_update = b"\x20"  # before the first response block: dynamic table size 0
        self.paths: dict[bytes, bytes] = {}  # one-byte-indexed block -> :path (see module doc)
        self.response_blocks: dict[int, bytes] = {}  # content length -> header block

    # -- output -----------------------------------------------------------------------------

    def flush(self) -> None:
        out = self.out
        while out:
            batch = out[:IOV_MAX]
            del out[:IOV_MAX]
            sent = self.sock.sendmsg(batch)
            total = sum(len(b) for b in batch)
            if sent < total:  # interrupted: write the rest of this batch plainly
                self.sock.sendall(b"".join(bytes(b) for b in batch)[sent:])

    def respond(self, stream_id: int, size: int) -> None:
        block = self.response_blocks.get(size)
        if block is None:
            digits = b"%d" % size
            # :status 200 is static index 8; content-length (static name 28) a literal
            # without indexing (4-bit prefix: 0x0f then 28 - 15)
            block = b"\x88\x0f\x0d" + bytes([len(digits)]) + digits
            self.response_blocks[size] = block
        if self.table_update:
            block = self.table_update + block
            self.table_update = b""
        flags = END_HEADERS | (0 if size else END_STREAM)
        self.out.append(frame(HEADERS, flags, stream_id, block))
        if size:
            self.windows[stream_id] = self.initial_window
            self.left[stream_id] = size

    def send_data(self) -> None:
        """Queue DATA for every stream with body left, as far as both windows allow."""
        out = self.out
        for stream_id in list(self.left):
            left = self.left[stream_id]
            window = min(self.windows[stream_id], self.conn_window)
            if window <= 0:
                continue
            size = min(self.max_frame, len(BLOCK))
            full = _pack(size << 8 | DATA, 0, stream_id)  # the header of every full frame
            budget = min(left, window)
            self.conn_window -= budget
            self.windows[stream_id] -= budget
            left -= budget
            while budget:
                n = min(budget, size)
                budget -= n
                if n == size and (budget or left):
                    out.append(full)
                else:  # a short frame, or the last of the body (END_STREAM)
                    out.append(_pack(n << 8 | DATA, 0 if left else END_STREAM, stream_id))
                out.append(BLOCK[:n])
            if left:
                self.left[stream_id] = left
            else:
                del self.left[stream_id]
                del self.windows[stream_id]

    # -- input ------------------------------------------------------------------------------

    def header_block(self, stream_id: int, block: bytes) -> None:
        path = self.paths.get(block)
        if path is None:
            headers = dict(self.decoder.decode(block, raw=True))
            path = headers[b":path"]
            if all(0x80 < b < 0xFF for b in block):  # indexed fields only: no table change
                self.paths[block] = path
            else:  # the table may have changed: cached decodings may be stale
                self.paths.clear()
        self.respond(stream_id, int(path.rsplit(b"/", 1)[1]))

    def received(self, kind: int, flags: int, stream_id: int, payload: bytes) -> bool:
        """Handle one frame; False when the connection is to end."""
        if kind == WINDOW_UPDATE:
            increment = int.from_bytes(payload[:4], "big") & 0x7FFFFFFF
            if stream_id == 0:
                self.conn_window += increment
            elif stream_id in self.windows:
                self.windows[stream_id] += increment
        elif kind == HEADERS:
            if flags & PADDED:
                payload = payload[1 : len(payload) - payload[0]]
            if flags & PRIORITY:
                payload = payload[5:]
            if flags & END_HEADERS:
                self.header_block(stream_id, payload)
            else:
                self.block, self.block_stream = payload, stream_id
        elif kind == CONTINUATION:
            self.block += payload
            if flags & END_HEADERS:
                self.header_block(self.block_stream, self.block)
                self.block = b""
        elif kind == SETTINGS:
            if not flags & ACK:
                for i in range(0, len(payload) - 5, 6):
                    key, value = struct.unpack_from(">HI", payload, i)
                    if key == SETTINGS_MAX_FRAME_SIZE:
                        self.max_frame = value
                    elif key == SETTINGS_INITIAL_WINDOW_SIZE:
                        delta = value - self.initial_window
                        self.initial_window = value
                        for open_stream in self.windows:
                            self.windows[open_stream] += delta
                self.out.append(frame(SETTINGS, ACK, 0))
        elif kind == DATA:  # a request body (none in this bench): give the window back
            if payload:
                given = len(payload).to_bytes(4, "big")
                self.out.append(frame(WINDOW_UPDATE, 0, 0, given))
                if not flags & END_STREAM:
                    self.out.append(frame(WINDOW_UPDATE, 0, stream_id, given))
        elif kind == PING:
            if not flags & ACK:
                self.out.append(frame(PING, ACK, 0, payload))
        elif kind == RST_STREAM:
            self.left.pop(stream_id, None)
            self.windows.pop(stream_id, None)
        elif kind == GOAWAY:
            return False
        return True  # PRIORITY and unknown types: nothing to do

    def run(self) -> None:
        sock = self.sock
        settings = struct.pack(">HI", SETTINGS_MAX_CONCURRENT_STREAMS, MAX_STREAMS)
        self.out.append(frame(SETTINGS, 0, 0, settings))
        self.flush()
        buffered = b""
        while True:
            received = sock.recv(1 << 16)
            if not received:
                return
            buffered += received
            at = 0
            end = len(buffered)
            while end - at >= 9:
                word, flags, stream_id = _HEADER.unpack_from(buffered, at)
                length = word >> 8
                if end - at - 9 < length:
                    break
                payload = buffered[at + 9 : at + 9 + length]
                at += 9 + length
                if not self.received(word & 0xFF, flags, stream_id & 0x7FFFFFFF, payload):
                    self.flush()
                    return
            buffered = buffered[at:]
            self.send_data()
            self.flush()


def serve_connection(sock: socket.socket) -> None:
    start = b""
    while len(start) < len(PREFACE) and PREFACE.startswith(start):
        received = sock.recv(len(PREFACE), socket.MSG_PEEK | socket.MSG_WAITALL)
        if not received:
            return
        start = received
    if not start.startswith(PREFACE):
        serve_http11(sock)
        return
    sock.recv(len(PREFACE))
    Connection(sock).run()


def _run(sock: socket.socket) -> None:
    try:
        serve_connection(sock)
    except OSError:
        pass  # the client went away
    finally:
        sock.close()


def serve(listener: socket.socket) -> None:
    # Pooled threads outlive their connections, so the process's per-thread scheduler
    # statistics (/proc/<pid>/task/*/schedstat, read by the bench) are never lost with a thread.
    with concurrent.futures.ThreadPoolExecutor(max_workers=512) as pool:
        while True:
            sock, _ = listener.accept()
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            pool.submit(_run, sock)


def main() -> None:
    listener = socket.create_server(("127.0.0.1", 0), backlog=128)
    print(listener.getsockname()[1], flush=True)
    sys.stdout.close()
    serve(listener)


if __name__ == "__main__":
    main()
