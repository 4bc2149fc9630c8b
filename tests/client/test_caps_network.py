"""Size caps over loopback, on `Client` and on `AsyncClient` (asyncio, uvloop, trio): a crossed
cap raises `ResponseTooLarge` at the cap and gives the connection back to the pool.

THREATS E18: a 1 MB gzip bomb (1 GiB of zeros) under `max_decoded_bytes=10_000_000` stops at
10 MB decoded (memory is measured in tests/models/test_caps.py, in a fresh interpreter).
"""

from __future__ import annotations

import typing
import zlib

import pytest

import faststream
from tests.client._backends import run_on
from tests.servers.app import AppServer, Exchange, pattern

MB = 1_000_000


def gzip_bomb() -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1 << 20)
    return b"".join([packer.compress(block) for _ in range(1024)]) + packer.flush()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return gzip_bomb()


@pytest.fixture
def server(app_server: AppServer, bomb: bytes) -> AppServer:
    def serve_bomb(ex: Exchange) -> None:
        ex.respond(200, bomb, headers=[("Content-Encoding", "gzip")])

    def serve_lines(ex: Exchange) -> None:
        ex.send_head(200, [("Transfer-Encoding", "chunked")])
        ex.write_chunk(b"ok\n" + b"y" * 5000 + b"\n")
        ex.end_chunks()

    app_server.add_route("/bomb", serve_bomb)
    app_server.add_route("/lines", serve_lines)
    return app_server


def in_use(client: typing.Any) -> int:
    return int(client._transport._pool.connections_in_use)


def test_sync_bomb_stops_at_the_cap_and_frees_the_slot(server: AppServer) -> None:
    with faststream.Client(max_decoded_bytes=10 * MB) as client:
        with client.stream("GET", server.url + "/bomb") as response:
            total = 0
            with pytest.raises(faststream.ResponseTooLarge) as info:
                for chunk in response.iter_bytes():
                    total += len(chunk)
            assert total == 10 * MB
            assert in_use(client) == 0
        assert info.value.request.url == server.url + "/bomb"
        with pytest.raises(faststream.ResponseTooLarge):
            client.get(server.url + "/bomb")
        assert in_use(client) == 0
        # The pool still serves: a body under the caps comes whole.
        assert client.get(server.url + "/bytes/1000").content == pattern(1000)


def test_sync_wire_and_line_caps(server: AppServer) -> None:
    with faststream.Client(max_response_bytes=1000) as client:
        with client.stream("GET", server.url + "/bytes/5000") as response:
            got = b""
            with pytest.raises(faststream.ResponseTooLarge):
                for chunk in response.iter_raw():
                    got += chunk
            assert got == pattern(1000)
            assert in_use(client) == 0
        response = client.get(server.url + "/chunked/5000", extensions={"max_response_bytes": None})
        assert response.content == pattern(5000)
    with faststream.Client(max_line_length=100) as client:
        with client.stream("GET", server.url + "/lines") as response:
            with pytest.raises(faststream.ResponseTooLarge):
                list(response.iter_lines())
        assert in_use(client) == 0


def test_async_caps_on_every_backend(server: AppServer, backend: str) -> None:
    async def main() -> tuple[int, int, int, bytes]:
        async with faststream.AsyncClient(max_decoded_bytes=10 * MB) as client:
            total = 0
            async with client.stream("GET", server.url + "/bomb") as response:
                with pytest.raises(faststream.ResponseTooLarge):
                    async for chunk in response.aiter_bytes():
                        total += len(chunk)
            after_stream = in_use(client)
            with pytest.raises(faststream.ResponseTooLarge):
                await client.get(server.url + "/bomb", extensions={"max_response_bytes": 5000})
            after_get = in_use(client)
            async with client.stream(
                "GET", server.url + "/lines", extensions={"max_line_length": 10}
            ) as response:
                with pytest.raises(faststream.ResponseTooLarge):
                    async for _ in response.aiter_lines():
                        pass
            assert in_use(client) == 0
            ok = await client.get(server.url + "/bytes/1000")
            return total, after_stream, after_get, ok.content

    assert run_on(backend, main) == (10 * MB, 0, 0, pattern(1000))


def test_a_redirect_body_over_the_wire_cap_is_thrown_away_and_followed(
    app_server: AppServer, backend: str
) -> None:
    def redirect(ex: Exchange) -> None:
        ex.respond(302, b"r" * 5000, headers=[("Location", "/bytes/100")])

    app_server.add_route("/redirect-big", redirect)
    url = app_server.url + "/redirect-big"
    with faststream.Client(max_response_bytes=1000, follow_redirects=True) as client:
        response = client.get(url)
        assert (response.status_code, response.content) == (200, pattern(100))
        assert len(response.history) == 1
        assert in_use(client) == 0

    async def main() -> tuple[int, bytes, int]:
        async with faststream.AsyncClient(max_response_bytes=1000, follow_redirects=True) as client:
            response = await client.get(url)
            return response.status_code, response.content, in_use(client)

    assert run_on(backend, main) == (200, pattern(100), 0)
