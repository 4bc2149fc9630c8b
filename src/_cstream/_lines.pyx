# Line splitting, compiled: LineDecoder (text), ByteLineDecoder (bytes), bytes_lines_supported.
# The pure twin is _pure/_lines.py; the API and its docs are in _lines.pyi.
#
# Rules (the same on both sides):
#
# 1. Lines end at "\n", "\r\n" or "\r", nothing else. Over a whole stream the lines returned
#    by every decode() plus flush() are re.split(r"\r\n|\r|\n", text) without a final empty
#    element, whatever the pieces were.
# 2. A "\r" ending a piece may be half of "\r\n": the line it ends is built at once but held
#    back (_held) until the next non-empty piece, whose leading "\n" is then dropped. flush()
#    returns a held line as the final line.
# 3. max_line_length bounds the partial line: the moment it would grow past the cap,
#    LineTooLongError is raised and the buffered data dropped.
#
# Complexity contract: linear in the input, whatever the line lengths and piece sizes.
# * A piece is scanned from the start of a line to its terminator and the next scan starts
#   after it, so the scanner reads a byte once (plus, once per line, the rest of the 32-byte
#   or 32-character block the terminator sat in). The byte scanner (fs_scan) also tells
#   whether the line holds a byte >= 0x80, so ASCII lines, the common case, become a str by
#   one copy; other lines are decoded once, in at most two passes over their bytes.
# * A line lying inside one piece is built straight from the piece (one str per line, no
#   intermediate object). Only the partial line at the end of a piece is copied, into a
#   growable buffer (_Buf) that grows by half its size (appending is amortised O(1)); a line
#   is built from the buffer once. A buffer grown past _KEEP bytes is trimmed to its content
#   before the line is built (peak: about twice the line) and freed afterwards.
# * _Buf stores text in the widest kind (1, 2 or 4 bytes a character) seen in the current
#   partial line, so memory is about the size of the str that will be built, not 4 bytes a
#   character; widening happens at most twice a line.

from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.mem cimport PyMem_Free, PyMem_Malloc, PyMem_Realloc
from cpython.pyport cimport PY_SSIZE_T_MAX
from cpython.unicode cimport (
    PyUnicode_DATA,
    PyUnicode_DecodeASCII,
    PyUnicode_DecodeCharmap,
    PyUnicode_DecodeLatin1,
    PyUnicode_DecodeUTF8,
    PyUnicode_FromKindAndData,
    PyUnicode_GET_LENGTH,
    PyUnicode_KIND,
    PyUnicode_New,
    PyUnicode_Substring,
)
from libc.stdint cimport uint8_t, uint16_t, uint32_t
from libc.string cimport memcpy

cimport cython

import codecs
import importlib
import operator

from ._errors import LineTooLongError

# Byte scanning in C (_scan.h): SSE2 on x86-64, 8-byte words elsewhere.
cdef extern from "_scan.h":
    int FS_UNICODE_READY(object) except -1
    Py_ssize_t fs_scan(const uint8_t* p, Py_ssize_t pos, Py_ssize_t n, int* high) noexcept nogil
    Py_ssize_t fs_ascii_run(const uint8_t* p, Py_ssize_t pos, Py_ssize_t n) noexcept nogil
    Py_ssize_t fs_widen_ascii(const uint8_t* p, Py_ssize_t n, uint16_t* out) noexcept nogil

# Canonical codec names (codecs.lookup(...).name) taking the bytes path: 0x0A and 0x0D always
# stand for "\n" and "\r", occur inside no multi-byte sequence, and decoding with
# errors="replace" is local, so decoding line by line equals decoding the whole then splitting.
_BYTE_LINE_CODECS = frozenset(
    ["utf-8", "ascii", "iso8859-1"] + [f"cp{n}" for n in range(1250, 1259)]
)

# A buffer grown past this many bytes is freed once its line is built.
cdef enum:
    _KEEP = 65536

cdef enum _Codec:
    CODEC_UTF8
    CODEC_ASCII
    CODEC_LATIN1
    CODEC_CHARMAP


def bytes_lines_supported(str encoding not None):
    return _canonical(encoding) is not None


cdef object _canonical(str encoding):
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        return None
    return name if name in _BYTE_LINE_CODECS else None


cdef Py_ssize_t _check_cap(object max_line_length) except -2:
    # -1 stands for "no cap"
    if max_line_length is None:
        return -1
    max_line_length = operator.index(max_line_length)
    if max_line_length < 0:
        raise ValueError("max_line_length must be None or >= 0")
    if max_line_length >= PY_SSIZE_T_MAX:
        return -1
    return max_line_length


# ---------------------------------------------------------------------------------------------
# Scanning text (the str's own storage: 1, 2 or 4 bytes a character).

ctypedef fused _ucs_t:
    uint8_t
    uint16_t
    uint32_t


cdef inline Py_ssize_t _find_in(const _ucs_t* p, Py_ssize_t pos, Py_ssize_t n) noexcept nogil:
    # the first "\n" or "\r" in p[pos:n], or n. Blocks of 32 characters are tested without an
    # early exit (the compiler vectorises that loop); the hit is then located one by one.
    cdef Py_ssize_t k
    cdef int hit
    cdef _ucs_t c
    while pos + 32 <= n:
        hit = 0
        for k in range(32):
            c = p[pos + k]
            hit |= (c == 10) | (c == 13)
        if hit:
            break
        pos += 32
    while pos < n:
        c = p[pos]
        if c == 10 or c == 13:
            return pos
        pos += 1
    return n


cdef inline Py_ssize_t _find_text(const void* data, int kind, Py_ssize_t pos,
                                  Py_ssize_t n) noexcept nogil:
    cdef int high
    if kind == 1:
        return fs_scan(<const uint8_t*>data, pos, n, &high)
    if kind == 2:
        return _find_in(<const uint16_t*>data, pos, n)
    return _find_in(<const uint32_t*>data, pos, n)


cdef inline uint32_t _read(const void* data, int kind, Py_ssize_t i) noexcept nogil:
    if kind == 1:
        return (<const uint8_t*>data)[i]
    if kind == 2:
        return (<const uint16_t*>data)[i]
    return (<const uint32_t*>data)[i]


cdef inline void _write(void* data, int kind, Py_ssize_t i, uint32_t c) noexcept nogil:
    if kind == 1:
        (<uint8_t*>data)[i] = <uint8_t>c
    elif kind == 2:
        (<uint16_t*>data)[i] = <uint16_t>c
    else:
        (<uint32_t*>data)[i] = c


# ---------------------------------------------------------------------------------------------
# Building one line's str from its bytes. Lines are mostly ASCII, and fs_scan says which are:
# those are copied into a new str, much cheaper than a codec call. Valid non-ASCII UTF-8 is
# decoded by our own strict decoder: _utf8_bmp (one pass into 2-byte units, for lines up to
# _KEEP bytes without characters past U+FFFF), else _utf8_strict (validate and size, then
# fill). Both give up on any invalid byte, and such a line goes to CPython's decoder with
# errors="replace", which defines the result; so replacement characters are always CPython's.
# The other codecs use CPython's decoders for non-ASCII lines.

cdef inline object _ascii_str(const uint8_t* p, Py_ssize_t n):
    s = PyUnicode_New(n, 127)
    memcpy(PyUnicode_DATA(s), p, <size_t>n)
    return s


cdef object _utf8_bmp(const uint8_t* p, Py_ssize_t n, _Buf* scratch):
    # The common non-ASCII case in one pass: decode p[:n] into 2-byte units in `scratch`, then
    # copy them into a str of the right kind. None if p[:n] is not valid UTF-8 or holds a
    # character outside the BMP: the caller then takes the general path.
    # Invariant: j <= i (a character never takes fewer bytes than units), so the n units of
    # `scratch` always have room for what fs_widen_ascii writes from out + j.
    cdef Py_ssize_t i = 0, j = 0, k, run
    cdef uint16_t* out
    cdef uint8_t c, c1, c2
    cdef bint wide = False  # a character >= U+0100 was seen
    cdef uint8_t* narrow
    scratch.size = 0
    scratch.kind = 2
    _buf_reserve(scratch, n)
    out = <uint16_t*>scratch.data
    while True:
        run = fs_widen_ascii(p + i, n - i, out + j)
        i += run
        j += run
        if i >= n:
            break
        c = p[i]
        if c < 0xC2:
            return None
        if c < 0xE0:
            if i + 1 >= n:
                return None
            c1 = p[i + 1]
            if (c1 & 0xC0) != 0x80:
                return None
            if c >= 0xC4:
                wide = True
            out[j] = ((c & 0x1F) << 6) | (c1 & 0x3F)
            i += 2
        elif c < 0xF0:
            if i + 2 >= n:
                return None
            c1 = p[i + 1]
            c2 = p[i + 2]
            if c == 0xE0:
                if c1 < 0xA0 or c1 > 0xBF:
                    return None
            elif c == 0xED:
                if c1 < 0x80 or c1 > 0x9F:
                    return None
            elif (c1 & 0xC0) != 0x80:
                return None
            if (c2 & 0xC0) != 0x80:
                return None
            wide = True
            out[j] = ((c & 0x0F) << 12) | ((c1 & 0x3F) << 6) | (c2 & 0x3F)
            i += 3
        else:
            return None
        j += 1
    if wide:
        s = PyUnicode_New(j, 0xFFFF)
        memcpy(PyUnicode_DATA(s), out, <size_t>(j * 2))
        return s
    # all characters below U+0100 (and, as the line is not ASCII, one of them above U+007F)
    s = PyUnicode_New(j, 0xFF)
    narrow = <uint8_t*>PyUnicode_DATA(s)
    for k in range(j):
        narrow[k] = <uint8_t>out[k]
    return s


cdef object _utf8_strict(const uint8_t* p, Py_ssize_t n):
    # str of p[:n] if it is valid UTF-8 (Unicode table 3-7: no overlong forms, no surrogates,
    # nothing past U+10FFFF), else None
    cdef Py_ssize_t i, extra = 0  # extra: continuation bytes, so n - extra characters
    cdef uint32_t maxchar = 0x7F
    cdef uint8_t c, c1
    i = fs_ascii_run(p, 0, n)
    if i == n:
        return _ascii_str(p, n)
    while i < n:
        c = p[i]
        if c < 0xC2:
            return None
        if c < 0xE0:
            if i + 1 >= n or (p[i + 1] & 0xC0) != 0x80:
                return None
            if c >= 0xC4:
                if maxchar < 0xFFFF:
                    maxchar = 0xFFFF
            elif maxchar < 0xFF:
                maxchar = 0xFF
            extra += 1
            i += 2
        elif c < 0xF0:
            if i + 2 >= n:
                return None
            c1 = p[i + 1]
            if c == 0xE0:
                if c1 < 0xA0 or c1 > 0xBF:
                    return None
            elif c == 0xED:
                if c1 < 0x80 or c1 > 0x9F:
                    return None
            elif (c1 & 0xC0) != 0x80:
                return None
            if (p[i + 2] & 0xC0) != 0x80:
                return None
            if maxchar < 0xFFFF:
                maxchar = 0xFFFF
            extra += 2
            i += 3
        elif c < 0xF5:
            if i + 3 >= n:
                return None
            c1 = p[i + 1]
            if c == 0xF0:
                if c1 < 0x90 or c1 > 0xBF:
                    return None
            elif c == 0xF4:
                if c1 < 0x80 or c1 > 0x8F:
                    return None
            elif (c1 & 0xC0) != 0x80:
                return None
            if (p[i + 2] & 0xC0) != 0x80 or (p[i + 3] & 0xC0) != 0x80:
                return None
            maxchar = 0x10FFFF
            extra += 3
            i += 4
        else:
            return None
        i = fs_ascii_run(p, i, n)
    s = PyUnicode_New(n - extra, maxchar)
    kind = PyUnicode_KIND(s)
    if kind == 1:
        _utf8_fill(p, n, <uint8_t*>PyUnicode_DATA(s))
    elif kind == 2:
        _utf8_fill(p, n, <uint16_t*>PyUnicode_DATA(s))
    else:
        _utf8_fill(p, n, <uint32_t*>PyUnicode_DATA(s))
    return s


cdef void _utf8_fill(const uint8_t* p, Py_ssize_t n, _ucs_t* out) noexcept nogil:
    # decode p[:n], validated by _utf8_strict, into out (sized by it)
    cdef Py_ssize_t i = 0, j = 0, k, run
    cdef uint32_t c
    while True:
        run = fs_ascii_run(p, i, n) - i
        for k in range(run):
            out[j + k] = p[i + k]
        i += run
        j += run
        if i >= n:
            return
        c = p[i]
        if c < 0xE0:
            c = ((c & 0x1F) << 6) | (p[i + 1] & 0x3F)
            i += 2
        elif c < 0xF0:
            c = ((c & 0x0F) << 12) | ((p[i + 1] & 0x3F) << 6) | (p[i + 2] & 0x3F)
            i += 3
        else:
            c = (((c & 0x07) << 18) | ((p[i + 1] & 0x3F) << 12) | ((p[i + 2] & 0x3F) << 6)
                 | (p[i + 3] & 0x3F))
            i += 4
        out[j] = <_ucs_t>c
        j += 1


# ---------------------------------------------------------------------------------------------
# The partial-line buffer: `size` units of `kind` bytes in `capacity` allocated bytes.

cdef struct _Buf:
    char* data
    Py_ssize_t size
    Py_ssize_t capacity
    int kind


cdef int _buf_reserve(_Buf* b, Py_ssize_t units) except -1:
    # room for `units` more units of b.kind bytes
    cdef Py_ssize_t need, grown
    cdef char* p
    if units > PY_SSIZE_T_MAX // b.kind - b.size:
        raise MemoryError()
    need = (b.size + units) * b.kind
    if need <= b.capacity:
        return 0
    grown = b.capacity + (b.capacity >> 1) if b.capacity < PY_SSIZE_T_MAX // 2 else need
    if grown < need:
        grown = need
    if grown < 256:
        grown = 256
    p = <char*>PyMem_Realloc(b.data, <size_t>grown)
    if p == NULL:
        raise MemoryError()
    b.data = p
    b.capacity = grown
    return 0


cdef int _buf_widen(_Buf* b, int kind) except -1:
    # re-store the buffered characters at `kind` (> b.kind) bytes each
    cdef Py_ssize_t i, need
    cdef char* p
    if b.size > PY_SSIZE_T_MAX // 8:
        raise MemoryError()
    need = b.size * kind + (b.size * kind >> 1)
    if need < 256:
        need = 256
    p = <char*>PyMem_Malloc(<size_t>need)
    if p == NULL:
        raise MemoryError()
    for i in range(b.size):
        _write(p, kind, i, _read(b.data, b.kind, i))
    PyMem_Free(b.data)
    b.data = p
    b.capacity = need
    b.kind = kind
    return 0


cdef int _buf_append_text(_Buf* b, const void* data, int kind, Py_ssize_t start,
                          Py_ssize_t end) except -1:
    # append characters [start, end) of text stored at `kind` bytes each
    cdef Py_ssize_t i, n = end - start
    if n <= 0:
        return 0
    if b.size == 0:
        b.kind = kind
    elif kind > b.kind:
        _buf_widen(b, kind)
    _buf_reserve(b, n)
    if kind == b.kind:
        memcpy(b.data + b.size * kind, <const char*>data + start * kind, <size_t>(n * kind))
    else:
        for i in range(n):
            _write(b.data, b.kind, b.size + i, _read(data, kind, start + i))
    b.size += n
    return 0


cdef int _buf_append_bytes(_Buf* b, const uint8_t* data, Py_ssize_t n) except -1:
    if n <= 0:
        return 0
    b.kind = 1
    _buf_reserve(b, n)
    memcpy(b.data + b.size, data, <size_t>n)
    b.size += n
    return 0


cdef inline void _buf_trim(_Buf* b) noexcept:
    # before a line is built from a large buffer: give back the unused tail, so that the
    # peak while both exist is about twice the line, not two and a half times
    cdef char* p
    cdef Py_ssize_t used = b.size * b.kind
    if b.capacity > _KEEP and 0 < used < b.capacity:
        p = <char*>PyMem_Realloc(b.data, <size_t>used)
        if p != NULL:
            b.data = p
            b.capacity = used


cdef inline void _buf_reset(_Buf* b) noexcept:
    b.size = 0
    if b.capacity > _KEEP:
        PyMem_Free(b.data)
        b.data = NULL
        b.capacity = 0


cdef inline void _buf_init(_Buf* b) noexcept:
    b.data = NULL
    b.size = 0
    b.capacity = 0
    b.kind = 1


# ---------------------------------------------------------------------------------------------

@cython.final
cdef class LineDecoder:
    cdef _Buf _buf
    cdef object _held  # a line ended by a "\r" that ended a piece, or None
    cdef Py_ssize_t _max  # -1: no cap

    def __cinit__(self):
        _buf_init(&self._buf)

    def __init__(self, max_line_length=None):
        self._max = _check_cap(max_line_length)
        self._held = None

    def __dealloc__(self):
        PyMem_Free(self._buf.data)

    def decode(self, str text not None):
        cdef list lines = []
        cdef Py_ssize_t n, pos = 0, i
        cdef int kind
        cdef const void* data
        FS_UNICODE_READY(text)
        n = PyUnicode_GET_LENGTH(text)
        if n == 0:
            return lines
        kind = PyUnicode_KIND(text)
        data = PyUnicode_DATA(text)
        if self._held is not None:
            lines.append(self._held)
            self._held = None
            if _read(data, kind, 0) == 10:
                pos = 1
        while True:
            i = _find_text(data, kind, pos, n)
            if i >= n:
                break
            line = self._line(text, data, kind, pos, i)
            if _read(data, kind, i) == 13:
                if i + 1 == n:
                    self._held = line
                    return lines
                if _read(data, kind, i + 1) == 10:
                    i += 1
            lines.append(line)
            pos = i + 1
        if pos < n:
            self._check(self._buf.size + (n - pos))
            _buf_append_text(&self._buf, data, kind, pos, n)
        return lines

    def flush(self):
        cdef list lines = []
        if self._held is not None:
            lines.append(self._held)
            self._held = None
        if self._buf.size:
            lines.append(self._take())
        return lines

    cdef object _line(self, str text, const void* data, int kind, Py_ssize_t start,
                      Py_ssize_t end):
        # the partial line followed by text[start:end]
        if self._buf.size == 0:
            self._check(end - start)
            return PyUnicode_Substring(text, start, end)
        self._check(self._buf.size + (end - start))
        _buf_append_text(&self._buf, data, kind, start, end)
        return self._take()

    cdef object _take(self):
        _buf_trim(&self._buf)
        line = PyUnicode_FromKindAndData(self._buf.kind, self._buf.data, self._buf.size)
        _buf_reset(&self._buf)
        return line

    cdef int _check(self, Py_ssize_t length) except -1:
        if self._max >= 0 and length > self._max:
            _buf_reset(&self._buf)
            self._held = None
            raise LineTooLongError(f"line longer than {self._max} characters")
        return 0


@cython.final
cdef class ByteLineDecoder:
    cdef _Buf _buf
    cdef object _held
    cdef Py_ssize_t _max
    cdef _Codec _codec
    cdef object _table  # the decoding table of a charmap codec (cp125x), else None
    cdef bint _busy  # inside decode()/flush(): a codec error handler may not re-enter
    cdef _Buf _scratch  # UTF-8 decoding room, 2 bytes a character

    def __cinit__(self):
        _buf_init(&self._buf)
        _buf_init(&self._scratch)

    def __init__(self, encoding="utf-8", max_line_length=None):
        name = _canonical(encoding)
        if name is None:
            raise ValueError(f"ByteLineDecoder does not support the encoding {encoding!r}")
        self._table = None
        if name == "utf-8":
            self._codec = CODEC_UTF8
        elif name == "ascii":
            self._codec = CODEC_ASCII
        elif name == "iso8859-1":
            self._codec = CODEC_LATIN1
        else:
            self._codec = CODEC_CHARMAP
            self._table = importlib.import_module(f"encodings.{name}").decoding_table
        self._max = _check_cap(max_line_length)
        self._held = None

    def __dealloc__(self):
        PyMem_Free(self._buf.data)
        PyMem_Free(self._scratch.data)

    def decode(self, data not None):
        cdef list lines = []
        cdef Py_buffer view
        self._enter()
        try:
            if type(data) is bytes:
                self._split(<const uint8_t*>PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data),
                            lines)
            else:
                PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
                try:
                    self._split(<const uint8_t*>view.buf, view.len, lines)
                finally:
                    PyBuffer_Release(&view)
        finally:
            self._busy = False
        return lines

    def flush(self):
        cdef list lines = []
        self._enter()
        try:
            if self._held is not None:
                lines.append(self._held)
                self._held = None
            if self._buf.size:
                lines.append(self._take())
        finally:
            self._busy = False
        return lines

    cdef int _enter(self) except -1:
        if self._busy:
            raise RuntimeError("ByteLineDecoder re-entered while decoding")
        self._busy = True
        return 0

    cdef int _split(self, const uint8_t* p, Py_ssize_t n, list lines) except -1:
        cdef Py_ssize_t pos = 0, i
        cdef int high
        if n == 0:
            return 0
        if self._held is not None:
            lines.append(self._held)
            self._held = None
            if p[0] == 10:
                pos = 1
        while True:
            i = fs_scan(p, pos, n, &high)
            if i >= n:
                break
            if self._buf.size == 0:
                if self._max >= 0:
                    self._check(i - pos)
                # an ASCII line (the common case) without a call: one str, one copy
                if high:
                    line = self._decode(p + pos, i - pos, True)
                else:
                    line = _ascii_str(p + pos, i - pos)
            else:
                self._check(self._buf.size + (i - pos))
                _buf_append_bytes(&self._buf, p + pos, i - pos)
                line = self._take()
            if p[i] == 13:
                if i + 1 == n:
                    self._held = line
                    return 0
                if p[i + 1] == 10:
                    i += 1
            lines.append(line)
            pos = i + 1
        if pos < n:
            self._check(self._buf.size + (n - pos))
            _buf_append_bytes(&self._buf, p + pos, n - pos)
        return 0

    cdef object _take(self):
        _buf_trim(&self._buf)
        line = self._decode(<const uint8_t*>self._buf.data, self._buf.size, True)
        _buf_reset(&self._buf)
        return line

    cdef object _decode(self, const uint8_t* p, Py_ssize_t n, bint maybe_high):
        # every supported codec maps bytes 0x00-0x7F to the same characters
        if not maybe_high:
            return _ascii_str(p, n)
        if self._codec == CODEC_UTF8:
            return self._decode_utf8(p, n)
        if self._codec == CODEC_LATIN1:
            return PyUnicode_DecodeLatin1(<char*>p, n, NULL)
        if self._codec == CODEC_ASCII:
            return PyUnicode_DecodeASCII(<char*>p, n, "replace")
        return PyUnicode_DecodeCharmap(<char*>p, n, self._table, "replace")

    cdef object _decode_utf8(self, const uint8_t* p, Py_ssize_t n):
        cdef Py_ssize_t i = fs_ascii_run(p, 0, n)
        if i == n:
            return _ascii_str(p, n)
        line = None
        if n <= _KEEP:  # longer lines skip the 2-bytes-a-character scratch copy
            try:
                line = _utf8_bmp(p, n, &self._scratch)
            finally:
                _buf_reset(&self._scratch)
        if line is None:
            line = _utf8_strict(p, n)
            if line is None:
                line = PyUnicode_DecodeUTF8(<char*>p, n, "replace")
        return line

    cdef int _check(self, Py_ssize_t length) except -1:
        if self._max >= 0 and length > self._max:
            _buf_reset(&self._buf)
            self._held = None
            raise LineTooLongError(f"line longer than {self._max} bytes")
        return 0
