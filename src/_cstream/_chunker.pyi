"""Exact-size re-chunking of bytes and text, and incremental text decoding.

Compiled in `_chunker.pyx`; the pure twin in `_pure/_chunker.py` behaves identically.
Behaves like httpx 0.28.1's `ByteChunker`, `TextChunker` and `TextDecoder`.
"""

from typing import final

from typing_extensions import Buffer

@final
class ByteChunker:
    """Re-cut a stream of byte pieces into chunks of exactly `chunk_size` bytes.

    With ``chunk_size=None`` every non-empty piece passes through unchanged (a `bytes` piece as
    the same object; other buffers copied into `bytes`) and empty pieces are dropped.

    With ``chunk_size=n``, every chunk handed out is exactly n bytes except the one `flush()`
    returns, which is 1..n-1 bytes; the chunks concatenated equal the input, and no chunk is
    ever empty. Example: pieces ``ab|cdefg|h||ij`` with n=3 give ``abc, def, ghi`` from
    `decode` and ``j`` from `flush`. Memory held is O(n); each call is O(len(data)).
    """

    def __init__(self, chunk_size: int | None = None) -> None:
        """Raise ValueError if `chunk_size` is not None and not a positive integer
        (TypeError if it is not an integer at all, OverflowError past ``sys.maxsize``)."""

    def decode(self, data: Buffer) -> list[bytes]:
        """Add a piece and return the chunks it completes (possibly none).

        `data` may be `bytes`, `bytearray`, `memoryview` or any C-contiguous buffer; sizes
        count bytes. Output chunks are always `bytes`. A non-contiguous buffer raises
        BufferError, a non-buffer TypeError.
        """

    def flush(self) -> list[bytes]:
        """Return the held remainder as ``[chunk]`` (or ``[]`` if none) and start afresh."""

@final
class TextChunker:
    """`ByteChunker` on `str`: sizes count characters (code points).

    ``chunk_size=None`` passes each non-empty piece through; otherwise every chunk but the
    flushed one is exactly `chunk_size` characters. Raises the same errors as `ByteChunker`
    for a bad `chunk_size`, and TypeError when `decode` is given anything but a `str`.
    Output chunks are exact `str`, even for `str` subclass input.
    """

    def __init__(self, chunk_size: int | None = None) -> None: ...
    def decode(self, text: str) -> list[str]:
        """Add a piece and return the chunks it completes (possibly none)."""

    def flush(self) -> list[str]:
        """Return the held remainder as ``[chunk]`` (or ``[]`` if none) and start afresh."""

@final
class TextDecoder:
    """Incremental bytes-to-str decoding with ``errors="replace"``.

    Gives exactly what ``codecs.getincrementaldecoder(encoding)(errors="replace")`` gives, call
    for call, for every way the input is split. A multi-byte character split across pieces
    is reassembled (``b"\\xe2\\x82"`` then ``b"\\xac!"`` give ``""`` then ``"€!"``); invalid
    bytes become U+FFFD. No BOM is stripped for utf-8; the utf-16/utf-32 codecs handle theirs.
    utf-8, ascii and latin-1 are decoded in C; other encodings use the stdlib codec.
    """

    def __init__(self, encoding: str = "utf-8") -> None:
        """Raise LookupError for an encoding `codecs` does not know."""

    def decode(self, data: Buffer) -> str:
        """Decode a piece; ``""`` when it only begins a multi-byte character."""

    def flush(self) -> str:
        """Finish the stream (``final=True``): a held incomplete sequence becomes one U+FFFD."""
