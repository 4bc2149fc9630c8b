"""Small chunks: the data of all the chunks that arrive in one read goes out as one piece, on
every client kind (sync, asyncio, uvloop, trio), so `iter_raw` hands out a piece per read, not
per chunk, and the bytes are exactly the de-framed body."""

from __future__ import annotations

import typing

import pytest

import faststream
from tests.client._backends import BACKENDS, run_on
from tests.servers.app import AppServer, Exchange, pattern

CHUNKS = 200
SIZE = 100  # bytes per chunk: all 200 chunks (~21 KB with framing) leave in one write


@pytest.fixture(params=["sync", *BACKENDS])
def mode(request: pytest.FixtureRequest) -> str:
    """ "sync" (`Client`), or `AsyncClient` on "asyncio", "uvloop" or "trio"."""
    return typing.cast(str, request.param)


def small_chunks(ex: Exchange) -> None:
    data = pattern(CHUNKS * SIZE)
    ex.send_head(200, [("Transfer-Encoding", "chunked")])
    framed = b"".join(
        b"%x\r\n%s\r\n" % (SIZE, data[i : i + SIZE]) for i in range(0, len(data), SIZE)
    )
    ex.write(framed + b"0\r\n\r\n")


def test_small_chunks_of_one_read_are_one_piece(mode: str, app_server: AppServer) -> None:
    app_server.add_route("/small", small_chunks)
    url = app_server.url + "/small"
    if mode == "sync":
        with faststream.Client() as client, client.stream("GET", url) as response:
            pieces = list(response.iter_raw())
    else:

        async def main() -> list[bytes]:
            async with faststream.AsyncClient() as client, client.stream("GET", url) as r:
                return [piece async for piece in r.aiter_raw()]

        pieces = run_on(mode, main)
    assert b"".join(pieces) == pattern(CHUNKS * SIZE)
    # One write on loopback arrives in a few reads at most (the first one small); one piece
    # per chunk would be 200.
    assert len(pieces) <= 10
