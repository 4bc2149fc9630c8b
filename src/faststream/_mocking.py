"""Interception of faststream's transports by httpx test doubles (respx, pytest-httpx).

Those libraries patch httpx's and httpcore's classes, which faststream does not use, so on their
own they would let a faststream request reach the network while the test believes it is mocked.
faststream's network transports (`HTTPTransport`, `AsyncHTTPTransport`) therefore test `hook`
first: while it is None (always, unless a test double is active) a request costs that one test;
while it is set, every request goes to the active doubles in the order httpx would consult them
(respx's client-level mocker, then pytest-httpx, then respx's transport-level mocker), and reaches
the network only when one of them explicitly passes it through (respx's `pass_through`,
pytest-httpx's `should_mock` returning false).

Nothing is patched when faststream is imported. The doubles switch `hook` on and off themselves:
respx by patching the gates this module registers as its targets (it does so only while one of
its routers is active), pytest-httpx through the pytest plugin, for the lifetime of its
`httpx_mock` fixture. The adapters between the two libraries' models live in `_mocking_httpx`,
imported only when a double becomes active (httpx is never a dependency of faststream).
"""

from __future__ import annotations

import sys
import typing

if typing.TYPE_CHECKING:
    from ._request import Request
    from ._response import Response

__all__ = ["Source", "activate", "deactivate", "hook", "notice_test_doubles"]


class Source(typing.Protocol):
    """One active test double: a response, or None to let the request go on (to the next
    double, and after the last one to the network)."""

    order: int

    def handle_request(self, transport: object, request: Request) -> Response | None: ...

    async def handle_async_request(
        self, transport: object, request: Request
    ) -> Response | None: ...


class Hook:
    """The active doubles, consulted in order; installed as `hook` while there is one."""

    def __init__(self, sources: list[Source]) -> None:
        self._sources = sorted(sources, key=lambda source: source.order)

    def handle_request(self, transport: object, request: Request) -> Response | None:
        for source in self._sources:
            response = source.handle_request(transport, request)
            if response is not None:
                return response
        return None

    async def handle_async_request(self, transport: object, request: Request) -> Response | None:
        for source in self._sources:
            response = await source.handle_async_request(transport, request)
            if response is not None:
                return response
        return None


# The one name the transports test per request: None unless a test double is active.
hook: Hook | None = None
_active: list[Source] = []


def activate(source: Source) -> None:
    """Route faststream's requests through `source` (idempotent)."""
    global hook
    if source not in _active:
        _active.append(source)
    hook = Hook(_active)


def deactivate(source: Source) -> None:
    """Stop routing through `source`; with no double left, requests go to the network again."""
    global hook
    if source in _active:
        _active.remove(source)
    hook = Hook(_active) if _active else None


_respx_registered = False


def notice_test_doubles() -> None:
    """Register faststream's gates with respx if respx has been imported (called when a
    transport is made, so a router entered later still sees it). Without respx: a dict test."""
    global _respx_registered
    if not _respx_registered and "respx" in sys.modules:
        _respx_registered = True
        from ._mocking_respx import register

        register()
