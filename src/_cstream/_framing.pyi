"""HTTP/1.1 response body framing readers (sans-I/O), compiled; twin: `_cstream._pure._framing`.

The transport parses the response head (`_cstream._head`), picks a reader from it, then feeds it
the body bytes: those that followed the head first, then whatever the socket delivers, until
`done`; on EOF it calls `feed_eof()`. Every reader has the same surface:

* ``feed(data)`` takes bytes, bytearray or memoryview and returns the body pieces this data
  completes, in order, never an empty piece: at most one (the chunked reader joins the data
  of all the chunks in `data`, so a run of small chunks costs one piece per read). Body data
  is cut straight out of `data` (the object itself when it is all body and a `bytes`). Data
  fed after `done` goes to `surplus`.
* ``feed_eof()``: the peer closed. Ends a close-delimited body; raises `FramingError` for an
  unfinished Content-Length or chunked body, with h11's wording ("peer closed connection
  without sending complete message body (received X bytes, expected Y)" /
  "... (incomplete chunked read)"). A no-op once `done`.
* ``error``: the message of the `FramingError` the reader has hit (set by the feed() that
  found it, even when that feed() returned pieces and held the error back), else None.
* ``done``: the message is complete. ``received``: body bytes delivered so far.
* ``advance(n)``: `n` body bytes arrived outside ``feed`` -- a backend received them straight
  into the caller's buffer or an object of its own; they are counted as ``feed`` would count
  them, and no piece is made. ``remaining`` (Content-Length and chunked readers) bounds such a
  read, so that it never takes a byte past the body (Content-Length) or past the current
  chunk's data (chunked: the framing between chunks always goes through ``feed``).
* ``surplus``: bytes received after the end of the message. Non-empty means the connection
  must not be reused (a second response smuggled after this one must never be read).
* ``suspicious``: the reader saw something that must stop the connection being pooled
  (surplus bytes, a chunk extension, trailers).
* ``trailers``: for chunked bodies, the trailer fields as (lowercased name, value) pairs; never
  merged into the response headers (a trailer must not override a header). Empty for the
  other readers.

Errors: a `FramingError` makes the reader dead; every later call raises it again. When a
feed() completes body pieces before hitting the error, it returns those pieces and the next
call (feed or feed_eof) raises, so the data delivered never depends on how the input was
split. The transport must therefore keep calling until `done` or an error (it does anyway:
`done` stays False). Surplus is kept whole: stop reading once `done`.
Strictness is h11 0.16's exactly (see `_cstream._pure._framing` for the rules).
"""

from typing import final

from typing_extensions import Buffer, disjoint_base

from _cstream._errors import FramingError as FramingError

__all__ = ["ChunkedReader", "CloseDelimitedReader", "ContentLengthReader", "FramingError"]

@disjoint_base
class _Reader:
    @property
    def done(self) -> bool:
        """The message is complete."""
    @property
    def error(self) -> str | None:
        """The message of the FramingError this reader has hit, or None while it is healthy.

        Set as soon as the error is found, including by a feed() that returned the pieces it
        completed before the error (the next call raises FramingError with this message).
        """
    @property
    def received(self) -> int:
        """Body bytes delivered so far."""
    @property
    def surplus(self) -> bytes:
        """Bytes received after the end of the message (the connection must then close)."""
    @property
    def suspicious(self) -> bool:
        """Surplus bytes, a chunk extension or trailers were seen: do not pool the connection."""
    @property
    def trailers(self) -> list[tuple[bytes, bytes]]:
        """Chunked trailer fields, (lowercased name, value); empty otherwise."""
    def feed(self, data: Buffer) -> list[bytes]:
        """Feed body bytes; return the body pieces they complete (never empty pieces)."""
    def feed_eof(self) -> None:
        """The peer closed the connection; raises FramingError if the body is unfinished."""

@final
class ContentLengthReader(_Reader):
    """A body of exactly `length` bytes (any size: nothing is allocated from it)."""

    def __init__(self, length: int) -> None: ...
    @property
    def remaining(self) -> int:
        """Body bytes still to come."""
    def advance(self, n: int) -> None:
        """Count `n` body bytes that were received outside `feed` (straight into a caller's
        buffer), at most `remaining`: the reader is then where `feed` of those bytes would
        have left it, without making a piece. ValueError past the end."""
    def reset(self, length: int) -> None:
        """Back to the state of a new `ContentLengthReader(length)`, whatever was fed, found
        or raised before: a connection keeps one reader for its responses' bodies rather
        than allocating one (and its buffers) per response. ValueError for a negative
        length, as the constructor."""

@final
class ChunkedReader(_Reader):
    """A ``Transfer-Encoding: chunked`` body, h11's strictness.

    A chunk-size line longer than `max_line_size` bytes (CRLF included) or a trailer block
    longer than `max_trailer_size` bytes (its final empty line included) raises FramingError as
    soon as the buffered part shows it.
    """

    def __init__(self, max_trailer_size: int = 16384, max_line_size: int = 16384) -> None: ...
    @property
    def remaining(self) -> int:
        """Bytes of the current chunk's data still to come: what a transport may receive
        outside `feed` (straight into an object of its own) and report with `advance`. 0
        while a chunk-size line, a CRLF or the trailers are due, once `done`, or after an
        error: those bytes must go through `feed`."""
    def advance(self, n: int) -> None:
        """Count `n` bytes of the current chunk's data received outside `feed`, at most
        `remaining`: the reader is then where `feed` of those bytes would have left it (the
        chunk's CRLF is due once `remaining` is 0), without making a piece. ValueError past
        the chunk's end; FramingError (again) once the reader has hit one."""

@final
class CloseDelimitedReader(_Reader):
    """A body that ends when the peer closes (no Content-Length, no chunked); `feed_eof` ends it."""

    def __init__(self) -> None: ...
    def advance(self, n: int) -> None:
        """Count `n` body bytes that were received outside `feed` (straight into a caller's
        buffer), as `feed` of them would, without making a piece."""
