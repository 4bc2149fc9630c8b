"""Exact-size re-chunking of bytes and text, and incremental text decoding: the pure twins.

Same names and behaviour as the compiled `_cstream._chunker`; the API is documented in
`_cstream/_chunker.pyi`.

Both chunkers keep the partial chunk as a list of pieces and its length, and join the pieces
once, when the chunk is complete or flushed. Invariant between calls: 0 <= `_have` < chunk size,
and `_have` is the total length of `_parts`. Each decode costs O(len(input)) and nothing already
held is copied again until the chunk completes, so any split of the input is linear overall.
"""

from __future__ import annotations

import codecs
import operator
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing_extensions import Buffer


def _parse_chunk_size(chunk_size: int | None) -> int:
    """0 for None (pass-through); else the size, a positive integer (ValueError otherwise)."""
    if chunk_size is None:
        return 0
    value = operator.index(chunk_size)
    if value <= 0:
        raise ValueError(f"chunk_size must be a positive integer or None, got {chunk_size!r}")
    if value > sys.maxsize:
        raise OverflowError("chunk_size is too large")
    return value


def _as_bytes(data: Buffer) -> bytes:
    """The bytes of any C-contiguous buffer (what `PyBUF_SIMPLE` accepts), as exact bytes."""
    if type(data) is bytes:
        return data
    with memoryview(data) as view:
        if not view.c_contiguous:
            raise BufferError("memoryview: underlying buffer is not C-contiguous")
        return view.tobytes()


class _Unpicklable:
    """Like the compiled types, which do not pickle or copy (their state is C-level)."""

    __slots__ = ()

    def __reduce_ex__(self, protocol: object) -> str | tuple[object, ...]:
        raise TypeError(f"cannot pickle {type(self).__qualname__!r} object")


class ByteChunker(_Unpicklable):
    def __init__(self, chunk_size: int | None = None) -> None:
        self._size = _parse_chunk_size(chunk_size)
        self._parts: list[bytes] = []
        self._have = 0

    def decode(self, data: Buffer) -> list[bytes]:
        data = _as_bytes(data)
        n = len(data)
        size = self._size
        if n == 0:
            return []
        if size == 0:
            return [data]
        out: list[bytes] = []
        pos = 0
        if self._have:
            pos = min(size - self._have, n)
            self._parts.append(data[:pos])
            self._have += pos
            if self._have == size:
                out.append(b"".join(self._parts))
                self._parts.clear()
                self._have = 0
        while n - pos >= size:
            out.append(data[pos : pos + size])  # the input itself when it is exactly one chunk
            pos += size
        if pos < n:
            self._parts.append(data[pos:])
            self._have += n - pos
        return out

    def flush(self) -> list[bytes]:
        if self._have == 0:
            return []
        last = b"".join(self._parts)
        self._parts.clear()
        self._have = 0
        return [last]


class TextChunker(_Unpicklable):
    def __init__(self, chunk_size: int | None = None) -> None:
        self._size = _parse_chunk_size(chunk_size)
        self._parts: list[str] = []
        self._have = 0

    def decode(self, text: str) -> list[str]:
        if not isinstance(text, str):
            raise TypeError(f"TextChunker.decode() expects str, got {type(text).__name__}")
        n = len(text)
        size = self._size
        if n == 0:
            return []
        if size == 0:
            return [text[:]]  # exact str, the object itself unless a subclass
        out: list[str] = []
        pos = 0
        if self._have:
            pos = min(size - self._have, n)
            self._parts.append(text[:pos])
            self._have += pos
            if self._have == size:
                out.append("".join(self._parts))
                self._parts.clear()
                self._have = 0
        while n - pos >= size:
            out.append(text[pos : pos + size])
            pos += size
        if pos < n:
            self._parts.append(text[pos:])
            self._have += n - pos
        return out

    def flush(self) -> list[str]:
        if self._have == 0:
            return []
        last = "".join(self._parts)
        self._parts.clear()
        self._have = 0
        return [last]


class TextDecoder(_Unpicklable):
    def __init__(self, encoding: str = "utf-8") -> None:
        factory = codecs.getincrementaldecoder(encoding)  # LookupError when unknown
        self._decode = factory(errors="replace").decode

    def decode(self, data: Buffer) -> str:
        return self._decode(data)

    def flush(self) -> str:
        return self._decode(b"", True)
