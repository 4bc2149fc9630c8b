"""Running a download's segment jobs at once: as tasks of the running loop (asyncio or
trio) or as threads; the first failure stops the others and is raised."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Sequence

__all__ = ["run_tasks", "run_threads"]


async def run_tasks(jobs: Sequence[Callable[[], Awaitable[None]]]) -> None:
    """Run `jobs` as concurrent tasks of the running loop (asyncio or trio); the first
    failure cancels the others and is raised once all have ended."""
    if asyncio._get_running_loop() is not None:
        tasks = [asyncio.ensure_future(job()) for job in jobs]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        return
    import trio

    errors: list[BaseException] = []

    async def guarded(job: Callable[[], Awaitable[None]], cancel: trio.CancelScope) -> None:
        try:
            await job()
        except Exception as exc:
            errors.append(exc)
            cancel.cancel()

    async with trio.open_nursery() as nursery:
        for job in jobs:
            nursery.start_soon(guarded, job, nursery.cancel_scope)
    if errors:
        raise errors[0]


def run_threads(jobs: Sequence[Callable[[], None]], stop: threading.Event) -> None:
    """Run `jobs` on one thread each; the first failure sets `stop` (the jobs check it) and
    is raised once all have ended."""
    errors: list[BaseException] = []

    def guarded(job: Callable[[], None]) -> None:
        try:
            job()
        except BaseException as exc:
            errors.append(exc)
            stop.set()

    threads = [threading.Thread(target=guarded, args=(job,), daemon=True) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
