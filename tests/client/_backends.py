"""Async test code run on asyncio, uvloop and trio: one parametrization, `backend`.

* `BACKENDS`: the params of the `backend` fixture (tests/client/conftest.py): "asyncio",
  "uvloop" (skipped on Windows, where it does not exist) and "trio".
* `run_on(backend, afn, *args)`: `afn(*args)` to completion on a new event loop of that kind
  (`asyncio.run`, `uvloop.run`, `trio.run`), from the test's thread.
* `open_tasks()`: tasks the test starts, then cancels one by one, each backend's own way:
  an asyncio `Task` and `Task.cancel()` (delivered once per call; calling it twice is the
  "cancelled twice" case), a trio task in its own `CancelScope` (cancelled at every checkpoint
  from then on, so cleanup code that awaits is cancelled again).
* `gather(*afns)`: the results of `afn()` run concurrently, in order.
* `wait_until(predicate, task)`: poll until `predicate()`; a hang guard that reports the
  task's own exception if the task ends first.
* `user_closing(iterator)`: how user code leaves an `async for` over `aiter_*` early on the
  running backend: inside `contextlib.aclosing` on trio (trio warns about an async generator
  collected before it was exhausted), as it is on asyncio (the loop finalises it silently).
* Backend-neutral waiting: `anyio.sleep`, `anyio.Event`, `anyio.fail_after` (anyio ships with
  httpx and runs on whichever loop is running; only the tests use it).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import typing
from collections.abc import AsyncIterator, Awaitable, Callable

import anyio
import pytest
import sniffio
import trio

from tests.client._async_adapter import ASYNC_MODES, ignore_httpx_asyncgen_warnings, mode_param

T = typing.TypeVar("T")

BACKENDS = [mode_param(backend) for backend in ASYNC_MODES]


def run_on(backend: str, afn: Callable[..., Awaitable[T]], *args: typing.Any) -> T:
    """`afn(*args)` on a new event loop of `backend`, like `asyncio.run(afn(*args))`."""
    if backend == "trio":
        ignore_httpx_asyncgen_warnings()
        return trio.run(afn, *args)
    coroutine = typing.cast(typing.Coroutine[typing.Any, typing.Any, T], afn(*args))
    if backend == "uvloop":
        if sys.platform == "win32":  # pragma: no cover - the param is skipped there
            pytest.skip("uvloop does not exist on Windows")
        import uvloop

        result: T = uvloop.run(coroutine)
        return result
    assert backend == "asyncio", backend
    return asyncio.run(coroutine)


def running_backend() -> str:
    """ "asyncio", "uvloop" or "trio": the event loop this code runs on."""
    library = sniffio.current_async_library()
    if library == "asyncio" and type(asyncio.get_running_loop()).__module__ == "uvloop":
        return "uvloop"
    return library


class Task:
    """A task started by `Tasks.start`: `cancel()`, `await wait()` (never raises), then
    `done`, `cancelled` (ended by a cancellation) and `error` (the exception it raised)."""

    def cancel(self) -> None:
        raise NotImplementedError

    async def wait(self) -> None:
        raise NotImplementedError

    @property
    def done(self) -> bool:
        raise NotImplementedError

    @property
    def cancelled(self) -> bool:
        raise NotImplementedError

    @property
    def error(self) -> BaseException | None:
        raise NotImplementedError


class _AsyncioTask(Task):
    def __init__(
        self, afn: Callable[..., Awaitable[typing.Any]], args: tuple[typing.Any, ...]
    ) -> None:
        self._task = asyncio.ensure_future(afn(*args))

    def cancel(self) -> None:
        self._task.cancel()

    async def wait(self) -> None:
        await asyncio.wait([self._task])

    @property
    def done(self) -> bool:
        return self._task.done()

    @property
    def cancelled(self) -> bool:
        return self._task.cancelled()

    @property
    def error(self) -> BaseException | None:
        if not self._task.done() or self._task.cancelled():
            return None
        return self._task.exception()


class _TrioTask(Task):
    def __init__(
        self,
        nursery: trio.Nursery,
        afn: Callable[..., Awaitable[typing.Any]],
        args: tuple[typing.Any, ...],
    ) -> None:
        self._scope = trio.CancelScope()
        self._finished = trio.Event()
        self._cancelled = False
        self._error: BaseException | None = None
        nursery.start_soon(self._run, afn, args)

    async def _run(
        self, afn: Callable[..., Awaitable[typing.Any]], args: tuple[typing.Any, ...]
    ) -> None:
        try:
            with self._scope:
                await afn(*args)
            self._cancelled = self._scope.cancelled_caught
        except Exception as exc:  # kept for the test to look at (trio.Cancelled is not one)
            self._error = exc
        finally:
            self._finished.set()

    def cancel(self) -> None:
        self._scope.cancel()

    async def wait(self) -> None:
        await self._finished.wait()

    @property
    def done(self) -> bool:
        return self._finished.is_set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    @property
    def error(self) -> BaseException | None:
        return self._error


class Tasks:
    """The tasks of one `open_tasks()` block."""

    def __init__(self, nursery: trio.Nursery | None) -> None:
        self._nursery = nursery
        self.started: list[Task] = []

    def start(self, afn: Callable[..., Awaitable[typing.Any]], *args: typing.Any) -> Task:
        task: Task
        if self._nursery is not None:
            task = _TrioTask(self._nursery, afn, args)
        else:
            task = _AsyncioTask(afn, args)
        self.started.append(task)
        return task


@contextlib.asynccontextmanager
async def open_tasks() -> AsyncIterator[Tasks]:
    """Start tasks with `tasks.start(afn, *args)`; on leaving, every task still running is
    cancelled and waited for."""
    if sniffio.current_async_library() == "trio":
        async with trio.open_nursery() as nursery:
            tasks = Tasks(nursery)
            try:
                yield tasks
            finally:
                for task in tasks.started:
                    task.cancel()
        return
    tasks = Tasks(None)
    try:
        yield tasks
    finally:
        for task in tasks.started:
            task.cancel()
        for task in tasks.started:
            await task.wait()


async def gather(*afns: Callable[[], Awaitable[T]]) -> list[T]:
    """`[await afn() for afn in afns]`, run concurrently; the first exception propagates."""
    results: list[typing.Any] = [None] * len(afns)

    async def one(index: int, afn: Callable[[], Awaitable[T]]) -> None:
        results[index] = await afn()

    async with anyio.create_task_group() as group:
        for index, afn in enumerate(afns):
            group.start_soon(one, index, afn)
    return results


def user_closing(iterator: AsyncIterator[T]) -> contextlib.AbstractAsyncContextManager[typing.Any]:
    """`contextlib.aclosing(iterator)` on trio; on asyncio a context that leaves it alone, so
    the early exit stays the plain `break` asyncio users write."""
    if sniffio.current_async_library() == "trio":
        return contextlib.aclosing(typing.cast(typing.Any, iterator))
    return contextlib.nullcontext(iterator)


async def wait_until(predicate: Callable[[], bool], task: Task, limit: float = 10.0) -> None:
    """Poll until `predicate()` is true (a hang guard, not a timing assertion). If `task` ends
    first, its exception (or an AssertionError) is raised here instead of waiting out `limit`."""
    for _ in range(int(limit / 0.01)):
        if predicate():
            return
        if task.done:
            raise task.error or AssertionError("the task ended before the condition held")
        await anyio.sleep(0.01)
    assert predicate(), f"not true after {limit} s"
