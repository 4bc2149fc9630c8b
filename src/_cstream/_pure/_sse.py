"""Server-sent events, pure-Python twin of `_cstream._sse` (same names, same behaviour).

`SSEDecoder` turns the bytes of an ``text/event-stream`` body into `ServerSentEvent` objects by
the WHATWG HTML standard's parsing and dispatch rules ("Server-sent events", event stream
interpretation). The rules, the same on both sides:

* Lines end at CRLF, LF or CR. A CR ends its line at once (the event it completes is dispatched
  without waiting for more bytes); an LF right after a CR, in the same piece or the next one,
  is part of that terminator.
* One UTF-8 byte order mark at the very start of the stream is dropped (one split across pieces
  too); anywhere else it is an ordinary character.
* A line starting with ``:`` is a comment. Otherwise the field name runs to the first ``:`` and
  the value follows it, minus one leading space; a line without ``:`` is a field with an empty
  value. ``data`` appends its value and an LF to the data buffer; ``event`` sets the event type;
  ``id`` sets the last event ID buffer unless the value holds NUL (an empty value sets it too);
  ``retry`` sets the reconnection time when the value is ASCII digits only (and, as browsers do,
  fits an unsigned 64-bit integer); other names are ignored.
* An empty line dispatches: the last event ID becomes the ID buffer; an empty data buffer
  dispatches nothing; otherwise one event with the data minus its final LF, the type or
  ``"message"``, the last event ID, and the ``retry`` value this block set (else None). The data
  buffer, the type and the block's retry are then reset.
* Text is UTF-8 whatever the charset parameter says, decoded with ``errors="replace"``. Bytes
  0x0A, 0x0D, 0x3A and 0x20 never occur inside a multi-byte sequence, so decoding each value on
  its own equals decoding the whole stream first.
* Bounds: the data of one event (values and the LFs between them) may hold at most
  `max_event_size` bytes, and a line at most ``max_event_size + 64`` bytes (a comment line is
  skipped without being buffered, so it has no bound). Crossing either makes the decoder
  broken: the call returns the events completed before the offending line, and every later
  `decode` or `flush` raises `EventTooLargeError`. Memory is O(largest event).
"""

from __future__ import annotations

import json
import re
from typing import Any, NoReturn

from .._errors import EVENT_TOO_LARGE, EventTooLargeError

__all__ = ["SSEDecoder", "ServerSentEvent"]

# Bytes a line may hold beyond max_event_size: room for a field name, the colon and a space.
LINE_SLACK = 64
DEFAULT_MAX_EVENT_SIZE = 16 * 1024 * 1024
_BOM = b"\xef\xbb\xbf"
_UINT64_MAX = (1 << 64) - 1
_LINE_END = re.compile(rb"\r\n|\r|\n")


class ServerSentEvent:
    """One dispatched event: immutable, compared by value, hashable."""

    __slots__ = ("data", "event", "id", "retry")

    event: str
    data: str
    id: str
    retry: int | None

    def __init__(
        self,
        event: str | None = None,
        data: str | None = None,
        id: str | None = None,  # noqa: A002 - the standard's field name
        retry: int | None = None,
    ) -> None:
        event = _checked_str("event", event) or "message"
        data = _checked_str("data", data)
        id = _checked_str("id", id)  # noqa: A001
        if retry is not None and not _is_int(retry):
            raise TypeError(f"retry must be an int or None, not {type(retry).__name__}")
        _set = object.__setattr__
        _set(self, "event", event)
        _set(self, "data", data)
        _set(self, "id", id)
        _set(self, "retry", retry)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"ServerSentEvent is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"ServerSentEvent is immutable: cannot delete {name!r}")

    def json(self) -> Any:
        """The data parsed as JSON (`json.loads`)."""
        return json.loads(self.data)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ServerSentEvent):
            return NotImplemented
        return (self.event, self.data, self.id, self.retry) == (
            other.event,
            other.data,
            other.id,
            other.retry,
        )

    def __ne__(self, other: object) -> bool:
        if not isinstance(other, ServerSentEvent):
            return NotImplemented
        return not self == other

    def __hash__(self) -> int:
        return hash((self.event, self.data, self.id, self.retry))

    def __repr__(self) -> str:
        # httpx-sse's form: the event type always, the other fields when not at their defaults
        parts = [f"event={self.event!r}"]
        if self.data != "":
            parts.append(f"data={self.data!r}")
        if self.id != "":
            parts.append(f"id={self.id!r}")
        if self.retry is not None:
            parts.append(f"retry={self.retry!r}")
        return f"ServerSentEvent({', '.join(parts)})"

    def __reduce__(self) -> tuple[type[ServerSentEvent], tuple[str, str, str, int | None]]:
        return (type(self), (self.event, self.data, self.id, self.retry))


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _checked_str(name: str, value: str | None) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str or None, not {type(value).__name__}")
    return value


def _checked_cap(max_event_size: int | None) -> int | None:
    if max_event_size is None:
        return None
    if not _is_int(max_event_size):
        raise TypeError("max_event_size must be an int or None")
    if max_event_size < 0:
        raise ValueError("max_event_size must be None or >= 0")
    return max_event_size


def _utf8(raw: bytes | bytearray) -> str:
    return raw.decode("utf-8", "replace")


class SSEDecoder:
    """Bytes of an event stream in, `ServerSentEvent` objects out (see the module's rules)."""

    def __init__(
        self,
        max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
        event_type: type[ServerSentEvent] = ServerSentEvent,
        last_event_id: str | None = "",
    ) -> None:
        last_event_id = _checked_str("last_event_id", last_event_id)
        checked: object = event_type
        if not (isinstance(checked, type) and issubclass(checked, ServerSentEvent)):
            raise TypeError("event_type must be ServerSentEvent or a subclass of it")
        self._type = event_type
        cap = _checked_cap(max_event_size)
        self._max = cap
        self._line_max = None if cap is None else cap + LINE_SLACK
        self._line = bytearray()  # the partial line
        self._skipping = False  # the partial line is a comment: not buffered
        self._skip_lf = False  # the last piece ended with CR: a leading LF belongs to it
        self._bom = 0  # BOM bytes matched at the start; 4 once decided
        self._data: list[bytes] = []
        self._data_size = 0  # bytes of the event's data: the values and the LFs between them
        self._event = ""
        self._id_buffer = last_event_id
        self._last_id = last_event_id
        self._block_retry: int | None = None
        self._retry: int | None = None
        self._failed = False
        self._busy = False  # inside decode() or flush()

    @property
    def last_event_id(self) -> str:
        """The last event ID string: the ID buffer as of the last empty line."""
        return self._last_id

    @property
    def retry(self) -> int | None:
        """The reconnection time in milliseconds the stream last set, or None."""
        return self._retry

    def decode(self, data: bytes | bytearray | memoryview) -> list[ServerSentEvent]:
        """Feed one piece; return the events it completes (possibly none)."""
        self._enter()
        try:
            return self._decode(data)
        finally:
            self._busy = False

    def _enter(self) -> None:
        # the compiled twin refuses a call from a finalizer run while it decodes; so does this
        if self._busy:
            raise RuntimeError("SSEDecoder is already decoding (a re-entrant call)")
        self._busy = True

    def _decode(self, data: bytes | bytearray | memoryview) -> list[ServerSentEvent]:
        if self._failed:
            self._raise()
        chunk = bytes(data)
        pos = 0
        n = len(chunk)
        if self._bom < 3:
            while self._bom < 3 and pos < n:
                if chunk[pos] == _BOM[self._bom]:
                    self._bom += 1
                    pos += 1
                else:
                    # not a BOM: the bytes taken for one start the first line
                    self._line += _BOM[: self._bom]
                    self._bom = 4
            if self._bom == 3:
                self._bom = 4
            if pos == n:
                return []
        if self._skip_lf and pos < n:
            self._skip_lf = False
            if chunk[pos] == 0x0A:
                pos += 1
        out: list[ServerSentEvent] = []
        line_max = self._line_max
        if pos == n:
            return out
        # One split of the piece (the compiled side scans it once too): every part but the
        # last ends at a terminator; the last is the partial line (empty after a terminator).
        parts = _LINE_END.split(chunk[pos:] if pos else chunk)
        partial = parts.pop()
        for k, line in enumerate(parts):
            if self._skipping:
                self._skipping = False  # the comment line ends here
                continue
            if k == 0 and self._line:
                if line_max is not None and len(self._line) + len(line) > line_max:
                    return self._fail(out)
                self._line += line
                line = bytes(self._line)
                self._line = bytearray()
            elif line[:1] != b":" and line_max is not None and len(line) > line_max:
                return self._fail(out)
            if not self._field(line, out):
                return self._fail(out)
        if partial:
            if self._skipping:
                pass
            elif not self._line and partial[0] == 0x3A:
                self._skipping = True
            else:
                if line_max is not None and len(self._line) + len(partial) > line_max:
                    return self._fail(out)
                self._line += partial
        elif chunk[-1] == 0x0D:
            # a CR ends the piece: an LF opening the next one belongs to it
            self._skip_lf = True
        return out

    def flush(self) -> None:
        """End of the stream: raise a pending `EventTooLargeError`; otherwise drop the incomplete
        line and event, and get ready for a new stream (a reconnection). The last event ID and
        the reconnection time are kept; the ID buffer goes back to the last event ID."""
        self._enter()
        try:
            self._flush()
        finally:
            self._busy = False

    def _flush(self) -> None:
        if self._failed:
            self._raise()
        self._line = bytearray()
        self._skipping = False
        self._skip_lf = False
        self._bom = 0
        self._data = []
        self._data_size = 0
        self._event = ""
        self._id_buffer = self._last_id
        self._block_retry = None

    def _field(self, line: bytes | bytearray, out: list[ServerSentEvent]) -> bool:
        # Process one complete line; False when it takes the event past max_event_size.
        if not line:
            self._dispatch(out)
            return True
        if line[0] == 0x3A:
            return True
        name, colon, value = bytes(line).partition(b":")
        if value[:1] == b" ":
            value = value[1:]
        if name == b"data":
            size = self._data_size + len(value) + (1 if self._data else 0)
            if self._max is not None and size > self._max:
                return False
            self._data.append(value)
            self._data_size = size
        elif name == b"event":
            self._event = _utf8(value)
        elif name == b"id":
            if b"\0" not in value:
                self._id_buffer = _utf8(value)
        elif name == b"retry":
            if value and value.isdigit() and len(value.lstrip(b"0")) <= 20:
                number = int(value)
                if number <= _UINT64_MAX:
                    self._block_retry = self._retry = number
        return True

    def _dispatch(self, out: list[ServerSentEvent]) -> None:
        self._last_id = self._id_buffer
        if self._data:
            # made without calling __init__ (a subclass's is not run), as the compiled side does
            event = ServerSentEvent.__new__(self._type)
            _set = object.__setattr__
            _set(event, "event", self._event or "message")
            _set(event, "data", _utf8(b"\n".join(self._data)))
            _set(event, "id", self._last_id)
            _set(event, "retry", self._block_retry)
            out.append(event)
            self._data = []
            self._data_size = 0
        self._event = ""
        self._block_retry = None

    def _fail(self, out: list[ServerSentEvent]) -> list[ServerSentEvent]:
        self._failed = True
        self._line = bytearray()
        self._data = []
        return out

    def _raise(self) -> NoReturn:
        raise EventTooLargeError(EVENT_TOO_LARGE.format(self._max))
