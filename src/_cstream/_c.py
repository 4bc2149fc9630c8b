"""The compiled implementation: the Cython types, under the names the selector exports.

Importing this module raises ImportError when the extensions were not built; the selector
(`_cstream/__init__.py`) and the tests rely on that.
"""

from __future__ import annotations

from ._chunker import ByteChunker, TextChunker, TextDecoder
from ._codecs import (
    INFLATE_BACKENDS,
    SUPPORTED_ENCODINGS,
    BrotliDecoder,
    ZstdDecoder,
    default_inflate_backend,
)
from ._framing import ChunkedReader, CloseDelimitedReader, ContentLengthReader, FramingError
from ._head import ResponseHeadParser, serialize_request
from ._lines import ByteLineDecoder, LineDecoder, bytes_lines_supported
from ._zlib import DeflateDecoder, GzipDecoder, IdentityDecoder, MultiDecoder, make_decoder

__all__ = [
    "INFLATE_BACKENDS",
    "SUPPORTED_ENCODINGS",
    "BrotliDecoder",
    "ByteChunker",
    "ByteLineDecoder",
    "ChunkedReader",
    "CloseDelimitedReader",
    "ContentLengthReader",
    "DeflateDecoder",
    "FramingError",
    "GzipDecoder",
    "IdentityDecoder",
    "LineDecoder",
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
