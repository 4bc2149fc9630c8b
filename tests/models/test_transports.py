"""The transport base classes and `MockTransport`, used directly (no client)."""

from __future__ import annotations

import asyncio
import inspect
import typing
from collections.abc import AsyncIterator, Coroutine, Iterator

import httpx
import pytest

from faststream._request import Request
from faststream._response import Response
from faststream._streams import SyncByteStream
from faststream._transports._base import AsyncBaseTransport, BaseTransport
from faststream._transports._mock import MockTransport

# Base classes -------------------------------------------------------------------------------


def test_base_transport_requires_handle_request() -> None:
    request = Request("GET", "http://example.org/")
    for transport in (BaseTransport(), httpx.BaseTransport()):
        with pytest.raises(NotImplementedError) as info:
            transport.handle_request(request)  # type: ignore[arg-type]
        assert str(info.value) == "The 'handle_request' method must be implemented."


def test_async_base_transport_requires_handle_async_request() -> None:
    request = Request("GET", "http://example.org/")
    for transport in (AsyncBaseTransport(), httpx.AsyncBaseTransport()):
        with pytest.raises(NotImplementedError) as info:
            asyncio.run(transport.handle_async_request(request))  # type: ignore[arg-type]
        assert str(info.value) == "The 'handle_async_request' method must be implemented."


def test_default_close_does_nothing() -> None:
    BaseTransport().close()
    asyncio.run(AsyncBaseTransport().aclose())
    with BaseTransport() as transport:
        assert isinstance(transport, BaseTransport)


class Recording(BaseTransport):
    def __init__(self) -> None:
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


class AsyncRecording(AsyncBaseTransport):
    def __init__(self) -> None:
        self.closed = 0

    async def aclose(self) -> None:
        self.closed += 1


def test_context_manager_returns_the_transport_and_closes_it() -> None:
    transport = Recording()
    with transport as entered:
        assert entered is transport
        assert transport.closed == 0
    assert transport.closed == 1


def test_context_manager_closes_on_error_and_lets_it_through() -> None:
    transport = Recording()
    with pytest.raises(KeyError), transport:
        raise KeyError("boom")
    assert transport.closed == 1


def test_exit_can_be_called_without_arguments() -> None:
    transport = Recording()
    transport.__exit__()
    assert transport.closed == 1


def test_async_context_manager_returns_the_transport_and_closes_it() -> None:
    transport = AsyncRecording()

    async def main() -> None:
        async with transport as entered:
            assert entered is transport
            assert transport.closed == 0
        assert transport.closed == 1
        with pytest.raises(KeyError):
            async with transport:
                raise KeyError("boom")
        assert transport.closed == 2
        await transport.__aexit__()
        assert transport.closed == 3

    asyncio.run(main())


def test_custom_transport_overriding_handle_request() -> None:
    class Echo(BaseTransport):
        def handle_request(self, request: Request) -> Response:
            return Response(200, content=request.method.encode(), request=request)

    with Echo() as transport:
        response = transport.handle_request(Request("PATCH", "http://example.org/"))
    assert response.content == b"PATCH"


# MockTransport ------------------------------------------------------------------------------


def test_mock_transport_is_both_kinds_of_transport() -> None:
    transport = MockTransport(lambda request: Response(204))
    assert isinstance(transport, BaseTransport)
    assert isinstance(transport, AsyncBaseTransport)


def test_mock_transport_keeps_the_handler_public() -> None:
    def handler(request: Request) -> Response:
        return Response(200)

    assert MockTransport(handler).handler is handler


def test_mock_transport_returns_the_handlers_response_as_is() -> None:
    seen: list[Request] = []
    returned = Response(201, headers={"X-A": "b"}, content=b"made")

    def handler(request: Request) -> Response:
        seen.append(request)
        return returned

    request = Request("GET", "http://example.org/")
    with MockTransport(handler) as transport:
        assert transport.handle_request(request) is returned
    assert seen == [request]


def chunks() -> Iterator[bytes]:
    yield b"part one, "
    yield b"part two"


async def async_chunks() -> AsyncIterator[bytes]:
    yield b"part one, "
    yield b"part two"


def content_of(request: Request) -> Response:
    # `request.content` raises RequestNotRead unless the body was read before the call.
    return Response(200, content=request.content)


def test_mock_transport_reads_a_streaming_request_body_first() -> None:
    request = Request("POST", "http://example.org/", content=chunks())
    response = MockTransport(content_of).handle_request(request)
    assert response.content == b"part one, part two"
    assert request.content == b"part one, part two"


def test_mock_transport_reads_an_async_request_body_first() -> None:
    async def main() -> bytes:
        request = Request("POST", "http://example.org/", content=async_chunks())
        response = await MockTransport(content_of).handle_async_request(request)
        return response.content

    assert asyncio.run(main()) == b"part one, part two"


def test_mock_transport_async_path_with_a_sync_handler() -> None:
    returned = Response(200, text="sync")

    async def main() -> Response:
        return await MockTransport(lambda request: returned).handle_async_request(
            Request("GET", "http://example.org/")
        )

    assert asyncio.run(main()) is returned


def test_mock_transport_async_path_with_an_async_handler() -> None:
    async def handler(request: Request) -> Response:
        await asyncio.sleep(0)
        return Response(200, json={"path": request.url.path, "body": request.content.decode()})

    async def main() -> Response:
        request = Request("PUT", "http://example.org/items/1", content=async_chunks())
        return await MockTransport(handler).handle_async_request(request)

    response = asyncio.run(main())
    assert response.json() == {"path": "/items/1", "body": "part one, part two"}


def test_mock_transport_sync_path_rejects_an_async_handler() -> None:
    made: list[Coroutine[typing.Any, typing.Any, Response]] = []

    async def answer() -> Response:
        return Response(200)  # pragma: no cover - never awaited

    def handler(request: Request) -> typing.Any:
        made.append(answer())
        return made[-1]

    with pytest.raises(TypeError) as info:
        MockTransport(handler).handle_request(Request("GET", "http://example.org/"))
    assert str(info.value) == "Cannot use an async handler in a sync Client"
    # The coroutine is closed, so no "never awaited" warning follows later.
    assert inspect.getcoroutinestate(made[0]) == inspect.CORO_CLOSED


def returns_none(request: typing.Any) -> typing.Any:
    return None


def returns_an_httpx_response(request: typing.Any) -> typing.Any:
    return httpx.Response(200)


def test_mock_transport_sync_path_names_what_a_handler_returned_instead() -> None:
    # httpx says "Cannot use an async handler in a sync Client" for any non-Response, which
    # misleads when the handler is sync; faststream names the type (module included).
    transport = MockTransport(returns_none)
    with pytest.raises(TypeError) as info:
        transport.handle_request(Request("GET", "http://example.org/"))
    assert str(info.value) == (
        "MockTransport handler returned builtins.NoneType, expected faststream.Response"
    )
    foreign = MockTransport(returns_an_httpx_response)
    with pytest.raises(TypeError) as info:
        foreign.handle_request(Request("GET", "http://example.org/"))
    assert str(info.value) == (
        "MockTransport handler returned httpx.Response, expected faststream.Response"
    )
    with pytest.raises(TypeError) as info:
        httpx.MockTransport(returns_none).handle_request(httpx.Request("GET", "http://x/"))
    assert str(info.value) == "Cannot use an async handler in a sync Client"


def test_mock_transport_async_path_with_a_handler_returning_something_else() -> None:
    for lib_transport, lib_request in (
        (MockTransport, Request),
        (httpx.MockTransport, httpx.Request),
    ):
        transport: typing.Any = lib_transport(returns_none)
        with pytest.raises(TypeError) as info:
            asyncio.run(transport.handle_async_request(lib_request("GET", "http://example.org/")))
        assert str(info.value) == "object NoneType can't be used in 'await' expression"


def test_mock_transport_handler_errors_propagate() -> None:
    def handler(request: Request) -> Response:
        raise httpx.ConnectError("refused")

    transport = MockTransport(handler)
    with pytest.raises(httpx.ConnectError, match="refused"):
        transport.handle_request(Request("GET", "http://example.org/"))
    with pytest.raises(httpx.ConnectError, match="refused"):
        asyncio.run(transport.handle_async_request(Request("GET", "http://example.org/")))


class Body(SyncByteStream):
    def __init__(self) -> None:
        self.iterated = False

    def __iter__(self) -> Iterator[bytes]:
        self.iterated = True
        yield b"streamed"


def test_mock_transport_leaves_a_streaming_response_unread() -> None:
    body = Body()
    response = MockTransport(lambda request: Response(200, stream=body)).handle_request(
        Request("GET", "http://example.org/")
    )
    assert not body.iterated
    assert not response.is_stream_consumed
    assert response.read() == b"streamed"


def test_mock_transport_request_body_equals_httpx() -> None:
    # The same handler through httpx's MockTransport and ours sees the same request body.
    def scenario(
        request_cls: typing.Any, transport_cls: typing.Any, response_cls: typing.Any
    ) -> tuple[bytes, str]:
        def handler(request: typing.Any) -> typing.Any:
            return response_cls(200, content=request.content)

        request = request_cls("POST", "http://example.org/", content=chunks())
        response = transport_cls(handler).handle_request(request)
        return response.content, request.headers.get("transfer-encoding")

    assert scenario(Request, MockTransport, Response) == scenario(
        httpx.Request, httpx.MockTransport, httpx.Response
    )
