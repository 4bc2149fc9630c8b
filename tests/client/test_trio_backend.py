"""`AsyncClient` on trio: what is particular to running on trio rather than asyncio.

The client scenarios themselves run on asyncio, uvloop and trio through one parametrization
(tests/client/_async_adapter.py); these tests cover what that cannot: trio is imported only
when the caller runs on trio, anyio on trio works too, the pool's waiters and its slots on
trio's cancellation, and an unclosed response collected by the garbage collector.
"""

from __future__ import annotations

import gc
import ssl
import subprocess
import sys
import textwrap
import warnings

import anyio
import pytest
import trio

import faststream
from tests.servers.app import AppServer, pattern


def test_trio_is_imported_only_when_the_caller_runs_on_trio(app_server: AppServer) -> None:
    code = textwrap.dedent(
        f"""
        import asyncio, sys
        import faststream

        async def main():
            async with faststream.AsyncClient() as client:
                response = await client.get("{app_server.url}/bytes/10")
                assert response.status_code == 200
        asyncio.run(main())
        loaded = sorted(m for m in ("trio", "anyio", "sniffio") if m in sys.modules)
        print(",".join(loaded))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == ""


def test_without_an_event_loop_the_transport_says_so() -> None:
    transport = faststream.AsyncHTTPTransport()
    request = faststream.Request("GET", "http://127.0.0.1:9/")
    coroutine = transport.handle_async_request(request)
    with pytest.raises(RuntimeError, match="no running event loop"):
        coroutine.send(None)
    coroutine.close()


def test_anyio_on_trio(app_server: AppServer) -> None:
    async def main() -> bytes:
        async with faststream.AsyncClient() as client:
            async with client.stream("GET", app_server.url + "/chunked/100000") as response:
                return b"".join([chunk async for chunk in response.aiter_bytes()])

    assert anyio.run(main, backend="trio") == pattern(100000)


def test_tls_on_trio(tls_server: AppServer, tls_client_context: ssl.SSLContext) -> None:
    async def main() -> tuple[int, ssl.SSLObject | None]:
        async with faststream.AsyncClient(verify=tls_client_context) as client:
            response = await client.get(tls_server.url + "/bytes/5000")
            assert response.content == pattern(5000)
            ssl_object = response.extensions["network_stream"].get_extra_info("ssl_object")
            return response.status_code, ssl_object

    status, ssl_object = trio.run(main)
    assert status == 200
    assert ssl_object is not None
    assert (ssl_object.version() or "").startswith("TLS")


def test_a_certificate_that_does_not_verify_is_a_connect_error(tls_server: AppServer) -> None:
    async def main() -> None:
        async with faststream.AsyncClient() as client:
            await client.get(tls_server.url + "/bytes/10")

    with pytest.raises(faststream.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        trio.run(main)


def test_a_cancelled_pool_waiter_gives_no_slot_away(app_server: AppServer) -> None:
    limits = faststream.Limits(max_connections=1)

    async def main() -> tuple[int, int]:
        async with faststream.AsyncClient(limits=limits) as client:
            holder = await client.send(
                client.build_request("GET", app_server.url + "/bytes/100000"), stream=True
            )
            with trio.move_on_after(0.05) as scope:
                await client.get(app_server.url + "/bytes/10")  # waits for the only slot
            assert scope.cancelled_caught
            await holder.aread()  # the body read to its end: the slot comes back
            response = await client.get(app_server.url + "/bytes/10")
            pool = client._transport._pool  # type: ignore[attr-defined]
            return response.status_code, pool.connections_in_use

    assert trio.run(main) == (200, 0)
    assert app_server.connections_accepted == 1


def test_pool_timeout_on_trio_says_what_is_in_use(app_server: AppServer) -> None:
    limits = faststream.Limits(max_connections=1)

    async def main() -> None:
        async with faststream.AsyncClient(limits=limits, timeout=5.0) as client:
            async with client.stream("GET", app_server.url + "/bytes/100000"):
                await client.get(
                    app_server.url + "/bytes/10", timeout=faststream.Timeout(5.0, pool=0.05)
                )

    with pytest.raises(faststream.PoolTimeout, match="1 of max_connections=1"):
        trio.run(main)


def test_read_timeout_on_trio(app_server: AppServer) -> None:
    async def main() -> None:
        async with faststream.AsyncClient(timeout=faststream.Timeout(5.0, read=0.1)) as client:
            await client.get(app_server.url + "/slow-headers", params={"delay": "3"})

    with pytest.raises(faststream.ReadTimeout):
        trio.run(main)


def test_an_unclosed_response_collected_on_trio_frees_its_slot(app_server: AppServer) -> None:
    limits = faststream.Limits(max_connections=1)

    async def main() -> int:
        async with faststream.AsyncClient(limits=limits) as client:
            request = client.build_request("GET", app_server.url + "/bytes/100000")
            response = await client.send(request, stream=True)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                del response
                gc.collect()
            assert any(issubclass(w.category, ResourceWarning) for w in caught)
            await trio.sleep(0)  # the slot is freed in the run, not inside the collector
            with trio.fail_after(5):
                response = await client.get(app_server.url + "/bytes/10")
            return response.status_code

    assert trio.run(main) == 200
