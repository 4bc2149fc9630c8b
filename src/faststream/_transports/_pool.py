"""The connection pool of the sync transport: threads wait for a slot on a condition.

The bookkeeping is `PoolBase`'s (`_pool_base.py`), run under one lock. A connection is lent
with `acquire(key)`: an idle one for `key`, or `None`, which means a slot was reserved and the
caller opens a connection (and calls `discard()` if that fails). It comes back with
`release(connection, reusable)`. A response that is garbage-collected unclosed hands its
connection to `abandon()`, which never blocks (it may run inside the garbage collector, while
this thread holds the lock): the slot is then freed by the next pool operation.
"""

from __future__ import annotations

import collections
import threading
import time
import typing

from .._exceptions import PoolTimeout
from ._connection import Connection
from ._pool_base import PoolBase

if typing.TYPE_CHECKING:
    from .._config import Limits

__all__ = ["ConnectionPool"]

_WAIT_SLICE = 0.1  # waiters look at abandoned connections at least this often


class ConnectionPool(PoolBase[Connection]):
    """Connections to any number of origins, within `Limits`, shared by threads."""

    def __init__(self, limits: Limits) -> None:
        super().__init__(limits)
        self._lock = threading.Lock()
        # Waits go through the condition; everything else takes its lock directly (the same
        # lock, cheaper to enter than the condition's Python-level __enter__).
        self._cond = threading.Condition(self._lock)
        self._waiting = 0  # threads in `acquire` waiting for a slot: only they need a notify
        self._abandoned: collections.deque[Connection] = collections.deque()
        # Lent connections are referenced here so that a response collected in a reference
        # cycle cannot have its socket finalized before the response closes it properly.
        self._lent: set[Connection] = set()

    def lend_now(self, key: typing.Hashable) -> Connection | None:
        """An idle connection for `key` when there is one at once; None: call `acquire`
        (which also frees the slots of abandoned connections first)."""
        with self._lock:
            if not self._abandoned:
                connection = self._lend_idle(key)
                if connection is not None:
                    self._lent.add(connection)
                return connection
        return None

    def acquire(
        self, key: typing.Hashable, timeout: float | None, backend: object = None
    ) -> Connection | None:
        """An idle connection for `key`, or None after reserving a slot for a new one.

        Waits up to `timeout` seconds (None: forever) for a slot, then raises `PoolTimeout`.
        """
        deadline: float | None = None
        with self._lock:
            while True:
                if self.closed:
                    raise RuntimeError("Cannot send a request, as the transport has been closed.")
                if self._abandoned:
                    self._collect_abandoned()
                connection = self._lend_idle(key)
                if connection is not None:
                    self._lent.add(connection)
                    return connection
                if self._reserve():
                    return None
                now = time.monotonic()
                if deadline is None and timeout is not None:
                    deadline = now + timeout
                remaining = None if deadline is None else deadline - now
                if remaining is not None and remaining <= 0:
                    raise PoolTimeout(self._timeout_message(timeout))
                self._waiting += 1
                try:
                    self._cond.wait(
                        _WAIT_SLICE if remaining is None else min(remaining, _WAIT_SLICE)
                    )
                finally:
                    self._waiting -= 1

    def opened(self, connection: Connection) -> None:
        """Register the connection opened in a slot that `acquire` reserved."""
        self._lent.add(connection)

    def release(self, connection: Connection, reusable: bool) -> None:
        """Take back a lent connection: keep it idle when `reusable`, else close it."""
        with self._lock:
            self._lent.discard(connection)
            self._in_use -= 1
            if reusable and not self.closed and not connection.closed and self._max_idle != 0:
                connection.responses += 1
                connection.idle()
                self._keep_idle(connection)
            else:
                connection.close()
                self._count -= 1
            if self._waiting:
                self._cond.notify()

    def discard(self, connection: Connection | None = None) -> None:
        """Give back a lent slot whose connection failed (or was never opened); close it."""
        if connection is not None:
            connection.close()
        with self._lock:
            if connection is not None:
                self._lent.discard(connection)
            self._in_use -= 1
            self._count -= 1
            self._cond.notify()

    def abandon(self, connection: Connection) -> None:
        """A lent connection whose response was garbage-collected unclosed: close it and free
        its slot without blocking."""
        connection.close()
        if self._lock.acquire(blocking=False):
            try:
                self._lent.discard(connection)
                self._in_use -= 1
                self._count -= 1
                self._cond.notify()
            finally:
                self._lock.release()
        else:
            self._abandoned.append(connection)

    def close(self) -> None:
        """Close every idle connection; lent ones close when they come back."""
        with self._lock:
            self._close_idle()
            self._cond.notify_all()

    def _collect_abandoned(self) -> None:
        while self._abandoned:
            self._lent.discard(self._abandoned.popleft())
            self._in_use -= 1
            self._count -= 1
