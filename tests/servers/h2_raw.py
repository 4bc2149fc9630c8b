"""A scripted HTTP/2 server (h2 in server mode over plain sockets, prior knowledge) on
127.0.0.1, one thread per connection, for the HTTP/2 connection tests.

Routes (any method):
* `/bytes/N`: 200 with N bytes (`pattern(N)`), sent as the client's windows allow.
* `/echo`: 200 with the request body, once the request has ended.
* `/hold`: 200, one byte of body, then nothing more until the client resets the stream.
* `/endless`: 200, then zeros as fast as the client's windows allow, until it resets the
  stream (no body is held in memory: for memory measurements of the client).
* `/gzip/N`: 200, `pattern(N)` gzip-compressed, with `Content-Encoding: gzip`.
* `/lines`: 200, `LINES` as the body, sent in 7-byte DATA frames.
* `/reset`: 200, some body, then RST_STREAM (INTERNAL_ERROR).
* `/bad-header`: 200 with a `Connection` field, which HTTP/2 forbids.
* `/upper-header`, `/te-header`, `/late-pseudo`: a head with an uppercase field name, a
  `Transfer-Encoding` field, or `:status` after a regular field (all forbidden in HTTP/2).
* `/header-bomb`: a head whose fields decode to more than 100 KiB (over CONTINUATION frames).
* Raw frames written past h2 (what a hostile server sends):
  `/continuation-flood`: HEADERS without END_HEADERS, then CONTINUATION frames without end;
  `/window-overrun`: 200, then DATA beyond the stream's flow-control window;
  `/ping-flood`, `/settings-flood`: 200, then thousands of PING (SETTINGS) frames.
* anything else: 404, empty.

It records what a test asserts on: connections accepted, the most streams open at once on
one connection, the streams the client reset and the GOAWAYs it sent (their error codes).
"""

from __future__ import annotations

import gzip
import socket
import ssl
import threading
import time
import types

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import h2.settings

__all__ = ["LINES", "H2Server", "pattern"]

LINES = b"first\nsecond\r\nthird\rfourth"

_POLL = 0.02  # seconds between checks of the stop flag
_LIFETIME = 60.0  # no connection thread outlives this


def pattern(n: int) -> bytes:
    """The body of `/bytes/N`: a repeating alphabet, so misplaced bytes show."""
    return (b"abcdefghijklmnopqrstuvwxyz" * (n // 26 + 1))[:n]


_BAD_HEADS = {
    b"/upper-header": [(b":status", b"200"), (b"X-Upper", b"1")],
    b"/te-header": [(b":status", b"200"), (b"transfer-encoding", b"chunked")],
    b"/late-pseudo": [(b"x-first", b"1"), (b":status", b"200")],
}


def _frame(kind: int, flags: int, stream_id: int, payload: bytes) -> bytes:
    """One HTTP/2 frame, as bytes (RFC 9113 4.1)."""
    return (
        len(payload).to_bytes(3, "big")
        + bytes([kind, flags])
        + stream_id.to_bytes(4, "big")
        + payload
    )


def _linger(sock: socket.socket) -> None:
    """Half-closes `sock` and reads until the client closes too (at most a second)."""
    try:
        sock.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            try:
                if not sock.recv(65536):
                    return
            except (TimeoutError, BlockingIOError):
                continue
    except OSError:
        return


class H2Server:
    """`with H2Server() as server:` serves on `server.port` until the block ends."""

    def __init__(
        self,
        max_concurrent_streams: int = 100,
        ssl_context: ssl.SSLContext | None = None,
        goaway_after_first: bool = False,
    ) -> None:
        """`ssl_context`: serve h2 over TLS (its ALPN must offer h2), else h2c.
        `goaway_after_first`: once the first response of a connection is sent, GOAWAY with
        its stream as the last one processed; the connection then ends."""
        self.max_concurrent_streams = max_concurrent_streams
        self.goaway_after_first = goaway_after_first
        self.ssl_context = ssl_context
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(_POLL)
        self.port: int = self._listener.getsockname()[1]
        self.connections_accepted = 0
        self.peak_streams = 0
        self.resets: list[int] = []  # error codes of the client's RST_STREAMs
        self.goaways: list[int] = []  # error codes of the client's GOAWAYs
        self.body_bytes_sent = 0  # response body bytes handed to h2, all connections
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> H2Server:
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in list(self._threads):
            thread.join(5)
        self._listener.close()

    def _accept(self) -> None:
        deadline = time.monotonic() + _LIFETIME
        while not self._stop.is_set() and time.monotonic() < deadline:
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections_accepted += 1
            thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, sock: socket.socket) -> None:
        if self.ssl_context is not None:
            sock.settimeout(5)
            try:
                sock = self.ssl_context.wrap_socket(sock, server_side=True)
            except OSError:
                sock.close()
                return
        # No outbound validation: some routes send what a broken server would.
        config = h2.config.H2Configuration(
            client_side=False,
            header_encoding=None,
            validate_outbound_headers=False,
            normalize_outbound_headers=False,
        )
        conn = h2.connection.H2Connection(config=config)
        conn.local_settings = h2.settings.Settings(
            client=False,
            initial_values={
                h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: self.max_concurrent_streams
            },
        )
        conn.initiate_connection()
        state = types.SimpleNamespace(paths={}, bodies={}, outgoing={}, held=set(), raw=bytearray())
        sock.settimeout(_POLL)
        deadline = time.monotonic() + _LIFETIME
        try:
            self._send_all(sock, conn.data_to_send())
            while not self._stop.is_set() and time.monotonic() < deadline:
                self._send_bodies(conn, state)
                out = conn.data_to_send()
                if out:
                    self._send_all(sock, out)
                if state.raw:
                    raw, state.raw = bytes(state.raw), bytearray()
                    self._send_all(sock, raw)
                # bodies still to send: look for window updates without waiting long
                sock.settimeout(0.001 if state.outgoing else _POLL)
                try:
                    data = sock.recv(65536)
                except (TimeoutError, BlockingIOError):
                    continue
                if not data:
                    return
                for event in conn.receive_data(data):
                    self._event(conn, state, event)
                self.peak_streams = max(self.peak_streams, conn.open_inbound_streams)
        except OSError:
            return  # the client went away: this connection ends
        except h2.exceptions.ProtocolError:
            # The client broke the protocol, or sent on after our GOAWAY: this connection
            # ends, gracefully, so that what we sent before (a GOAWAY) is not lost to a TCP
            # reset for the bytes left unread.
            _linger(sock)
        finally:
            sock.close()

    def _send_all(self, sock: socket.socket, data: bytes) -> None:
        """Sends `data`, however long a client that reads slowly (or not at all) takes, until
        the server stops: a short socket timeout is no failure here."""
        view = memoryview(data)
        sock.settimeout(_POLL)
        while view:
            if self._stop.is_set():
                raise OSError("the server is stopping")
            try:
                view = view[sock.send(view) :]
            except (TimeoutError, BlockingIOError):
                continue

    def _event(
        self, conn: h2.connection.H2Connection, state: types.SimpleNamespace, event: object
    ) -> None:
        if isinstance(event, h2.events.RequestReceived):
            assert event.headers is not None
            fields = dict(event.headers)
            state.paths[event.stream_id] = fields[b":path"]
            state.bodies[event.stream_id] = bytearray()
        elif isinstance(event, h2.events.DataReceived):
            assert event.stream_id is not None
            state.bodies[event.stream_id] += event.data or b""
            conn.acknowledge_received_data(event.flow_controlled_length or 0, event.stream_id)
        elif isinstance(event, h2.events.StreamEnded):
            assert event.stream_id is not None
            self._respond(conn, state, event.stream_id)
        elif isinstance(event, h2.events.ConnectionTerminated):
            self.goaways.append(int(event.error_code or 0))
        elif isinstance(event, h2.events.StreamReset):
            assert event.stream_id is not None
            state.outgoing.pop(event.stream_id, None)
            state.held.discard(event.stream_id)
            self.resets.append(int(event.error_code or 0))

    def _respond(
        self, conn: h2.connection.H2Connection, state: types.SimpleNamespace, stream_id: int
    ) -> None:
        path: bytes = state.paths.get(stream_id, b"")
        if path.startswith(b"/bytes/"):
            body = pattern(int(path[len(b"/bytes/") :]))
        elif path == b"/echo":
            body = bytes(state.bodies[stream_id])
        elif path.startswith(b"/gzip/"):
            body = gzip.compress(pattern(int(path[len(b"/gzip/") :])))
            fields = [(b":status", b"200"), (b"content-encoding", b"gzip")]
            conn.send_headers(stream_id, fields)
            state.outgoing[stream_id] = memoryview(body)
            return
        elif path == b"/reset":
            conn.send_headers(stream_id, [(b":status", b"200")])
            conn.send_data(stream_id, b"partial")
            conn.reset_stream(stream_id, h2.errors.ErrorCodes.INTERNAL_ERROR)
            return
        elif path == b"/bad-header":
            fields = [(b":status", b"200"), (b"connection", b"close")]
            conn.send_headers(stream_id, fields, end_stream=True)
            return
        elif path == b"/lines":
            conn.send_headers(stream_id, [(b":status", b"200")])
            for offset in range(0, len(LINES), 7):
                last = offset + 7 >= len(LINES)
                conn.send_data(stream_id, LINES[offset : offset + 7], end_stream=last)
            return
        elif path in _BAD_HEADS:
            conn.send_headers(stream_id, _BAD_HEADS[path], end_stream=True)
            return
        elif path == b"/header-bomb":
            fields = [(b":status", b"200")]
            fields += [(f"x-bomb-{i}".encode(), b"v" * 8000) for i in range(20)]
            conn.send_headers(stream_id, fields, end_stream=True)
            return
        elif path == b"/continuation-flood":
            # A literal field ("a: b") per frame, the block never ended.
            state.raw += _frame(0x1, 0, stream_id, b"\x88")  # :status 200, no END_HEADERS
            state.raw += _frame(0x9, 0, stream_id, b"\x00\x01a\x01b") * 20_000
            return
        elif path == b"/window-overrun":
            conn.send_headers(stream_id, [(b":status", b"200")])
            piece = _frame(0x0, 0, stream_id, b"x" * 16_384)
            state.raw += piece * (2 * 1024 * 1024 // 16_384)  # twice the client's window
            return
        elif path in (b"/ping-flood", b"/settings-flood"):
            conn.send_headers(stream_id, [(b":status", b"200")])
            if path == b"/ping-flood":
                state.raw += _frame(0x6, 0, 0, b"12345678") * 5000
            else:
                state.raw += _frame(0x4, 0, 0, b"") * 5000
            return
        elif path == b"/endless":
            conn.send_headers(stream_id, [(b":status", b"200")])
            state.outgoing[stream_id] = None  # see _send_bodies
            return
        elif path == b"/hold":
            conn.send_headers(stream_id, [(b":status", b"200")])
            conn.send_data(stream_id, b"h")
            state.held.add(stream_id)
            return
        else:
            conn.send_headers(stream_id, [(b":status", b"404")], end_stream=True)
            return
        fields = [(b":status", b"200"), (b"content-length", str(len(body)).encode())]
        conn.send_headers(stream_id, fields, end_stream=not body)
        if body:
            state.outgoing[stream_id] = memoryview(body)

    def _send_bodies(self, conn: h2.connection.H2Connection, state: types.SimpleNamespace) -> None:
        for stream_id, view in list(state.outgoing.items()):
            window = min(
                conn.local_flow_control_window(stream_id), 16 * conn.max_outbound_frame_size
            )
            if view is None:  # an endless body: zeros as the window allows
                frame = conn.max_outbound_frame_size
                for _ in range(window // frame):
                    conn.send_data(stream_id, bytes(frame))
                    self.body_bytes_sent += frame
                continue
            size = min(window, len(view))
            offset = 0
            while offset < size:
                step = min(conn.max_outbound_frame_size, size - offset)
                last = offset + step == len(view)
                conn.send_data(stream_id, view[offset : offset + step].tobytes(), end_stream=last)
                offset += step
            view = view[size:]
            self.body_bytes_sent += size
            if view:
                state.outgoing[stream_id] = view
            else:
                del state.outgoing[stream_id]
                if self.goaway_after_first:
                    conn.close_connection(last_stream_id=stream_id)
                    return
