# HPACK (RFC 7541) header compression, compiled: HpackDecoder, HpackEncoder. The pure twin is
# _pure/_hpack.py (its docstring has the rules); the API and its docs are in _hpack.pyi.
# HpackError and the messages both sides raise come from _errors.py; the static table and the
# Huffman code (data from the RFC) and the Huffman decoding automaton from _hpack_data.py.
#
# Theory of operation: a block is read through one pointer and its length; every length read
# from the block is checked against what is left before a byte of it is touched. Huffman
# strings are decoded 4 bits at a time through a 256-state automaton (a C array built from the
# code at import) into a scratch buffer that grows to the largest string seen, then copied
# into one bytes object. Each dynamic table is a list, oldest entry first, with a head offset
# (eviction clears a slot and moves the head; the list is compacted when half of it is dead),
# so index i is one list access. The encoder writes into a scratch buffer sized before each
# field, and makes one bytes object per block.
#
# Complexity contract: linear in the block (decoding) or in the headers (encoding); per field
# a constant number of list and dict operations.

from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.mem cimport PyMem_Free, PyMem_Realloc
from libc.string cimport memcpy

cimport cython

from ._errors import (
    HPACK_BAD_INDEX,
    HPACK_HUFFMAN_EOS,
    HPACK_HUFFMAN_PADDING,
    HPACK_INTEGER_OVERLONG,
    HPACK_INTEGER_TOO_LARGE,
    HPACK_LATE_SIZE_UPDATE,
    HPACK_LIST_TOO_LARGE,
    HPACK_NOT_BYTES,
    HPACK_SIZE_UPDATE_MISSING,
    HPACK_SIZE_UPDATE_TOO_LARGE,
    HPACK_TRUNCATED,
    HpackError,
)
from ._hpack_data import FSM_ACCEPT, FSM_EMIT, FSM_FAIL, HUFFMAN_CODES, STATIC_TABLE, huffman_fsm

__all__ = ["HpackDecoder", "HpackEncoder", "HpackError"]

cdef enum:
    ENTRY_OVERHEAD = 32
    STATIC_COUNT = 61
    MAX_INTEGER = 1 << 28

cdef unsigned int _FSM[4096]
cdef unsigned int _CODE[256]
cdef unsigned char _BITS[256]
cdef unsigned int C_EMIT = FSM_EMIT
cdef unsigned int C_FAIL = FSM_FAIL
cdef unsigned int C_ACCEPT = FSM_ACCEPT

cdef Py_ssize_t _i
for _i, _entry in enumerate(huffman_fsm()):
    _FSM[_i] = _entry
for _i in range(256):
    _CODE[_i] = HUFFMAN_CODES[_i][0]
    _BITS[_i] = HUFFMAN_CODES[_i][1]

cdef tuple _STATIC = STATIC_TABLE
# name -> its first static index; the entries of one name are consecutive in the table
cdef dict _STATIC_NAMES = {}
# (name, value) -> minus its static index: each encoder's field map starts as a copy, so that
# one lookup finds a field in either table (dynamic entries map to their ids, >= 0)
cdef dict _STATIC_FIELDS = {}
for _i in range(STATIC_COUNT - 1, -1, -1):
    _STATIC_NAMES[STATIC_TABLE[_i][0]] = _i + 1
    _STATIC_FIELDS[STATIC_TABLE[_i]] = -(_i + 1)
cdef bytes _AUTHORIZATION = b"authorization"
cdef bytes _PROXY_AUTHORIZATION = b"proxy-authorization"
cdef bytes _COOKIE = b"cookie"
cdef bytes _CONTENT_LENGTH = b"content-length"


cdef long long _check_size(object size) except -1:
    if type(size) is not int:
        raise TypeError("a table size must be an int")
    if not 0 <= size <= 4294967295:
        raise ValueError("a table size must be between 0 and 4294967295")
    return size


cdef long long _check_list_size(object size) except -1:
    if type(size) is not int:
        raise TypeError("max_header_list_size must be an int")
    if size < 0:
        raise ValueError("max_header_list_size must not be negative")
    return min(size, 2**62)


cdef inline Py_ssize_t _entry_size(tuple field):
    return (PyBytes_GET_SIZE(<bytes>field[0]) + PyBytes_GET_SIZE(<bytes>field[1])
            + ENTRY_OVERHEAD)


cdef class HpackDecoder:
    cdef long long _max_size
    cdef long long _allowed
    cdef long long _max_list
    cdef long long _size
    cdef list _table  # oldest first, from _head on
    cdef Py_ssize_t _head
    cdef bint _update_due
    cdef object _error
    cdef unsigned char* _scratch
    cdef Py_ssize_t _capacity

    def __cinit__(self):
        self._table = []

    def __dealloc__(self):
        PyMem_Free(self._scratch)

    def __init__(self, max_table_size=4096, max_header_list_size=65536):
        self._max_size = _check_size(max_table_size)
        self._allowed = self._max_size
        self._max_list = _check_list_size(max_header_list_size)
        self._table = []
        self._head = 0
        self._size = 0
        self._update_due = False
        self._error = None

    @property
    def max_allowed_table_size(self):
        return self._allowed

    @max_allowed_table_size.setter
    def max_allowed_table_size(self, value):
        self._allowed = _check_size(value)
        if self._allowed < self._max_size:
            self._update_due = True

    @property
    def max_header_list_size(self):
        return self._max_list

    @max_header_list_size.setter
    def max_header_list_size(self, value):
        self._max_list = _check_list_size(value)

    @property
    def table_size(self):
        return self._size

    @property
    def max_table_size(self):
        return self._max_size

    @property
    def table(self):
        return self._table[self._head:][::-1]

    cdef int _fail(self, str message) except -1:
        self._error = HpackError(message)
        raise self._error

    def decode(self, block):
        cdef Py_buffer view
        if self._error is not None:
            raise self._error
        if type(block) is bytes:
            return self._decode(<const unsigned char*>PyBytes_AS_STRING(block),
                                PyBytes_GET_SIZE(block))
        PyObject_GetBuffer(block, &view, PyBUF_SIMPLE)
        try:
            return self._decode(<const unsigned char*>view.buf, view.len)
        finally:
            PyBuffer_Release(&view)

    cdef int _integer(self, const unsigned char* p, Py_ssize_t end, Py_ssize_t* pos,
                      int prefix, Py_ssize_t* out) except -1:
        # The integer at p[pos] with a `prefix`-bit prefix; pos moves past it.
        cdef Py_ssize_t limit = (1 << prefix) - 1
        cdef Py_ssize_t value = p[pos[0]] & limit
        cdef int shift = 0
        cdef unsigned char byte = 0
        pos[0] += 1
        if value < limit:
            out[0] = value
            return 0
        while True:
            if pos[0] >= end:
                self._fail(HPACK_TRUNCATED)
            byte = p[pos[0]]
            pos[0] += 1
            value += <Py_ssize_t>(byte & 0x7F) << shift
            if not byte & 0x80:
                break
            shift += 7
            if shift == 28:
                self._fail(HPACK_INTEGER_TOO_LARGE)
        if shift and not byte:
            self._fail(HPACK_INTEGER_OVERLONG)
        if value > MAX_INTEGER:
            self._fail(HPACK_INTEGER_TOO_LARGE)
        out[0] = value
        return 0

    cdef bytes _string(self, const unsigned char* p, Py_ssize_t end, Py_ssize_t* pos):
        cdef Py_ssize_t length, start, i, n = 0
        cdef unsigned int state = 0, entry = C_ACCEPT
        cdef unsigned char byte
        cdef unsigned char* out
        if pos[0] >= end:
            self._fail(HPACK_TRUNCATED)
        cdef bint huffman = p[pos[0]] & 0x80
        self._integer(p, end, pos, 7, &length)
        if length > end - pos[0]:
            self._fail(HPACK_TRUNCATED)
        start = pos[0]
        pos[0] += length
        if not huffman:
            return PyBytes_FromStringAndSize(<const char*>p + start, length)
        # no code is shorter than 5 bits: at most 8 symbols per 5 bytes
        if length * 8 // 5 + 1 > self._capacity:
            out = <unsigned char*>PyMem_Realloc(self._scratch, length * 8 // 5 + 1)
            if out == NULL:
                raise MemoryError()
            self._scratch = out
            self._capacity = length * 8 // 5 + 1
        out = self._scratch
        for i in range(start, start + length):
            byte = p[i]
            entry = _FSM[(state << 4) | (byte >> 4)]
            if entry & C_FAIL:
                self._fail(HPACK_HUFFMAN_EOS)
            if entry & C_EMIT:
                out[n] = (entry >> 8) & 0xFF
                n += 1
            state = entry & 0xFF
            entry = _FSM[(state << 4) | (byte & 0xF)]
            if entry & C_FAIL:
                self._fail(HPACK_HUFFMAN_EOS)
            if entry & C_EMIT:
                out[n] = (entry >> 8) & 0xFF
                n += 1
            state = entry & 0xFF
        if not entry & C_ACCEPT:
            self._fail(HPACK_HUFFMAN_PADDING)
        return PyBytes_FromStringAndSize(<const char*>out, n)

    @cython.boundscheck(False)
    @cython.wraparound(False)
    cdef tuple _entry(self, Py_ssize_t index):
        cdef Py_ssize_t count = len(self._table) - self._head
        if 0 < index <= STATIC_COUNT:
            return <tuple>_STATIC[index - 1]
        if index == 0 or index - STATIC_COUNT - 1 >= count:
            self._fail(HPACK_BAD_INDEX.format(index, count))
        return <tuple>self._table[len(self._table) - (index - STATIC_COUNT)]

    cdef list _decode(self, const unsigned char* p, Py_ssize_t end):
        cdef list headers = []
        cdef Py_ssize_t pos = 0, index, size
        cdef long long total = 0
        cdef bint fields = False
        cdef unsigned char byte
        cdef tuple field
        cdef bytes name
        while pos < end:
            byte = p[pos]
            if byte & 0x80:  # indexed field
                self._integer(p, end, &pos, 7, &index)
                field = self._entry(index)
            elif byte & 0xE0 == 0x20:  # dynamic table size update
                if fields:
                    self._fail(HPACK_LATE_SIZE_UPDATE)
                self._integer(p, end, &pos, 5, &size)
                if size > self._allowed:
                    self._fail(HPACK_SIZE_UPDATE_TOO_LARGE.format(size, self._allowed))
                self._max_size = size
                self._update_due = False
                self._evict(0)
                continue
            else:  # a literal: with incremental indexing, without, or never indexed
                self._integer(p, end, &pos, 6 if byte & 0x40 else 4, &index)
                if index:
                    name = <bytes>self._entry(index)[0]
                else:
                    name = self._string(p, end, &pos)
                field = (name, self._string(p, end, &pos))
            if self._update_due:
                self._fail(HPACK_SIZE_UPDATE_MISSING.format(self._allowed))
            fields = True
            total += _entry_size(field)
            if total > self._max_list:
                self._fail(HPACK_LIST_TOO_LARGE.format(self._max_list))
            if byte & 0xC0 == 0x40:
                self._add(field)
            headers.append(field)
        if self._update_due:
            self._fail(HPACK_SIZE_UPDATE_MISSING.format(self._allowed))
        return headers

    cdef void _evict(self, long long room):
        # Drops the oldest entries until `room` more bytes fit.
        cdef list table = self._table
        while self._head < len(table) and self._size + room > self._max_size:
            self._size -= _entry_size(<tuple>table[self._head])
            table[self._head] = None
            self._head += 1
        if self._head == len(table):
            del table[:]
            self._head = 0
        elif self._head > 16 and self._head * 2 > len(table):
            del table[:self._head]
            self._head = 0

    cdef int _add(self, tuple field) except -1:
        cdef Py_ssize_t size = _entry_size(field)
        if size > self._max_size:  # an entry larger than the table empties it
            del self._table[:]
            self._head = 0
            self._size = 0
            return 0
        self._evict(size)
        self._table.append(field)
        self._size += size
        return 0


cdef inline unsigned char* _integer(unsigned char* out, Py_ssize_t value, int prefix,
                                    unsigned char first):
    # `value` with a `prefix`-bit prefix, `first` holding the bits above it; returns the end.
    cdef Py_ssize_t limit = (1 << prefix) - 1
    if value < limit:
        out[0] = first | value
        return out + 1
    out[0] = first | limit
    out += 1
    value -= limit
    while value >= 0x80:
        out[0] = (value & 0x7F) | 0x80
        out += 1
        value >>= 7
    out[0] = value
    return out + 1


cdef class HpackEncoder:
    cdef long long _limit
    cdef long long _peer
    cdef long long _max_size
    cdef bint _huffman
    cdef list _table  # (name, value) oldest first, from _head on
    cdef Py_ssize_t _head
    cdef long long _base_id  # the id of _table[0]; ids count the entries ever added
    cdef dict _fields  # (name, value) -> id of its newest entry, or minus its static index
    cdef dict _names  # name -> id of its newest entry
    cdef long long _size
    cdef long long _lowest
    cdef unsigned char* _scratch
    cdef Py_ssize_t _capacity

    def __cinit__(self):
        self._table = []
        self._fields = _STATIC_FIELDS.copy()
        self._names = {}

    def __dealloc__(self):
        PyMem_Free(self._scratch)

    def __init__(self, max_table_size=4096, huffman=True):
        self._limit = _check_size(max_table_size)
        self._peer = 4096
        self._max_size = min(self._limit, self._peer)
        self._huffman = bool(huffman)
        self._table = []
        self._head = 0
        self._base_id = 0
        self._fields = _STATIC_FIELDS.copy()
        self._names = {}
        self._size = 0
        self._lowest = -1
        if self._max_size != 4096:
            self._lowest = self._max_size

    @property
    def header_table_size(self):
        return self._max_size

    @header_table_size.setter
    def header_table_size(self, value):
        self._peer = _check_size(value)
        cdef long long size = min(self._limit, self._peer)
        if size == self._max_size:
            return
        self._max_size = size
        if self._lowest < 0 or size < self._lowest:
            self._lowest = size
        self._evict(0)

    @property
    def table_size(self):
        return self._size

    @property
    def table(self):
        return self._table[self._head:][::-1]

    cdef unsigned char* _reserve(self, unsigned char* at, Py_ssize_t more) except NULL:
        # Room for `more` bytes after `at` (inside the scratch buffer); returns where `at` is.
        cdef Py_ssize_t used = at - self._scratch
        cdef Py_ssize_t want = used + more
        cdef unsigned char* grown
        if want > self._capacity:
            if want < 2 * self._capacity:
                want = 2 * self._capacity
            grown = <unsigned char*>PyMem_Realloc(self._scratch, want)
            if grown == NULL:
                raise MemoryError()
            self._scratch = grown
            self._capacity = want
        return self._scratch + used

    cdef inline Py_ssize_t _index_of(self, long long found):
        # the table index of the entry with id `found`
        return STATIC_COUNT + 1 + (self._base_id + len(self._table) - 1 - found)

    def encode(self, headers):
        cdef unsigned char* out
        cdef object item
        cdef bytes name, value
        cdef tuple field
        cdef Py_ssize_t index, size
        cdef object found
        out = self._reserve(self._scratch, 64)
        if self._lowest >= 0:
            if self._lowest < self._max_size:
                out = _integer(out, self._lowest, 5, 0x20)
            out = _integer(out, self._max_size, 5, 0x20)
            self._lowest = -1
        for item in headers:
            field = item if type(item) is tuple and len(<tuple>item) == 2 else _unpack(item)
            if not isinstance(field[0], bytes) or not isinstance(field[1], bytes):
                raise TypeError(HPACK_NOT_BYTES)
            name = <bytes>field[0]
            value = <bytes>field[1]
            # a field takes at most its strings and 3 integers of at most 10 bytes each
            out = self._reserve(out, PyBytes_GET_SIZE(name) + PyBytes_GET_SIZE(value) + 32)
            if (name == _AUTHORIZATION or name == _PROXY_AUTHORIZATION
                    or (PyBytes_GET_SIZE(value) < 20 and name == _COOKIE)):
                out = self._literal(out, name, value, 0x10)
                continue
            found = self._fields.get(field)
            if found is not None:
                index = found
                out = _integer(out, -index if index < 0 else self._index_of(index), 7, 0x80)
                continue
            size = PyBytes_GET_SIZE(name) + PyBytes_GET_SIZE(value) + ENTRY_OVERHEAD
            if size * 2 > self._max_size or name == _CONTENT_LENGTH:
                out = self._literal(out, name, value, 0x00)
                continue
            out = self._literal(out, name, value, 0x40)
            self._add(field, size)
        return PyBytes_FromStringAndSize(<const char*>self._scratch, out - self._scratch)

    cdef unsigned char* _literal(self, unsigned char* out, bytes name, bytes value,
                                 unsigned char kind) except NULL:
        # A literal field: `kind` 0x40 with incremental indexing, 0x00 without indexing, 0x10
        # never indexed; the name by index when either table has it.
        cdef object found = _STATIC_NAMES.get(name)
        cdef Py_ssize_t index = 0
        if found is not None:
            index = found
        else:
            found = self._names.get(name)
            if found is not None:
                index = self._index_of(found)
        out = _integer(out, index, 6 if kind == 0x40 else 4, kind)
        if not index:
            out = self._string(out, name)
        return self._string(out, value)

    cdef unsigned char* _string(self, unsigned char* out, bytes data):
        cdef const unsigned char* p = <const unsigned char*>PyBytes_AS_STRING(data)
        cdef Py_ssize_t n = PyBytes_GET_SIZE(data), i, bits = 0
        cdef unsigned long long acc = 0
        cdef int pending = 0
        if self._huffman:
            for i in range(n):
                bits += _BITS[p[i]]
            if (bits + 7) >> 3 <= n:
                out = _integer(out, (bits + 7) >> 3, 7, 0x80)
                for i in range(n):
                    acc = (acc << _BITS[p[i]]) | _CODE[p[i]]
                    pending += _BITS[p[i]]
                    while pending >= 8:
                        pending -= 8
                        out[0] = (acc >> pending) & 0xFF
                        out += 1
                    acc &= (1ULL << pending) - 1
                if pending:  # pad with the most significant bits of EOS: ones
                    out[0] = ((acc << (8 - pending)) | ((1U << (8 - pending)) - 1)) & 0xFF
                    out += 1
                return out
        out = _integer(out, n, 7, 0x00)
        memcpy(out, p, n)
        return out + n

    cdef void _evict(self, long long room):
        cdef list table = self._table
        cdef tuple field
        cdef long long gone
        while self._head < len(table) and self._size + room > self._max_size:
            field = <tuple>table[self._head]
            gone = self._base_id + self._head
            self._size -= _entry_size(field)
            if self._fields.get(field) == gone:
                del self._fields[field]
            if self._names.get(field[0]) == gone:
                del self._names[field[0]]
            table[self._head] = None
            self._head += 1
        if self._head > 16 and self._head * 2 > len(table):
            del table[:self._head]
            self._base_id += self._head
            self._head = 0

    cdef int _add(self, tuple field, Py_ssize_t size) except -1:
        # size * 2 <= max size here, so the entry fits once the oldest ones are gone
        self._evict(size)
        cdef long long new_id = self._base_id + len(self._table)
        self._table.append(field)
        self._fields[field] = new_id
        self._names[field[0]] = new_id
        self._size += size
        return 0


cdef tuple _unpack(object item):
    name, value = item
    return (name, value)
