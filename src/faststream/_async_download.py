"""`AsyncClient.download`: a URL to a file, resumable, retried, verified, optionally segmented.

The decisions (names, ranges, validators, hashes, the part and its sidecar) are `Plan`'s
(`_download_base.py`); this module only sends the requests it asks for and moves the bytes.
The sync twin (`_download.py`) is generated from this file; segments run as tasks of the
running loop here and as threads there. Bodies are read in the pieces the network delivers
(never re-chunked: a piece held back for a fixed size would be lost when the connection
drops, and the resume offset must be every byte received).
"""

from __future__ import annotations

import os
import threading
import typing

from ._download_base import (
    AGAIN,
    DEFAULT_CHUNK_SIZE,
    DONE,
    SEGMENTS,
    DownloadResult,
    Plan,
    ResourceChanged,
)
from ._download_jobs import (
    run_tasks,  # unasync: async-only
    # unasync: sync-only: run_threads,
)
from ._download_progress import ProgressArg
from ._exceptions import NetworkError, RemoteProtocolError, TimeoutException
from ._headers import Headers
from ._transports._backends import current_async_backend

if typing.TYPE_CHECKING:
    from ._async_client import AsyncClient
    from ._urls import URL

__all__ = ["download"]

RETRIED = (NetworkError, RemoteProtocolError, TimeoutException)


async def download(
    client: AsyncClient,
    url: URL | str,
    path: str | os.PathLike[str],
    *,
    resume: bool = True,
    progress: ProgressArg = None,
    retries: int = 3,
    segments: int = 1,
    checksum: str | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    decode: bool = False,
    **kwargs: typing.Any,
) -> DownloadResult:
    """Download `url` to `path` through `client` (see `AsyncClient.download`)."""
    plan = Plan(
        path,
        resume=resume,
        progress=progress,
        retries=retries,
        segments=segments,
        checksum=checksum,
        chunk_size=chunk_size,
        decode=decode,
    )
    user_headers = kwargs.pop("headers", None)
    kwargs.setdefault("follow_redirects", True)
    try:
        await _one_stream(client, url, plan, user_headers, kwargs)
        if plan.has_segments():
            try:
                await _segments(client, url, plan, user_headers, kwargs)
            except ResourceChanged:
                # A segment's If-Range did not match: the parts written belong to another
                # version. Start over from zero, once; never splice two versions.
                plan.forget()
                await _one_stream(client, url, plan, user_headers, kwargs)
                if plan.has_segments():
                    await _segments(client, url, plan, user_headers, kwargs)
        return plan.finish()
    finally:
        plan.close_file()


async def _one_stream(
    client: AsyncClient,
    url: URL | str,
    plan: Plan,
    user_headers: typing.Any,
    kwargs: dict[str, typing.Any],
) -> None:
    """Fetch the body as one stream, resumed and retried, until it is complete or the plan
    turned to segments."""
    retried = 0
    while not plan.has_segments():
        headers = Headers(user_headers)
        headers.update(plan.headers(url))
        if plan.has_segments():
            return  # an earlier call's segments, picked up from the sidecar
        try:
            async with client.stream("GET", url, headers=headers, **kwargs) as response:
                action = plan.opened(response)
                if action == DONE:
                    return
                if action in (AGAIN, SEGMENTS):
                    continue
                if plan.decode:
                    async for chunk in response.aiter_bytes():
                        plan.write(chunk)
                else:
                    async for chunk in response.aiter_raw():
                        plan.write(chunk)
            if plan.body_done() == DONE:
                return
        except RETRIED as exc:
            if not plan.may_retry(exc, retried):
                raise
            retried += 1
            await current_async_backend().sleep(plan.backoff(retried))


async def _segments(
    client: AsyncClient,
    url: URL | str,
    plan: Plan,
    user_headers: typing.Any,
    kwargs: dict[str, typing.Any],
) -> None:
    """Fetch the unfinished pieces of `plan` in order on `segments` connections (each
    connection takes the next piece when it is free), each piece retried on its own; what was
    done is saved in the sidecar however this ends."""
    fd = plan.open_segments()
    stop = threading.Event()

    async def fetch(index: int) -> None:
        retried = 0
        while plan.segmented is not None and plan.segmented[index][0] < plan.segmented[index][1]:
            if stop.is_set():
                return
            headers = Headers(user_headers)
            headers.update(plan.segment_headers(index))
            try:
                async with client.stream("GET", url, headers=headers, **kwargs) as response:
                    plan.segment_opened(index, response)
                    async for chunk in response.aiter_raw():
                        plan.segment_write(fd, index, chunk)
                        if stop.is_set():
                            return
            except RETRIED as exc:
                if not plan.may_retry(exc, retried):
                    raise
                retried += 1
                await current_async_backend().sleep(plan.backoff(retried))

    async def connection() -> None:
        while not stop.is_set():
            index = plan.next_piece()
            if index is None:
                return
            await fetch(index)

    try:
        jobs = [connection] * plan.start_pieces()
        await run_tasks(jobs)  # unasync: async-only
        # unasync: sync-only: run_threads(jobs, stop)
    finally:
        os.close(fd)
        plan.save_segments()
