"""Server-sent events: `Response.iter_sse()`, `connect_sse()` and their async twins.

```
with faststream.Client() as client:
    with faststream.connect_sse(client, "GET", "http://localhost/events") as source:
        for event in source.iter_sse():
            print(event.event, event.data, event.id, event.retry)
```

The API has httpx-sse's shape (`connect_sse`, `aconnect_sse`, `EventSource`, `ServerSentEvent`,
`SSEError`), so ``from faststream import connect_sse`` replaces ``from httpx_sse import
connect_sse``. Parsing follows the WHATWG rules exactly (multi-line data, ids that carry over,
``retry``, CR line ends, a BOM) and runs in the compiled core (`_cstream.SSEDecoder`), on the
decoded body (after any Content-Encoding), as bytes: the text is UTF-8 whatever the charset
parameter says.

Errors: `SSEError` when the media type is not ``text/event-stream`` (raised by the first
``next()``, before any byte is read) or when one event's data grows past `max_event_size`
(the events before it are delivered first; the response is closed).
"""

from __future__ import annotations

import typing
from collections.abc import AsyncIterator, Generator, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager

import _cstream
from _cstream._errors import EventTooLargeError

from ._decoders import Stage
from ._exceptions import DecodingError, SSEError
from ._headers import Headers

if typing.TYPE_CHECKING:
    from ._async_client import AsyncClient
    from ._client import Client
    from ._response import Response
    from ._urls import URL

__all__ = [
    "DEFAULT_MAX_EVENT_SIZE",
    "EventSource",
    "ServerSentEvent",
    "aconnect_sse",
    "aiter_sse",
    "connect_sse",
    "iter_sse",
]

#: The most bytes one event's data may hold unless the caller says otherwise.
DEFAULT_MAX_EVENT_SIZE = 16 * 1024 * 1024

_MEDIA_TYPE = "text/event-stream"


class ServerSentEvent(_cstream.ServerSentEvent):
    """One server-sent event: ``ServerSentEvent(event="message", data="", id="", retry=None)``.

    Immutable, compared by value, hashable and picklable, with ``.json()`` (the data parsed as
    JSON). `event` is the event type (``"message"`` when the stream named none); `data` the
    data lines joined by LF; `id` the last event ID when the event was dispatched (it carries
    over to later events until an ``id`` field changes it, like a browser's ``lastEventId``);
    `retry` the reconnection time in milliseconds set by this event's block, else None.
    """

    __slots__ = ()


def _check_media_type(response: Response) -> None:
    content_type = response.headers.get("content-type", "")
    if content_type.partition(";")[0].strip().lower() != _MEDIA_TYPE:
        raise SSEError(
            f"Expected response header Content-Type to be {_MEDIA_TYPE!r}, got {content_type!r}",
            request=response._request,
        )


def _stage(max_event_size: int | None) -> Stage[ServerSentEvent]:
    decoder = _cstream.SSEDecoder(max_event_size, ServerSentEvent)

    def end() -> list[ServerSentEvent]:
        # the incomplete event at the end of the body is dropped; a deferred error raises
        decoder.flush()
        return []

    return Stage(
        typing.cast("typing.Callable[[bytes], list[ServerSentEvent]]", decoder.decode), end
    )


def _sse_error(exc: DecodingError, response: Response) -> Exception:
    # The body path reports the core's errors as DecodingError with the core's error as the
    # cause; an oversized event is the SSE stream's own failure.
    cause = exc.__cause__
    if isinstance(cause, EventTooLargeError):
        error = SSEError(str(cause), request=response._request)
        error.__cause__ = cause
        return error
    return exc


def _batches(
    response: Response, max_event_size: int | None
) -> Generator[Iterable[ServerSentEvent], None, None]:
    _check_media_type(response)
    batches = response._drive_batches(lambda: _stage(max_event_size), None)
    try:
        yield from batches
    except DecodingError as exc:
        raise _sse_error(exc, response) from exc.__cause__


def iter_sse(
    response: Response, max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE
) -> Iterator[ServerSentEvent]:
    """`Response.iter_sse()`: the body's events, lazily (nothing runs before the first next())."""
    from ._response import _Items

    batches = _batches(response, max_event_size)
    items = typing.cast("_Items[ServerSentEvent]", _Items.from_iterable(batches))
    items._batches = batches
    return items


async def aiter_sse(
    response: Response, max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE
) -> AsyncIterator[ServerSentEvent]:
    """`Response.aiter_sse()`: `iter_sse` for an async stream."""
    _check_media_type(response)
    events = typing.cast(
        "typing.AsyncGenerator[ServerSentEvent, None]",
        response._adrive(lambda: _stage(max_event_size), None),
    )
    try:
        async for event in events:
            yield event
    except DecodingError as exc:
        raise _sse_error(exc, response) from exc.__cause__
    finally:
        await events.aclose()  # stopped early: close the body's loop now


class EventSource:
    """A response carrying an event stream, as `connect_sse` / `aconnect_sse` yield it."""

    def __init__(self, response: Response) -> None:
        self._response = response

    @property
    def response(self) -> Response:
        return self._response

    def iter_sse(
        self, *, max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE
    ) -> Iterator[ServerSentEvent]:
        """The events (see `Response.iter_sse`)."""
        return iter_sse(self._response, max_event_size)

    def aiter_sse(
        self, *, max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE
    ) -> AsyncIterator[ServerSentEvent]:
        """The events of an async response (see `Response.aiter_sse`)."""
        return aiter_sse(self._response, max_event_size)

    def __repr__(self) -> str:
        return f"<EventSource {self._response!r}>"


def _sse_headers(headers: typing.Any) -> Headers:
    # httpx-sse's request headers; ones the caller set explicitly are kept
    merged = Headers(headers)
    merged.setdefault("Accept", _MEDIA_TYPE)
    merged.setdefault("Cache-Control", "no-store")
    return merged


@contextmanager
def connect_sse(
    client: Client, method: str, url: URL | str, **kwargs: typing.Any
) -> Iterator[EventSource]:
    """Send a request with ``Accept: text/event-stream`` and ``Cache-Control: no-store`` (unless
    `headers` sets them) through ``client.stream(method, url, **kwargs)``, and yield an
    `EventSource` over the response; the response is closed when the block exits."""
    headers = _sse_headers(kwargs.pop("headers", None))
    with client.stream(method, url, headers=headers, **kwargs) as response:
        yield EventSource(response)


@asynccontextmanager
async def aconnect_sse(
    client: AsyncClient, method: str, url: URL | str, **kwargs: typing.Any
) -> AsyncIterator[EventSource]:
    """`connect_sse` for an `AsyncClient`."""
    headers = _sse_headers(kwargs.pop("headers", None))
    async with client.stream(method, url, headers=headers, **kwargs) as response:
        yield EventSource(response)
