"""Helpers shared by the test_spec_examples* modules: response streams of either library
(`sync_body`, `async_body`, `streamed`, `astreamed`), `compress`, `raises`, `run` and `alist`.

Each takes the library under test as `httpx`, the module fixture of tests/_helpers.py.
"""

from __future__ import annotations

import asyncio
import gzip
import zlib
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from types import ModuleType
from typing import Any

import brotli
import zstandard


def sync_body(httpx: ModuleType, pieces: Sequence[bytes]) -> Any:
    """A `SyncByteStream` of `httpx` yielding `pieces` as given; counts its `close()` calls."""
    base: Any = httpx.SyncByteStream

    class Body(base):  # type: ignore[misc]
        closes = 0

        def __iter__(self) -> Iterator[bytes]:
            yield from pieces

        def close(self) -> None:
            self.closes += 1

    return Body()


def async_body(httpx: ModuleType, pieces: Sequence[bytes]) -> Any:
    """`sync_body` as an `AsyncByteStream` (counts `aclose()` calls)."""
    base: Any = httpx.AsyncByteStream

    class ABody(base):  # type: ignore[misc]
        closes = 0

        async def __aiter__(self) -> AsyncIterator[bytes]:
            for piece in pieces:
                yield piece

        async def aclose(self) -> None:
            self.closes += 1

    return ABody()


def streamed(httpx: ModuleType, pieces: Sequence[bytes], **kwargs: Any) -> Any:
    """An unread response over a sync stream of `pieces`."""
    return httpx.Response(200, stream=sync_body(httpx, pieces), **kwargs)


def astreamed(httpx: ModuleType, pieces: Sequence[bytes], **kwargs: Any) -> Any:
    """An unread response over an async stream of `pieces`."""
    return httpx.Response(200, stream=async_body(httpx, pieces), **kwargs)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def alist(iterator: AsyncIterator[Any]) -> list[Any]:
    return [item async for item in iterator]


def compress(coding: str, data: bytes) -> bytes:
    """`data` under one content coding ("deflate-raw": deflate without the zlib wrapper)."""
    if coding == "gzip":
        return gzip.compress(data, mtime=0)
    if coding == "deflate":
        return zlib.compress(data)
    if coding == "deflate-raw":
        compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
        return compressor.compress(data) + compressor.flush()
    if coding == "br":
        return bytes(brotli.compress(data))
    if coding == "zstd":
        return bytes(zstandard.ZstdCompressor().compress(data))
    raise AssertionError(coding)


def raises(fn: Callable[[], Any]) -> str | None:
    """The name of the exception `fn()` raises, or None."""
    try:
        fn()
    except Exception as exc:
        return type(exc).__name__
    return None
