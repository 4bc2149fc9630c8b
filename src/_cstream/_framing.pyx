# HTTP/1.1 response body framing, compiled: ContentLengthReader, ChunkedReader,
# CloseDelimitedReader. The pure twin is _pure/_framing.py; the API and its docs are in
# _framing.pyi. FramingError and the messages both sides raise come from _errors.py, the
# trailer parser from _chunked.py (shared, pure Python).
#
# Rules (the same on both sides; h11 0.16's strictness):
#
# 1. A chunk-size line runs to the first CRLF: 1-20 hex digits, then ";" and any bytes but LF
#    (an extension: dropped, sets suspicious) or only SP/HTAB. A bare LF in it is an error at
#    once. Chunk data must be followed by exactly CRLF.
# 2. The "0" chunk is followed by a trailer block ended by an empty line, parsed with h11's
#    header-line rules by _chunked.parse_trailers (trailers are rare; not a hot path).
# 3. Bytes after the end of the message are kept in surplus and set suspicious.
# 4. Error messages never depend on where the input was split.
#
# Complexity contract: linear in the input. Chunk data is never searched: the data of every
# chunk in one feed() goes out as one piece (the input itself if it is all data), copied once
# into a bytes object sized for the rest of the input and shrunk to what it holds, so a run
# of small chunks costs one object -- and one trip through the iterators above -- per read,
# not per chunk; or a transport receives it itself, into objects of its own, bounded by
# `remaining`, and reports it with advance() (the reader then expects the CRLF after the
# chunk, as if feed() had cut the data). The chunk-size line is searched
# with memchr from where the last search stopped and only a line split across pieces is
# buffered (capped by max_line_size); the trailer block is buffered up to max_trailer_size + 1
# bytes and searched from two bytes before the end of the previous search.

from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytes cimport PyBytes_FromStringAndSize
from cpython.ref cimport PyObject, Py_XDECREF
from libc.string cimport memchr, memcpy

cimport cython

from ._chunked import parse_chunk_size, parse_trailers, trailer_block_end
from ._errors import (
    BAD_FOOTER,
    CHUNK_LINE_TOO_LONG,
    ILLEGAL_CHUNK_HEADER,
    INCOMPLETE_CHUNKED,
    INCOMPLETE_LENGTH,
    TRAILER_TOO_LONG,
    FramingError,
)

__all__ = ["ChunkedReader", "CloseDelimitedReader", "ContentLengthReader", "FramingError"]

cdef extern from "Python.h":
    # Owned references, managed by hand: _PyBytes_Resize needs the only reference to the
    # object (it may move it), which a Cython-managed variable cannot promise.
    PyObject* _new_bytes "PyBytes_FromStringAndSize"(const char* s, Py_ssize_t n) except NULL
    char* _bytes_data "PyBytes_AS_STRING"(PyObject* b)
    int _PyBytes_Resize(PyObject** b, Py_ssize_t n) except -1

cdef enum:
    S_SIZE = 0
    S_DATA = 1
    S_CR = 2
    S_LF = 3
    S_TRAILER = 4

# Largest chunk size kept exactly; bigger declared sizes saturate here (2**64 - 1 bytes can
# never arrive, so the difference is not observable).
cdef unsigned long long _SIZE_CAP = 0xFFFFFFFFFFFFFFFF


cdef class _Reader:
    cdef bint _done
    cdef str _error  # set once a FramingError was raised; later calls raise it again
    cdef bint _suspicious
    cdef unsigned long long _received
    cdef bytearray _surplus
    cdef list _trailers

    def __cinit__(self):
        self._surplus = bytearray()
        self._trailers = []

    @property
    def done(self) -> bool:
        return self._done

    @property
    def error(self) -> str | None:
        return self._error

    @property
    def received(self) -> int:
        return self._received

    @property
    def surplus(self) -> bytes:
        return bytes(self._surplus)

    @property
    def suspicious(self) -> bool:
        return self._suspicious

    @property
    def trailers(self) -> list:
        return list(self._trailers)

    cdef int _keep_surplus(self, const char* p, Py_ssize_t n) except -1:
        if n > 0:
            self._surplus += p[:n]
            self._suspicious = True
        return 0

    def feed(self, data) -> list:
        """Feed body bytes; return the body pieces they complete (never empty pieces)."""
        cdef Py_buffer view
        cdef list out = []
        if self._error is not None:
            raise FramingError(self._error)
        PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
        try:
            if self._done:
                self._keep_surplus(<const char*>view.buf, view.len)
                return out
            try:
                self._feed(data, <const char*>view.buf, view.len, out)
            except FramingError as exc:
                # Dead from now on; pieces completed before the error are still returned
                # (delivery does not depend on the split) and the next call raises.
                self._error = str(exc)
                if not out:
                    raise
            return out
        finally:
            PyBuffer_Release(&view)

    cdef int _feed(self, object data, const char* p, Py_ssize_t n, list out) except -1:
        raise NotImplementedError

    def feed_eof(self) -> None:
        """The peer closed the connection."""
        if self._error is not None:
            raise FramingError(self._error)
        if not self._done:
            try:
                self._eof()
            except FramingError as exc:
                self._error = str(exc)
                raise

    cdef _eof(self):
        raise NotImplementedError


cdef inline object _piece(object data, const char* p, Py_ssize_t pos, Py_ssize_t take,
                          Py_ssize_t n):
    if take == n and type(data) is bytes:
        return data
    return PyBytes_FromStringAndSize(p + pos, take)


@cython.final
cdef class ContentLengthReader(_Reader):
    cdef unsigned long long _length
    cdef unsigned long long _remaining
    cdef object _py_length

    def __init__(self, length: int) -> None:
        self.reset(length)

    cdef int _feed(self, object data, const char* p, Py_ssize_t n, list out) except -1:
        cdef Py_ssize_t take
        if n == 0:
            return 0
        if <unsigned long long>n <= self._remaining:
            self._remaining -= n
            self._received += n
            self._done = self._remaining == 0
            out.append(_piece(data, p, 0, n, n))
            return 0
        take = <Py_ssize_t>self._remaining
        self._remaining = 0
        self._received += take
        self._done = True
        self._keep_surplus(p + take, n - take)
        if take:
            out.append(PyBytes_FromStringAndSize(p, take))
        return 0

    cdef _eof(self):
        raise FramingError(INCOMPLETE_LENGTH.format(self._received, self._py_length))

    @property
    def remaining(self) -> int:
        return self._py_length - self._received

    def advance(self, n: int) -> None:
        """Count `n` body bytes received outside feed(), at most `remaining`."""
        if self._error is not None:
            raise FramingError(self._error)
        if n < 0 or n > self.remaining:
            raise ValueError("advance() past the end of the body")
        self._remaining -= <unsigned long long>n
        self._received += <unsigned long long>n
        self._done = self._remaining == 0

    def reset(self, length: int) -> None:
        """Back to the state of a new ContentLengthReader(length), whatever came before."""
        if length < 0:
            raise ValueError("length must be >= 0")
        # A length past 2**64 - 1 can never be reached: saturate (the value is only reported).
        self._length = length if length <= _SIZE_CAP else _SIZE_CAP
        self._remaining = self._length
        self._done = self._length == 0
        self._py_length = length
        self._error = None
        self._suspicious = False
        self._received = 0
        if self._surplus:
            del self._surplus[:]
        if self._trailers:
            del self._trailers[:]


@cython.final
cdef class CloseDelimitedReader(_Reader):
    def __init__(self) -> None:
        """A body that ends when the peer closes."""

    cdef int _feed(self, object data, const char* p, Py_ssize_t n, list out) except -1:
        if n > 0:
            self._received += n
            out.append(_piece(data, p, 0, n, n))
        return 0

    cdef _eof(self):
        self._done = True

    def advance(self, n: int) -> None:
        """Count `n` body bytes received outside feed()."""
        if self._error is not None:
            raise FramingError(self._error)
        if n < 0:
            raise ValueError("advance() needs n >= 0")
        if not self._done:
            self._received += <unsigned long long>n


cdef inline int _hex(unsigned char c) noexcept:
    if 48 <= c <= 57:
        return c - 48
    if 97 <= c <= 102:
        return c - 87
    if 65 <= c <= 70:
        return c - 55
    return -1


cdef bint _parse_size(const char* s, Py_ssize_t n, unsigned long long* size, bint* ext) noexcept:
    """Parse a chunk-size line without its CRLF; False if it is illegal."""
    cdef Py_ssize_t i = 0
    cdef int d
    cdef unsigned long long v = 0
    while i < n and i < 21:
        d = _hex(<unsigned char>s[i])
        if d < 0:
            break
        v = _SIZE_CAP if v > (_SIZE_CAP >> 4) else (v << 4) | d
        i += 1
    if i == 0 or i > 20:
        return False
    size[0] = v
    if i < n and s[i] == b';':
        ext[0] = True  # the line holds no LF (the caller cut it at the first one)
        return True
    ext[0] = False
    while i < n:
        if s[i] != b' ' and s[i] != b'\t':
            return False
        i += 1
    return True


@cython.final
cdef class ChunkedReader(_Reader):
    cdef Py_ssize_t _max_trailer
    cdef Py_ssize_t _max_line
    cdef int _state
    cdef unsigned long long _left
    cdef bytearray _buf  # never None (made in __cinit__)
    cdef Py_ssize_t _searched

    def __cinit__(self):
        self._buf = bytearray()
        self._max_trailer = 16384
        self._max_line = 16384

    def __init__(self, max_trailer_size: int = 16384, max_line_size: int = 16384) -> None:
        if max_trailer_size < 1 or max_line_size < 1:
            raise ValueError("max_trailer_size and max_line_size must be >= 1")
        self._max_trailer = max_trailer_size
        self._max_line = max_line_size
        self._state = S_SIZE

    cdef int _feed(self, object data, const char* p, Py_ssize_t n, list out) except -1:
        # The data of all the chunks in `p` goes out as one piece. The first run of data is
        # only remembered (alone, it is cut out of the input: the input itself if it is all
        # data); a second run allocates the piece with room for everything from there to the
        # end of the input (a bound on the data still to come) and each run is copied into
        # it once. The piece is handed out, shrunk to its data, even when an error stops the
        # loop: what is delivered never depends on where the input was split.
        cdef Py_ssize_t pos = 0
        cdef Py_ssize_t take
        cdef Py_ssize_t first = -1
        cdef Py_ssize_t first_len = 0
        cdef PyObject* joined = NULL  # owned
        cdef char* dst = NULL
        cdef Py_ssize_t filled = 0
        try:
            while pos < n:
                if self._state == S_DATA:
                    take = n - pos
                    if <unsigned long long>take > self._left:
                        take = <Py_ssize_t>self._left
                    if first < 0:
                        first = pos
                        first_len = take
                    else:
                        if joined == NULL:
                            joined = _new_bytes(NULL, first_len + n - pos)
                            dst = _bytes_data(joined)
                            memcpy(dst, p + first, first_len)
                            filled = first_len
                        memcpy(dst + filled, p + pos, take)
                        filled += take
                    pos += take
                    self._received += take
                    self._left -= take
                    if self._left == 0:
                        self._state = S_CR
                elif self._state == S_SIZE:
                    pos = self._size_line(p, pos, n)
                elif self._state == S_CR:
                    if p[pos] != b'\r':
                        raise FramingError(BAD_FOOTER)
                    pos += 1
                    self._state = S_LF
                elif self._state == S_LF:
                    if p[pos] != b'\n':
                        raise FramingError(BAD_FOOTER)
                    pos += 1
                    self._state = S_SIZE
                else:
                    pos = self._trailer(p, pos, n)
                    if self._done:
                        self._keep_surplus(p + pos, n - pos)
                        break
        finally:
            if joined != NULL:
                # Shrinking gives back the room the framing would have taken (on failure it
                # frees the object, leaves NULL and raises MemoryError).
                try:
                    _PyBytes_Resize(&joined, filled)
                    out.append(<object>joined)
                finally:
                    Py_XDECREF(joined)
            elif first >= 0:
                out.append(_piece(data, p, first, first_len, n))
        return 0

    cdef Py_ssize_t _size_line(self, const char* p, Py_ssize_t pos, Py_ssize_t n) except -1:
        cdef const char* hit = <const char*>memchr(p + pos, b'\n', n - pos)
        cdef Py_ssize_t end = n if hit == NULL else (hit - p) + 1
        cdef Py_ssize_t have = len(self._buf)
        cdef Py_ssize_t total = have + end - pos
        cdef unsigned long long size = 0
        cdef bint ext = False
        cdef bint ok
        cdef bytes line
        if total > (self._max_line if hit != NULL else self._max_line - 1):
            raise FramingError(CHUNK_LINE_TOO_LONG.format(self._max_line))
        if hit == NULL:
            self._buf += p[pos:end]
            return end
        if have == 0:
            # The whole line is in this piece: parse it in place.
            if total < 2 or p[end - 2] != b'\r':
                raise FramingError(ILLEGAL_CHUNK_HEADER.format(p[pos:end]))
            ok = _parse_size(p + pos, total - 2, &size, &ext)
            line = None if ok else p[pos:end - 2]
        else:
            self._buf += p[pos:end]
            if self._buf[total - 2] != 13:
                raise FramingError(ILLEGAL_CHUNK_HEADER.format(bytes(self._buf)))
            line = bytes(self._buf[:total - 2])
            del self._buf[:]
            ok = _parse_size(line, total - 2, &size, &ext)
        if not ok:
            parse_chunk_size(line)  # raises FramingError with the same text as the twin
            raise AssertionError("unreachable")  # pragma: no cover
        if ext:
            self._suspicious = True
        if size:
            self._state = S_DATA
            self._left = size
        else:
            self._state = S_TRAILER
            self._searched = 0
        return end

    cdef Py_ssize_t _trailer(self, const char* p, Py_ssize_t pos, Py_ssize_t n) except -1:
        cdef bytearray buf = self._buf
        cdef Py_ssize_t old = len(buf)
        cdef Py_ssize_t room = self._max_trailer - old  # >= 1: a full buffer raised already
        cdef Py_ssize_t stop = n if room >= n - pos else pos + room + 1
        cdef Py_ssize_t end
        # Never buffer more than one byte past the cap: enough to tell the block is too long.
        buf += p[pos:stop]
        end = trailer_block_end(buf, max(0, self._searched - 2))
        if end < 0:
            if len(buf) >= self._max_trailer:
                raise FramingError(TRAILER_TOO_LONG.format(self._max_trailer))
            self._searched = len(buf)
            return n
        if end > self._max_trailer:
            raise FramingError(TRAILER_TOO_LONG.format(self._max_trailer))
        block = bytes(buf[:end])
        del buf[:]
        self._trailers = parse_trailers(block)
        if self._trailers:
            self._suspicious = True
        self._done = True
        return pos + end - old

    cdef _eof(self):
        raise FramingError(INCOMPLETE_CHUNKED)

    @property
    def remaining(self) -> int:
        # Only chunk data can be received outside feed(): sizes, CRLFs and trailers are
        # parsed here. A dead reader takes nothing more.
        if self._state != S_DATA or self._error is not None:
            return 0
        return self._left

    def advance(self, n: int) -> None:
        """Count `n` bytes of the current chunk's data received outside feed()."""
        cdef unsigned long long k
        if self._error is not None:
            raise FramingError(self._error)
        if n < 0 or n > self.remaining:
            raise ValueError("advance() past the end of the chunk")
        k = n
        self._left -= k
        self._received += k
        if self._left == 0 and self._state == S_DATA:
            self._state = S_CR
