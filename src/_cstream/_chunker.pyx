# Exact-size re-chunking of bytes and text, and incremental text decoders (compiled types).
# The pure twin is `_pure/_chunker.py`; the API and its docs are in `_chunker.pyi`.
#
# ByteChunker: state and rules
#   `_size`     0 for chunk_size=None (pass-through), else the chunk size n >= 1.
#   `_pending`  None, or a bytes object created here and never seen by anyone else until it is
#               handed out whole as a finished chunk. Its first `_have` bytes are the partial chunk.
#   Rule 1. Between calls 0 <= _have < n, and _have <= len(_pending) <= n.
#   Rule 2. A finished chunk is built by copying each byte once: straight from the input into a new
#           bytes object when nothing is pending, else into `_pending`, which is then emitted
#           as it is (no second copy). An input that is exactly one chunk long, arriving when
#           nothing is pending, is emitted as the same object (bytes only).
#   Rule 3. `_pending` is allocated at full size when n <= _PREALLOC; for larger n it starts at
#           max(needed, _PREALLOC) and at least doubles when it grows (capped at n), so memory
#           follows the data held and growth copies O(n) bytes per chunk in total.
#   Complexity: O(len(input)) per decode; memory O(n) whatever the pieces look like.
#
# TextChunker: the same on str, counted in code points. The partial chunk is a list of
# substrings (`PyUnicode_Substring` copies just the piece, in the input's PEP 393 width) joined
# once when the chunk completes: a million 1-character pieces into a 1 MiB chunk cost O(1 MiB).
#
# TextDecoder: utf-8, ascii and latin-1 decode here; every other codec is the stdlib incremental
# decoder with errors="replace", called through its bound `decode`.
#   utf-8 rule: `_tail` holds the bytes the stateful decoder left unconsumed at the end of the
#   previous input: a valid but incomplete sequence, at most 3 bytes (checked, never trusted).
#   The next input is decoded as tail + input, which is exactly what the stdlib's buffered
#   incremental decoder does, so every split gives the stdlib's output. Inputs are read through
#   the buffer protocol and copied only when a tail is pending.

from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.number cimport PyNumber_Index
from libc.string cimport memcpy

cimport cython

import codecs
import encodings.ascii
import encodings.latin_1
import encodings.utf_8


cdef extern from "Python.h":
    bint PyBytes_CheckExact(object o)
    bint PyUnicode_Check(object o)
    Py_ssize_t PyUnicode_GET_LENGTH(object o)
    str PyUnicode_Substring(object s, Py_ssize_t start, Py_ssize_t end)
    str PyUnicode_DecodeUTF8Stateful(
        const char *s, Py_ssize_t size, const char *errors, Py_ssize_t *consumed
    )
    str PyUnicode_DecodeLatin1(const char *s, Py_ssize_t size, const char *errors)
    str PyUnicode_DecodeASCII(const char *s, Py_ssize_t size, const char *errors)


cdef enum:
    # Partial byte chunks up to this size get their full-size buffer at once (see Rule 3).
    _PREALLOC = 1024 * 1024
    # Room for the unconsumed end of a utf-8 input (at most 3 bytes can be left).
    _TAIL_ROOM = 8


cdef Py_ssize_t _parse_chunk_size(object chunk_size) except -1:
    """0 for None; else the size, which must be a positive integer (ValueError otherwise)."""
    if chunk_size is None:
        return 0
    value = PyNumber_Index(chunk_size)
    if value <= 0:
        raise ValueError(f"chunk_size must be a positive integer or None, got {chunk_size!r}")
    return value  # OverflowError past sys.maxsize


@cython.final
cdef class ByteChunker:
    cdef Py_ssize_t _size
    cdef bytes _pending
    cdef Py_ssize_t _have

    def __init__(self, chunk_size=None):
        self._size = _parse_chunk_size(chunk_size)
        self._pending = None
        self._have = 0

    def decode(self, data):
        cdef Py_buffer view
        if PyBytes_CheckExact(data):
            return self._feed(data, PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data))
        PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
        try:
            return self._feed(None, <const char *>view.buf, view.len)
        finally:
            PyBuffer_Release(&view)

    def flush(self):
        cdef bytes last
        if self._have == 0:
            return []
        if self._have == PyBytes_GET_SIZE(self._pending):
            last = self._pending
            self._pending = None
        else:
            last = PyBytes_FromStringAndSize(PyBytes_AS_STRING(self._pending), self._have)
        self._have = 0
        return [last]

    cdef list _feed(self, object whole, const char *p, Py_ssize_t n):
        """Chunks from `n` bytes at `p`; `whole` is the input itself when it is exact bytes."""
        cdef Py_ssize_t size = self._size
        cdef Py_ssize_t pos = 0
        cdef Py_ssize_t take
        cdef list out = []
        if n == 0:
            return out
        if size == 0:
            out.append(whole if whole is not None else PyBytes_FromStringAndSize(p, n))
            return out
        if self._have:
            take = size - self._have
            if take > n:
                take = n
            self._append_pending(p, take)
            pos = take
            if self._have == size:
                out.append(self._pending)
                self._pending = None
                self._have = 0
        elif whole is not None and n == size:
            out.append(whole)
            return out
        while n - pos >= size:
            out.append(PyBytes_FromStringAndSize(p + pos, size))
            pos += size
        if pos < n:
            self._append_pending(p + pos, n - pos)
        return out

    cdef int _append_pending(self, const char *p, Py_ssize_t k) except -1:
        """Copy k >= 1 bytes after the pending ones; callers keep _have + k <= _size."""
        cdef Py_ssize_t need = self._have + k
        cdef Py_ssize_t cap = 0
        cdef bytes grown
        if need > self._size or k < 1:
            raise SystemError("ByteChunker: pending chunk would overflow")
        if self._pending is not None:
            cap = PyBytes_GET_SIZE(self._pending)
        if cap < need:
            if self._size <= _PREALLOC:
                cap = self._size
            elif cap > self._size // 2:
                cap = self._size
            else:
                cap = max(need, 2 * cap, _PREALLOC)
                if cap > self._size:
                    cap = self._size
            # NULL source: a fresh, unshared object of `cap` >= 1 bytes, filled below.
            grown = PyBytes_FromStringAndSize(NULL, cap)
            if self._have:
                memcpy(PyBytes_AS_STRING(grown), PyBytes_AS_STRING(self._pending), self._have)
            self._pending = grown
        memcpy(PyBytes_AS_STRING(self._pending) + self._have, p, k)
        self._have = need
        return 0


@cython.final
cdef class TextChunker:
    cdef Py_ssize_t _size
    cdef list _parts
    cdef Py_ssize_t _have

    def __cinit__(self):
        self._parts = []

    def __init__(self, chunk_size=None):
        self._size = _parse_chunk_size(chunk_size)
        self._parts = []
        self._have = 0

    def decode(self, text):
        cdef Py_ssize_t size = self._size
        cdef Py_ssize_t n
        cdef Py_ssize_t pos = 0
        cdef Py_ssize_t take
        cdef list out = []
        if not PyUnicode_Check(text):
            raise TypeError(f"TextChunker.decode() expects str, got {type(text).__name__}")
        n = PyUnicode_GET_LENGTH(text)
        if n == 0:
            return out
        if size == 0:
            out.append(PyUnicode_Substring(text, 0, n))  # the object itself when exact str
            return out
        if self._have:
            take = size - self._have
            if take > n:
                take = n
            self._parts.append(PyUnicode_Substring(text, 0, take))
            self._have += take
            pos = take
            if self._have == size:
                out.append("".join(self._parts))
                self._parts.clear()
                self._have = 0
        while n - pos >= size:
            out.append(PyUnicode_Substring(text, pos, pos + size))
            pos += size
        if pos < n:
            self._parts.append(PyUnicode_Substring(text, pos, n))
            self._have += n - pos
        return out

    def flush(self):
        if self._have == 0:
            return []
        last = "".join(self._parts)
        self._parts.clear()
        self._have = 0
        return [last]


cdef enum _Codec:
    _UTF8 = 0
    _LATIN1 = 1
    _ASCII = 2
    _OTHER = 3


@cython.final
cdef class TextDecoder:
    cdef _Codec _codec
    cdef object _decode  # bound `decode` of a stdlib incremental decoder (_OTHER only)
    cdef char _tail[_TAIL_ROOM]
    cdef Py_ssize_t _tail_len

    def __cinit__(self):
        self._codec = _UTF8
        self._tail_len = 0

    def __init__(self, encoding="utf-8"):
        factory = codecs.getincrementaldecoder(encoding)  # LookupError when unknown
        self._tail_len = 0
        self._decode = None
        if factory is encodings.utf_8.IncrementalDecoder:
            self._codec = _UTF8
        elif factory is encodings.latin_1.IncrementalDecoder:
            self._codec = _LATIN1
        elif factory is encodings.ascii.IncrementalDecoder:
            self._codec = _ASCII
        else:
            self._codec = _OTHER
            self._decode = factory(errors="replace").decode

    def decode(self, data):
        cdef Py_buffer view
        if self._codec == _OTHER:
            return self._decode(data)
        PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
        try:
            if self._codec == _UTF8:
                return self._utf8(<const char *>view.buf, view.len)
            if self._codec == _LATIN1:
                return PyUnicode_DecodeLatin1(<const char *>view.buf, view.len, "replace")
            return PyUnicode_DecodeASCII(<const char *>view.buf, view.len, "replace")
        finally:
            PyBuffer_Release(&view)

    def flush(self):
        cdef Py_ssize_t t = self._tail_len
        if self._codec == _OTHER:
            return self._decode(b"", True)
        if t == 0:
            return ""
        self._tail_len = 0
        return PyUnicode_DecodeUTF8Stateful(self._tail, t, "replace", NULL)

    cdef str _utf8(self, const char *p, Py_ssize_t n):
        cdef Py_ssize_t t = self._tail_len
        cdef Py_ssize_t consumed = 0
        cdef bytes joined
        cdef str text
        if n == 0:
            return ""
        if t:
            # What the stdlib does: decode the held tail and the new input as one buffer.
            joined = PyBytes_FromStringAndSize(NULL, t + n)
            memcpy(PyBytes_AS_STRING(joined), self._tail, t)
            memcpy(PyBytes_AS_STRING(joined) + t, p, n)
            p = PyBytes_AS_STRING(joined)
            n += t
        text = PyUnicode_DecodeUTF8Stateful(p, n, "replace", &consumed)
        if consumed < 0 or n - consumed > _TAIL_ROOM:
            raise SystemError("utf-8 decoder left more bytes unconsumed than a character holds")
        self._tail_len = n - consumed
        if self._tail_len:
            memcpy(self._tail, p + consumed, self._tail_len)
        return text
