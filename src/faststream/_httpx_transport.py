"""`HTTPXTransport`, `AsyncHTTPXTransport`: faststream's network stack as an httpx transport.

Code that insists on an `httpx.Client` (SDKs that check `isinstance(client, httpx.Client)`)
can still send through faststream: ``httpx.Client(transport=faststream.HTTPXTransport())``.
The conversion is `_httpx_adapter`'s, shared with the httpx2 transports; this module binds it
to httpx. It imports httpx; the package namespace imports it lazily, so httpx is never a
runtime dependency of faststream.
"""

from __future__ import annotations

import types
import typing

import httpx

from ._httpx_adapter import AsyncTransportAdapter, SyncTransportAdapter

__all__ = ["AsyncHTTPXTransport", "HTTPXTransport"]


class HTTPXTransport(SyncTransportAdapter[httpx.Request, httpx.Response], httpx.BaseTransport):
    """An `httpx.BaseTransport` that sends through faststream's `HTTPTransport`.

    ``httpx.Client(transport=faststream.HTTPXTransport(...))``. The arguments are those of
    `httpx.HTTPTransport` that faststream supports (`limits` and `proxy` may be httpx's or
    faststream's objects), plus faststream's `max_header_fields`.
    """

    _httpx: typing.ClassVar[types.ModuleType] = httpx


class AsyncHTTPXTransport(
    AsyncTransportAdapter[httpx.Request, httpx.Response], httpx.AsyncBaseTransport
):
    """An `httpx.AsyncBaseTransport` that sends through faststream's `AsyncHTTPTransport`,
    on asyncio (uvloop too) or trio: ``httpx.AsyncClient(transport=...)``. Same arguments as
    `HTTPXTransport`."""

    _httpx: typing.ClassVar[types.ModuleType] = httpx
