"""`readinto`/`areadinto`/`as_file` over loopback: `Client` and `AsyncClient` (asyncio, uvloop,
trio) read the body into the caller's buffer and give the connection back at the end."""

from __future__ import annotations

import gzip
import json
import typing

import faststream
from tests.client._backends import run_on
from tests.servers.app import AppServer, Exchange, pattern

SIZE = 300_000


def in_use(client: typing.Any) -> int:
    return int(client._transport._pool.connections_in_use)


def test_sync_as_file_and_readinto(app_server: AppServer) -> None:
    value = {"numbers": list(range(10_000))}

    def serve_json(ex: Exchange) -> None:
        body = gzip.compress(json.dumps(value).encode())
        ex.respond(200, body, headers=[("Content-Encoding", "gzip")])

    app_server.add_route("/gz-json", serve_json)
    with faststream.Client() as client:
        with client.stream("GET", app_server.url + "/gz-json") as response:
            assert json.load(response.as_file()) == value
        assert in_use(client) == 0
        with client.stream("GET", app_server.url + f"/chunked/{SIZE}") as response:
            buffer = bytearray(8192)
            out = bytearray()
            for _ in range(SIZE):
                count = response.readinto(buffer)
                if not count:
                    break
                out += buffer[:count]
            assert bytes(out) == pattern(SIZE)
            assert in_use(client) == 0
    assert app_server.connections_accepted == 1


def test_async_areadinto_on_every_backend(app_server: AppServer, backend: str) -> None:
    async def main() -> tuple[bytes, int]:
        async with faststream.AsyncClient() as client:
            async with client.stream("GET", app_server.url + f"/bytes/{SIZE}") as response:
                buffer = memoryview(bytearray(10_000))
                out = bytearray()
                for _ in range(SIZE):
                    count = await response.areadinto(buffer)
                    if not count:
                        break
                    out += buffer[:count]
            return bytes(out), in_use(client)

    assert run_on(backend, main) == (pattern(SIZE), 0)
