"""Content decoders shared by both implementations, and the inflate backend registry.

Brotli and zstd wrap optional packages, so there is nothing to compile for them: the compiled
side and the pure twin export these same classes. `_PieceDecoder` is the input queue and the
pull contract they share with the pure gzip/deflate twins (`_pure/_zlib.py`); the compiled
decoders in `_zlib.pyx` implement the same contract in C.

The pull contract (every content decoder, both implementations):

* ``decode(data)`` queues `data` and returns an iterator. Each pull decodes just enough of the
  queued input to return the next piece: at most `max_length` bytes, never empty. Input not yet
  needed stays compressed, so memory is O(max_length + one input piece + codec window) whatever
  the compression ratio. A piece is full (`max_length` bytes) unless the input queued up to that
  ``decode()`` call is exhausted, or (br) it is one whole output of the brotli library (see
  `BrotliDecoder`). The iterator stops once that input is used up; if it is
  abandoned, its input stays queued ahead of later input, so output order never changes.
* ``flush()`` returns an iterator that drains everything still queued, then raises `DecodeError`
  if the compressed stream stopped before its end marker (truncation).
* Errors in the data raise `DecodeError` when the piece that needs them is pulled; the decoder
  then keeps raising it.

Queue invariants (`_PieceDecoder`): the current entry is ``_buf[_pos:]``, tagged `_mark`; later
entries wait in `_later` as ``(bytes, pos, mark)``. Marks never decrease along the queue; an
iterator created by the n-th ``decode()`` call only consumes entries whose mark is <= n. Bytes
are consumed by advancing `_pos`, never by slicing off a copy of the rest, so each input byte is
copied at most a bounded number of times (linear time on every input).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import sys
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple, Protocol, cast

from ._errors import DecodeError

__all__ = [
    "BROTLI_BACKENDS",
    "INFLATE_BACKENDS",
    "ZSTD_BACKENDS",
    "ContentDecoder",
    "MAX_CODINGS",
    "SUPPORTED_ENCODINGS",
    "BrotliDecoder",
    "ZstdDecoder",
    "default_inflate_backend",
]

#: Longest Content-Encoding chain decoded (urllib3, curl and undici all stop at 5).
MAX_CODINGS = 5
#: The environment variable that picks the inflate backend for gzip and deflate.
BACKEND_ENV = "FASTSTREAM_INFLATE_BACKEND"
#: zstd frames asking for a larger window are refused (RFC 9659: 8 MB for HTTP).
ZSTD_WINDOW_LOG_MAX = 23

# A frame or member starts with input slices this small, doubling per call up to the cap.
# Without it a body of many tiny members in one big piece would hand the whole rest of the
# piece to each member's decompressor, which copies what it did not use (`unused_data`):
# quadratic time. With it, the copy at a member's end is at most about twice the
# member's size.
FIRST_SLICE = 64
SLICE_CAP = 65536
# The cap for inflate backends that keep the input they did not use (isal, zlib-ng). Such a
# backend copies that rest into a buffer of its own once per slice, and a piece that the
# slice's rest cannot fill is joined from two outputs. With 64 KiB slices (~5 pieces of output
# each at a typical 5:1 ratio) that was ~0.45 bytes copied per output byte; with slices as
# large as a socket read (up to 512 KiB) the rest is copied once and joins are rare (~0.2).
# Memory stays bounded: the backend holds at most one slice besides the queue.
BUFFERED_SLICE_CAP = 1 << 20


class ContentDecoder(Protocol):
    """What every content decoder offers (see the pull contract above)."""

    def decode(self, data: bytes) -> Iterator[bytes]: ...
    def flush(self) -> Iterator[bytes]: ...


def check_max_length(max_length: int) -> int:
    if isinstance(max_length, bool) or not isinstance(max_length, int):
        raise TypeError(f"max_length must be an int, not {type(max_length).__name__}")
    if max_length < 1:
        raise ValueError(f"max_length must be at least 1, got {max_length}")
    return max_length


def too_many_codings(count: int) -> DecodeError:
    return DecodeError(f"Too many content encodings in the chain: {count} > {MAX_CODINGS}")


# ---------------------------------------------------------------------------------------------
# Inflate backends for gzip and deflate


class InflateBackend(NamedTuple):
    """How to drive one inflate library's Python-level decompressor.

    `new(wbits)` returns a fresh decompressor: wbits 31 = gzip member, 15 = zlib stream,
    -15 = raw deflate. With `buffers_input` the object keeps the input it did not use and
    reports `needs_input` (the bz2-style API); otherwise it is a `zlib.decompressobj`, which
    hands unused input back as `unconsumed_tail`. `split_header` is False for a library that
    misreads a gzip header with optional fields (FEXTRA, FNAME, FCOMMENT, FHCRC) when the
    header arrives in several calls (python-isal 1.9 does): see `gzip_member_backend`.
    """

    name: str
    new: Callable[[int], Any]
    buffers_input: bool
    errors: tuple[type[BaseException], ...]
    split_header: bool = True


def _errors(*types: object) -> tuple[type[BaseException], ...]:
    return cast("tuple[type[BaseException], ...]", types)


def _find_backends() -> dict[str, InflateBackend]:
    found: dict[str, InflateBackend] = {}
    try:
        from isal import igzip_lib
    except ImportError:
        pass
    else:
        flags = {
            31: igzip_lib.DECOMP_GZIP,
            15: igzip_lib.DECOMP_ZLIB,
            -15: igzip_lib.DECOMP_DEFLATE,
        }
        igzip = igzip_lib.IgzipDecompressor
        found["isal"] = InflateBackend(
            "isal", lambda wbits: igzip(flags[wbits]), True, _errors(igzip_lib.IsalError), False
        )
    try:
        from zlib_ng import zlib_ng
    except ImportError:
        pass
    else:
        buffered = getattr(zlib_ng, "_ZlibDecompressor", None)
        if buffered is not None:
            found["zlib-ng"] = InflateBackend("zlib-ng", buffered, True, _errors(zlib_ng.error))
        else:  # pragma: no cover - zlib-ng releases before 0.2
            found["zlib-ng"] = InflateBackend(
                "zlib-ng", zlib_ng.decompressobj, False, _errors(zlib_ng.error)
            )
    found["zlib"] = InflateBackend("zlib", zlib.decompressobj, False, (zlib.error,))
    return found


_BACKENDS = _find_backends()

#: The inflate backends installed here, fastest first (bench/ measures them). Output is
#: byte-identical for valid data.
INFLATE_BACKENDS: tuple[str, ...] = tuple(
    name for name in ("isal", "zlib-ng", "zlib") if name in _BACKENDS
)


def default_inflate_backend() -> str:
    """The backend gzip/deflate use when none is given: `FASTSTREAM_INFLATE_BACKEND` when set
    (ValueError if it names one that is unknown or not installed), else the fastest installed."""
    name = os.environ.get(BACKEND_ENV, "")
    if not name:
        return INFLATE_BACKENDS[0]
    if name not in _BACKENDS:
        raise ValueError(
            f"{BACKEND_ENV}={name!r} is not an available inflate backend; "
            f"choose one of {', '.join(INFLATE_BACKENDS)}"
        )
    return name


def inflate_backend(name: str | None) -> InflateBackend:
    """The backend called `name` (None: the default). ValueError if it is not available."""
    if name is None:
        name = default_inflate_backend()
    backend = _BACKENDS.get(name)
    if backend is None:
        raise ValueError(
            f"unknown or unavailable inflate backend {name!r}; "
            f"choose one of {', '.join(INFLATE_BACKENDS)}"
        )
    return backend


def gzip_member_backend(
    backend: InflateBackend, buf: bytes, pos: int
) -> tuple[InflateBackend, int]:
    """The backend for the gzip member whose header starts at `buf[pos]` (its first four bytes
    are there and valid), and the size of the first input slice to hand it.

    A backend without `split_header` gets a header with optional fields in its first call,
    whole; when the header does not end inside `buf`, the member goes to the stdlib's zlib.
    """
    if buf[pos + 3] & 0x1E and not backend.split_header:
        size = gzip_header_size(buf, pos)
        if size is None:
            return _BACKENDS["zlib"], FIRST_SLICE
        return backend, max(size, FIRST_SLICE)
    return backend, FIRST_SLICE


def gzip_header_size(buf: bytes, pos: int) -> int | None:
    """Size of the gzip member header at `buf[pos:]` (RFC 1952 2.3), None if it does not end
    inside `buf`. Scans each byte at most once."""
    end = len(buf)
    flags = buf[pos + 3]
    i = pos + 10
    if flags & 0x04:  # FEXTRA: a little-endian length, then that many bytes
        if end - i < 2:
            return None
        i += 2 + buf[i] + (buf[i + 1] << 8)
    for bit in (0x08, 0x10):  # FNAME, FCOMMENT: zero-terminated
        if flags & bit:
            if i >= end:
                return None
            zero = buf.find(b"\0", i)
            if zero < 0:
                return None
            i = zero + 1
    if flags & 0x02:  # FHCRC
        i += 2
    return i - pos if i <= end else None


def slice_cap(backend: InflateBackend, max_length: int) -> int:
    """The largest input slice handed to one call (see `_pure/_zlib.py`)."""
    return max(max_length, BUFFERED_SLICE_CAP if backend.buffers_input else 256)


# ---------------------------------------------------------------------------------------------
# The input queue and the pull contract


class _PieceDecoder:
    """Base of the pure decoders: the queue of undecoded input and the piece iterators.

    Subclasses implement `_produce(limit)`, which returns the next piece (at most
    `_max_length` bytes, never empty) using only entries whose mark is <= `limit`, or None
    when that input cannot give more; and `_finish()`, which raises on a truncated stream.
    """

    __slots__ = ("_max_length", "_buf", "_pos", "_mark", "_later", "_calls", "_error")

    def __init__(self, max_length: int = 65536) -> None:
        self._max_length = check_max_length(max_length)
        self._buf = b""
        self._pos = 0
        self._mark = 0
        self._later: deque[tuple[bytes, int, int]] = deque()
        self._calls = 0
        self._error: DecodeError | None = None

    def decode(self, data: bytes) -> Iterator[bytes]:
        if data:
            if type(data) is not bytes:
                data = bytes(data)  # a private copy: the caller may reuse a bytearray
            self._calls += 1
            self._later.append((data, 0, self._calls))
        return self._pieces(self._calls, False)

    def flush(self) -> Iterator[bytes]:
        return self._pieces(sys.maxsize, True)

    def _pieces(self, limit: int, final: bool) -> Iterator[bytes]:
        try:
            while True:
                if self._error is not None:
                    raise DecodeError(*self._error.args) from self._error
                piece = self._produce(limit)
                if piece is None:
                    break
                yield piece
            if final:
                self._finish()
        except DecodeError as exc:
            if self._error is None:
                self._error = exc
            raise

    # -- the queue --

    def _next_input(self, limit: int) -> bool:
        """Make `_buf[_pos:]` non-empty from entries marked <= limit; False if there are none."""
        while self._pos >= len(self._buf):
            later = self._later
            if not later or later[0][2] > limit:
                return False
            self._buf, self._pos, self._mark = later.popleft()
        return self._mark <= limit

    def _peek(self, n: int, limit: int) -> bytes:
        """Up to `n` bytes at the read position, without consuming them.

        When they span entries, the few bytes needed are moved into a new current entry
        (so the merge copies at most `n` bytes per call).
        """
        if not self._next_input(limit):
            return b""
        pos = self._pos
        if len(self._buf) - pos >= n or not self._later or self._later[0][2] > limit:
            return self._buf[pos : pos + n]
        got = self._buf[pos:]
        mark = self._mark
        later = self._later
        while len(got) < n and later and later[0][2] <= limit:
            buf, bpos, mark = later.popleft()
            take = buf[bpos : bpos + n - len(got)]
            got += take
            if bpos + len(take) < len(buf):
                later.appendleft((buf, bpos + len(take), mark))
        self._buf, self._pos, self._mark = got, 0, mark
        return got

    def _pushback(self, data: bytes) -> None:
        """Put `data` before the rest of the input (a decompressor's `unused_data`)."""
        if self._pos < len(self._buf):
            self._later.appendleft((self._buf, self._pos, self._mark))
        self._buf, self._pos = data, 0

    def _drop_input(self) -> None:
        self._buf, self._pos = b"", 0
        self._later.clear()

    def _pending_input(self) -> int:
        return len(self._buf) - self._pos + sum(len(b) - p for b, p, _ in self._later)

    # -- for subclasses --

    def _produce(self, limit: int) -> bytes | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _finish(self) -> None:
        pass


def _join(parts: list[bytes] | list[bytes | memoryview]) -> bytes | None:
    # A part may be a view into a library's output: the piece is then copied from it once,
    # by the join (or by bytes() for a lone view), never sliced into bytes and joined again.
    if not parts:
        return None
    if len(parts) == 1:
        part = parts[0]
        return part if type(part) is bytes else bytes(part)
    return b"".join(parts)


def _part(out: bytes, pos: int, end: int) -> bytes | memoryview:
    """`out[pos:end]` for `_join`: `out` itself when whole, else a view (no copy yet)."""
    return out if pos == 0 and end == len(out) else memoryview(out)[pos:end]


class _HoldingDecoder(_PieceDecoder):
    """A decoder whose library can return more than one piece per call: the output not handed
    out yet is held (`_out[_out_pos:]`) and drained into the next pieces before the library is
    called again."""

    __slots__ = ("_out", "_out_pos")

    def __init__(self, max_length: int = 65536) -> None:
        super().__init__(max_length)
        self._out = b""
        self._out_pos = 0

    def _hold(self, out: bytes) -> None:
        self._out, self._out_pos = out, 0

    def _drain(self, parts: list[bytes | memoryview], room: int) -> int:
        """Move up to `room` (> 0) held bytes into `parts`; return how many (0: none held)."""
        out, pos = self._out, self._out_pos
        end = min(len(out), pos + room)
        if end <= pos:
            return 0
        parts.append(_part(out, pos, end))
        self._out_pos = end
        return end - pos


# ---------------------------------------------------------------------------------------------
# Libraries for br and zstd
#
# Each coding has a registry of the libraries installed, best first; a decoder takes a library
# by name (None: the one its environment variable names, else the best). A library that bounds
# the output of every call (`bounded`) is driven with the output limit; one that does not
# (brotli and brotlicffi before 1.2, zstandard) is fed input in slices so small that what one
# call can return stays bounded by the format, whatever the compression ratio (see the
# decoders).

#: The environment variables that force the br and zstd library (tests, comparisons).
BROTLI_ENV = "FASTSTREAM_BROTLI_BACKEND"
ZSTD_ENV = "FASTSTREAM_ZSTD_BACKEND"


class CodecLibrary(NamedTuple):
    """One installed library for a coding: its name, the module, whether calls take an output
    limit, and its version (named in errors)."""

    name: str
    module: Any
    bounded: bool
    version: str


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def _import(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _find_brotli() -> dict[str, CodecLibrary]:
    names = ["brotli", "brotlicffi"]
    if sys.implementation.name != "cpython":
        names.reverse()
    found = []
    for name in names:
        module = _import(name)
        if module is None or not hasattr(module, "Decompressor"):
            continue
        # 1.2 added `output_buffer_limit` (and `can_accept_more_data` with it)
        bounded = hasattr(module.Decompressor, "can_accept_more_data")
        found.append(CodecLibrary(name, module, bounded, _version(name)))
    found.sort(key=lambda lib: not lib.bounded)  # stable: bounded first, then the order above
    return {lib.name: lib for lib in found}


def _find_zstd() -> dict[str, CodecLibrary]:
    found: dict[str, CodecLibrary] = {}
    for name in ("compression.zstd", "backports.zstd"):
        module = _import(name)
        if module is not None and hasattr(module, "ZstdDecompressor"):
            stdlib = name == "compression.zstd"
            version = sys.version.split()[0] if stdlib else _version(name)
            found[name] = CodecLibrary(name, module, True, version)
    module = _import("zstandard")
    if module is not None and hasattr(module, "ZstdDecompressor"):
        found["zstandard"] = CodecLibrary("zstandard", module, False, _version("zstandard"))
    return found


_BROTLI = _find_brotli()
_ZSTD = _find_zstd()

#: The br and zstd libraries installed here, in the order a decoder prefers them.
BROTLI_BACKENDS: tuple[str, ...] = tuple(_BROTLI)
ZSTD_BACKENDS: tuple[str, ...] = tuple(_ZSTD)


def _library(
    found: dict[str, CodecLibrary], name: str | None, env: str, coding: str, install: str
) -> CodecLibrary:
    """The library called `name` (None: `env`'s, else the best). DecodeError when none is
    installed (the body cannot be decoded); ValueError for a name that is unknown or not
    installed."""
    if not found:
        raise DecodeError(f"{coding} decoding needs {install}")
    if name is None:
        name = os.environ.get(env, "") or next(iter(found))
    lib = found.get(name)
    if lib is None:
        raise ValueError(
            f"{name!r} is not an available {coding} library; choose one of {', '.join(found)}"
        )
    return lib


def brotli_library(name: str | None = None) -> CodecLibrary:
    """The library a BrotliDecoder uses (see `_library`)."""
    return _library(
        _BROTLI,
        name,
        BROTLI_ENV,
        "br",
        "brotli (or brotlicffi): pip install faststream-http[brotli]",
    )


def zstd_library(name: str | None = None) -> CodecLibrary:
    """The library a ZstdDecoder uses (see `_library`)."""
    return _library(
        _ZSTD,
        name,
        ZSTD_ENV,
        "zstd",
        "backports.zstd, compression.zstd (3.14+) or zstandard: pip install faststream-http[zstd]",
    )


# ---------------------------------------------------------------------------------------------
# zstd

# zstandard's decompressor returns all it can decode from the input it is given, so it gets the
# stream one unit at a time: a frame header, one block (its output is at most 128 KiB, which the
# library enforces), a checksum, a skippable frame. The units are found from the block headers
# (RFC 8878 3.1). Where a header cannot be read (a truncated or corrupt stream at its end, a
# reserved block type, bytes that are not a frame), it gets slices of this many bytes until the
# frame ends: a block takes at least 4 bytes of input (an RLE block), so a call returns at most
# about 17 blocks (~2 MiB) whatever the ratio.
ZSTANDARD_SLICE = 64
_FRAME, _BLOCK, _CHECKSUM, _BLIND = range(4)


class ZstdDecoder(_HoldingDecoder):
    """zstd (RFC 8878): every frame decoded, windows over 8 MB refused (RFC 9659)."""

    __slots__ = ("_d", "_held", "_slice", "_lib", "_next", "_left", "_sum")

    def __init__(self, max_length: int = 65536, backend: str | None = None) -> None:
        lib = zstd_library(backend)
        super().__init__(max_length)
        self._lib = lib
        self._d: Any = None  # the current frame's decompressor; None between frames
        self._held = False  # it may hold output: call it again with no input
        self._slice = FIRST_SLICE
        # zstandard: what the input after the current unit is, and the unit's bytes not fed yet
        self._next = _FRAME
        self._left = 0
        self._sum = False  # the current frame ends with a checksum

    def _unit(self, limit: int) -> int:
        """How many bytes zstandard may get now (0: wait for more input)."""
        if self._left:
            return min(self._left, SLICE_CAP)
        state = self._next
        if state == _BLIND:
            return ZSTANDARD_SLICE
        final = limit == sys.maxsize
        if state == _CHECKSUM:
            self._left, self._next = 4, _FRAME
            return 4
        if state == _FRAME:
            head = self._peek(8, limit)
            if len(head) >= 4 and head[0] & 0xF0 == 0x50 and head[1:4] == b"\x2a\x4d\x18":
                if len(head) < 8:
                    return ZSTANDARD_SLICE if final else 0
                self._left = 8 + int.from_bytes(head[4:8], "little")  # a skippable frame
                return min(self._left, SLICE_CAP)
            if len(head) < 5 or head[:4] != b"\x28\xb5\x2f\xfd":
                if len(head) < 5 and not final and head == b"\x28\xb5\x2f\xfd"[: len(head)]:
                    return 0
                self._next = _BLIND  # not a frame: the library says what is wrong
                return ZSTANDARD_SLICE
            fhd = head[4]
            single = fhd >> 5 & 1
            size = 5 + (1 - single) + (0, 1, 2, 4)[fhd & 3] + (single, 2, 4, 8)[fhd >> 6]
            if len(self._peek(size, limit)) < size:
                if final:
                    self._next = _BLIND
                    return ZSTANDARD_SLICE
                return 0
            self._sum = bool(fhd >> 2 & 1)
            self._left, self._next = size, _BLOCK
            return size
        head = self._peek(3, limit)
        if len(head) < 3:
            if final:
                self._next = _BLIND
                return ZSTANDARD_SLICE
            return 0
        word = int.from_bytes(head, "little")
        kind = word >> 1 & 3
        if kind == 3:  # reserved: corrupt
            self._next = _BLIND
            return ZSTANDARD_SLICE
        self._left = 3 + (1 if kind == 1 else word >> 3)
        if word & 1:  # the last block
            self._next = _CHECKSUM if self._sum else _FRAME
        return min(self._left, SLICE_CAP)

    def _new(self) -> Any:
        module = self._lib.module
        if self._lib.bounded:
            options = {module.DecompressionParameter.window_log_max: ZSTD_WINDOW_LOG_MAX}
            return module.ZstdDecompressor(options=options)
        dctx = module.ZstdDecompressor(max_window_size=1 << ZSTD_WINDOW_LOG_MAX)
        return dctx.decompressobj()  # stops at the end of the frame: its rest is unused_data

    def _produce(self, limit: int) -> bytes | None:
        parts: list[bytes | memoryview] = []
        room = self._max_length
        bounded = self._lib.bounded
        error = self._lib.module.ZstdError
        while room:
            moved = self._drain(parts, room)  # an unbounded call's output beyond its piece
            if moved:
                room -= moved
                continue
            d = self._d
            if self._held:
                data: bytes | memoryview = b""
            elif not self._next_input(limit):
                break
            else:
                if d is None:
                    d = self._d = self._new()
                    self._slice = FIRST_SLICE
                if bounded:
                    data = _take(self, self._slice)
                    self._slice = min(self._slice * 2, SLICE_CAP)
                else:
                    n = self._unit(limit)
                    if not n:
                        break
                    data = bytes(_take(self, n))
                    self._left = max(0, self._left - len(data))
            try:
                out = d.decompress(data, room) if bounded else d.decompress(data)
            except error as exc:
                raise DecodeError(_zstd_message(exc)) from exc
            if bounded:
                # ask again with no input while it may hold output (see _pure/_zlib.py)
                self._held = not d.eof and (not d.needs_input or len(out) == room)
                if out:
                    parts.append(out)
                    room -= len(out)
                elif not data and self._held:  # pragma: no cover - a stalled library
                    raise DecodeError("the zstd decoder made no progress")
            else:
                self._hold(out)
            if d.eof:
                if d.unused_data:
                    self._pushback(d.unused_data)
                self._d = None
                self._next, self._left = _FRAME, 0
        return _join(parts)

    def _finish(self) -> None:
        if self._d is not None:
            raise DecodeError("Zstandard data is incomplete")


def _zstd_message(exc: BaseException) -> str:
    text = str(exc)
    if "memory" in text:
        return (
            f"{text}: the frame needs a window larger than 8 MiB, "
            "the limit for HTTP content coding (RFC 9659)"
        )
    return text


def _take(dec: _PieceDecoder, n: int) -> bytes | memoryview:
    """Consume up to `n` bytes of the current entry (without copying them)."""
    buf, pos = dec._buf, dec._pos
    end = min(len(buf), pos + n)
    dec._pos = end
    if pos == 0 and end == len(buf):
        return buf
    return memoryview(buf)[pos:end]


# ---------------------------------------------------------------------------------------------
# brotli

# Before 1.2, brotli's `process` returns everything the input decodes to. One byte can finish a
# meta-block (up to 16 MiB of output), so the input goes in one byte at a time while the output
# is large, and in slices growing to this size while every call returns less than a quarter of
# a piece; any call returning a full piece or more drops the slice back to one byte.
BROTLI_UNBOUNDED_SLICE_CAP = 16
# Slicing bounds the input of a call, not its output: one copy command of a few bits can repeat
# up to 16 MiB, and such a library allocates all of it before returning. So a call that returns
# more than this from at most BROTLI_UNBOUNDED_SLICE_CAP bytes (a ratio above 65536:1) stops
# the body: text, JSON, HTML and media compress by 3-1000:1 and return a few hundred bytes per
# call here, while a bomb crosses it on its first long copy (256 MiB of zeros at quality 11:
# 8 MiB from the 15th byte). Only data repeating one short pattern for over a MiB gets there,
# and with a library that bounds its output that decodes normally.
BROTLI_UNBOUNDED_MAX_OUTPUT = 1 << 20
# With an output limit, the input goes in slices of this size, or larger (up to SLICE_CAP) while
# it decodes to little (`BrotliDecoder._next_slice`).
BROTLI_SLICE = 16384
# The output limit asked of brotli's binding: its first output block. brotli 1.2 rounds any
# smaller limit up to it and a larger one to its next block (98,272 bytes); a binding that
# honoured limits exactly would still return blocks this large rather than a byte at a time.
BROTLI_BLOCK = 32752


class BrotliDecoder(_HoldingDecoder):
    """brotli (RFC 7932), large-window mode off.

    With a library that bounds its output (brotli/brotlicffi >= 1.2), an output of at most
    `max_length` bytes is handed out whole, as one piece: it is never cut or joined (brotli's
    binding has already copied it once into a new bytes object; cutting or joining would copy
    every byte a second time). brotli's binding rounds the limit up to its output blocks
    (32,752 bytes, then 98,272 ...), so it is asked for its first block (BROTLI_BLOCK) and
    returns at most that; an output longer than `max_length` is cut into full pieces. So a br
    piece is short where the queued input ran out or where one of the library's outputs ended,
    and never longer than `max_length`.

    An output that fills the library's buffer may leave decoded bytes in the library (in its
    window, even when `can_accept_more_data()` is True), so it is always followed by another
    call: with the next input slice when there is one (the held bytes come out first, and each
    call returns a full buffer), else with no input, until an output comes back short. With no
    input left in the library (`can_accept_more_data()`), nothing decoded from the queued input
    is held back when the iterator stops.
    Without an output limit (before 1.2) pieces are joined to `max_length` from the small
    outputs of tiny input slices (see BROTLI_UNBOUNDED_SLICE_CAP).
    """

    __slots__ = (
        "_d",
        "_more",
        "_kept",
        "_started",
        "_lib",
        "_slice",
        "_rounds",
        "_full",
        "_stops",
        "_slice_out",
    )

    def __init__(self, max_length: int = 65536, backend: str | None = None) -> None:
        lib = brotli_library(backend)
        super().__init__(max_length)
        self._lib = lib
        self._d = lib.module.Decompressor()
        self._more = False  # the last output filled the library's buffer: call again
        self._kept = False  # the library holds input: call again with no input
        self._started = False
        # input slice: without an output limit one byte and growing (see _produce_unbounded);
        # brotli's binding BROTLI_SLICE, adapted (see _next_slice); brotlicffi SLICE_CAP, as
        # each of its calls zero-fills an output buffer of the limit's size: fewer calls
        if not lib.bounded:
            self._slice = 1
        else:
            self._slice = BROTLI_SLICE if lib.name == "brotli" else SLICE_CAP
        # brotli's binding returns its first output block for any smaller limit; an output
        # fills it when it is as long as the longest output so far (`_full`), which is that
        # block once one has been seen. Other libraries fill exactly the limit asked for.
        self._rounds = lib.name == "brotli"
        self._full = 0
        self._stops = 0  # calls on the current slice that left input in the library
        self._slice_out = 0  # bytes the current slice has decoded to so far

    def _produce(self, limit: int) -> bytes | None:
        if self._lib.bounded:
            return self._produce_bounded(limit)
        return self._produce_unbounded(limit)

    def _produce_bounded(self, limit: int) -> bytes | None:
        parts: list[bytes | memoryview] = []
        room = max_length = self._max_length
        d = self._d
        while room:
            out = self._out
            if self._out_pos < len(out) <= max_length:  # a whole output kept for this pull
                if parts:
                    break
                self._out_pos = len(out)
                return out
            moved = self._drain(parts, room)
            if moved:
                room -= moved
                continue
            if not self._kept and self._next_input(limit):
                size = self._next_slice() if self._rounds else SLICE_CAP
                data: bytes | memoryview = _take(self, size)
                self._started = True
                if type(data) is not bytes and self._lib.name == "brotlicffi":
                    data = bytes(data)  # brotlicffi takes bytes only
            elif self._kept or self._more:
                data = b""
            else:
                break
            ask = BROTLI_BLOCK if self._rounds else room
            try:
                out = cast("bytes", d.process(data, output_buffer_limit=ask))
            except self._lib.module.error as exc:
                raise DecodeError(str(exc)) from exc
            n = len(out)
            kept = self._kept = not d.can_accept_more_data()  # input copied into the library
            if self._rounds:
                if n > self._full:
                    self._full = n
                self._more = n >= self._full > 0
            else:
                self._more = n >= ask
            if not data and not n and kept:  # pragma: no cover - a library that stalls
                raise DecodeError("brotli decoder made no progress")
            self._stops += kept
            self._slice_out += n
            if not n:
                continue
            if n <= max_length and not parts:
                return out
            self._hold(out)
        return _join(parts)

    def _next_slice(self) -> int:
        """The size of the next input slice (bounded library), adapted to the last one.

        brotli's binding copies the input it could not use before its output limit into a
        buffer of its own, again on every call that stops there: with 64 KiB slices of JSON
        (~5:1) and 32 KiB outputs, about one byte copied per output byte. A slice that stopped
        more than once is halved (not below BROTLI_SLICE); one that decoded to less than a
        quarter of a piece (incompressible data) is doubled, up to SLICE_CAP, so pieces do not
        shrink to the slice size.
        """
        size = self._slice
        if not self._started:
            pass
        elif self._stops > 1:
            size = max(BROTLI_SLICE, size >> 1)
        elif self._slice_out * 4 < self._max_length:
            size = min(SLICE_CAP, size << 1)
        self._slice = size
        self._stops = self._slice_out = 0
        return size

    def _produce_unbounded(self, limit: int) -> bytes | None:
        parts: list[bytes | memoryview] = []
        room = self._max_length
        while room:
            moved = self._drain(parts, room)
            if moved:
                room -= moved
                continue
            d = self._d
            if not self._next_input(limit):
                break
            data = _take(self, self._slice)
            self._started = True
            if type(data) is not bytes and self._lib.name == "brotlicffi":
                data = bytes(data)
            try:
                out = d.process(data)
            except self._lib.module.error as exc:
                raise DecodeError(str(exc)) from exc
            if len(out) > BROTLI_UNBOUNDED_MAX_OUTPUT:
                raise DecodeError(_unbounded_brotli_message(self._lib, len(out), len(data)))
            elif len(out) >= self._max_length:
                self._slice = 1
            elif len(out) * 4 < self._max_length:
                self._slice = min(self._slice * 2, BROTLI_UNBOUNDED_SLICE_CAP)
            self._hold(out)
        return _join(parts)

    def _finish(self) -> None:
        if self._started and not self._d.is_finished():
            raise DecodeError("brotli data is incomplete")


def _unbounded_brotli_message(lib: CodecLibrary, produced: int, consumed: int) -> str:
    return (
        f"br body expands beyond what {lib.name} {lib.version} can bound "
        f"({produced} bytes from {consumed} input bytes in one call; that library has no "
        f'output limit before 1.2): pip install "{lib.name}>=1.2"'
    )


#: The content codings this installation decodes, for Accept-Encoding (identity not listed).
SUPPORTED_ENCODINGS: tuple[str, ...] = (
    ("gzip", "deflate") + (("br",) if _BROTLI else ()) + (("zstd",) if _ZSTD else ())
)
