"""The names `_cstream` takes from its implementation, and the module that defines each.

This table is the one list of them: the selector (`_cstream/__init__.py`), the two
implementation namespaces (`_cstream._c`, `_cstream._pure`) and the tests read it.
"""

from __future__ import annotations

import importlib

__all__ = ["IMPLEMENTED", "SHARED", "load"]

#: Each name with a compiled and a pure version -> its module, under ``_cstream`` (compiled)
#: and under ``_cstream._pure`` (the twin), by the same name.
IMPLEMENTED: dict[str, str] = {
    "ByteChunker": "_chunker",
    "TextChunker": "_chunker",
    "TextDecoder": "_chunker",
    "LineDecoder": "_lines",
    "ByteLineDecoder": "_lines",
    "bytes_lines_supported": "_lines",
    "IdentityDecoder": "_zlib",
    "GzipDecoder": "_zlib",
    "DeflateDecoder": "_zlib",
    "MultiDecoder": "_zlib",
    "make_decoder": "_zlib",
    "ContentLengthReader": "_framing",
    "ChunkedReader": "_framing",
    "CloseDelimitedReader": "_framing",
    "ResponseHeadParser": "_head",
    "serialize_request": "_head",
    "SSEDecoder": "_sse",
    "ServerSentEvent": "_sse",
    "H2FrameSplitter": "_h2frames",
    "HpackDecoder": "_hpack",
    "HpackEncoder": "_hpack",
}

#: Names both implementations share, from `_cstream._codecs`: brotli and zstd wrap optional
#: Python packages, and the inflate backend registry serves both.
SHARED: tuple[str, ...] = (
    "BrotliDecoder",
    "ZstdDecoder",
    "INFLATE_BACKENDS",
    "SUPPORTED_ENCODINGS",
    "default_inflate_backend",
)


def load(package: str) -> dict[str, object]:
    """Every name of `IMPLEMENTED` from `package` (``"_cstream"`` or ``"_cstream._pure"``) and
    every name of `SHARED`; ImportError when one of the package's modules cannot be imported
    (for the compiled package: it was not built)."""
    names: dict[str, object] = {}
    for name, home in IMPLEMENTED.items():
        names[name] = getattr(importlib.import_module(f"{package}.{home}"), name)
    codecs = importlib.import_module("_cstream._codecs")
    for name in SHARED:
        names[name] = getattr(codecs, name)
    return names
