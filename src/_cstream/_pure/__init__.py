"""The pure-Python twins of the compiled types, with the same names and behaviour.

Brotli and zstd wrap optional packages and are shared with the compiled side (`_codecs`).
"""

from __future__ import annotations

from .._codecs import (
    INFLATE_BACKENDS,
    SUPPORTED_ENCODINGS,
    BrotliDecoder,
    ZstdDecoder,
    default_inflate_backend,
)
from ._chunker import ByteChunker, TextChunker, TextDecoder
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
