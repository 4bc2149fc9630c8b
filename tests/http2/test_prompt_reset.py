"""A response closed (or cancelled) mid-body resets its HTTP/2 stream at once, even when the
connection has nothing else to send: the server sees RST_STREAM CANCEL with no later request
to carry it, stops sending, and the connection stays usable. A response garbage-collected
unclosed resets its stream too (on an event loop at once, in the sync client at the
connection's next use)."""

from __future__ import annotations

import gc
import time

import anyio
import h2  # noqa: F401  # the http2 extra, installed wherever these tests run: missing is an error
import pytest

import faststream
from tests.client._backends import BACKENDS, run_on, user_closing
from tests.servers.h2_raw import H2Server

CANCEL = 0x8
PROMPT = 2.0  # seconds: far more than a loopback write takes, far less than any timeout


def _reset_seen(server: H2Server, count: int) -> bool:
    return server.resets.count(CANCEL) >= count


def test_sync_close_resets_the_stream_at_once() -> None:
    with H2Server() as server:
        url = f"http://127.0.0.1:{server.port}"
        with faststream.Client(http1=False, http2=True) as client:
            with client.stream("GET", f"{url}/hold") as response:
                assert next(response.iter_raw()) == b"h"
            deadline = time.monotonic() + PROMPT
            while not _reset_seen(server, 1) and time.monotonic() < deadline:
                time.sleep(0.01)  # the client does nothing meanwhile
            assert _reset_seen(server, 1)
            assert client.get(f"{url}/bytes/3").content == b"abc"
        assert server.connections_accepted == 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_async_close_and_cancel_reset_the_stream_at_once(backend: str) -> None:
    async def wait_for_resets(count: int) -> None:
        with anyio.move_on_after(PROMPT):
            while not _reset_seen(server, count):
                await anyio.sleep(0.01)  # the client does nothing meanwhile
        assert _reset_seen(server, count)

    async def main() -> None:
        async with faststream.AsyncClient(http1=False, http2=True) as client:
            async with client.stream("GET", f"{url}/hold") as response:
                async with user_closing(response.aiter_raw()) as pieces:
                    async for piece in pieces:
                        assert piece == b"h"
                        break
            await wait_for_resets(1)
            with anyio.move_on_after(0.3) as scope:  # cancelled while waiting for the body
                await client.get(f"{url}/hold")
            assert scope.cancelled_caught
            await wait_for_resets(2)
            assert (await client.get(f"{url}/bytes/3")).content == b"abc"

    with H2Server() as server:
        url = f"http://127.0.0.1:{server.port}"
        run_on(backend, main)
        assert server.connections_accepted == 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_async_dropped_response_resets_its_stream(backend: str) -> None:
    """A streamed response garbage-collected unclosed warns, and its stream is reset on the
    event loop at once; the connection goes on."""

    async def main() -> None:
        async with faststream.AsyncClient(http1=False, http2=True) as client:
            request = client.build_request("GET", f"{url}/hold")
            response = await client.send(request, stream=True)
            assert response.status_code == 200
            with pytest.warns(ResourceWarning, match="Unclosed response to GET"):
                del response
                gc.collect()
            with anyio.move_on_after(PROMPT):
                while not _reset_seen(server, 1):
                    await anyio.sleep(0.01)  # the client does nothing meanwhile
            assert _reset_seen(server, 1)
            assert (await client.get(f"{url}/bytes/3")).content == b"abc"

    with H2Server() as server:
        url = f"http://127.0.0.1:{server.port}"
        run_on(backend, main)
        assert server.connections_accepted == 1


def test_sync_dropped_response_resets_its_stream_at_next_use() -> None:
    with H2Server() as server:
        url = f"http://127.0.0.1:{server.port}"
        with faststream.Client(http1=False, http2=True) as client:
            response = client.send(client.build_request("GET", f"{url}/hold"), stream=True)
            assert response.status_code == 200
            with pytest.warns(ResourceWarning, match="Unclosed response to GET"):
                del response
                gc.collect()
            assert client.get(f"{url}/bytes/3").content == b"abc"
            deadline = time.monotonic() + PROMPT
            while not _reset_seen(server, 1) and time.monotonic() < deadline:
                time.sleep(0.01)
            assert _reset_seen(server, 1)
        assert server.connections_accepted == 1
