"""`HTTPX2Transport`, `AsyncHTTPX2Transport`: faststream's network stack as an httpx2
transport, for code that insists on an `httpx2.Client` (SDK releases built on httpx2):
``httpx2.Client(transport=faststream.HTTPX2Transport())``.

httpx2 has httpx 0.28's transport API, so the conversion is `_httpx_adapter`'s, shared with
the httpx transports; this module binds it to httpx2. The arguments are `HTTPXTransport`'s
(`limits` and `proxy` may be httpx2's objects). It imports httpx2 (never httpx); the
package namespace imports it lazily, so httpx2 is never a runtime dependency of faststream.
"""

from __future__ import annotations

import types
import typing

import httpx2

from ._httpx_adapter import AsyncTransportAdapter, SyncTransportAdapter

__all__ = ["AsyncHTTPX2Transport", "HTTPX2Transport"]


class HTTPX2Transport(SyncTransportAdapter[httpx2.Request, httpx2.Response], httpx2.BaseTransport):
    """`HTTPXTransport` for httpx2: ``httpx2.Client(transport=faststream.HTTPX2Transport())``."""

    _httpx: typing.ClassVar[types.ModuleType] = httpx2


class AsyncHTTPX2Transport(
    AsyncTransportAdapter[httpx2.Request, httpx2.Response], httpx2.AsyncBaseTransport
):
    """`AsyncHTTPXTransport` for httpx2 (asyncio, uvloop or trio): the same arguments, for
    ``httpx2.AsyncClient(transport=faststream.AsyncHTTPX2Transport())``."""

    _httpx: typing.ClassVar[types.ModuleType] = httpx2
