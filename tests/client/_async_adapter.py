"""Run the sync client scenarios through `AsyncClient` (faststream's and httpx's).

The scenarios in tests/client/test_client_*.py and test_spec_client.py are written as sync
httpx user code: `httpx.Client(...)`, `client.get(...)`, `with client.stream(...) as r:
r.iter_raw()`, transports subclassing `httpx.BaseTransport`, response streams subclassing
`httpx.SyncByteStream`, plain functions as event hooks, generators as request bodies. In the
"async" mode (`Mode.current`), `Lib` (tests/client/_helpers.py) hands out the adapters below
instead, so the same scenario drives `AsyncClient` on an event loop owned by the test:

* `SyncFacade` wraps an `AsyncClient`: each call runs the coroutine to completion on the loop;
  responses come back as `SyncResponse`, whose `read/iter_*/close` run `aread/aiter_*/aclose`;
  `stream()` enters and exits the async context manager (passing the exception on);
  sync event hooks become coroutine functions (and are given back unwrapped by the property);
  a sync iterator given as `content=` becomes an async generator (an AsyncClient refuses a
  sync-only body).
* `async_transport_base(lib)` replaces `BaseTransport`: a subclass's `handle_request` /
  `close` / `__enter__` / `__exit__` serve `handle_async_request` / `aclose` / `__aenter__` /
  `__aexit__`; the request body is pulled asynchronously first (so a consumed generator body
  raises `StreamConsumed` as a network transport would) and shown to `handle_request` as a
  plain iterable.
* `async_stream_base(lib)` replaces `SyncByteStream`: an `AsyncByteStream` (and not a sync
  one) iterating the subclass's `__iter__`, `aclose()` calling its `close()`.

Nothing here changes what the client under test does: the adapters only move each call onto
the loop, and every call reaches the real `AsyncClient` and the real response methods.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import typing
from collections.abc import AsyncIterator, Callable, Iterator
from types import ModuleType

MODES = ["sync", "async"]

T = typing.TypeVar("T")

#: The client methods returning a response (run on the loop, the response wrapped).
SENDING = ("request", "send", "get", "options", "head", "delete", "post", "put", "patch")


class Mode:
    """The client kind the current test runs with, and its event loop in the async mode."""

    current = "sync"
    loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    @contextlib.contextmanager
    def running(cls, mode: str) -> Iterator[None]:
        cls.current = mode
        if mode == "async":
            cls.loop = asyncio.new_event_loop()
        try:
            yield
        finally:
            loop, cls.loop, cls.current = cls.loop, None, "sync"
            if loop is not None:
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()


def run(awaitable: typing.Awaitable[T]) -> T:
    loop = Mode.loop
    assert loop is not None, "an async-mode call outside an async-mode test"
    return loop.run_until_complete(awaitable)


def _loop_usable() -> bool:
    loop = Mode.loop
    return loop is not None and not loop.is_closed() and not loop.is_running()


# --- bodies and hooks ----------------------------------------------------------------------


async def _async_chunks(chunks: typing.Iterable[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


def _async_content(kwargs: dict[str, typing.Any]) -> dict[str, typing.Any]:
    content = kwargs.get("content")
    if (
        content is not None
        and not isinstance(content, (bytes, str))
        and hasattr(content, "__iter__")
        and not hasattr(content, "__aiter__")
    ):
        kwargs = {**kwargs, "content": _async_chunks(content)}
    return kwargs


def _coroutine_hook(hook: Callable[[typing.Any], typing.Any]) -> Callable[..., typing.Any]:
    if asyncio.iscoroutinefunction(hook):
        return hook

    @functools.wraps(hook)
    async def awaited(value: typing.Any) -> typing.Any:
        return hook(value)

    return awaited


def _async_hooks(hooks: typing.Mapping[str, list[typing.Any]]) -> dict[str, list[typing.Any]]:
    return {kind: [_coroutine_hook(h) for h in functions] for kind, functions in hooks.items()}


def _unwrapped(hooks: dict[str, list[typing.Any]]) -> dict[str, list[typing.Any]]:
    return {kind: [getattr(h, "__wrapped__", h) for h in hs] for kind, hs in hooks.items()}


# --- responses -----------------------------------------------------------------------------


class SyncResponse:
    """An AsyncClient's response seen through the sync methods the scenarios call."""

    def __init__(self, response: typing.Any) -> None:
        object.__setattr__(self, "_response", response)

    def __getattr__(self, name: str) -> typing.Any:
        return getattr(self._response, name)

    def __setattr__(self, name: str, value: typing.Any) -> None:
        setattr(self._response, name, value)

    def __repr__(self) -> str:
        return repr(self._response)

    def read(self) -> bytes:
        return typing.cast(bytes, run(self._response.aread()))

    def close(self) -> None:
        run(self._response.aclose())

    def iter_raw(self, chunk_size: int | None = None) -> Iterator[bytes]:
        return _pull(self._response.aiter_raw(chunk_size))

    def iter_bytes(self, chunk_size: int | None = None) -> Iterator[bytes]:
        return _pull(self._response.aiter_bytes(chunk_size))

    def iter_text(self, chunk_size: int | None = None) -> Iterator[str]:
        return _pull(self._response.aiter_text(chunk_size))

    def iter_lines(self) -> Iterator[str]:
        return _pull(self._response.aiter_lines())


def _pull(iterator: typing.AsyncIterator[T]) -> Iterator[T]:
    """A sync generator stepping `iterator` on the loop; closing it (or dropping it) acloses
    the async generator, as `break` out of `async for` would."""
    try:
        while True:
            try:
                item = run(iterator.__anext__())
            except StopAsyncIteration:
                return
            yield item
    finally:
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None and _loop_usable():
            run(aclose())


# --- the client ----------------------------------------------------------------------------


class SyncFacade:
    """An `AsyncClient` driven through the sync `Client` API (see the module docstring)."""

    def __init__(self, client: typing.Any) -> None:
        object.__setattr__(self, "_client", client)

    @classmethod
    def create(cls, async_client: type, **options: typing.Any) -> SyncFacade:
        if options.get("event_hooks") is not None:
            options["event_hooks"] = _async_hooks(options["event_hooks"])
        return cls(async_client(**options))

    def __getattr__(self, name: str) -> typing.Any:
        if name in SENDING:
            method = getattr(self._client, name)

            def send(*args: typing.Any, **kwargs: typing.Any) -> SyncResponse:
                return SyncResponse(run(method(*args, **_async_content(kwargs))))

            return send
        return getattr(self._client, name)

    def __setattr__(self, name: str, value: typing.Any) -> None:
        if name == "event_hooks":
            value = _async_hooks(value)
        setattr(self._client, name, value)

    @property
    def event_hooks(self) -> dict[str, list[typing.Any]]:
        return _unwrapped(self._client.event_hooks)

    def build_request(self, *args: typing.Any, **kwargs: typing.Any) -> typing.Any:
        return self._client.build_request(*args, **_async_content(kwargs))

    @contextlib.contextmanager
    def stream(self, *args: typing.Any, **kwargs: typing.Any) -> Iterator[SyncResponse]:
        manager = self._client.stream(*args, **_async_content(kwargs))
        response = run(manager.__aenter__())
        try:
            yield SyncResponse(response)
        except BaseException as exc:
            if not run(manager.__aexit__(type(exc), exc, exc.__traceback__)):
                raise
        else:
            run(manager.__aexit__(None, None, None))

    def close(self) -> None:
        run(self._client.aclose())

    def __enter__(self) -> SyncFacade:
        run(self._client.__aenter__())
        return self

    def __exit__(self, *exc_info: typing.Any) -> None:
        run(self._client.__aexit__(*exc_info))


# --- transports and response streams -------------------------------------------------------


class _Chunks:
    """The request body, pulled already, shown to a sync `handle_request` as an iterable."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.chunks)


@functools.cache
def async_transport_base(module: ModuleType) -> type:
    class AsyncFromSyncTransport(module.AsyncBaseTransport):  # type: ignore[misc,name-defined]
        def handle_request(self, request: typing.Any) -> typing.Any:
            raise NotImplementedError

        def close(self) -> None:
            pass

        def __enter__(self) -> typing.Any:
            return self

        def __exit__(self, *exc_info: typing.Any) -> None:
            self.close()

        async def handle_async_request(self, request: typing.Any) -> typing.Any:
            stream = request.stream
            chunks = [chunk async for chunk in stream]
            request.stream = _Chunks(chunks)
            try:
                return self.handle_request(request)
            finally:
                request.stream = stream

        async def aclose(self) -> None:
            self.close()

        async def __aenter__(self) -> typing.Any:
            return self.__enter__()

        async def __aexit__(self, *exc_info: typing.Any) -> None:
            self.__exit__(*exc_info)

    return AsyncFromSyncTransport


@functools.cache
def async_stream_base(module: ModuleType) -> type:
    class AsyncFromSyncStream(module.AsyncByteStream):  # type: ignore[misc,name-defined]
        def __iter__(self) -> Iterator[bytes]:
            return iter(())

        def close(self) -> None:
            pass

        async def __aiter__(self) -> AsyncIterator[bytes]:
            for chunk in self.__iter__():
                yield chunk

        async def aclose(self) -> None:
            self.close()

    return AsyncFromSyncStream
