"""HTTP/1.1 response body framing, pure-Python twin of `_cstream._framing` (same behaviour).

The transport parses the response head (`_cstream._head`), then feeds the body bytes (those
that followed the head first, then whatever the socket delivers) to one reader chosen from the
head: `ContentLengthReader`, `ChunkedReader` or `CloseDelimitedReader`. The API and its docs
are in ``_framing.pyi``; `FramingError` and the messages both implementations raise are in
`_cstream._errors`, the chunked coding's grammar in `_cstream._chunked`.

Strictness is exactly h11 0.16's:

* A chunk-size line is everything up to the first CRLF and must be 1-20 hex digits, then either
  ``;`` and any bytes but LF (an extension: dropped, sets `suspicious`), or spaces/tabs. A bare
  LF anywhere in it is an error (raised as soon as it is seen: the line can no longer match).
* Chunk data is followed by exactly CRLF.
* After the ``0`` chunk comes a trailer block ended by an empty line (h11 accepts a bare LF
  there, not in chunk-size lines), parsed by `_cstream._chunked.parse_trailers`.
* Bytes after the end of the message are kept in `surplus` and set `suspicious`: the
  connection must not be reused.

Theory of operation: each reader is a small state machine fed pieces of any size.
Content-Length data is handed out as a slice of the piece, chunk data as one piece per feed
(the data of all the chunks in it, joined: a run of small chunks costs one object per read);
only a chunk-size line and the trailer block are buffered, each capped (a line or block that
would pass its cap raises as soon as the buffered part shows it must). Neither the error
message nor the data delivered before an error depends on where the input was split: a feed()
that completes pieces and then hits an error returns the pieces, and the next call raises.

Complexity contract: linear in the input. A byte is searched at most once (the line buffer
remembers how far it was scanned; the trailer scan resumes two bytes before the end of what it
already searched, the length of its terminator minus one), and chunk data is never searched.

Receive-into: a transport may receive the current chunk's data itself (into objects of its
own, at most `remaining` bytes) and report it with ``advance(n)``; the reader is then where
``feed`` of those bytes would have left it, expecting the CRLF after the chunk once
`remaining` reaches 0. The framing bytes (sizes, CRLFs, trailers) always go through ``feed``.
"""

from __future__ import annotations

from .._chunked import parse_chunk_size, parse_trailers, trailer_block_end
from .._errors import (
    BAD_FOOTER,
    CHUNK_LINE_TOO_LONG,
    ILLEGAL_CHUNK_HEADER,
    INCOMPLETE_CHUNKED,
    INCOMPLETE_LENGTH,
    TRAILER_TOO_LONG,
    FramingError,
)

__all__ = ["ChunkedReader", "CloseDelimitedReader", "ContentLengthReader", "FramingError"]


def _as_bytes(data: bytes | bytearray | memoryview) -> bytes:
    return data if type(data) is bytes else bytes(data)


class _Reader:
    """State shared by the three readers."""

    def __init__(self) -> None:
        self._done = False
        self._error: str | None = None  # set once a FramingError was raised
        self._received = 0
        self._surplus = bytearray()
        self._suspicious = False
        self._trailers: list[tuple[bytes, bytes]] = []

    @property
    def done(self) -> bool:
        return self._done

    @property
    def error(self) -> str | None:
        return self._error

    @property
    def received(self) -> int:
        return self._received

    @property
    def surplus(self) -> bytes:
        return bytes(self._surplus)

    @property
    def suspicious(self) -> bool:
        return self._suspicious

    @property
    def trailers(self) -> list[tuple[bytes, bytes]]:
        return list(self._trailers)

    def _keep_surplus(self, data: bytes) -> None:
        if data:
            self._surplus += data
            self._suspicious = True

    def feed(self, data: bytes | bytearray | memoryview) -> list[bytes]:
        if self._error is not None:
            raise FramingError(self._error)
        raw = _as_bytes(data)
        out: list[bytes] = []
        if self._done:
            self._keep_surplus(raw)
            return out
        try:
            self._feed(raw, out)
        except FramingError as exc:
            # The reader is dead from now on. Pieces completed before the error are still
            # returned (so what is delivered does not depend on how the input was split);
            # the next call raises.
            self._error = str(exc)
            if not out:
                raise
        return out

    def _feed(self, data: bytes, out: list[bytes]) -> None:
        raise NotImplementedError

    def feed_eof(self) -> None:
        if self._error is not None:
            raise FramingError(self._error)
        if not self._done:
            try:
                self._eof()
            except FramingError as exc:
                self._error = str(exc)
                raise

    def _eof(self) -> None:
        raise NotImplementedError


class ContentLengthReader(_Reader):
    _length: int
    _remaining: int

    def __init__(self, length: int) -> None:
        self.reset(length)

    def _feed(self, data: bytes, out: list[bytes]) -> None:
        n = len(data)
        if n == 0:
            return
        if n <= self._remaining:
            self._remaining -= n
            self._received += n
            self._done = self._remaining == 0
            out.append(data)
            return
        take = self._remaining
        self._remaining = 0
        self._received += take
        self._done = True
        self._keep_surplus(data[take:])
        if take:
            out.append(data[:take])

    def _eof(self) -> None:
        raise FramingError(INCOMPLETE_LENGTH.format(self._received, self._length))

    @property
    def remaining(self) -> int:
        return self._length - self._received

    def advance(self, n: int) -> None:
        if self._error is not None:
            raise FramingError(self._error)
        if n < 0 or n > self._remaining:
            raise ValueError("advance() past the end of the body")
        self._remaining -= n
        self._received += n
        self._done = self._remaining == 0

    def reset(self, length: int) -> None:
        """Back to the state of a new ContentLengthReader(length), whatever came before."""
        if length < 0:
            raise ValueError("length must be >= 0")
        _Reader.__init__(self)
        self._length = length
        self._remaining = length
        self._done = length == 0


class CloseDelimitedReader(_Reader):
    def _feed(self, data: bytes, out: list[bytes]) -> None:
        if data:
            self._received += len(data)
            out.append(data)

    def _eof(self) -> None:
        self._done = True

    def advance(self, n: int) -> None:
        if self._error is not None:
            raise FramingError(self._error)
        if n < 0:
            raise ValueError("advance() needs n >= 0")
        if not self._done:
            self._received += n


# ChunkedReader states
_SIZE, _DATA, _CR, _LF, _TRAILER = range(5)
_SIZE_CAP = 2**64 - 1  # the largest chunk size kept exactly


class ChunkedReader(_Reader):
    def __init__(self, max_trailer_size: int = 16384, max_line_size: int = 16384) -> None:
        super().__init__()
        if max_trailer_size < 1 or max_line_size < 1:
            raise ValueError("max_trailer_size and max_line_size must be >= 1")
        self._max_trailer = max_trailer_size
        self._max_line = max_line_size
        self._state = _SIZE
        self._left = 0  # chunk data bytes still due in state _DATA
        self._buf = bytearray()  # partial chunk-size line, or partial trailer block
        self._searched = 0  # bytes of _buf already searched (trailer block)

    def _feed(self, data: bytes, out: list[bytes]) -> None:
        # The data of all the chunks in `data` goes out as one piece (the input itself if it
        # is all data), also when an error stops the loop: what is delivered never depends
        # on where the input was split.
        pos, n = 0, len(data)
        runs: list[tuple[int, int]] = []  # (start, end) of each run of chunk data
        try:
            while pos < n:
                state = self._state
                if state == _DATA:
                    take = min(self._left, n - pos)
                    runs.append((pos, pos + take))
                    pos += take
                    self._received += take
                    self._left -= take
                    if self._left == 0:
                        self._state = _CR
                elif state == _SIZE:
                    pos = self._size_line(data, pos)
                elif state == _CR or state == _LF:
                    if data[pos] != (13 if state == _CR else 10):
                        raise FramingError(BAD_FOOTER)
                    pos += 1
                    self._state = _LF if state == _CR else _SIZE
                else:
                    pos = self._trailer(data, pos)
                    if self._done:
                        self._keep_surplus(data[pos:])
                        break
        finally:
            if len(runs) == 1:
                start, end = runs[0]
                out.append(data if end - start == n else data[start:end])
            elif runs:
                view = memoryview(data)
                out.append(b"".join([view[start:end] for start, end in runs]))

    def _size_line(self, data: bytes, pos: int) -> int:
        buf = self._buf
        lf = data.find(b"\n", pos)
        end = len(data) if lf < 0 else lf + 1
        if len(buf) + end - pos > (self._max_line if lf >= 0 else self._max_line - 1):
            raise FramingError(CHUNK_LINE_TOO_LONG.format(self._max_line))
        buf += data[pos:end]
        if lf < 0:
            return end
        if len(buf) < 2 or buf[-2] != 13:
            raise FramingError(ILLEGAL_CHUNK_HEADER.format(bytes(buf)))
        line = bytes(buf[:-2])
        buf.clear()
        size, ext = parse_chunk_size(line)
        if ext:
            self._suspicious = True
        if size:
            # Saturated as the compiled reader keeps it (2**64 - 1 bytes can never arrive;
            # `remaining` shows the value).
            self._state, self._left = _DATA, min(size, _SIZE_CAP)
        else:
            self._state, self._searched = _TRAILER, 0
        return end

    def _trailer(self, data: bytes, pos: int) -> int:
        buf = self._buf
        old = len(buf)
        # Never buffer more than one byte past the cap: enough to tell the block is too long.
        buf += data[pos : pos + self._max_trailer + 1 - old]
        end = trailer_block_end(buf, max(0, self._searched - 2))
        if end < 0:
            if len(buf) >= self._max_trailer:
                raise FramingError(TRAILER_TOO_LONG.format(self._max_trailer))
            self._searched = len(buf)
            return len(data)
        if end > self._max_trailer:
            raise FramingError(TRAILER_TOO_LONG.format(self._max_trailer))
        block = bytes(buf[:end])
        buf.clear()
        self._trailers = parse_trailers(block)
        if self._trailers:
            self._suspicious = True
        self._done = True
        return pos + end - old

    def _eof(self) -> None:
        raise FramingError(INCOMPLETE_CHUNKED)

    @property
    def remaining(self) -> int:
        # Only chunk data can be received outside feed(): sizes, CRLFs and trailers are
        # parsed here. A dead reader takes nothing more.
        if self._state != _DATA or self._error is not None:
            return 0
        return self._left

    def advance(self, n: int) -> None:
        if self._error is not None:
            raise FramingError(self._error)
        if n < 0 or n > self.remaining:
            raise ValueError("advance() past the end of the chunk")
        self._left -= n
        self._received += n
        if self._left == 0 and self._state == _DATA:
            self._state = _CR
