"""HTTP/2 received-frame splitter, pure-Python twin of `_cstream._h2frames` (same behaviour).

An HTTP/2 client hands every byte it reads to `H2FrameSplitter.feed`, then calls `next` until
it returns None. The splitter walks the bytes frame by frame (by the 9-byte frame headers) and
returns, in the order the frames arrived, either

* ``(stream_id, payload, end_stream)`` for a DATA frame it takes: one on a stream the caller
  `open`\\ ed (its response head has arrived), while no header block is open; the payload has
  its padding stripped, and the frame's whole length counted against the stream's and the
  connection's receive windows, which the splitter keeps; or
* ``(0, frames, False)``: whole frames, byte for byte, for the protocol engine (h2): every
  frame but a taken DATA frame. Such a run ends before any DATA frame, so that the caller
  has processed what came before a DATA frame (a response head opening its stream) when the
  splitter decides whether to take it.

The caller reopens windows with `consumed` as its consumer takes the payloads; the
WINDOW_UPDATE frames that makes due are in `data_to_send`. A stream whose END_STREAM was
taken is no longer open (the caller tells the engine with an empty DATA frame that ends it).

Bounds come from lengths alone: a frame header's length is checked against `max_frame_size`
before anything of the frame is kept, so at most one partial frame (`max_frame_size` + 9
bytes) is buffered between reads. Errors are `H2FrameError` with the GOAWAY's error code: a
frame over `max_frame_size` (FRAME_SIZE_ERROR), a taken DATA frame whose padding is not
shorter than the frame (PROTOCOL_ERROR) or that is larger than a window (FLOW_CONTROL_ERROR).
After an error the splitter is dead: every later call raises it again.

A large taken DATA frame (`direct_min` bytes or more, `DIRECT_MIN` by default; unpadded)
whose payload has not all arrived is received in place: the splitter keeps a buffer of its
payload length + 9 bytes, copies in what the input holds of it, and `read_buffer` lends the
rest of that buffer (the 9 spare bytes being room for the next frame's header) to the
caller's socket read, reported with `received_into`; the complete payload is the piece. The
compiled type makes that buffer the piece itself (the payload's one copy is the kernel's);
this twin copies it out.
"""

from __future__ import annotations

from .._errors import (
    H2_BAD_PADDING,
    H2_CONNECTION_WINDOW,
    H2_FRAME_TOO_LARGE,
    H2_NO_PAD_LENGTH,
    H2_STREAM_WINDOW,
    H2FrameError,
)

__all__ = ["DIRECT_MIN", "H2FrameError", "H2FrameSplitter"]

DIRECT_MIN = 128 * 1024  # a taken DATA frame this large is received in place

_DATA = 0x0
_HEADERS = 0x1
_PUSH_PROMISE = 0x5
_CONTINUATION = 0x9
_END_STREAM = 0x1
_END_HEADERS = 0x4
_PADDED = 0x8
_PROTOCOL_ERROR = 1
_FLOW_CONTROL_ERROR = 3
_FRAME_SIZE_ERROR = 6
_MAX_WINDOW = 2**31 - 1


class _Stream:
    """The receive window of one open stream, and its taken bytes not yet consumed."""

    __slots__ = ("held", "processed", "taking", "window")

    def __init__(self, window: int) -> None:
        self.window = window  # what the server may still send
        self.processed = 0  # consumed bytes not yet handed back in a WINDOW_UPDATE
        self.held = 0  # taken bytes the consumer has not taken yet
        self.taking = True  # DATA for this stream is taken (open, not ended)


def _increment(window: int, processed: int, largest: int) -> int:
    """How much to hand back now: nothing until half the window was consumed (or the window
    is shut and more than a little was), so that a run of small frames costs few updates."""
    if processed and (
        processed >= largest // 2 or (window == 0 and processed > min(1024, largest // 4))
    ):
        return min(processed, largest - window)
    return 0


def _window_update(stream_id: int, increment: int) -> bytes:
    return b"\x00\x00\x04\x08\x00" + stream_id.to_bytes(4, "big") + increment.to_bytes(4, "big")


class H2FrameSplitter:
    __slots__ = (
        "_conn_processed",
        "_conn_window",
        "_connection_window",
        "_data",
        "_dfill",
        "_direct_min",
        "_dhead",
        "_direct",
        "_error",
        "_in_block",
        "_max_frame_size",
        "_out",
        "_pending",
        "_pos",
        "_stream_window",
        "_streams",
    )

    def __init__(
        self,
        max_frame_size: int = 16384,
        stream_window: int = 65535,
        connection_window: int = 65535,
        direct_min: int = DIRECT_MIN,
    ) -> None:
        if not 16384 <= max_frame_size <= 2**24 - 1:
            raise ValueError("max_frame_size must be between 16384 and 16777215")
        if not 0 <= stream_window <= _MAX_WINDOW or not 0 <= connection_window <= _MAX_WINDOW:
            raise ValueError("a window must be between 0 and 2147483647")
        if direct_min < 1:
            raise ValueError("direct_min must be at least 1")
        self._direct_min = direct_min
        self._max_frame_size = max_frame_size
        self._stream_window = stream_window
        self._connection_window = connection_window
        self._conn_window = connection_window
        self._conn_processed = 0
        self._streams: dict[int, _Stream] = {}
        self._pending = bytearray()  # the start of a frame the input ended inside
        self._data = b""  # the input being walked
        self._pos = 0
        self._in_block = False  # a HEADERS/PUSH_PROMISE without END_HEADERS is continuing
        self._out = bytearray()
        self._error: H2FrameError | None = None
        # the large DATA frame being received in place: its payload length + 9 bytes (None
        # when there is none), its 9 header bytes, and its payload bytes received so far
        self._direct: bytearray | None = None
        self._dhead = b""
        self._dfill = 0

    # -- input -------------------------------------------------------------------------------

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        if self._error is not None:
            raise self._error
        rest = len(self._data) - self._pos
        if rest:  # `next` was not called until None: the unread input goes first
            self._data = bytes(self._data[self._pos :]) + bytes(memoryview(data))
        else:
            self._data = data if type(data) is bytes else bytes(memoryview(data))
        self._pos = 0

    @property
    def buffered(self) -> int:
        """Bytes of a partial frame kept for the next read."""
        if self._direct is not None:
            return 9 + self._dfill
        return len(self._pending)

    def _fail(self, code: int, message: str) -> H2FrameError:
        self._error = H2FrameError(code, message)
        return self._error

    def _header(self) -> tuple[int, int, int, int] | None:
        """The next frame's (length, type, flags, stream id) without consuming it; None when
        its 9 header bytes have not all arrived (what did is in `_pending`)."""
        pending = self._pending
        data = self._data
        if pending:
            if len(pending) < 9:
                take = min(9 - len(pending), len(data) - self._pos)
                pending += data[self._pos : self._pos + take]
                self._pos += take
                if len(pending) < 9:
                    return None
            head: bytes | bytearray = pending
            at = 0
        else:
            if len(data) - self._pos < 9:
                pending += data[self._pos :]
                self._pos = len(data)
                return None
            head = data
            at = self._pos
        length = int.from_bytes(head[at : at + 3], "big")
        if length > self._max_frame_size:
            raise self._fail(
                _FRAME_SIZE_ERROR, H2_FRAME_TOO_LARGE.format(length, self._max_frame_size)
            )
        stream_id = int.from_bytes(head[at + 5 : at + 9], "big") & 0x7FFFFFFF
        return length, head[at + 3], head[at + 4], stream_id

    def _frame(self, length: int) -> tuple[bytes, int, bool] | None:
        """Consumes the next frame (header included) once all of it has arrived: the bytes
        holding it, where it starts in them, and whether they are the pending buffer's copy."""
        total = 9 + length
        pending = self._pending
        data = self._data
        if pending:
            take = min(total - len(pending), len(data) - self._pos)
            pending += data[self._pos : self._pos + take]
            self._pos += take
            if len(pending) < total:
                return None
            frame = bytes(pending)
            pending.clear()
            return frame, 0, True
        if len(data) - self._pos < total:
            pending += data[self._pos :]
            self._pos = len(data)
            return None
        at = self._pos
        self._pos += total
        return data, at, False

    def next(self) -> tuple[int, bytes, bool] | None:
        if self._error is not None:
            raise self._error
        if self._direct is not None:
            if not self._fill_direct():
                return None
            return self._direct_done()
        run_start = run_end = -1  # the run of whole frames for the engine, in the input
        while True:
            try:
                header = self._header()
            except H2FrameError:
                if run_start >= 0:
                    break  # the frames before it first; the next call raises
                raise
            if header is None:
                break
            length, kind, flags, stream_id = header
            if kind == _DATA:
                if run_start >= 0:
                    break  # hand the frames before it over first
                stream = self._streams.get(stream_id)
                if stream is not None and stream.taking and not self._in_block:
                    if (
                        length >= self._direct_min
                        and not flags & _PADDED
                        and len(self._pending) + len(self._data) - self._pos < 9 + length
                    ):
                        self._start_direct(length)
                        return None
                    found = self._frame(length)
                    if found is None:
                        return None
                    return self._take(stream, stream_id, flags, length, *found[:2])
            found = self._frame(length)
            if found is None:
                break
            if kind == _HEADERS or kind == _PUSH_PROMISE:
                self._in_block = not flags & _END_HEADERS
            elif kind == _CONTINUATION and flags & _END_HEADERS:
                self._in_block = False
            frames, at, copied = found
            if copied:  # a frame completed from the pending buffer goes alone
                return 0, frames, False
            if run_start < 0:
                run_start = at
            run_end = self._pos
        if run_start < 0:
            return None
        return 0, self._data[run_start:run_end], False

    def _take(
        self, stream: _Stream, stream_id: int, flags: int, length: int, frame: bytes, at: int
    ) -> tuple[int, bytes, bool]:
        start = at + 9
        stop = start + length
        if flags & _PADDED:
            if length == 0:  # no room for the pad length: a malformed frame, as h2 rules
                raise self._fail(_FRAME_SIZE_ERROR, H2_NO_PAD_LENGTH)
            pad = frame[start]
            if pad >= length:
                raise self._fail(_PROTOCOL_ERROR, H2_BAD_PADDING.format(pad, length))
            start += 1
            stop -= pad
        end = self._charge(stream, stream_id, flags, length)
        return stream_id, bytes(frame[start:stop]), end

    def _charge(self, stream: _Stream, stream_id: int, flags: int, length: int) -> bool:
        """Counts a taken DATA frame of `length` against both windows (a flow-control error
        past either); whether it ends the stream."""
        if length > self._conn_window:
            raise self._fail(
                _FLOW_CONTROL_ERROR, H2_CONNECTION_WINDOW.format(length, self._conn_window)
            )
        if length > stream.window:
            raise self._fail(
                _FLOW_CONTROL_ERROR, H2_STREAM_WINDOW.format(length, stream_id, stream.window)
            )
        self._conn_window -= length
        stream.window -= length
        stream.held += length
        end = bool(flags & _END_STREAM)
        if end:
            stream.taking = False
        return end

    # -- large DATA payloads received in place ----------------------------------------------

    def _start_direct(self, length: int) -> None:
        """The frame whose header was just read is received in place from now on; all the
        input there is belongs to it (it is not whole)."""
        direct = self._direct = bytearray(length + 9)
        pending = self._pending
        if pending:
            self._dhead = bytes(pending[:9])
            self._dfill = len(pending) - 9
            direct[: self._dfill] = pending[9:]
            pending.clear()
        else:
            self._dhead = bytes(self._data[self._pos : self._pos + 9])
            self._dfill = 0
            self._pos += 9
        self._fill_direct()

    def _fill_direct(self) -> bool:
        """Copies what the input holds of the payload in place; whether it is complete."""
        direct = self._direct
        assert direct is not None
        length = len(direct) - 9
        want = min(length - self._dfill, len(self._data) - self._pos)
        if want > 0:
            direct[self._dfill : self._dfill + want] = self._data[self._pos : self._pos + want]
            self._dfill += want
            self._pos += want
        return self._dfill == length

    def _direct_done(self) -> tuple[int, bytes, bool]:
        """The complete frame received in place: taken as `_take` would (its stream looked up
        again: it may have been closed meanwhile), else whole for the engine."""
        direct = self._direct
        assert direct is not None
        length = len(direct) - 9
        payload = bytes(memoryview(direct)[:length])
        header = self._dhead
        self._direct = None
        self._dhead = b""
        flags = header[4]
        stream_id = int.from_bytes(header[5:9], "big") & 0x7FFFFFFF
        stream = self._streams.get(stream_id)
        if stream is None or not stream.taking:
            return 0, header + payload, False
        end = self._charge(stream, stream_id, flags, length)
        return stream_id, payload, end

    def read_buffer(self) -> memoryview | None:
        """Where the next socket read should go: the rest of a large DATA payload being
        received and 9 bytes more (report the count with `received_into`); None: read into a
        new bytes object and `feed` it."""
        direct = self._direct
        if self._error is not None or direct is None or self._pos < len(self._data):
            return None
        return memoryview(direct)[self._dfill :]

    def received_into(self, count: int) -> None:
        """`count` bytes were read into the start of the last `read_buffer`; `next` goes on."""
        if self._error is not None:
            raise self._error
        direct = self._direct
        if (
            direct is None
            or self._pos < len(self._data)
            or not 0 <= count <= len(direct) - self._dfill
        ):
            raise ValueError("received_into() takes the count of bytes read into read_buffer()")
        length = len(direct) - 9
        self._dfill += count
        if self._dfill > length:  # the start of the next frame, in the spare bytes
            self._data = bytes(direct[length : self._dfill])
            self._pos = 0
            self._dfill = length

    # -- streams and windows -----------------------------------------------------------------

    def open(self, stream_id: int) -> None:
        if stream_id <= 0 or stream_id > _MAX_WINDOW:
            raise ValueError("a stream id must be between 1 and 2147483647")
        stream = self._streams.get(stream_id)
        if stream is None:
            self._streams[stream_id] = _Stream(self._stream_window)
        else:
            stream.taking = True

    def is_open(self, stream_id: int) -> bool:
        stream = self._streams.get(stream_id)
        return stream is not None and stream.taking

    def close(self, stream_id: int) -> None:
        stream = self._streams.get(stream_id)
        if stream is not None:
            stream.taking = False
            if not stream.held:
                del self._streams[stream_id]

    def held(self, stream_id: int) -> int:
        stream = self._streams.get(stream_id)
        return 0 if stream is None else stream.held

    def consumed(self, stream_id: int) -> None:
        stream = self._streams.get(stream_id)
        if stream is None or not stream.held:
            return
        size = stream.held
        stream.held = 0
        if stream.taking:
            stream.processed += size
            increment = _increment(stream.window, stream.processed, self._stream_window)
            if increment:
                stream.processed = 0
                stream.window += increment
                self._out += _window_update(stream_id, increment)
        else:
            del self._streams[stream_id]
        self._credit(size)

    def forget(self, stream_id: int) -> None:
        stream = self._streams.pop(stream_id, None)
        if stream is not None and stream.held:
            self._credit(stream.held)

    def _credit(self, size: int) -> None:
        self._conn_processed += size
        increment = _increment(self._conn_window, self._conn_processed, self._connection_window)
        if increment:
            self._conn_processed = 0
            self._conn_window += increment
            self._out += _window_update(0, increment)

    @property
    def connection_window(self) -> int:
        return self._conn_window

    def window(self, stream_id: int) -> int:
        stream = self._streams.get(stream_id)
        return -1 if stream is None else stream.window

    def data_to_send(self) -> bytes:
        out = bytes(self._out)
        self._out.clear()
        return out
