"""`AsyncClient` on a uvloop event loop: faststream uses whatever loop the caller runs.

uvloop is a test dependency only (faststream never imports it). Its transports call the
protocol's `get_buffer()`/`buffer_updated()` differently from asyncio's (the buffer stays
exported during the callback), so the large-body case, where the connection's buffer grows,
is the one that matters here.
"""

from __future__ import annotations

import asyncio
import hashlib
import ssl
import sys
import typing

import pytest

import faststream
from tests.servers.app import AppServer, pattern

if sys.platform == "win32":  # pragma: no cover
    pytest.skip("uvloop does not exist on Windows", allow_module_level=True)
uvloop = pytest.importorskip("uvloop", reason="uvloop is in the test extras (not on Windows)")


T = typing.TypeVar("T")


def run(coro: typing.Coroutine[typing.Any, typing.Any, T]) -> T:
    result: T = uvloop.run(asyncio.wait_for(coro, 60))
    return result


@pytest.mark.timeout(120)
def test_requests_and_a_large_streamed_body(app_server: AppServer) -> None:
    size = 20 * 1024 * 1024  # enough reads to grow the connection's buffer to its maximum

    async def main() -> tuple[str, int, str, str, list[int]]:
        assert isinstance(asyncio.get_running_loop(), uvloop.Loop)
        async with faststream.AsyncClient() as client:
            small = await client.get(f"{app_server.url}/bytes/10")
            digest = hashlib.sha256()
            received = 0
            async with client.stream("GET", f"{app_server.url}/bytes/{size}") as response:
                async for chunk in response.aiter_bytes():
                    digest.update(chunk)
                    received += len(chunk)
            chunked = await client.get(f"{app_server.url}/chunked/100000")
            many = await asyncio.gather(
                *[client.get(f"{app_server.url}/bytes/{n}") for n in range(1, 33)]
            )
            return (
                small.content.hex(),
                received,
                digest.hexdigest(),
                hashlib.sha256(chunked.content).hexdigest(),
                [len(r.content) for r in many],
            )

    small, received, digest, chunked, many = run(main())
    assert small == pattern(10).hex()
    assert received == size
    assert digest == hashlib.sha256(pattern(size)).hexdigest()
    assert chunked == hashlib.sha256(pattern(100000)).hexdigest()
    assert many == list(range(1, 33))


@pytest.mark.timeout(120)
def test_tls(tls_server: AppServer, tls_client_context: ssl.SSLContext) -> None:
    async def main() -> bytes:
        async with faststream.AsyncClient(verify=tls_client_context) as client:
            response = await client.get(f"{tls_server.url}/bytes/300000")
            return response.content

    assert run(main()) == pattern(300000)


@pytest.mark.timeout(120)
def test_cancelled_stream_releases_its_connection(app_server: AppServer) -> None:
    async def main() -> tuple[bool, int]:
        transport = faststream.AsyncHTTPTransport(limits=faststream.Limits(max_connections=1))
        async with faststream.AsyncClient(transport=transport) as client:

            async def reader() -> None:
                async with client.stream("GET", f"{app_server.url}/bytes/50000000") as r:
                    async for _ in r.aiter_bytes():
                        await asyncio.sleep(0)

            task = asyncio.create_task(reader())
            await asyncio.sleep(0.05)
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
            # With one connection allowed, this only works if the slot came back.
            after = await client.get(f"{app_server.url}/bytes/5", timeout=5)
            return task.cancelled(), len(after.content)

    assert run(main()) == (True, 5)
