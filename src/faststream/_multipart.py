"""`multipart/form-data` request bodies (`files=`, with `data=` as plain fields).

The body is streamed: file objects are read in pieces of at most `CHUNK_SIZE` bytes each time
the stream is iterated (after seeking them back to the start, so a body can be sent again), and
never held whole in memory. `Content-Length` is computed without reading any file when every
file's size can be found (regular files, seekable objects); otherwise the body is sent chunked.

Each field is written as

```
--{boundary}\r\n
Content-Disposition: form-data; name="{name}"[; filename="{filename}"]\r\n
[{header}: {value}\r\n ...]
\r\n
{data}\r\n
```

and the body ends with `--{boundary}--\r\n`.
"""

from __future__ import annotations

import io
import itertools
import mimetypes
import os
import re
import stat
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path

from ._streams import CHUNK_SIZE, AsyncByteStream, SyncByteStream
from ._types import FileContent, FileTypes, RequestData, RequestFiles
from ._urls import primitive_value_to_str

__all__ = [
    "DataField",
    "FileField",
    "MultipartStream",
    "get_multipart_boundary_from_content_type",
]

# In a quoted `name=`/`filename=` parameter (the HTML5 form rules): `"` is percent-encoded,
# `\` doubled, and C0 control characters other than ESC percent-encoded.
_PARAM_ESCAPES: dict[str, str] = {'"': "%22", "\\": "\\\\"}
_PARAM_ESCAPES.update({chr(code): f"%{code:02X}" for code in range(0x20) if code != 0x1B})
_PARAM_SPECIALS = re.compile("[" + re.escape("".join(_PARAM_ESCAPES)) + "]")


def _form_param(name: str, value: str) -> bytes:
    escaped = _PARAM_SPECIALS.sub(lambda match: _PARAM_ESCAPES[match.group()], value)
    return f'{name}="{escaped}"'.encode()


def _as_bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def get_multipart_boundary_from_content_type(content_type: bytes | None) -> bytes | None:
    """The `boundary` parameter of a `multipart/form-data` Content-Type, or None."""
    if not content_type or not content_type.startswith(b"multipart/form-data"):
        return None
    for param in content_type.split(b";")[1:]:
        param = param.strip()
        if param.lower().startswith(b"boundary="):
            return param[len(b"boundary=") :].strip(b'"')
    return None


def _file_size_from_start(file: object) -> int | None:
    """The full size of a file object that will be read from its start, found without
    reading it; None when it cannot be found (pipes, sockets, unseekable streams)."""
    try:
        info = os.fstat(file.fileno())  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError, TypeError):
        pass
    else:
        if stat.S_ISREG(info.st_mode):
            return info.st_size
    try:
        position = file.tell()  # type: ignore[attr-defined]
        end = file.seek(0, os.SEEK_END)  # type: ignore[attr-defined]
        file.seek(position)  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError, TypeError):
        return None
    return end if isinstance(end, int) else None


class DataField:
    """A plain form field from `data=`: a str name and a str, bytes, number, bool or None."""

    def __init__(self, name: str, value: str | bytes | int | float | None) -> None:
        if not isinstance(name, str):
            raise TypeError(f"Invalid type for name. Expected str, got {type(name)}: {name!r}")
        if value is not None and not isinstance(value, (str, bytes, int, float)):
            raise TypeError(
                f"Invalid type for value. Expected primitive type, got {type(value)}: {value!r}"
            )
        self.name = name
        self.value: str | bytes = (
            value if isinstance(value, bytes) else primitive_value_to_str(value)
        )
        self._head = b"".join(
            [b"Content-Disposition: form-data; ", _form_param("name", name), b"\r\n\r\n"]
        )
        self._data = _as_bytes(self.value)

    def render_headers(self) -> bytes:
        return self._head

    def render_data(self) -> bytes:
        return self._data

    def get_length(self) -> int:
        return len(self._head) + len(self._data)

    def render(self) -> Iterator[bytes]:
        yield self._head
        yield self._data


class FileField:
    """A file field from `files=`: `file`, `(filename, file)`, `(filename, file, content_type)`
    or `(filename, file, content_type, headers)`, where `file` is a binary file object, bytes
    or str. Without a filename the name of the file object is used (`upload` if it has none);
    without a content type one is guessed from the filename."""

    def __init__(self, name: str, value: FileTypes) -> None:
        headers: dict[str, str] = {}
        content_type: str | None = None
        filename: str | None
        file: FileContent
        if isinstance(value, tuple):
            if len(value) == 2:
                filename, file = value
            elif len(value) == 3:
                filename, file, content_type = value
            else:
                filename, file, content_type, given = value
                headers = dict(given)
        else:
            filename = Path(str(getattr(value, "name", "upload"))).name
            file = value

        if content_type is None and filename:
            content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        # Any header whose name contains "content-type" counts as one (httpx's rule); the
        # content type from the tuple is then not added.
        if content_type is not None and not any("content-type" in k.lower() for k in headers):
            headers["Content-Type"] = content_type

        checked: object = file  # annotations promise bytes; callers may still pass text
        if isinstance(checked, io.StringIO):
            raise TypeError("Multipart file uploads require 'io.BytesIO', not 'io.StringIO'.")
        if isinstance(checked, io.TextIOBase):
            raise TypeError("Multipart file uploads must be opened in binary mode, not text mode.")

        self.name = name
        self.filename = filename
        self.file = file
        self.headers = headers
        parts = [b"Content-Disposition: form-data; ", _form_param("name", name)]
        if filename:
            parts += [b"; ", _form_param("filename", filename)]
        for key, header_value in headers.items():
            parts += [f"\r\n{key}: ".encode(), header_value.encode()]
        parts.append(b"\r\n\r\n")
        self._head = b"".join(parts)

    def render_headers(self) -> bytes:
        return self._head

    def get_length(self) -> int | None:
        """Part headers plus file size, or None when the file's size cannot be found."""
        if isinstance(self.file, (str, bytes)):
            return len(self._head) + len(_as_bytes(self.file))
        size = _file_size_from_start(self.file)
        return None if size is None else len(self._head) + size

    def render_data(self) -> Iterator[bytes]:
        """The file's bytes, from its start, in pieces of at most `CHUNK_SIZE` bytes."""
        file = self.file
        if isinstance(file, (str, bytes)):
            yield _as_bytes(file)
            return
        if hasattr(file, "seek"):
            try:
                file.seek(0)
            except io.UnsupportedOperation:
                pass
        while True:
            piece = file.read(CHUNK_SIZE)
            if not piece:
                return
            yield _as_bytes(piece)

    def render(self) -> Iterator[bytes]:
        yield self._head
        yield from self.render_data()


class MultipartStream(SyncByteStream, AsyncByteStream):
    """A `multipart/form-data` body, streamed; iterable again (files are re-read from the
    start). `boundary` defaults to 32 random hex digits."""

    def __init__(
        self, data: RequestData, files: RequestFiles, boundary: bytes | None = None
    ) -> None:
        if boundary is None:
            boundary = os.urandom(16).hex().encode("ascii")
        self.boundary = boundary
        self.content_type = "multipart/form-data; boundary=" + boundary.decode("ascii")
        fields: list[DataField | FileField] = []
        for name, value in data.items():
            for item in value if isinstance(value, (list, tuple)) else [value]:
                fields.append(DataField(name, item))
        file_items = files.items() if isinstance(files, Mapping) else files
        for name, file_value in file_items:
            fields.append(FileField(name, file_value))
        self.fields = fields

    def iter_chunks(self) -> Iterator[bytes]:
        """The body's pieces. Small in-memory pieces (delimiters, part headers, short values)
        are joined into pieces of up to `CHUNK_SIZE` bytes; file data comes in pieces of at
        most `CHUNK_SIZE` bytes; an in-memory value longer than that is passed on as it is."""
        pending: list[bytes] = []
        pending_size = 0
        delimiter = b"--" + self.boundary + b"\r\n"
        for field in self.fields:
            for piece in itertools.chain((delimiter,), field.render()):
                if pending_size + len(piece) > CHUNK_SIZE and pending:
                    yield b"".join(pending)
                    pending, pending_size = [], 0
                if len(piece) >= CHUNK_SIZE:
                    yield piece
                else:
                    pending.append(piece)
                    pending_size += len(piece)
            pending.append(b"\r\n")
            pending_size += 2
        pending.append(b"--" + self.boundary + b"--\r\n")
        yield b"".join(pending)

    def get_content_length(self) -> int | None:
        """The body's length, computed without reading any file; None if a file's size
        cannot be found."""
        per_field = len(self.boundary) + 6  # b"--" boundary b"\r\n" ... b"\r\n"
        total = len(self.boundary) + 6  # b"--" boundary b"--\r\n"
        for field in self.fields:
            length = field.get_length()
            if length is None:
                return None
            total += per_field + length
        return total

    def get_headers(self) -> dict[str, str]:
        length = self.get_content_length()
        if length is None:
            return {"Transfer-Encoding": "chunked", "Content-Type": self.content_type}
        return {"Content-Length": str(length), "Content-Type": self.content_type}

    def __iter__(self) -> Iterator[bytes]:
        yield from self.iter_chunks()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self.iter_chunks():
            yield piece
