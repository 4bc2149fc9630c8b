"""The connection pool of the sync transport: slots, idle connections, waiting.

Invariants (all under one lock):

* `_count` is the number of connections open or being opened; it never exceeds
  `max_connections`. `_in_use` of them are lent out (or being opened).
* An idle connection is in `_idle[key]` and in `_by_age`, both insertion-ordered by the time it
  was released: `_idle[key]` pops the most recently used one (the least likely to have been
  dropped by the server), `_by_age` gives the oldest for expiry and eviction.
* Every operation costs O(1) plus the connections it closes, whatever the pool size; an
  expired connection is closed the next time the pool is used.

A connection is lent with `acquire(key)`: an idle one for `key`, or `None`, which means a slot
was reserved and the caller opens a connection (and calls `discard()` if that fails). It comes
back with `release(connection, reusable)`. A response that is garbage-collected unclosed hands
its connection to `abandon()`, which never blocks (it may run inside the garbage collector,
while this thread holds the lock): the slot is then freed by the next pool operation.
"""

from __future__ import annotations

import collections
import threading
import time
import typing

from .._exceptions import PoolTimeout
from ._connection import Connection

if typing.TYPE_CHECKING:
    from .._config import Limits

__all__ = ["ConnectionPool"]

_WAIT_SLICE = 0.1  # waiters look at abandoned connections at least this often


class ConnectionPool:
    """Connections to any number of origins, within `Limits`."""

    def __init__(self, limits: Limits) -> None:
        self._max = limits.max_connections
        self._max_idle = limits.max_keepalive_connections
        self._expiry = limits.keepalive_expiry
        self._lock = threading.Lock()
        # Waits go through the condition; everything else takes its lock directly (the same
        # lock, cheaper to enter than the condition's Python-level __enter__).
        self._cond = threading.Condition(self._lock)
        self._waiting = 0  # threads in `acquire` waiting for a slot: only they need a notify
        self._idle: dict[typing.Hashable, dict[Connection, None]] = {}
        self._by_age: dict[Connection, None] = {}
        self._count = 0
        self._in_use = 0
        self._abandoned: collections.deque[Connection] = collections.deque()
        # Lent connections are referenced here so that a response collected in a reference
        # cycle cannot have its socket finalized before the response closes it properly.
        self._lent: set[Connection] = set()
        self.closed = False

    # -- lending ------------------------------------------------------------------------------

    def acquire(self, key: typing.Hashable, timeout: float | None) -> Connection | None:
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
                if self._by_age and self._expiry is not None:
                    self._close_expired()
                idle = self._idle.get(key)
                while idle:
                    connection = idle.popitem()[0]
                    del self._by_age[connection]
                    if not idle:
                        del self._idle[key]
                    if connection.is_readable():
                        # Closed by the server, or bytes nobody asked for: never reuse.
                        connection.close()
                        self._count -= 1
                        continue
                    self._in_use += 1
                    self._lent.add(connection)
                    return connection
                if self._max is None or self._count < self._max:
                    self._count += 1
                    self._in_use += 1
                    return None
                if self._by_age:
                    # Full, but some are idle (for other origins): close the oldest.
                    self._drop(next(iter(self._by_age)))
                    continue
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
                if self._max_idle is not None and len(self._by_age) >= self._max_idle:
                    self._drop(next(iter(self._by_age)))
                connection.responses += 1
                connection.idle_since = time.monotonic()
                self._by_age[connection] = None
                self._idle.setdefault(connection.key, {})[connection] = None
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
            self.closed = True
            for connection in list(self._by_age):
                self._drop(connection)
            self._cond.notify_all()

    # -- state ----------------------------------------------------------------------------

    @property
    def connections_in_use(self) -> int:
        return self._in_use

    @property
    def idle_connections(self) -> int:
        return len(self._by_age)

    def _timeout_message(self, timeout: float | None) -> str:
        return (
            f"Timed out after {timeout} s waiting for a connection from the pool: "
            f"{self._in_use} of max_connections={self._max} connections are in use "
            "(a response that is never closed keeps its connection)."
        )

    # -- under the lock -------------------------------------------------------------------

    def _drop(self, connection: Connection) -> None:
        del self._by_age[connection]
        idle = self._idle[connection.key]
        del idle[connection]
        if not idle:
            del self._idle[connection.key]
        connection.close()
        self._count -= 1

    def _close_expired(self) -> None:
        if self._expiry is None:
            return
        limit = time.monotonic() - self._expiry
        while self._by_age:
            oldest = next(iter(self._by_age))
            if oldest.idle_since > limit:
                break
            self._drop(oldest)

    def _collect_abandoned(self) -> None:
        while self._abandoned:
            self._lent.discard(self._abandoned.popleft())
            self._in_use -= 1
            self._count -= 1
