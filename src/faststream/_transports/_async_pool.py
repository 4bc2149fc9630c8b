"""The connection pool of the asyncio transport: slots, idle connections, fair waiting.

Everything runs on the event loop's thread and no method awaits while it changes state, so
there is no lock and no pool operation can be interrupted by a cancellation half-way.

Invariants:

* `_count` is the number of connections open or being opened; it never exceeds
  `max_connections`. `_in_use` of them are lent out (or being opened).
* An idle connection is in `_idle[key]` and in `_by_age`, both insertion-ordered by the time it
  was released, as in the sync pool (most recently used lent first, oldest expired first).
* Waiters queue in arrival order (`_waiters`). A slot freed while someone waits is handed to
  the first live waiter directly (with the connection itself when it is reusable for that
  waiter's origin), so a newcomer never overtakes a waiter. Waiters exist only while the pool
  is full and has no idle connection.
* Every operation costs O(1) plus the connections it closes, whatever the pool size. Waiters
  that gave up (timeout, cancellation) are skipped when they reach the head of the queue.

A cancelled waiter never leaks: if a slot was granted to it in the same instant, it hands the
slot on before the cancellation propagates.
"""

from __future__ import annotations

import asyncio
import collections
import time
import typing

from .._exceptions import PoolTimeout
from ._async_connection import AsyncConnection

if typing.TYPE_CHECKING:
    from .._config import Limits

__all__ = ["AsyncConnectionPool"]


class _Waiter:
    __slots__ = ("future", "key")

    def __init__(self, future: asyncio.Future[AsyncConnection | None], key: typing.Hashable):
        self.future = future
        self.key = key


class AsyncConnectionPool:
    """Connections to any number of origins, within `Limits`."""

    def __init__(self, limits: Limits) -> None:
        self._max = limits.max_connections
        self._max_idle = limits.max_keepalive_connections
        self._expiry = limits.keepalive_expiry
        self._idle: dict[typing.Hashable, dict[AsyncConnection, None]] = {}
        self._by_age: dict[AsyncConnection, None] = {}
        self._count = 0
        self._in_use = 0
        self._waiters: collections.deque[_Waiter] = collections.deque()
        self._waiting = 0  # live waiters in `_waiters`
        self.closed = False

    # -- lending ------------------------------------------------------------------------------

    async def acquire(self, key: typing.Hashable, timeout: float | None) -> AsyncConnection | None:
        """An idle connection for `key`, or None after reserving a slot for a new one.

        Waits up to `timeout` seconds (None: forever) for a slot, then raises `PoolTimeout`.
        """
        if self.closed:
            raise RuntimeError("Cannot send a request, as the transport has been closed.")
        if self._by_age:
            if self._expiry is not None:
                self._close_expired()
            idle = self._idle.get(key)
            while idle:
                connection = idle.popitem()[0]
                del self._by_age[connection]
                if not idle:
                    del self._idle[key]
                if connection.broken or connection.closed:
                    # Closed by the server, or bytes nobody asked for: never reuse.
                    connection.close()
                    self._count -= 1
                    continue
                self._in_use += 1
                return connection
        if not self._waiting:
            if self._max is None or self._count < self._max:
                self._count += 1
                self._in_use += 1
                return None
            if self._by_age:
                # Full, but some are idle (for other origins): close the oldest.
                self._drop(next(iter(self._by_age)))
                self._count += 1
                self._in_use += 1
                return None
        return await self._wait(key, timeout)

    async def _wait(self, key: typing.Hashable, timeout: float | None) -> AsyncConnection | None:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[AsyncConnection | None] = loop.create_future()
        self._waiters.append(_Waiter(future, key))
        self._waiting += 1
        timer = None
        if timeout is not None:
            timer = loop.call_later(timeout, self._expire, future, timeout)
        try:
            granted = await future
        except BaseException:
            if future.cancelled() or not future.done():
                # Given up (the task's cancellation cancels the future it awaits): skipped
                # when it reaches the head of the queue.
                future.cancel()
                self._waiting -= 1
            elif future.exception() is None:
                # Granted in the same instant as the cancellation: pass it on.
                self._hand_back(future.result())
            raise
        finally:
            if timer is not None:
                timer.cancel()
        if granted is not None and (granted.broken or granted.closed):
            granted.close()
            return None  # the slot stays ours: open a new connection
        return granted

    def _expire(self, future: asyncio.Future[AsyncConnection | None], timeout: float) -> None:
        if not future.done():
            self._waiting -= 1
            future.set_exception(PoolTimeout(self._timeout_message(timeout)))

    def release(self, connection: AsyncConnection, reusable: bool) -> None:
        """Take back a lent connection: keep it idle when `reusable`, else close it."""
        if reusable and not self.closed and not connection.closed and self._max_idle != 0:
            connection.responses += 1
            connection.idle()
            self._hand_back(connection)
        else:
            connection.close()
            self._hand_back(None)

    def discard(self, connection: AsyncConnection | None = None) -> None:
        """Give back a lent slot whose connection failed (or was never opened); close it."""
        if connection is not None:
            connection.close()
        self._hand_back(None)

    def abandon(self, connection: AsyncConnection) -> None:
        """A lent connection whose response was garbage-collected unclosed: close it and free
        its slot on the event loop (the garbage collector may run anywhere)."""
        try:
            connection.loop.call_soon_threadsafe(self.discard, connection)
        except RuntimeError:  # the loop is closed: nothing can wait on this pool any more
            pass

    def close(self) -> None:
        """Close every idle connection; lent ones close when they come back."""
        self.closed = True
        for connection in list(self._by_age):
            self._drop(connection)
        while self._waiters:
            future = self._waiters.popleft().future
            if not future.done():
                self._waiting -= 1
                future.set_exception(
                    RuntimeError("Cannot send a request, as the transport has been closed.")
                )

    # -- state ----------------------------------------------------------------------------

    @property
    def connections_in_use(self) -> int:
        return self._in_use

    @property
    def idle_connections(self) -> int:
        return len(self._by_age)

    @property
    def connections(self) -> int:
        """Connections open or being opened (idle ones included)."""
        return self._count

    def _timeout_message(self, timeout: float | None) -> str:
        return (
            f"Timed out after {timeout} s waiting for a connection from the pool: "
            f"{self._in_use} of max_connections={self._max} connections are in use "
            "(a response that is never closed keeps its connection)."
        )

    # -- internals --------------------------------------------------------------------------

    def _hand_back(self, connection: AsyncConnection | None) -> None:
        """A lent slot comes back, with its reusable connection or None (closed or never
        opened): to the first live waiter, else to the pool."""
        if connection is not None and self.closed:
            connection.close()
            connection = None
        waiters = self._waiters
        while waiters:
            waiter = waiters.popleft()
            future = waiter.future
            if future.done():
                continue
            self._waiting -= 1
            if connection is not None and waiter.key != connection.key:
                connection.close()
                connection = None
            future.set_result(connection)
            return
        self._in_use -= 1
        if connection is None:
            self._count -= 1
            return
        if self._max_idle is not None and len(self._by_age) >= self._max_idle:
            self._drop(next(iter(self._by_age)))
        connection.idle_since = time.monotonic()
        self._by_age[connection] = None
        self._idle.setdefault(connection.key, {})[connection] = None

    def _drop(self, connection: AsyncConnection) -> None:
        del self._by_age[connection]
        idle = self._idle[connection.key]
        del idle[connection]
        if not idle:
            del self._idle[connection.key]
        connection.close()
        self._count -= 1

    def _close_expired(self) -> None:
        assert self._expiry is not None
        limit = time.monotonic() - self._expiry
        while self._by_age:
            oldest = next(iter(self._by_age))
            if oldest.idle_since > limit:
                break
            self._drop(oldest)
