"""Byte streams: the bodies that transports hand to responses and requests hand to transports.

`SyncByteStream` and `AsyncByteStream` are the abstract bases (iterate to get the body's bytes,
close to release what backs it); `ByteStream` is an in-memory body usable either way.
`CHUNK_SIZE` is the most read from a file object at a time by the request bodies built on them
(`content=` and multipart files).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

__all__ = ["CHUNK_SIZE", "AsyncByteStream", "ByteStream", "SyncByteStream", "aclose_iterator"]

# The largest piece read from a file object at a time (request bodies and multipart files).
CHUNK_SIZE = 64 * 1024


class SyncByteStream:
    """A body read with a plain `for` loop; `close()` releases what backs it."""

    def __iter__(self) -> Iterator[bytes]:
        raise NotImplementedError("The '__iter__' method must be implemented.")
        yield b""  # type: ignore[unreachable]  # makes this a generator, as subclasses are

    def close(self) -> None:
        """Release the resources behind the stream (nothing, by default)."""


class AsyncByteStream:
    """A body read with `async for`; `aclose()` releases what backs it."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        raise NotImplementedError("The '__aiter__' method must be implemented.")
        yield b""  # type: ignore[unreachable]  # makes this an async generator

    async def aclose(self) -> None:
        """Release the resources behind the stream (nothing, by default)."""


class ByteStream(AsyncByteStream, SyncByteStream):
    """An in-memory body: one `bytes` value, yielded once per iteration, sync or async."""

    def __init__(self, stream: bytes) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        yield self._stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self._stream


async def aclose_iterator(iterator: object) -> None:
    """Close an async iterator left unfinished (an async generator stopped early), so that it
    runs its cleanup now rather than when an event loop finalizes it (trio warns then). A
    finished generator, or an iterator without `aclose`, is left as it is."""
    aclose = getattr(iterator, "aclose", None)
    if aclose is not None:
        await aclose()
