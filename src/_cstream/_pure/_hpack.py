"""HPACK (RFC 7541) header compression, pure-Python twin of `_cstream._hpack` (same behaviour).

`HpackDecoder.decode` turns one complete header block into ``[(name, value), ...]``;
`HpackEncoder.encode` turns a header list into a block. Each side keeps the dynamic table of
one connection direction, so one object serves one connection, blocks in order.

Decoding is bounded by lengths alone and never reads past the block: integers over 2**28 or
with redundant continuation bytes, indexes outside the tables, Huffman strings holding EOS or
padded with more than 7 bits or with a zero bit, dynamic table size updates anywhere but at
the start of a block or above `max_allowed_table_size`, and a header list whose size (the sum
of name + value + 32 over its fields) passes `max_header_list_size` are `HpackError`. The size
check runs after each field, so a block of repeated references to a large entry stops before
the list is built. After an error the decoder is dead: every later `decode` raises it again
(its table no longer matches the peer's).

The encoder indexes full matches (static table first), refers to names by index, and adds the
fields it sends to its dynamic table (so a header repeated on the next request costs one or
two bytes), except ``content-length`` (it changes with every body), fields larger than half
the table, and the credentials: ``authorization`` and ``proxy-authorization`` values, and
``cookie`` values shorter than 20 bytes, are sent "never indexed" (an intermediary must not
compress them either). Strings are Huffman-coded when that is not longer (and `huffman` is on).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from .._errors import (
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
from .._hpack_data import (
    FSM_ACCEPT,
    FSM_EMIT,
    FSM_FAIL,
    HUFFMAN_CODES,
    STATIC_TABLE,
    huffman_fsm,
)

__all__ = ["HpackDecoder", "HpackEncoder", "HpackError"]

_FSM = huffman_fsm()
_ENTRY_OVERHEAD = 32
_MAX_INTEGER = 2**28
_STATIC_COUNT = len(STATIC_TABLE)
# The encoder's lookups in the static table: the lowest index of each field and of each name.
_STATIC_FIELDS: dict[tuple[bytes, bytes], int] = {}
_STATIC_NAMES: dict[bytes, int] = {}
for _index, _field in enumerate(STATIC_TABLE, 1):
    _STATIC_FIELDS.setdefault(_field, _index)
    _STATIC_NAMES.setdefault(_field[0], _index)
del _index, _field
_SENSITIVE = (b"authorization", b"proxy-authorization")
_UNINDEXED = b"content-length"


def _is_bytes(value: object) -> bool:
    return isinstance(value, bytes)


def _check_size(size: object) -> int:
    if type(size) is not int:
        raise TypeError("a table size must be an int")
    if not 0 <= size <= 2**32 - 1:
        raise ValueError("a table size must be between 0 and 4294967295")
    return size


def _check_list_size(size: object) -> int:
    if type(size) is not int:
        raise TypeError("max_header_list_size must be an int")
    if size < 0:
        raise ValueError("max_header_list_size must not be negative")
    return min(size, 2**62)  # as the compiled twin keeps it


def _huffman_decode(data: bytes | bytearray | memoryview) -> bytes:
    out = bytearray()
    state = 0
    entry = FSM_ACCEPT
    for byte in data:
        for nibble in (byte >> 4, byte & 0xF):
            entry = _FSM[(state << 4) | nibble]
            if entry & FSM_FAIL:
                raise HpackError(HPACK_HUFFMAN_EOS)
            if entry & FSM_EMIT:
                out.append((entry >> 8) & 0xFF)
            state = entry & 0xFF
    if not entry & FSM_ACCEPT:
        raise HpackError(HPACK_HUFFMAN_PADDING)
    return bytes(out)


def _huffman_length(data: bytes) -> int:
    bits = 0
    for byte in data:
        bits += HUFFMAN_CODES[byte][1]
    return (bits + 7) >> 3


def _huffman_encode(data: bytes, out: bytearray) -> None:
    acc = 0
    bits = 0
    for byte in data:
        code, length = HUFFMAN_CODES[byte]
        acc = (acc << length) | code
        bits += length
        while bits >= 8:
            bits -= 8
            out.append((acc >> bits) & 0xFF)
        acc &= (1 << bits) - 1
    if bits:  # pad with the most significant bits of EOS: ones
        out.append(((acc << (8 - bits)) | ((1 << (8 - bits)) - 1)) & 0xFF)


def _integer(out: bytearray, value: int, prefix: int, first: int) -> None:
    """`value` with a `prefix`-bit prefix, `first` holding the bits above it."""
    limit = (1 << prefix) - 1
    if value < limit:
        out.append(first | value)
        return
    out.append(first | limit)
    value -= limit
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


class HpackDecoder:
    """Decodes the header blocks of one connection direction (see the module docs)."""

    def __init__(self, max_table_size: int = 4096, max_header_list_size: int = 65536) -> None:
        self._max_size = _check_size(max_table_size)
        self._allowed = self._max_size
        self._max_list = _check_list_size(max_header_list_size)
        self._table: deque[tuple[bytes, bytes]] = deque()  # newest first
        self._size = 0
        self._update_due = False
        self._error: HpackError | None = None

    @property
    def max_allowed_table_size(self) -> int:
        return self._allowed

    @max_allowed_table_size.setter
    def max_allowed_table_size(self, value: int) -> None:
        self._allowed = _check_size(value)
        if self._allowed < self._max_size:
            self._update_due = True

    @property
    def max_header_list_size(self) -> int:
        return self._max_list

    @max_header_list_size.setter
    def max_header_list_size(self, value: int) -> None:
        self._max_list = _check_list_size(value)

    @property
    def table_size(self) -> int:
        return self._size

    @property
    def max_table_size(self) -> int:
        return self._max_size

    @property
    def table(self) -> list[tuple[bytes, bytes]]:
        return list(self._table)

    def _fail(self, message: str) -> HpackError:
        self._error = HpackError(message)
        return self._error

    def decode(self, block: bytes | bytearray | memoryview) -> list[tuple[bytes, bytes]]:
        if self._error is not None:
            raise self._error
        data = bytes(memoryview(block))
        end = len(data)
        pos = 0
        headers: list[tuple[bytes, bytes]] = []
        total = 0
        fields = False
        table = self._table

        def integer(prefix: int) -> int:
            nonlocal pos
            limit = (1 << prefix) - 1
            value = data[pos] & limit
            pos += 1
            if value < limit:
                return value
            shift = 0
            while True:
                if pos >= end:
                    raise self._fail(HPACK_TRUNCATED)
                byte = data[pos]
                pos += 1
                value += (byte & 0x7F) << shift
                if not byte & 0x80:
                    break
                shift += 7
                if shift == 28:
                    raise self._fail(HPACK_INTEGER_TOO_LARGE)
            if shift and not byte:
                raise self._fail(HPACK_INTEGER_OVERLONG)
            if value > _MAX_INTEGER:
                raise self._fail(HPACK_INTEGER_TOO_LARGE)
            return value

        def string() -> bytes:
            nonlocal pos
            if pos >= end:
                raise self._fail(HPACK_TRUNCATED)
            huffman = data[pos] & 0x80
            length = integer(7)
            if length > end - pos:
                raise self._fail(HPACK_TRUNCATED)
            start = pos
            pos += length
            if not huffman:
                return data[start:pos]
            try:
                return _huffman_decode(memoryview(data)[start:pos])
            except HpackError as exc:
                self._error = exc
                raise

        def entry(index: int) -> tuple[bytes, bytes]:
            if 0 < index <= _STATIC_COUNT:
                return STATIC_TABLE[index - 1]
            dynamic = index - _STATIC_COUNT - 1
            if index == 0 or dynamic >= len(table):
                raise self._fail(HPACK_BAD_INDEX.format(index, len(table)))
            return table[dynamic]

        while pos < end:
            byte = data[pos]
            if byte & 0x80:  # indexed field
                field = entry(integer(7))
            elif byte & 0xE0 == 0x20:  # dynamic table size update
                if fields:
                    raise self._fail(HPACK_LATE_SIZE_UPDATE)
                size = integer(5)
                if size > self._allowed:
                    raise self._fail(HPACK_SIZE_UPDATE_TOO_LARGE.format(size, self._allowed))
                self._max_size = size
                self._update_due = False
                self._evict(0)
                continue
            else:  # a literal: with incremental indexing, without, or never indexed
                index = integer(6 if byte & 0x40 else 4)
                name = entry(index)[0] if index else string()
                field = (name, string())
            if self._update_due:
                raise self._fail(HPACK_SIZE_UPDATE_MISSING.format(self._allowed))
            fields = True
            total += len(field[0]) + len(field[1]) + _ENTRY_OVERHEAD
            if total > self._max_list:
                raise self._fail(HPACK_LIST_TOO_LARGE.format(self._max_list))
            if byte & 0xC0 == 0x40:
                self._add(field)
            headers.append(field)
        if self._update_due:
            raise self._fail(HPACK_SIZE_UPDATE_MISSING.format(self._allowed))
        return headers

    def _evict(self, room: int) -> None:
        """Drops the oldest entries until `room` more bytes fit."""
        table = self._table
        while table and self._size + room > self._max_size:
            name, value = table.pop()
            self._size -= len(name) + len(value) + _ENTRY_OVERHEAD

    def _add(self, field: tuple[bytes, bytes]) -> None:
        size = len(field[0]) + len(field[1]) + _ENTRY_OVERHEAD
        if size > self._max_size:  # an entry larger than the table empties it
            self._table.clear()
            self._size = 0
            return
        self._evict(size)
        self._table.appendleft(field)
        self._size += size


class HpackEncoder:
    """Encodes the header blocks of one connection direction (see the module docs).

    `max_table_size` bounds the dynamic table whatever the peer allows; `header_table_size`
    is set to the peer's SETTINGS_HEADER_TABLE_SIZE, and the table in use is the smaller of
    the two (a change is signalled at the start of the next block).
    """

    def __init__(self, max_table_size: int = 4096, huffman: bool = True) -> None:
        self._limit = _check_size(max_table_size)
        self._peer = 4096
        self._max_size = min(self._limit, self._peer)
        self._huffman = bool(huffman)
        # (field, id) newest first; ids count the entries ever added, so an entry's index is
        # 62 + (the newest id - its id).
        self._table: deque[tuple[tuple[bytes, bytes], int]] = deque()
        self._fields: dict[tuple[bytes, bytes], int] = {}
        self._names: dict[bytes, int] = {}
        self._next_id = 0
        self._size = 0
        self._lowest = -1  # the smallest size since the last block, when one must be signalled
        if self._max_size != 4096:
            self._lowest = self._max_size

    @property
    def header_table_size(self) -> int:
        return self._max_size

    @header_table_size.setter
    def header_table_size(self, value: int) -> None:
        self._peer = _check_size(value)
        size = min(self._limit, self._peer)
        if size == self._max_size:
            return
        self._max_size = size
        if self._lowest < 0 or size < self._lowest:
            self._lowest = size
        self._evict(0)

    @property
    def table_size(self) -> int:
        return self._size

    @property
    def table(self) -> list[tuple[bytes, bytes]]:
        return [field for field, _ in self._table]

    def encode(self, headers: Sequence[tuple[bytes, bytes]]) -> bytes:
        out = bytearray()
        if self._lowest >= 0:
            if self._lowest < self._max_size:
                _integer(out, self._lowest, 5, 0x20)
            _integer(out, self._max_size, 5, 0x20)
            self._lowest = -1
        for name, value in headers:
            if not (_is_bytes(name) and _is_bytes(value)):
                raise TypeError(HPACK_NOT_BYTES)
            field = (name, value)
            if name in _SENSITIVE or (name == b"cookie" and len(value) < 20):
                self._literal(out, field, 0x10)
                continue
            index = _STATIC_FIELDS.get(field, 0)
            if not index:
                found = self._fields.get(field)
                if found is not None:
                    index = _STATIC_COUNT + 1 + self._next_id - 1 - found
            if index:
                _integer(out, index, 7, 0x80)
                continue
            size = len(name) + len(value) + _ENTRY_OVERHEAD
            if name == _UNINDEXED or size * 2 > self._max_size:
                self._literal(out, field, 0x00)
                continue
            self._literal(out, field, 0x40)
            self._add(field, size)
        return bytes(out)

    def _literal(self, out: bytearray, field: tuple[bytes, bytes], kind: int) -> None:
        """A literal field: `kind` 0x40 with incremental indexing, 0x00 without indexing,
        0x10 never indexed; the name by index when either table has it."""
        name = field[0]
        index = _STATIC_NAMES.get(name, 0)
        if not index:
            found = self._names.get(name)
            if found is not None:
                index = _STATIC_COUNT + 1 + self._next_id - 1 - found
        _integer(out, index, 6 if kind == 0x40 else 4, kind)
        if not index:
            self._string(out, name)
        self._string(out, field[1])

    def _string(self, out: bytearray, data: bytes) -> None:
        if self._huffman:
            length = _huffman_length(data)
            if length <= len(data):
                _integer(out, length, 7, 0x80)
                _huffman_encode(data, out)
                return
        _integer(out, len(data), 7, 0x00)
        out += data

    def _evict(self, room: int) -> None:
        table = self._table
        while table and self._size + room > self._max_size:
            field, found = table.pop()
            self._size -= len(field[0]) + len(field[1]) + _ENTRY_OVERHEAD
            if self._fields.get(field) == found:
                del self._fields[field]
            if self._names.get(field[0]) == found:
                del self._names[field[0]]

    def _add(self, field: tuple[bytes, bytes], size: int) -> None:
        # size * 2 <= max size here, so the entry fits once the oldest ones are gone
        self._evict(size)
        self._table.appendleft((field, self._next_id))
        self._fields[field] = self._next_id
        self._names[field[0]] = self._next_id
        self._next_id += 1
        self._size += size
