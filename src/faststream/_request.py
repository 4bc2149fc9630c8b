"""`Request`: an HTTP request, with httpx 0.28.1's behaviour.

```
request = Request("POST", "https://example.org/items", params={"page": 2}, json={"a": 1})
request.headers   # Host, Content-Length, Content-Type, in that order
request.content   # b'{"a":1}' -- in-memory bodies are read at construction
```

Streaming bodies (iterables, async iterables, file objects, multipart forms) are not read:
`request.content` raises `RequestNotRead` until `read()` / `aread()`.
"""

from __future__ import annotations

import typing
from collections.abc import AsyncIterable, Iterable

from ._content import UnattachedStream, encode_request
from ._cookies import Cookies
from ._exceptions import RequestNotRead
from ._headers import Headers
from ._multipart import get_multipart_boundary_from_content_type
from ._streams import AsyncByteStream, ByteStream, SyncByteStream
from ._types import (
    CookieTypes,
    HeaderTypes,
    RequestContent,
    RequestData,
    RequestExtensions,
    RequestFiles,
)
from ._urls import URL, QueryParamTypes

__all__ = ["Request"]

# Methods that always carry a body: without one they get `Content-Length: 0`.
_BODY_METHODS = ("POST", "PUT", "PATCH")


class Request:
    """An HTTP request.

    `method` is upper-cased; `url` is a `URL` or str, and `params` (when given, even `{}`)
    replaces its query string. The body comes from one of `content` (bytes, str, or a sync
    or async iterable of bytes, file objects included), `files` (multipart, with `data` as
    plain fields), `data` (a urlencoded form) or `json`; the headers it implies are added
    unless already given, after a `Host` header taken from the URL. `stream=` gives the body
    as a `SyncByteStream`/`AsyncByteStream` and adds no header at all.
    """

    _content: bytes

    def __init__(
        self,
        method: str,
        url: URL | str,
        *,
        params: QueryParamTypes | None = None,
        headers: HeaderTypes | None = None,
        cookies: CookieTypes | None = None,
        content: RequestContent | None = None,
        data: RequestData | None = None,
        files: RequestFiles | None = None,
        json: typing.Any | None = None,
        stream: SyncByteStream | AsyncByteStream | None = None,
        extensions: RequestExtensions | None = None,
    ) -> None:
        self.method = method.upper()
        if params is not None:
            self.url = URL(url, params=params)
        elif type(url) is URL:
            self.url = url  # URLs are immutable: shared, not copied
        else:
            self.url = URL(url)
        self.headers = Headers(headers)
        self.extensions: dict[str, typing.Any] = {} if extensions is None else dict(extensions)
        self.stream: SyncByteStream | AsyncByteStream

        if cookies:
            Cookies(cookies).set_cookie_header(self)

        if stream is not None:
            # A ready-made stream (a copied request, the server side of a transport): used
            # as it is, with no automatic header.
            self.stream = stream
            return

        if content is None and data is None and files is None and json is None:
            # No body (most GETs): what encode_request() would give, without its dispatch.
            self.stream = ByteStream(b"")
            self._content = b""
            self._add_automatic_headers(None)
            return

        boundary = None
        if files:
            # Only a multipart body uses a boundary the caller put in Content-Type.
            content_type = self.headers.get("content-type")
            boundary = get_multipart_boundary_from_content_type(
                content_type.encode(self.headers.encoding) if content_type else None
            )
        body_headers, self.stream = encode_request(
            content=content, data=data, files=files, json=json, boundary=boundary
        )
        self._add_automatic_headers(body_headers)
        if isinstance(self.stream, ByteStream):
            self.read()

    @classmethod
    def _bodiless(
        cls,
        method: str,
        url: URL,
        host: tuple[bytes, bytes, bytes] | None,
        fields: list[tuple[bytes, bytes, bytes]],
        scanned: tuple[bool, bool],
        extensions: dict[str, typing.Any],
    ) -> Request:
        """`Request(method, url, headers=headers, extensions=extensions)` with no body, no
        params and no cookies, for a client that built `url` and its `Host` field `host`
        (raw name, lower-cased name, value; None when the URL has no host) once, and found
        whether its header `fields` (`headers._fields`, copied here) name Host and a body
        length (`scanned`: `(has_host, has_length)`) once per list: the same request, without
        `__init__`'s dispatch. `extensions` is taken, not copied."""
        request = cls.__new__(cls)
        method = method.upper()
        request.method = method
        request.url = url
        has_host, has_length = scanned
        # What `_add_automatic_headers(None)` prepends, in its order.
        leading: list[tuple[bytes, bytes, bytes]] = []
        if host is not None and not has_host:
            leading.append(host)
        if method in _BODY_METHODS and not has_length:
            leading.append((b"Content-Length", b"content-length", b"0"))
        copied = Headers.__new__(Headers)
        # A copy's encoding is detected anew (not chosen), as `Headers(headers)` gives.
        copied._fields = leading + fields if leading else list(fields)
        copied._encoding = None
        copied._chosen = False
        request.headers = copied
        request.extensions = extensions
        request.stream = ByteStream(b"")
        request._content = b""
        return request

    def _add_automatic_headers(self, body_headers: dict[str, str] | None) -> None:
        headers = self.headers
        if body_headers:
            for name, value in body_headers.items():
                # An explicit Content-Length wins over chunked framing.
                if name.lower() == "transfer-encoding" and "Content-Length" in headers:
                    continue
                headers.setdefault(name, value)

        present = {field[1] for field in headers._fields}  # lower-cased names
        leading: list[tuple[bytes, bytes]] = []
        if b"host" not in present and self.url.host:
            leading.append((b"Host", self.url.netloc))
        if (
            self.method in _BODY_METHODS
            and b"content-length" not in present
            and b"transfer-encoding" not in present
        ):
            leading.append((b"Content-Length", b"0"))
        # Also with nothing to add: the encoding is detected anew afterwards, as httpx's
        # fresh `Headers(auto_headers + raw)` does.
        headers._prepend(leading)

    @property
    def content(self) -> bytes:
        """The body, once read (in-memory bodies are read at construction)."""
        try:
            return self._content
        except AttributeError:
            raise RequestNotRead() from None

    def read(self) -> bytes:
        """Read the whole body (a streaming body is read once, then kept) and return it."""
        if not hasattr(self, "_content"):
            stream = self.stream
            if not isinstance(stream, Iterable):
                raise RuntimeError("Attempted to call a sync iterator on an async stream.")
            self._content = b"".join(stream)
            self._replace_stream()
        return self._content

    async def aread(self) -> bytes:
        """Read the whole body asynchronously (once, then kept) and return it."""
        if not hasattr(self, "_content"):
            stream = self.stream
            if not isinstance(stream, AsyncIterable):
                raise RuntimeError("Attempted to call an async iterator on an sync stream.")
            self._content = b"".join([piece async for piece in stream])
            self._replace_stream()
        return self._content

    def _replace_stream(self) -> None:
        # Once read, a one-shot body (a generator, a file) becomes an in-memory one, so it
        # can be sent again (redirects, auth retries).
        if not isinstance(self.stream, ByteStream):
            self.stream = ByteStream(self._content)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}({self.method!r}, {str(self.url)!r})>"

    def __getstate__(self) -> dict[str, typing.Any]:
        # The stream and the extensions (which may hold live objects) are not pickled.
        return {
            name: value
            for name, value in self.__dict__.items()
            if name not in ("extensions", "stream")
        }

    def __setstate__(self, state: dict[str, typing.Any]) -> None:
        self.__dict__.update(state)
        self.extensions = {}
        # An unread streaming body is gone: reading raises StreamClosed.
        self.stream = UnattachedStream()
