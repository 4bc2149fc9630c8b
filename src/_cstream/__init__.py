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

from ._errors import (
    DecodeError as DecodeError,
    FramingError as FramingError,
    HeadError as HeadError,
    LineTooLongError as LineTooLongError,
)
from ._names import IMPLEMENTED, SHARED


def _flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0")


NO_EXTENSIONS: bool = _flag("FASTSTREAM_NO_EXTENSIONS") or sys.implementation.name != "cpython"
REQUIRE_EXTENSIONS: bool = _flag("FASTSTREAM_REQUIRE_EXTENSIONS") and not NO_EXTENSIONS

IMPLEMENTATION: Literal["c", "python"]

if TYPE_CHECKING:
    # Static typing reads the twins (the compiled modules' stubs declare the same API). These
    # imports name exactly `_names.IMPLEMENTED` and `_names.SHARED` (tests/core/test_build.py
    # checks it); at run time the names come from the table.
    from ._codecs import (
        INFLATE_BACKENDS as INFLATE_BACKENDS,
        SUPPORTED_ENCODINGS as SUPPORTED_ENCODINGS,
        BrotliDecoder as BrotliDecoder,
        ZstdDecoder as ZstdDecoder,
        default_inflate_backend as default_inflate_backend,
    )
    from ._pure._chunker import (
        ByteChunker as ByteChunker,
        TextChunker as TextChunker,
        TextDecoder as TextDecoder,
    )
    from ._pure._framing import (
        ChunkedReader as ChunkedReader,
        CloseDelimitedReader as CloseDelimitedReader,
        ContentLengthReader as ContentLengthReader,
    )
    from ._pure._h2frames import H2FrameSplitter as H2FrameSplitter
    from ._pure._head import (
        ResponseHeadParser as ResponseHeadParser,
        serialize_request as serialize_request,
    )
    from ._pure._hpack import HpackDecoder as HpackDecoder, HpackEncoder as HpackEncoder
    from ._pure._lines import (
        ByteLineDecoder as ByteLineDecoder,
        LineDecoder as LineDecoder,
        bytes_lines_supported as bytes_lines_supported,
    )
    from ._pure._sse import (
        ServerSentEvent as ServerSentEvent,
        SSEDecoder as SSEDecoder,
    )
    from ._pure._zlib import (
        DeflateDecoder as DeflateDecoder,
        GzipDecoder as GzipDecoder,
        IdentityDecoder as IdentityDecoder,
        MultiDecoder as MultiDecoder,
        make_decoder as make_decoder,
    )

    IMPLEMENTATION = "python"
else:
    if NO_EXTENSIONS:
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
    for _name in (*IMPLEMENTED, *SHARED):
        globals()[_name] = getattr(_impl, _name)
    del _name

__all__ = sorted(
    [
        *IMPLEMENTED,
        *SHARED,
        "IMPLEMENTATION",
        "DecodeError",
        "FramingError",
        "HeadError",
        "LineTooLongError",
    ]
)
