"""Server-sent events: the bytes of a ``text/event-stream`` body in, events out.

Compiled in `_sse.pyx`; the pure twin in `_pure/_sse.py` behaves identically and its opening
comment states the WHATWG parsing and dispatch rules both follow. Over a whole stream the events
returned by every `decode` are the same however the stream was cut into pieces.
"""

from typing import Any

from typing_extensions import Buffer, disjoint_base

from _cstream._errors import EVENT_TOO_LARGE as EVENT_TOO_LARGE

@disjoint_base
class ServerSentEvent:
    """One dispatched event: immutable, compared by value, hashable, picklable. Subclasses
    (``__slots__ = ()`` keeps them immutable) are what `SSEDecoder`'s `event_type` takes.

    `event` is the event type (``"message"`` when the stream set none; ``None`` or ``""`` given
    here also mean ``"message"``); `data` the data lines joined by LF; `id` the last event ID at
    the moment of dispatch (it carries over to later events until an ``id`` field changes it);
    `retry` the reconnection time, in milliseconds, set by this event's block, else None.
    A non-str `event`, `data` or `id`, or a non-int `retry`, raises TypeError.
    """

    @property
    def event(self) -> str: ...
    @property
    def data(self) -> str: ...
    @property
    def id(self) -> str: ...
    @property
    def retry(self) -> int | None: ...
    def __init__(
        self,
        event: str | None = None,
        data: str | None = None,
        id: str | None = None,  # noqa: A002
        retry: int | None = None,
    ) -> None: ...
    def json(self) -> Any:
        """The data parsed as JSON (`json.loads`)."""

    def __eq__(self, other: object, /) -> bool: ...
    def __ne__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@disjoint_base
class SSEDecoder:
    """Bytes in, `ServerSentEvent` objects out, by the WHATWG rules.

    Holds the partial line and the event being built: memory is O(largest event).
    """

    def __init__(
        self,
        max_event_size: int | None = 16777216,
        event_type: type[ServerSentEvent] = ...,
        last_event_id: str | None = "",
    ) -> None:
        """`last_event_id`: the last event ID to start from (a reconnection's): events carry it
        until the stream sets another; None means ``""``; a non-str raises TypeError.

        `event_type`: the class of the events made, `ServerSentEvent` or a subclass (created
        without calling its ``__init__``); anything else raises TypeError.

        `max_event_size`: the most bytes one event's data may hold (its values and the LFs
        between them, as received); a line may hold 64 bytes more (comment lines are skipped
        unbuffered and have no bound). ``None`` means no bound. A negative value raises
        ValueError. Crossing a bound leaves the decoder broken: that `decode` returns the
        events completed before the offending line, and every later `decode` or `flush`
        raises `EventTooLargeError`.
        """

    @property
    def last_event_id(self) -> str:
        """The last event ID string: the ID buffer as of the last empty line."""

    @property
    def retry(self) -> int | None:
        """The reconnection time in milliseconds the stream last set, or None."""

    def decode(self, data: Buffer) -> list[ServerSentEvent]:
        """Feed one piece (any contiguous bytes-like object); return the events it completes."""

    def flush(self) -> None:
        """End of the stream: raise a pending `EventTooLargeError`; otherwise drop the
        incomplete line and event (never dispatched) and get ready for the next stream of a
        reconnection: `last_event_id` and `retry` are kept, a BOM is dropped again."""
