"""The network backends of the HTTP/1.1 transports, and which one a call runs on.

The transports' logic is written once, as async code (`_async_http11.py`), and the sync
transport is generated from it; what differs is only how bytes move, behind one interface:

* a backend: `connect(dial, settings)` returns a connected (and, when `dial.context` is an
  `ssl.SSLContext`, TLS) connection, `resolve(host, port, timeout)` the first address of a
  name, `sleep(seconds)`, and for the async pool a `Waiter`
  class (`_waiter.PoolWaiter`);
* a connection: `send_request`, `receive_head`, `read_pieces` (the body, a list of pieces at
  a time, empty at its end), `send_raw`/`receive_raw` (bytes outside any exchange: a SOCKS
  handshake), `start_tls` (a CONNECT or SOCKS tunnel), `stale()`,
  `idle()`, `close()`, `schedule(callback)` (async: run on the connection's own loop, from
  any thread), and `key`, `responses`, `idle_since`, `closed`, `network_stream`.

Backends: plain sockets for `Client` (`_connection.py`); for `AsyncClient`, asyncio's
`BufferedProtocol` (`_asyncio_connection.py`, the fast path; uvloop welcome) or trio
(`_trio_connection.py`), chosen per request by the library running the calling task. trio is
imported only when the caller runs on trio.
"""

from __future__ import annotations

import asyncio
import ssl
import typing

from .._streams import AsyncByteStream, aclose_iterator
from ._allocator import raise_mmap_threshold
from ._connection import Connection, SyncBackend
from ._http11_exchange import RequestBody, encode_end, encode_piece

if typing.TYPE_CHECKING:
    from ._http11_exchange import Body, Fields, Head
    from ._settings import Dial, TransportSettings
    from ._waiter import PoolWaiter

__all__ = [
    "AsyncBackend",
    "AsyncConnection",
    "Connection",
    "Stream",
    "SYNC_BACKEND",
    "SyncBackend",
    "Timeout",
    "current_async_backend",
    "write_request",
]


raise_mmap_threshold()  # once, before any backend reads a large body (see _allocator)

Stream: typing.TypeAlias = AsyncByteStream | None  # a request body to send (None: none)
Timeout: typing.TypeAlias = float | None


class AsyncConnection(typing.Protocol):
    """One HTTP/1.1 connection of an async backend, used for one exchange at a time."""

    key: typing.Hashable
    responses: int
    idle_since: float
    closed: bool
    network_stream: typing.Any
    body: Body | None  # the response being read (after `receive_head`)

    async def send_request(
        self, method: bytes, target: bytes, headers: Fields, stream: Stream, timeout: Timeout
    ) -> None: ...

    async def receive_head(self, method: bytes, read_timeout: float | None) -> Head: ...

    async def read_pieces(self, read_timeout: float | None) -> list[bytes]: ...

    async def send_raw(self, data: bytes, timeout: float | None) -> None: ...

    async def receive_raw(self, timeout: float | None, size: int = ...) -> bytes: ...

    async def start_tls(
        self, context: ssl.SSLContext, server_hostname: str, timeout: float | None
    ) -> None: ...

    def stale(self) -> bool: ...

    def idle(self) -> None: ...

    def schedule(self, callback: typing.Callable[[typing.Any], None]) -> None: ...

    def close(self) -> None: ...


class AsyncBackend(typing.Protocol):
    """How an async transport opens connections and waits, on one event loop library."""

    @property
    def Waiter(self) -> type[PoolWaiter]: ...  # a class, named as one

    async def connect(self, dial: Dial, settings: TransportSettings) -> AsyncConnection: ...

    async def sleep(self, seconds: float) -> None: ...

    def spawn(
        self, afn: typing.Callable[[], typing.Coroutine[typing.Any, typing.Any, None]]
    ) -> None: ...

    async def resolve(
        self, host: str, port: int, timeout: float | None, prefer: int = ...
    ) -> str: ...


SYNC_BACKEND = SyncBackend()  # the sync transport's backend: no choice to make per call
_ASYNCIO: AsyncBackend | None = None
_TRIO: AsyncBackend | None = None


def current_async_backend() -> AsyncBackend:
    """The backend of the library running the calling task: asyncio (any loop) or trio."""
    global _ASYNCIO, _TRIO
    if asyncio._get_running_loop() is not None:
        if _ASYNCIO is None:
            from ._asyncio_connection import AsyncioBackend

            _ASYNCIO = AsyncioBackend()
        return _ASYNCIO
    library = _running_library()
    if library is None:
        raise RuntimeError("no running event loop")
    if library == "trio":
        if _TRIO is None:
            from ._trio_connection import TrioBackend

            _TRIO = TrioBackend()
        return _TRIO
    raise RuntimeError(f"faststream's async transport runs on asyncio or trio, not on {library}.")


def _running_library() -> str | None:
    try:
        import sniffio
    except ImportError:  # sniffio comes with trio: without it, trio is not running either
        return None
    try:
        return sniffio.current_async_library()
    except sniffio.AsyncLibraryNotFoundError:
        return None


async def write_request(
    write: typing.Callable[[bytes, Timeout], typing.Awaitable[None]],
    prepared: tuple[list[bytes], RequestBody | None],
    stream: Stream,
    timeout: Timeout,
) -> None:
    """Send a request through a connection's `write(data, timeout)`, as `request_writes`
    prepared it: the head (with an in-memory body), then a body streamed from `stream`."""
    writes, streaming = prepared
    for data in writes:
        await write(data, timeout)
    if streaming is not None:
        assert stream is not None
        iterator = stream.__aiter__()
        try:
            async for piece in iterator:
                await write(encode_piece(streaming, piece), timeout)
        finally:
            await aclose_iterator(iterator)  # a body refused half-way stops here
        await write(encode_end(streaming), timeout)
