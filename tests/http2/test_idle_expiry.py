"""An HTTP/2 connection left idle (no stream open) for longer than `keepalive_expiry` is not
reused: the next request says GOAWAY on it, closes it and opens a new one, as idle HTTP/1.1
connections expire in the pool. One in use, or idle for less, is kept."""

from __future__ import annotations

import time

import anyio
import h2  # noqa: F401  # the http2 extra, installed wherever these tests run: missing is an error
import pytest

import faststream
from tests.client._backends import BACKENDS, run_on
from tests.servers.h2_raw import H2Server

EXPIRY = 0.3
NO_ERROR = 0x0
LIMITS = faststream.Limits(max_connections=1, keepalive_expiry=EXPIRY)


def _goaway_seen(server: H2Server) -> bool:
    deadline = time.monotonic() + 2.0
    while not server.goaways and time.monotonic() < deadline:
        time.sleep(0.01)
    return server.goaways == [NO_ERROR]


def test_sync_idle_connection_expires() -> None:
    with H2Server() as server:
        url = f"http://127.0.0.1:{server.port}/bytes/3"
        with faststream.Client(http1=False, http2=True, limits=LIMITS) as client:
            assert client.get(url).content == b"abc"
            assert client.get(url).content == b"abc"  # idle for less: reused
            assert server.connections_accepted == 1
            time.sleep(2 * EXPIRY)
            # the slot of the expired connection (max_connections=1) is the new one's
            assert client.get(url).content == b"abc"
            assert server.connections_accepted == 2
            assert _goaway_seen(server)


@pytest.mark.parametrize("backend", BACKENDS)
def test_async_idle_connection_expires(backend: str) -> None:
    async def main() -> None:
        async with faststream.AsyncClient(http1=False, http2=True, limits=LIMITS) as client:
            with anyio.fail_after(10):
                assert (await client.get(url)).content == b"abc"
                async with client.stream("GET", f"{base}/hold"):
                    await anyio.sleep(2 * EXPIRY)  # in use all along: not idle
                    assert (await client.get(url)).content == b"abc"
                assert server.connections_accepted == 1
                await anyio.sleep(2 * EXPIRY)
                assert (await client.get(url)).content == b"abc"
                assert server.connections_accepted == 2

    with H2Server() as server:
        base = f"http://127.0.0.1:{server.port}"
        url = f"{base}/bytes/3"
        run_on(backend, main)
        assert _goaway_seen(server)
