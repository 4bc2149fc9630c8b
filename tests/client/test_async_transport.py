"""AsyncHTTPTransport and its pool against real loopback servers (issue 5; THREATS F5-F10).

The shared servers (tests/servers: `app_server`, `tls_server`, `proxy_server`; tests/wire's
`RawServer` for scripted bytes) serve most tests. The concurrency and cancellation storms use
`StormServer`, a small asyncio server running in the test's own event loop: cheap per
connection, so a thousand cancelled streams do not cost a thousand server threads.
"""

from __future__ import annotations

import asyncio
import gc
import random
import socket
import typing
from collections.abc import AsyncIterator, Awaitable

import httpx as real_httpx
import pytest

import faststream
from faststream._transports._async_http11 import AsyncHTTPTransport
from faststream._transports._asyncio_connection import HIGH_WATER
from faststream._transports._http11_exchange import MAX_BUFFER as _MAX_BUFFER
from tests.servers.app import AppServer, pattern
from tests.servers.proxy import ProxyServer
from tests.wire._raw_server import Close, RawServer, Recv, Send, Sleep, response

T = typing.TypeVar("T")
pytestmark = pytest.mark.timeout(60)

TIMEOUT = {"connect": 5.0, "read": 5.0, "write": 5.0, "pool": 5.0}


def run(coro: Awaitable[T]) -> T:
    return asyncio.run(typing.cast(typing.Coroutine[typing.Any, typing.Any, T], coro))


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


# -- an asyncio server for the storms ---------------------------------------------------------


class StormServer:
    """Keep-alive HTTP/1.1 on 127.0.0.1 in the running loop: `/n` answers n bytes of
    `pattern(n)` written in 16 KiB pieces (yielding between them), Content-Length framed."""

    def __init__(self) -> None:
        self.accepted = 0
        self.handlers: set[asyncio.Task[None]] = set()
        self.server: asyncio.AbstractServer | None = None
        self.url = ""

    async def __aenter__(self) -> StormServer:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0, backlog=256)
        port = self.server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        for task in list(self.handlers):
            task.cancel()
        await asyncio.gather(*self.handlers, return_exceptions=True)
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.handlers.add(task)
        self.accepted += 1
        try:
            for _ in range(10_000):  # requests per connection, bounded
                head = await reader.readuntil(b"\r\n\r\n")
                target = head.split(b" ", 2)[1].decode()
                n = int(target.strip("/") or "0")
                body = pattern(n)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % n)
                for start in range(0, n, 16384):
                    writer.write(body[start : start + 16384])
                    await writer.drain()
                    await asyncio.sleep(0)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
            self.handlers.discard(task)


# -- basics ------------------------------------------------------------------------------------


def test_get_and_post(app_server: AppServer) -> None:
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

    run(main())


def test_async_iterator_request_body(app_server: AppServer) -> None:
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

    run(main())


def test_sync_request_body_is_refused(app_server: AppServer) -> None:
    async def main() -> None:
        async with AsyncHTTPTransport() as transport:
            req = request("POST", app_server.url + "/echo", content=iter([b"sync"]))
            with pytest.raises(RuntimeError, match="sync request with an AsyncClient"):
                await transport.handle_async_request(req)

    run(main())


def test_keep_alive_reuses_one_connection(app_server: AppServer) -> None:
    async def main() -> None:
        async with AsyncHTTPTransport() as transport:
            for path in ("/echo", "/bytes/100000", "/chunked/5000?size=333", "/echo"):
                response = await fetch(transport, request("GET", app_server.url + path))
                assert response.status_code == 200
            assert transport._pool.idle_connections == 1
            assert in_use(transport) == 0

    run(main())
    assert app_server.connections_accepted == 1
    assert {r.connection_id for r in app_server.requests} == {1}


def test_chunked_and_large_bodies(app_server: AppServer) -> None:
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

    run(main())


def test_close_delimited_body_is_not_pooled(app_server: AppServer) -> None:
    async def main() -> None:
        async with AsyncHTTPTransport() as transport:
            response = await fetch(transport, request("GET", app_server.url + "/eof-body?n=5000"))
            assert response.content == pattern(5000)
            assert transport._pool.idle_connections == 0
            assert pool_connections(transport) == 0
            response = await fetch(transport, request("GET", app_server.url + "/echo"))
            assert response.status_code == 200

    run(main())
    assert app_server.connections_accepted == 2


def test_surplus_bytes_after_the_body_are_not_pooled() -> None:
    script = (Recv(), Send(response(body=b"ok") + b"HTTP/1.1 200 OK\r\n"), Sleep(0.3))
    with RawServer([script, (Recv(), Send(response(body=b"second")))]) as server:

        async def main() -> None:
            async with AsyncHTTPTransport() as transport:
                first = await fetch(transport, request("GET", server.url + "/"))
                assert first.content == b"ok"
                second = await fetch(transport, request("GET", server.url + "/"))
                assert second.content == b"second"

        run(main())
        assert server.accepted == 2


def test_dead_reused_connection_is_retried_for_idempotent_requests() -> None:
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

        run(main())
        assert server.accepted == 2


def test_too_many_headers_is_a_protocol_error(app_server: AppServer) -> None:
    async def main() -> None:
        async with AsyncHTTPTransport() as transport:
            with pytest.raises(faststream.RemoteProtocolError, match="Too many response headers"):
                await transport.handle_async_request(
                    request("GET", app_server.url + "/headers-flood?n=200")
                )
            assert in_use(transport) == 0 and pool_connections(transport) == 0

    run(main())


def test_body_cut_short_is_a_protocol_error() -> None:
    cut = response(body=b"0123456789")[:-4]
    with RawServer([(Recv(), Send(cut), Close())]) as server:

        async def main() -> None:
            async with AsyncHTTPTransport() as transport:
                response_ = await transport.handle_async_request(request("GET", server.url + "/"))
                with pytest.raises(faststream.RemoteProtocolError, match="peer closed") as info:
                    await response_.aread()
                assert info.value.request.url == server.url + "/"
                assert in_use(transport) == 0

        run(main())


@pytest.mark.parametrize(
    "path", ["/bytes/70000", "/chunked/3000?size=100", "/eof-body?n=300", "/status/204", "/close"]
)
def test_same_response_as_httpx(app_server: AppServer, path: str) -> None:
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

    mine, other = run(main())
    assert mine == other


# -- errors and timeouts ---------------------------------------------------------------------


def test_read_timeout_releases_the_slot(app_server: AppServer) -> None:
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

    run(main())


def test_connect_error(closed_port: int) -> None:
    async def main() -> None:
        async with AsyncHTTPTransport(retries=1) as transport:
            with pytest.raises(faststream.ConnectError):
                await transport.handle_async_request(
                    request("GET", f"http://127.0.0.1:{closed_port}/")
                )
            assert in_use(transport) == 0 and pool_connections(transport) == 0

    run(main())


def test_unsupported_protocol() -> None:
    async def main() -> None:
        async with AsyncHTTPTransport() as transport:
            with pytest.raises(faststream.UnsupportedProtocol, match="unsupported protocol"):
                await transport.handle_async_request(request("GET", "ftp://example.org/"))

    run(main())


def test_pool_timeout_message(app_server: AppServer) -> None:
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

    run(main())


def test_keepalive_expiry_closes_idle_connections(app_server: AppServer) -> None:
    limits = faststream.Limits(keepalive_expiry=0.1)

    async def main() -> None:
        async with AsyncHTTPTransport(limits=limits) as transport:
            await fetch(transport, request("GET", app_server.url + "/echo"))
            await fetch(transport, request("GET", app_server.url + "/echo"))
            await asyncio.sleep(0.3)
            await fetch(transport, request("GET", app_server.url + "/echo"))
            assert pool_connections(transport) == 1

    run(main())
    assert app_server.connections_accepted == 2


def test_waiters_get_slots_in_arrival_order(app_server: AppServer) -> None:
    limits = faststream.Limits(max_connections=1)

    async def main() -> None:
        async with AsyncHTTPTransport(limits=limits) as transport:
            held = await transport.handle_async_request(request("GET", app_server.url + "/echo"))
            order: list[int] = []

            async def waiter(i: int) -> None:
                response = await transport.handle_async_request(
                    request("GET", app_server.url + "/echo")
                )
                order.append(i)
                await response.aread()

            tasks = []
            for i in range(6):
                tasks.append(asyncio.ensure_future(waiter(i)))
                await asyncio.sleep(0.01)
            tasks[2].cancel()  # a waiter that gives up keeps nobody waiting
            await held.aclose()
            await asyncio.gather(*tasks, return_exceptions=True)
            assert order == [0, 1, 3, 4, 5]
            assert in_use(transport) == 0 and pool_connections(transport) == 1

    run(main())
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


def test_cancelled_while_connecting_gives_the_slot_back() -> None:
    silent = _SilentServer()
    limits = faststream.Limits(max_connections=2)

    async def main() -> None:
        async with AsyncHTTPTransport(limits=limits) as transport:
            url = f"https://127.0.0.1:{silent.port}/"
            # Four tasks: two connecting (TLS handshake hangs), two waiting for the pool.
            tasks = [
                asyncio.ensure_future(transport.handle_async_request(request("GET", url)))
                for _ in range(4)
            ]
            await asyncio.sleep(0.2)
            assert in_use(transport) == 2
            for task in tasks:
                task.cancel()
            tasks[0].cancel()  # twice
            results = await asyncio.gather(*tasks, return_exceptions=True)
            assert all(isinstance(r, asyncio.CancelledError) for r in results)
            assert in_use(transport) == 0 and pool_connections(transport) == 0
            with pytest.raises(faststream.ConnectTimeout):
                await transport.handle_async_request(request("GET", url, timeout={"connect": 0.2}))
            assert in_use(transport) == 0 and pool_connections(transport) == 0

    try:
        run(main())
    finally:
        silent.close()


# -- TLS and proxies --------------------------------------------------------------------------


def test_tls_and_connect_tunnel(
    tls_server: AppServer, tls_client_context: typing.Any, proxy_server: ProxyServer
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

    run(main())
    assert tls_server.connections_accepted == 3
    assert proxy_server.connections_accepted == 1


def test_forward_proxy_for_http(app_server: AppServer, proxy_server: ProxyServer) -> None:
    async def main() -> None:
        async with AsyncHTTPTransport(proxy=proxy_server.url) as transport:
            response = await fetch(transport, request("GET", app_server.url + "/echo?x=1"))
            assert response.json()["target"] == "/echo?x=1"

    run(main())
    assert proxy_server.connections_accepted == 1


# -- early exit and cancellation (THREATS F6-F9) ----------------------------------------------


def test_break_out_of_iteration_closes_the_connection(app_server: AppServer) -> None:
    async def main() -> None:
        async with AsyncHTTPTransport() as transport:
            response = await transport.handle_async_request(
                request("GET", app_server.url + "/bytes/3000000")
            )
            try:
                async for _chunk in response.aiter_bytes():
                    break
            finally:
                await response.aclose()
                await response.aclose()  # idempotent
            assert in_use(transport) == 0 and pool_connections(transport) == 0
            assert (await fetch(transport, request("GET", app_server.url + "/echo"))).is_success

    run(main())
    assert app_server.connections_accepted == 2


def test_exception_inside_the_stream_block_propagates_unchanged(app_server: AppServer) -> None:
    class Boom(Exception):
        pass

    async def main() -> None:
        async with AsyncHTTPTransport() as transport:
            with pytest.raises(Boom):
                response = await transport.handle_async_request(
                    request("GET", app_server.url + "/drip?n=50&delay=0.01")
                )
                try:
                    async for _line in response.aiter_lines():
                        raise Boom()
                finally:
                    await response.aclose()
            assert in_use(transport) == 0
            assert (await fetch(transport, request("GET", app_server.url + "/echo"))).is_success

    run(main())


@pytest.mark.parametrize("cancels", [1, 2])
def test_cancelled_mid_stream(app_server: AppServer, cancels: int) -> None:
    async def consume(transport: AsyncHTTPTransport, started: asyncio.Event) -> None:
        response = await transport.handle_async_request(
            request("GET", app_server.url + "/drip?n=100&delay=0.02")
        )
        try:
            async for _chunk in response.aiter_raw():
                started.set()
        finally:
            await response.aclose()

    async def main() -> None:
        async with AsyncHTTPTransport(limits=faststream.Limits(max_connections=1)) as transport:
            started = asyncio.Event()
            task = asyncio.ensure_future(consume(transport, started))
            await asyncio.wait_for(started.wait(), 5)
            for _ in range(cancels):
                task.cancel()
                await asyncio.sleep(0)
            with pytest.raises(asyncio.CancelledError):
                await task
            assert in_use(transport) == 0 and pool_connections(transport) == 0
            response = await fetch(transport, request("GET", app_server.url + "/echo"))
            assert response.is_success

    run(main())


def test_sixty_four_concurrent_streams() -> None:
    async def main() -> None:
        async with StormServer() as server, AsyncHTTPTransport() as transport:

            async def one(i: int) -> bytes:
                n = 100_000 + i * 1000
                response = await transport.handle_async_request(request("GET", f"{server.url}/{n}"))
                return b"".join([piece async for piece in response.aiter_bytes()])

            bodies = await asyncio.gather(*(one(i) for i in range(64)))
            assert [len(b) for b in bodies] == [100_000 + i * 1000 for i in range(64)]
            assert all(body == pattern(len(body)) for body in bodies)
            assert in_use(transport) == 0
            assert server.accepted == 64
            assert transport._pool.idle_connections == 20  # DEFAULT_LIMITS keeps 20 alive

    run(main())


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_cancellation_storm_leaves_the_pool_empty_and_usable() -> None:
    """Issue 5's Done-when line: 1,000 random cancellations across 64 concurrent streams, some
    twice in a row, some while waiting for the pool or connecting (max 48 connections); then
    nothing is leaked and the next 100 requests succeed."""
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
                        async for _piece in response.aiter_bytes():
                            await asyncio.sleep(0)
                    finally:
                        await response.aclose()

            workers = [asyncio.ensure_future(worker()) for _ in range(64)]
            cancelled = 0
            while cancelled < 1000:
                await asyncio.sleep(rng.uniform(0, 0.003))
                k = rng.randrange(64)
                if workers[k].done():
                    exc = None if workers[k].cancelled() else workers[k].exception()
                    assert exc is None, exc
                    workers[k] = asyncio.ensure_future(worker())
                    continue
                workers[k].cancel()
                if rng.random() < 0.3:
                    await asyncio.sleep(0)
                    workers[k].cancel()  # cancelled twice (THREATS F7)
                cancelled += 1
            for task in workers:
                task.cancel()
            results = await asyncio.gather(*workers, return_exceptions=True)
            assert all(r is None or isinstance(r, asyncio.CancelledError) for r in results)
            assert in_use(transport) == 0
            assert pool_connections(transport) == transport._pool.idle_connections <= 48

            async def one(i: int) -> int:
                response = await fetch(transport, request("GET", f"{server.url}/{i * 100}"))
                assert response.content == pattern(i * 100)
                return response.status_code

            statuses = await asyncio.gather(*(one(i) for i in range(100)))
            assert statuses == [200] * 100
            assert in_use(transport) == 0

    run(main())


def test_slow_consumer_bounds_the_buffered_bytes() -> None:
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
                await asyncio.sleep(0.001)  # a slow consumer
            assert total == 40 << 20
            assert most <= HIGH_WATER + _MAX_BUFFER

    run(main())


def test_unclosed_response_warns_and_frees_its_slot(app_server: AppServer) -> None:
    async def main() -> None:
        async with AsyncHTTPTransport(limits=faststream.Limits(max_connections=1)) as transport:
            response = await transport.handle_async_request(
                request("GET", app_server.url + "/echo")
            )
            with pytest.warns(ResourceWarning, match="Unclosed response"):
                del response
                gc.collect()
            await asyncio.sleep(0)
            assert in_use(transport) == 0
            assert (await fetch(transport, request("GET", app_server.url + "/echo"))).is_success

    run(main())
