"""HPACK header lists and block sequences for the codec's tests and fuzz target: fields a client
sends and a server answers (static-table names and values, repeats, credentials, binary
values, long values that evict), blocks made by hpack's encoder on one connection, and the
damage a hostile peer can do to them (flipped bits, cuts, stray bytes, size updates)."""

from __future__ import annotations

import types
from dataclasses import dataclass
from typing import Any

import hpack
from hypothesis import strategies as st

NAMES = [
    b":method", b":scheme", b":authority", b":path", b":status", b"user-agent", b"accept",
    b"accept-encoding", b"content-type", b"content-length", b"date", b"server", b"cookie",
    b"authorization", b"proxy-authorization", b"set-cookie", b"x-request-id", b"x-custom",
    b"cache-control", b"etag",
]  # fmt: skip
VALUES = [
    b"", b"GET", b"POST", b"/", b"/index.html", b"https", b"http", b"200", b"404",
    b"gzip, deflate", b"*/*", b"example.com", b"python-faststream/0.1", b"text/plain", b"0",
    b"a=b", b"session=0123456789abcdef0123456789", b"Bearer token",
]  # fmt: skip

values = st.one_of(
    st.sampled_from(VALUES),
    st.binary(max_size=40),
    # large entries: evictions (built from a short piece: quick to draw)
    st.builds(lambda piece, n: piece * n, st.binary(min_size=1, max_size=5), st.integers(40, 300)),
)
fields = st.tuples(st.one_of(st.sampled_from(NAMES), st.binary(min_size=1, max_size=12)), values)
header_lists = st.lists(fields, max_size=12)


@dataclass(frozen=True)
class Step:
    headers: tuple[tuple[bytes, bytes], ...]
    table_size: int | None  # a new table size setting before this block, or None


steps = st.builds(
    Step,
    headers=header_lists.map(tuple),
    table_size=st.one_of(st.none(), st.none(), st.sampled_from([0, 64, 256, 1000, 4096, 8192])),
)
connections = st.lists(steps, min_size=1, max_size=6)


def hpack_blocks(script: list[Step], huffman: bool) -> list[tuple[int | None, bytes]]:
    """hpack's encoder on one connection: (the setting in force for the block or None, the
    block) per step."""
    encoder = hpack.Encoder()
    out = []
    for step in script:
        if step.table_size is not None:
            encoder.header_table_size = step.table_size
        out.append((step.table_size, encoder.encode(list(step.headers), huffman=huffman)))
    return out


@dataclass(frozen=True)
class DecodeCase:
    """Blocks for one decoder, each maybe damaged; the decoder's settings."""

    blocks: tuple[tuple[int | None, bytes], ...]
    max_header_list_size: int


@st.composite
def damaged(draw: st.DrawFn, block: bytes) -> bytes:
    how = draw(st.sampled_from(["keep"] * 4 + ["flip", "cut", "insert", "random", "update"]))
    if how == "keep" or (not block and how in ("flip", "cut")):
        return block
    if how == "flip":
        at = draw(st.integers(0, len(block) - 1))
        return block[:at] + bytes([block[at] ^ (1 << draw(st.integers(0, 7)))]) + block[at + 1 :]
    if how == "cut":
        return block[: draw(st.integers(0, len(block) - 1))]
    if how == "insert":
        at = draw(st.integers(0, len(block)))
        return block[:at] + draw(st.binary(min_size=1, max_size=6)) + block[at:]
    if how == "update":  # a size update at the start, possibly too large
        size = draw(st.sampled_from([0, 100, 4096, 4097, 2**28, 2**28 + 1]))
        update = bytearray()
        if size < 31:
            update.append(0x20 | size)
        else:
            update.append(0x3F)
            size -= 31
            while size >= 0x80:
                update.append((size & 0x7F) | 0x80)
                size >>= 7
            update.append(size)
        return bytes(update) + block
    return draw(st.binary(max_size=64))


@st.composite
def decode_cases(draw: st.DrawFn) -> DecodeCase:
    script = draw(connections)
    blocks = hpack_blocks(script, draw(st.booleans()))
    return DecodeCase(
        blocks=tuple((size, draw(damaged(block))) for size, block in blocks),
        max_header_list_size=draw(st.sampled_from([65536, 65536, 2000, 300, 0])),
    )


def attempt(fn: Any, *args: Any) -> tuple[Any, ...]:
    """("ok", result) or ("raise", type name, message)."""
    try:
        return ("ok", fn(*args))
    except SystemError:
        raise
    except Exception as exc:
        return ("raise", type(exc).__name__, str(exc))


def drive_decoder(module: types.ModuleType, case: DecodeCase) -> list[Any]:
    """Every block through one decoder of `module`: each outcome, then the table's state."""
    decoder = module.HpackDecoder(max_header_list_size=case.max_header_list_size)
    seen: list[Any] = []
    for size, block in case.blocks:
        if size is not None:
            decoder.max_allowed_table_size = size
        seen.append(attempt(decoder.decode, block))
        seen.append((decoder.table, decoder.table_size, decoder.max_table_size))
    return seen


def drive_encoder(module: types.ModuleType, script: list[Step], huffman: bool) -> list[Any]:
    """Every step through one encoder of `module`: each block, then the table's state."""
    encoder = module.HpackEncoder(huffman=huffman)
    seen: list[Any] = []
    for step in script:
        if step.table_size is not None:
            encoder.header_table_size = step.table_size
        seen.append(encoder.encode(step.headers))
        seen.append((encoder.table, encoder.table_size, encoder.header_table_size))
    return seen
