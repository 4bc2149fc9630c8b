"""Line splitting: text or bytes in, complete lines out (what `iter_lines` uses).

Lines end at ``"\\n"``, ``"\\r\\n"`` or ``"\\r"`` and at nothing else: unlike httpx, which splits
at every `str.splitlines` boundary, U+2028, U+0085, ``"\\x0b"`` and the like stay inside the line
(JSON lines whose strings hold them are valid and must not be cut). Over a whole stream the lines
returned by every `decode` plus `flush` equal ``re.split(r"\\r\\n|\\r|\\n", text)`` with a final
empty element dropped (``[]`` for empty text), however the stream was cut into pieces. Terminators
are removed; empty lines are returned; a final terminator adds no empty line.

Both decoders are linear in their input however long the lines and however small the pieces,
and hold about one partial line of memory (see `max_line_length` to bound it).
"""

from typing import final

@final
class LineDecoder:
    """Text pieces in, complete lines out.

    A ``"\\r"`` that ends a piece may be the first half of ``"\\r\\n"``: the line it ends is
    returned by the next `decode` of a non-empty piece (which drops a leading ``"\\n"``), or by
    `flush`. So ``"a\\r" | "\\nb"`` gives ``["a", "b"]``, and ``"\\r"`` alone gives ``[""]``.
    """

    def __init__(self, max_line_length: int | None = None) -> None:
        """`max_line_length`: longest line allowed, in characters, terminator excluded.

        ``None`` (the default, as in httpx) means no limit. When a line grows past it,
        `decode` raises `LineTooLongError` as soon as the buffered part exceeds the limit,
        before its terminator arrives, so memory stays bounded. A negative value raises
        ValueError.
        """

    def decode(self, text: str) -> list[str]:
        """Feed one piece; return the lines it completes (possibly none)."""

    def flush(self) -> list[str]:
        """End of stream: return the last line if any (``[]`` or one line) and reset."""

@final
class ByteLineDecoder:
    """Bytes in, decoded lines out, for ASCII-compatible encodings (the `iter_lines` fast path).

    Gives exactly what a codecs incremental decoder with ``errors="replace"`` followed by
    `LineDecoder` gives, replacement characters included (also for a multi-byte sequence cut
    by a piece boundary, or invalid bytes right before a terminator or at the end of the
    body), without decoding the body into one string first: it splits at bytes 0x0A and 0x0D
    and decodes each line once.

    Encodings: UTF-8, ASCII, Latin-1 (ISO-8859-1) and cp1250-cp1258, under any alias that
    `codecs.lookup` accepts (see `bytes_lines_supported`).
    """

    def __init__(self, encoding: str = "utf-8", max_line_length: int | None = None) -> None:
        """`encoding`: see `bytes_lines_supported`; another one raises ValueError.

        `max_line_length` counts **bytes** (the encoded line, terminator excluded), unlike
        `LineDecoder`'s characters; otherwise the same: ``None`` is no limit, and a line
        growing past it raises `LineTooLongError` before its terminator arrives.
        """

    def decode(self, data: bytes | bytearray | memoryview) -> list[str]:
        """Feed one piece (any contiguous bytes-like object); return the lines it completes."""

    def flush(self) -> list[str]:
        """End of stream: return the last line if any and reset.

        An incomplete multi-byte sequence at the very end becomes U+FFFD, as in `iter_text`.
        """

def bytes_lines_supported(encoding: str) -> bool:
    """Whether `ByteLineDecoder` handles `encoding`.

    True for UTF-8, ASCII, Latin-1 and cp1250-cp1258 under any alias `codecs.lookup` accepts
    (``"UTF8"``, ``"utf_8"``, ``"ISO-8859-1"``, ``"windows-1252"``, ...). False for every other
    codec (``utf-16``, ``utf-8-sig``, ``shift_jis``, ...) and for unknown names; for those, decode
    to text first and use `LineDecoder`.
    """
