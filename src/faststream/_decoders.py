"""The glue between `Response` and the compiled core (`_cstream`).

A response body goes through up to two steps, both sans-I/O objects from the core:

1. the **content decoder** (`make_decoder(Content-Encoding values)`), which undoes gzip, br,
   ... and hands out pieces of at most ``max(chunk_size, 64 KiB)`` bytes, decoding only as
   far as the consumer pulls; for an identity body there is none and raw chunks go straight on;
2. a **stage** that turns those pieces into what the iterator yields: exact-size byte chunks
   (`ByteChunker`), text chunks (`TextDecoder` + `TextChunker`) or lines (`ByteLineDecoder`,
   or `TextDecoder` + `LineDecoder` for encodings the bytes path does not handle).

`Pipeline` joins the two. It knows nothing about streams, sync or async: `feed(raw)` and
`finish()` return what to yield, lazily, so `Response`'s sync and async loops share every
object and differ only in how they pull the raw chunks. Nothing here ever joins a body.

`decoding_error()` maps the core's `DecodeError` (corrupt or truncated data, too many codings)
to the `DecodingError` users catch, with the request attached.
"""

from __future__ import annotations

import codecs
import typing
from collections.abc import Callable, Iterable, Iterator

import _cstream

from ._exceptions import DecodingError
from ._headers import Headers

if typing.TYPE_CHECKING:
    from _cstream._codecs import ContentDecoder

    from ._request import Request

__all__ = [
    "DECODE_STEP",
    "Pipeline",
    "Stage",
    "byte_stage",
    "content_decoder",
    "decoding_error",
    "is_known_encoding",
    "line_stage",
    "replay",
    "text_stage",
]

T = typing.TypeVar("T")

#: The least a decode step may emit: larger chunk sizes raise it to the chunk size.
DECODE_STEP = 64 * 1024


def content_decoder(headers: Headers, chunk_size: int | None) -> ContentDecoder | None:
    """The decoder for the body's Content-Encoding, or None when it is identity.

    Raises `_cstream.DecodeError` for a chain of more than 5 codings.
    """
    max_length = max(chunk_size or 0, DECODE_STEP)
    decoder = _cstream.make_decoder(headers.get_list("content-encoding"), max_length)
    if isinstance(decoder, _cstream.IdentityDecoder):
        return None
    return decoder


def decoding_error(exc: Exception, request: Request | None) -> DecodingError:
    """The `DecodingError` to raise for a core `DecodeError`: same message, request attached."""
    return DecodingError(str(exc), request=request)


def is_known_encoding(name: str) -> bool:
    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True


class Stage(typing.Generic[T]):
    """What turns decoded byte pieces into items: `step(piece)` returns the items a piece
    completes, `end()` the rest at the end of the body. Both return lists (possibly empty)."""

    __slots__ = ("end", "step")

    def __init__(self, step: Callable[[bytes], list[T]], end: Callable[[], list[T]]) -> None:
        self.step = step
        self.end = end


def byte_stage(chunk_size: int | None) -> Stage[bytes]:
    """`iter_bytes`: pieces re-cut to exactly `chunk_size` bytes (None: as they come)."""
    chunker = _cstream.ByteChunker(chunk_size)
    return Stage(chunker.decode, chunker.flush)


def text_stage(encoding: str, chunk_size: int | None) -> Stage[str]:
    """`iter_text`: incremental decoding (``errors="replace"``), re-cut to `chunk_size`
    characters. Raises LookupError for an unknown encoding."""
    decoder = _cstream.TextDecoder(encoding)
    chunker = _cstream.TextChunker(chunk_size)
    decode, chunk = decoder.decode, chunker.decode

    def step(piece: bytes) -> list[str]:
        return chunk(decode(piece))

    def end() -> list[str]:
        last = chunk(decoder.flush())
        return last + chunker.flush()

    return Stage(step, end)


def line_stage(encoding: str) -> Stage[str]:
    """`iter_lines`: lines ending at \\n, \\r\\n or \\r. ASCII-compatible encodings are split as
    bytes and each line decoded once; others are decoded to text first. Both paths give the
    same lines (the core guarantees it). Raises LookupError for an unknown encoding."""
    if _cstream.bytes_lines_supported(encoding):
        splitter = _cstream.ByteLineDecoder(encoding)
        return Stage(splitter.decode, splitter.flush)
    decoder = _cstream.TextDecoder(encoding)
    lines = _cstream.LineDecoder()
    decode, split = decoder.decode, lines.decode

    def step(piece: bytes) -> list[str]:
        return split(decode(piece))

    def end() -> list[str]:
        last = split(decoder.flush())
        return last + lines.flush()

    return Stage(step, end)


class Pipeline(typing.Generic[T]):
    """A content decoder (or none) followed by a stage.

    `feed(raw)` takes one raw, non-empty chunk of the body and returns the items it completes,
    in batches (lists); `finish()` the remaining batches once the raw body has ended (the
    decoder's flush, which raises on truncated data, then the stage's end). With a decoder,
    both are generators that decode one bounded piece per pull, so memory stays
    O(max_length) whatever the ratio. Handing out batches lets the caller flatten them with
    C-level iteration (no generator step per item); every error is raised while a batch is
    made, never while one is iterated.
    """

    __slots__ = ("_decoder", "_stage", "feed")

    feed: Callable[[bytes], Iterable[list[T]]]

    def __init__(self, decoder: ContentDecoder | None, stage: Stage[T]) -> None:
        self._decoder = decoder
        self._stage = stage
        # Identity: the stage's own step as one batch, no generator in between (the hot path).
        self.feed = self._feed_identity if decoder is None else self._feed_decoded

    def _feed_identity(self, raw: bytes) -> tuple[list[T]]:
        return (self._stage.step(raw),)

    def _feed_decoded(self, raw: bytes) -> Iterator[list[T]]:
        assert self._decoder is not None
        step = self._stage.step
        for piece in self._decoder.decode(raw):
            yield step(piece)

    def finish(self) -> Iterator[list[T]]:
        if self._decoder is not None:
            step = self._stage.step
            for piece in self._decoder.flush():
                yield step(piece)
        yield self._stage.end()


def replay(stage: Stage[T], content: bytes) -> Iterator[T]:
    """A stage run over a body already read: `content` as one piece, then the end."""
    if content:
        yield from stage.step(content)
    yield from stage.end()
