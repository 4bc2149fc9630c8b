"""AsyncHTTPTransport and its pool against real loopback servers, on asyncio, uvloop and trio
(`backend`): framing, keep-alive, errors and timeouts, the pool's limits and waiters, TLS and
proxies, early exits and cancellation.

The shared servers (tests/servers: `app_server`, `tls_server`, `proxy_server`; tests/wire's
`RawServer` for scripted bytes) serve most tests. The concurrency and cancellation storms use
`StormServer`, a small anyio server running in the test's own event loop (whichever backend):
cheap per connection, so a thousand cancelled streams do not cost a thousand server threads.
"""

from __future__ import annotations

import gc
import random
import socket
import typing
from collections.abc import AsyncIterator

import anyio
import anyio.abc
import httpx as real_httpx
import pytest
from anyio.streams.buffered import BufferedByteReceiveStream

import faststream
from faststream._transports._async_http11 import AsyncHTTPTransport
from faststream._transports._asyncio_connection import HIGH_WATER
from faststream._transports._http11_exchange import MAX_BUFFER as _MAX_BUFFER
from tests.client._async_adapter import mode_param
from tests.client._backends import gather, open_tasks, run_on, user_closing, wait_until
from tests.servers.app import AppServer, pattern
from tests.servers.proxy import ProxyServer
from tests.wire._raw_server import Close, RawServer, Recv, Send, Sleep, response

pytestmark = pytest.mark.timeout(60)

TIMEOUT = {"connect": 5.0, "read": 5.0, "write": 5.0, "pool": 5.0}


def request(
    method: str, url: str, *, timeout: dict[str, float | None] | None = None, **kwargs: typing.Any
) -> faststream.Request:
    return faststream.Request(method, url, extensions={"timeout": timeout or TIMEOUT}, **kwargs)


async def fetch(transport: AsyncHTTPTransport, req: faststream.Request) -> faststream.Response:
    response = await transport.handle_async_request(req)
    await response.aread()
    return response


def in_use(transport: AsyncHTTPTransport) -> int:
    return transport._pool.connections_in_use


def pool_connections(transport: AsyncHTTPTransport) -> int:
    return transport._pool.connections


# -- a server for the storms, in the test's event loop ----------------------------------------


class StormServer:
    """Keep-alive HTTP/1.1 on 127.0.0.1 in the running loop (anyio: asyncio, uvloop or trio):
    `/n` answers n bytes of `pattern(n)` written in 16 KiB pieces (yielding between them),
    Content-Length framed. A connection the client drops ends its handler quietly."""

    def __init__(self) -> None:
        self.accepted = 0
        self.url = ""
        self._listener: anyio.abc.Listener[anyio.abc.SocketStream] | None = None
        self._group: anyio.abc.TaskGroup | None = None

    async def __aenter__(self) -> StormServer:
        listener = await anyio.create_tcp_listener(
            local_host="127.0.0.1", local_port=0, backlog=256
        )
        self._listener = listener
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        self.url = f"http://127.0.0.1:{port}"
        self._group = anyio.create_task_group()
        await self._group.__aenter__()
        self._group.start_soon(listener.serve, self._serve)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._group is not None and self._listener is not None
        self._group.cancel_scope.cancel()
        await self._group.__aexit__(None, None, None)
        await self._listener.aclose()

    async def _serve(self, stream: anyio.abc.SocketStream) -> None:
        self.accepted += 1
        received = BufferedByteReceiveStream(stream)
        async with stream:
            try:
                for _ in range(10_000):  # requests per connection, bounded
                    head = await received.receive_until(b"\r\n\r\n", 65536)
                    target = head.split(b" ", 2)[1].decode()
                    n = int(target.strip("/") or "0")
                    body = pattern(n)
                    await stream.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % n)
                    for start in range(0, n, 16384):
                        await stream.send(body[start : start + 16384])
                        await anyio.sleep(0)
            except (anyio.EndOfStream, anyio.IncompleteRead, anyio.BrokenResourceError, OSError):
                pass


# -- basics ------------------------------------------------------------------------------------


def test_get_and_post(backend: str, app_server: AppServer) -> None:
    async def main() -> None:
        async with AsyncHTTPTransport() as transport:
            response = await fetch(transport, request("GET", app_server.url + "/echo?a=1"))
            assert response.status_code == 200
            assert response.extensions["http_version"] == b"HTTP/1.1"
            assert response.extensions["reason_phrase"] == b"OK"
            assert response.json()["target"] == "/echo?a=1"
            assert response.headers["content-type"] == "application/json"
            body = b"x" * 200_000  # larger than one write
            response = await fetch(
                transport, request("POST", app_server.url + "/echo", content=body)
            )
            assert response.json()["body_length"] == 200_000
            assert response.json()["method"] == "POST"

    run_on(backend, main)


def test_async_iterator_request_body(backend: str, app_server: AppServer) -> None:
    async def body() -> AsyncIterator[bytes]:
        for piece in (b"hello ", b"", b"async ", b"world"):
            yield piece

    async def main() -> None:
        async with AsyncHTTPTransport() as transport:
            response = await fetch(
                transport, request("PUT", app_server.url + "/echo", content=body())
            )
            echoed = response.json()
            assert echoed["body"] == "hello async world"
            assert ["Transfer-Encoding", "chunked"] in echoed["headers"]

    run_on(backend, main)


def test_sync_request_body_is_refused(backend: str, app_server: AppServer) -> None:
    async def main() -> None:
        async with AsyncHTTPTransport() as transport:
            req = request("POST", app_server.url + "/echo", content=iter([b"sync"]))
            with pytest.raises(RuntimeError, match="sync request with an AsyncClient"):
                await transport.handle_async_request(req)

    run_on(backend, main)


def test_keep_alive_reuses_one_connection(backend: str, app_server: AppServer) -> None:
    async def main() -> None:
        async with AsyncHTTPTransport() as transport:
            for path in ("/echo", "/bytes/100000", "/chunked/5000?size=333", "/echo"):
                response = await fetch(transport, request("GET", app_server.url + path))
                assert response.status_code == 200
            assert transport._pool.idle_connections == 1
            assert in_use(transport) == 0

    run_on(backend, main)
    assert app_server.connections_accepted == 1
    assert {r.connection_id for r in app_server.requests} == {1}


def test_chunked_and_large_bodies(backend: str, app_server: AppServer) -> None:
    async def main() -> None:
        async with AsyncHTTPTransport() as transport:
            response = await fetch(
                transport, request("GET", app_server.url + "/chunked/50000?size=777")
            )
            assert response.content == pattern(50000)
            response = await transport.handle_async_request(
                request("GET", app_server.url + "/bytes/5000000")
            )
            pieces = [piece async for piece in response.aiter_raw()]
            assert b"".join(pieces) == pattern(5_000_000)
            assert max(len(p) for p in pieces) <= _MAX_BUFFER

    run_on(backend, main)


def test_close_delimited_body_is_not_pooled(backend: str, app_server: AppServer) -> None:
    async def main() -> None:
        async with AsyncHTTPTransport() as transport:
            response = await fetch(transport, request("GET", app_server.url + "/eof-body?n=5000"))
            assert response.content == pattern(5000)
            assert transport._pool.idle_connections == 0
            assert pool_connections(transport) == 0
            response = await fetch(transport, request("GET", app_server.url + "/echo"))
            assert response.status_code == 200

    run_on(backend, main)
    assert app_server.connections_accepted == 2


def test_surplus_bytes_after_the_body_are_not_pooled(backend: str) -> None:
    script = (Recv(), Send(response(body=b"ok") + b"HTTP/1.1 200 OK\r\n"), Sleep(0.3))
    with RawServer([script, (Recv(), Send(response(body=b"second")))]) as server:

        async def main() -> None:
            async with AsyncHTTPTransport() as transport:
                first = await fetch(transport, request("GET", server.url + "/"))
                assert first.content == b"ok"
                second = await fetch(transport, request("GET", server.url + "/"))
                assert second.content == b"second"

        run_on(backend, main)
        assert server.accepted == 2


def test_dead_reused_connection_is_retried_for_idempotent_requests(backend: str) -> None:
    # The server answers once, then closes the kept-alive connection on the next request.
    scripts = [
        (Recv(), Send(response(body=b"one")), Recv(), Close()),
        (Recv(), Send(response(body=b"two")), Recv(), Close()),
        (Recv(), Send(response(body=b"three"))),
    ]
    with RawServer(scripts) as server:

        async def main() -> None:
            async with AsyncHTTPTransport() as transport:
                assert (await fetch(transport, request("GET", server.url + "/"))).content == b"one"
                assert (await fetch(transport, request("GET", server.url + "/"))).content == b"two"
                with pytest.raises(faststream.RemoteProtocolError, match="without sending"):
                    await fetch(transport, request("POST", server.url + "/", content=b"x"))
                assert in_use(transport) == 0

        run_on(backend, main)
        assert server.accepted == 2


def test_too_many_headers_is_a_protocol_error(backend: str, app_server: AppServer) -> None:
    async def main() -> None:
        async with AsyncHTTPTransport() as transport:
            with pytest.raises(faststream.RemoteProtocolError, match="Too many response headers"):
                await transport.handle_async_request(
                    request("GET", app_server.url + "/headers-flood?n=200")
                )
            assert in_use(transport) == 0 and pool_connections(transport) == 0

    run_on(backend, main)


def test_body_cut_short_is_a_protocol_error(backend: str) -> None:
    cut = response(body=b"0123456789")[:-4]
    with RawServer([(Recv(), Send(cut), Close())]) as server:

        async def main() -> None:
            async with AsyncHTTPTransport() as transport:
                response_ = await transport.handle_async_request(request("GET", server.url + "/"))
                with pytest.raises(faststream.RemoteProtocolError, match="peer closed") as info:
                    await response_.aread()
                assert info.value.request.url == server.url + "/"
                assert in_use(transport) == 0

        run_on(backend, main)


@pytest.mark.parametrize(
    "path", ["/bytes/70000", "/chunked/3000?size=100", "/eof-body?n=300", "/status/204", "/close"]
)
def test_same_response_as_httpx(backend: str, app_server: AppServer, path: str) -> None:
    async def main() -> tuple[tuple[typing.Any, ...], tuple[typing.Any, ...]]:
        async with AsyncHTTPTransport() as ours:
            mine = await fetch(ours, request("GET", app_server.url + path))
        async with real_httpx.AsyncHTTPTransport() as theirs:
            req = real_httpx.Request("GET", app_server.url + path, extensions={"timeout": TIMEOUT})
            other = await theirs.handle_async_request(req)
            await other.aread()
        drop = {"date", "server"}
        return (
            (mine.status_code, [h for h in mine.headers.items() if h[0] not in drop], mine.content),
            (
                other.status_code,
                [h for h in other.headers.items() if h[0] not in drop],
                other.content,
            ),
        )

    mine, other = run_on(backend, main)
    assert mine == other


# -- errors and timeouts ---------------------------------------------------------------------


def test_read_timeout_releases_the_slot(backend: str, app_server: AppServer) -> None:
    async def main() -> None:
        async with AsyncHTTPTransport() as transport:
            with pytest.raises(faststream.ReadTimeout):
                await transport.handle_async_request(
                    request("GET", app_server.url + "/slow-headers?delay=3", timeout={"read": 0.2})
                )
            assert in_use(transport) == 0
            response = await transport.handle_async_request(
                request("GET", app_server.url + "/slow-body?delay=3&n=2000", timeout={"read": 0.2})
            )
            with pytest.raises(faststream.ReadTimeout):
                await response.aread()
            assert in_use(transport) == 0 and pool_connections(transport) == 0

    run_on(backend, main)


def test_connect_error(backend: str, closed_port: int) -> None:
    async def main() -> None:
        async with AsyncHTTPTransport(retries=1) as transport:
            with pytest.raises(faststream.ConnectError):
                await transport.handle_async_request(
                    request("GET", f"http://127.0.0.1:{closed_port}/")
                )
            assert in_use(transport) == 0 and pool_connections(transport) == 0

    run_on(backend, main)


def test_unsupported_protocol(backend: str) -> None:
    async def main() -> None:
        async with AsyncHTTPTransport() as transport:
            with pytest.raises(faststream.UnsupportedProtocol, match="unsupported protocol"):
                await transport.handle_async_request(request("GET", "ftp://example.org/"))

    run_on(backend, main)


def test_pool_timeout_message(backend: str, app_server: AppServer) -> None:
    limits = faststream.Limits(max_connections=1)

    async def main() -> None:
        async with AsyncHTTPTransport(limits=limits) as transport:
            held = await transport.handle_async_request(request("GET", app_server.url + "/echo"))
            with pytest.raises(faststream.PoolTimeout) as info:
                await transport.handle_async_request(
                    request("GET", app_server.url + "/echo", timeout={"pool": 0.2})
                )
            assert "1 of max_connections=1 connections are in use" in str(info.value)
            await held.aclose()
            assert (await fetch(transport, request("GET", app_server.url + "/echo"))).is_success

    run_on(backend, main)


def test_keepalive_expiry_closes_idle_connections(backend: str, app_server: AppServer) -> None:
    limits = faststream.Limits(keepalive_expiry=0.1)

    async def main() -> None:
        async with AsyncHTTPTransport(limits=limits) as transport:
            await fetch(transport, request("GET", app_server.url + "/echo"))
            await fetch(transport, request("GET", app_server.url + "/echo"))
            await anyio.sleep(0.3)
            await fetch(transport, request("GET", app_server.url + "/echo"))
            assert pool_connections(transport) == 1

    run_on(backend, main)
    assert app_server.connections_accepted == 2


def test_waiters_get_slots_in_arrival_order(backend: str, app_server: AppServer) -> None:
    limits = faststream.Limits(max_connections=1)

    async def main() -> None:
        async with AsyncHTTPTransport(limits=limits) as transport, open_tasks() as tasks:
            held = await transport.handle_async_request(request("GET", app_server.url + "/echo"))
            order: list[int] = []

            async def waiter(i: int) -> None:
                response = await transport.handle_async_request(
                    request("GET", app_server.url + "/echo")
                )
                order.append(i)
                await response.aread()

            waiters = []
            for i in range(6):
                waiters.append(tasks.start(waiter, i))
                await anyio.sleep(0.01)
            waiters[2].cancel()  # a waiter that gives up keeps nobody waiting
            await held.aclose()
            for task in waiters:
                await task.wait()
            assert [task.cancelled for task in waiters] == [False, False, True, False, False, False]
            assert all(task.error is None for task in waiters)
            assert order == [0, 1, 3, 4, 5]
            assert in_use(transport) == 0 and pool_connections(transport) == 1

    run_on(backend, main)
    # The held response was closed unread (so its connection too); the waiters share one more.
    assert app_server.connections_accepted == 2


class _SilentServer:
    """Accepts TCP connections and never answers (a TLS handshake that never ends)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port: int = self.sock.getsockname()[1]

    def close(self) -> None:
        self.sock.close()


def test_cancelled_while_connecting_gives_the_slot_back(backend: str) -> None:
    silent = _SilentServer()
    limits = faststream.Limits(max_connections=2)

    async def main() -> None:
        async with AsyncHTTPTransport(limits=limits) as transport, open_tasks() as tasks:
            url = f"https://127.0.0.1:{silent.port}/"
            # Four tasks: two connecting (TLS handshake hangs), two waiting for the pool.
            started = [
                tasks.start(transport.handle_async_request, request("GET", url)) for _ in range(4)
            ]
            await anyio.sleep(0.2)
            assert in_use(transport) == 2
            for task in started:
                task.cancel()
            started[0].cancel()  # twice (on trio the scope simply stays cancelled)
            for task in started:
                await task.wait()
            assert all(task.cancelled and task.error is None for task in started)
            assert in_use(transport) == 0 and pool_connections(transport) == 0
            with pytest.raises(faststream.ConnectTimeout):
                await transport.handle_async_request(request("GET", url, timeout={"connect": 0.2}))
            assert in_use(transport) == 0 and pool_connections(transport) == 0

    try:
        run_on(backend, main)
    finally:
        silent.close()


# -- TLS and proxies --------------------------------------------------------------------------


def test_tls_and_connect_tunnel(
    backend: str, tls_server: AppServer, tls_client_context: typing.Any, proxy_server: ProxyServer
) -> None:
    async def main() -> None:
        async with AsyncHTTPTransport(verify=tls_client_context) as transport:
            response = await fetch(transport, request("GET", tls_server.url + "/bytes/1000"))
            assert response.content == pattern(1000)
            assert response.extensions["network_stream"].get_extra_info("ssl_object") is not None
        async with AsyncHTTPTransport(verify=tls_client_context, proxy=proxy_server.url) as tunnel:
            for _ in range(2):
                response = await fetch(tunnel, request("GET", tls_server.url + "/bytes/1000"))
                assert response.content == pattern(1000)
        async with AsyncHTTPTransport() as untrusting:
            with pytest.raises(faststream.ConnectError):
                await untrusting.handle_async_request(request("GET", tls_server.url + "/"))

    run_on(backend, main)
    assert tls_server.connections_accepted == 3
    assert proxy_server.connections_accepted == 1


def test_forward_proxy_for_http(
    backend: str, app_server: AppServer, proxy_server: ProxyServer
) -> None:
    async def main() -> None:
        async with AsyncHTTPTransport(proxy=proxy_server.url) as transport:
            response = await fetch(transport, request("GET", app_server.url + "/echo?x=1"))
            assert response.json()["target"] == "/echo?x=1"

    run_on(backend, main)
    assert proxy_server.connections_accepted == 1


# -- early exit and cancellation -------------------------------------------------------------


def test_break_out_of_iteration_closes_the_connection(backend: str, app_server: AppServer) -> None:
    async def main() -> None:
        async with AsyncHTTPTransport() as transport:
            response = await transport.handle_async_request(
                request("GET", app_server.url + "/bytes/3000000")
            )
            try:
                async with user_closing(response.aiter_bytes()) as chunks:
                    async for _chunk in chunks:
                        break
            finally:
                await response.aclose()
                await response.aclose()  # idempotent
            assert in_use(transport) == 0 and pool_connections(transport) == 0
            assert (await fetch(transport, request("GET", app_server.url + "/echo"))).is_success

    run_on(backend, main)
    assert app_server.connections_accepted == 2


def test_exception_inside_the_stream_block_propagates_unchanged(
    backend: str, app_server: AppServer
) -> None:
    class Boom(Exception):
        pass

    async def main() -> None:
        async with AsyncHTTPTransport() as transport:
            with pytest.raises(Boom):
                response = await transport.handle_async_request(
                    request("GET", app_server.url + "/drip?n=50&delay=0.01")
                )
                try:
                    async with user_closing(response.aiter_lines()) as lines:
                        async for _line in lines:
                            raise Boom()
                finally:
                    await response.aclose()
            assert in_use(transport) == 0
            assert (await fetch(transport, request("GET", app_server.url + "/echo"))).is_success

    run_on(backend, main)


@pytest.mark.parametrize("cancels", [1, 2])
def test_cancelled_mid_stream(backend: str, app_server: AppServer, cancels: int) -> None:
    # On asyncio a second Task.cancel() interrupts the cleanup of the first; on trio the cancel
    # scope stays cancelled, so every await of the cleanup is cancelled anyway.
    async def consume(transport: AsyncHTTPTransport, started: anyio.Event) -> None:
        response = await transport.handle_async_request(
            request("GET", app_server.url + "/drip?n=100&delay=0.02")
        )
        try:
            async with user_closing(response.aiter_raw()) as chunks:
                async for _chunk in chunks:
                    started.set()
        finally:
            await response.aclose()

    async def main() -> None:
        limits = faststream.Limits(max_connections=1)
        async with AsyncHTTPTransport(limits=limits) as transport, open_tasks() as tasks:
            started = anyio.Event()
            task = tasks.start(consume, transport, started)
            await wait_until(started.is_set, task)
            for _ in range(cancels):
                task.cancel()
                await anyio.sleep(0)
            await task.wait()
            assert task.cancelled and task.error is None
            assert in_use(transport) == 0 and pool_connections(transport) == 0
            response = await fetch(transport, request("GET", app_server.url + "/echo"))
            assert response.is_success

    run_on(backend, main)


def test_sixty_four_concurrent_streams(backend: str) -> None:
    async def main() -> None:
        async with StormServer() as server, AsyncHTTPTransport() as transport:

            async def one(i: int) -> bytes:
                n = 100_000 + i * 1000
                response = await transport.handle_async_request(request("GET", f"{server.url}/{n}"))
                return b"".join([piece async for piece in response.aiter_bytes()])

            def body(i: int) -> typing.Callable[[], typing.Awaitable[bytes]]:
                return lambda: one(i)

            bodies = await gather(*(body(i) for i in range(64)))
            assert [len(b) for b in bodies] == [100_000 + i * 1000 for i in range(64)]
            assert all(body == pattern(len(body)) for body in bodies)
            assert in_use(transport) == 0
            assert server.accepted == 64
            assert transport._pool.idle_connections == 20  # DEFAULT_LIMITS keeps 20 alive

    run_on(backend, main)


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_cancellation_storm_leaves_the_pool_empty_and_usable(backend: str) -> None:
    """1,000 random cancellations across 64 concurrent streams, some twice in a row, some while
    waiting for the pool or connecting (max 48 connections); then nothing is leaked and the
    next 100 requests succeed. On trio a cancellation is the task's cancel scope: from then on
    every await of its cleanup (`aclose` in the `finally`) is cancelled too."""
    rng = random.Random(5)
    limits = faststream.Limits(max_connections=48, max_keepalive_connections=48)

    async def main() -> None:
        async with StormServer() as server, AsyncHTTPTransport(limits=limits) as transport:

            async def worker() -> None:
                for _ in range(1000):  # bounded; cancelled long before
                    n = rng.choice((0, 100, 20_000, 300_000))
                    response = await transport.handle_async_request(
                        request("GET", f"{server.url}/{n}")
                    )
                    try:
                        async with user_closing(response.aiter_bytes()) as pieces:
                            async for _piece in pieces:
                                await anyio.sleep(0)
                    finally:
                        await response.aclose()

            async with open_tasks() as tasks:
                workers = [tasks.start(worker) for _ in range(64)]
                cancelled = 0
                while cancelled < 1000:
                    await anyio.sleep(rng.uniform(0, 0.003))
                    k = rng.randrange(64)
                    if workers[k].done:
                        assert workers[k].error is None, workers[k].error
                        workers[k] = tasks.start(worker)
                        continue
                    workers[k].cancel()
                    if rng.random() < 0.3:
                        await anyio.sleep(0)
                        workers[k].cancel()  # cancelled twice
                    cancelled += 1
                for task in workers:
                    task.cancel()
                for task in workers:
                    await task.wait()
                # Every worker ended by its cancellation (they never finish their 1,000
                # requests), none by an error.
                assert all(task.cancelled and task.error is None for task in tasks.started)
            assert in_use(transport) == 0
            assert pool_connections(transport) == transport._pool.idle_connections <= 48

            async def one(i: int) -> int:
                response = await fetch(transport, request("GET", f"{server.url}/{i * 100}"))
                assert response.content == pattern(i * 100)
                return response.status_code

            def get(i: int) -> typing.Callable[[], typing.Awaitable[int]]:
                return lambda: one(i)

            statuses = await gather(*(get(i) for i in range(100)))
            assert statuses == [200] * 100
            assert in_use(transport) == 0

    run_on(backend, main)


# The asyncio network stream is a BufferedProtocol that queues what the socket delivers until
# the reader takes it (pausing reads above HIGH_WATER): asyncio and uvloop only; trio reads
# only when the consumer asks, so it has no such queue.
@pytest.mark.parametrize("backend", [mode_param("asyncio"), mode_param("uvloop")])
def test_slow_consumer_bounds_the_buffered_bytes(backend: str) -> None:
    async def main() -> None:
        async with StormServer() as server, AsyncHTTPTransport() as transport:
            response = await transport.handle_async_request(
                request("GET", f"{server.url}/{40 << 20}")
            )
            stream = typing.cast(typing.Any, response.stream)
            connection = stream._connection
            most = 0
            total = 0
            async for piece in response.aiter_raw():
                total += len(piece)
                most = max(most, connection.queued)
                await anyio.sleep(0.001)  # a slow consumer
            assert total == 40 << 20
            assert most <= HIGH_WATER + _MAX_BUFFER

    run_on(backend, main)


def test_unclosed_response_warns_and_frees_its_slot(backend: str, app_server: AppServer) -> None:
    async def main() -> None:
        async with AsyncHTTPTransport(limits=faststream.Limits(max_connections=1)) as transport:
            response = await transport.handle_async_request(
                request("GET", app_server.url + "/echo")
            )
            with pytest.warns(ResourceWarning, match="Unclosed response"):
                del response
                gc.collect()
            # The slot is freed by the event loop, not inside the collector: within a few
            # scheduling rounds and without any I/O (trio runs a round's tasks in random order).
            for _ in range(10):
                if in_use(transport) == 0:
                    break
                await anyio.sleep(0)
            assert in_use(transport) == 0
            assert (await fetch(transport, request("GET", app_server.url + "/echo"))).is_success

    run_on(backend, main)
