"""Line splitting, pure-Python twin of `_cstream._lines` (same names, same behaviour).

Lines end at ``\\n``, ``\\r\\n`` or ``\\r`` and at nothing else (unlike httpx, which also splits on
the other `str.splitlines` boundaries and so cuts JSON lines whose strings hold U+2028). Over a
whole stream the lines returned by every `decode` plus `flush` are ``re.split(r"\\r\\n|\\r|\\n",
text)`` with a final empty element dropped, whatever the pieces were.

Theory of operation (the same on both sides):

* A piece is split at its terminators. The text before the first one completes the partial
  line buffered so far; the text after the last one becomes the new partial line.
* A ``\\r`` that ends a piece may be the first half of ``\\r\\n``. The line it ends is complete,
  but it is held back (``_held``) until the next non-empty piece arrives; a ``\\n`` at the start
  of that piece is then dropped. `flush` returns a held line as the final line.
* Complexity contract: linear in the total input, however long the line and however small the
  pieces. The partial line is never rescanned; it is kept as a list of pieces (`_Partial`)
  that is compacted every `_COMPACT` pieces, so each character is copied at most twice before
  the line is built, and a line fed one character at a time holds one pointer per
  `_COMPACT` characters rather than one per character.
* `max_line_length` bounds the partial line: exceeding it raises `LineTooLongError` at once,
  before the terminator arrives, and drops the buffered data.
"""

from __future__ import annotations

import codecs
import operator
import re
from typing import AnyStr, Generic, NoReturn

from .._errors import LineTooLongError

__all__ = ["ByteLineDecoder", "LineDecoder", "bytes_lines_supported"]

# Canonical codec names (codecs.lookup(...).name) whose bytes 0x0A and 0x0D always stand for
# "\n" and "\r" and occur inside no multi-byte sequence, and whose decoding with
# errors="replace" is local: decoding line by line equals decoding the whole then splitting.
_BYTE_LINE_CODECS = frozenset(
    ["utf-8", "ascii", "iso8859-1"] + [f"cp{n}" for n in range(1250, 1259)]
)

_SPLIT_TEXT = re.compile(r"\r\n|\r|\n").split
_SPLIT_BYTES = re.compile(rb"\r\n|\r|\n").split

# Pieces of a partial line joined into one once this many have accumulated.
_COMPACT = 1024


def bytes_lines_supported(encoding: str) -> bool:
    """Whether `ByteLineDecoder` handles `encoding` (any alias `codecs.lookup` accepts)."""
    return _canonical(encoding) is not None


def _canonical(encoding: str) -> str | None:
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        return None
    return name if name in _BYTE_LINE_CODECS else None


def _check_cap(max_line_length: int | None) -> int | None:
    if max_line_length is None:
        return None
    max_line_length = operator.index(max_line_length)
    if max_line_length < 0:
        raise ValueError("max_line_length must be None or >= 0")
    return max_line_length


class _Partial(Generic[AnyStr]):
    """The partial line: recent pieces in `_small`, older ones joined in groups in `_big`.

    Appending is O(1); `take` joins everything once. Each character is copied at most twice.
    """

    __slots__ = ("_big", "_empty", "_small", "size")

    def __init__(self, empty: AnyStr) -> None:
        self._empty: AnyStr = empty
        self._small: list[AnyStr] = []
        self._big: list[AnyStr] = []
        self.size = 0

    def append(self, piece: AnyStr) -> None:
        small = self._small
        small.append(piece)
        self.size += len(piece)
        if len(small) >= _COMPACT:
            self._big.append(self._empty.join(small))
            small.clear()

    def take(self, tail: AnyStr) -> AnyStr:
        """The buffered text followed by `tail`; the buffer is left empty."""
        parts = self._big
        parts.extend(self._small)
        parts.append(tail)
        line = self._empty.join(parts)
        self.clear()
        return line

    def clear(self) -> None:
        self._small = []
        self._big = []
        self.size = 0


class LineDecoder:
    """Text pieces in, complete lines out (terminators removed)."""

    __slots__ = ("_held", "_max", "_partial")

    def __init__(self, max_line_length: int | None = None) -> None:
        self._max = _check_cap(max_line_length)
        self._partial: _Partial[str] = _Partial("")
        self._held: str | None = None

    def decode(self, text: str) -> list[str]:
        if not isinstance(text, str):
            raise TypeError(f"LineDecoder.decode() takes str, not {type(text).__name__}")
        if self._held is None and "\n" not in text and "\r" not in text:
            # no terminator and nothing held: the whole piece extends the partial line
            if text:
                self._partial.append(text)
                if self._max is not None and self._partial.size > self._max:
                    self._too_long()
            return []
        if not text:
            return []
        lines: list[str] = []
        if self._held is not None:
            lines.append(self._held)
            self._held = None
            if text[0] == "\n":
                text = text[1:]
        if "\r" not in text:
            parts = text.split("\n")
        elif "\n" not in text:
            parts = text.split("\r")
        else:
            parts = _SPLIT_TEXT(text)
        self._take_lines(parts, text.endswith("\r"), lines)
        return lines

    def flush(self) -> list[str]:
        lines: list[str] = []
        if self._held is not None:
            lines.append(self._held)
            self._held = None
        if self._partial.size:
            lines.append(self._partial.take(""))
        return lines

    def _take_lines(self, parts: list[str], ends_with_cr: bool, lines: list[str]) -> None:
        # parts: the piece split at its terminators; parts[0] continues the partial line,
        # parts[-1] (maybe "") starts the next one.
        rest = parts.pop()
        if not parts:
            if rest:
                self._partial.append(rest)
                self._check_partial()
            return
        if self._partial.size:
            parts[0] = self._partial.take(parts[0])
        if self._max is not None and max(map(len, parts)) > self._max:
            self._too_long()
        if ends_with_cr:
            self._held = parts.pop()
        elif rest:
            self._partial.append(rest)
            self._check_partial()
        lines.extend(parts)

    def _check_partial(self) -> None:
        if self._max is not None and self._partial.size > self._max:
            self._too_long()

    def _too_long(self) -> NoReturn:
        self._partial.clear()
        self._held = None
        raise LineTooLongError(f"line longer than {self._max} characters")


class ByteLineDecoder:
    """Bytes in, decoded lines out, for ASCII-compatible encodings; see the `.pyi` stub."""

    __slots__ = ("_encoding", "_held", "_max", "_partial")

    def __init__(self, encoding: str = "utf-8", max_line_length: int | None = None) -> None:
        name = _canonical(encoding)
        if name is None:
            raise ValueError(f"ByteLineDecoder does not support the encoding {encoding!r}")
        self._encoding = name
        self._max = _check_cap(max_line_length)
        self._partial: _Partial[bytes] = _Partial(b"")
        self._held: str | None = None

    def decode(self, data: bytes | bytearray | memoryview) -> list[str]:
        if type(data) is not bytes:
            data = bytes(memoryview(data))
        # (int membership: much cheaper than `b"\n" in data`, which goes through a buffer)
        if self._held is None and 10 not in data and 13 not in data:
            if data:
                self._partial.append(data)
                if self._max is not None and self._partial.size > self._max:
                    self._too_long()
            return []
        if not data:
            return []
        lines: list[str] = []
        if self._held is not None:
            lines.append(self._held)
            self._held = None
            if data[0] == 0x0A:
                data = data[1:]
        if 13 not in data:
            parts = data.split(b"\n")
        elif 10 not in data:
            parts = data.split(b"\r")
        else:
            parts = _SPLIT_BYTES(data)
        self._take_lines(parts, data[-1:] == b"\r", lines)
        return lines

    def flush(self) -> list[str]:
        lines: list[str] = []
        if self._held is not None:
            lines.append(self._held)
            self._held = None
        if self._partial.size:
            lines.append(self._partial.take(b"").decode(self._encoding, "replace"))
        return lines

    def _take_lines(self, parts: list[bytes], ends_with_cr: bool, lines: list[str]) -> None:
        rest = parts.pop()
        if not parts:
            if rest:
                self._partial.append(rest)
                self._check_partial()
            return
        if self._partial.size:
            parts[0] = self._partial.take(parts[0])
        if self._max is not None and max(map(len, parts)) > self._max:
            self._too_long()
        encoding = self._encoding
        decoded = [part.decode(encoding, "replace") for part in parts]
        if ends_with_cr:
            self._held = decoded.pop()
        elif rest:
            self._partial.append(rest)
            self._check_partial()
        lines.extend(decoded)

    def _check_partial(self) -> None:
        if self._max is not None and self._partial.size > self._max:
            self._too_long()

    def _too_long(self) -> NoReturn:
        self._partial.clear()
        self._held = None
        raise LineTooLongError(f"line longer than {self._max} bytes")
