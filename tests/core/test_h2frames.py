"""The HTTP/2 received-frame splitter: what it takes, what it hands to h2, its windows and
bounds; the compiled type against its pure twin on random frame sequences split anywhere."""

from __future__ import annotations

import importlib
import types

import pytest
from hypothesis import given, settings

import _cstream
from _cstream._errors import H2FrameError

from ._h2frames import (
    CONTINUATION,
    END_HEADERS,
    HEADERS,
    PING,
    SETTINGS,
    SplitterCase,
    data_frame,
    drive_splitter,
    frame,
    splitter_cases,
)


def _load(name: str) -> types.ModuleType:
    if name == "python":
        return importlib.import_module("_cstream._pure._h2frames")
    try:
        return importlib.import_module("_cstream._h2frames")
    except ImportError as exc:
        if _cstream.REQUIRE_EXTENSIONS:
            raise
        pytest.skip(f"the compiled module _h2frames was not built on this machine ({exc})")


@pytest.fixture(params=["c", "python"], scope="module")
def h2f(request: pytest.FixtureRequest) -> types.ModuleType:
    return _load(request.param)


def items(splitter: object, data: bytes) -> list[tuple[int, bytes, bool]]:
    splitter.feed(data)  # type: ignore[attr-defined]
    out = []
    while (item := splitter.next()) is not None:  # type: ignore[attr-defined]
        out.append(item)
    return out


PING_FRAME = frame(PING, 0, 0, b"12345678")


def test_data_of_an_open_stream_is_taken_and_the_rest_passed_in_order(
    h2f: types.ModuleType,
) -> None:
    splitter = h2f.H2FrameSplitter(16384, 1000, 5000)
    splitter.open(1)
    data = (
        PING_FRAME
        + frame(SETTINGS, 0, 0, b"")
        + data_frame(1, b"hello")
        + data_frame(3, b"not open")
        + PING_FRAME
        + data_frame(1, b"world", end=True)
        + data_frame(1, b"after the end")
    )
    got = items(splitter, data)
    assert got == [
        (0, PING_FRAME + frame(SETTINGS, 0, 0, b""), False),
        (1, b"hello", False),
        (0, data_frame(3, b"not open") + PING_FRAME, False),
        (1, b"world", True),
        (0, data_frame(1, b"after the end"), False),  # ended: h2 judges it
    ]
    assert splitter.window(1) == 1000 - 10 and splitter.connection_window == 5000 - 10
    assert not splitter.is_open(1) and splitter.held(1) == 10


def test_padding_is_stripped_and_counted_against_the_windows(h2f: types.ModuleType) -> None:
    splitter = h2f.H2FrameSplitter(16384, 1000, 5000)
    splitter.open(1)
    assert items(splitter, data_frame(1, b"abc", pad=4)) == [(1, b"abc", False)]
    assert splitter.window(1) == 1000 - 8 and splitter.held(1) == 8
    assert items(splitter, data_frame(1, b"", pad=0)) == [(1, b"", False)]


@pytest.mark.parametrize(
    ("payload", "code"), [(b"", 6), (b"\x01", 1), (b"\x05abcd", 1), (b"\xff", 1)]
)
def test_padding_not_shorter_than_the_frame_is_a_protocol_error(
    h2f: types.ModuleType, payload: bytes, code: int
) -> None:
    """(A PADDED frame with no room for its pad length is malformed: FRAME_SIZE_ERROR.)"""
    splitter = h2f.H2FrameSplitter(16384, 1000, 5000)
    splitter.open(1)
    splitter.feed(frame(0, 0x8, 1, payload))
    with pytest.raises(H2FrameError) as info:
        splitter.next()
    assert info.value.code == code
    with pytest.raises(H2FrameError):  # dead from now on
        splitter.feed(PING_FRAME)


def test_data_past_a_window_is_a_flow_control_error(h2f: types.ModuleType) -> None:
    splitter = h2f.H2FrameSplitter(16384, 100, 5000)
    splitter.open(1)
    assert items(splitter, data_frame(1, b"x" * 100)) == [(1, b"x" * 100, False)]
    splitter.feed(data_frame(1, b"y"))
    with pytest.raises(H2FrameError, match="stream 1's flow control window") as info:
        splitter.next()
    assert info.value.code == 3
    splitter = h2f.H2FrameSplitter(16384, 1000, 150)
    splitter.open(1)
    splitter.open(3)
    splitter.feed(data_frame(1, b"x" * 100) + data_frame(3, b"x" * 100))
    assert splitter.next() == (1, b"x" * 100, False)
    with pytest.raises(H2FrameError, match="connection flow control window") as info:
        splitter.next()
    assert info.value.code == 3


def test_a_header_over_the_frame_limit_fails_before_the_frame_is_buffered(
    h2f: types.ModuleType,
) -> None:
    splitter = h2f.H2FrameSplitter(16384, 1000, 5000)
    splitter.feed(frame(PING, 0, 0, b"x" * 16385)[:12])
    with pytest.raises(H2FrameError, match="overlong frame: length 16385, max 16384") as info:
        splitter.next()
    assert info.value.code == 6
    assert splitter.buffered == 0


def test_a_partial_frame_waits_for_the_rest_and_is_bounded(h2f: types.ModuleType) -> None:
    splitter = h2f.H2FrameSplitter(16384, 100000, 100000)
    splitter.open(1)
    whole = data_frame(1, b"z" * 16384) + PING_FRAME
    # byte by byte: nothing comes out until a frame is whole, and only that frame is kept
    got = []
    for i in range(len(whole)):
        got += items(splitter, whole[i : i + 1])
        assert splitter.buffered <= 16384 + 9
    assert got == [(1, b"z" * 16384, False), (0, PING_FRAME, False)]
    assert splitter.buffered == 0


def read_into(splitter: object, data: bytes) -> int:
    """One socket read of `data` into the splitter's `read_buffer` (as much as fits)."""
    room = splitter.read_buffer()  # type: ignore[attr-defined]
    assert room is not None
    with memoryview(room) as view:
        n = min(len(view), len(data))
        view[:n] = data[:n]
    del room
    splitter.received_into(n)  # type: ignore[attr-defined]
    return n


def drain(splitter: object) -> list[tuple[int, bytes, bool]]:
    out = []
    while (item := splitter.next()) is not None:  # type: ignore[attr-defined]
        out.append(item)
    return out


def test_a_large_frame_is_received_in_place(h2f: types.ModuleType) -> None:
    size = h2f.DIRECT_MIN + 1000
    body = bytes(range(256)) * (size // 256) + b"e" * (size % 256)
    splitter = h2f.H2FrameSplitter(1 << 20, 1 << 22, 1 << 30)
    splitter.open(1)
    wire = PING_FRAME + data_frame(1, body) + PING_FRAME + data_frame(1, body, end=True)
    first = len(PING_FRAME) + 9 + 500
    # the first read holds the frame's start: it is kept, and the rest is read in place
    assert items(splitter, wire[:first]) == [(0, PING_FRAME, False)]
    assert splitter.buffered == 9 + 500
    assert len(memoryview(splitter.read_buffer())) == size - 500 + 9  # + the next header
    pos = first + read_into(splitter, wire[first : first + 1000])  # a short read
    assert drain(splitter) == [] and splitter.buffered == 9 + 1500
    pos += read_into(splitter, wire[pos:])  # to the payload's end and 9 bytes past it
    assert pos == len(PING_FRAME) + 9 + size + 9
    assert drain(splitter) == [(1, body, False)]
    assert splitter.buffered == 9  # the PING's header, from the spare bytes
    assert splitter.read_buffer() is None  # a PING is not received in place
    splitter.feed(wire[pos : pos + 8 + 9])  # the PING's payload, the next DATA's header
    assert drain(splitter) == [(0, PING_FRAME, False)]
    assert splitter.read_buffer() is not None
    pos += 8 + 9
    while pos < len(wire):
        pos += read_into(splitter, wire[pos : pos + 70000])
    assert drain(splitter) == [(1, body, True)]
    assert splitter.held(1) == 2 * size and splitter.window(1) == (1 << 22) - 2 * size
    assert splitter.buffered == 0 and splitter.read_buffer() is None


def test_a_piece_received_in_place_is_its_own_while_a_view_is_kept(
    h2f: types.ModuleType,
) -> None:
    size = h2f.DIRECT_MIN
    splitter = h2f.H2FrameSplitter(1 << 20, 1 << 22, 1 << 30)
    splitter.open(1)
    wire = data_frame(1, b"a" * size)
    assert items(splitter, wire[:100]) == []
    view = memoryview(splitter.read_buffer())
    n = len(wire) - 100
    view[:n] = wire[100:]
    splitter.received_into(n)
    ((stream_id, piece, end),) = drain(splitter)
    view[:10] = b"b" * 10  # writes through a view that outlived its read
    assert piece == b"a" * size and (stream_id, end) == (1, False)
    view.release()


def test_a_frame_received_in_place_for_a_stream_closed_meanwhile_goes_to_h2(
    h2f: types.ModuleType,
) -> None:
    size = h2f.DIRECT_MIN
    splitter = h2f.H2FrameSplitter(1 << 20, 1 << 22, 1 << 30)
    splitter.open(1)
    wire = data_frame(1, b"c" * size, end=True)
    assert items(splitter, wire[:9]) == []
    splitter.close(1)
    read_into(splitter, wire[9:])
    assert drain(splitter) == [(0, wire, False)]
    assert splitter.connection_window == 1 << 30  # h2 counts it, not the splitter


def test_received_into_takes_only_what_read_buffer_offered(h2f: types.ModuleType) -> None:
    splitter = h2f.H2FrameSplitter(1 << 20, 1 << 22, 1 << 30)
    splitter.open(1)
    with pytest.raises(ValueError):
        splitter.received_into(1)  # no frame is being received in place
    size = h2f.DIRECT_MIN
    assert items(splitter, data_frame(1, b"d" * size)[:20]) == []
    with pytest.raises(ValueError):
        splitter.received_into(size - 11 + 9 + 1)
    padded = h2f.H2FrameSplitter(1 << 20, 1 << 22, 1 << 30)
    padded.open(1)
    assert items(padded, data_frame(1, b"d" * size, pad=3)[:20]) == []
    assert padded.read_buffer() is None  # padded frames are kept as they come


def test_data_inside_a_header_block_goes_to_h2(h2f: types.ModuleType) -> None:
    splitter = h2f.H2FrameSplitter(16384, 1000, 5000)
    splitter.open(1)
    opened = frame(HEADERS, 0, 3, b"\x88")  # no END_HEADERS: a CONTINUATION must follow
    got = items(splitter, opened + data_frame(1, b"a") + frame(CONTINUATION, END_HEADERS, 3, b""))
    assert got == [
        (0, opened, False),
        (0, data_frame(1, b"a") + frame(CONTINUATION, END_HEADERS, 3, b""), False),
    ]
    assert items(splitter, data_frame(1, b"b")) == [(1, b"b", False)]  # the block ended


def test_windows_reopen_as_the_consumer_reads(h2f: types.ModuleType) -> None:
    splitter = h2f.H2FrameSplitter(16384, 1000, 4000)
    splitter.open(1)
    items(splitter, data_frame(1, b"x" * 400))
    splitter.consumed(1)
    assert splitter.data_to_send() == b""  # under half of either window
    items(splitter, data_frame(1, b"x" * 100, pad=9))  # 110 flow-controlled bytes
    splitter.consumed(1)
    # 510 of the stream's 1000: its WINDOW_UPDATE; the connection's waits for 2000
    assert splitter.data_to_send() == frame(8, 0, 1, (510).to_bytes(4, "big"))
    assert splitter.window(1) == 1000 and splitter.held(1) == 0
    for _ in range(3):
        items(splitter, data_frame(1, b"x" * 500))
        splitter.consumed(1)
    out = splitter.data_to_send()
    assert frame(8, 0, 0, (2010).to_bytes(4, "big")) in out
    assert splitter.connection_window == 4000


def test_a_stalled_consumer_holds_the_server_to_one_window(h2f: types.ModuleType) -> None:
    splitter = h2f.H2FrameSplitter(16384, 1000, 10**6)
    splitter.open(1)
    assert items(splitter, data_frame(1, b"x" * 1000)) == [(1, b"x" * 1000, False)]
    assert splitter.data_to_send() == b""  # nothing consumed: the window stays shut
    splitter.feed(data_frame(1, b"x"))
    with pytest.raises(H2FrameError):
        splitter.next()


def test_an_ended_or_forgotten_stream_gives_the_connection_window_back(
    h2f: types.ModuleType,
) -> None:
    splitter = h2f.H2FrameSplitter(16384, 10**6, 1000)
    splitter.open(1)
    splitter.open(3)
    items(splitter, data_frame(1, b"x" * 300, end=True) + data_frame(3, b"x" * 300))
    splitter.consumed(1)  # ended: only the connection's window reopens, no stream update
    splitter.forget(3)
    assert splitter.data_to_send() == frame(8, 0, 0, (600).to_bytes(4, "big"))
    assert splitter.window(1) == splitter.window(3) == -1  # neither is kept any more


def test_bad_arguments(h2f: types.ModuleType) -> None:
    with pytest.raises(ValueError):
        h2f.H2FrameSplitter(16383)
    with pytest.raises(ValueError):
        h2f.H2FrameSplitter(16384, 2**31)
    splitter = h2f.H2FrameSplitter()
    with pytest.raises(ValueError):
        splitter.open(0)
    with pytest.raises(TypeError):
        splitter.feed(5)
    with pytest.raises(ValueError):
        h2f.H2FrameSplitter(direct_min=0)


@settings(max_examples=300)
@given(splitter_cases)
def test_compiled_and_pure_agree(case: SplitterCase) -> None:
    compiled, pure = _load("c"), _load("python")
    assert drive_splitter(compiled, case) == drive_splitter(pure, case)


@settings(max_examples=100)
@given(splitter_cases)
def test_the_split_does_not_change_what_comes_out(case: SplitterCase) -> None:
    """Taken payloads, errors and windows are the same whole or split (only the runs for h2
    may be cut differently: their bytes are the same, in the same order)."""
    module = _load("python")
    whole = SplitterCase(case.data, (), case.operations, case.opened, case.stream_window,
                         case.connection_window, False, case.direct_min)  # fmt: skip

    def flat(seen: list[object]) -> list[object]:
        out: list[object] = []
        control = b""
        for item in seen:
            if isinstance(item, tuple) and item[0] == 0:
                control += item[1]
            elif isinstance(item, tuple) and isinstance(item[0], int) and len(item) == 3:
                out += [("h2", control), item]
                control = b""
            elif isinstance(item, tuple) and item[0] == "into":
                pass  # where the reads went, which the cuts decide
            elif isinstance(item, tuple) and item[0] in ("raise", "again"):
                out += [("h2", control), item[:2] + item[3:]]
                control = b""
        return [*out, ("h2", control)]

    if case.operations:  # the consumer's calls come between items: same items only without them
        return
    assert flat(drive_splitter(module, case)) == flat(drive_splitter(module, whole))
