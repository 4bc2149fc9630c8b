"""HTTP/2 received-frame splitter (sans-I/O), compiled; twin: `_cstream._pure._h2frames`.

An HTTP/2 client feeds every read to `feed`, then calls `next` until it returns None. Each
item is, in the order the frames arrived, either a DATA frame the splitter took,
``(stream_id, payload, end_stream)``, or ``(0, frames, False)``: whole frames, byte for byte,
for the protocol engine (every frame but a taken DATA frame). A DATA frame is taken when its
stream was `open`\\ ed, has not ended, and no header block is open; a run for the engine ends
before every DATA frame, so the caller has processed what came before it when the splitter
decides. The payload has its padding stripped; the frame's whole length counts against the
stream's and the connection's receive windows, kept here and reopened by `consumed`, whose
WINDOW_UPDATE frames are in `data_to_send`.

A frame header's length is checked against `max_frame_size` before anything of the frame is
kept, so at most `max_frame_size` + 9 bytes are buffered between reads. Errors are
`H2FrameError` with the GOAWAY's error code (FRAME_SIZE_ERROR, PROTOCOL_ERROR for bad padding,
FLOW_CONTROL_ERROR); the splitter is dead afterwards and every later feed/next raises it again.
"""

from typing import final

from typing_extensions import Buffer, disjoint_base

from _cstream._errors import H2FrameError as H2FrameError

__all__ = ["DIRECT_MIN", "H2FrameError", "H2FrameSplitter"]

DIRECT_MIN: int
"""A taken DATA frame this large (unpadded) whose payload has not all arrived is received in
place: `read_buffer` lends the rest of its payload object (and 9 bytes more, room for the
next frame's header) to the caller's socket read, so the piece's bytes are written once, by
the kernel (the pure twin copies them out once more)."""

@disjoint_base
class _Stream: ...

@final
class H2FrameSplitter:
    def __init__(
        self,
        max_frame_size: int = 16384,
        stream_window: int = 65535,
        connection_window: int = 65535,
        direct_min: int = ...,
    ) -> None:
        """`direct_min`: the smallest DATA payload received in place (`DIRECT_MIN`)."""
    def feed(self, data: Buffer) -> None:
        """Bytes read from the connection, walked by the following `next` calls."""
    def next(self) -> tuple[int, bytes, bool] | None:
        """The next item (see the module docs), or None when the input is used up (a partial
        frame is kept for the next feed)."""
    @property
    def buffered(self) -> int:
        """Bytes of a partial frame kept for the next feed."""
    def open(self, stream_id: int) -> None:
        """DATA for this stream is taken from now on (its response head has arrived)."""
    def is_open(self, stream_id: int) -> bool:
        """DATA for this stream is taken now."""
    def close(self, stream_id: int) -> None:
        """DATA for this stream goes to the engine from now on; its held bytes still reopen
        the connection window when consumed or forgotten."""
    def held(self, stream_id: int) -> int:
        """Flow-controlled bytes taken for this stream and not yet consumed."""
    def consumed(self, stream_id: int) -> None:
        """The consumer took every payload of this stream: their bytes go back to the stream's
        window (while it is open) and the connection's."""
    def forget(self, stream_id: int) -> None:
        """Drops the stream; its held bytes go back to the connection window."""
    @property
    def connection_window(self) -> int:
        """What the server may still send on the connection (of the DATA taken here)."""
    def window(self, stream_id: int) -> int:
        """What the server may still send on this stream; -1 for a stream not kept."""
    def read_buffer(self) -> Buffer | None:
        """Where the next socket read should go: a writable buffer over the rest of a large
        DATA payload being received and 9 bytes more (report the count with
        `received_into`, and drop the buffer before `next`); None: read into a new bytes
        object and `feed` it."""
    def received_into(self, count: int) -> None:
        """`count` bytes were read into the start of the last `read_buffer`; `next` goes on.
        ValueError when no such buffer was due or `count` is larger than it."""
    def data_to_send(self) -> bytes:
        """The WINDOW_UPDATE frames due since the last call (b"" when none)."""
