"""Content decoders, compiled: identity, gzip, deflate, and chains of codings.

The pull contract, the queue invariants and the pieces are those of `_codecs` (read its
docstring); `_pure/_zlib.py` is the twin and gives the same pieces for the same calls (on
damaged input, kernel (a) below can meet the error one piece before zlib.decompressobj does).

Two inflate kernels:

* (a) zlib's C API (`_zshim.h`), for the "zlib" backend where zlib.h exists: one z_stream,
  reset per gzip member; `next_in` points into the queued bytes object (held, never copied)
  and `next_out` into a new bytes object of `max_length`, shrunk to what was written. Output
  bytes are written once; input bytes are read once. The GIL is released around inflate().
* (b) a backend's Python-level decompressor (`_codecs.InflateBackend`): `isal`, `zlib-ng`,
  and stdlib `zlib` where there is no zlib.h (Windows). Fed bounded slices exactly as the
  pure twin does (see its docstring), so time is linear in the input and output per call is
  bounded by the room left in the piece. The gzip header checks and the isal header rule are
  the twin's too (see its docstring).

Memory held by a decoder: the queued input (references to the caller's bytes), at most one
output piece, and the codec state (zlib: 7 KiB + a 32 KiB window).
"""

cimport cython
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.object cimport PyObject
from cpython.ref cimport Py_INCREF, Py_XDECREF
from libc.limits cimport LLONG_MAX, UINT_MAX
from libc.string cimport memcpy, memmove

from collections import deque

from ._codecs import (
    FIRST_SLICE,
    MAX_CODINGS,
    BrotliDecoder,
    ZstdDecoder,
    check_max_length,
    gzip_member_backend,
    inflate_backend,
    slice_cap,
    too_many_codings,
)
from ._errors import DecodeError

cdef extern from "Python.h":
    int _PyBytes_Resize(PyObject **string, Py_ssize_t newsize) except -1

cdef extern from "_zshim.h":
    ctypedef unsigned char Bytef
    ctypedef unsigned int uInt
    ctypedef struct z_stream:
        Bytef *next_in
        uInt avail_in
        Bytef *next_out
        uInt avail_out
        unsigned long total_in
        unsigned long total_out
        char *msg
        int data_type
        unsigned long adler
    int FS_HAVE_ZLIB
    int FS_CAN_DEFER_CHECK
    int Z_OK
    int Z_STREAM_END
    int Z_NEED_DICT
    int Z_STREAM_ERROR
    int Z_DATA_ERROR
    int Z_MEM_ERROR
    int Z_BUF_ERROR
    int Z_NO_FLUSH
    int Z_BLOCK
    int fs_inflate_init(z_stream *strm, int wbits)
    int fs_inflate_validate(z_stream *strm, int check)
    int inflate(z_stream *strm, int flush) nogil
    int inflateReset(z_stream *strm)
    int inflateEnd(z_stream *strm)

#: True when this build calls zlib's C API (kernel a); False on Windows.
ZLIB_C_API = bool(FS_HAVE_ZLIB)

cdef bint _use_c_api = FS_HAVE_ZLIB


def _use_zlib_c_api(bint enabled):
    """Tests and benchmarks: make new "zlib" decoders use kernel (a) (where built) or (b)."""
    global _use_c_api
    _use_c_api = enabled and FS_HAVE_ZLIB


# states of an inflate decoder
cdef enum:
    HEAD = 0  # before a gzip member / the deflate stream: its first bytes are checked here
    BODY = 1  # inside a member / the stream: the kernel is inflating
    DONE = 2  # after the deflate stream, or gzip trailing garbage: the rest is ignored

_HEADER_ERROR = "Error -3 while decompressing data: incorrect header check"
_METHOD_ERROR = "Error -3 while decompressing data: unknown compression method"
_FLAGS_ERROR = "Error -3 while decompressing data: unknown header flags set"
_CRC_ERROR = "Error -3 while decompressing data: incorrect data check"
_LENGTH_ERROR = "Error -3 while decompressing data: incorrect length check"
# zlib's Z_NEED_DICT, checked here for every backend (zlib-ng's _ZlibDecompressor mishandles it)
_DICT_ERROR = "Error 2 while decompressing data: the stream needs a preset dictionary"


cdef str _zlib_message(int err, const char *msg):
    """zlib's error as the zlib module words it, so both kernels raise the same message."""
    cdef str text
    if msg != NULL:
        text = msg.decode("latin-1")
    elif err == Z_BUF_ERROR:
        text = "incomplete or truncated stream"
    elif err == Z_STREAM_ERROR:
        text = "inconsistent stream state"
    elif err == Z_DATA_ERROR:
        text = "invalid input data"
    else:
        return f"Error {err} while decompressing data"
    return f"Error {err} while decompressing data: {text}"


# ---------------------------------------------------------------------------------------------
# The input queue and the piece iterators


cdef class _Queue:
    """Base of the compiled decoders: queued input and the pull contract (see `_codecs`)."""

    cdef Py_ssize_t _max_length
    cdef bytes _buf          # the current entry; `_buf[_pos:]` is not consumed yet
    cdef Py_ssize_t _pos
    cdef long long _mark
    cdef object _later       # deque of (bytes, pos, mark), marks non-decreasing
    cdef long long _calls
    cdef object _error       # the DecodeError raised, raised again on every later pull
    cdef bint _busy          # set while producing (the GIL may be released then)

    def __cinit__(self):
        self._max_length = 65536
        self._buf = b""
        self._later = deque()

    def decode(self, data):
        if data:
            if type(data) is not bytes:
                data = bytes(data)  # a private copy: the caller may reuse a bytearray
            self._calls += 1
            self._later.append((data, 0, self._calls))
        return _Pieces(self, self._calls, False)

    def flush(self):
        return _Pieces(self, LLONG_MAX, True)

    cdef object _pull(self, long long limit, bint final):
        """The next piece for an iterator with this limit; None when there is none."""
        if self._error is not None:
            raise DecodeError(*self._error.args) from self._error
        if self._busy:
            raise RuntimeError("a content decoder cannot be used by two threads at once")
        self._busy = True
        try:
            piece = self._produce(limit)
            if piece is None and final:
                self._finish()
            return piece
        except DecodeError as exc:
            self._error = exc
            raise
        finally:
            self._busy = False

    cdef object _produce(self, long long limit):
        return None

    cdef int _finish(self) except -1:
        return 0

    cdef bint _next_input(self, long long limit) except -1:
        """Make `_buf[_pos:]` non-empty from entries marked <= limit; False if none."""
        while self._pos >= PyBytes_GET_SIZE(self._buf):
            if not self._later:
                return False
            item = self._later[0]
            if <long long>item[2] > limit:
                return False
            self._later.popleft()
            self._buf, self._pos, self._mark = item
        return self._mark <= limit

    cdef bytes _peek(self, Py_ssize_t n, long long limit):
        """Up to `n` bytes at the read position, not consumed; merges entries if needed."""
        cdef bytes got, buf, take
        cdef Py_ssize_t bpos
        cdef long long mark
        if not self._next_input(limit):
            return b""
        if (PyBytes_GET_SIZE(self._buf) - self._pos >= n or not self._later
                or <long long>self._later[0][2] > limit):
            return self._buf[self._pos:self._pos + n]
        got = self._buf[self._pos:]
        mark = self._mark
        while len(got) < n and self._later and <long long>self._later[0][2] <= limit:
            buf, bpos, mark = self._later.popleft()
            take = buf[bpos:bpos + n - len(got)]
            got += take
            if bpos + len(take) < len(buf):
                self._later.appendleft((buf, bpos + len(take), mark))
        self._buf, self._pos, self._mark = got, 0, mark
        return got

    cdef object _take(self, Py_ssize_t n):
        """Consume up to `n` bytes of the current entry, as a view (no copy)."""
        cdef Py_ssize_t pos = self._pos
        cdef Py_ssize_t size = PyBytes_GET_SIZE(self._buf)
        cdef Py_ssize_t end = size if size - pos <= n else pos + n
        self._pos = end
        if pos == 0 and end == size:
            return self._buf
        return memoryview(self._buf)[pos:end]

    cdef int _pushback(self, bytes data) except -1:
        """Put `data` before the rest of the input (a decompressor's `unused_data`)."""
        if self._pos < PyBytes_GET_SIZE(self._buf):
            self._later.appendleft((self._buf, self._pos, self._mark))
        self._buf = data
        self._pos = 0
        return 0

    cdef int _drop_input(self) except -1:
        self._buf = b""
        self._pos = 0
        self._later.clear()
        return 0

    cdef Py_ssize_t _pending_input(self) except -1:
        cdef Py_ssize_t n = PyBytes_GET_SIZE(self._buf) - self._pos
        for item in self._later:
            n += len(item[0]) - <Py_ssize_t>item[1]
        return n


@cython.final
cdef class _Pieces:
    """The iterator `decode()` and `flush()` return."""

    cdef _Queue _dec
    cdef long long _limit
    cdef bint _final
    cdef bint _done

    def __cinit__(self, _Queue dec not None, long long limit, bint final):
        self._dec = dec
        self._limit = limit
        self._final = final

    def __iter__(self):
        return self

    def __next__(self):
        if self._done:
            raise StopIteration
        try:
            piece = self._dec._pull(self._limit, self._final)
        except BaseException:
            self._done = True
            raise
        if piece is None:
            self._done = True
            raise StopIteration
        return piece


@cython.final
cdef class IdentityDecoder(_Queue):
    """No content coding: the data again, in pieces of at most `max_length` bytes."""

    def __init__(self, max_length=65536):
        self._max_length = check_max_length(max_length)

    cdef object _produce(self, long long limit):
        if not self._next_input(limit):
            return None
        cdef bytes buf = self._buf
        cdef Py_ssize_t pos = self._pos
        cdef Py_ssize_t size = PyBytes_GET_SIZE(buf)
        cdef Py_ssize_t end = size if size - pos <= self._max_length else pos + self._max_length
        self._pos = end
        if pos == 0 and end == size:
            return buf
        return buf[pos:end]


# ---------------------------------------------------------------------------------------------
# gzip and deflate


cdef class _Inflate(_Queue):
    cdef bint _gzip
    cdef int _state
    cdef Py_ssize_t _members     # complete gzip members so far
    # kernel (a)
    cdef bint _capi
    cdef bint _zinit
    cdef bint _zpending          # the last inflate() filled the output: it may hold more
    cdef z_stream _zs
    cdef bytes _spare            # an output buffer that came back empty, used next time
    # kernel (b)
    cdef object _info            # the decoder's InflateBackend
    cdef object _errors          # what the current member's backend raises on bad data
    cdef bint _buffers_input     # the current member's backend keeps unused input
    cdef object _d               # the decompressor for the current member / stream
    cdef bint _held              # it may hold output: call it again with no input
    cdef Py_ssize_t _slice
    cdef Py_ssize_t _cap
    # kernel (a) with the gzip CRC left to the consumer (`_defer_check`)
    cdef bint _defer             # members started from now on leave their CRC to the consumer
    cdef bint _deferred          # the current member's CRC and ISIZE are not checked by zlib
    cdef bint _fhcrc             # the current member has a header CRC: zlib keeps its checks
    cdef bint _trailer           # the deferred member's deflate data has ended
    cdef bint _crc_told          # ... and its CRC has been reported
    cdef unsigned long _trailer_at   # the member's total_in where its trailer starts
    cdef unsigned char _tail[8]  # the last 8 input bytes inflate() consumed
    cdef list _events            # this produce call's (kind, value) events, or None
    cdef object _partial         # the output of the produce call that raised

    cdef int _setup(self, max_length, backend, bint gzip) except -1:
        self._max_length = check_max_length(max_length)
        info = self._info = inflate_backend(backend)
        self._gzip = gzip
        self._state = HEAD
        self._capi = _use_c_api and info.name == "zlib"
        return 0

    def __dealloc__(self):
        if self._zinit:
            inflateEnd(&self._zs)

    cdef object _produce(self, long long limit):
        if self._capi:
            if self._defer:
                return self._produce_d(limit)
            return self._produce_a(limit)
        return self._produce_b(limit)

    def _defer_check(self):
        """The worker path: leave the gzip CRC (and ISIZE) check to the consumer.

        From now on zlib skips the check of every member it can (not one with a header CRC,
        nor the current one once its last block has begun), and each produce call records
        events the consumer takes with `_take_checks()` after it: ``(0, offset)`` the current
        member's output ends at `offset` of this call's piece (every member reports it);
        ``(1, crc)`` the trailer's CRC of the member that ended last has been consumed: the
        serial kernel would have raised `incorrect data check` in this call if the output's
        CRC differs. Returns the CRC of the current member's output so far (0 if the current
        member keeps zlib's check), or None where the check cannot be deferred (kernel (b),
        deflate, zlib before 1.2.9).
        """
        if not (self._capi and self._gzip and FS_CAN_DEFER_CHECK) or self._defer:
            return None
        if self._busy:
            raise RuntimeError("a content decoder cannot be used by two threads at once")
        self._defer = True
        if (self._state == BODY and not self._fhcrc and not self._zs.data_type & 64
                and fs_inflate_validate(&self._zs, 0) == Z_OK):
            self._deferred = True
            self._trailer = False
            self._crc_told = False
            return self._zs.adler & 0xFFFFFFFF
        return 0

    def _take_checks(self):
        """The last produce call's events (a list, or None) and, if it raised, the output it
        had made (bytes, else None); both are cleared."""
        events = self._events
        partial = self._partial
        self._events = None
        self._partial = None
        return events, partial

    cdef int _start(self, long long limit) except -1:
        """Check the first bytes of a member / the stream and start the kernel on it.

        0: more input is needed to decide; 1: started (or the rest is garbage).
        """
        cdef bytes head
        cdef int wbits, cmf, flg
        cdef Py_ssize_t n
        cdef Py_ssize_t first = FIRST_SLICE
        info = self._info
        if self._gzip:
            head = self._peek(4, limit)
            n = len(head)
            if n == 0:
                return 0
            if self._members and (head[0] != 0x1F or (n > 1 and head[1] != 0x8B)):
                self._state = DONE  # trailing garbage after a complete member
                return 1
            if head[0] != 0x1F or (n > 1 and head[1] != 0x8B):
                raise DecodeError(_HEADER_ERROR)
            if n > 2 and head[2] != 8:
                raise DecodeError(_METHOD_ERROR)
            if n > 3 and head[3] & 0xE0:
                raise DecodeError(_FLAGS_ERROR)
            if n < 4:
                return 0
            self._fhcrc = (head[3] & 0x02) != 0
            wbits = 31
            info, first = gzip_member_backend(info, self._buf, self._pos)
        else:
            head = self._peek(2, limit)
            if len(head) < 2:
                return 0
            cmf = head[0]
            flg = head[1]
            if cmf & 0x0F == 8 and cmf >> 4 <= 7 and (cmf * 256 + flg) % 31 == 0:
                if flg & 0x20:
                    raise DecodeError(_DICT_ERROR)
                wbits = 15
            else:
                wbits = -15
        if self._capi:
            self._zstart(wbits)
        else:
            self._d = info.new(wbits)
            self._errors = info.errors
            self._buffers_input = info.buffers_input
            self._held = False
            self._slice = first
            self._cap = slice_cap(info, self._max_length)
        self._state = BODY
        return 1

    cdef int _ended(self) except -1:
        self._members += 1
        self._state = HEAD if self._gzip else DONE
        return 0

    cdef int _finish(self) except -1:
        cdef Py_ssize_t rest
        if self._state == BODY:
            raise DecodeError(("gzip" if self._gzip else "deflate") + " data is incomplete")
        if self._state == HEAD:
            rest = self._pending_input()
            if self._gzip and self._members and rest == 1:
                return 0  # a lone 1f after complete members: trailing garbage
            if rest:
                raise DecodeError(("gzip" if self._gzip else "deflate") + " data is incomplete")
        return 0

    # -- kernel (a): zlib's C API --

    cdef int _zstart(self, int wbits) except -1:
        cdef int err
        if self._zinit:
            err = inflateReset(&self._zs)
        else:
            err = fs_inflate_init(&self._zs, wbits)
            if err == Z_OK:
                self._zinit = True
        if err == Z_MEM_ERROR:
            raise MemoryError("zlib could not allocate its state")
        if err != Z_OK:
            raise DecodeError(_zlib_message(err, NULL))
        self._zpending = False
        self._zs.data_type = 0  # read by `_defer_check` before this member's first call
        if self._defer:
            # inflateReset keeps the choice of the member before: set it for this one
            self._deferred = not self._fhcrc and fs_inflate_validate(&self._zs, 0) == Z_OK
            if not self._deferred:
                fs_inflate_validate(&self._zs, 1)
            self._trailer = False
            self._crc_told = False
        return 0

    cdef object _produce_a(self, long long limit):
        cdef Py_ssize_t size = self._max_length
        cdef Py_ssize_t left = size
        cdef Py_ssize_t have, used, made
        cdef uInt in_before, out_before
        cdef int err
        cdef char *base
        cdef PyObject *raw
        cdef object out = self._spare
        self._spare = None
        if out is None:
            out = PyBytes_FromStringAndSize(NULL, size)
        base = PyBytes_AS_STRING(out)
        while left > 0:
            if self._state == BODY:
                if self._next_input(limit):
                    have = PyBytes_GET_SIZE(self._buf) - self._pos
                    self._zs.next_in = <Bytef *>PyBytes_AS_STRING(self._buf) + self._pos
                elif self._zpending:
                    have = 0
                    self._zs.next_in = NULL
                else:
                    break
                in_before = <uInt>have if have < UINT_MAX else UINT_MAX
                out_before = <uInt>left if left < UINT_MAX else UINT_MAX
                self._zs.avail_in = in_before
                self._zs.next_out = <Bytef *>base + (size - left)
                self._zs.avail_out = out_before
                with nogil:
                    err = inflate(&self._zs, Z_NO_FLUSH)
                used = in_before - self._zs.avail_in
                made = out_before - self._zs.avail_out
                self._pos += used
                left -= made
                self._zpending = self._zs.avail_out == 0
                self._zs.next_in = NULL
                self._zs.next_out = NULL
                if err == Z_STREAM_END:
                    self._zpending = False
                    self._ended()
                elif err == Z_BUF_ERROR or (err == Z_OK and used == 0 and made == 0):
                    self._zpending = False  # no progress: it needs more input
                    if have:  # pragma: no cover - inflate() made no progress on input
                        raise DecodeError(_zlib_message(Z_BUF_ERROR, NULL))
                elif err == Z_MEM_ERROR:
                    raise MemoryError("zlib could not allocate its window")
                elif err != Z_OK:
                    raise DecodeError(_zlib_message(err, self._zs.msg))
            elif self._state == HEAD:
                if not self._start(limit):
                    break
            else:
                self._drop_input()
                break
        if left == size:
            self._spare = out
            return None
        if left:
            raw = <PyObject *>out
            Py_INCREF(out)
            out = None
            _PyBytes_Resize(&raw, size - left)  # refcount 1: shrinks in place or reallocates
            out = <object>raw
            Py_XDECREF(raw)
        return out

    # -- kernel (a) with the CRC left to the consumer --
    #
    # The pieces, and the calls that raise, are the serial kernel's; an error it would raise
    # at a member's CRC is the consumer's to raise, from the events. zlib runs deferred members
    # with Z_BLOCK, so it stops where the last block ends: there the output is the member's
    # and the trailer starts (bits left in zlib's bit buffer are whole trailer bytes already
    # consumed, fewer than 8 bits in practice). As the serial kernel does, a call goes on
    # through the trailer even when its piece is full. zlib (>= 1.2.12) also skips ISIZE
    # unchecked: it is checked here, at the member's end, the call the serial kernel raises in.

    cdef int _event(self, int kind, unsigned long value) except -1:
        if self._events is None:
            self._events = []
        self._events.append((kind, value))
        return 0

    cdef int _keep_tail(self, const unsigned char *start, Py_ssize_t used) except -1:
        if used >= 8:
            memcpy(self._tail, start + used - 8, 8)
        else:
            memmove(self._tail, self._tail + used, 8 - used)
            memcpy(self._tail + 8 - used, start, used)
        return 0

    cdef unsigned long _tail_word(self, Py_ssize_t i):
        return (self._tail[i] | (<unsigned long>self._tail[i + 1] << 8)
                | (<unsigned long>self._tail[i + 2] << 16)
                | (<unsigned long>self._tail[i + 3] << 24))

    cdef object _produce_d(self, long long limit):
        cdef Py_ssize_t size = self._max_length
        cdef Py_ssize_t left = size
        cdef Py_ssize_t have, used, made
        cdef uInt in_before, out_before
        cdef int err, flush
        cdef bint typestop
        cdef bint again = False
        cdef char *base
        cdef const unsigned char *start
        cdef PyObject *raw
        cdef object out = self._spare
        self._spare = None
        self._events = None
        self._partial = None
        if out is None:
            out = PyBytes_FromStringAndSize(NULL, size)
        base = PyBytes_AS_STRING(out)
        try:
            while left > 0 or self._trailer or again:
                if self._state == BODY:
                    if self._next_input(limit):
                        have = PyBytes_GET_SIZE(self._buf) - self._pos
                        self._zs.next_in = <Bytef *>PyBytes_AS_STRING(self._buf) + self._pos
                    elif self._zpending and not self._trailer:
                        have = 0
                        self._zs.next_in = NULL
                    else:
                        break
                    again = False
                    start = self._zs.next_in
                    in_before = <uInt>have if have < UINT_MAX else UINT_MAX
                    out_before = <uInt>left if left < UINT_MAX else UINT_MAX
                    self._zs.avail_in = in_before
                    self._zs.next_out = <Bytef *>base + (size - left)
                    self._zs.avail_out = out_before
                    flush = Z_BLOCK if self._deferred and not self._trailer else Z_NO_FLUSH
                    with nogil:
                        err = inflate(&self._zs, flush)
                    used = in_before - self._zs.avail_in
                    made = out_before - self._zs.avail_out
                    self._pos += used
                    left -= made
                    self._zpending = self._zs.avail_out == 0 and not self._trailer
                    self._zs.next_in = NULL
                    self._zs.next_out = NULL
                    if used:
                        self._keep_tail(start, used)
                    if (self._trailer and not self._crc_told
                            and self._zs.total_in - self._trailer_at >= 4):
                        # the trailer's bytes consumed so far are the last of `_tail`; it
                        # is 8 bytes long, so more would be a kernel fault, never read past
                        if self._zs.total_in - self._trailer_at > 8:
                            raise DecodeError(_zlib_message(Z_BUF_ERROR, NULL))
                        self._crc_told = True
                        self._event(1, self._tail_word(
                            8 - <Py_ssize_t>(self._zs.total_in - self._trailer_at)))
                    # a Z_BLOCK stop at a block's end: the serial call would have gone on
                    typestop = flush == Z_BLOCK and err == Z_OK and self._zs.data_type & 0x80
                    again = typestop and left == 0
                    if err == Z_STREAM_END:
                        self._zpending = False
                        if not self._deferred:
                            self._event(0, size - left)
                        elif self._tail_word(4) != self._zs.total_out & 0xFFFFFFFF:
                            raise DecodeError(_LENGTH_ERROR)
                        self._trailer = False
                        self._ended()
                    elif typestop and self._zs.data_type & 0x40:
                        # the last block has ended: the trailer is next
                        again = False
                        self._trailer = True
                        self._trailer_at = self._zs.total_in - ((self._zs.data_type & 0x3F) >> 3)
                        self._zpending = False
                        self._event(0, size - left)
                    elif err == Z_BUF_ERROR or (err == Z_OK and used == 0 and made == 0):
                        if out_before:  # a call with room made no progress: it needs input
                            self._zpending = False
                            if have:  # pragma: no cover - inflate() made no progress on input
                                raise DecodeError(_zlib_message(Z_BUF_ERROR, NULL))
                    elif err == Z_MEM_ERROR:
                        raise MemoryError("zlib could not allocate its window")
                    elif err != Z_OK:
                        raise DecodeError(_zlib_message(err, self._zs.msg))
                elif self._state == HEAD:
                    if not self._start(limit):
                        break
                else:
                    self._drop_input()
                    break
        except BaseException:
            self._partial = out[:size - left]
            raise
        if left == size:
            self._spare = out
            return None
        if left:
            raw = <PyObject *>out
            Py_INCREF(out)
            out = None
            _PyBytes_Resize(&raw, size - left)
            out = <object>raw
            Py_XDECREF(raw)
        return out

    # -- kernel (b): a Python-level decompressor --

    cdef object _produce_b(self, long long limit):
        cdef list parts = None
        cdef object first = None
        cdef Py_ssize_t room = self._max_length
        cdef Py_ssize_t n
        while room:
            if self._state == BODY:
                out = self._inflate_b(limit, room)
                if out is None:
                    break
                n = PyBytes_GET_SIZE(out)
                if n:
                    room -= n
                    if first is None:
                        first = out
                    else:
                        if parts is None:
                            parts = [first]
                        parts.append(out)
            elif self._state == HEAD:
                if not self._start(limit):
                    break
            else:
                self._drop_input()
                break
        if parts is not None:
            return b"".join(parts)
        return first

    cdef object _inflate_b(self, long long limit, Py_ssize_t room):
        """One call to the decompressor; None when it needs input and none is queued."""
        cdef object d = self._d
        cdef object data
        cdef bytes out
        cdef Py_ssize_t tail
        if self._held:
            data = b""
        elif self._next_input(limit):
            data = self._take(self._slice)
            self._slice = min(self._slice * 2, self._cap)
        else:
            return None
        try:
            out = d.decompress(data, room)
        except self._errors as exc:
            raise DecodeError(str(exc)) from exc
        if d.eof:
            unused = d.unused_data
            if unused:
                self._pushback(unused)
            self._d = None
            self._held = False
            self._ended()
        elif self._buffers_input:
            # A full piece may leave output behind even when `needs_input` says otherwise
            # (zlib-ng 1.1's _ZlibDecompressor does), so ask again with no input first.
            self._held = not d.needs_input or PyBytes_GET_SIZE(out) == room
            if not data and not out and self._held:  # pragma: no cover - a stalled library
                raise DecodeError("the inflate backend made no progress")
        else:
            # zlib.decompressobj: what it did not use is handed again, as a slice of our own
            # entry, next call (at the end of a stream `unconsumed_tail` can repeat
            # `unused_data`, so it is only read before the end)
            tail = len(d.unconsumed_tail)
            self._pos -= tail
            self._held = not tail and PyBytes_GET_SIZE(out) == room
        return out


@cython.final
cdef class GzipDecoder(_Inflate):
    """gzip (RFC 1952): every member decoded; trailing garbage after a member ignored."""

    def __init__(self, max_length=65536, backend=None):
        self._setup(max_length, backend, True)


@cython.final
cdef class DeflateDecoder(_Inflate):
    """deflate: zlib-wrapped (RFC 1950), or raw deflate (RFC 1951) when no zlib header."""

    def __init__(self, max_length=65536, backend=None):
        self._setup(max_length, backend, False)


# ---------------------------------------------------------------------------------------------
# chains


@cython.final
cdef class MultiDecoder:
    """A chain of content decoders, `children` in the order the codings were applied."""

    cdef tuple _children

    def __init__(self, children):
        children = tuple(children)
        if not children:
            raise ValueError("MultiDecoder needs at least one decoder")
        if len(children) > MAX_CODINGS:
            raise too_many_codings(len(children))
        self._children = children[::-1]

    def decode(self, data):
        # The first layer queues `data` now; the rest happens as the consumer pulls.
        return _through(self._children, 0, self._children[0].decode(data))

    def flush(self):
        return _flush_from(self._children)


def _through(tuple children, Py_ssize_t i, pieces):
    if i + 1 == len(children):
        yield from pieces
        return
    nxt = children[i + 1]
    for piece in pieces:
        yield from _through(children, i + 1, nxt.decode(piece))


def _flush_from(tuple children):
    cdef Py_ssize_t j
    for j in range(len(children)):
        yield from _through(children, j, children[j].flush())


_ALL_CODECS = {
    "gzip": GzipDecoder,
    "deflate": DeflateDecoder,
    "br": BrotliDecoder,
    "zstd": ZstdDecoder,
}
# every known coding: one whose library is missing raises DecodeError when its decoder
# is made, so compressed bytes never pass for the body
_CODECS = _ALL_CODECS


def make_decoder(encodings, max_length=65536):
    """The decoder for these Content-Encoding header values (see `_zlib.pyi`)."""
    check_max_length(max_length)
    if isinstance(encodings, str):
        encodings = (encodings,)
    names = []
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
