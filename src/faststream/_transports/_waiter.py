"""A task waiting in the async pool for a connection slot, whatever the event loop.

The pool grants a slot by calling `grant(connection or None)` (None: open a new connection in
the slot), refuses with `fail(exc)`, and the waiting task gives up with `give_up()` (timeout
or cancellation). Once `done`, later calls of the three are ignored by the pool, which checks
`done` first. The backends supply `_wake()` and `wait(timeout)`: an asyncio future, a trio
event. `wait` returns when woken or after `timeout` seconds (the caller tells which by
`done`) and lets the task's cancellation through.
"""

from __future__ import annotations

import typing

__all__ = ["PoolWaiter"]


class PoolWaiter:
    __slots__ = ("done", "error", "key", "result")

    def __init__(self, key: typing.Hashable) -> None:
        self.key = key
        self.done = False
        self.result: typing.Any = None
        self.error: BaseException | None = None

    def grant(self, connection: typing.Any) -> None:
        self.done = True
        self.result = connection
        self._wake()

    def fail(self, error: BaseException) -> None:
        self.done = True
        self.error = error
        self._wake()

    def give_up(self) -> None:
        self.done = True

    def _wake(self) -> None:  # pragma: no cover - every backend defines it
        raise NotImplementedError

    async def wait(self, timeout: float | None) -> None:  # pragma: no cover - as above
        raise NotImplementedError
