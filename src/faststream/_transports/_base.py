"""The transport interfaces: `BaseTransport` for `Client`, `AsyncBaseTransport` for `AsyncClient`.

A transport implements `handle_request(request) -> Response` (or `handle_async_request`) and
releases what it holds in `close()` (`aclose()`). The response it returns may still be
streaming: the caller reads or closes it. Both bases are context managers that close the
transport on exit.
"""

from __future__ import annotations

import typing
from types import TracebackType

if typing.TYPE_CHECKING:
    from .._request import Request
    from .._response import Response

__all__ = ["AsyncBaseTransport", "BaseTransport"]

_T = typing.TypeVar("_T", bound="BaseTransport")
_A = typing.TypeVar("_A", bound="AsyncBaseTransport")


class BaseTransport:
    """A synchronous transport, used by `Client`."""

    def __enter__(self: _T) -> _T:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        self.close()

    def handle_request(self, request: Request) -> Response:
        """Send `request` and return the response, whose body may not have been read yet.

        The caller must read the response or close it, so that the network resources behind
        its stream are released.
        """
        raise NotImplementedError("The 'handle_request' method must be implemented.")

    def close(self) -> None:
        """Release the transport's resources (nothing, by default)."""


class AsyncBaseTransport:
    """An asynchronous transport, used by `AsyncClient`."""

    async def __aenter__(self: _A) -> _A:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        await self.aclose()

    async def handle_async_request(self, request: Request) -> Response:
        """Send `request` and return the response, whose body may not have been read yet."""
        raise NotImplementedError("The 'handle_async_request' method must be implemented.")

    async def aclose(self) -> None:
        """Release the transport's resources (nothing, by default)."""
