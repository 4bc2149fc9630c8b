"""`MockTransport`: answers requests with a function instead of the network (for tests)."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Awaitable, Callable

from .._response import Response
from ._base import AsyncBaseTransport, BaseTransport

if typing.TYPE_CHECKING:
    from .._request import Request

__all__ = ["MockTransport"]

SyncHandler = Callable[["Request"], Response]
AsyncHandler = Callable[["Request"], Awaitable[Response]]


class MockTransport(AsyncBaseTransport, BaseTransport):
    """A transport that calls `handler(request)` and returns the response it gives.

    The request body is read first, so the handler can use `request.content`. The handler
    may be an `async def` function when the transport is used by `AsyncClient`; `Client`
    needs a plain function. The response is returned as it is (a streaming response stays
    unread).
    """

    def __init__(self, handler: SyncHandler | AsyncHandler) -> None:
        self.handler = handler

    def handle_request(self, request: Request) -> Response:
        request.read()
        response = self.handler(request)
        if not isinstance(response, Response):
            if inspect.isawaitable(response):
                if inspect.iscoroutine(response):
                    # Never awaited: close it so Python does not warn about it at collection.
                    response.close()
                raise TypeError("Cannot use an async handler in a sync Client")
            raise TypeError(_not_a_response(response))
        return response

    async def handle_async_request(self, request: Request) -> Response:
        await request.aread()
        response = self.handler(request)
        if not isinstance(response, Response):
            # An `async def` handler: its result is awaited to get the response.
            response = await response
        return response


def _not_a_response(obj: object) -> str:
    # Name the type with its module: an `httpx.Response` and a `faststream.Response` share a
    # class name, and a handler written for the other library is the usual way to get here.
    kind = type(obj)
    return (
        f"MockTransport handler returned {kind.__module__}.{kind.__qualname__}, "
        "expected faststream.Response"
    )
