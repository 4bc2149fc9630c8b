"""HPACK (RFC 7541) header compression, compiled; twin: `_cstream._pure._hpack`.

`HpackDecoder.decode` turns one complete header block into ``[(name, value), ...]``;
`HpackEncoder.encode` turns a header list into a block. Each keeps the dynamic table of one
connection direction: one object per connection and direction, blocks in order.

Decoding is bounded by lengths alone and never reads past the block. Integers over 2**28 or
with redundant continuation bytes, indexes outside the tables, Huffman strings holding EOS or
with padding longer than 7 bits or not all ones, dynamic table size updates after a field or
above `max_allowed_table_size` (or missing when that was lowered below the table's size), and
a header list whose size (name + value + 32 per field) passes `max_header_list_size` (checked
after each field, so the list is never built) are `HpackError`. After an error the decoder is
dead: every later `decode` raises it again.

The encoder indexes full matches, refers to names by index, and adds what it sends to its
dynamic table except ``content-length`` and fields larger than half the table; values of
``authorization``, ``proxy-authorization`` and of ``cookie`` when shorter than 20 bytes are
sent "never indexed". Strings are Huffman-coded when that is not longer and `huffman` is on.
"""

from collections.abc import Sequence
from typing import final

from typing_extensions import Buffer

from _cstream._errors import HpackError as HpackError

__all__ = ["HpackDecoder", "HpackEncoder", "HpackError"]

@final
class HpackDecoder:
    def __init__(self, max_table_size: int = 4096, max_header_list_size: int = 65536) -> None: ...
    @property
    def max_allowed_table_size(self) -> int:
        """The largest dynamic table size the peer may choose (our SETTINGS_HEADER_TABLE_SIZE,
        set when the peer acknowledged a change); lowering it below the table's size makes an
        update at the start of the next block mandatory."""
    @max_allowed_table_size.setter
    def max_allowed_table_size(self, value: int) -> None: ...
    @property
    def max_header_list_size(self) -> int:
        """The largest header list a block may decode to (name + value + 32 per field): our
        SETTINGS_MAX_HEADER_LIST_SIZE."""
    @max_header_list_size.setter
    def max_header_list_size(self, value: int) -> None: ...
    @property
    def table_size(self) -> int:
        """The dynamic table's size: name + value + 32 summed over its entries."""
    @property
    def max_table_size(self) -> int:
        """The dynamic table's maximum size, as the peer last set it."""
    @property
    def table(self) -> list[tuple[bytes, bytes]]:
        """The dynamic table's entries, newest (index 62) first."""
    def decode(self, block: Buffer) -> list[tuple[bytes, bytes]]:
        """The fields of one complete header block, in order."""

@final
class HpackEncoder:
    def __init__(self, max_table_size: int = 4096, huffman: bool = True) -> None: ...
    @property
    def header_table_size(self) -> int:
        """The dynamic table's maximum size in use: the smaller of `max_table_size` and the
        peer's SETTINGS_HEADER_TABLE_SIZE, which setting this takes (a change is signalled at
        the start of the next block)."""
    @header_table_size.setter
    def header_table_size(self, value: int) -> None: ...
    @property
    def table_size(self) -> int:
        """The dynamic table's size: name + value + 32 summed over its entries."""
    @property
    def table(self) -> list[tuple[bytes, bytes]]:
        """The dynamic table's entries, newest (index 62) first."""
    def encode(self, headers: Sequence[tuple[bytes, bytes]]) -> bytes:
        """One header block for `headers` (names lowercase, as HTTP/2 requires)."""
