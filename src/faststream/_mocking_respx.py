"""respx for faststream: its routers answer faststream's requests as they answer httpx's.

respx patches a list of targets per mocker while one of the mocker's routers is active (its
documented `add_targets`). faststream adds a gate to each of the two mockers: the transport-level
one (`using="httpcore"`, respx's default) and the client-level one (`using="httpx"`). A gate
does nothing itself; being patched and unpatched is how it learns that the mocker's routers
started and stopped, and it switches faststream's interception on and off accordingly. The
requests then go to the mocker's own handler, which runs every active router of that mocker, as
for httpx: routes match, side effects run, calls are recorded, an unmatched request fails with
respx's `AllMockedAssertionError`, and only a route marked `pass_through` reaches the network.

Code written as `import faststream as httpx` gives routes faststream responses
(`route.mock(return_value=httpx.Response(200))`), which respx would reject as not being httpx's.
Registering therefore also widens respx's `Route`: a faststream `Response` given as a return
value, in a side-effect sequence or returned by a side effect is turned into the equal httpx
response; every other value goes to respx's own code unchanged.
"""

from __future__ import annotations

import inspect
import typing

import httpx
from respx.mocks import HTTPCoreMocker, HTTPXMocker, Mocker
from respx.models import PassThrough, Route

from ._exceptions import RequestError
from ._mocking import activate, deactivate
from ._mocking_httpx import (
    from_httpx_response,
    raise_as_faststream,
    to_httpx_request,
    to_httpx_response,
)
from ._response import Response

if typing.TYPE_CHECKING:
    from ._request import Request

__all__ = ["CLIENT_GATE", "CORE_GATE", "register"]

# The method names respx's mockers patch on their targets.
_PATCHED = frozenset({"handle_request", "handle_async_request", "_transport_for_url"})


class RespxSource:
    """faststream's requests answered by the routers of one respx mocker."""

    def __init__(self, mocker: type[Mocker], order: int) -> None:
        # respx's mockers are untyped: their handlers take and give httpx's models.
        self.mocker: typing.Any = mocker
        self.order = order

    def handle_request(self, transport: object, request: Request) -> Response | None:
        converted = to_httpx_request(request, request.read())
        try:
            response = self.mocker.handler(converted)
        except PassThrough:
            return None
        except httpx.HTTPError as exc:
            raise_as_faststream(exc, request)
        return from_httpx_response(response, asynchronous=False)

    async def handle_async_request(self, transport: object, request: Request) -> Response | None:
        converted = to_httpx_request(request, await request.aread())
        try:
            response = await self.mocker.async_handler(converted)
        except PassThrough:
            return None
        except httpx.HTTPError as exc:
            raise_as_faststream(exc, request)
        return from_httpx_response(response, asynchronous=True)


class Gate:
    """A respx target: patched while a router of its mocker is active, which turns
    faststream's interception by that mocker on; unpatched, off. Its methods only give respx
    the signatures it inspects; they are never called for a request."""

    _source: RespxSource

    def __init__(self, source: RespxSource) -> None:
        object.__setattr__(self, "_source", source)

    def handle_request(self, request: object) -> object:
        raise AssertionError("a respx gate is not a transport")

    async def handle_async_request(self, request: object) -> object:
        raise AssertionError("a respx gate is not a transport")

    def _transport_for_url(self, url: object) -> object:
        raise AssertionError("a respx gate is not a client")

    def __setattr__(self, name: str, value: object) -> None:
        object.__setattr__(self, name, value)
        if name in _PATCHED:
            activate(self._source)

    def __delattr__(self, name: str) -> None:
        object.__delattr__(self, name)
        if name in _PATCHED and _PATCHED.isdisjoint(vars(self)):
            deactivate(self._source)


# Consulted in httpx's order: the client-level mocker first, pytest-httpx (order 1), then the
# transport-level mocker.
CLIENT_GATE = Gate(RespxSource(HTTPXMocker, order=0))
CORE_GATE = Gate(RespxSource(HTTPCoreMocker, order=2))


def _as_httpx(value: object) -> object:
    """httpx's equal of a faststream response or exception class; any other value as it is."""
    if isinstance(value, Response):
        return to_httpx_response(value)
    if isinstance(value, type) and issubclass(value, RequestError):
        # respx builds httpx's exception classes with a message and the request; ours come
        # back from httpx's as the same class (`to_faststream_error`).
        return getattr(httpx, value.__name__, value)
    return value


def _accept_faststream_responses() -> None:
    """Widen respx's `Route` to faststream responses (see the module's docstring)."""
    return_value = Route.__dict__.get("return_value")
    side_effect = Route.__dict__.get("side_effect")
    call_side_effect = Route.__dict__.get("_call_side_effect")
    if not (
        isinstance(return_value, property)
        and isinstance(side_effect, property)
        and callable(call_side_effect)
        and return_value.fset is not None
        and side_effect.fset is not None
    ):
        return  # another respx: its own checks stay (a faststream response is a TypeError)
    set_return_value = return_value.fset
    set_side_effect = side_effect.fset

    def widened_return_value(route: Route, value: object) -> None:
        set_return_value(route, _as_httpx(value))

    def widened_side_effect(route: Route, value: object) -> None:
        if isinstance(value, (list, tuple)):
            value = [_as_httpx(item) for item in value]
        set_side_effect(route, _as_httpx(value))

    def widened_call_side_effect(
        route: Route, effect: typing.Any, request: httpx.Request, **kwargs: typing.Any
    ) -> typing.Any:
        def converting(request: httpx.Request, *args: typing.Any, **kw: typing.Any) -> object:
            produced = effect(request, *args, **kw)
            if inspect.isawaitable(produced):
                return _awaited_as_httpx(produced)
            return _as_httpx(produced)

        # respx passes `route=` only to a side effect that names it: keep the signature.
        converting.__signature__ = inspect.signature(effect)  # type: ignore[attr-defined]
        return call_side_effect(route, converting, request, **kwargs)

    Route.return_value = property(return_value.fget, widened_return_value)  # type: ignore[assignment]
    Route.side_effect = property(side_effect.fget, widened_side_effect)  # type: ignore[assignment]
    Route._call_side_effect = widened_call_side_effect  # type: ignore[method-assign,assignment]


async def _awaited_as_httpx(produced: typing.Awaitable[object]) -> object:
    return _as_httpx(await produced)


def register() -> None:
    """Add the gates to respx's mockers (once; a router already active patches them now)."""
    _accept_faststream_responses()
    HTTPXMocker.add_targets(f"{__name__}.CLIENT_GATE")
    HTTPCoreMocker.add_targets(f"{__name__}.CORE_GATE")
