"""HTTP/1.1 response body framing, pure-Python twin of `_cstream._framing` (same behaviour).

The transport parses the response head with h11, then feeds the body bytes (h11's leftover
bytes first, then whatever the socket delivers) to one reader chosen from the head:
`ContentLengthReader`, `ChunkedReader` or `CloseDelimitedReader`. The API and its docs are in
``_framing.pyi``. `FramingError` is defined here, once, and the compiled module raises it too.

Strictness is exactly h11 0.16's (THREATS.md section 2, rows T11-T14, T17, T22, T24):

* A chunk-size line is everything up to the first CRLF and must be 1-20 hex digits, then either
  ``;`` and any bytes but LF (an extension: dropped, sets `suspicious`), or spaces/tabs. A bare
  LF anywhere in it is an error (raised as soon as it is seen: the line can no longer match).
* Chunk data is followed by exactly CRLF (T13).
* After the ``0`` chunk comes a trailer block ended by an empty line; lines end in LF with one
  optional CR before it (h11 accepts a bare LF here, not in chunk-size lines); obs-fold
  lines are joined with a space; each line must be ``token ":" OWS value OWS`` with value
  bytes other than NUL and whitespace except inner SP/HTAB. Names are lowercased; a
  ``Content-Length`` or ``Transfer-Encoding`` trailer is held to h11's header rules (digits
  only and equal; only ``chunked``, once).

Theory of operation: each reader is a small state machine fed pieces of any size. Chunk data
and Content-Length data are handed out as slices of the piece; only a chunk-size line and the
trailer block are buffered, each capped (a line or block that would pass its cap raises as soon
as the buffered part shows it must). Neither the error message nor the data delivered before an
error depends on where the input was split: a feed() that completes pieces and then hits an
error returns the pieces, and the next call raises.

Complexity contract: linear in the input. A byte is searched at most once (the line buffer
remembers how far it was scanned; the trailer scan resumes two bytes before the end of what it
already searched, the length of its terminator minus one), and chunk data is never searched.
"""

from __future__ import annotations

import re

from .._errors import DecodeError

__all__ = [
    "ChunkedReader",
    "CloseDelimitedReader",
    "ContentLengthReader",
    "FramingError",
    "parse_chunk_size",
    "parse_trailers",
    "trailer_block_end",
]


class FramingError(DecodeError):
    """The response body breaks HTTP/1.1 framing (bad chunk syntax, truncation, over a cap)."""


_INCOMPLETE_CHUNKED = (
    "peer closed connection without sending complete message body (incomplete chunked read)"
)
_BAD_FOOTER = "malformed chunk footer: chunk data must be followed by CRLF"

_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]{1,20})(;[^\n]*)?[ \t]*")
_TOKEN = rb"[-!#$%&'*+.^_`|~0-9a-zA-Z]+"
_FIELD_VALUE = rb"(?:[^\x00\s]+(?:[ \t]+[^\x00\s]+)*)?"
_HEADER_LINE = re.compile(rb"(" + _TOKEN + rb"):[ \t]*(" + _FIELD_VALUE + rb")[ \t]*")
_BLANK_LINE = re.compile(rb"\n\r?\n")
_CRLF = b"\r\n"
_DIGITS = re.compile(rb"[0-9]{1,20}")


def _as_bytes(data: bytes | bytearray | memoryview) -> bytes:
    return data if type(data) is bytes else bytes(data)


def parse_chunk_size(line: bytes) -> tuple[int, bool]:
    """(size, has_extension) for a chunk-size line without its CRLF, or raise FramingError."""
    m = _CHUNK_SIZE.fullmatch(line)
    if m is None:
        raise FramingError(f"illegal chunk header: {line + _CRLF!r}")
    return int(m.group(1), 16), m.group(2) is not None


def trailer_block_end(buf: bytes | bytearray, start: int) -> int:
    """End (exclusive) of the trailer block at the start of `buf`, or -1 if not complete.

    Searching resumes at `start` (callers pass ``max(0, searched - 2)``), so a block fed a byte
    at a time is searched in linear time.
    """
    if buf[:1] == b"\n":
        return 1
    if buf[:2] == b"\r\n":
        return 2
    m = _BLANK_LINE.search(buf, start)
    return -1 if m is None else m.end()


def parse_trailers(block: bytes) -> list[tuple[bytes, bytes]]:
    """The (lowercased name, value) pairs of a complete trailer block, or raise FramingError."""
    lines = block.split(b"\n")[:-2]
    unfolded: list[bytes] = []
    for line in lines:
        if line.endswith(b"\r"):
            line = line[:-1]
        if line[:1] in (b" ", b"\t"):
            if not unfolded:
                raise FramingError("continuation line at start of headers")
            unfolded[-1] += b" " + line.lstrip(b" \t")
        else:
            unfolded.append(line)
    out: list[tuple[bytes, bytes]] = []
    lengths: list[bytes] = []
    seen_te = False
    for line in unfolded:
        m = _HEADER_LINE.fullmatch(line)
        if m is None:
            raise FramingError(f"illegal header line: {line!r}")
        name, value = m.group(1).lower(), m.group(2)
        if name == b"content-length":
            if _DIGITS.fullmatch(value) is None:
                raise FramingError("bad Content-Length")
            if lengths and value != lengths[0]:
                raise FramingError("conflicting Content-Length headers")
            if lengths:
                continue
            lengths.append(value)
        elif name == b"transfer-encoding":
            if seen_te:
                raise FramingError("multiple Transfer-Encoding headers")
            if value.lower() != b"chunked":
                raise FramingError("Only Transfer-Encoding: chunked is supported")
            seen_te = True
            value = value.lower()
        out.append((name, value))
    return out


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
    def __init__(self, length: int) -> None:
        super().__init__()
        if length < 0:
            raise ValueError("length must be >= 0")
        self._length = length
        self._remaining = length
        self._done = length == 0

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
        raise FramingError(
            "peer closed connection without sending complete message body "
            f"(received {self._received} bytes, expected {self._length})"
        )


class CloseDelimitedReader(_Reader):
    def _feed(self, data: bytes, out: list[bytes]) -> None:
        if data:
            self._received += len(data)
            out.append(data)

    def _eof(self) -> None:
        self._done = True


# ChunkedReader states
_SIZE, _DATA, _CR, _LF, _TRAILER = range(5)


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
        pos, n = 0, len(data)
        while pos < n:
            state = self._state
            if state == _DATA:
                take = min(self._left, n - pos)
                out.append(data if take == n else data[pos : pos + take])
                pos += take
                self._received += take
                self._left -= take
                if self._left == 0:
                    self._state = _CR
            elif state == _SIZE:
                pos = self._size_line(data, pos)
            elif state == _CR or state == _LF:
                if data[pos] != (13 if state == _CR else 10):
                    raise FramingError(_BAD_FOOTER)
                pos += 1
                self._state = _LF if state == _CR else _SIZE
            else:
                pos = self._trailer(data, pos)
                if self._done:
                    self._keep_surplus(data[pos:])
                    break

    def _size_line(self, data: bytes, pos: int) -> int:
        buf = self._buf
        lf = data.find(b"\n", pos)
        end = len(data) if lf < 0 else lf + 1
        if len(buf) + end - pos > (self._max_line if lf >= 0 else self._max_line - 1):
            raise FramingError(f"chunk header line too long (over {self._max_line} bytes)")
        buf += data[pos:end]
        if lf < 0:
            return end
        if len(buf) < 2 or buf[-2] != 13:
            raise FramingError(f"illegal chunk header: {bytes(buf)!r}")
        line = bytes(buf[:-2])
        buf.clear()
        size, ext = parse_chunk_size(line)
        if ext:
            self._suspicious = True
        if size:
            self._state, self._left = _DATA, size
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
                raise FramingError(f"trailer block too long (over {self._max_trailer} bytes)")
            self._searched = len(buf)
            return len(data)
        if end > self._max_trailer:
            raise FramingError(f"trailer block too long (over {self._max_trailer} bytes)")
        block = bytes(buf[:end])
        buf.clear()
        self._trailers = parse_trailers(block)
        if self._trailers:
            self._suspicious = True
        self._done = True
        return pos + end - old

    def _eof(self) -> None:
        raise FramingError(_INCOMPLETE_CHUNKED)
