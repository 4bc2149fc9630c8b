"""HTTP/2 frame sequences for the splitter's tests and fuzz target: well-formed frames of every
kind the splitter treats differently (DATA padded or not, header blocks open and closed,
control frames), with the damage a hostile server can do (bad padding, frames over the size
limit, DATA past a window, stray bytes)."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING = 0, 1, 2, 3, 4, 5, 6
GOAWAY, WINDOW_UPDATE, CONTINUATION = 7, 8, 9
END_STREAM, END_HEADERS, PADDED = 0x1, 0x4, 0x8


def frame(kind: int, flags: int, stream_id: int, payload: bytes) -> bytes:
    return (
        len(payload).to_bytes(3, "big")
        + bytes([kind, flags])
        + stream_id.to_bytes(4, "big")
        + payload
    )


def data_frame(stream_id: int, body: bytes, end: bool = False, pad: int | None = None) -> bytes:
    """A DATA frame; `pad` adds a pad length byte and that many zero bytes."""
    flags = END_STREAM if end else 0
    if pad is None:
        return frame(DATA, flags, stream_id, body)
    return frame(DATA, flags | PADDED, stream_id, bytes([pad]) + body + b"\0" * pad)


@st.composite
def frames(draw: st.DrawFn, max_frame_size: int = 16384) -> bytes:
    """One frame, mostly DATA on the streams the tests open (1, 3), sometimes damaged."""
    stream_id = draw(st.sampled_from([1, 1, 1, 3, 3, 5, 0, 0x80000001]))
    kind = draw(st.sampled_from([DATA] * 8 + [HEADERS, CONTINUATION, PUSH_PROMISE, PING,
                                              SETTINGS, WINDOW_UPDATE, RST_STREAM, PRIORITY,
                                              GOAWAY, 0x20]))  # fmt: skip
    flags = draw(st.integers(0, 255)) if draw(st.integers(0, 4)) == 0 else 0
    if kind == DATA:
        size = draw(st.sampled_from([0, 1, 7, 100, 300]))
        body = draw(st.binary(min_size=size, max_size=size)) if size < 10 else b"d" * size
        end = draw(st.integers(0, 5)) == 0
        how = draw(st.integers(0, 9))
        if how < 6:
            return data_frame(stream_id, body, end)
        if how < 9:
            return data_frame(stream_id, body, end, pad=draw(st.integers(0, 20)))
        # padding that is not shorter than the frame, or a PADDED frame with no pad length
        payload = draw(st.sampled_from([b"", b"\x01", b"\x05abc"]))
        return frame(DATA, PADDED | (END_STREAM if end else 0), stream_id, payload)
    if kind in (HEADERS, PUSH_PROMISE, CONTINUATION):
        flags = (flags & ~END_HEADERS) | (END_HEADERS if draw(st.booleans()) else 0)
    if draw(st.integers(0, 30)) == 0:  # over the limit: only the header is checked
        header = frame(kind, flags, stream_id, b"")
        return (max_frame_size + 1).to_bytes(3, "big") + header[3:] + b"x" * 20
    payload = draw(st.binary(max_size=12))
    return frame(kind, flags, stream_id, payload)


@dataclass(frozen=True)
class SplitterCase:
    data: bytes
    cuts: tuple[int, ...]
    # after each piece: (operation, stream id) with operation in OPERATIONS
    operations: tuple[tuple[int, int], ...]
    opened: tuple[int, ...]  # streams opened before the first byte
    stream_window: int
    connection_window: int
    as_bytearray: bool
    # DATA payloads this large are received in place: the reads go into `read_buffer()`
    # whenever it offers one (the socket client's way), up to the cut
    direct_min: int = 1 << 20

    def pieces(self) -> list[bytes]:
        points = [0, *sorted(c % (len(self.data) + 1) for c in self.cuts), len(self.data)]
        return [self.data[a:b] for a, b in zip(points, points[1:], strict=False)]


OPERATIONS = ("open", "close", "consumed", "forget", "none", "none")

splitter_cases = st.builds(
    SplitterCase,
    data=st.lists(frames(), max_size=25).map(b"".join)
    | st.builds(
        lambda a, b: a + b, st.lists(frames(), max_size=10).map(b"".join), st.binary(max_size=30)
    ),  # fmt: skip
    cuts=st.lists(st.integers(0, 1 << 16), max_size=10).map(tuple),
    operations=st.lists(
        st.tuples(st.integers(0, len(OPERATIONS) - 1), st.sampled_from([1, 3, 5])), max_size=12
    ).map(tuple),
    opened=st.lists(st.sampled_from([1, 3]), max_size=2, unique=True).map(tuple),
    stream_window=st.sampled_from([0, 100, 400, 65535]),
    connection_window=st.sampled_from([0, 300, 2000, 2**31 - 1]),
    as_bytearray=st.booleans(),
    direct_min=st.sampled_from([1 << 20, 1, 50, 200]),
)


def drive_splitter(module: object, case: SplitterCase) -> list[object]:
    """Every call a client makes and what it saw: items, errors, windows and the updates due.
    Stops after the first error (and checks that the next call raises it again)."""
    splitter = module.H2FrameSplitter(  # type: ignore[attr-defined]
        16384, case.stream_window, case.connection_window, direct_min=case.direct_min
    )
    for stream_id in case.opened:
        splitter.open(stream_id)
    seen: list[object] = []
    operations = list(case.operations)

    def drain() -> None:
        while (item := splitter.next()) is not None:
            seen.append(item)
            if item[0] and operations:  # the consumer reads now and then
                operation, stream_id = operations.pop(0)
                getattr(splitter, OPERATIONS[operation], lambda _: None)(stream_id)

    for piece in case.pieces():
        try:
            while piece and (room := splitter.read_buffer()) is not None:
                with memoryview(room) as view:
                    n = min(len(view), len(piece))
                    view[:n] = piece[:n]
                del room
                seen.append(("into", n, splitter.buffered))
                splitter.received_into(n)
                piece = piece[n:]
                drain()
            if piece:
                splitter.feed(bytearray(piece) if case.as_bytearray else piece)
                drain()
        except Exception as exc:
            seen.append(("raise", type(exc).__name__, str(exc), getattr(exc, "code", None)))
            try:
                splitter.next()
            except Exception as again:
                seen.append(("again", type(again).__name__, str(again)))
            return seen
        for stream_id in (1, 3, 5):
            seen.append((stream_id, splitter.window(stream_id), splitter.held(stream_id),
                         splitter.is_open(stream_id)))  # fmt: skip
        seen.append(("conn", splitter.connection_window, splitter.buffered))
        seen.append(("out", splitter.data_to_send()))
    return seen
