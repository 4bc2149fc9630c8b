"""What faststream's pytest plugin (the top-level `_faststream_pytest`) does.

Nothing unless respx or pytest-httpx is installed. With respx: faststream's gates are registered
with respx when pytest configures itself, so any respx router (`respx.mock`,
`respx.mock(using=...)`, decorators, the `respx_mock` fixture) answers faststream's requests
while it is active. With pytest-httpx: while a test's `httpx_mock` fixture is alive,
faststream's requests go through it exactly as httpx's transports' do -- its `should_mock`
option decides, its responses, callbacks and exceptions answer, it records the requests for
`get_requests`, and an unmatched request fails with its `TimeoutException`.
"""

from __future__ import annotations

import importlib.util
import typing

import pytest

from ._mocking import activate, deactivate

if typing.TYPE_CHECKING:
    from ._request import Request
    from ._response import Response


def configure(config: pytest.Config) -> None:
    if importlib.util.find_spec("respx") is not None:
        from ._mocking_respx import register

        register()


def follow_httpx_mock(fixturedef: pytest.FixtureDef[typing.Any]) -> None:
    """Route faststream's requests through the `httpx_mock` fixture just set up, until its
    teardown."""
    if importlib.util.find_spec("pytest_httpx") is None:
        return
    source = HTTPXMockSource()
    activate(source)
    fixturedef.addfinalizer(lambda: deactivate(source))


class _PassThrough(Exception):
    """Raised by the stand-in pool: pytest-httpx let the request go to the real transport."""


class _StandInPool:
    """What pytest-httpx's patched httpx transport reaches when it does not mock a request
    (its `should_mock` said no): faststream then sends the request itself."""

    def handle_request(self, request: object) -> typing.NoReturn:
        raise _PassThrough

    async def handle_async_request(self, request: object) -> typing.NoReturn:
        raise _PassThrough


class HTTPXMockSource:
    """faststream's requests sent through the transport methods pytest-httpx has patched
    into httpx for the current test, on a stand-in httpx transport with no network."""

    order = 1

    def handle_request(self, transport: object, request: Request) -> Response | None:
        import httpx

        from ._mocking_httpx import from_httpx_response, raise_as_faststream, to_httpx_request

        converted = to_httpx_request(request, request.read())
        stand_in = object.__new__(httpx.HTTPTransport)
        stand_in._pool = _StandInPool()  # type: ignore[assignment]
        try:
            response = httpx.HTTPTransport.handle_request(stand_in, converted)
        except _PassThrough:
            return None
        except httpx.HTTPError as exc:
            raise_as_faststream(exc, request)
        return from_httpx_response(response, asynchronous=False)

    async def handle_async_request(self, transport: object, request: Request) -> Response | None:
        import httpx

        from ._mocking_httpx import from_httpx_response, raise_as_faststream, to_httpx_request

        converted = to_httpx_request(request, await request.aread())
        stand_in = object.__new__(httpx.AsyncHTTPTransport)
        stand_in._pool = _StandInPool()  # type: ignore[assignment]
        try:
            response = await httpx.AsyncHTTPTransport.handle_async_request(stand_in, converted)
        except _PassThrough:
            return None
        except httpx.HTTPError as exc:
            raise_as_faststream(exc, request)
        return from_httpx_response(response, asynchronous=True)
