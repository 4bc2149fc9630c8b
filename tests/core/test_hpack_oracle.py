"""hpack (the package h2 uses) as the oracle for the HPACK codec, and the compiled codec against
its pure twin. On random header lists sent over one connection (repeats, credentials, binary
and long values that evict, table size changes): our encoder's blocks decode in hpack to the
same lists and tables; hpack's blocks (Huffman or not) decode in ours to the same lists and
tables; and both implementations give the same bytes, lists, tables and errors, also on
damaged blocks."""

from __future__ import annotations

import importlib
import types

import hpack
import pytest
from hypothesis import given, settings, strategies as st

import _cstream
from _cstream._errors import HpackError

from ._hpack import (
    DecodeCase,
    Step,
    connections,
    decode_cases,
    drive_decoder,
    drive_encoder,
)
from .conftest import Implementation

# A tenth of the profile's examples (the profile's full count under HYPOTHESIS_PROFILE=fuzz is
# the long search): hpack's pure-Python codec is the slow half of every example.
assert settings.default is not None
EXAMPLES = settings(max_examples=max(20, settings.default.max_examples // 10), deadline=None)


def _compiled() -> types.ModuleType:
    try:
        return importlib.import_module("_cstream._hpack")
    except ImportError as exc:
        if _cstream.REQUIRE_EXTENSIONS:
            raise
        pytest.skip(f"the compiled module _hpack was not built on this machine ({exc})")


def _pure() -> types.ModuleType:
    return importlib.import_module("_cstream._pure._hpack")


def _oracle_table(decoder: hpack.Decoder) -> list[tuple[bytes, bytes]]:
    return [(bytes(n), bytes(v)) for n, v in decoder.header_table.dynamic_entries]


@EXAMPLES
@given(script=connections, huffman=st.booleans())
def test_our_blocks_decode_in_hpack(
    impl: Implementation, script: list[Step], huffman: bool
) -> None:
    encoder = impl.HpackEncoder(huffman=huffman)
    oracle = hpack.Decoder(max_header_list_size=2**31)
    for step in script:
        if step.table_size is not None:
            encoder.header_table_size = step.table_size
            oracle.max_allowed_table_size = step.table_size
        block = encoder.encode(step.headers)
        assert oracle.decode(block, raw=True) == list(step.headers)
        assert _oracle_table(oracle) == encoder.table
        assert oracle.header_table.maxsize == encoder.header_table_size


@EXAMPLES
@given(script=connections, huffman=st.booleans())
def test_hpack_blocks_decode_in_ours(
    impl: Implementation, script: list[Step], huffman: bool
) -> None:
    decoder = impl.HpackDecoder(max_header_list_size=2**31)
    encoder = hpack.Encoder()
    for step in script:
        if step.table_size is not None:
            encoder.header_table_size = step.table_size
            decoder.max_allowed_table_size = step.table_size
        block = encoder.encode(list(step.headers), huffman=huffman)
        assert decoder.decode(block) == list(step.headers)
        assert decoder.table == [(n, v) for n, v in encoder.header_table.dynamic_entries]
        assert decoder.max_table_size == encoder.header_table.maxsize


@EXAMPLES
@given(case=decode_cases())
def test_decoder_twins_agree(case: DecodeCase) -> None:
    assert drive_decoder(_compiled(), case) == drive_decoder(_pure(), case)


@EXAMPLES
@given(case=decode_cases())
def test_decoder_agrees_with_hpack_on_what_it_accepts(case: DecodeCase) -> None:
    """On damaged blocks too: whatever both decode, they decode alike, and the block sequence
    hpack accepts without a doubt (undamaged ones) we accept."""
    ours = _pure().HpackDecoder(max_header_list_size=2**31)
    oracle = hpack.Decoder(max_header_list_size=2**31)
    for size, block in case.blocks:
        if size is not None:
            ours.max_allowed_table_size = size
            oracle.max_allowed_table_size = size
        try:
            expected = oracle.decode(block, raw=True)
        except (hpack.HPACKError, IndexError, ValueError):
            return  # the oracle's context is gone; ours may have refused earlier or now
        try:
            got = ours.decode(block)
        except HpackError:
            return  # stricter than hpack (redundant integer bytes, a missing size update)
        assert got == expected


@EXAMPLES
@given(script=connections, huffman=st.booleans())
def test_encoder_twins_agree(script: list[Step], huffman: bool) -> None:
    assert drive_encoder(_compiled(), script, huffman) == drive_encoder(_pure(), script, huffman)


def test_huffman_code_of_every_byte(impl: Implementation) -> None:
    """Each byte's code, between short codes so that the value is Huffman-coded: hpack decodes
    our blocks and we decode hpack's, so both directions of the code table are RFC 7541's."""
    for byte in range(256):
        field = (b"x-h", b"aeiou" * 8 + bytes([byte]))
        ours = impl.HpackEncoder().encode([field])
        assert len(ours) < 3 + len(field[0]) + len(field[1])  # Huffman-coded
        assert hpack.Decoder().decode(ours, raw=True) == [field]
        theirs = hpack.Encoder().encode([field], huffman=True)
        assert impl.HpackDecoder().decode(theirs) == [field]
