"""A transport that answers with a body stream of the wrong kind (an async stream to `Client`,
a sync one to `AsyncClient`): `TypeError`, with the request attached to the response, on the
plain send path and on the redirect loop's (a request hook makes `send` take it)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

import faststream


class _AsyncBody(faststream.AsyncByteStream):
    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b"x"


class _SyncBody(faststream.SyncByteStream):
    def __iter__(self) -> Iterator[bytes]:
        yield b"x"


class _AnswersAsync(faststream.BaseTransport):
    def __init__(self) -> None:
        self.responses: list[faststream.Response] = []

    def handle_request(self, request: faststream.Request) -> faststream.Response:
        response = faststream.Response(200, stream=_AsyncBody())
        self.responses.append(response)
        return response


class _AnswersSync(faststream.AsyncBaseTransport):
    def __init__(self) -> None:
        self.responses: list[faststream.Response] = []

    async def handle_async_request(self, request: faststream.Request) -> faststream.Response:
        response = faststream.Response(200, stream=_SyncBody())
        self.responses.append(response)
        return response


@pytest.mark.parametrize("hooked", [False, True], ids=["plain", "hooked"])
def test_sync_client_refuses_an_async_stream(hooked: bool) -> None:
    transport = _AnswersAsync()
    hooks = {"request": [lambda request: None]} if hooked else {}
    with faststream.Client(transport=transport, event_hooks=hooks) as client:
        with pytest.raises(TypeError) as info:
            client.get("http://example.invalid/")
    assert str(info.value) == "The transport returned a response with an async stream."
    assert transport.responses[0].request.url == "http://example.invalid/"


@pytest.mark.parametrize("hooked", [False, True], ids=["plain", "hooked"])
def test_async_client_refuses_a_sync_stream(hooked: bool) -> None:
    transport = _AnswersSync()

    async def hook(request: faststream.Request) -> None:
        pass

    hooks = {"request": [hook]} if hooked else {}

    async def main() -> None:
        async with faststream.AsyncClient(transport=transport, event_hooks=hooks) as client:
            with pytest.raises(TypeError) as info:
                await client.get("http://example.invalid/")
        assert str(info.value) == "The transport returned a response with a sync stream."

    asyncio.run(main())
    assert transport.responses[0].request.url == "http://example.invalid/"
