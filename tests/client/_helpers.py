"""Helpers shared by the client tests.

* `Lib`: the library under test (faststream or httpx) as the client scenarios see it. Its
  attributes are the module's, except in an async client mode (see `client_mode` in
  tests/client/conftest.py), where `Client`, `BaseTransport` and `SyncByteStream` are the
  adapters of tests/client/_async_adapter.py over `AsyncClient`: the same scenario, written as
  sync httpx user code, drives `AsyncClient` on the test's event loop. `FASTSTREAM` and `HTTPX`
  are the two, following the current mode; `lib.mode` tells a test which mode runs where
  httpx's sync and async clients differ.
* `observe(lib, handler, action, **client_options)`: run one scenario through
  `lib.Client(transport=lib.MockTransport(...))` and describe every observable result: the
  requests the transport received (headers except User-Agent, body, timeout extension), the
  response (status, headers, body, history, next_request), the exception (type name, message,
  request URL), the client's cookie jar, the log lines and the warnings.
  `assert observe(FASTSTREAM, ...) == observe(HTTPX, ...)` is a differential test;
  `differential(handler, action, **options)` is that assertion (and, in an async mode, that
  `AsyncClient` is observed doing what `Client` does).
* `PROXY_USER` / `PROXY_PASSWORD`: the credentials of the `auth_proxy_server` fixture.
"""

from __future__ import annotations

import importlib
import logging
import typing
import warnings
from collections.abc import Callable
from types import ModuleType

from tests.client._async_adapter import (
    Mode,
    SyncFacade,
    async_stream_base,
    async_transport_base,
    ignore_httpx_asyncgen_warnings,
)

PROXY_USER = "proxy-user"
PROXY_PASSWORD = "proxy-secret"


class Lib:
    """`import faststream as httpx`, or httpx, with the client kind of the current mode.

    `mode` is "sync" or an async mode (by default the current test's `client_mode`); in an
    async mode `Client`, `BaseTransport` and `SyncByteStream` are the adapters of
    tests/client/_async_adapter.py over `AsyncClient`.
    """

    def __init__(self, name: str, mode: str | None = None) -> None:
        self.name = name
        self.module: ModuleType = importlib.import_module(name)
        self.logger_name = name
        self._mode = mode

    @property
    def mode(self) -> str:
        return self._mode or Mode.current

    def __getattr__(self, attr: str) -> typing.Any:
        if self.mode != "sync" and attr in ("Client", "BaseTransport", "SyncByteStream"):
            return self._async_adapter(attr)
        return getattr(self.module, attr)

    def _async_adapter(self, attr: str) -> typing.Any:
        if attr == "Client":
            async_client = self.module.AsyncClient
            return lambda **options: SyncFacade.create(async_client, **options)
        if attr == "BaseTransport":
            return async_transport_base(self.module)
        return async_stream_base(self.module)

    @property
    def user_agent(self) -> str:
        return f"python-{self.name}/{self.module.__version__}"

    def __repr__(self) -> str:
        return self.name


FASTSTREAM = Lib("faststream")
HTTPX = Lib("httpx")

Handler = Callable[[Lib, typing.Any], typing.Any]
Action = Callable[[typing.Any], typing.Any]


def describe_request(request: typing.Any, *, content: bool = True) -> dict[str, typing.Any]:
    """A request as comparable data (User-Agent left out: it names the library)."""
    seen: dict[str, typing.Any] = {
        "method": request.method,
        "url": str(request.url),
        "headers": [(k, v) for k, v in request.headers.raw if k.lower() != b"user-agent"],
        "timeout": request.extensions.get("timeout"),
    }
    if content:
        try:
            seen["content"] = request.content
        except Exception as exc:  # RequestNotRead of either library
            seen["content"] = type(exc).__name__
    return seen


def describe_response(response: typing.Any, *, nested: bool = True) -> dict[str, typing.Any]:
    try:
        body: typing.Any = response.content
    except Exception as exc:  # ResponseNotRead of either library
        body = type(exc).__name__
    next_request = response.next_request
    return {
        "status": response.status_code,
        "reason": response.reason_phrase,
        "version": response.http_version,
        "headers": response.headers.raw,
        "content": body,
        "closed": response.is_closed,
        "consumed": response.is_stream_consumed,
        "request": describe_request(response.request, content=False),
        # One level deep (each history entry has its own history: all of them is 2**n work).
        "history": (
            [describe_response(r, nested=False) for r in response.history]
            if nested
            else [(r.status_code, str(r.url)) for r in response.history]
        ),
        "next_request": None if next_request is None else describe_request(next_request),
    }


def describe_exception(exc: BaseException) -> dict[str, typing.Any]:
    try:
        url: str | None = str(exc.request.url)  # type: ignore[attr-defined]
    except (AttributeError, RuntimeError):
        url = None
    return {"raised": type(exc).__name__, "message": str(exc), "request_url": url}


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.levelname, record.getMessage()))


@typing.no_type_check
def observe(
    lib: Lib,
    handler: Handler,
    action: Action,
    *,
    normalise: Callable[[dict[str, typing.Any]], None] | None = None,
    **client_options: typing.Any,
) -> dict[str, typing.Any]:
    """Run `action(client)` on a client whose transport answers with `handler(lib, request)`."""
    sent: list[dict[str, typing.Any]] = []

    def answer(request):
        sent.append(describe_request(request))
        return handler(lib, request)

    records = Records()
    logger = logging.getLogger(lib.logger_name)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(records)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ignore_httpx_asyncgen_warnings()
            client_options.setdefault("transport", lib.MockTransport(answer))
            client = lib.Client(**client_options)
            try:
                result = describe_response(action(client))
            except Exception as exc:
                result = describe_exception(exc)
    finally:
        logger.removeHandler(records)
        logger.setLevel(old_level)
    seen = {
        "sent": sent,
        "result": result,
        "cookies": sorted((c.name, c.value, c.domain, c.path) for c in client.cookies.jar),
        "logs": records.lines,
        "warnings": [(w.category.__name__, str(w.message)) for w in caught],
    }
    if normalise is not None:
        normalise(seen)
    return seen


def differential(handler: Handler, action: Action, **options: typing.Any) -> dict[str, typing.Any]:
    """`observe` through both libraries; asserts they agree and returns faststream's view.

    In an async mode it also asserts that `AsyncClient` is observed doing exactly what
    `Client` does in the same scenario."""
    ours = observe(FASTSTREAM, handler, action, **options)
    theirs = observe(HTTPX, handler, action, **options)
    assert ours == theirs
    if Mode.current != "sync":
        assert ours == observe(Lib("faststream", "sync"), handler, action, **options)
    return typing.cast("dict[str, typing.Any]", ours)
