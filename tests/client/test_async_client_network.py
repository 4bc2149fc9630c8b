"""`AsyncClient` over real loopback servers on asyncio, uvloop and trio (`backend`): a
differential run against httpx 0.28.1's `AsyncClient`, concurrency on one client, early exits
at the client level, TLS and a large body.

Early exits -- a task cancelled in the middle of `async with client.stream(...)` (on asyncio
once or twice with `Task.cancel()`, on trio by its cancel scope), `break` out of `aiter_bytes`,
an exception inside the block -- must close the response and its connection, give the pool
slot back, and leave the client usable. Both libraries are held to what a user sees (the
server sees the connection dropped and a new one opened; the next requests succeed); for
faststream the pool is also checked empty of lent connections.
"""

from __future__ import annotations

import hashlib
import ssl
import threading
import typing
from collections.abc import AsyncIterator, Callable
from types import ModuleType

import anyio
import pytest

import faststream
from tests.client._backends import (
    gather,
    open_tasks,
    run_on,
    running_backend,
    user_closing,
    wait_until,
)
from tests.client._helpers import FASTSTREAM, HTTPX, Lib
from tests.servers.app import AppServer, pattern

pytestmark = pytest.mark.timeout(60)


def wait_for(predicate: Callable[[], bool], limit: float = 10.0) -> bool:
    """Poll `predicate` until true (a hang guard, not a timing assertion)."""
    done = threading.Event()
    for _ in range(int(limit / 0.01)):
        if predicate():
            return True
        done.wait(0.01)
    return predicate()


def lent_connections(client: typing.Any) -> int | None:
    """Connections of faststream's pool currently lent to a response (None for httpx)."""
    pool = getattr(client._transport, "_pool", None)
    return (
        None if pool is None or not hasattr(pool, "connections_in_use") else pool.connections_in_use
    )


# --- differential run --------------------------------------------------------------------------


async def session(lib: Lib, url: str) -> list[typing.Any]:
    """A user session touching most of the client; returns what the user sees."""
    seen: list[typing.Any] = []

    def echoed(response: typing.Any) -> typing.Any:
        data = response.json()
        data["headers"] = [h for h in data["headers"] if h[0].lower() != "user-agent"]
        data.pop("connection")
        content_type = dict(data["headers"]).get("Content-Type", "")
        if "boundary=" in content_type:  # random per request
            boundary = content_type.split("boundary=")[1]
            data["body"] = data["body"].replace(boundary, "B")
            data["headers"] = [[k, v.replace(boundary, "B")] for k, v in data["headers"]]
        return response.status_code, data

    async def body() -> AsyncIterator[bytes]:
        yield b"part-1 "
        yield b"part-2"

    async with lib.AsyncClient(base_url=url, params={"client": "1"}, headers={"X-C": "c"}) as c:
        seen.append(echoed(await c.get("/echo", params={"a": "b"})))
        seen.append(echoed(await c.post("/echo", json={"k": [1, 2]})))
        seen.append(echoed(await c.put("/echo", content=body())))
        seen.append(echoed(await c.patch("/echo", data={"f": "v"}, files={"u": b"x"})))
        response = await c.get("/redirect/3", follow_redirects=True)
        seen.append(
            (response.json()["path"], [(r.status_code, str(r.url)) for r in response.history])
        )
        response = await c.get("/cookies/set", params={"s": "1"}, follow_redirects=True)
        seen.append((response.json(), dict(c.cookies)))
        response = await c.get("/basic-auth/u/p", auth=("u", "p"))
        seen.append((response.status_code, response.json()))
        response = await c.get("/digest-auth/auth/u/p/SHA-256", auth=lib.DigestAuth("u", "p"))
        seen.append((response.status_code, [r.status_code for r in response.history]))
        async with c.stream("GET", "/jsonl/50") as response:
            seen.append([line async for line in response.aiter_lines()])
        async with c.stream("GET", "/gzip", params={"n": 200}) as response:
            seen.append("".join([text async for text in response.aiter_text()]))
        async with c.stream("GET", "/chunked/100000", params={"size": 777}) as response:
            data = b"".join([chunk async for chunk in response.aiter_bytes(4096)])
            seen.append(data == pattern(100000))
        response = await c.get("/status/404")
        try:
            response.raise_for_status()
        except lib.HTTPStatusError as exc:
            seen.append(str(exc))
        response = await c.head("/bytes/10")
        seen.append((response.status_code, response.headers["content-length"], response.content))
        seen.append((await c.options("/echo")).status_code)
        seen.append((await c.delete("/echo")).json()["method"])
        response = await c.get("/redirect/1")
        seen.append((response.status_code, str(response.next_request.url)))
    return seen


@pytest.mark.timeout(60)
def test_differential_session(backend: str, app_server: AppServer) -> None:
    ours = run_on(backend, session, FASTSTREAM, app_server.url)
    theirs = run_on(backend, session, HTTPX, app_server.url)
    assert ours == theirs


def test_concurrent_requests_share_the_pool(
    httpx: ModuleType, backend: str, app_server: AppServer
) -> None:
    async def main() -> list[typing.Any]:
        limits = httpx.Limits(max_connections=4)
        async with httpx.AsyncClient(base_url=app_server.url, limits=limits) as client:

            def get(n: int) -> Callable[[], typing.Awaitable[typing.Any]]:
                return lambda: client.get(f"/bytes/{n}")

            responses = await gather(*(get(n) for n in range(1, 65)))
            return [(r.status_code, len(r.content)) for r in responses]

    assert run_on(backend, main) == [(200, n) for n in range(1, 65)]
    assert app_server.connections_accepted <= 4


def test_async_generator_body_resent_by_redirect(
    httpx: ModuleType, backend: str, app_server: AppServer
) -> None:
    async def main() -> None:
        async def body() -> AsyncIterator[bytes]:
            yield b"once"

        async with httpx.AsyncClient(follow_redirects=True) as client:
            with pytest.raises(httpx.StreamConsumed):
                await client.post(
                    app_server.url + "/redirect-to",
                    params={"url": "/echo", "status": "307"},
                    content=body(),
                )

    run_on(backend, main)


def test_pool_timeout_through_the_client(
    httpx: ModuleType, backend: str, app_server: AppServer
) -> None:
    async def main() -> None:
        limits = httpx.Limits(max_connections=1)
        async with httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(5.0, pool=0.2)) as client:
            async with client.stream("GET", app_server.url + "/bytes/10") as held:
                with pytest.raises(httpx.PoolTimeout) as info:
                    await client.get(app_server.url + "/bytes/10")
                assert info.value.request.url == httpx.URL(app_server.url + "/bytes/10")
                await held.aread()
            assert (await client.get(app_server.url + "/bytes/10")).status_code == 200

    run_on(backend, main)


# --- early exits ---------------------------------------------------------------------------------

DRIP = "/drip?n=400&delay=0.05"  # 20 s of body: the exits below always happen mid-stream


async def next_requests_succeed(client: typing.Any, url: str) -> None:
    for n in (10, 1000, 100000):
        response = await client.get(url + f"/bytes/{n}")
        assert response.content == pattern(n)


@pytest.mark.parametrize("cancels", [1, 2])
def test_task_cancelled_mid_stream(
    httpx: ModuleType, backend: str, app_server: AppServer, cancels: int
) -> None:
    # On trio a cancel scope stays cancelled: a second cancel() is the same as one.
    async def main() -> None:
        started = anyio.Event()
        responses: list[typing.Any] = []
        async with httpx.AsyncClient() as client, open_tasks() as tasks:

            async def consume() -> None:
                async with client.stream("GET", app_server.url + DRIP) as response:
                    responses.append(response)
                    async for _ in response.aiter_bytes():
                        started.set()

            task = tasks.start(consume)
            await wait_until(started.is_set, task)
            for _ in range(cancels):
                task.cancel()
                await anyio.sleep(0)
            await task.wait()
            assert task.cancelled and task.error is None
            assert responses[0].is_closed
            assert lent_connections(client) in (0, None)
            await next_requests_succeed(client, app_server.url)
            assert lent_connections(client) in (0, None)

    run_on(backend, main)
    assert app_server.connections_accepted == 2  # the cancelled one was dropped, not reused
    assert wait_for(lambda: app_server.open_connections == 0)


def test_task_cancelled_while_waiting_for_the_head(
    httpx: ModuleType, backend: str, app_server: AppServer
) -> None:
    async def main() -> None:
        async with httpx.AsyncClient() as client, open_tasks() as tasks:
            task = tasks.start(client.get, app_server.url + "/slow-headers?delay=20")
            await wait_until(lambda: len(app_server.requests) == 1, task)
            await anyio.sleep(0.05)  # let the task reach the read (not a timing assertion)
            task.cancel()
            await task.wait()
            assert task.cancelled and task.error is None
            assert lent_connections(client) in (0, None)
            await next_requests_succeed(client, app_server.url)

    run_on(backend, main)
    assert app_server.connections_accepted == 2


@pytest.mark.parametrize("how", ["break", "exception", "return"])
def test_early_exit_from_the_stream_block(
    httpx: ModuleType, backend: str, app_server: AppServer, how: str
) -> None:
    async def main() -> None:
        async with httpx.AsyncClient() as client:

            async def consume() -> typing.Any:
                async with client.stream("GET", app_server.url + DRIP) as response:
                    async with user_closing(response.aiter_bytes()) as chunks:
                        async for _ in chunks:
                            if how == "break":
                                break
                            if how == "exception":
                                raise KeyError("inside")
                            return response
                    return response

            if how == "exception":
                with pytest.raises(KeyError):
                    await consume()
            else:
                response = await consume()
                assert response.is_closed
            assert lent_connections(client) in (0, None)
            await next_requests_succeed(client, app_server.url)

    run_on(backend, main)
    assert app_server.connections_accepted == 2


def test_break_out_of_aiter_bytes_then_aclose(
    httpx: ModuleType, backend: str, app_server: AppServer
) -> None:
    async def main() -> None:
        async with httpx.AsyncClient() as client:
            response = await client.send(
                client.build_request("GET", app_server.url + DRIP), stream=True
            )
            async with user_closing(response.aiter_bytes()) as chunks:
                async for _ in chunks:
                    break
            # The body iterator was abandoned: its connection can never be reused. Whether it
            # is released at once (an explicit aclose of the iterator, as on trio) or when the
            # response is closed, the response itself stays open until `aclose()`.
            assert not response.is_closed
            await response.aclose()
            await response.aclose()  # idempotent
            assert lent_connections(client) in (0, None)
            await next_requests_succeed(client, app_server.url)

    run_on(backend, main)
    assert app_server.connections_accepted == 2


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_cancellation_storm_through_the_client(backend: str, app_server: AppServer) -> None:
    # Many streams through one faststream AsyncClient, each cancelled at a different point
    # (before the head, mid-body, after the body); the pool ends with nothing lent.
    async def main() -> None:
        limits = faststream.Limits(max_connections=8)
        async with faststream.AsyncClient(base_url=app_server.url, limits=limits) as client:

            async def stream(path: str) -> None:
                async with client.stream("GET", path) as response:
                    async with user_closing(response.aiter_bytes()) as chunks:
                        async for _ in chunks:
                            await anyio.sleep(0)

            for round_ in range(6):
                paths = ["/drip?n=100&delay=0.01", "/bytes/200000", "/bytes/10"] * 4
                async with open_tasks() as tasks:
                    started = [tasks.start(stream, p) for p in paths]
                    for step, task in enumerate(started):
                        await anyio.sleep(0.001 * ((step + round_) % 4))
                        task.cancel()
                    for task in started:
                        await task.wait()
                        assert task.error is None, task.error
                assert lent_connections(client) == 0
            await next_requests_succeed(client, "")
            assert lent_connections(client) == 0

    run_on(backend, main)


# --- a large body, TLS (merged from the uvloop-only module: every backend now) ------------------


@pytest.mark.timeout(120)
def test_requests_and_a_large_streamed_body(backend: str, app_server: AppServer) -> None:
    # On asyncio and uvloop, the connection's receive buffer grows to its maximum over this
    # many reads (uvloop keeps the buffer exported during its callback, asyncio does not).
    size = 20 * 1024 * 1024

    async def main() -> tuple[str, str, int, str, str, list[int]]:
        async with faststream.AsyncClient() as client:
            small = await client.get(f"{app_server.url}/bytes/10")
            digest = hashlib.sha256()
            received = 0
            async with client.stream("GET", f"{app_server.url}/bytes/{size}") as response:
                async for chunk in response.aiter_bytes():
                    digest.update(chunk)
                    received += len(chunk)
            chunked = await client.get(f"{app_server.url}/chunked/100000")

            def get(n: int) -> Callable[[], typing.Awaitable[typing.Any]]:
                return lambda: client.get(f"{app_server.url}/bytes/{n}")

            many = await gather(*(get(n) for n in range(1, 33)))
            return (
                running_backend(),
                small.content.hex(),
                received,
                digest.hexdigest(),
                hashlib.sha256(chunked.content).hexdigest(),
                [len(r.content) for r in many],
            )

    ran_on, small, received, digest, chunked, many = run_on(backend, main)
    assert ran_on == backend
    assert small == pattern(10).hex()
    assert received == size
    assert digest == hashlib.sha256(pattern(size)).hexdigest()
    assert chunked == hashlib.sha256(pattern(100000)).hexdigest()
    assert many == list(range(1, 33))


@pytest.mark.timeout(120)
def test_tls(backend: str, tls_server: AppServer, tls_client_context: ssl.SSLContext) -> None:
    async def main() -> bytes:
        async with faststream.AsyncClient(verify=tls_client_context) as client:
            response = await client.get(f"{tls_server.url}/bytes/300000")
            return response.content

    assert run_on(backend, main) == pattern(300000)


@pytest.mark.timeout(120)
def test_cancelled_stream_releases_its_connection(backend: str, app_server: AppServer) -> None:
    async def main() -> tuple[bool, int]:
        transport = faststream.AsyncHTTPTransport(limits=faststream.Limits(max_connections=1))
        async with faststream.AsyncClient(transport=transport) as client, open_tasks() as tasks:
            started = anyio.Event()

            async def reader() -> None:
                async with client.stream("GET", f"{app_server.url}/bytes/50000000") as r:
                    async with user_closing(r.aiter_bytes()) as chunks:
                        async for _ in chunks:
                            started.set()
                            # a slow consumer: the body is far from read when the task is
                            # cancelled, however fast the machine
                            await anyio.sleep(0.01)

            task = tasks.start(reader)
            with anyio.fail_after(30):
                await started.wait()
            task.cancel()
            await task.wait()
            # With one connection allowed, this only works if the slot came back.
            after = await client.get(f"{app_server.url}/bytes/5", timeout=5)
            return task.cancelled, len(after.content)

    assert run_on(backend, main) == (True, 5)
