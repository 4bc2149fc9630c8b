"""The exception hierarchy, with httpx 0.28.1's names, signatures and messages.

```
HTTPError
├── RequestError
│   ├── TransportError
│   │   ├── TimeoutException: ConnectTimeout, ReadTimeout, WriteTimeout, PoolTimeout
│   │   ├── NetworkError: ConnectError, ReadError, WriteError, CloseError
│   │   ├── ProtocolError: LocalProtocolError, RemoteProtocolError
│   │   ├── ProxyError
│   │   ├── UnsupportedProtocol
│   │   └── SSEError (faststream's: a server-sent event stream that cannot be read)
│   ├── DecodingError: ResponseTooLarge (faststream's: a size cap crossed)
│   └── TooManyRedirects
└── HTTPStatusError
InvalidURL
CookieConflict
StreamError (a RuntimeError): StreamConsumed, StreamClosed, ResponseNotRead, RequestNotRead
```

`HTTPError.request` raises `RuntimeError` until a request has been attached, either
with `request=` or by `request_context()` while the request is in flight.
"""

from __future__ import annotations

import contextlib
import typing

if typing.TYPE_CHECKING:
    # `Request` and `Response` are defined in `_models`; until that module exists the
    # annotations name them through these aliases.
    Request = typing.Any
    Response = typing.Any

__all__ = [
    "ChecksumMismatch",
    "CloseError",
    "ConnectError",
    "ConnectTimeout",
    "CookieConflict",
    "DecodingError",
    "HTTPError",
    "HTTPStatusError",
    "InvalidURL",
    "LocalProtocolError",
    "NetworkError",
    "PoolTimeout",
    "ProtocolError",
    "ProxyError",
    "ReadError",
    "ReadTimeout",
    "RemoteProtocolError",
    "RequestError",
    "RequestNotRead",
    "ResponseNotRead",
    "ResponseTooLarge",
    "SSEError",
    "StreamClosed",
    "StreamConsumed",
    "StreamError",
    "TimeoutException",
    "TooManyRedirects",
    "TransportError",
    "UnsupportedProtocol",
    "WriteError",
    "WriteTimeout",
]


class HTTPError(Exception):
    """Base class for `RequestError` and `HTTPStatusError`.

    Catch it around a request followed by `.raise_for_status()`:

    ```
    try:
        response = faststream.get("https://www.example.com")
        response.raise_for_status()
    except faststream.HTTPError as exc:
        print(f"HTTP Exception for {exc.request.url} - {exc}")
    ```
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self._request: Request | None = None

    @property
    def request(self) -> Request:
        if self._request is None:
            raise RuntimeError("The .request property has not been set.")
        return self._request

    @request.setter
    def request(self, request: Request) -> None:
        self._request = request


class RequestError(HTTPError):
    """Base class for all exceptions that may occur when issuing a `.request()`."""

    def __init__(self, message: str, *, request: Request | None = None) -> None:
        super().__init__(message)
        # Raised inside a client, the request is usually attached later by
        # `request_context()`; `request=` is for code that knows it up front.
        self._request = request


class TransportError(RequestError):
    """Base class for all exceptions that occur at the level of the Transport API."""


# Timeouts


class TimeoutException(TransportError):
    """The base class for timeout errors: an operation has timed out."""


class ConnectTimeout(TimeoutException):
    """Timed out while connecting to the host."""


class ReadTimeout(TimeoutException):
    """Timed out while receiving data from the host."""


class WriteTimeout(TimeoutException):
    """Timed out while sending data to the host."""


class PoolTimeout(TimeoutException):
    """Timed out waiting to acquire a connection from the pool."""


# Network I/O


class NetworkError(TransportError):
    """The base class for network-related errors: an error occurred while
    interacting with the network."""


class ConnectError(NetworkError):
    """Failed to establish a connection."""


class ReadError(NetworkError):
    """Failed to receive data from the network."""


class WriteError(NetworkError):
    """Failed to send data through the network."""


class CloseError(NetworkError):
    """Failed to close a connection."""


# Other transport errors


class ProxyError(TransportError):
    """An error occurred while establishing a proxy connection."""


class UnsupportedProtocol(TransportError):
    """Attempted to make a request to an unsupported protocol, such as a URL
    without a scheme or with a scheme other than `http://` or `https://`."""


class SSEError(TransportError):
    """A server-sent event stream that cannot be read: the response's media type is not
    ``text/event-stream``, or an event grew past `max_event_size`."""


class ProtocolError(TransportError):
    """The protocol was violated."""


class LocalProtocolError(ProtocolError):
    """The client violated the protocol, for example by sending a header value
    that contains a line break."""


class RemoteProtocolError(ProtocolError):
    """The server violated the protocol, for example with a malformed response."""


# Other request errors


class DecodingError(RequestError):
    """Decoding of the response failed, due to a malformed encoding."""


class ResponseTooLarge(DecodingError):
    """A response crossed a size cap: `max_response_bytes` (body bytes on the wire),
    `max_decoded_bytes` (body bytes after content decoding) or `max_line_length` (one line).

    Raised at the byte where the cap is crossed, after everything up to the cap was handed
    out; the response is closed by then, so its connection is not held.
    """


class TooManyRedirects(RequestError):
    """Too many redirects."""


# Client errors


class HTTPStatusError(HTTPError):
    """The response had an error HTTP status of 4xx or 5xx.

    Raised by `response.raise_for_status()`.
    """

    def __init__(self, message: str, *, request: Request, response: Response) -> None:
        super().__init__(message)
        self.request = request
        self.response = response


class ChecksumMismatch(HTTPError):
    """A downloaded file's digest is not the one asked for (its ``.part`` is deleted)."""

    def __init__(self, message: str, *, expected: str = "", actual: str = "") -> None:
        super().__init__(message)
        self.expected = expected  # the hex digest asked for
        self.actual = actual  # the file's


class InvalidURL(Exception):
    """URL is improperly formed or cannot be parsed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)


class CookieConflict(Exception):
    """Attempted to look up a cookie by name, but several cookies matched.

    Use `cookies.get(name, domain=..., path=...)` to pick one.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)


# Stream errors: the developer made an error in accessing the request or response
# stream. These are programming errors, so they derive from RuntimeError rather
# than from HTTPError, and each one carries a fixed message.


class StreamError(RuntimeError):
    """The base class for stream exceptions."""

    def __init__(self, message: str) -> None:
        super().__init__(message)


class StreamConsumed(StreamError):
    """Attempted to read or stream content, but the content has already been
    streamed."""

    def __init__(self) -> None:
        # The missing space after "flow." is httpx's exact text.
        message = (
            "Attempted to read or stream some content, but the content has "
            "already been streamed. For requests, this could be due to passing "
            "a generator as request content, and then receiving a redirect "
            "response or a secondary request as part of an authentication flow."
            "For responses, this could be due to attempting to stream the response "
            "content more than once."
        )
        super().__init__(message)


class StreamClosed(StreamError):
    """Attempted to read or stream response content, but the request has been
    closed."""

    def __init__(self) -> None:
        super().__init__("Attempted to read or stream content, but the stream has been closed.")


class ResponseNotRead(StreamError):
    """Attempted to access streaming response content, without having called
    `read()`."""

    def __init__(self) -> None:
        super().__init__(
            "Attempted to access streaming response content, without having called `read()`."
        )


class RequestNotRead(StreamError):
    """Attempted to access streaming request content, without having called
    `read()`."""

    def __init__(self) -> None:
        super().__init__(
            "Attempted to access streaming request content, without having called `read()`."
        )


@contextlib.contextmanager
def request_context(request: Request | None = None) -> typing.Iterator[None]:
    """Attach `request` to any `RequestError` raised inside the block.

    The error is re-raised unchanged otherwise; with `request=None` nothing is attached.
    """
    try:
        yield
    except RequestError as exc:
        if request is not None:
            exc.request = request
        raise
