"""`Response.trailers`: the trailer fields of an HTTP/1.1 chunked body, over loopback, on
`Client` and `AsyncClient` (asyncio, uvloop, trio). Empty until the body has been read to its
end, never merged into `headers`; a connection whose response had trailers is not pooled."""

from __future__ import annotations

import faststream
from tests.client._backends import run_on
from tests.servers.app import AppServer, Exchange

TRAILERS = {"x-checksum": "sha256=abc", "x-status": "done"}


def add_routes(server: AppServer) -> None:
    def with_trailers(ex: Exchange) -> None:
        ex.send_head(200, [("Transfer-Encoding", "chunked"), ("Trailer", "X-Checksum, X-Status")])
        ex.write_chunk(b"hello ")
        ex.write_chunk(b"world")
        ex.end_chunks([("X-Checksum", "sha256=abc"), ("X-Status", "done")])

    server.add_route("/trailers", with_trailers)


def test_sync_trailers_after_the_body(app_server: AppServer) -> None:
    add_routes(app_server)
    with faststream.Client() as client:
        with client.stream("GET", app_server.url + "/trailers") as response:
            assert response.trailers == {}
            assert response.read() == b"hello world"
            assert dict(response.trailers) == TRAILERS
            assert "x-checksum" not in response.headers
            assert response.headers["trailer"] == "X-Checksum, X-Status"
        # Through readinto too, and on a response read by the client.
        with client.stream("GET", app_server.url + "/trailers") as response:
            buffer = bytearray(4)
            for _ in range(20):
                if not response.readinto(buffer):
                    break
            assert dict(response.trailers) == TRAILERS
        assert dict(client.get(app_server.url + "/trailers").trailers) == TRAILERS
        assert client._transport._pool.connections_in_use == 0  # type: ignore[attr-defined]
    # A response with trailers does not give its connection back for reuse.
    assert app_server.connections_accepted == 3


def test_no_trailers_is_empty(app_server: AppServer) -> None:
    with faststream.Client() as client:
        assert client.get(app_server.url + "/chunked/100").trailers == {}
        assert client.get(app_server.url + "/bytes/100").trailers == {}
    assert app_server.connections_accepted == 1  # no trailers: the connection was reused
    assert faststream.Response(200, content=b"x").trailers == {}


def test_closed_early_has_no_trailers(app_server: AppServer) -> None:
    add_routes(app_server)
    with faststream.Client() as client:
        with client.stream("GET", app_server.url + "/trailers") as response:
            next(response.iter_raw(1))
        assert response.trailers == {}


def test_async_trailers_on_every_backend(app_server: AppServer, backend: str) -> None:
    add_routes(app_server)

    async def main() -> tuple[dict[str, str], dict[str, str], bytes, bool]:
        async with faststream.AsyncClient() as client:
            async with client.stream("GET", app_server.url + "/trailers") as response:
                before = dict(response.trailers)
                body = await response.aread()
                after = dict(response.trailers)
            return before, after, body, "x-status" in response.headers

    assert run_on(backend, main) == ({}, TRAILERS, b"hello world", False)
