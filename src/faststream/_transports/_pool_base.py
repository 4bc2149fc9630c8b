"""What the sync and async connection pools share: the idle connections and the counts.

Invariants:

* `_count` is the number of connections open or being opened; it never exceeds
  `max_connections`. `_in_use` of them are lent out (or being opened).
* An idle connection is in `_idle[key]` and in `_by_age`, both insertion-ordered by the time it
  was released: `_idle[key]` gives the most recently used one (the least likely to have been
  dropped by the server), `_by_age` the oldest, for expiry and eviction.
* Every operation costs O(1) plus the connections it closes, whatever the pool size; an
  expired connection is closed the next time the pool is used.
* A lent connection that comes back reusable (its exchange allows another one), while the
  pool is open, the connection too and `max_keepalive_connections` is not 0, is kept: counted
  in `responses`, reset with `idle()`, then kept idle or handed to a waiting task. The pools'
  `release` decides that inline (it runs once per request). Anything else is closed.
* A closed pool has no idle connection: closing drops them and none is kept afterwards, so
  lending needs no check of `closed`.

The pools add how a caller waits for a slot (a thread on a condition, a task on a waiter) and
run these helpers under their lock (sync) or without awaiting (async).
"""

from __future__ import annotations

import time
import typing

if typing.TYPE_CHECKING:
    from .._config import Limits

__all__ = ["PoolBase"]


class _Pooled(typing.Protocol):
    key: typing.Hashable
    responses: int
    idle_since: float
    closed: bool

    def stale(self) -> bool: ...

    def idle(self) -> None: ...

    def close(self) -> None: ...


C = typing.TypeVar("C", bound=_Pooled)


class PoolBase(typing.Generic[C]):
    def __init__(self, limits: Limits) -> None:
        self._max = limits.max_connections
        self._max_idle = limits.max_keepalive_connections
        self._expiry = limits.keepalive_expiry
        self._idle: dict[typing.Hashable, dict[C, None]] = {}
        self._by_age: dict[C, None] = {}
        self._count = 0
        self._in_use = 0
        self.closed = False

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

    @property
    def has_room(self) -> bool:
        """A new connection could be opened now: a free slot, or an idle one to close."""
        return self._max is None or self._count < self._max or bool(self._by_age)

    def _timeout_message(self, timeout: float | None) -> str:
        return (
            f"Timed out after {timeout} s waiting for a connection from the pool: "
            f"{self._in_use} of max_connections={self._max} connections are in use "
            "(a response that is never closed keeps its connection)."
        )

    def _lend_idle(self, key: typing.Hashable) -> C | None:
        """Lend the most recently used idle connection for `key`, closing stale ones; None
        when there is none."""
        by_age = self._by_age
        if not by_age:
            return None
        expiry = self._expiry
        if expiry is not None and next(iter(by_age)).idle_since <= time.monotonic() - expiry:
            self._close_expired()  # the oldest idle connection has expired (and maybe more)
        idle = self._idle.get(key)
        while idle:
            connection = idle.popitem()[0]
            del by_age[connection]
            if not idle:
                del self._idle[key]
            if connection.stale():
                # Closed by the server, or bytes nobody asked for: never reuse.
                connection.close()
                self._count -= 1
                continue
            self._in_use += 1
            return connection
        return None

    def _reserve(self) -> bool:
        """Reserve a slot for a new connection if the limits allow one now (closing the
        oldest idle connection, for any origin, when the pool is full)."""
        if self._max is not None and self._count >= self._max:
            if not self._by_age:
                return False
            self._drop(next(iter(self._by_age)))
        self._count += 1
        self._in_use += 1
        return True

    def _keep_idle(self, connection: C) -> None:
        """Put a reusable connection among the idle ones (evicting the oldest over the
        keep-alive limit)."""
        if self._max_idle is not None and len(self._by_age) >= self._max_idle:
            self._drop(next(iter(self._by_age)))
        connection.idle_since = time.monotonic()
        self._by_age[connection] = None
        # Not `setdefault(key, {})`: that builds a dict on every call, kept or not.
        idle = self._idle.get(connection.key)
        if idle is None:
            self._idle[connection.key] = {connection: None}
        else:
            idle[connection] = None

    def _drop(self, connection: C) -> None:
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

    def _close_idle(self) -> None:
        self.closed = True
        for connection in list(self._by_age):
            self._drop(connection)
