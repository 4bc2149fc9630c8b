"""The connection pool of the async transport: tasks wait for a slot in arrival order.

The bookkeeping is `PoolBase`'s (`_pool_base.py`). Everything runs on the event loop's thread
and no method awaits while it changes state, so there is no lock and no pool operation can be
interrupted by a cancellation half-way. It works on any event loop: a waiting task waits on a
`PoolWaiter` made by the caller's network backend (an asyncio future, a trio event).

* Waiters queue in arrival order (`_waiters`). A slot freed while someone waits is handed to
  the first live waiter directly (with the connection itself when it is reusable for that
  waiter's origin), so a newcomer never overtakes a waiter. Waiters exist only while the pool
  is full and has no idle connection.
* Waiters that gave up (timeout, cancellation) are skipped when they reach the head of the
  queue. A cancelled waiter never leaks: if a slot was granted to it in the same instant, it
  hands the slot on before the cancellation propagates.
"""

from __future__ import annotations

import collections
import typing

from .._exceptions import PoolTimeout
from ._pool_base import PoolBase
from ._waiter import PoolWaiter

if typing.TYPE_CHECKING:
    from .._config import Limits
    from ._backends import AsyncBackend, AsyncConnection

__all__ = ["AsyncConnectionPool"]

_CLOSED = "Cannot send a request, as the transport has been closed."


class AsyncConnectionPool(PoolBase["AsyncConnection"]):
    """Connections to any number of origins, within `Limits`, shared by the tasks of one
    event loop."""

    def __init__(self, limits: Limits) -> None:
        super().__init__(limits)
        self._waiters: collections.deque[PoolWaiter] = collections.deque()
        self._waiting = 0  # live waiters in `_waiters`

    # An idle connection for `key` when there is one (a plain call: a free connection is
    # handed over without a coroutine or a wait); None: call `acquire`.
    lend_now = PoolBase._lend_idle

    async def acquire(
        self, key: typing.Hashable, timeout: float | None, backend: AsyncBackend
    ) -> AsyncConnection | None:
        """An idle connection for `key`, or None after reserving a slot for a new one.

        Waits up to `timeout` seconds (None: forever) for a slot, then raises `PoolTimeout`.
        """
        if self.closed:
            raise RuntimeError(_CLOSED)
        connection = self._lend_idle(key)
        if connection is not None:
            return connection
        if not self._waiting and self._reserve():
            return None
        waiter = backend.Waiter(key)
        self._waiters.append(waiter)
        self._waiting += 1
        try:
            await waiter.wait(timeout)
        except BaseException:
            if not waiter.done:
                waiter.give_up()  # skipped when it reaches the head of the queue
                self._waiting -= 1
            elif waiter.error is None:
                self._hand_back(waiter.result)  # granted in the same instant: pass it on
            raise
        if not waiter.done:
            waiter.give_up()
            self._waiting -= 1
            raise PoolTimeout(self._timeout_message(timeout))
        if waiter.error is not None:
            raise waiter.error
        granted: AsyncConnection | None = waiter.result
        if granted is not None and granted.stale():
            granted.close()
            return None  # the slot stays ours: open a new connection
        return granted

    def opened(self, connection: AsyncConnection) -> None:
        """A connection opened in a reserved slot (nothing to record: the event loop keeps
        its transport alive while it is open)."""

    def release(self, connection: AsyncConnection, reusable: bool) -> None:
        """Take back a lent connection: keep it idle when `reusable`, else close it."""
        if reusable and not self.closed and not connection.closed and self._max_idle != 0:
            connection.responses += 1
            connection.idle()
            if not self._waiters:
                # Nobody waits (the usual case): straight back among the idle ones.
                self._in_use -= 1
                self._keep_idle(connection)
            else:
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
        connection.schedule(self.discard)

    def close(self) -> None:
        """Close every idle connection; lent ones close when they come back."""
        self._close_idle()
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done:
                self._waiting -= 1
                waiter.fail(RuntimeError(_CLOSED))

    def _hand_back(self, connection: AsyncConnection | None) -> None:
        """A lent slot comes back, with its reusable connection or None (closed or never
        opened): to the first live waiter, else to the pool."""
        if connection is not None and self.closed:
            connection.close()
            connection = None
        waiters = self._waiters
        while waiters:
            waiter = waiters.popleft()
            if waiter.done:
                continue
            self._waiting -= 1
            if connection is not None and waiter.key != connection.key:
                connection.close()
                connection = None
            waiter.grant(connection)
            return
        self._in_use -= 1
        if connection is None:
            self._count -= 1
            return
        self._keep_idle(connection)
