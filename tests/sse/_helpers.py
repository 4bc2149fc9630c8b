"""Driving an SSE decoder over a stream cut into pieces."""

from __future__ import annotations

import types
from typing import Any

Event = tuple[str, str, str, int | None]


def feed(module: types.ModuleType, pieces: list[bytes], **kwargs: Any) -> list[Event]:
    """Events from feeding `pieces` then flushing, as (event, data, id, retry) tuples."""
    decoder = module.SSEDecoder(**kwargs)
    events: list[Event] = []
    for piece in pieces:
        events += [(e.event, e.data, e.id, e.retry) for e in decoder.decode(piece)]
    decoder.flush()
    return events


def outcome(module: types.ModuleType, pieces: list[bytes], **kwargs: Any) -> tuple[Any, ...]:
    """("ok", events, last_event_id, retry) or ("raise", events so far, type name, message)."""
    decoder = module.SSEDecoder(**kwargs)
    events: list[Event] = []
    try:
        for piece in pieces:
            events += [(e.event, e.data, e.id, e.retry) for e in decoder.decode(piece)]
        decoder.flush()
    except Exception as exc:
        return ("raise", events, type(exc).__name__, str(exc))
    return ("ok", events, decoder.last_event_id, decoder.retry)


def splits(data: bytes) -> list[list[bytes]]:
    """`data` whole, cut at every point in two, and one byte at a time."""
    cuts = [[data[:i], data[i:]] for i in range(len(data) + 1)]
    return [[data], *cuts, [data[i : i + 1] for i in range(len(data))]]


def parse(module: types.ModuleType, data: bytes, **kwargs: Any) -> list[Event]:
    """The events of `data`, checked to be the same however the stream is cut."""
    whole = outcome(module, [data], **kwargs)
    for pieces in splits(data):
        assert outcome(module, pieces, **kwargs) == whole, pieces
    assert whole[0] == "ok", whole
    events: list[Event] = whole[1]
    return events
