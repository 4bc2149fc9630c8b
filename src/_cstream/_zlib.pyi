"""Content decoders: identity, gzip, deflate, and chains of codings (compiled; twin in
`_cstream._pure._zlib`). Brotli and zstd are shared by both sides (`_cstream._codecs`).

The pull contract, the same for every decoder:

* ``decode(data)`` queues `data` and returns an iterator of pieces: each at most
  `max_length` bytes, never empty, decoded only when pulled, so input not yet needed stays
  compressed and memory stays O(max_length + one input piece + codec window) whatever the
  compression ratio. A piece is full unless the input queued so far is used up. If
  ``decode()`` is called again before the previous iterator is exhausted, the new input
  queues behind the old and the output order is preserved.
* ``flush()`` drains what is left, then raises `DecodeError` if the compressed stream ended
  before its end marker (truncation). An empty body flushes to nothing, without error.
* Corrupt data raises `DecodeError` (a ValueError) when the piece that needs it is pulled; the
  decoder then keeps raising it.
* Time is linear in the input, including bodies of many tiny gzip members or zstd frames.
"""

from collections.abc import Iterable, Iterator, Sequence
from typing import final

from ._codecs import (
    FIRST_SLICE as FIRST_SLICE,
    MAX_CODINGS as MAX_CODINGS,
    BrotliDecoder,
    ContentDecoder,
    ZstdDecoder,
)

#: True when this build inflates "zlib" through zlib's C API (False on Windows, where the
#: zlib module's decompressobj is driven instead).
ZLIB_C_API: bool

@final
class IdentityDecoder:
    """No content coding: the data again, in pieces of at most `max_length` bytes; a piece
    that already fits is passed on as the same object."""

    def __init__(self, max_length: int = 65536) -> None: ...
    def decode(self, data: bytes) -> Iterator[bytes]: ...
    def flush(self) -> Iterator[bytes]: ...

@final
class GzipDecoder:
    """gzip (RFC 1952). Every member is decoded (httpx decodes only the first). After a
    complete member, bytes that do not start another member (1f 8b) are trailing garbage and
    are ignored to the end of the body, as gzip(1) does (zero padding, for instance); a member
    that starts with the magic but is corrupt raises, and so does a truncated last member, at
    flush. `backend`: one of `INFLATE_BACKENDS`; None picks `default_inflate_backend()`.
    Every backend gives the same bytes for valid data."""

    def __init__(self, max_length: int = 65536, backend: str | None = None) -> None: ...
    def decode(self, data: bytes) -> Iterator[bytes]: ...
    def flush(self) -> Iterator[bytes]: ...
    def _defer_check(self) -> int | None:
        """The worker path: zlib skips the gzip CRC and ISIZE checks the consumer runs from
        `_take_checks()` events (compiled zlib kernel only; None where not deferred)."""
    def _take_checks(self) -> tuple[list[tuple[int, int]] | None, bytes | None]:
        """The last produce call's events and, if it raised, the output it had made."""

@final
class DeflateDecoder:
    """deflate: zlib-wrapped (RFC 1950) when the body starts with a valid zlib header (CM 8,
    CINFO <= 7, check bits), else raw deflate (RFC 1951), as servers send both. Bytes after
    the end of the stream are ignored; a truncated stream raises at flush."""

    def __init__(self, max_length: int = 65536, backend: str | None = None) -> None: ...
    def decode(self, data: bytes) -> Iterator[bytes]: ...
    def flush(self) -> Iterator[bytes]: ...

@final
class MultiDecoder:
    """A chain of decoders, `children` in the order the codings were applied (the
    Content-Encoding header's order), decoded in reverse. Each layer receives only what the
    layer before it yields per pull, so the whole chain stays bounded. More than 5 children
    raise `DecodeError`."""

    def __init__(self, children: Sequence[ContentDecoder]) -> None: ...
    def decode(self, data: bytes) -> Iterator[bytes]: ...
    def flush(self) -> Iterator[bytes]: ...

def make_decoder(
    encodings: Iterable[str], max_length: int = 65536
) -> IdentityDecoder | GzipDecoder | DeflateDecoder | BrotliDecoder | ZstdDecoder | MultiDecoder:
    """The decoder for a response's Content-Encoding header values, as they appear (each may
    be a comma-separated list; a single str is one value).

    Tokens are stripped and lower-cased; unknown ones (x-gzip, compress, br or zstd without
    their package) are skipped, as httpx does, and `identity` is dropped. More than 5 codings
    raise `DecodeError("Too many content encodings in the chain: N > 5")` before anything is
    decoded. None left: `IdentityDecoder`; one: its decoder; several: a `MultiDecoder`."""

def _use_zlib_c_api(enabled: bool) -> None:
    """Tests and benchmarks: new "zlib" decoders use zlib's C API (where built) or the zlib
    module's decompressobj."""
