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

import random
import typing
from collections.abc import AsyncIterator, Generator, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager

import _cstream
from _cstream._errors import EventTooLargeError

from ._decoders import Stage, line_capped
from ._exceptions import (
    DecodingError,
    NetworkError,
    RemoteProtocolError,
    SSEError,
    TimeoutException,
)
from ._headers import Headers

if typing.TYPE_CHECKING:
    from ._async_client import AsyncClient
    from ._client import Client
    from ._request import Request
    from ._response import Response
    from ._urls import URL

__all__ = [
    "DEFAULT_MAX_EVENT_SIZE",
    "RECONNECTABLE",
    "EventSource",
    "Reconnection",
    "ServerSentEvent",
    "aconnect_sse",
    "aiter_sse",
    "connect_sse",
    "iter_sse",
]

#: The most bytes one event's data may hold unless the caller says otherwise.
DEFAULT_MAX_EVENT_SIZE = 16 * 1024 * 1024

_MEDIA_TYPE = "text/event-stream"

#: What `iter_events` reconnects after: the connection could not be made, broke, or stalled
#: past the read timeout (a stream cut short mid-body is a RemoteProtocolError).
RECONNECTABLE = (NetworkError, TimeoutException, RemoteProtocolError)
# The least wait between two attempts, whatever the server's retry says: never a hot loop.
_MIN_WAIT = 0.1
# Each wait is drawn from [wait, wait * (1 + _JITTER)] (then capped by max_wait).
_JITTER = 0.2


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


def _stage(max_event_size: int | None, max_line_length: int | None) -> Stage[ServerSentEvent]:
    decoder = _cstream.SSEDecoder(max_event_size, ServerSentEvent)

    def end() -> list[ServerSentEvent]:
        # the incomplete event at the end of the body is dropped; a deferred error raises
        decoder.flush()
        return []

    stage = Stage(
        typing.cast("typing.Callable[[bytes], list[ServerSentEvent]]", decoder.decode), end
    )
    return stage if max_line_length is None else line_capped(stage, max_line_length)


def _line_cap(response: Response, max_line_length: int | None) -> int | None:
    # The keyword, else the cap the client set on the response (if any).
    caps = response._caps
    if max_line_length is None and caps is not None:
        return caps.max_line_length
    return max_line_length


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
    response: Response, max_event_size: int | None, max_line_length: int | None
) -> Generator[Iterable[ServerSentEvent], None, None]:
    _check_media_type(response)
    cap = _line_cap(response, max_line_length)
    batches = response._drive_batches(lambda: _stage(max_event_size, cap), None)
    try:
        yield from batches
    except DecodingError as exc:
        raise _sse_error(exc, response) from exc.__cause__


def iter_sse(
    response: Response,
    max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
    max_line_length: int | None = None,
) -> Iterator[ServerSentEvent]:
    """`Response.iter_sse()`: the body's events, lazily (nothing runs before the first next())."""
    from ._response import _Items

    batches = _batches(response, max_event_size, max_line_length)
    items = typing.cast("_Items[ServerSentEvent]", _Items.from_iterable(batches))
    items._batches = batches
    return items


async def aiter_sse(
    response: Response,
    max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
    max_line_length: int | None = None,
) -> AsyncIterator[ServerSentEvent]:
    """`Response.aiter_sse()`: `iter_sse` for an async stream."""
    _check_media_type(response)
    cap = _line_cap(response, max_line_length)
    events = typing.cast(
        "typing.AsyncGenerator[ServerSentEvent, None]",
        response._adrive(lambda: _stage(max_event_size, cap), None),
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


class Reconnection:
    """The sans-I/O half of `Client.iter_events` / `AsyncClient.aiter_events` (the loops are in
    the clients): the request headers of each attempt, what a response means, the events of
    its body, and how long to wait before the next attempt.

    One decoder serves every connection of the session, so the last event ID (sent as
    ``Last-Event-ID``) and the server's ``retry`` carry over, as in a browser's EventSource.
    The wait before a reconnection is the server's ``retry`` (else `retry` seconds), times
    `backoff` for each further attempt in a row that brought no event, at least 0.1 s, plus a
    random 0-20 % (so that clients cut off together spread out), and at most `max_wait`.
    `max_reconnects` bounds the attempts in a row without an event (None: no bound); an event
    resets the count.
    """

    def __init__(
        self,
        *,
        last_event_id: str | None,
        max_reconnects: int | None,
        retry: float,
        max_wait: float,
        backoff: float,
        max_event_size: int | None,
    ) -> None:
        if max_reconnects is not None and max_reconnects < 0:
            raise ValueError("max_reconnects must be None or >= 0")
        if retry < 0 or max_wait < 0:
            raise ValueError("retry and max_wait must be >= 0")
        if backoff < 1:
            raise ValueError("backoff must be >= 1")
        self._decoder = _cstream.SSEDecoder(max_event_size, ServerSentEvent, last_event_id)
        self._max_reconnects = max_reconnects
        self._retry = retry
        self._max_wait = max_wait
        self._backoff = backoff
        self._attempts = 0  # reconnections since the last event
        self._request: Request | None = None  # of the last response opened

    @property
    def last_event_id(self) -> str:
        return self._decoder.last_event_id

    def headers(self, headers: typing.Any) -> Headers:
        """The next request's headers: the caller's, the SSE ones, and ``Last-Event-ID`` once
        there is a last event ID."""
        merged = _sse_headers(headers)
        if self._decoder.last_event_id:
            merged["Last-Event-ID"] = self._decoder.last_event_id
        return merged

    def opened(self, response: Response) -> bool:
        """Whether to read the response's events. False for 204 No Content (the server says
        stop); `HTTPStatusError` for any other status outside 2xx; `SSEError` for a media type
        other than text/event-stream."""
        self._request = response._request
        if response.status_code == 204:
            return False
        response.raise_for_status()
        _check_media_type(response)
        return True

    def decode(self, chunk: bytes, response: Response) -> list[ServerSentEvent]:
        """The events a piece of the decoded body completes."""
        try:
            events = typing.cast("list[ServerSentEvent]", self._decoder.decode(chunk))
        except EventTooLargeError as exc:
            raise SSEError(str(exc), request=response._request) from exc
        if events:
            self._attempts = 0
        return events

    def wait(self, error: Exception | None) -> float | None:
        """After the stream ended (`error` None) or broke: the seconds to wait before the next
        attempt. When the budget is spent: None after an end (stop quietly); `error` raised
        again after a failure."""
        try:
            # the incomplete event is dropped; the IDs and retry carry over
            self._decoder.flush()
        except EventTooLargeError as exc:  # found by the last piece, raised at the end
            raise SSEError(str(exc), request=self._request) from exc
        self._attempts += 1
        if self._max_reconnects is not None and self._attempts > self._max_reconnects:
            if error is not None:
                raise error
            return None
        server = self._decoder.retry
        base = self._retry if server is None else server / 1000
        try:
            wait = max(base, _MIN_WAIT) * self._backoff ** (self._attempts - 1)
        except OverflowError:  # a very long run of failures: the cap applies
            wait = self._max_wait
        # Jitter, upwards only (never sooner than the server asked): clients that one server
        # restart cut off together do not all come back at the same instant.
        wait *= random.uniform(1.0, 1.0 + _JITTER)
        return min(self._max_wait, wait)
