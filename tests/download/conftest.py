"""Fixtures of the download tests: a range server with a random body, and the client modes.

`fetch(mode, url, path, **kwargs)` runs `Client.download` ("sync") or `AsyncClient.download`
on a new event loop of `mode` ("asyncio", "uvloop", "trio") and returns its result (or raises
what it raised).
"""

from __future__ import annotations

import hashlib
import os
import typing
from collections.abc import Iterator
from pathlib import Path

import pytest

import faststream
from tests.client._backends import BACKENDS, run_on
from tests.servers.ranges import RangeServer

BODY_SIZE = 1_500_000


@pytest.fixture
def body() -> bytes:
    return os.urandom(BODY_SIZE)


@pytest.fixture
def server(body: bytes) -> Iterator[RangeServer]:
    with RangeServer(body) as server:
        yield server
    assert not server.errors, f"range server failed: {server.errors}"


@pytest.fixture(params=["sync", *BACKENDS])
def mode(request: pytest.FixtureRequest) -> str:
    """ "sync" (`Client`), or `AsyncClient` on "asyncio", "uvloop" or "trio"."""
    return typing.cast(str, request.param)


def fetch(
    mode: str, url: str, path: str | os.PathLike[str], **kwargs: typing.Any
) -> faststream.DownloadResult:
    if mode == "sync":
        with faststream.Client() as client:
            return client.download(url, path, **kwargs)

    async def main() -> faststream.DownloadResult:
        async with faststream.AsyncClient() as client:
            return await client.download(url, path, **kwargs)

    return run_on(mode, main)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def leftovers(directory: Path) -> list[str]:
    """The names in `directory` (sorted): what a download left behind."""
    return sorted(p.name for p in directory.iterdir())
