"""Requests waiting for a stream on a full HTTP/2 connection: with `Limits(max_connections=1)`
and a server allowing 2 concurrent streams, 6 concurrent requests share the one connection, each
woken as soon as another gives its stream back (not when the pool's timeout ends); a request
that waits longer than the pool timeout gets `PoolTimeout` saying why."""

from __future__ import annotations

import concurrent.futures

import anyio
import h2  # noqa: F401  # the http2 extra, installed wherever these tests run: missing is an error
import pytest

import faststream
from tests.client._backends import BACKENDS, run_on
from tests.servers.h2_raw import H2Server, pattern

SIZES = [70_000 + i for i in range(6)]  # more than a default window each: streams overlap
LIMITS = faststream.Limits(max_connections=1)
# Shorter than the whole run would take if a waiter slept until its timeout.
TIMEOUT = faststream.Timeout(10.0, pool=3.0)


def test_threads_wait_for_a_free_stream() -> None:
    with H2Server(max_concurrent_streams=2) as server:
        url = f"http://127.0.0.1:{server.port}/bytes"
        with faststream.Client(http1=False, http2=True, limits=LIMITS, timeout=TIMEOUT) as client:

            def get(size: int) -> bytes:
                return client.get(f"{url}/{size}").content

            with concurrent.futures.ThreadPoolExecutor(6) as executor:
                bodies = list(executor.map(get, SIZES * 3, timeout=30))
        assert bodies == [pattern(size) for size in SIZES * 3]
        assert server.connections_accepted == 1
        assert server.peak_streams <= 2


@pytest.mark.parametrize("backend", BACKENDS)
def test_tasks_wait_for_a_free_stream(backend: str) -> None:
    results: dict[int, bytes] = {}

    async def main() -> None:
        async with faststream.AsyncClient(
            http1=False, http2=True, limits=LIMITS, timeout=TIMEOUT
        ) as client:

            async def get(size: int) -> None:
                results[size] = (await client.get(f"{url}/{size}")).content

            with anyio.fail_after(30):
                async with anyio.create_task_group() as group:
                    for size in SIZES:
                        group.start_soon(get, size)

    with H2Server(max_concurrent_streams=2) as server:
        url = f"http://127.0.0.1:{server.port}/bytes"
        run_on(backend, main)
        assert server.connections_accepted == 1
        assert server.peak_streams <= 2
    assert results == {size: pattern(size) for size in SIZES}


@pytest.mark.parametrize("backend", BACKENDS)
def test_waiting_for_a_stream_times_out_with_the_reason(backend: str) -> None:
    async def main() -> None:
        timeout = faststream.Timeout(5.0, pool=0.3)
        async with faststream.AsyncClient(
            http1=False, http2=True, limits=LIMITS, timeout=timeout
        ) as client:
            async with client.stream("GET", f"{url}/hold"), client.stream("GET", f"{url}/hold"):
                with pytest.raises(faststream.PoolTimeout, match="as many streams as its server"):
                    await client.get(f"{url}/bytes/3")
            # both streams given back: the waiting is over for the next request
            assert (await client.get(f"{url}/bytes/3")).content == b"abc"

    with H2Server(max_concurrent_streams=2) as server:
        url = f"http://127.0.0.1:{server.port}"
        run_on(backend, main)
        assert server.connections_accepted == 1
