"""The asyncio backend's own mechanics, on asyncio and uvloop, seen from `AsyncClient`.

* One read deadline per connection, checked by a timer left armed between waits: a read
  timeout must still fire after exactly its own time of no progress, whether the timer left
  by an earlier wait was due sooner (it is re-armed, never firing early) or later (a shorter
  timeout arms its own).
* A large body on asyncio's socket transport is read as one bytes object per read (the
  transport's protocol is swapped for the body): the bytes, their order and type, pausing for
  a slow consumer, the switch back for the next exchange and for `areadinto`, and a consumer
  woken for every byte the server has sent, however the reads fall. Large HTTP/2 bodies,
  several interleaved on one connection, then small ones on it.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time

import pytest

import faststream
from tests.client._backends import run_on
from tests.servers import h2_raw
from tests.servers.app import AppServer, Exchange, pattern

pytestmark = pytest.mark.timeout(60)

_NO_UVLOOP = pytest.mark.skipif(
    "sys.platform == 'win32'", reason="uvloop does not exist on Windows"
)
LOOPS = ["asyncio", pytest.param("uvloop", marks=_NO_UVLOOP)]
LARGE = 6 * 1024 * 1024 + 12_345  # many reads of the largest size, and a partial one


def in_use(client: faststream.AsyncClient) -> int:
    return int(client._transport._pool.connections_in_use)  # type: ignore[attr-defined]


@pytest.mark.parametrize("loop", LOOPS)
def test_short_read_timeout_after_a_long_one(loop: str, app_server: AppServer) -> None:
    # The first exchange leaves the deadline timer armed 30 s ahead; the second wait's 0.3 s
    # deadline must arm a sooner one.
    async def main() -> float:
        async with faststream.AsyncClient(timeout=30.0) as client:
            assert (await client.get(app_server.url + "/bytes/10")).status_code == 200
            start = time.monotonic()
            with pytest.raises(faststream.ReadTimeout):
                await client.get(app_server.url + "/slow-headers?delay=5", timeout=0.3)
            return time.monotonic() - start

    elapsed = run_on(loop, main)
    assert 0.25 <= elapsed < 3.0
    assert app_server.connections_accepted == 1  # the same connection, timer and all


@pytest.mark.parametrize("loop", LOOPS)
def test_long_read_timeout_after_a_short_one(loop: str, app_server: AppServer) -> None:
    # The first exchange leaves the timer armed 0.2 s ahead; it fires while the second
    # request (2 s of read timeout) waits 0.8 s for its head: re-armed, not a timeout.
    async def main() -> str:
        async with faststream.AsyncClient(timeout=0.2) as client:
            assert (await client.get(app_server.url + "/bytes/10")).status_code == 200
            response = await client.get(app_server.url + "/slow-headers?delay=0.8", timeout=2.0)
            return response.text

    assert run_on(loop, main) == "finally"


@pytest.mark.parametrize("loop", LOOPS)
def test_read_timeouts_in_turn_on_one_connection(loop: str, app_server: AppServer) -> None:
    # Waits that end in time and waits that time out, one after the other: each gets its own
    # deadline, whatever the timer of the one before.
    async def main() -> list[str]:
        seen = []
        async with faststream.AsyncClient(timeout=2.0) as client:
            for delay, timeout in ((0.0, 2.0), (0.6, 0.2), (0.3, 1.5), (0.0, 0.2), (0.6, 0.2)):
                try:
                    response = await client.get(
                        app_server.url + f"/slow-headers?delay={delay}", timeout=timeout
                    )
                    seen.append(response.text)
                except faststream.ReadTimeout:
                    seen.append("timeout")
        return seen

    assert run_on(loop, main) == ["finally", "timeout", "finally", "finally", "timeout"]


@pytest.mark.parametrize("loop", LOOPS)
def test_large_body_then_reuse(loop: str, app_server: AppServer) -> None:
    expected = hashlib.sha256(pattern(LARGE)).hexdigest()

    async def main() -> None:
        async with faststream.AsyncClient() as client:
            for _ in range(2):
                digest = hashlib.sha256()
                async with client.stream("GET", app_server.url + f"/bytes/{LARGE}") as response:
                    async for chunk in response.aiter_bytes():
                        assert type(chunk) is bytes
                        digest.update(chunk)
                assert digest.hexdigest() == expected
                assert in_use(client) == 0
                # A small exchange on the same connection, back on the buffer protocol.
                small = await client.get(app_server.url + "/bytes/100")
                assert small.content == pattern(100)
            # `areadinto` after large bodies: straight into the caller's buffer again.
            buffer = bytearray(256 * 1024)
            got = bytearray()
            async with client.stream("GET", app_server.url + f"/bytes/{LARGE}") as response:
                for _ in range(LARGE):
                    count = await response.areadinto(buffer)
                    if not count:
                        break
                    got += buffer[:count]
            assert got == pattern(LARGE)
            assert in_use(client) == 0

    run_on(loop, main)
    assert app_server.connections_accepted == 1


@pytest.mark.parametrize("loop", LOOPS)
def test_large_body_slow_consumer(loop: str, app_server: AppServer) -> None:
    # The consumer falls behind: reading pauses and resumes; no byte lost or reordered.
    async def main() -> bytes:
        out = bytearray()
        async with faststream.AsyncClient() as client:
            async with client.stream("GET", app_server.url + f"/bytes/{LARGE}") as response:
                async for chunk in response.aiter_bytes():
                    out += chunk
                    await asyncio.sleep(0.002)
        return bytes(out)

    assert run_on(loop, main) == pattern(LARGE)


@pytest.mark.parametrize("loop", LOOPS)
def test_large_close_delimited_body(loop: str, app_server: AppServer) -> None:
    async def main() -> bytes:
        out = bytearray()
        async with faststream.AsyncClient() as client:
            async with client.stream("GET", app_server.url + f"/eof-body?n={LARGE}") as response:
                async for chunk in response.aiter_bytes():
                    out += chunk
        return bytes(out)

    assert run_on(loop, main) == pattern(LARGE)


@pytest.mark.parametrize("loop", LOOPS)
def test_consumer_sees_every_byte_before_the_server_sends_more(
    loop: str, app_server: AppServer
) -> None:
    # The server sends a burst, then waits until the client has handed all of it to the
    # user: a consumer left waiting for more data than has arrived would stall here.
    burst = 3 * 1024 * 1024
    total = burst + 1000
    seen_burst = threading.Event()
    waited: list[bool] = []

    def route(ex: Exchange) -> None:
        data = pattern(total)
        ex.send_head(200, [("Content-Length", str(total))])
        ex.write(data[:burst])
        waited.append(seen_burst.wait(20.0))
        ex.write(data[burst:])

    app_server.add_route("/burst", route)

    async def main() -> bytes:
        out = bytearray()
        async with faststream.AsyncClient(timeout=30.0) as client:
            async with client.stream("GET", app_server.url + "/burst") as response:
                async for chunk in response.aiter_bytes():
                    out += chunk
                    if len(out) >= burst:
                        seen_burst.set()
        return bytes(out)

    assert run_on(loop, main) == pattern(total)
    assert waited == [True]


@pytest.mark.parametrize("loop", LOOPS)
def test_large_http2_bodies_then_small_ones(loop: str) -> None:
    # h2c frames arrive faster than they are taken and several streams' frames interleave
    # on the one connection (its reads stay in the buffer protocol: reading them as bytes
    # objects of their own took 100 stalled streams past their memory bound, see
    # tests/http2/test_stalled_rss.py).
    url = ""

    async def main() -> None:
        async with faststream.AsyncClient(http1=False, http2=True) as client:

            async def get(size: int) -> bytes:
                response = await client.get(f"{url}/bytes/{size}")
                assert response.http_version == "HTTP/2"
                return response.content

            for size in (LARGE, 100, LARGE // 3, 1):
                assert await get(size) == h2_raw.pattern(size)
            bodies = await asyncio.gather(*(get(LARGE // 4 + i) for i in range(3)))
            assert bodies == [h2_raw.pattern(LARGE // 4 + i) for i in range(3)]

    with h2_raw.H2Server() as server:
        url = f"http://127.0.0.1:{server.port}"
        run_on(loop, main)
        assert server.connections_accepted == 1
