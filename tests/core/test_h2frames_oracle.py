"""h2 as the oracle for the compiled DATA path: an `H2Exchange` whose splitter takes the DATA
frames of open streams, and the same exchange with a splitter that takes none (every frame goes
to h2, as before the splitter existed), fed the same server bytes split at the same points and
read by the same consumer, must give the same bodies, ends, stream and connection errors, and
send the same frames back (WINDOW_UPDATE, RST_STREAM, GOAWAY and its error code)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import hpack
from hypothesis import given, settings, strategies as st

import faststream
from _cstream._pure._h2frames import H2FrameSplitter as PureSplitter
from faststream._transports import _http2_exchange as h2x

from ._h2frames import (
    DATA,
    END_HEADERS,
    END_STREAM,
    HEADERS,
    PADDED,
    PING,
    RST_STREAM,
    SETTINGS,
    data_frame,
    frame,
)


class _TakesNothing(PureSplitter):
    """Hands every frame to h2: the behaviour the splitter must reproduce."""

    def open(self, stream_id: int) -> None:
        pass


STREAMS = (1, 3, 5)


@dataclass(frozen=True)
class Script:
    heads: tuple[bool, ...]  # per stream: a HEAD request (its Content-Length is 0)
    actions: tuple[tuple[Any, ...], ...]
    cuts: tuple[int, ...]


@st.composite
def actions(draw: st.DrawFn) -> tuple[Any, ...]:
    stream_id = draw(st.sampled_from([1, 1, 1, 3, 3, 5, 7]))
    kind = draw(st.sampled_from(["data"] * 6 + ["head", "head", "trailers", "rst", "ping",
                                                "take", "take", "take", "cancel", "flood",
                                                "flood", "badpad"]))  # fmt: skip
    if kind == "head":
        length = draw(st.sampled_from([None, None, 0, 5, 300]))
        return ("head", stream_id, length, draw(st.integers(0, 4)) == 0)
    if kind == "data":
        size = draw(st.sampled_from([0, 3, 5, 100, 300, 16384]))
        pad = draw(st.sampled_from([None, None, None, 0, 7, 255]))
        return ("data", stream_id, size, pad, draw(st.integers(0, 3)) == 0)
    if kind == "badpad":  # padding not shorter than the frame, or no pad length at all
        return ("badpad", stream_id, draw(st.sampled_from([b"", b"\x03abc", b"\x09abc"])))
    if kind == "flood":  # half the stream's 1 MiB window: past it unless the consumer reads
        return ("flood", stream_id)
    return (kind, stream_id)


scripts = st.builds(
    Script,
    heads=st.lists(st.booleans(), min_size=3, max_size=3).map(tuple),
    actions=st.builds(
        lambda first, rest: first + rest,  # most scripts answer some requests first
        st.lists(
            st.sampled_from([("head", 1, None, False), ("head", 3, 300, False)]),
            max_size=2,
            unique=True,
        ).map(tuple),
        st.lists(actions(), max_size=14).map(tuple),
    ),
    cuts=st.lists(st.integers(0, 1 << 22), max_size=6).map(tuple),
)


def _frames(data: bytes) -> list[bytes]:
    out = []
    while data:
        end = 9 + int.from_bytes(data[:3], "big")
        out.append(data[:end])
        data = data[end:]
    return sorted(out)


def _outcome(exchange: h2x.H2Exchange, bodies: dict[int, bytearray]) -> list[Any]:
    seen: list[Any] = [type(exchange.error).__name__, _frames(exchange.data_to_send())]
    for stream_id in STREAMS:
        stream = exchange.streams.get(stream_id)
        if stream is None:
            seen.append(None)
            continue
        seen.append((stream.status_code, stream.ended, type(stream.error).__name__,
                     bytes(bodies[stream_id]), stream.trailers))  # fmt: skip
    return seen


def run(script: Script, splitter: PureSplitter | None) -> list[Any]:
    exchange = h2x.H2Exchange()
    if splitter is not None:
        exchange._split = splitter
    exchange.initiate()
    exchange.received(frame(SETTINGS, 0, 0, b""))
    exchange.data_to_send()
    bodies: dict[int, bytearray] = {}
    for stream_id, head in zip(STREAMS, script.heads, strict=True):
        method = b"HEAD" if head else b"GET"
        assert exchange.start_request(method, b"http", b"h", b"/", [], True) == stream_id
        bodies[stream_id] = bytearray()
    exchange.data_to_send()
    encoder = hpack.Encoder()
    # The server's bytes, and after which byte each consumer action comes.
    wire = bytearray()
    consumer: list[tuple[int, str, int]] = []
    boundaries = set()
    for action in script.actions:
        boundaries.add(len(wire))
        kind, stream_id = action[0], action[1]
        if kind == "head":
            fields = [(b":status", b"200")]
            if action[2] is not None:
                fields.append((b"content-length", b"%d" % action[2]))
            flags = END_HEADERS | (END_STREAM if action[3] else 0)
            wire += frame(HEADERS, flags, stream_id, encoder.encode(fields))
        elif kind == "trailers":
            block = encoder.encode([(b"x-checksum", b"1")])
            wire += frame(HEADERS, END_HEADERS | END_STREAM, stream_id, block)
        elif kind == "data":
            wire += data_frame(stream_id, b"d" * action[2], action[4], action[3])
        elif kind == "flood":
            for _ in range(h2x.STREAM_WINDOW // 2 // h2x.MAX_FRAME_SIZE):
                boundaries.add(len(wire))
                wire += data_frame(stream_id, b"f" * h2x.MAX_FRAME_SIZE)
        elif kind == "badpad":
            wire += frame(DATA, PADDED, stream_id, action[2])
        elif kind == "rst":
            wire += frame(RST_STREAM, 0, stream_id, (8).to_bytes(4, "big"))
        elif kind == "ping":
            wire += frame(PING, 0, 0, b"pingping")
        else:
            consumer.append((len(wire), kind, stream_id))
    # Every read ends at or before a frame's end: h2 drops the events of the frames before
    # an error in the same call, so only one frame a call makes its outcome independent of
    # how frames were grouped (the splitter groups control frames between DATA frames).
    points = sorted({c % (len(wire) + 1) for c in script.cuts} | boundaries)
    seen: list[Any] = []
    start = 0
    for point in [*points, len(wire)]:
        if point > start:
            try:
                exchange.received(bytes(wire[start:point]))
            except faststream.RemoteProtocolError as exc:
                seen.append(("raised", type(exc).__name__))
            start = point
        for at, kind, stream_id in consumer:
            if at == point and stream_id in exchange.streams:
                if kind == "take":
                    for piece in exchange.take(stream_id):
                        bodies[stream_id] += piece
                else:
                    exchange.reset(stream_id)
        seen.append(_outcome(exchange, bodies))
        if exchange.error is not None:
            break
    for stream_id in STREAMS:  # the consumer reads what is left
        if stream_id in exchange.streams:
            for piece in exchange.take(stream_id):
                bodies[stream_id] += piece
    seen.append(_outcome(exchange, bodies))
    return seen


@settings(max_examples=150, deadline=None)
@given(scripts)
def test_the_splitter_behaves_as_h2_alone(script: Script) -> None:
    assert run(script, None) == run(script, _TakesNothing(h2x.MAX_FRAME_SIZE))


def test_the_oracle_sees_the_splitter_at_work() -> None:
    """The scripts do reach the fast path: a body taken by the splitter, not by h2."""
    script = Script((False,) * 3, (("head", 1, None, False), ("data", 1, 5, None, True)), ())
    exchange_view = run(script, None)
    assert exchange_view == run(script, _TakesNothing(h2x.MAX_FRAME_SIZE))
    assert exchange_view[-1][2][:4] == (200, True, "NoneType", b"ddddd")
