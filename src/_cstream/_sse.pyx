# Server-sent events, compiled: SSEDecoder and ServerSentEvent. The pure twin is
# _pure/_sse.py (its opening comment states the parsing rules, the same on both sides); the
# API and its docs are in _sse.pyi.
#
# Memory safety: every read of a piece is p[pos:n] with n its length from the buffer protocol;
# the two growable buffers (_line, the partial line; _data, the event's data) are written only
# after _reserve made room, and their sizes are bounded by the caps (checked before growing) or,
# without caps, by overflow checks in _reserve.
#
# Speed: a piece is scanned once for CR/LF (fs_scan, SSE2); a line inside one piece is parsed
# in place, only the partial line at a piece's end is copied. Data values are appended to one
# buffer with an LF after each, so an event's data becomes a str by one decode. ServerSentEvent
# objects are made without calling __init__ (the fields are set directly).

from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.long cimport PyLong_FromUnsignedLongLong
from cpython.mem cimport PyMem_Free, PyMem_Realloc
from cpython.pyport cimport PY_SSIZE_T_MAX
from cpython.unicode cimport (
    PyUnicode_DATA,
    PyUnicode_DecodeUTF8,
    PyUnicode_GET_LENGTH,
    PyUnicode_New,
)
from libc.stdint cimport uint8_t, uint64_t
from libc.string cimport memchr, memcmp, memcpy

import json
import operator

from ._errors import EVENT_TOO_LARGE, EventTooLargeError

cdef extern from "_scan.h":
    Py_ssize_t fs_scan(const uint8_t* p, Py_ssize_t pos, Py_ssize_t n, int* high) noexcept nogil

# Bytes a line may hold beyond max_event_size (the twin's LINE_SLACK).
cdef enum:
    _LINE_SLACK = 64
    # a buffer grown past this many bytes is freed once its line or event is done
    _KEEP = 65536


cdef inline uint8_t _bom_byte(int i) noexcept nogil:
    # byte i of the UTF-8 byte order mark EF BB BF
    return 0xEF if i == 0 else (0xBB if i == 1 else 0xBF)


cdef uint64_t _UINT64_MAX = 0xFFFFFFFFFFFFFFFF


cdef class ServerSentEvent:
    cdef readonly str event
    cdef readonly str data
    cdef readonly str id
    cdef readonly object retry

    def __init__(self, event=None, data=None, id=None, retry=None):
        event = _checked_str("event", event)
        self.event = event if event else "message"
        self.data = _checked_str("data", data)
        self.id = _checked_str("id", id)
        if retry is not None and (not isinstance(retry, int) or isinstance(retry, bool)):
            raise TypeError(f"retry must be an int or None, not {type(retry).__name__}")
        self.retry = retry

    def json(self):
        return json.loads(self.data)

    def __eq__(self, other):
        cdef ServerSentEvent o
        if not isinstance(other, ServerSentEvent):
            return NotImplemented
        o = <ServerSentEvent>other
        return (self.event == o.event and self.data == o.data and self.id == o.id
                and self.retry == o.retry)

    def __ne__(self, other):
        if not isinstance(other, ServerSentEvent):
            return NotImplemented
        return not self == other

    def __hash__(self):
        return hash((self.event, self.data, self.id, self.retry))

    def __repr__(self):
        # httpx-sse's form: the event type always, the other fields when not at their defaults
        parts = [f"event={self.event!r}"]
        if self.data != "":
            parts.append(f"data={self.data!r}")
        if self.id != "":
            parts.append(f"id={self.id!r}")
        if self.retry is not None:
            parts.append(f"retry={self.retry!r}")
        return f"ServerSentEvent({', '.join(parts)})"

    def __reduce__(self):
        return (type(self), (self.event, self.data, self.id, self.retry))


cdef str _checked_str(str name, object value):
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str or None, not {type(value).__name__}")
    return <str>value


cdef inline str _utf8(const uint8_t* p, Py_ssize_t n):
    return PyUnicode_DecodeUTF8(<const char*>p, n, "replace")


cdef inline str _text(const uint8_t* p, Py_ssize_t n, int high):
    # p[:n] as str; `high`: whether a byte >= 0x80 may be in it. ASCII is copied into a new
    # str (what the decoder would give, more cheaply); anything else goes to CPython's decoder.
    cdef object s
    if high:
        return _utf8(p, n)
    s = PyUnicode_New(n, 127)
    memcpy(PyUnicode_DATA(s), p, <size_t>n)
    return <str>s


cdef struct _Buf:
    uint8_t* data
    Py_ssize_t size
    Py_ssize_t cap


cdef int _reserve(_Buf* b, Py_ssize_t extra) except -1:
    # room for `extra` more bytes; grows by half, amortised O(1) per byte
    cdef Py_ssize_t need, cap
    cdef uint8_t* grown
    if extra > PY_SSIZE_T_MAX - b.size:
        raise MemoryError()
    need = b.size + extra
    if need <= b.cap:
        return 0
    cap = b.cap + (b.cap >> 1)
    if cap < need:
        cap = need
    if cap < 64:
        cap = 64
    grown = <uint8_t*>PyMem_Realloc(b.data, <size_t>cap)
    if grown == NULL:
        raise MemoryError()
    b.data = grown
    b.cap = cap
    return 0


cdef int _append(_Buf* b, const uint8_t* p, Py_ssize_t n) except -1:
    if n > 0:
        _reserve(b, n)
        memcpy(b.data + b.size, p, <size_t>n)
        b.size += n
    return 0


cdef void _release_big(_Buf* b) noexcept:
    # empty the buffer; free it when a huge line or event made it large
    b.size = 0
    if b.cap > _KEEP:
        PyMem_Free(b.data)
        b.data = NULL
        b.cap = 0


cdef class SSEDecoder:
    cdef _Buf _line
    cdef _Buf _data
    cdef bint _has_data      # at least one data line in this block (the buffer may still be 1 LF)
    cdef int _data_high      # the data buffer may hold a byte >= 0x80
    cdef int _line_high      # the partial line may hold a byte >= 0x80
    cdef str _event_cache    # the last event type made from ASCII, reused while it repeats
    cdef bint _skipping      # the partial line is a comment: not buffered
    cdef bint _skip_lf       # the last piece ended with CR: a leading LF belongs to it
    cdef bint _failed
    cdef bint _busy          # inside decode() or flush()
    cdef int _bom            # BOM bytes matched at the start; 4 once decided
    cdef Py_ssize_t _max     # -1: no cap
    cdef Py_ssize_t _line_max
    cdef object _max_obj
    cdef str _event
    cdef str _id_buffer
    cdef str _last_id
    cdef object _block_retry
    cdef object _retry
    cdef object _type        # ServerSentEvent or a subclass: the class of the events made

    def __cinit__(self):
        # a valid decoder with the defaults even if __init__ never runs (cls.__new__(cls))
        self._line.data = NULL
        self._line.size = self._line.cap = 0
        self._data.data = NULL
        self._data.size = self._data.cap = 0
        self._type = ServerSentEvent
        self._max = 16 * 1024 * 1024
        self._line_max = self._max + _LINE_SLACK
        self._max_obj = self._max
        self._event = ""
        self._id_buffer = ""
        self._last_id = ""

    def __dealloc__(self):
        PyMem_Free(self._line.data)
        PyMem_Free(self._data.data)

    def __init__(self, max_event_size=16 * 1024 * 1024, event_type=ServerSentEvent,
                 last_event_id=""):
        last_event_id = _checked_str("last_event_id", last_event_id)
        if not (isinstance(event_type, type) and issubclass(event_type, ServerSentEvent)):
            raise TypeError("event_type must be ServerSentEvent or a subclass of it")
        # checked: _dispatch allocates instances of it through ServerSentEvent's constructor
        self._type = event_type
        if max_event_size is None:
            self._max = -1
            self._line_max = -1
        else:
            if not isinstance(max_event_size, int) or isinstance(max_event_size, bool):
                raise TypeError("max_event_size must be an int or None")
            max_event_size = operator.index(max_event_size)
            if max_event_size < 0:
                raise ValueError("max_event_size must be None or >= 0")
            if max_event_size >= PY_SSIZE_T_MAX - _LINE_SLACK:
                self._max = -1
                self._line_max = -1
            else:
                self._max = max_event_size
                self._line_max = self._max + _LINE_SLACK
        self._max_obj = max_event_size
        self._line.size = 0
        self._data.size = 0
        self._data_high = self._line_high = 0
        self._has_data = False
        self._skipping = False
        self._skip_lf = False
        self._failed = False
        self._bom = 0
        self._event = ""
        self._id_buffer = last_event_id
        self._last_id = last_event_id
        self._block_retry = None
        self._retry = None

    @property
    def last_event_id(self):
        return self._last_id

    @property
    def retry(self):
        return self._retry

    def decode(self, data):
        cdef Py_buffer view
        self._enter()
        try:
            if self._failed:
                self._raise()
            PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
            try:
                return self._decode(<const uint8_t*>view.buf, view.len)
            finally:
                PyBuffer_Release(&view)
        finally:
            self._busy = False

    def flush(self):
        self._enter()
        try:
            self._flush()
        finally:
            self._busy = False

    cdef int _enter(self) except -1:
        # _decode holds pointers into the buffers while it allocates (and so may run a
        # finalizer); a call from there must not grow or free them under it
        if self._busy:
            raise RuntimeError("SSEDecoder is already decoding (a re-entrant call)")
        self._busy = True
        return 0

    cdef int _flush(self) except -1:
        if self._failed:
            self._raise()
        _release_big(&self._line)
        _release_big(&self._data)
        self._has_data = False
        self._data_high = self._line_high = 0
        self._skipping = False
        self._skip_lf = False
        self._bom = 0
        self._event = ""
        self._id_buffer = self._last_id
        self._block_retry = None
        return 0

    cdef list _decode(self, const uint8_t* p, Py_ssize_t n):
        cdef Py_ssize_t pos = 0, end, k
        cdef int high
        cdef list out = []
        if self._bom < 3:
            while self._bom < 3 and pos < n:
                if p[pos] == _bom_byte(self._bom):
                    self._bom += 1
                    pos += 1
                else:
                    # not a BOM: the bytes taken for one start the first line
                    _append(&self._line, <const uint8_t*>b"\xef\xbb", self._bom)
                    self._line_high = 1
                    self._bom = 4
            if self._bom == 3:
                self._bom = 4
            if pos == n:
                return out
        if self._skip_lf and pos < n:
            self._skip_lf = False
            if p[pos] == 10:
                pos += 1
        while pos < n:
            end = fs_scan(p, pos, n, &high)
            if end == n:
                # the partial line at the end of the piece
                if self._skipping:
                    pass
                elif self._line.size == 0 and p[pos] == 58:
                    self._skipping = True
                else:
                    k = n - pos
                    if self._line_max >= 0 and k > self._line_max - self._line.size:
                        return self._fail(out)
                    _append(&self._line, p + pos, k)
                    self._line_high |= high
                break
            if self._skipping:
                self._skipping = False
            elif self._line.size:
                k = end - pos
                if self._line_max >= 0 and k > self._line_max - self._line.size:
                    return self._fail(out)
                _append(&self._line, p + pos, k)
                if not self._field(self._line.data, self._line.size, self._line_high | high, out):
                    return self._fail(out)
                _release_big(&self._line)
                self._line_high = 0
            else:
                k = end - pos
                if (k > 0 and p[pos] != 58 and self._line_max >= 0
                        and k > self._line_max):
                    return self._fail(out)
                if not self._field(p + pos, k, high, out):
                    return self._fail(out)
            pos = end + 1
            if p[end] == 13:
                if pos < n:
                    if p[pos] == 10:
                        pos += 1
                else:
                    self._skip_lf = True
        return out

    cdef bint _field(self, const uint8_t* s, Py_ssize_t n, int high, list out) except -1:
        # Process one complete line s[:n] (`high`: it may hold a byte >= 0x80); False when it
        # takes the event past max_event_size.
        cdef const uint8_t* colon
        cdef const uint8_t* v
        cdef Py_ssize_t name_len, vlen, i
        cdef uint64_t number
        if n == 0:
            self._dispatch(out)
            return True
        if s[0] == 58:
            return True
        colon = <const uint8_t*>memchr(s, 58, <size_t>n)
        if colon == NULL:
            name_len = n
            v = s + n
            vlen = 0
        else:
            name_len = colon - s
            v = colon + 1
            vlen = n - name_len - 1
            if vlen > 0 and v[0] == 32:
                v += 1
                vlen -= 1
        if name_len == 4 and memcmp(s, b"data", 4) == 0:
            # the buffer holds each value followed by an LF; the event's data is all but the
            # last LF, so its size is the buffer's size after appending, minus one
            if self._max >= 0 and vlen > self._max - self._data.size:
                return False
            _reserve(&self._data, vlen + 1)
            if vlen:
                memcpy(self._data.data + self._data.size, v, <size_t>vlen)
            self._data.data[self._data.size + vlen] = 10
            self._data.size += vlen + 1
            self._has_data = True
            self._data_high |= high
        elif name_len == 5 and memcmp(s, b"event", 5) == 0:
            if high:
                self._event = _utf8(v, vlen)
            elif (self._event_cache is not None
                    and PyUnicode_GET_LENGTH(self._event_cache) == vlen
                    and memcmp(PyUnicode_DATA(self._event_cache), v, <size_t>vlen) == 0):
                self._event = self._event_cache
            else:
                self._event_cache = _text(v, vlen, 0)
                self._event = self._event_cache
        elif name_len == 2 and memcmp(s, b"id", 2) == 0:
            if vlen == 0 or memchr(v, 0, <size_t>vlen) == NULL:
                self._id_buffer = _text(v, vlen, high)
        elif name_len == 5 and memcmp(s, b"retry", 5) == 0:
            if vlen == 0:
                return True
            number = 0
            for i in range(vlen):
                if v[i] < 48 or v[i] > 57:
                    return True
                if number > (_UINT64_MAX - (v[i] - 48)) // 10:
                    return True  # past 64 bits: ignored, as browsers do
                number = number * 10 + (v[i] - 48)
            self._block_retry = self._retry = PyLong_FromUnsignedLongLong(number)
        return True

    cdef int _dispatch(self, list out) except -1:
        cdef ServerSentEvent ev
        self._last_id = self._id_buffer
        if self._has_data:
            ev = ServerSentEvent.__new__(self._type)
            ev.event = self._event if self._event else "message"
            ev.data = _text(self._data.data, self._data.size - 1, self._data_high)
            ev.id = self._last_id
            ev.retry = self._block_retry
            out.append(ev)
            _release_big(&self._data)
            self._has_data = False
            self._data_high = 0
        self._event = ""
        self._block_retry = None
        return 0

    cdef list _fail(self, list out):
        self._failed = True
        _release_big(&self._line)
        _release_big(&self._data)
        self._has_data = False
        self._data_high = self._line_high = 0
        return out

    cdef int _raise(self) except -1:
        raise EventTooLargeError(EVENT_TOO_LARGE.format(self._max_obj))
