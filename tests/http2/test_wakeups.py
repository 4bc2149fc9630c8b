"""Many streams waiting on one HTTP/2 connection, against hypercorn (h2c): one of them reads
the socket at a time and wakes those a read concerns. Whatever the order the responses come
in, and whichever waiting stream is reading when its caller stops (done, or cancelled), every
other stream still gets its response, with no read timeout to rescue it. Async on asyncio,
uvloop and trio; sync from threads.
"""

from __future__ import annotations

import concurrent.futures
import typing
from collections.abc import Iterator

import anyio
import h2  # noqa: F401  # the http2 extra, installed wherever these tests run: missing is an error
import pytest

import faststream
from tests.client._backends import BACKENDS, run_on
from tests.servers.hypercorn_h2 import HypercornServer

# Heads due at these delays (seconds), requested together, in an order that is not theirs.
DELAYS = [0.6, 0.2, 0.8, 0.4]


@pytest.fixture(scope="module")
def h2c_server() -> Iterator[HypercornServer]:
    with HypercornServer() as server:
        yield server


@pytest.mark.parametrize("backend", BACKENDS)
def test_async_streams_answered_in_turn_all_complete(
    backend: str, h2c_server: HypercornServer
) -> None:
    """Each read brings one stream its head: the reader that got its own must hand the
    reading on, or the streams still waiting (no timeout) would wait for ever."""

    async def main() -> list[typing.Any]:
        results: dict[float, typing.Any] = {}
        async with faststream.AsyncClient(http1=False, http2=True, timeout=None) as client:
            await client.get(f"{h2c_server.url}/bytes/1")  # the connection, opened

            async def get(delay: float) -> None:
                response = await client.get(f"{h2c_server.url}/slow-head/{delay}")
                results[delay] = (response.status_code, response.extensions["stream_id"])

            with anyio.fail_after(10):
                async with anyio.create_task_group() as group:
                    for delay in DELAYS:
                        group.start_soon(get, delay)
        return [results[delay] for delay in DELAYS]

    results = run_on(backend, main)
    assert [status for status, _ in results] == [200] * len(DELAYS)
    assert sorted(stream_id for _, stream_id in results) == [3, 5, 7, 9]  # one connection


@pytest.mark.parametrize("backend", BACKENDS)
def test_async_cancelled_reader_hands_the_reading_on(
    backend: str, h2c_server: HypercornServer
) -> None:
    """The task reading for everyone is cancelled while another waits with no timeout for a
    head still to come: the waiting one reads next and gets it."""

    async def main() -> tuple[bool, int, bytes]:
        async with faststream.AsyncClient(http1=False, http2=True, timeout=None) as client:
            url = h2c_server.url
            await client.get(f"{url}/bytes/1")
            got: dict[str, typing.Any] = {}

            async def reader() -> None:
                with anyio.move_on_after(0.5) as scope:
                    async with client.stream("GET", f"{url}/hold/5") as response:
                        async for _ in response.aiter_raw():  # one byte, then a long wait
                            pass
                got["cancelled"] = scope.cancelled_caught

            async def waiter() -> None:
                await anyio.sleep(0.2)  # the reader is reading by now
                response = await client.get(f"{url}/slow-head/0.8")
                got["waiter"] = response.status_code, response.content

            with anyio.fail_after(10):
                async with anyio.create_task_group() as group:
                    group.start_soon(reader)
                    group.start_soon(waiter)
            return got["cancelled"], *got["waiter"]

    assert run_on(backend, main) == (True, 200, b"late")


def test_sync_threads_answered_in_turn_all_complete(h2c_server: HypercornServer) -> None:
    # A read timeout well past the delays, so that a thread left waiting fails the test
    # rather than hang it.
    with faststream.Client(http1=False, http2=True, timeout=10) as client:
        client.get(f"{h2c_server.url}/bytes/1")

        def get(delay: float) -> tuple[int, int]:
            response = client.get(f"{h2c_server.url}/slow-head/{delay}")
            return response.status_code, response.extensions["stream_id"]

        with concurrent.futures.ThreadPoolExecutor(len(DELAYS)) as pool:
            futures = [pool.submit(get, delay) for delay in DELAYS]
            results = [future.result(timeout=10) for future in futures]
    assert [status for status, _ in results] == [200] * len(DELAYS)
    assert sorted(stream_id for _, stream_id in results) == [3, 5, 7, 9]
