"""HTTP/1.1 message heads (sans-I/O), compiled; twin: `_cstream._pure._head` (h11 itself).

* ``ResponseHeadParser(max_size=102400)`` parses the response heads of one exchange: any 1xx
  heads, then the final one. ``feed(data)`` appends bytes; ``feed_eof()`` says the peer closed;
  ``next_head()`` returns ``None`` while the head is incomplete, else the next head as
  ``(status, http_version, reason, fields, content_length, chunked, close, marks)``: `fields`
  are ``(raw name, lowercased name, value)`` after h11's normalisation (one Content-Length, its
  value the single declared length; Transfer-Encoding lowercased), `content_length` an int or
  None, `chunked` whether Transfer-Encoding is set, `close` whether a Connection field lists
  ``close``, `marks` the names present of those a response is checked for: bit 1 a Set-Cookie
  or Set-Cookie2 field, bit 2 a Content-Encoding field. After a head with status >= 200,
  `done` is True and ``rest()`` holds the bytes that followed it (the start of the body). An
  incomplete head over `max_size` bytes, a malformed head, status 101 or below 100, and EOF
  before a complete head raise `HeadError`; every later call raises it again. ``reset()``
  readies the parser for the next exchange (one parser per connection), as a new one with the
  same `max_size` would be.
* ``serialize_request(method, target, headers)`` returns the request head h11 would write
  (Host first, then the other fields in order) and the body framing: -1 for chunked, else the
  Content-Length (0 without one). Raises `HeadError` where h11 raises LocalProtocolError.

Strictness and results are h11 0.16's exactly, whatever the split of the input.
"""

from typing import final

from typing_extensions import Buffer

from _cstream._errors import HeadError as HeadError

__all__ = ["HeadError", "ResponseHeadParser", "serialize_request"]

@final
class ResponseHeadParser:
    """The response heads of one exchange, h11's strictness."""

    # Made in __new__ (Cython's __cinit__), so that no instance exists without its buffer.
    def __new__(cls, max_size: int = 102400) -> ResponseHeadParser: ...
    @property
    def done(self) -> bool:
        """The final (status >= 200) head was returned."""
    def feed(self, data: Buffer) -> None:
        """Append received bytes."""
    def feed_eof(self) -> None:
        """The peer closed the connection."""
    def reset(self) -> None:
        """Ready for the next exchange, as a new parser with the same `max_size` would be."""
    def rest(self) -> bytes:
        """The bytes not consumed by the heads returned so far."""
    def next_head(
        self,
    ) -> (
        tuple[int, bytes, bytes, list[tuple[bytes, bytes, bytes]], int | None, bool, bool, int]
        | None
    ):
        """The next head, or None while more bytes are needed; raises HeadError."""

def serialize_request(
    method: bytes, target: bytes, headers: list[tuple[bytes, bytes]]
) -> tuple[bytes, int]:
    """The request head and its body framing (-1 chunked, else Content-Length)."""
