"""`Response`: an HTTP response, with httpx 0.28.1's behaviour and a compiled body path.

```
response = Response(200, json={"a": 1})
response.content       # b'{"a":1}' -- in-memory bodies are read (and decoded) at once
response.json()        # {'a': 1}

response = Response(200, headers={"Content-Encoding": "gzip"}, stream=transport_stream)
for line in response.iter_lines():   # streamed: decoded lazily, in bounded steps
    ...
```

State. A response is *read* once its whole decoded body is stored
(`read()`, or a body given in memory); `is_stream_consumed` turns true when `iter_raw` starts
pulling the stream; `is_closed` when `close()`/`aclose()` ran, which draining the stream does
too. Every iterator checks, in this order: consumed (`StreamConsumed`), closed (`StreamClosed`),
stream kind (`RuntimeError` for a sync loop on an async stream and the reverse). A read
response replays its stored content through `iter_bytes`/`iter_text`/`iter_lines` any number
of times; `iter_raw` never replays.

Every iterator runs on `_cstream` through `_decoders.Pipeline`: the sync and async methods build
the same objects and differ only in their loop (`_drive` / `_adrive`). Decoding is lazy and
bounded; the body is joined only by `read()`. A decoding failure closes the response before it
propagates (with the request attached), so a body that cannot be decoded never holds its
connection.
"""

from __future__ import annotations

import datetime
import email.message
import io
import itertools
import json as jsonlib
import re
import time
import typing
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Callable,
    Generator,
    Iterable,
    Iterator,
)

import _cstream

from . import _mocking
from ._content import UnattachedStream, encode_response
from ._cookies import Cookies
from ._decoders import (
    Caps,
    LinesBeforeTooLong,
    Pipeline,
    Stage,
    byte_stage,
    content_decoder,
    decoding_error,
    is_known_encoding,
    line_stage,
    replay,
    text_stage,
)
from ._exceptions import (
    HTTPStatusError,
    RequestError,
    ResponseNotRead,
    ResponseTooLarge,
    StreamClosed,
    StreamConsumed,
    request_context,
)
from ._headers import MARK_CONTENT_ENCODING, Headers
from ._jsonl import AsyncJSONLines, JSONLines, OnError, aiter_json, iter_json
from ._sse import DEFAULT_MAX_EVENT_SIZE, ServerSentEvent, aiter_sse, iter_sse
from ._status_codes import codes
from ._streams import AsyncByteStream, ByteStream, SyncByteStream, aclose_iterator

if typing.TYPE_CHECKING:
    from _typeshed import WriteableBuffer as WritableBuffer

    from ._request import Request
    from ._types import HeaderTypes, ResponseContent, ResponseExtensions
    from ._urls import URL

__all__ = ["Response", "ResponseFile", "time_on_close"]

T = typing.TypeVar("T")

_REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
_ERROR_TYPES = {
    1: "Informational response",
    3: "Redirect response",
    4: "Client error",
    5: "Server error",
}
_MDN_STATUS = "https://developer.mozilla.org/en-US/docs/Web/HTTP/Status/"
_LINK_QUOTES = " '\""
_LINK_SPLIT = re.compile(", *<")


def _attach(exc: RequestError, request: Request | None) -> None:
    """`request_context()`'s effect, for the hot paths that avoid its generator."""
    if request is not None:
        exc.request = request


_CONTENT_ENCODING = frozenset({b"content-encoding"})


def _coded(headers: Headers) -> bool:
    """A Content-Encoding field is present (the marks spare a parsed head the scan)."""
    return bool(headers._marks & MARK_CONTENT_ENCODING) and headers._has_any(_CONTENT_ENCODING)


class _Items(itertools.chain[T]):
    """The iterator `iter_bytes`/`iter_text`/`iter_lines` return: items flattened from the
    body's batches by C-level iteration, with a generator's `close()` (it closes the loop
    over the body, as closing httpx's generator would)."""

    __slots__ = ("_batches",)
    _batches: Generator[Iterable[T], None, None]

    def close(self) -> None:
        self._batches.close()


# Not pickled: the stream and the extensions (which may hold live objects), and readinto's
# position in the body (a live iterator and a view of the piece in hand).
_UNPICKLED = frozenset(
    ("extensions", "stream", "is_closed", "_reader", "_areader", "_pending", "_direct")
)


class Response:
    """An HTTP response: status, headers and a body that is either in memory or streamed.

    `content`/`text`/`html`/`json` give an in-memory body (precedence in that order) and add
    the headers it implies (`Content-Length`, `Content-Type`) unless present; the body is read,
    and decoded per `Content-Encoding`, at once. An iterable `content` is streamed. `stream=`
    takes a transport's `SyncByteStream`/`AsyncByteStream` as it is: no header, nothing read.

    `default_encoding` is the text encoding when Content-Type names no known charset: a codec
    name, or a callable given the body (`charset_normalizer`-style detection), used only once
    the body has been read.
    """

    stream: SyncByteStream | AsyncByteStream
    # Size caps, set by the client from its keywords and the request's extensions. None (the
    # class default, so a response without caps costs no store) when there is none: the
    # uncapped paths test it once per iterator.
    _caps: Caps | None = None

    def __init__(
        self,
        status_code: int,
        *,
        headers: HeaderTypes | None = None,
        content: ResponseContent | None = None,
        text: str | None = None,
        html: str | None = None,
        json: typing.Any = None,
        stream: SyncByteStream | AsyncByteStream | None = None,
        request: Request | None = None,
        extensions: ResponseExtensions | None = None,
        history: list[Response] | None = None,
        default_encoding: str | Callable[[bytes], str | None] = "utf-8",
    ) -> None:
        # A response made by hand is usually a test's mock answer: respx must accept it.
        _mocking.notice_test_doubles()
        self._set_state(
            status_code,
            Headers(headers),
            {} if extensions is None else dict(extensions),
            [] if history is None else list(history),
            request,
            default_encoding,
        )

        if stream is not None:
            self.stream = stream
            return
        body_headers, self.stream = encode_response(content, text, html, json)
        for name, value in body_headers.items():
            # An explicit Content-Length wins over chunked framing.
            if name.lower() == "transfer-encoding" and "content-length" in self.headers:
                continue
            self.headers.setdefault(name, value)
        if isinstance(self.stream, ByteStream):
            self.read()  # raises DecodingError for bad data under a Content-Encoding
            # Only bytes a transport delivered count as downloaded.
            self._num_bytes_downloaded = 0

    @classmethod
    def _from_transport(
        cls,
        status_code: int,
        headers: Headers,
        stream: SyncByteStream | AsyncByteStream,
        extensions: dict[str, typing.Any],
    ) -> Response:
        """`Response(status_code, headers=headers, stream=stream, extensions=extensions)`
        for a transport that hands over fresh `headers` and `extensions` it will not touch
        again: they are taken as they are, not copied. The state `_set_state` leaves, written
        out (one call fewer per response), in its order (instances then share one key table);
        tests/models/test_response.py compares the two attribute by attribute."""
        response = cls.__new__(cls)
        response.status_code = status_code
        response.headers = headers
        response._request = None
        response.next_request = None
        response.extensions = extensions
        response.history = []
        response.is_closed = False
        response.is_stream_consumed = False
        response.default_encoding = "utf-8"
        response._content = None
        response._text = None
        response._encoding = None
        response._encoding_known = False
        response._elapsed = None
        response._clock = None
        response._cookies = None
        response._num_bytes_downloaded = 0
        response.stream = stream
        return response

    def _set_state(
        self,
        status_code: int,
        headers: Headers,
        extensions: dict[str, typing.Any],
        history: list[Response],
        request: Request | None,
        default_encoding: str | Callable[[bytes], str | None],
    ) -> None:
        """Every attribute but `stream`: a new response, nothing read, not closed
        (`_from_transport` writes the same out: keep the two alike)."""
        self.status_code = status_code
        self.headers = headers
        self._request = request
        # Set by the client when a redirect was received but not followed.
        self.next_request: Request | None = None
        self.extensions = extensions
        self.history = history
        self.is_closed = False
        self.is_stream_consumed = False
        self.default_encoding = default_encoding
        self._content: bytes | None = None
        self._text: str | None = None
        self._encoding: str | None = None
        self._encoding_known = False  # resolved or assigned (even to None, as httpx allows)
        # Seconds (a float until first read) or a timedelta; None until the clock stops.
        self._elapsed: datetime.timedelta | float | None = None
        self._clock: float | None = None  # the start, while `time_on_close`'s clock runs
        self._cookies: Cookies | None = None
        self._num_bytes_downloaded = 0

    # -- attributes ---------------------------------------------------------------------------

    @property
    def elapsed(self) -> datetime.timedelta:
        """Time from sending the request to closing the response (set by the client when the
        response is closed; see `time_on_close`)."""
        elapsed = self._elapsed
        if elapsed is None:
            raise RuntimeError(
                "'.elapsed' may only be accessed after the response has been read or closed."
            )
        if not isinstance(elapsed, datetime.timedelta):
            # Kept as seconds when the clock stopped: a timedelta only for who asks.
            elapsed = self._elapsed = datetime.timedelta(seconds=elapsed)
        return elapsed

    @elapsed.setter
    def elapsed(self, elapsed: datetime.timedelta) -> None:
        self._elapsed = elapsed

    def _stop_clock(self) -> None:
        start = self._clock
        if start is not None:
            self._clock = None
            self._elapsed = time.perf_counter() - start

    @property
    def request(self) -> Request:
        if self._request is None:
            raise RuntimeError("The request instance has not been set on this response.")
        return self._request

    @request.setter
    def request(self, value: Request) -> None:
        self._request = value

    @property
    def http_version(self) -> str:
        version: bytes | None = self.extensions.get("http_version")
        return "HTTP/1.1" if version is None else version.decode("ascii", errors="ignore")

    @property
    def reason_phrase(self) -> str:
        phrase: bytes | None = self.extensions.get("reason_phrase")
        if phrase is None:
            return codes.get_reason_phrase(self.status_code)
        return phrase.decode("ascii", errors="ignore")

    @property
    def url(self) -> URL:
        """The URL of the request this responds to."""
        return self.request.url

    @property
    def num_bytes_downloaded(self) -> int:
        """Raw (still encoded) body bytes pulled from the stream so far."""
        return self._num_bytes_downloaded

    @property
    def is_informational(self) -> bool:
        return codes.is_informational(self.status_code)

    @property
    def is_success(self) -> bool:
        return codes.is_success(self.status_code)

    @property
    def is_redirect(self) -> bool:
        """3xx, with or without a Location (see `has_redirect_location`)."""
        return codes.is_redirect(self.status_code)

    @property
    def is_client_error(self) -> bool:
        return codes.is_client_error(self.status_code)

    @property
    def is_server_error(self) -> bool:
        return codes.is_server_error(self.status_code)

    @property
    def is_error(self) -> bool:
        return codes.is_error(self.status_code)

    @property
    def has_redirect_location(self) -> bool:
        """301, 302, 303, 307 or 308 with a Location header."""
        return self.status_code in _REDIRECT_CODES and "Location" in self.headers

    def raise_for_status(self) -> Response:
        """Return the response if 2xx; else raise `HTTPStatusError`."""
        request = self._request
        if request is None:
            raise RuntimeError(
                "Cannot call `raise_for_status` as the request "
                "instance has not been set on this response."
            )
        if self.is_success:
            return self
        error_type = _ERROR_TYPES.get(self.status_code // 100, "Invalid status code")
        lines = [f"{error_type} '{self.status_code} {self.reason_phrase}' for url '{self.url}'"]
        if self.has_redirect_location:
            lines.append(f"Redirect location: '{self.headers['location']}'")
        lines.append(f"For more information check: {_MDN_STATUS}{self.status_code}")
        raise HTTPStatusError("\n".join(lines), request=request, response=self)

    @property
    def trailers(self) -> Headers:
        """The trailer fields of an HTTP/1.1 chunked body or HTTP/2 trailing HEADERS (names
        lowercased), once the body has been read to its end; empty before, and for a body
        without trailers. Never merged into `headers`."""
        fields: typing.Sequence[tuple[bytes, bytes]] = getattr(self.stream, "trailers", ())
        return Headers(list(fields))

    @property
    def cookies(self) -> Cookies:
        """The cookies the response sets (needs `request`, to judge them by its URL)."""
        if self._cookies is None:
            cookies = Cookies()
            cookies.extract_cookies(self)
            self._cookies = cookies
        return self._cookies

    @property
    def links(self) -> dict[str | None, dict[str, str]]:
        """The Link header parsed: each link's params plus `url`, keyed by `rel` (or url)."""
        header = self.headers.get("link")
        if header is None:
            return {}
        return {(link.get("rel") or link.get("url")): link for link in _parse_links(header)}

    def __repr__(self) -> str:
        return f"<Response [{self.status_code} {self.reason_phrase}]>"

    # -- body as a whole ----------------------------------------------------------------------

    @property
    def content(self) -> bytes:
        if self._content is None:
            raise ResponseNotRead()
        return self._content

    @property
    def text(self) -> str:
        if self._text is None:
            content = self.content
            if content:
                stage = text_stage(self.encoding or "utf-8", None)
                self._text = "".join(replay(stage, content))
            else:
                self._text = ""
        return self._text

    def json(self, **kwargs: typing.Any) -> typing.Any:
        """`json.loads` of the bytes: UTF-8/16/32 are detected, the charset is not used."""
        return jsonlib.loads(self.content, **kwargs)

    @property
    def encoding(self) -> str | None:
        """The text encoding: the one assigned, else Content-Type's charset when Python knows
        it, else `default_encoding` (a callable only once the body is read), else utf-8.
        Resolved once, on first use."""
        if not self._encoding_known:
            encoding = self.charset_encoding
            if encoding is None or not is_known_encoding(encoding):
                if isinstance(self.default_encoding, str):
                    encoding = self.default_encoding
                elif self._content is not None:
                    encoding = self.default_encoding(self._content)
                else:
                    # httpx 0.28.1 keeps an unknown charset here, and iter_text() then
                    # raises LookupError; nothing can be detected before the body is read,
                    # so fall back to utf-8, as for a response with no charset.
                    encoding = None
            self._encoding = encoding or "utf-8"
            self._encoding_known = True
        return self._encoding

    @encoding.setter
    def encoding(self, value: str) -> None:
        if self._text is not None:
            raise ValueError("Setting encoding after `text` has been accessed is not allowed.")
        self._encoding = value
        self._encoding_known = True

    @property
    def charset_encoding(self) -> str | None:
        """Content-Type's charset parameter (unquoted, lower-cased), known to Python or not."""
        content_type = self.headers.get("Content-Type")
        if content_type is None:
            return None
        return _content_type_charset(content_type)

    def read(self) -> bytes:
        """Read the whole body, decoded; store it and return it. Closes the response."""
        if self._content is None:
            stream = self.stream
            if (
                not self.is_stream_consumed
                and not self.is_closed
                and isinstance(stream, SyncByteStream)
                and not (
                    self.headers._marks & MARK_CONTENT_ENCODING
                    and self.headers._has_any(_CONTENT_ENCODING)
                )
                and self._caps is None
            ):
                # No content coding: the raw pieces are the body (what iter_bytes() would
                # give, without its per-piece machinery).
                # The stream is fresh (not consumed): `_num_bytes_downloaded` is still 0.
                self.is_stream_consumed = True
                pieces: list[bytes] = []
                read_to_end = getattr(stream, "_read_to_end", None)
                try:
                    if read_to_end is not None:
                        read_to_end(pieces)  # a transport's own stream: no generator
                    else:
                        for raw in stream:
                            pieces.append(raw)
                except BaseException as exc:
                    self._num_bytes_downloaded = sum(map(len, pieces))
                    if isinstance(exc, RequestError):
                        _attach(exc, self._request)
                    raise
                content = self._content = b"".join(pieces)
                self._num_bytes_downloaded = len(content)
                if read_to_end is not None:
                    # It returned: the stream ended and let its connection go, so closing it
                    # again would do nothing; what `close()` does besides is done here.
                    self.is_closed = True
                    start = self._clock
                    if start is not None:
                        self._clock = None
                        self._elapsed = time.perf_counter() - start
                else:
                    self.close()
            else:
                self._content = b"".join(self.iter_bytes())
        return self._content

    async def aread(self) -> bytes:
        """`read()` for an async stream."""
        if self._content is None:
            stream = self.stream
            if (
                not self.is_stream_consumed
                and not self.is_closed
                and isinstance(stream, AsyncByteStream)
                and not (
                    self.headers._marks & MARK_CONTENT_ENCODING
                    and self.headers._has_any(_CONTENT_ENCODING)
                )
                and self._caps is None
            ):
                # No content coding: the raw pieces are the body (as in `read()`).
                # The stream is fresh (not consumed): `_num_bytes_downloaded` is still 0.
                self.is_stream_consumed = True
                pieces: list[bytes] = []
                read_to_end = getattr(stream, "_read_to_end", None)
                try:
                    if read_to_end is not None:
                        await read_to_end(pieces)  # a transport's own stream: no generator
                    else:
                        async for raw in stream:
                            pieces.append(raw)
                except BaseException as exc:
                    self._num_bytes_downloaded = sum(map(len, pieces))
                    if isinstance(exc, RequestError):
                        _attach(exc, self._request)
                    raise
                content = self._content = b"".join(pieces)
                self._num_bytes_downloaded = len(content)
                if read_to_end is not None:
                    # It returned: the stream ended and let its connection go, so closing it
                    # again would do nothing; what `close()` does besides is done here.
                    self.is_closed = True
                    start = self._clock
                    if start is not None:
                        self._clock = None
                        self._elapsed = time.perf_counter() - start
                else:
                    await self.aclose()
            else:
                self._content = b"".join([chunk async for chunk in self.aiter_bytes()])
        return self._content

    # -- reading into buffers ------------------------------------------------------------------

    def readinto(self, buffer: WritableBuffer) -> int:
        """Copy the next decoded bytes of the body into `buffer` (anything writable with the
        buffer protocol: bytearray, memoryview, array, mmap) and return how many; 0 at the end
        of the body (or for an empty `buffer`). Returns as soon as some bytes are there, like
        a raw file's readinto: it may fill less than the buffer before the end.

        Copies: with no content coding and no cap, on a transport stream that can (HTTP/1.1
        Content-Length and close-delimited bodies), the socket receives straight into
        `buffer` -- no bytes object at all. Otherwise each decoded piece is copied once into
        `buffer`, straight from the piece; what does not fit stays as a view of that piece
        for the next call. A read response copies from its stored content. Caps apply as in
        `iter_bytes`; the response is closed once the end is reached.
        """
        target = _writable(buffer)
        if not target.nbytes:
            return 0
        direct = self.__dict__.get("_direct")
        if direct is None:
            direct = self._direct = self._can_read_directly(SyncByteStream)
        if direct:
            count: int = typing.cast(typing.Any, self.stream).readinto(target)
            self._num_bytes_downloaded += count
            if not count:
                self.close()
            return count
        pending = self._pending_piece()
        if not pending:
            if self._content is not None:
                return 0
            reader = self.__dict__.get("_reader")
            if reader is None:
                reader = self._reader = self.iter_bytes()
            piece = next(reader, None)
            if piece is None:
                return 0
            pending = memoryview(piece)
        return self._copy_out(pending, target)

    async def areadinto(self, buffer: WritableBuffer) -> int:
        """`readinto` for an async stream."""
        target = _writable(buffer)
        if not target.nbytes:
            return 0
        direct = self.__dict__.get("_direct")
        if direct is None:
            direct = self._direct = self._can_read_directly(AsyncByteStream)
        if direct:
            count: int = await typing.cast(typing.Any, self.stream).readinto(target)
            self._num_bytes_downloaded += count
            if not count:
                await self.aclose()
            return count
        pending = self._pending_piece()
        if not pending:
            if self._content is not None:
                return 0
            reader = self.__dict__.get("_areader")
            if reader is None:
                reader = self._areader = self.aiter_bytes()
            try:
                piece = await reader.__anext__()
            except StopAsyncIteration:
                return 0
            pending = memoryview(piece)
        return self._copy_out(pending, target)

    def _can_read_directly(self, kind: type[SyncByteStream] | type[AsyncByteStream]) -> bool:
        # Decided at the first readinto: a fresh stream of the right kind, from a transport
        # that reads into buffers, whose bytes are the body as it is (no coding, no cap to
        # count against).
        stream = self.stream
        if (
            self._content is not None
            or self.is_stream_consumed
            or self.is_closed
            or not isinstance(stream, _buffer_reading_streams(kind))
            or _coded(self.headers)
            or self._caps is not None
        ):
            return False
        self._check_stream(kind)
        self.is_stream_consumed = True
        self._num_bytes_downloaded = 0
        return True

    def _pending_piece(self) -> memoryview:
        # What the last readinto left over; a read response starts with its whole content.
        pending: memoryview | None = self.__dict__.get("_pending")
        if pending is None:
            pending = memoryview(b"" if self._content is None else self._content)
            self._pending = pending
        return pending

    def _copy_out(self, pending: memoryview, target: memoryview) -> int:
        count = min(pending.nbytes, target.nbytes)
        target[:count] = pending[:count]
        self._pending = pending[count:]
        return count

    def as_file(self) -> ResponseFile:
        """The decoded body as a read-only, non-seekable binary file (`io.BufferedIOBase`),
        for code that reads files: `json.load(f)`, `csv.reader(io.TextIOWrapper(f))`,
        `tarfile.open(fileobj=f, mode="r|*")`, `shutil.copyfileobj(f, out)`. It reads through
        `readinto`, so it shares its position with it; closing the file closes the response.
        A sync response only: async code reads with `areadinto`."""
        if not isinstance(self.stream, SyncByteStream) and self._content is None:
            raise RuntimeError("Attempted to open an async stream as a sync file.")
        return ResponseFile(self)

    # -- streaming: sync ----------------------------------------------------------------------

    def iter_raw(self, chunk_size: int | None = None) -> Iterator[bytes]:
        """The body as the stream delivers it (no Content-Encoding decoding), re-cut to
        `chunk_size` bytes. Closes the response once the stream is exhausted."""
        self._check_stream(SyncByteStream)
        chunker = _cstream.ByteChunker(chunk_size)
        self.is_stream_consumed = True
        self._num_bytes_downloaded = 0
        stream: Iterable[bytes] = typing.cast(SyncByteStream, self.stream)
        caps = self._caps
        if caps is not None and caps.max_response_bytes is not None:
            stream = self._capped_raw(stream, caps.max_response_bytes)
        with request_context(self._request):
            for raw in stream:
                # Counted before anything derived from it is yielded.
                self._num_bytes_downloaded += len(raw)
                yield from chunker.decode(raw)
        yield from chunker.flush()
        self.close()

    def iter_bytes(self, chunk_size: int | None = None) -> Iterator[bytes]:
        """The decoded body, re-cut to `chunk_size` bytes (None: in pieces as they come,
        never empty, at most 64 KiB each when the body is compressed)."""
        return self._drive(lambda: byte_stage(chunk_size), chunk_size)

    def iter_text(self, chunk_size: int | None = None) -> Iterator[str]:
        """The decoded body as text in `encoding`, re-cut to `chunk_size` characters."""
        return self._drive(lambda: text_stage(self.encoding or "utf-8", chunk_size), None)

    def iter_lines(self, *, max_line_length: int | None = None) -> Iterator[str]:
        """The body's lines, split at \\n, \\r\\n and \\r, terminators removed.

        `max_line_length` (default: the client's cap, else none) bounds a line, terminator
        excluded, in bytes (in characters for encodings that are not ASCII-compatible): a
        longer line raises `ResponseTooLarge` as soon as the part received exceeds it (the
        lines completed earlier in the same received piece are not handed out)."""
        return self._drive(lambda: self._line_stage(max_line_length), None)

    def _line_stage(self, max_line_length: int | None) -> Stage[str]:
        if max_line_length is None and self._caps is not None:
            max_line_length = self._caps.max_line_length
        return line_stage(self.encoding or "utf-8", max_line_length)

    def iter_sse(
        self,
        *,
        max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
        max_line_length: int | None = None,
    ) -> Iterator[ServerSentEvent]:
        """The body's server-sent events (WHATWG parsing, UTF-8). `SSEError` if the media type
        is not text/event-stream, or when an event's data grows past `max_event_size` bytes
        (None: no bound). `max_line_length` (default: the client's cap, else none) bounds a
        line in bytes: a longer one raises `ResponseTooLarge`."""
        return iter_sse(self, max_event_size, max_line_length)

    def iter_json(
        self, *, on_error: OnError = "raise", max_line_length: int | None = None
    ) -> JSONLines:
        """The body as JSON lines: one value per line that is not blank (lines split at \\n,
        \\r\\n, \\r; UTF-8; a leading BOM dropped), as `json.loads` gives it (orjson parses
        when installed). A malformed line raises `DecodingError` naming its 1-based number,
        the parser's error chained, after the values before it; ``on_error="skip"`` passes
        it over and counts it in the iterator's `skipped`. `max_line_length` (default: the
        client's cap, else none) bounds a line in bytes: a longer one raises
        `ResponseTooLarge`."""
        return iter_json(self, on_error, max_line_length)

    def close(self) -> None:
        """Close the response and release the connection (idempotent)."""
        if not isinstance(self.stream, SyncByteStream):
            raise RuntimeError("Attempted to call an sync close on an async stream.")
        if not self.is_closed:
            self.is_closed = True
            self._stop_clock()
            try:
                self.stream.close()
            except RequestError as exc:
                _attach(exc, self._request)
                raise

    def _capped_raw(self, stream: Iterable[bytes], cap: int) -> Iterator[bytes]:
        # The raw pieces up to `max_response_bytes`; the one that crosses it is cut at the
        # cap, then the response is closed (freeing its connection) and the error raised.
        room = cap
        for raw in stream:
            if len(raw) > room:
                if room:
                    yield raw[:room]
                self.close()
                raise self._too_large("max_response_bytes", cap)
            room -= len(raw)
            yield raw

    def _too_large(self, name: str, cap: int) -> ResponseTooLarge:
        return ResponseTooLarge(f"response body exceeded {name}={cap}", request=self._request)

    def _max_decoded_bytes(self) -> int | None:
        caps = self._caps
        return None if caps is None else caps.max_decoded_bytes

    def _drive(self, make_stage: Callable[[], Stage[T]], chunk_size: int | None) -> Iterator[T]:
        # The sync loop of iter_bytes/iter_text/iter_lines: batches flattened in C, so an item
        # (a line, say) costs no generator step of its own. Lazy: nothing runs before the first
        # next(); the encoding is resolved then, before the state checks.
        batches = self._drive_batches(make_stage, chunk_size)
        items = typing.cast("_Items[T]", _Items.from_iterable(batches))
        items._batches = batches
        return items

    def _drive_batches(
        self, make_stage: Callable[[], Stage[T]], chunk_size: int | None
    ) -> Generator[Iterable[T], None, None]:
        stage = make_stage()
        if self._content is not None:
            yield from self._replay(stage, self._content)
            return
        self._check_stream(SyncByteStream)
        raw_chunks = typing.cast(Generator[bytes, None, None], self.iter_raw())
        pipeline: Pipeline[T] | None = None
        try:
            # overlap: a big gzip/deflate body is inflated on a worker thread while this one
            # receives (`_overlap`); `close()` below waits for the worker however we leave.
            pipeline = Pipeline(
                content_decoder(self.headers, chunk_size),
                stage,
                self._max_decoded_bytes(),
                overlap=True,
            )
            for raw in raw_chunks:
                yield from pipeline.feed(raw)
            yield from pipeline.finish()
        except _cstream.DecodeError as exc:
            raw_chunks.close()
            self.close()
            raise decoding_error(exc, self._request) from exc
        except UnicodeError:
            raw_chunks.close()
            self.close()
            raise
        finally:
            if pipeline is not None:
                pipeline.close()

    # -- streaming: async ---------------------------------------------------------------------

    async def aiter_raw(self, chunk_size: int | None = None) -> AsyncIterator[bytes]:
        """`iter_raw` for an async stream."""
        self._check_stream(AsyncByteStream)
        chunker = _cstream.ByteChunker(chunk_size)
        self.is_stream_consumed = True
        self._num_bytes_downloaded = 0
        stream = typing.cast(AsyncByteStream, self.stream)
        # The stream's iterator is closed here when this one stops early, not left to the
        # event loop's finalizer.
        iterator: AsyncIterator[bytes] = stream.__aiter__()
        caps = self._caps
        if caps is not None and caps.max_response_bytes is not None:
            iterator = self._acapped_raw(iterator, caps.max_response_bytes)
        try:
            with request_context(self._request):
                async for raw in iterator:
                    self._num_bytes_downloaded += len(raw)
                    for chunk in chunker.decode(raw):
                        yield chunk
        finally:
            await aclose_iterator(iterator)
        for chunk in chunker.flush():
            yield chunk
        await self.aclose()

    def aiter_bytes(self, chunk_size: int | None = None) -> AsyncIterator[bytes]:
        """`iter_bytes` for an async stream."""
        return self._adrive(lambda: byte_stage(chunk_size), chunk_size)

    def aiter_text(self, chunk_size: int | None = None) -> AsyncIterator[str]:
        """`iter_text` for an async stream."""
        return self._adrive(lambda: text_stage(self.encoding or "utf-8", chunk_size), None)

    def aiter_lines(self, *, max_line_length: int | None = None) -> AsyncIterator[str]:
        """`iter_lines` for an async stream."""
        return self._adrive(lambda: self._line_stage(max_line_length), None)

    def aiter_sse(
        self,
        *,
        max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
        max_line_length: int | None = None,
    ) -> AsyncIterator[ServerSentEvent]:
        """`iter_sse` for an async stream."""
        return aiter_sse(self, max_event_size, max_line_length)

    def aiter_json(
        self, *, on_error: OnError = "raise", max_line_length: int | None = None
    ) -> AsyncJSONLines:
        """`iter_json` for an async stream."""
        return aiter_json(self, on_error, max_line_length)

    async def aclose(self) -> None:
        """`close()` for an async stream."""
        if not isinstance(self.stream, AsyncByteStream):
            raise RuntimeError("Attempted to call an async close on an sync stream.")
        if not self.is_closed:
            self.is_closed = True
            self._stop_clock()
            try:
                await self.stream.aclose()
            except RequestError as exc:
                _attach(exc, self._request)
                raise

    async def _acapped_raw(self, raw_iter: AsyncIterator[bytes], cap: int) -> AsyncIterator[bytes]:
        # `_capped_raw` for an async stream.
        room = cap
        try:
            async for raw in raw_iter:
                if len(raw) > room:
                    if room:
                        yield raw[:room]
                    await self.aclose()
                    raise self._too_large("max_response_bytes", cap)
                room -= len(raw)
                yield raw
        finally:
            await aclose_iterator(raw_iter)

    async def _adrive(
        self, make_stage: Callable[[], Stage[T]], chunk_size: int | None
    ) -> AsyncIterator[T]:
        # `_drive` with an async loop; the same objects, the same order of events.
        stage = make_stage()
        if self._content is not None:
            for batch in self._replay(stage, self._content):
                for item in batch:
                    yield item
            return
        self._check_stream(AsyncByteStream)
        raw_chunks = typing.cast(AsyncGenerator[bytes, None], self.aiter_raw())
        try:
            pipeline = Pipeline(
                content_decoder(self.headers, chunk_size), stage, self._max_decoded_bytes()
            )
            async for raw in raw_chunks:
                for batch in pipeline.feed(raw):
                    for item in batch:
                        yield item
            for batch in pipeline.finish():
                for item in batch:
                    yield item
        except _cstream.DecodeError as exc:
            await raw_chunks.aclose()
            await self.aclose()
            raise decoding_error(exc, self._request) from exc
        except UnicodeError:
            await raw_chunks.aclose()
            await self.aclose()
            raise
        finally:
            await raw_chunks.aclose()  # stopped early: close the raw iterator now

    # -- shared -------------------------------------------------------------------------------

    def _replay(self, stage: Stage[T], content: bytes) -> Iterable[list[T]]:
        # A read body through a stage, as two batches made at once (the stage's step returns
        # its items as a list anyway); a line cap crossed here raises as on a stream, after
        # the items of the lines before the over-long one.
        try:
            return (stage.step(content) if content else [], stage.end())
        except LinesBeforeTooLong as exc:
            return self._replay_cut_short(exc.items, exc)
        except _cstream.DecodeError as exc:
            raise decoding_error(exc, self._request) from exc

    def _replay_cut_short(self, items: list[T], exc: LinesBeforeTooLong) -> Iterator[list[T]]:
        yield items
        raise decoding_error(exc, self._request) from exc

    def _check_stream(self, kind: type[SyncByteStream] | type[AsyncByteStream]) -> None:
        if self.is_stream_consumed:
            raise StreamConsumed()
        if self.is_closed:
            raise StreamClosed()
        if not isinstance(self.stream, kind):
            if kind is SyncByteStream:
                raise RuntimeError("Attempted to call a sync iterator on an async stream.")
            raise RuntimeError("Attempted to call an async iterator on an sync stream.")

    def __getstate__(self) -> dict[str, typing.Any]:
        return {name: value for name, value in self.__dict__.items() if name not in _UNPICKLED}

    def __setstate__(self, state: dict[str, typing.Any]) -> None:
        self.__dict__.update(state)
        self.is_closed = True
        self.extensions = {}
        # Unread streaming content is gone: reading raises StreamClosed.
        self.stream = UnattachedStream()


def _buffer_reading_streams(
    kind: type[SyncByteStream] | type[AsyncByteStream],
) -> type[SyncByteStream] | type[AsyncByteStream]:
    # The transport streams whose `readinto` receives into a caller's buffer (imported
    # here: the transports import this module).
    if kind is SyncByteStream:
        from ._transports._http11 import ResponseStream

        return ResponseStream
    from ._transports._async_http11 import AsyncResponseStream

    return AsyncResponseStream


def _writable(buffer: WritableBuffer) -> memoryview:
    # A flat byte view of the caller's buffer; read-only ones are refused up front, not only
    # when there is something to copy.
    target = memoryview(buffer)
    if target.readonly:
        raise TypeError("readinto() needs a writable buffer")
    return target.cast("B") if target.format != "B" or target.ndim != 1 else target


class ResponseFile(io.BufferedIOBase):
    """`Response.as_file()`: a response's decoded body as a readable, non-seekable file."""

    def __init__(self, response: Response) -> None:
        super().__init__()
        self._response = response

    @property
    def name(self) -> str:
        """The URL the response came from ("" when it has no request)."""
        request = self._response._request
        return "" if request is None else str(request.url)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WritableBuffer) -> int:
        self._check_open()
        return self._response.readinto(buffer)

    def readinto1(self, buffer: WritableBuffer) -> int:
        return self.readinto(buffer)

    def read(self, size: int | None = -1) -> bytes:
        """Up to `size` bytes (fewer only at the end); all that is left for None or < 0."""
        self._check_open()
        if size is None or size < 0:
            return self._read_all()
        out = bytearray(size)
        view = memoryview(out)
        filled = 0
        while filled < size:
            count = self._response.readinto(view[filled:])
            if not count:
                break
            filled += count
        del view
        del out[filled:]
        return bytes(out)

    def read1(self, size: int = -1) -> bytes:
        """At most `size` bytes with at most one read from the body (all of one piece for
        size < 0); b"" at the end."""
        self._check_open()
        if size < 0:
            size = 1 << 20
        out = bytearray(size)
        count = self._response.readinto(out)
        del out[count:]
        return bytes(out)

    def _read_all(self) -> bytes:
        pieces: list[bytes] = []
        chunk = bytearray(1 << 16)
        while True:
            count = self._response.readinto(chunk)
            if not count:
                return b"".join(pieces)
            pieces.append(bytes(chunk[:count]))

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed file.")

    def close(self) -> None:
        if not self.closed:
            super().close()
            self._response.close()


def _content_type_charset(content_type: str) -> str | None:
    """The charset parameter of a Content-Type value, parsed as `email.message` does."""
    message = email.message.Message()
    message["content-type"] = content_type
    return message.get_content_charset(failobj=None)


def _parse_links(value: str) -> list[dict[str, str]]:
    """`<url>; key=value; ..., <url>; ...` as one dict per link (`url` plus its params).

    Lenient, as httpx: quotes and spaces around the parts are dropped, and a link's params stop
    at the first one that is not exactly one `key=value`.
    """
    value = value.strip(_LINK_QUOTES)
    if not value:
        return []
    links = []
    for part in _LINK_SPLIT.split(value):
        url, _, params = part.partition(";")
        link = {"url": url.strip("<>" + _LINK_QUOTES)}
        for param in params.split(";"):
            key_value = param.split("=")
            if len(key_value) != 2:
                break
            link[key_value[0].strip(_LINK_QUOTES)] = key_value[1].strip(_LINK_QUOTES)
        links.append(link)
    return links


# -- elapsed --------------------------------------------------------------------------------


def time_on_close(response: Response, start: float) -> None:
    """Make closing `response` set `response.elapsed` to the time since `start` (a
    `time.perf_counter()` value taken when the request was handed to the transport).

    For clients: call it on the transport's response, before handing it out. As in httpx, the
    time is taken when the response's stream is closed -- by `close()`/`aclose()`, by reading
    the body to the end, or by a decoding error -- and never for a response closed already.
    """
    if not response.is_closed:
        response._clock = start
