"""Pure-Python twins of the gzip / deflate / identity decoders in `_zlib.pyx`.

Same contract and the same pieces as the compiled types (see `_codecs` for the pull
contract). The inflating is done by a backend's Python-level decompressor (`_codecs`
`InflateBackend`), fed bounded slices of the queued input:

* A member (gzip) or stream (deflate) starts with a slice of `FIRST_SLICE` bytes; each later
  slice doubles, up to `max(max_length, BUFFERED_SLICE_CAP)` (1 MiB) for backends that
  buffer the input they did not use, and `max(max_length, 256)` for `zlib.decompressobj`,
  which copies that input out as `unconsumed_tail` after every call. Either way a call copies
  at most one slice, and a member's end copies at most about twice the member (`unused_data`,
  pushed back in front of the queue), so time stays linear in the input however the members
  are sized.
* Each call asks for at most the room left in the piece, so no more than one piece is
  inflated ahead of the consumer.

gzip: every member is decoded. After a complete member, input that does not start with the
gzip magic (1f 8b) is trailing garbage and is dropped to the end of the body; a lone 1f at the
end of the input waits for the next byte. Before a member is handed to the backend its first
four bytes are checked here (magic, method 8, no reserved flag), so every backend rejects them
alike, with zlib's messages. A header with optional fields reaches ISA-L whole in its first
call, or the member goes to the stdlib's zlib when the header is split across input pieces
(`_codecs.gzip_member_backend`: python-isal misreads split headers). deflate: a zlib header
(CM 8, CINFO <= 7, FCHECK) selects zlib wrapping, anything else raw deflate; bytes after the
end of the stream are ignored.

Backends agree on every valid stream and on the damage tests cover (headers, checksums,
lengths, truncation). ISA-L is laxer on a few malformed Huffman tables that zlib rejects; there
the isal backend returns bytes (garbage in, garbage out) where zlib raises.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from .._codecs import (
    FIRST_SLICE,
    MAX_CODINGS,
    BrotliDecoder,
    ContentDecoder,
    ZstdDecoder,
    _join,
    _PieceDecoder,
    _take,
    check_max_length,
    gzip_member_backend,
    inflate_backend,
    slice_cap,
    too_many_codings,
)
from .._errors import DecodeError

__all__ = [
    "DeflateDecoder",
    "GzipDecoder",
    "IdentityDecoder",
    "MultiDecoder",
    "make_decoder",
]

# states of an inflate decoder
_HEAD = 0  # before a gzip member / the deflate stream: its first bytes are checked here
_BODY = 1  # inside a member / the stream: the backend is inflating
_DONE = 2  # after the deflate stream, or gzip trailing garbage: the rest is ignored

_HEADER_ERROR = "Error -3 while decompressing data: incorrect header check"
_METHOD_ERROR = "Error -3 while decompressing data: unknown compression method"
_FLAGS_ERROR = "Error -3 while decompressing data: unknown header flags set"
# zlib's Z_NEED_DICT, checked here for every backend (zlib-ng's _ZlibDecompressor mishandles it)
_DICT_ERROR = "Error 2 while decompressing data: the stream needs a preset dictionary"


class IdentityDecoder(_PieceDecoder):
    """No content coding: the data again, in pieces of at most `max_length` bytes.

    A piece that already fits is passed on as the same object.
    """

    __slots__ = ()

    def _produce(self, limit: int) -> bytes | None:
        if not self._next_input(limit):
            return None
        buf, pos = self._buf, self._pos
        end = min(len(buf), pos + self._max_length)
        self._pos = end
        if pos == 0 and end == len(buf):
            return buf
        return buf[pos:end]


class _InflateDecoder(_PieceDecoder):
    __slots__ = (
        "_backend",
        "_member",
        "_gzip",
        "_state",
        "_members",
        "_d",
        "_held",
        "_slice",
        "_cap",
    )

    def __init__(self, max_length: int, backend: str | None, gzip: bool) -> None:
        super().__init__(max_length)
        self._backend = self._member = inflate_backend(backend)
        self._gzip = gzip
        self._state = _HEAD
        self._members = 0  # complete gzip members so far
        self._d: Any = None
        self._held = False  # the decompressor may hold output: call it again with no input
        self._slice = FIRST_SLICE
        self._cap = slice_cap(self._backend, max_length)

    def _produce(self, limit: int) -> bytes | None:
        parts: list[bytes] = []
        room = self._max_length
        while room:
            state = self._state
            if state == _BODY:
                out = self._inflate(limit, room)
                if out is None:
                    break
                if out:
                    parts.append(out)
                    room -= len(out)
            elif state == _HEAD:
                if not self._start(limit):
                    break
            else:
                self._drop_input()
                break
        return _join(parts)

    def _defer_check(self) -> int | None:
        """The compiled kernel can leave the gzip CRC to its consumer; zlib.decompressobj
        cannot skip it: None, the check stays here."""
        return None

    def _take_checks(self) -> tuple[list[tuple[int, int]] | None, bytes | None]:
        return None, None

    def _start(self, limit: int) -> bool:
        """Check the first bytes of a member / the stream and start the backend on it.

        False when more input is needed to decide.
        """
        if self._gzip:
            head = self._peek(4, limit)
            if not head:
                return False
            if self._members and (head[0] != 0x1F or (len(head) > 1 and head[1] != 0x8B)):
                self._state = _DONE  # trailing garbage after a complete member
                return True
            if head[0] != 0x1F or (len(head) > 1 and head[1] != 0x8B):
                raise DecodeError(_HEADER_ERROR)
            if len(head) > 2 and head[2] != 8:
                raise DecodeError(_METHOD_ERROR)
            if len(head) > 3 and head[3] & 0xE0:
                raise DecodeError(_FLAGS_ERROR)
            if len(head) < 4:
                return False
            wbits = 31
            self._member, first = gzip_member_backend(self._backend, self._buf, self._pos)
        else:
            head = self._peek(2, limit)
            if len(head) < 2:
                return False
            cmf, flg = head[0], head[1]
            wrapped = cmf & 0x0F == 8 and cmf >> 4 <= 7 and (cmf * 256 + flg) % 31 == 0
            if wrapped and flg & 0x20:
                raise DecodeError(_DICT_ERROR)
            wbits = 15 if wrapped else -15
            first = FIRST_SLICE
        self._d = self._member.new(wbits)
        self._held = False
        self._slice = first
        self._cap = slice_cap(self._member, self._max_length)
        self._state = _BODY
        return True

    def _inflate(self, limit: int, room: int) -> bytes | None:
        """One call to the backend; None when it needs input and none is queued."""
        d = self._d
        if self._held:
            data: bytes | memoryview = b""
        elif self._next_input(limit):
            data = _take(self, self._slice)
            self._slice = min(self._slice * 2, self._cap)
        else:
            return None
        try:
            out: bytes = d.decompress(data, room)
        except self._member.errors as exc:
            raise DecodeError(str(exc)) from exc
        if d.eof:
            if d.unused_data:
                self._pushback(d.unused_data)
            self._d = None
            self._held = False
            self._members += 1
            self._state = _HEAD if self._gzip else _DONE
        elif self._member.buffers_input:
            # A full piece may leave output behind even when `needs_input` says otherwise
            # (zlib-ng 1.1's _ZlibDecompressor does), so ask again with no input first.
            self._held = not d.needs_input or len(out) == room
            if not data and not out and self._held:  # pragma: no cover - a stalled library
                raise DecodeError("the inflate backend made no progress")
        else:
            # zlib.decompressobj: what it did not use is handed again, as a slice of our own
            # entry, next call. (At the end of a stream its `unconsumed_tail` can repeat
            # `unused_data`, so it is only read before the end.)
            tail = len(d.unconsumed_tail)
            self._pos -= tail
            self._held = not tail and len(out) == room
        return out

    def _finish(self) -> None:
        state = self._state
        if state == _BODY:
            raise DecodeError(f"{'gzip' if self._gzip else 'deflate'} data is incomplete")
        if state == _HEAD:
            rest = self._pending_input()
            if self._gzip and self._members and rest == 1:
                return  # a lone 1f after complete members: trailing garbage
            if rest:
                raise DecodeError(f"{'gzip' if self._gzip else 'deflate'} data is incomplete")


class GzipDecoder(_InflateDecoder):
    """gzip (RFC 1952): every member decoded; trailing garbage after a member ignored."""

    __slots__ = ()

    def __init__(self, max_length: int = 65536, backend: str | None = None) -> None:
        super().__init__(max_length, backend, True)


class DeflateDecoder(_InflateDecoder):
    """deflate: zlib-wrapped (RFC 1950), or raw deflate (RFC 1951) when no zlib header."""

    __slots__ = ()

    def __init__(self, max_length: int = 65536, backend: str | None = None) -> None:
        super().__init__(max_length, backend, False)


class MultiDecoder:
    """A chain of content decoders, `children` in the order the codings were applied (the
    Content-Encoding header's order); decoding runs them in reverse. Each layer receives only
    the pieces the layer before it yields, one pull at a time, so the chain stays bounded."""

    __slots__ = ("_children",)

    def __init__(self, children: Sequence[ContentDecoder]) -> None:
        if not children:
            raise ValueError("MultiDecoder needs at least one decoder")
        if len(children) > MAX_CODINGS:
            raise too_many_codings(len(children))
        self._children = tuple(reversed(children))

    def decode(self, data: bytes) -> Iterator[bytes]:
        # The first layer queues `data` now; the rest happens as the consumer pulls.
        return _through(self._children, 0, self._children[0].decode(data))

    def flush(self) -> Iterator[bytes]:
        return _flush_from(self._children, 0)


def _through(
    children: tuple[ContentDecoder, ...], i: int, pieces: Iterator[bytes]
) -> Iterator[bytes]:
    """The pieces of layer `i`'s iterator, run through layers i+1... ."""
    if i + 1 == len(children):
        yield from pieces
        return
    for piece in pieces:
        yield from _through(children, i + 1, children[i + 1].decode(piece))


def _flush_from(children: tuple[ContentDecoder, ...], i: int) -> Iterator[bytes]:
    for j in range(i, len(children)):
        yield from _through(children, j, children[j].flush())


def make_decoder(encodings: Iterable[str], max_length: int = 65536) -> ContentDecoder:
    """The decoder for these Content-Encoding header values (see `_zlib.pyi`)."""
    check_max_length(max_length)
    if isinstance(encodings, str):
        encodings = (encodings,)
    names: list[str] = []
    for value in encodings:
        for token in value.split(","):
            name = token.strip().lower()
            if name in _CODECS:
                names.append(name)
    if len(names) > MAX_CODINGS:
        raise too_many_codings(len(names))
    decoders = [_CODECS[name](max_length) for name in names]
    if not decoders:
        return IdentityDecoder(max_length)
    if len(decoders) == 1:
        return decoders[0]
    return MultiDecoder(decoders)


_ALL_CODECS: dict[str, Callable[[int], ContentDecoder]] = {
    "gzip": GzipDecoder,
    "deflate": DeflateDecoder,
    "br": BrotliDecoder,
    "zstd": ZstdDecoder,
}
# every known coding: one whose library is missing raises DecodeError when its decoder
# is made, so compressed bytes never pass for the body
_CODECS = _ALL_CODECS
