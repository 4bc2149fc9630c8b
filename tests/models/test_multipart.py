"""Multipart bodies (`files=`): byte-for-byte equal to httpx 0.28.1 for the same inputs and
boundary, Content-Length equal to the body's length, and file objects streamed in bounded
pieces without being read whole."""

from __future__ import annotations

import asyncio
import io
import os
import re
import typing
from collections.abc import Callable

import httpx
import pytest
from httpx import _content as httpx_content

from faststream._content import CHUNK_SIZE, encode_request
from faststream._multipart import (
    DataField,
    FileField,
    MultipartStream,
    get_multipart_boundary_from_content_type,
)
from faststream._request import Request


class RecordingReader:
    """Wraps a real binary file and records every read size (it keeps `fileno`, `seek` and
    `tell`, so its size is knowable without reading)."""

    def __init__(self, file: typing.BinaryIO) -> None:
        self._file = file
        self.name = file.name
        self.reads: list[int] = []

    def fileno(self) -> int:
        return self._file.fileno()

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def read(self, size: int = -1) -> bytes:
        self.reads.append(size)
        return self._file.read(size)


class UnsizedReader:
    """A binary reader with no fileno/seek/tell: its size cannot be known."""

    def __init__(self, data: bytes) -> None:
        self._buffer = io.BytesIO(data)
        self.reads: list[int] = []

    def read(self, size: int = -1) -> bytes:
        self.reads.append(size)
        return self._buffer.read(size)


def body_of(stream: typing.Any) -> bytes:
    return b"".join(stream)


Factory = Callable[[], dict[str, typing.Any]]

CASES: dict[str, Factory] = {
    "bytes file": lambda: {"files": {"f": b"content"}},
    "str file": lambda: {"files": {"f": "h\u00e9llo"}},
    "BytesIO file": lambda: {"files": {"f": io.BytesIO(b"abc")}},
    "named tuple": lambda: {"files": {"f": ("report.csv", b"a,b\n")}},
    "tuple with content type": lambda: {"files": {"f": ("a.bin", b"x", "application/x-thing")}},
    "tuple with None content type guesses": lambda: {"files": {"f": ("a.json", b"{}", None)}},
    "tuple with headers": lambda: {
        "files": {"f": ("a.txt", b"x", "text/x", {"X-Extra": "1", "X-Other": "\u00e9"})}
    },
    "headers with content-type win": lambda: {
        "files": {"f": ("a.txt", b"x", "text/x", {"Content-Type": "image/gif"})}
    },
    "any name containing content-type counts": lambda: {
        "files": {"f": ("a.txt", b"x", None, {"X-Content-Type-Options": "nosniff"})}
    },
    "no filename": lambda: {"files": {"f": (None, b"x")}},
    "empty filename": lambda: {"files": {"f": ("", b"x", "text/plain")}},
    "unknown extension": lambda: {"files": {"f": ("blob.zzzunknown", b"x")}},
    "escaped name and filename": lambda: {
        "files": {'we"ird\\\x01\x1b\u00e9': ('q"uo\\te\r\n\x1b\u00e9.png', b"x")}
    },
    "list of pairs, repeated name": lambda: {
        "files": [("f", b"one"), ("f", ("two.txt", b"two")), ("g", io.BytesIO(b"3"))]
    },
    "data fields": lambda: {
        "files": {"f": b"x"},
        "data": {
            "s": "text \u00e9",
            "b": b"\xff\x00",
            "i": 1,
            "fl": 2.5,
            "t": True,
            "fa": False,
            "n": None,
            "l": ["a", 1, None],
            "tu": ("x", "y"),
            'na"me': "v",
        },
    },
    "empty data value": lambda: {"files": {"f": b""}, "data": {"e": ""}},
    "empty bytes file": lambda: {"files": {"f": ("empty.txt", b"")}},
}


@pytest.mark.parametrize("name", CASES)
def test_multipart_matches_httpx_byte_for_byte(name: str) -> None:
    theirs_headers, theirs_stream = httpx_content.encode_request(
        **CASES[name](), boundary=b"fixed-boundary"
    )
    ours_headers, ours_stream = encode_request(**CASES[name](), boundary=b"fixed-boundary")
    assert ours_headers == theirs_headers
    assert list(ours_headers) == list(theirs_headers)
    ours_body = body_of(ours_stream)
    assert ours_body == body_of(theirs_stream)
    assert ours_headers["Content-Length"] == str(len(ours_body))


@pytest.mark.parametrize("name", CASES)
def test_multipart_request_matches_httpx_with_boundary_in_content_type(name: str) -> None:
    headers = {"Content-Type": "multipart/form-data; boundary=from-header"}
    theirs = httpx.Request("POST", "https://example.org/up", headers=headers, **CASES[name]())
    ours = Request("POST", "https://example.org/up", headers=headers, **CASES[name]())
    assert ours.headers.multi_items() == theirs.headers.multi_items()
    assert ours.read() == theirs.read()
    assert ours.content.startswith(b"--from-header\r\n")
    assert ours.content.endswith(b"\r\n--from-header--\r\n")


def test_random_boundary_is_32_hex_digits_and_fresh_each_time() -> None:
    first = MultipartStream(data={}, files={"f": b"x"})
    second = MultipartStream(data={}, files={"f": b"x"})
    assert re.fullmatch(rb"[0-9a-f]{32}", first.boundary)
    assert first.boundary != second.boundary
    assert first.content_type == "multipart/form-data; boundary=" + first.boundary.decode()


def test_random_boundary_body_equals_httpx_after_normalising() -> None:
    def normalise(headers: typing.Any, body: bytes) -> tuple[list[tuple[str, str]], bytes]:
        boundary = headers["content-type"].split("boundary=")[1]
        fixed = [(k, v.replace(boundary, "B")) for k, v in headers.multi_items()]
        return fixed, body.replace(boundary.encode(), b"B")

    files = {"f": ("a.txt", b"x")}
    theirs = httpx.Request("POST", "http://h/", files=files, data={"k": "v"})
    ours = Request("POST", "http://h/", files=files, data={"k": "v"})
    assert normalise(ours.headers, ours.read()) == normalise(theirs.headers, theirs.read())


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        (None, None),
        (b"", None),
        (b"multipart/form-data", None),
        (b"multipart/form-data; boundary=abc", b"abc"),
        (b'multipart/form-data; charset=utf-8; BOUNDARY="q q"', b"q q"),
        (b"multipart/form-data;boundary=x;other=1", b"x"),
        (b"text/plain; boundary=abc", None),
        (b"multipart/mixed; boundary=abc", None),
    ],
)
def test_boundary_from_content_type(content_type: bytes | None, expected: bytes | None) -> None:
    assert get_multipart_boundary_from_content_type(content_type) == expected
    assert httpx._multipart.get_multipart_boundary_from_content_type(content_type) == expected


def test_content_type_without_boundary_keeps_the_header_and_uses_a_random_boundary() -> None:
    headers = {"Content-Type": "multipart/form-data"}
    ours = Request("POST", "http://h/", files={"f": b"x"}, headers=headers)
    assert ours.headers["content-type"] == "multipart/form-data"
    assert re.match(rb"--[0-9a-f]{32}\r\n", ours.read())


def test_filename_defaults() -> None:
    assert FileField("f", b"x").filename == "upload"
    assert FileField("f", "x").filename == "upload"
    named = io.BytesIO(b"x")
    named.name = "/some/dir/photo.jpg"
    field = FileField("f", named)
    assert field.filename == "photo.jpg"
    assert field.headers == {"Content-Type": "image/jpeg"}


def test_tuple_headers_are_not_mutated() -> None:
    # httpx adds Content-Type to the caller's dict; faststream leaves it alone.
    given = {"X-A": "1"}
    field = FileField("f", ("a.txt", b"x", None, given))
    assert given == {"X-A": "1"}
    assert field.headers == {"X-A": "1", "Content-Type": "text/plain"}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (io.StringIO("x"), "Multipart file uploads require 'io.BytesIO', not 'io.StringIO'."),
        (
            io.TextIOWrapper(io.BytesIO(b"x")),
            "Multipart file uploads must be opened in binary mode, not text mode.",
        ),
    ],
)
def test_text_files_are_refused(value: typing.Any, message: str) -> None:
    with pytest.raises(TypeError) as theirs:
        httpx.Request("POST", "http://h/", files={"f": value})
    with pytest.raises(TypeError) as ours:
        Request("POST", "http://h/", files={"f": value})
    assert str(ours.value) == str(theirs.value) == message


@pytest.mark.parametrize(
    "data",
    [{"a": object()}, {1: "a"}, {"a": [b"ok", {"no": 1}]}],
    ids=["bad value", "bad name", "bad item"],
)
def test_bad_data_fields_are_type_errors_like_httpx(data: typing.Any) -> None:
    with pytest.raises(TypeError) as theirs:
        httpx.Request("POST", "http://h/", files={"f": b"x"}, data=data)
    with pytest.raises(TypeError) as ours:
        Request("POST", "http://h/", files={"f": b"x"}, data=data)
    assert re.sub(r"0x[0-9a-f]+", "", str(ours.value)) == re.sub(
        r"0x[0-9a-f]+", "", str(theirs.value)
    )


@pytest.mark.parametrize("value", [("a.txt",), ("a", b"x", "t", {}, 5)])
def test_bad_tuple_lengths_are_value_errors(value: typing.Any) -> None:
    with pytest.raises(ValueError):
        httpx.Request("POST", "http://h/", files={"f": value})
    with pytest.raises(ValueError):
        Request("POST", "http://h/", files={"f": value})


def test_data_field_renders_like_httpx() -> None:
    field = DataField("n", 3)
    assert field.render_headers() == b'Content-Disposition: form-data; name="n"\r\n\r\n'
    assert field.render_data() == b"3"
    assert field.get_length() == len(b"".join(field.render()))


# -- streaming: bounded pieces, never read whole, Content-Length without reading ---------


def test_big_file_streamed_in_bounded_pieces_with_known_length(tmp_path: typing.Any) -> None:
    path = tmp_path / "big.bin"
    size = 8 * 1024 * 1024 + 17
    with path.open("wb") as out:
        for _ in range(size // (1024 * 1024)):
            out.write(os.urandom(1024 * 1024))
        out.write(os.urandom(size % (1024 * 1024)))
    with path.open("rb") as raw:
        reader = RecordingReader(raw)
        stream = MultipartStream(
            data={"k": "v"}, files={"f": typing.cast(typing.Any, reader)}, boundary=b"bb"
        )
        headers = stream.get_headers()
        assert reader.reads == []  # the length came from fstat, not from reading
        total = 0
        biggest = 0
        for piece in stream:
            total += len(piece)
            biggest = max(biggest, len(piece))
        assert biggest <= CHUNK_SIZE
        assert max(reader.reads) <= CHUNK_SIZE
        assert -1 not in reader.reads
        assert headers["Content-Length"] == str(total)
        expected_overhead = len(
            b"--bb\r\n"
            b'Content-Disposition: form-data; name="k"\r\n\r\nv\r\n'
            b"--bb\r\n"
            b'Content-Disposition: form-data; name="f"; filename="big.bin"\r\n'
            b"Content-Type: application/octet-stream\r\n\r\n"
            b"\r\n--bb--\r\n"
        )
        assert total == size + expected_overhead


def test_file_content_matches_and_pieces_are_bounded(tmp_path: typing.Any) -> None:
    path = tmp_path / "data.txt"
    data = os.urandom(3 * CHUNK_SIZE + 1)
    path.write_bytes(data)
    with path.open("rb") as file:
        headers, stream = encode_request(files={"f": file}, boundary=b"x")
        pieces = list(typing.cast(MultipartStream, stream))
    body = b"".join(pieces)
    assert data in body
    assert max(len(p) for p in pieces) <= CHUNK_SIZE
    assert headers["Content-Length"] == str(len(body))
    with path.open("rb") as file:
        theirs_headers, theirs = httpx_content.encode_request(files={"f": file}, boundary=b"x")
        assert theirs_headers == headers
        assert body_of(theirs) == body


def test_unsized_file_makes_the_body_chunked_and_is_read_in_bounded_pieces() -> None:
    data = b"u" * (2 * CHUNK_SIZE + 3)
    reader = UnsizedReader(data)
    stream = MultipartStream(
        data={}, files={"f": ("u.bin", typing.cast(typing.Any, reader))}, boundary=b"b"
    )
    assert stream.get_headers() == {
        "Transfer-Encoding": "chunked",
        "Content-Type": "multipart/form-data; boundary=b",
    }
    assert reader.reads == []
    pieces = list(stream)
    assert max(len(p) for p in pieces) <= CHUNK_SIZE
    assert reader.reads and all(size == CHUNK_SIZE for size in reader.reads)
    theirs = httpx_content.encode_request(
        files={"f": ("u.bin", typing.cast(typing.Any, UnsizedReader(data)))}, boundary=b"b"
    )
    assert theirs[0] == stream.get_headers()
    assert body_of(theirs[1]) == b"".join(pieces)


def test_pipe_file_is_chunked() -> None:
    # httpx takes a pipe's st_size (0) as its length and declares a wrong Content-Length.
    read_fd, write_fd = os.pipe()
    os.write(write_fd, b"piped")
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as pipe:
        headers, stream = encode_request(files={"f": ("p.txt", pipe)}, boundary=b"b")
        assert headers["Transfer-Encoding"] == "chunked"
        assert "Content-Length" not in headers
        assert b"\r\n\r\npiped\r\n--b--\r\n" in body_of(stream)


def test_file_at_an_offset_is_sent_from_its_start(tmp_path: typing.Any) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"0123456789")
    with path.open("rb") as file:
        file.seek(6)
        headers, stream = encode_request(files={"f": file}, boundary=b"b")
        body = body_of(stream)
    assert b"\r\n\r\n0123456789\r\n" in body
    assert headers["Content-Length"] == str(len(body))


def test_stream_can_be_iterated_again_and_async() -> None:
    buffer = io.BytesIO(b"replay me")
    stream = MultipartStream(data={"a": "1"}, files={"f": buffer}, boundary=b"b")
    first = b"".join(stream)
    assert b"".join(stream) == first

    async def collect() -> bytes:
        return b"".join([piece async for piece in stream])

    assert asyncio.run(collect()) == first
    assert stream.get_content_length() == len(first)


def test_small_pieces_are_joined() -> None:
    stream = MultipartStream(data={"a": "1", "b": "2"}, files={"f": b"x"}, boundary=b"b")
    pieces = list(stream)
    assert len(pieces) == 1  # a small form is one write, not one per delimiter
    assert pieces[0] == body_of(
        httpx_content.encode_request(data={"a": "1", "b": "2"}, files={"f": b"x"}, boundary=b"b")[1]
    )


def test_big_in_memory_value_is_passed_on_without_copying() -> None:
    big = b"v" * (CHUNK_SIZE * 2)
    stream = MultipartStream(data={}, files={"f": big}, boundary=b"b")
    pieces = list(stream)
    assert any(piece is big for piece in pieces)
    assert stream.get_content_length() == sum(len(p) for p in pieces)
