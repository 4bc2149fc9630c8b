"""faststream's streaming core: sans-I/O transforms on bytes and str.

Every type exists twice, with the same names and behaviour: compiled with Cython (`_c`) and
as a pure-Python twin (`_pure`). This module picks one at import time:

* ``FASTSTREAM_NO_EXTENSIONS=1`` (or any interpreter other than CPython) selects the twins;
* otherwise the compiled types, falling back to the twins if they were not built, unless
  ``FASTSTREAM_REQUIRE_EXTENSIONS=1``, which makes a missing compiled module an ImportError.

`IMPLEMENTATION` says which one is in use: ``"c"`` or ``"python"``.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Literal

from ._errors import DecodeError, HeadError, LineTooLongError


def _flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0")


NO_EXTENSIONS: bool = _flag("FASTSTREAM_NO_EXTENSIONS") or sys.implementation.name != "cpython"
REQUIRE_EXTENSIONS: bool = _flag("FASTSTREAM_REQUIRE_EXTENSIONS") and not NO_EXTENSIONS

IMPLEMENTATION: Literal["c", "python"]

if TYPE_CHECKING or NO_EXTENSIONS:
    from . import _pure as _impl

    IMPLEMENTATION = "python"
else:
    try:
        from . import _c as _impl

        IMPLEMENTATION = "c"
    except ImportError:  # pragma: no cover - only where the extensions could not be built
        if REQUIRE_EXTENSIONS:
            raise
        from . import _pure as _impl

        IMPLEMENTATION = "python"

ByteChunker = _impl.ByteChunker
TextChunker = _impl.TextChunker
TextDecoder = _impl.TextDecoder
LineDecoder = _impl.LineDecoder
ByteLineDecoder = _impl.ByteLineDecoder
bytes_lines_supported = _impl.bytes_lines_supported
IdentityDecoder = _impl.IdentityDecoder
GzipDecoder = _impl.GzipDecoder
DeflateDecoder = _impl.DeflateDecoder
BrotliDecoder = _impl.BrotliDecoder
ZstdDecoder = _impl.ZstdDecoder
MultiDecoder = _impl.MultiDecoder
make_decoder = _impl.make_decoder
default_inflate_backend = _impl.default_inflate_backend
INFLATE_BACKENDS = _impl.INFLATE_BACKENDS
SUPPORTED_ENCODINGS = _impl.SUPPORTED_ENCODINGS
ContentLengthReader = _impl.ContentLengthReader
ChunkedReader = _impl.ChunkedReader
CloseDelimitedReader = _impl.CloseDelimitedReader
ResponseHeadParser = _impl.ResponseHeadParser
serialize_request = _impl.serialize_request
FramingError = _impl.FramingError  # one class, shared by both implementations

__all__ = [
    "IMPLEMENTATION",
    "INFLATE_BACKENDS",
    "SUPPORTED_ENCODINGS",
    "BrotliDecoder",
    "ByteChunker",
    "ByteLineDecoder",
    "ChunkedReader",
    "CloseDelimitedReader",
    "ContentLengthReader",
    "DecodeError",
    "DeflateDecoder",
    "FramingError",
    "GzipDecoder",
    "HeadError",
    "IdentityDecoder",
    "LineDecoder",
    "LineTooLongError",
    "MultiDecoder",
    "ResponseHeadParser",
    "TextChunker",
    "TextDecoder",
    "ZstdDecoder",
    "bytes_lines_supported",
    "default_inflate_backend",
    "make_decoder",
    "serialize_request",
]
