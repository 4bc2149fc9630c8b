"""Run the sync client scenarios through `AsyncClient` (faststream's and httpx's).

The scenarios in tests/client/test_client_*.py and test_spec_client.py are written as sync
httpx user code: `httpx.Client(...)`, `client.get(...)`, `with client.stream(...) as r:
r.iter_raw()`, transports subclassing `httpx.BaseTransport`, response streams subclassing
`httpx.SyncByteStream`, plain functions as event hooks, generators as request bodies. In an
async mode (`Mode.current`: "asyncio", "uvloop" or "trio"), `Lib` (tests/client/_helpers.py)
hands out the adapters below instead, so the same scenario drives `AsyncClient` on an event
loop owned by the test:

* "asyncio" / "uvloop": a new event loop of that kind in the test's thread; each call runs to
  completion on it (`run_until_complete`).
* "trio": one `trio.run` on a helper thread for the whole test; each call is submitted from
  the test's thread with `trio.from_thread.run` and waited for. httpx's `AsyncClient` runs on
  trio through httpcore's trio backend.

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
import inspect
import sys
import threading
import typing
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from types import ModuleType

import pytest
import trio

#: The async backends a scenario runs its `AsyncClient` on.
ASYNC_MODES = ["asyncio", "uvloop", "trio"]

#: The client modes: `Client`, then `AsyncClient` on each async backend.
MODE_NAMES = ["sync", *ASYNC_MODES]


def mode_param(mode: str, value: typing.Any = None, id: str | None = None) -> typing.Any:
    """A `pytest.param` of `value` (default: the mode itself) for `mode`. uvloop is not built for
    Windows, so its params are skipped there (and only there)."""
    marks = []
    if mode == "uvloop":
        marks.append(
            pytest.mark.skipif(sys.platform == "win32", reason="uvloop does not exist on Windows")
        )
    return pytest.param(mode if value is None else value, marks=marks, id=id or mode)


MODES = [mode_param(mode) for mode in MODE_NAMES]

T = typing.TypeVar("T")

#: The client methods returning a response (run on the loop, the response wrapped).
SENDING = ("request", "send", "get", "options", "head", "delete", "post", "put", "patch")


async def _invoke(call: Callable[[], Awaitable[T]]) -> T:
    # The awaitable is made inside the event loop, so an async generator started by the call
    # is registered with that loop's hooks (finalised by it), as in user code.
    return await call()


class _LoopRunner:
    """An asyncio (or uvloop) event loop driven from the test's thread."""

    def __init__(self, mode: str) -> None:
        if mode == "uvloop":
            import uvloop

            self.loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
        else:
            self.loop = asyncio.new_event_loop()

    def call(self, call: Callable[[], Awaitable[T]]) -> T:
        return self.loop.run_until_complete(_invoke(call))

    def usable(self) -> bool:
        return not self.loop.is_closed() and not self.loop.is_running()

    def close(self) -> None:
        try:
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        finally:
            self.loop.close()


#: httpx 0.28.1 leaves its own async generators (httpx's and httpcore's stream iterators)
#: unexhausted when a response is closed early, and trio warns when such a generator is garbage
#: collected (encode/httpx issue 3686; asyncio finalises them silently). The pattern names only
#: httpx's and httpcore's generators: one that faststream abandons still fails the test.
HTTPX_ASYNCGEN_WARNING = r"Async generator '(httpx|httpcore)\."


def ignore_httpx_asyncgen_warnings() -> None:
    warnings.filterwarnings("ignore", message=HTTPX_ASYNCGEN_WARNING, category=ResourceWarning)


class _TrioRunner:
    """One `trio.run` on a helper thread for the whole test; each call is submitted from the
    test's thread with `trio.from_thread.run` (a new system task per call), so the client and
    its connections live across calls, as they do on one asyncio loop."""

    def __init__(self) -> None:
        ignore_httpx_asyncgen_warnings()  # until the test's end (pytest restores the filters)
        self._token: trio.lowlevel.TrioToken | None = None
        self._stop: trio.Event | None = None
        self._error: BaseException | None = None
        started = threading.Event()
        self._thread = threading.Thread(
            target=self._main, args=(started,), name="trio-mode", daemon=True
        )
        self._thread.start()
        if not started.wait(30):
            raise RuntimeError("the trio thread did not start")

    def _main(self, started: threading.Event) -> None:
        async def serve() -> None:
            self._token = trio.lowlevel.current_trio_token()
            self._stop = trio.Event()
            started.set()
            await self._stop.wait()

        try:
            trio.run(serve)
        except BaseException as exc:  # reported by close()
            self._error = exc
        finally:
            started.set()

    def call(self, call: Callable[[], Awaitable[T]]) -> T:
        assert self._token is not None, self._error
        return trio.from_thread.run(_invoke, call, trio_token=self._token)

    def usable(self) -> bool:
        return self._thread.is_alive() and threading.current_thread() is not self._thread

    def close(self) -> None:
        if self._stop is not None and self._thread.is_alive():
            trio.from_thread.run_sync(self._stop.set, trio_token=self._token)
        self._thread.join(30)
        assert not self._thread.is_alive(), "the trio thread did not finish"
        if self._error is not None:
            raise self._error


class Mode:
    """The client kind the current test runs with, and its event loop in an async mode."""

    current = "sync"
    runner: _LoopRunner | _TrioRunner | None = None

    @classmethod
    @contextlib.contextmanager
    def running(cls, mode: str) -> Iterator[None]:
        assert mode == "sync" or mode in ASYNC_MODES, mode
        cls.current = mode
        if mode == "trio":
            cls.runner = _TrioRunner()
        elif mode != "sync":
            cls.runner = _LoopRunner(mode)
        try:
            yield
        finally:
            runner, cls.runner, cls.current = cls.runner, None, "sync"
            if runner is not None:
                runner.close()


def run(afn: Callable[..., Awaitable[T]], *args: typing.Any, **kwargs: typing.Any) -> T:
    """`await afn(*args, **kwargs)` on the current mode's event loop, from the test's thread."""
    runner = Mode.runner
    assert runner is not None, "an async-mode call outside an async-mode test"
    return runner.call(functools.partial(afn, *args, **kwargs))


def _loop_usable() -> bool:
    runner = Mode.runner
    return runner is not None and runner.usable()


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
    if inspect.iscoroutinefunction(hook):
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
        return typing.cast(bytes, run(self._response.aread))

    def close(self) -> None:
        run(self._response.aclose)

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
                item = run(iterator.__anext__)
            except StopAsyncIteration:
                return
            yield item
    finally:
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None and _loop_usable():
            run(aclose)


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
                return SyncResponse(run(method, *args, **_async_content(kwargs)))

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
        response = run(manager.__aenter__)
        try:
            yield SyncResponse(response)
        except BaseException as exc:
            if not run(manager.__aexit__, type(exc), exc, exc.__traceback__):
                raise
        else:
            run(manager.__aexit__, None, None, None)

    def close(self) -> None:
        run(self._client.aclose)

    def __enter__(self) -> SyncFacade:
        run(self._client.__aenter__)
        return self

    def __exit__(self, *exc_info: typing.Any) -> None:
        run(self._client.__aexit__, *exc_info)


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

        def __aiter__(self) -> AsyncIterator[bytes]:
            return _AsyncChunks(iter(self.__iter__()))

        async def aclose(self) -> None:
            self.close()

    return AsyncFromSyncStream


class _AsyncChunks:
    """A sync iterator's chunks as an async iterator: a plain object rather than an async
    generator, so a client that stops iterating early leaves nothing for the event loop to
    finalise (trio warns about an async generator collected before it was exhausted)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks

    def __aiter__(self) -> _AsyncChunks:
        return self

    async def __anext__(self) -> bytes:
        try:
            return next(self._chunks)
        except StopIteration:
            raise StopAsyncIteration from None
