"""The pure twin of `_cstream._head`: h11 0.16 itself parses response heads and serialises
request heads; this module gives its results the shape the compiled module returns.

h11 is the reference: the compiled parser and serialiser are tested to agree with this module
on every input, split at every point (tests/core/test_head.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import h11

from .._errors import HeadError

if TYPE_CHECKING:
    from typing_extensions import Buffer

__all__ = ["HeadError", "ResponseHeadParser", "serialize_request"]

# (status, http version, reason, [(raw name, lowercased name, value)], content length, chunked,
#  Connection lists close, marks)
Head = tuple[int, bytes, bytes, list[tuple[bytes, bytes, bytes]], int | None, bool, bool, int]

# The bits of a head's marks: names a response is checked for, found while its fields are
# gone through once here.
_MARKS = {b"set-cookie": 1, b"set-cookie2": 1, b"content-encoding": 2}


def _facts(fields: list[tuple[bytes, bytes, bytes]]) -> tuple[int | None, bool, bool]:
    """Content-Length (as h11 normalised it), chunked, and whether Connection lists close."""
    length: int | None = None
    chunked = close = False
    for _, name, value in fields:
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = True
        elif name == b"connection":
            close = close or any(p.strip().lower() == b"close" for p in value.split(b","))
    return length, chunked, close


def _marks(fields: list[tuple[bytes, bytes, bytes]]) -> int:
    """The `_MARKS` bits of the names in `fields`."""
    marks = 0
    for _, name, _ in fields:
        marks |= _MARKS.get(name, 0)
    return marks


def _triples(headers: h11._headers.Headers) -> list[tuple[bytes, bytes, bytes]]:
    return [(raw, raw.lower(), value) for raw, value in headers.raw_items()]


class ResponseHeadParser:
    """Parses the response heads (1xx ones, then the final one) of one exchange."""

    def __init__(self, max_size: int = 102400) -> None:
        self._max_size = max_size
        self.reset()

    def reset(self) -> None:
        """Ready for the next exchange, as a new parser with the same `max_size` would be."""
        self._state = h11.Connection(h11.CLIENT, max_incomplete_event_size=self._max_size)
        # Put the state where a response is expected; the request itself is never sent.
        self._state.send(h11.Request(method=b"GET", target=b"/", headers=[(b"Host", b"x")]))
        self._state.send(h11.EndOfMessage())
        self._done = False
        self._eof = False

    @property
    def done(self) -> bool:
        return self._done

    def feed(self, data: Buffer) -> None:
        if self._eof:
            raise HeadError("data fed after the end of the stream")
        data = bytes(data)
        if data:  # h11 takes b"" for the end of the stream
            self._state.receive_data(data)

    def feed_eof(self) -> None:
        if not self._eof:
            self._eof = True
            self._state.receive_data(b"")

    def rest(self) -> bytes:
        return bytes(self._state.trailing_data[0])

    def next_head(self) -> Head | None:
        if self._done:
            raise HeadError("the final response head was already parsed")
        try:
            event = self._state.next_event()
        except h11.RemoteProtocolError as exc:
            raise HeadError(str(exc)) from None
        if event is h11.NEED_DATA:
            return None
        if not isinstance(event, (h11.InformationalResponse, h11.Response)):
            raise HeadError(f"peer closed connection without sending a response head ({event!r})")
        fields = _triples(event.headers)
        if isinstance(event, h11.Response):
            self._done = True
        return (
            event.status_code,
            event.http_version,
            event.reason,
            fields,
            *_facts(fields),
            _marks(fields),
        )


def serialize_request(
    method: bytes, target: bytes, headers: list[tuple[bytes, bytes]]
) -> tuple[bytes, int]:
    """The request head h11 writes, and the body framing: -1 chunked, else the length."""
    state = h11.Connection(h11.CLIENT)
    try:
        request = h11.Request(method=method, target=target, headers=headers)
        head = state.send(request)
    except h11.LocalProtocolError as exc:
        raise HeadError(str(exc)) from None
    assert head is not None
    length, chunked, _ = _facts(_triples(request.headers))
    return head, -1 if chunked else (length or 0)
