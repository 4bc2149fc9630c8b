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

from . import _h2_reference
from ._h2frames import (
    CONTINUATION,
    DATA,
    END_HEADERS,
    END_STREAM,
    HEADERS,
    PADDED,
    PING,
    PRIORITY,
    PUSH_PROMISE,
    RST_STREAM,
    SETTINGS,
    WINDOW_UPDATE,
    data_frame,
    frame,
)


class _TakesNothing(PureSplitter):
    """Hands every frame to h2: the behaviour the splitter must reproduce."""

    def open(self, stream_id: int) -> None:
        pass


STREAMS = (1, 3, 5)
HEAD_KINDS = frozenset({"head", "trailers", "info", "split", "bad"})
BAD_FIELDS = (
    ((b":status", b"200"), (b"X-Upper", b"1")),
    ((b":status", b"200"), (b"connection", b"close")),
    ((b"x-first", b"1"), (b":status", b"200")),
    ((b":status", b"200"), (b":path", b"/")),
    ((b":status", b"200"), (b":status", b"201")),
    ((b":status", b"200"), (b"x-a", b" padded")),
    ((b":status", b"200"), (b"content-length", b"1x")),
    ((b":status", b"200"), (b"content-length", b"1"), (b"content-length", b"2")),
    ((b"x-no-status", b"1"),),
)


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
                                                "flood", "badpad", "info", "split", "bad",
                                                "window", "priority", "push"]))  # fmt: skip
    if kind == "head":
        length = draw(st.sampled_from([None, None, 0, 5, 300]))
        return ("head", stream_id, length, draw(st.integers(0, 4)) == 0)
    if kind == "data":
        size = draw(st.sampled_from([0, 3, 5, 100, 300, 16384]))
        pad = draw(st.sampled_from([None, None, None, 0, 7, 255]))
        return ("data", stream_id, size, pad, draw(st.integers(0, 3)) == 0)
    if kind == "badpad":  # padding not shorter than the frame, or no pad length at all
        return ("badpad", stream_id, draw(st.sampled_from([b"", b"\x03abc", b"\x09abc"])))
    if kind == "bad":  # a field RFC 9113 8.2 forbids in a response head
        return ("bad", stream_id, draw(st.sampled_from(BAD_FIELDS)))
    if kind == "split":  # a head across HEADERS and CONTINUATION frames
        return ("split", stream_id, draw(st.integers(1, 3)), draw(st.booleans()))
    if kind in ("window", "priority"):
        return (kind, stream_id, draw(st.sampled_from([0, 1, 5, 2**31 - 1])))
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


def _stream_closed(stream_id: int) -> bytes:
    return frame(RST_STREAM, 0, stream_id, (5).to_bytes(4, "big"))


def _outcome(exchange: Any, bodies: dict[int, bytearray], cancelled: set[int]) -> list[Any]:
    # h2 answers every frame on a stream the client reset (cancelled, or RST_STREAM on an
    # error) with RST_STREAM STREAM_CLOSED; RFC 9113 5.1 has them ignored (they may have been
    # in flight), as the exchange does.
    ignored = {_stream_closed(stream_id) for stream_id in cancelled}
    sent = [one for one in _frames(exchange.data_to_send()) if one not in ignored]
    cancelled.update(int.from_bytes(one[5:9], "big") for one in sent if one[3] == RST_STREAM)
    seen: list[Any] = [type(exchange.error).__name__, sent]
    for stream_id in STREAMS:
        stream = exchange.streams.get(stream_id)
        if stream is None:
            seen.append(None)
            continue
        seen.append((stream.status_code, stream.ended, type(stream.error).__name__,
                     bytes(bodies[stream_id]), stream.trailers))  # fmt: skip
    return seen


def run(script: Script, reference: bool) -> list[Any]:
    exchange: Any
    if reference:
        exchange = _h2_reference.H2Exchange()
        exchange._split = _TakesNothing(h2x.MAX_FRAME_SIZE)
    else:
        exchange = h2x.H2Exchange()
    exchange.initiate()
    exchange.received(frame(SETTINGS, 0, 0, b""))
    exchange.data_to_send()
    bodies: dict[int, bytearray] = {}
    cancelled: set[int] = set()
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
    for index, action in enumerate(script.actions):
        boundaries.add(len(wire))
        kind, stream_id = action[0], action[1]
        earlier = script.actions[:index]
        if kind in HEAD_KINDS and (
            ("cancel", stream_id) in earlier
            or (kind == "info" and ("window", stream_id, 2**31 - 1) in earlier)
        ):
            # A header block on a stream the client reset or let go of: h2 remembers how each
            # stream closed and makes some of these connection errors (a 1xx head, a head after
            # END_STREAM); the exchange ignores frames on the streams it reset or released, as
            # frames that may have been in flight then (RFC 9113 5.1)
            continue
        if kind == "head":
            fields = [(b":status", b"200")]
            if action[2] is not None:
                fields.append((b"content-length", b"%d" % action[2]))
            flags = END_HEADERS | (END_STREAM if action[3] else 0)
            wire += frame(HEADERS, flags, stream_id, encoder.encode(fields))
        elif kind == "info":
            wire += frame(HEADERS, END_HEADERS, stream_id, encoder.encode([(b":status", b"103")]))
        elif kind == "bad":
            block = encoder.encode(list(action[2]))
            wire += frame(HEADERS, END_HEADERS, stream_id, block)
        elif kind == "split":
            block = encoder.encode([(b":status", b"200"), (b"x-long", b"v" * 40)])
            count = action[2]
            parts = [block[len(block) * i // count : len(block) * (i + 1) // count]
                     for i in range(count)]  # fmt: skip
            flags = END_STREAM if action[3] else 0
            wire += frame(HEADERS, flags | (END_HEADERS if len(parts) == 1 else 0),
                          stream_id, parts[0])  # fmt: skip
            for i, part in enumerate(parts[1:], 2):
                last = END_HEADERS if i == len(parts) else 0
                wire += frame(CONTINUATION, last, stream_id, part)
        elif kind == "window":
            wire += frame(WINDOW_UPDATE, 0, stream_id, action[2].to_bytes(4, "big"))
        elif kind == "priority":
            wire += frame(PRIORITY, 0, stream_id, action[2].to_bytes(4, "big") + b"\x10")
        elif kind == "push":
            block = encoder.encode([(b":method", b"GET")])
            wire += frame(PUSH_PROMISE, END_HEADERS, stream_id, (2).to_bytes(4, "big") + block)
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
                    cancelled.add(stream_id)
        seen.append(_outcome(exchange, bodies, cancelled))
        if exchange.error is not None:
            break
    for stream_id in STREAMS:  # the consumer reads what is left
        if stream_id in exchange.streams:
            for piece in exchange.take(stream_id):
                bodies[stream_id] += piece
    seen.append(_outcome(exchange, bodies, cancelled))
    return seen


@settings(max_examples=150, deadline=None)
@given(scripts)
def test_the_splitter_behaves_as_h2_alone(script: Script) -> None:
    assert run(script, False) == run(script, True)


def test_the_oracle_sees_the_splitter_at_work() -> None:
    """The scripts do reach the fast path: a body taken by the splitter, not by h2."""
    script = Script((False,) * 3, (("head", 1, None, False), ("data", 1, 5, None, True)), ())
    exchange_view = run(script, False)
    assert exchange_view == run(script, True)
    assert exchange_view[-1][2][:4] == (200, True, "NoneType", b"ddddd")
