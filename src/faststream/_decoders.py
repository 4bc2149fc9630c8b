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
to the `DecodingError` users catch, with the request attached; a crossed cap (`CapExceeded`,
`LineTooLongError`) becomes `ResponseTooLarge`.

`Caps` holds a response's size caps. `Pipeline` enforces `max_decoded_bytes` on the decoder's
output, which is produced in bounded steps: a decompression bomb stops within one step of
the cap, whatever its ratio.
"""

from __future__ import annotations

import codecs
import re
import typing
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import _cstream

from . import _overlap
from ._exceptions import DecodingError, ResponseTooLarge
from ._headers import Headers

if typing.TYPE_CHECKING:
    from _cstream._codecs import ContentDecoder

    from ._request import Request

__all__ = [
    "CAP_NAMES",
    "DECODE_STEP",
    "CapExceeded",
    "Caps",
    "Pipeline",
    "Stage",
    "byte_stage",
    "content_decoder",
    "decoding_error",
    "is_known_encoding",
    "line_capped",
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
    """The `DecodingError` to raise for a core `DecodeError`: same message, request attached;
    `ResponseTooLarge` for a crossed cap."""
    if isinstance(exc, (CapExceeded, _cstream.LineTooLongError)):
        return ResponseTooLarge(str(exc), request=request)
    return DecodingError(str(exc), request=request)


class CapExceeded(_cstream.DecodeError):
    """Raised by `Pipeline` when the decoded body crosses `max_decoded_bytes`."""


class Caps:
    """A response's size caps (None: no cap). A response with no cap at all carries None
    rather than a `Caps`, so the uncapped paths test one attribute once per iterator."""

    __slots__ = ("max_decoded_bytes", "max_line_length", "max_response_bytes")

    def __init__(
        self,
        max_response_bytes: int | None = None,
        max_decoded_bytes: int | None = None,
        max_line_length: int | None = None,
    ) -> None:
        given: tuple[tuple[str, object], ...] = (
            ("max_response_bytes", max_response_bytes),
            ("max_decoded_bytes", max_decoded_bytes),
            ("max_line_length", max_line_length),
        )
        for name, value in given:
            # A cap comes from user code (keywords, extensions): a wrong type would otherwise
            # surface as a TypeError deep in the body loop.
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 0
            ):
                raise ValueError(f"{name} must be None or an int >= 0, not {value!r}")
        self.max_response_bytes = max_response_bytes
        self.max_decoded_bytes = max_decoded_bytes
        self.max_line_length = max_line_length

    @classmethod
    def merged(
        cls, defaults: Caps | None, extensions: typing.Mapping[str, typing.Any]
    ) -> Caps | None:
        """`defaults` (a client's caps) overridden by a request's `extensions` entries of the
        same names; None when no cap is set."""
        if CAP_NAMES.isdisjoint(extensions):
            return defaults
        values = {
            name: extensions.get(name, None if defaults is None else getattr(defaults, name))
            for name in CAP_NAMES
        }
        caps = cls(**values)
        return caps if caps.any() else None

    def any(self) -> bool:
        return (
            self.max_response_bytes is not None
            or self.max_decoded_bytes is not None
            or self.max_line_length is not None
        )


CAP_NAMES = frozenset(("max_response_bytes", "max_decoded_bytes", "max_line_length"))


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


def line_stage(encoding: str, max_line_length: int | None = None) -> Stage[str]:
    """`iter_lines`: lines ending at \\n, \\r\\n or \\r. ASCII-compatible encodings are split as
    bytes and each line decoded once; others are decoded to text first. Both paths give the
    same lines (the core guarantees it). Raises LookupError for an unknown encoding.

    `max_line_length` bounds a line (terminator excluded): in bytes on the bytes path, in
    characters on the text path; a longer one raises `LineTooLongError` as soon as the part
    buffered exceeds it, so memory stays bounded."""
    if _cstream.bytes_lines_supported(encoding):
        if max_line_length is None:
            splitter = _cstream.ByteLineDecoder(encoding, None)
            return Stage(splitter.decode, splitter.flush)
        return _capped_byte_lines(encoding, max_line_length)
    decoder = _cstream.TextDecoder(encoding)
    lines = _cstream.LineDecoder(max_line_length)
    decode = decoder.decode
    split: Callable[[str], list[str]] = lines.decode
    if max_line_length is not None:
        split = _cut_at_long_line(
            split, lambda: _cstream.LineDecoder(None), max_line_length, "characters"
        )

    def step(piece: bytes) -> list[str]:
        return split(decode(piece))

    def end() -> list[str]:
        last = split(decoder.flush())
        return last + lines.flush()

    return Stage(step, end)


_TERMINATOR = re.compile(rb"[\r\n]")
_TEXT_TERMINATOR = re.compile(r"[\r\n]")
_NL_CR: dict[bool, typing.Any] = {False: (b"\n", b"\r"), True: ("\n", "\r")}  # by isinstance(str)


class LinesBeforeTooLong(_cstream.LineTooLongError):
    """A line past the cap, raised by a stage's step together with `items`, what the lines
    before it in the same piece completed: `Pipeline` hands those out first, then raises."""

    def __init__(self, message: str, items: list[typing.Any]) -> None:
        super().__init__(message)
        self.items = items


def line_capped(stage: Stage[T], max_line_length: int, unit: str = "bytes") -> Stage[T]:
    """`stage` behind a check that no line of the bytes it is given (ending at \\n or \\r) is
    longer than `max_line_length` bytes, terminator excluded: `LineTooLongError` as soon as
    the part seen exceeds it (so the stage never buffers more than the cap plus one piece).

    The lines of the piece before the over-long one still reach the stage, and the stage is
    then ended (a line held back at a CR is complete: the error ends the body anyway); their
    items travel in `LinesBeforeTooLong`. Any later call raises the same error again."""
    step, end = stage.step, stage.end
    run = 0  # bytes of the line in progress, before the next piece
    failed: _cstream.LineTooLongError | None = None

    def first_long_line(piece: Any, before: int) -> int:
        # where the first line longer than the cap starts in `piece` (`before`: the bytes of
        # its first line that came in earlier pieces)
        start, length = 0, before
        for match in _terminator(piece).finditer(piece):
            if length + match.start() - start > max_line_length:
                return start
            start, length = match.end(), 0
        return start  # the unterminated rest

    def checked(piece: Any) -> list[T]:
        nonlocal run, failed
        if failed is not None:
            raise failed
        parts = _terminator(piece).split(piece)
        before = run
        if len(parts) == 1:
            fits = run + len(piece) <= max_line_length
            run += len(piece)
        else:
            fits = (
                run + len(parts[0]) <= max_line_length
                and len(parts[-1]) <= max_line_length
                and (len(parts) == 2 or max(map(len, parts[1:-1])) <= max_line_length)
            )
            run = len(parts[-1])
        if fits:
            return step(piece)
        message = f"line longer than {max_line_length} {unit}"
        failed = _cstream.LineTooLongError(message)
        at = first_long_line(piece, before)
        if at == 0 and before:
            raise failed  # the stage holds the start of the over-long line: nothing to end
        items = (step(piece[:at]) if at else []) + end()
        if not items:
            raise failed
        raise LinesBeforeTooLong(message, items)

    def ended() -> list[T]:
        if failed is not None:
            raise failed
        return end()

    return Stage(checked, ended)


def _terminator(piece: bytes | str) -> re.Pattern[Any]:
    return _TEXT_TERMINATOR if isinstance(piece, str) else _TERMINATOR


def _capped_byte_lines(encoding: str, max_line_length: int) -> Stage[str]:
    """`iter_lines` on the bytes path under a line cap (the compiled splitter checks it)."""
    splitter = _cstream.ByteLineDecoder(encoding, max_line_length)
    step = _cut_at_long_line(
        splitter.decode, lambda: _cstream.ByteLineDecoder(encoding, None), max_line_length, "bytes"
    )
    return Stage(step, splitter.flush)


def _cut_at_long_line(
    split: Callable[[Any], list[str]],
    fresh: Callable[[], Any],
    max_line_length: int,
    unit: str,
) -> Callable[[Any], list[str]]:
    """`split`, a capped line splitter's decode, made to hand out the lines before an
    over-long one: when a piece crosses the cap, the lines of that piece before the long one
    are split again from what `split` had not handed out yet (kept here as `tail`: the line
    in progress, or one held back at a final CR) by a `fresh()` uncapped splitter under
    `line_capped`, and travel in `LinesBeforeTooLong`."""
    tail: list[Any] = []  # the input after the last handed-out line (bytes or str, as pieces)

    def step(piece: Any) -> list[str]:
        try:
            lines = split(piece)
        except _cstream.LineTooLongError as exc:
            rest = piece[:0].join(tail) + piece
            again = fresh()
            stage = line_capped(Stage(again.decode, again.flush), max_line_length, unit)
            try:
                stage.step(rest)
            except LinesBeforeTooLong as cut:
                raise LinesBeforeTooLong(str(exc), cut.items) from None
            raise
        if not piece:
            return lines  # (a text decoder holding part of a character gives "")
        nl, cr = _NL_CR[isinstance(piece, str)]
        if tail and tail[-1].endswith(cr):
            tail.clear()  # the line held back at that CR went out with this piece's first unit
        # two scans from the end of the piece: the work per piece does not grow with its lines
        end = len(piece) - 1 if piece.endswith(cr) else len(piece)
        last = max(piece.rfind(nl, 0, end), piece.rfind(cr, 0, end))
        if last < 0:
            tail.append(piece)
        else:
            tail[:] = (piece[last + 1 :],)
        return lines

    return step


def _then_raise(exc: LinesBeforeTooLong) -> Iterator[list[T]]:
    yield exc.items
    raise exc


class Pipeline(typing.Generic[T]):
    """A content decoder (or none) followed by a stage.

    `feed(raw)` takes one raw, non-empty chunk of the body and returns the items it completes,
    in batches (lists); `finish()` the remaining batches once the raw body has ended (the
    decoder's flush, which raises on truncated data, then the stage's end). With a decoder,
    both are generators that decode one bounded piece per pull, so memory stays
    O(max_length) whatever the ratio. Handing out batches lets the caller flatten them with
    C-level iteration (no generator step per item); every error is raised while a batch is
    made, never while one is iterated.

    `overlap` (the sync loop): once a gzip/deflate body's raw bytes pass
    `_overlap.OVERLAP_AFTER`, its decoder moves to a worker thread, which inflates while the
    caller receives (same pieces, same errors; see `_overlap`). The caller must then call
    `close()` however the body ends.
    """

    __slots__ = ("_cap", "_decoder", "_feed", "_received", "_room", "_stage", "feed")

    feed: Callable[[bytes], Iterable[list[T]]]

    def __init__(
        self,
        decoder: ContentDecoder | None,
        stage: Stage[T],
        max_decoded_bytes: int | None = None,
        overlap: bool = False,
    ) -> None:
        self._decoder = decoder
        self._stage = stage
        self._cap = self._room = max_decoded_bytes
        if max_decoded_bytes is not None:
            # Capped: the only path that counts, chosen once so the others pay nothing.
            self.feed = self._feed_capped
        else:
            # Identity: the stage's own step as one batch, no generator in between (the hot
            # path).
            self.feed = self._feed_identity if decoder is None else self._feed_decoded
        if overlap and _overlap.eligible(decoder):
            # Counts the raw bytes until the body is big enough to move the decoder to a
            # worker thread (`_overlap`); then `feed` is the plain one again.
            self._feed = self.feed
            self._received = 0
            self.feed = self._feed_counting

    def _feed_counting(self, raw: bytes) -> Iterable[list[T]]:
        self._received += len(raw)
        if self._received >= _overlap.OVERLAP_AFTER:
            self.feed = self._feed  # decided once, whether or not a worker is free
            assert self._decoder is not None
            overlapped = _overlap.start(self._decoder)
            if overlapped is not None:
                self._decoder = overlapped
        return self._feed(raw)

    def close(self) -> None:
        """Release a worker decoding this body, once its current step is done (idempotent).
        The sync loop calls it however the body ends."""
        decoder = self._decoder
        if isinstance(decoder, _overlap.Overlapped):
            decoder.close()

    def _feed_identity(self, raw: bytes) -> Iterable[list[T]]:
        try:
            return (self._stage.step(raw),)
        except LinesBeforeTooLong as exc:
            return _then_raise(exc)

    def _feed_decoded(self, raw: bytes) -> Iterator[list[T]]:
        assert self._decoder is not None
        step = self._stage.step
        for piece in self._decoder.decode(raw):
            try:
                batch = step(piece)
            except LinesBeforeTooLong as exc:
                yield from _then_raise(exc)
            yield batch

    def _feed_capped(self, raw: bytes) -> Iterator[list[T]]:
        pieces: Iterable[bytes] = (raw,) if self._decoder is None else self._decoder.decode(raw)
        return self._capped(pieces)

    def _capped(self, pieces: Iterable[bytes]) -> Iterator[list[T]]:
        # The bytes up to the cap go on; the piece that crosses it is cut at the cap and the
        # error raised on the next pull, before the decoder is asked for another step.
        step = self._stage.step
        for piece in pieces:
            room = typing.cast(int, self._room)
            try:
                if len(piece) > room:
                    if room:
                        self._room = 0
                        yield step(piece[:room])
                    raise CapExceeded(f"response body exceeded max_decoded_bytes={self._cap}")
                self._room = room - len(piece)
                batch = step(piece)
            except LinesBeforeTooLong as exc:
                yield from _then_raise(exc)
            yield batch

    def finish(self) -> Iterator[list[T]]:
        if self._decoder is not None:
            step = self._stage.step
            if self._room is not None:
                yield from self._capped(self._decoder.flush())
            else:
                for piece in self._decoder.flush():
                    try:
                        batch = step(piece)
                    except LinesBeforeTooLong as exc:
                        yield from _then_raise(exc)
                    yield batch
        yield self._stage.end()


def replay(stage: Stage[T], content: bytes) -> Iterator[T]:
    """A stage run over a body already read: `content` as one piece, then the end."""
    if content:
        try:
            items = stage.step(content)
        except LinesBeforeTooLong as exc:
            yield from exc.items
            raise
        yield from items
    yield from stage.end()
