"""Objects made without `__init__`, subclasses, and private iterators: never a crash.

The compiled types keep C-level state that their methods read without checks, so that state
must be valid from the moment the object exists (set in ``__cinit__``), and types whose
methods assume their own layout cannot be subclassed.
"""

from __future__ import annotations

import gzip
from typing import Any

import pytest

from .conftest import Implementation

HEAD = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"

# Every compiled type that callers construct, and a call that exercises its state.
FINAL_TYPES = [
    "ByteChunker",
    "TextChunker",
    "TextDecoder",
    "LineDecoder",
    "ByteLineDecoder",
    "IdentityDecoder",
    "GzipDecoder",
    "DeflateDecoder",
    "MultiDecoder",
    "ContentLengthReader",
    "ChunkedReader",
    "CloseDelimitedReader",
    "ResponseHeadParser",
]


def test_head_parser_made_by_new_alone_works_like_a_fresh_one(c_impl: Implementation) -> None:
    cls = c_impl.ResponseHeadParser
    parser = cls.__new__(cls)
    assert parser.next_head() is None  # no bytes yet: not a crash on a missing buffer
    parser.feed(HEAD)
    head = parser.next_head()
    assert head is not None and head[0] == 200 and head[4] == 2
    assert parser.done and parser.rest() == b"hi"


def test_head_parser_made_by_new_alone_pure(py_impl: Implementation) -> None:
    # The twin wraps h11 and has no state before __init__: a clean AttributeError.
    cls = py_impl.ResponseHeadParser
    with pytest.raises(AttributeError):
        cls.__new__(cls).next_head()


def test_chunked_reader_made_by_new_alone(c_impl: Implementation) -> None:
    cls = c_impl.ChunkedReader
    reader = cls.__new__(cls)
    assert reader.feed(b"2\r\nhi\r\n0\r\n\r\n") == [b"hi"]
    assert reader.done and reader.error is None


def _exercise(obj: Any) -> None:
    """Call what `obj` offers with ordinary input; only Python exceptions may come out."""
    for name, args in [
        ("decode", (b"1f8b\r\nab\rcd\n",)),
        ("decode", ("text\r\n",)),
        ("flush", ()),
        ("feed", (b"3\r\nabc\r\n0\r\n\r\n",)),
        ("feed_eof", ()),
        ("next_head", ()),
        ("rest", ()),
    ]:
        method = getattr(obj, name, None)
        if method is None:
            continue
        try:
            result = method(*args)
            if name in ("decode", "flush") and not isinstance(result, (str, list)):
                list(result)  # the content decoders' lazy pieces
        except Exception:  # any Python exception is fine; a crash is not
            pass


@pytest.mark.parametrize("name", FINAL_TYPES)
def test_new_without_init_never_crashes(impl: Implementation, name: str) -> None:
    cls = getattr(impl, name)
    obj = cls.__new__(cls)
    _exercise(obj)
    _exercise(obj)  # and again, in whatever state the first round left


@pytest.mark.parametrize("name", FINAL_TYPES)
def test_compiled_types_cannot_be_subclassed(c_impl: Implementation, name: str) -> None:
    cls = getattr(c_impl, name)
    with pytest.raises(TypeError):
        type("Sub", (cls,), {})


def test_decoder_piece_iterator_refuses_none(c_impl: Implementation) -> None:
    pieces = c_impl.GzipDecoder().decode(gzip.compress(b"abc"))
    with pytest.raises(TypeError):
        type(pieces)(None, 0, False)
    assert b"".join(pieces) == b"abc"


def test_serialize_many_fields_exact(impl: Implementation) -> None:
    # The head is written into a buffer sized in advance: every field, Host in the middle and
    # written first, long and empty values.
    headers = [(b"X-%d" % i, b"v" * (i * 37 % 300)) for i in range(200)]
    headers.insert(100, (b"Host", b"example.com"))
    head, framing = impl.serialize_request(b"GET", b"/p?q=1", headers)
    expected = b"GET /p?q=1 HTTP/1.1\r\nHost: example.com\r\n" + b"".join(
        name + b": " + value + b"\r\n" for name, value in headers if name != b"Host"
    )
    assert head == expected + b"\r\n"
    assert framing == 0
