"""The HPACK codec: RFC 7541 Appendix C's examples (bytes and tables, both directions), what
a decoder rejects and how it stays bounded, and what the encoder indexes, never indexes and
signals; both implementations."""

from __future__ import annotations

import tracemalloc

import hpack
import pytest

from _cstream._errors import (
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

from .conftest import Implementation

Fields = list[tuple[bytes, bytes]]


def hx(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


# --- RFC 7541 Appendix C ------------------------------------------------------------------------

REQUESTS: list[Fields] = [
    [(b":method", b"GET"), (b":scheme", b"http"), (b":path", b"/"),
     (b":authority", b"www.example.com")],
    [(b":method", b"GET"), (b":scheme", b"http"), (b":path", b"/"),
     (b":authority", b"www.example.com"), (b"cache-control", b"no-cache")],
    [(b":method", b"GET"), (b":scheme", b"https"), (b":path", b"/index.html"),
     (b":authority", b"www.example.com"), (b"custom-key", b"custom-value")],
]  # fmt: skip
REQUEST_TABLES: list[Fields] = [
    [(b":authority", b"www.example.com")],
    [(b"cache-control", b"no-cache"), (b":authority", b"www.example.com")],
    [(b"custom-key", b"custom-value"), (b"cache-control", b"no-cache"),
     (b":authority", b"www.example.com")],
]  # fmt: skip
DATE_1 = b"Mon, 21 Oct 2013 20:13:21 GMT"
DATE_2 = b"Mon, 21 Oct 2013 20:13:22 GMT"
LOCATION = b"https://www.example.com"
COOKIE = b"foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"
RESPONSES: list[Fields] = [
    [(b":status", b"302"), (b"cache-control", b"private"), (b"date", DATE_1),
     (b"location", LOCATION)],
    [(b":status", b"307"), (b"cache-control", b"private"), (b"date", DATE_1),
     (b"location", LOCATION)],
    [(b":status", b"200"), (b"cache-control", b"private"), (b"date", DATE_2),
     (b"location", LOCATION), (b"content-encoding", b"gzip"), (b"set-cookie", COOKIE)],
]  # fmt: skip
RESPONSE_TABLES: list[Fields] = [
    [(b"location", LOCATION), (b"date", DATE_1), (b"cache-control", b"private"),
     (b":status", b"302")],
    [(b":status", b"307"), (b"location", LOCATION), (b"date", DATE_1),
     (b"cache-control", b"private")],
    [(b"set-cookie", COOKIE), (b"content-encoding", b"gzip"), (b"date", DATE_2)],
]  # fmt: skip
APPENDIX_C = {
    # section: (max table size, huffman, blocks, header lists, tables, table sizes)
    "C.3": (4096, False, [
        "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
        "8286 84be 5808 6e6f 2d63 6163 6865",
        "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
    ], REQUESTS, REQUEST_TABLES, [57, 110, 164]),
    "C.4": (4096, True, [
        "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
        "8286 84be 5886 a8eb 1064 9cbf",
        "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
    ], REQUESTS, REQUEST_TABLES, [57, 110, 164]),
    "C.5": (256, False, [
        "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133"
        "2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70"
        "6c65 2e63 6f6d",
        "4803 3330 37c1 c0bf",
        "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d"
        "54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049"
        "5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e"
        "3d31",
    ], RESPONSES, RESPONSE_TABLES, [222, 222, 215]),
    "C.6": (256, True, [
        "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6"
        "2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3",
        "4883 640e ffc1 c0bf",
        "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab"
        "77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f"
        "9587 3160 65c0 03ed 4ee5 b106 3d50 07",
    ], RESPONSES, RESPONSE_TABLES, [222, 222, 215]),
}  # fmt: skip


@pytest.mark.parametrize("section", sorted(APPENDIX_C))
def test_appendix_c_decoding(impl: Implementation, section: str) -> None:
    size, _, blocks, lists, tables, sizes = APPENDIX_C[section]
    decoder = impl.HpackDecoder(max_table_size=size)
    for block, headers, table, table_size in zip(blocks, lists, tables, sizes, strict=True):
        assert decoder.decode(hx(block)) == headers
        assert decoder.table == table
        assert decoder.table_size == table_size


@pytest.mark.parametrize("section", sorted(APPENDIX_C))
def test_appendix_c_encoding(impl: Implementation, section: str) -> None:
    """Our indexing choices are the RFC's on these examples: the same bytes and tables."""
    size, huffman, blocks, lists, tables, sizes = APPENDIX_C[section]
    encoder = impl.HpackEncoder(max_table_size=size, huffman=huffman)
    for n, (block, headers, table, table_size) in enumerate(
        zip(blocks, lists, tables, sizes, strict=True)
    ):
        expected = hx(block)
        if n == 0 and size != 4096:  # the peer's table starts at 4096: ours is signalled
            expected = b"\x3f\xe1\x01" + expected
        assert encoder.encode(headers) == expected
        assert encoder.table == table
        assert encoder.table_size == table_size


@pytest.mark.parametrize(
    "block, expected",
    [
        ("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572",
         [(b"custom-key", b"custom-header")]),
        ("040c 2f73 616d 706c 652f 7061 7468", [(b":path", b"/sample/path")]),
        ("1008 7061 7373 776f 7264 0673 6563 7265 74", [(b"password", b"secret")]),
        ("82", [(b":method", b"GET")]),
    ],
)  # fmt: skip
def test_appendix_c2_literals(impl: Implementation, block: str, expected: Fields) -> None:
    decoder = impl.HpackDecoder()
    assert decoder.decode(hx(block)) == expected
    indexed = hx(block)[0] & 0xC0 == 0x40
    assert decoder.table == (expected if indexed else [])
    assert decoder.table_size == (55 if indexed else 0)


def test_bytes_like_blocks(impl: Implementation) -> None:
    block = hx("8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff")
    for data in (block, bytearray(block), memoryview(b"xx" + block)[2:]):
        assert impl.HpackDecoder().decode(data) == REQUESTS[0]


# --- rejections ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "block, message",
    [
        (b"\x80", HPACK_BAD_INDEX.format(0, 0)),
        (b"\xbe", HPACK_BAD_INDEX.format(62, 0)),
        (b"\x7e\x01a", HPACK_BAD_INDEX.format(62, 0)),  # a literal's name index
        (b"\x0f\x30\x01a", HPACK_BAD_INDEX.format(63, 0)),
        (b"\xff", HPACK_TRUNCATED),
        (b"\xff\x80", HPACK_TRUNCATED),
        (b"\x40", HPACK_TRUNCATED),
        (b"\x40\x05ab", HPACK_TRUNCATED),
        (b"\x00\x01a\x03ab", HPACK_TRUNCATED),
        # more continuation bytes than 2**28 can need, or a value over it
        (b"\xff\xff\xff\xff\xff\x0f", HPACK_INTEGER_TOO_LARGE),
        (b"\xff\x80\x80\x80\x80\x01", HPACK_INTEGER_TOO_LARGE),
        (b"\xff\xff\xff\xff\x7f", HPACK_INTEGER_TOO_LARGE),
        (b"\x3f\xff\xff\xff\x7f", HPACK_INTEGER_TOO_LARGE),
        # redundant continuation bytes: 127 written with a trailing zero group
        (b"\xff\x80\x00", HPACK_INTEGER_OVERLONG),
        (b"\x00\x7f\x80\x80\x00", HPACK_INTEGER_OVERLONG),
        # Huffman: EOS inside (30 ones), 11 bits of padding, padding with a zero
        (b"\x00\x84\xff\xff\xff\xff", HPACK_HUFFMAN_EOS),
        (b"\x00\x01a\x84\xff\xff\xff\xfc", HPACK_HUFFMAN_EOS),
        (b"\x00\x82\x1f\xff\x01a", HPACK_HUFFMAN_PADDING),
        (b"\x00\x81\xff\x01a", HPACK_HUFFMAN_PADDING),
        (b"\x00\x81\x18\x01a", HPACK_HUFFMAN_PADDING),
        (b"\x00\x01a\x81\x1e", HPACK_HUFFMAN_PADDING),
        # size updates: above the maximum, after a field
        (b"\x3f\xe2\x1f", HPACK_SIZE_UPDATE_TOO_LARGE.format(4097, 4096)),
        (b"\x82\x20", HPACK_LATE_SIZE_UPDATE),
        (b"\x20\x82\x3f\xe1\x1f", HPACK_LATE_SIZE_UPDATE),
    ],
)
def test_rejected_blocks(impl: Implementation, block: bytes, message: str) -> None:
    decoder = impl.HpackDecoder()
    with pytest.raises(HpackError) as caught:
        decoder.decode(block)
    assert str(caught.value) == message
    # the compression context is lost: the decoder stays dead
    with pytest.raises(HpackError) as again:
        decoder.decode(b"\x82")
    assert again.value is caught.value


def test_huffman_padding_rules(impl: Implementation) -> None:
    """'a' is 00011: padded with three ones it decodes; an empty Huffman string is valid."""
    decoder = impl.HpackDecoder()
    assert decoder.decode(b"\x00\x81\x1f\x80") == [(b"a", b"")]
    # 'a' twice is 10 bits: 6 ones of padding, the longest that still ends inside a byte
    assert decoder.decode(b"\x00\x82\x18\xff\x00") == [(b"aa", b"")]


def test_size_updates(impl: Implementation) -> None:
    decoder = impl.HpackDecoder()
    decoder.decode(b"\x40\x01a\x01b\x40\x01c\x01d")
    assert decoder.table == [(b"c", b"d"), (b"a", b"b")]
    assert decoder.table_size == 68
    # 34 bytes keep only the newest entry
    assert decoder.decode(b"\x3f\x03\xbe") == [(b"c", b"d")]
    assert decoder.table == [(b"c", b"d")]
    # two updates at the start: 0 empties the table, then back to 4096
    assert decoder.decode(b"\x20\x3f\xe1\x1f") == []
    assert decoder.table == [] and decoder.max_table_size == 4096
    decoder.decode(b"\x40\x01a\x01b")
    assert decoder.decode(b"\x3f\x03\xbe") == [(b"a", b"b")]  # 34: the entry fits exactly
    assert decoder.table_size == 34
    assert decoder.decode(b"\x40\x01x\x01y") == [(b"x", b"y")]  # evicts (a, b)
    assert decoder.table == [(b"x", b"y")]
    with pytest.raises(HpackError, match="out of range"):
        decoder.decode(b"\xbf")


def test_lowered_maximum_needs_an_update(impl: Implementation) -> None:
    decoder = impl.HpackDecoder()
    decoder.decode(b"\x40\x01a\x01b")
    decoder.max_allowed_table_size = 100
    assert decoder.max_allowed_table_size == 100
    assert decoder.decode(b"\x3f\x45\xbe") == [(b"a", b"b")]  # 100: entry kept
    decoder.max_allowed_table_size = 50
    with pytest.raises(HpackError) as caught:
        decoder.decode(b"\xbe")
    assert str(caught.value) == HPACK_SIZE_UPDATE_MISSING.format(50)
    other = impl.HpackDecoder()
    other.max_allowed_table_size = 50
    with pytest.raises(HpackError, match="lowered maximum 50"):
        other.decode(b"")
    raised = impl.HpackDecoder()
    raised.max_allowed_table_size = 8192  # raising it asks nothing of the peer
    assert raised.decode(b"\x82") == [(b":method", b"GET")]
    assert raised.decode(b"\x3f\xe1\x3f") == []  # 8192 now allowed
    assert raised.max_table_size == 8192


def test_entry_larger_than_the_table_empties_it(impl: Implementation) -> None:
    decoder = impl.HpackDecoder(max_table_size=100)
    decoder.decode(b"\x40\x01a\x01b")
    value = b"v" * 70
    assert decoder.decode(b"\x40\x01n\x46" + value) == [(b"n", value)]
    assert decoder.table == []
    assert decoder.table_size == 0


def test_header_list_cap_stops_inside_the_block(impl: Implementation) -> None:
    """Each field counts name + value + 32; the field that passes the cap raises, however many
    follow (a block of repeated references to one large entry is a bomb)."""
    value = b"x" * 1000
    first = b"\x40\x01n\x7f\xe9\x06" + value  # 1000 = 127 + 0x69 + (6 << 7)
    assert impl.HpackDecoder(max_header_list_size=1033).decode(first) == [(b"n", value)]
    decoder = impl.HpackDecoder(max_header_list_size=1033 * 3)
    assert decoder.decode(first + b"\xbe\xbe") == [(b"n", value)] * 3
    bomb = b"\xbe" * 200_000
    with pytest.raises(HpackError) as caught:
        decoder.decode(bomb)
    assert str(caught.value) == HPACK_LIST_TOO_LARGE.format(1033 * 3)
    with pytest.raises(HpackError, match="max_header_list_size"):
        impl.HpackDecoder(max_header_list_size=1032).decode(first)
    assert impl.HpackDecoder(max_header_list_size=0).decode(b"") == []


def test_header_list_cap_can_change_between_blocks(impl: Implementation) -> None:
    """The cap follows our SETTINGS_MAX_HEADER_LIST_SIZE: a new value applies from the next
    block on, and the table the earlier blocks built is kept."""
    value = b"x" * 1000
    first = b"\x40\x01n\x7f\xe9\x06" + value  # adds (n, value) to the table
    decoder = impl.HpackDecoder()
    assert decoder.max_header_list_size == 65536
    assert decoder.decode(first) == [(b"n", value)]
    decoder.max_header_list_size = 1033 * 2
    assert decoder.max_header_list_size == 1033 * 2
    assert decoder.decode(b"\xbe\xbe") == [(b"n", value)] * 2
    with pytest.raises(ValueError):
        decoder.max_header_list_size = -1
    with pytest.raises(TypeError):
        decoder.max_header_list_size = 1.5
    decoder.max_header_list_size = 1033
    with pytest.raises(HpackError, match="max_header_list_size"):
        decoder.decode(b"\xbe\xbe")


def test_header_list_bomb_is_never_built(impl: Implementation) -> None:
    """One 4 KB entry referenced 100,000 times (a 100 KB block that would make a list of 800 KB
    of pointers to ~400 MB of headers) stops at the 64 KiB cap: little memory is ever held."""
    value = b"v" * 4000
    block = b"\x40\x01n\x7f\xa1\x1e" + value + b"\xbe" * 100_000  # 4000 = 127 + 33 + (30 << 7)
    decoder = impl.HpackDecoder()
    tracemalloc.start()
    try:
        with pytest.raises(HpackError, match="max_header_list_size"):
            decoder.decode(block)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 300_000


def test_decoder_arguments(impl: Implementation) -> None:
    with pytest.raises(ValueError):
        impl.HpackDecoder(max_table_size=-1)
    with pytest.raises(TypeError):
        impl.HpackDecoder(max_table_size=1.5)
    with pytest.raises(ValueError):
        impl.HpackDecoder(max_header_list_size=-1)
    decoder = impl.HpackDecoder()
    with pytest.raises(ValueError):
        decoder.max_allowed_table_size = 2**32
    with pytest.raises(TypeError):
        decoder.decode("82")
    with pytest.raises(TypeError):
        decoder.decode(5)  # not five zero bytes
    assert decoder.decode(b"\x82") == [(b":method", b"GET")]  # a TypeError kills nothing


# --- the encoder --------------------------------------------------------------------------------

GET = [
    (b":method", b"GET"), (b":scheme", b"https"), (b":authority", b"example.com"),
    (b":path", b"/items/1"), (b"user-agent", b"python-faststream/0.1"), (b"accept", b"*/*"),
    (b"accept-encoding", b"gzip, deflate"),
]  # fmt: skip


def test_repeated_requests_cost_a_byte_per_field(impl: Implementation) -> None:
    encoder = impl.HpackEncoder()
    oracle = hpack.Decoder()
    first = encoder.encode(GET)
    second = encoder.encode(GET)
    assert oracle.decode(first, raw=True) == GET
    assert oracle.decode(second, raw=True) == GET
    assert len(second) == len(GET)  # every field indexed
    other_path = [*GET[:3], (b":path", b"/items/2"), *GET[4:]]
    third = encoder.encode(other_path)
    assert oracle.decode(third, raw=True) == other_path
    assert len(third) < 20


def test_credentials_are_never_indexed(impl: Implementation) -> None:
    encoder = impl.HpackEncoder()
    oracle = hpack.Decoder()
    long_cookie = b"session=" + b"s" * 30
    headers = [
        (b"authorization", b"Bearer 0123456789abcdef0123456789abcdef"),
        (b"proxy-authorization", b"Basic dXNlcjpwYXNz"),
        (b"cookie", b"a=b"),
        (b"cookie", long_cookie),
    ]
    for _ in range(2):
        block = encoder.encode(headers)
        decoded = oracle.decode(block, raw=True)
        assert decoded == headers
        kinds = [isinstance(field, hpack.NeverIndexedHeaderTuple) for field in decoded]
        assert kinds == [True, True, True, False]
    assert encoder.table == [(b"cookie", long_cookie)]
    assert block.endswith(b"\xbe")  # the long cookie, indexed the second time


def test_unindexed_fields(impl: Implementation) -> None:
    encoder = impl.HpackEncoder(max_table_size=200)
    big = (b"x-big", b"b" * 70)  # 107 bytes: more than half the table
    headers = [(b"content-length", b"12"), big]
    oracle = hpack.Decoder()
    for _ in range(2):
        assert oracle.decode(encoder.encode(headers), raw=True) == headers
    assert encoder.table == []


def test_table_size_changes_are_signalled(impl: Implementation) -> None:
    encoder = impl.HpackEncoder()
    oracle = hpack.Decoder()
    oracle.decode(encoder.encode(GET))
    assert encoder.table_size > 0
    encoder.header_table_size = 0
    assert encoder.table == [] and encoder.table_size == 0
    encoder.header_table_size = 256
    block = encoder.encode(GET[:2])
    assert block.startswith(b"\x20\x3f\xe1\x01")  # the lowest size, then the final one
    assert oracle.decode(block, raw=True) == GET[:2]
    assert oracle.header_table.maxsize == 256
    # the peer allowing more than our own maximum changes nothing
    encoder.header_table_size = 65536
    assert encoder.header_table_size == 4096
    block = encoder.encode(GET[:2])
    assert block.startswith(b"\x3f\xe1\x1f")
    encoder.header_table_size = 8192
    assert encoder.encode(GET[:2]) == b"\x82\x87"


def test_encoder_huffman_only_when_shorter(impl: Implementation) -> None:
    plain = impl.HpackEncoder(huffman=False).encode([(b"x-a", b"www.example.com")])
    coded = impl.HpackEncoder().encode([(b"x-a", b"www.example.com")])
    assert len(coded) < len(plain)
    binary = impl.HpackEncoder().encode([(b"x-b", b"\xff\xfe\x00")])
    assert binary.endswith(b"\x03\xff\xfe\x00")  # Huffman would be longer: raw
    for block in (plain, coded, binary):
        assert len(list(hpack.Decoder().decode(block, raw=True))) == 1


def test_encoder_arguments(impl: Implementation) -> None:
    encoder = impl.HpackEncoder()
    with pytest.raises(TypeError) as caught:
        encoder.encode([("a", "b")])
    assert str(caught.value) == HPACK_NOT_BYTES
    with pytest.raises(TypeError):
        encoder.encode([(b"a", None)])
    with pytest.raises(ValueError):
        encoder.encode([(b"a", b"b", b"c")])
    with pytest.raises(ValueError):
        impl.HpackEncoder(max_table_size=-1)
    with pytest.raises(ValueError):
        encoder.header_table_size = -5
    # a list of lists and tuple subclasses are fine
    assert hpack.Decoder().decode(encoder.encode([[b"a", b"b"]]), raw=True) == [(b"a", b"b")]
    assert encoder.encode([hpack.HeaderTuple(b"a", b"b")]) == b"\xbe"
