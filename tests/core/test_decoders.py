"""Content decoders: identity, gzip, deflate, chains and make_decoder, as httpx 0.28.1 has them
except where faststream does better: every gzip member, truncation raises, bounded pieces, a cap
on the chain.

Every test runs on the compiled types and their pure twins (`impl`), gzip and deflate on every
installed inflate backend. The pull contract (see `_cstream._codecs`): `decode()` returns an
iterator of pieces of at most `max_length` bytes, never empty, decoded as they are pulled.
"""

from __future__ import annotations

import struct
import zlib
from typing import Any

import pytest

from _cstream._codecs import INFLATE_BACKENDS, SUPPORTED_ENCODINGS
from _cstream._errors import DecodeError

from ._codings import (
    MIB,
    assert_pieces,
    every,
    feed,
    gz,
    raw_deflate,
    sample,
    split,
    traced_peak,
    zeros_gzip,
    zlib_wrapped,
)

MAX_LENGTHS = [1, 7, 1024, 65536]


@pytest.fixture(params=INFLATE_BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


# ---------------------------------------------------------------------------------------------
# constructors and the registry


def test_max_length_must_be_positive(impl: Any) -> None:
    for cls in (impl.IdentityDecoder, impl.GzipDecoder, impl.DeflateDecoder):
        for bad in (0, -1):
            with pytest.raises(ValueError, match="max_length"):
                cls(bad)
        with pytest.raises(TypeError):
            cls("64")
        assert list(cls(1).flush()) == []
    with pytest.raises(ValueError, match="max_length"):
        impl.make_decoder(["gzip"], 0)


def test_unknown_backend_is_refused(impl: Any) -> None:
    for cls in (impl.GzipDecoder, impl.DeflateDecoder):
        with pytest.raises(ValueError, match="zlib"):  # names the choices
            cls(65536, "no-such-backend")


def test_backend_registry() -> None:
    assert "zlib" in INFLATE_BACKENDS  # the stdlib is always there, and it is the slowest
    assert INFLATE_BACKENDS[-1] == "zlib"
    assert set(INFLATE_BACKENDS) <= {"isal", "zlib-ng", "zlib"}
    order = ["isal", "zlib-ng", "zlib"]
    assert list(INFLATE_BACKENDS) == [name for name in order if name in INFLATE_BACKENDS]


def test_default_backend_follows_the_environment(
    impl: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FASTSTREAM_INFLATE_BACKEND", raising=False)
    assert impl.default_inflate_backend() == INFLATE_BACKENDS[0]
    monkeypatch.setenv("FASTSTREAM_INFLATE_BACKEND", "zlib")
    assert impl.default_inflate_backend() == "zlib"
    assert feed(impl.GzipDecoder(), [gz(b"abc")]) == [b"abc"]
    monkeypatch.setenv("FASTSTREAM_INFLATE_BACKEND", "lzw")
    with pytest.raises(ValueError, match="lzw.*zlib"):
        impl.default_inflate_backend()
    with pytest.raises(ValueError, match="lzw"):
        impl.GzipDecoder()  # the default is resolved when the decoder is made
    with pytest.raises(ValueError, match="lzw"):
        impl.make_decoder(["deflate"])
    assert feed(impl.GzipDecoder(65536, "zlib"), [gz(b"abc")]) == [b"abc"]  # explicit wins


def test_supported_encodings_order() -> None:
    assert SUPPORTED_ENCODINGS[:2] == ("gzip", "deflate")
    assert list(SUPPORTED_ENCODINGS) == [
        name for name in ("gzip", "deflate", "br", "zstd") if name in SUPPORTED_ENCODINGS
    ]
    # this dev environment has both optional packages; CI installs the test extra
    assert SUPPORTED_ENCODINGS == ("gzip", "deflate", "br", "zstd")


# ---------------------------------------------------------------------------------------------
# identity


def test_identity_passes_data_through(impl: Any) -> None:
    d = impl.IdentityDecoder(4)
    data = b"abcd"
    assert [p for p in d.decode(data)][0] is data  # fits: the same object
    assert feed(d, [b"abcdefghij", b"", b"k"]) == [b"abcd", b"efgh", b"ij", b"k"]
    assert list(d.decode(b"")) == []
    assert feed(impl.IdentityDecoder(), []) == []
    assert feed(impl.IdentityDecoder(3), [bytearray(b"wxyz"), memoryview(b"12")]) == [
        b"wxy",
        b"z",
        b"12",
    ]


def test_identity_copies_a_bytearray_it_queues(impl: Any) -> None:
    d = impl.IdentityDecoder()
    buf = bytearray(b"abc")
    pieces = d.decode(buf)
    buf[:] = b"xyz"  # the caller reuses its buffer before pulling
    assert list(pieces) == [b"abc"]


# ---------------------------------------------------------------------------------------------
# gzip


@pytest.mark.parametrize("max_length", MAX_LENGTHS)
def test_gzip_round_trip(impl: Any, backend: str, max_length: int) -> None:
    data = sample(20000)
    body = gz(data)
    for chunks in ([body], every(body, 1000), every(body, 7)):
        pieces = feed(impl.GzipDecoder(max_length, backend), chunks)
        assert b"".join(pieces) == data
        assert_pieces(pieces, max_length)


def test_gzip_pieces_are_full_until_the_input_runs_out(impl: Any, backend: str) -> None:
    data = sample(50000)
    d = impl.GzipDecoder(4096, backend)
    pieces = list(d.decode(gz(data)))
    assert [len(p) for p in pieces[:-1]] == [4096] * (len(pieces) - 1)
    assert b"".join(pieces) == data and list(d.flush()) == []


def test_gzip_every_split_point(impl: Any, backend: str) -> None:
    data = sample(600)
    body = gz(data[:300]) + gz(data[300:])
    for cut in range(len(body) + 1):
        d = impl.GzipDecoder(100, backend)
        assert b"".join(feed(d, split(body, [cut]))) == data, cut
    assert b"".join(feed(impl.GzipDecoder(100, backend), every(body, 1))) == data


def test_gzip_decodes_every_member(impl: Any, backend: str) -> None:
    parts = [b"first member\n", b"", sample(5000, 1), b"last\n"]
    body = b"".join(gz(p) for p in parts)
    assert b"".join(feed(impl.GzipDecoder(1000, backend), [body])) == b"".join(parts)
    assert b"".join(feed(impl.GzipDecoder(1000, backend), every(body, 3))) == b"".join(parts)


def test_gzip_member_header_fields(impl: Any, backend: str) -> None:
    # FEXTRA, FNAME, FCOMMENT and FHCRC set: every backend reads past them
    member = gz(b"payload")
    header = bytearray(member[:10])
    header[3] = 0x1E
    extra = struct.pack("<H", 3) + b"xyz" + b"name\0" + b"comment\0"
    crc16 = struct.pack("<H", zlib.crc32(bytes(header) + extra) & 0xFFFF)
    body = bytes(header) + extra + crc16 + member[10:]
    assert b"".join(feed(impl.GzipDecoder(65536, backend), every(body, 2))) == b"payload"


@pytest.mark.parametrize(
    "garbage",
    [b"\0", b"\0" * 1000, b"trailing junk", b"\x1f", b"\x1f\x00rest", b"\x8b\x1f", b"\x1f\x1f"],
)
def test_gzip_trailing_garbage_is_ignored(impl: Any, backend: str, garbage: bytes) -> None:
    body = gz(b"hello ") + gz(b"world") + garbage
    for chunks in ([body], every(body, 1), [body, gz(b"ignored too")]):
        assert b"".join(feed(impl.GzipDecoder(65536, backend), chunks)) == b"hello world"


def test_gzip_lone_magic_byte_waits_for_the_next(impl: Any, backend: str) -> None:
    second = gz(b"second")
    d = impl.GzipDecoder(65536, backend)
    assert list(d.decode(gz(b"first ") + second[:1])) == [b"first "]  # only 1f so far
    assert list(d.decode(second[1:])) == [b"second"]  # 8b: it was a member
    assert list(d.flush()) == []
    d = impl.GzipDecoder(65536, backend)
    assert b"".join(feed(d, [gz(b"x") + b"\x1f", b"\x00\x1f\x8b"])) == b"x"  # garbage


@pytest.mark.parametrize("cut", [1, 2, 3, 5, 9, 10, 12, -9, -8, -1])
def test_gzip_truncation_raises_at_flush(impl: Any, backend: str, cut: int) -> None:
    data = sample(3000)
    whole = gz(data)
    cases = [(b"", whole[:cut])]
    if cut != 1:  # after a complete member a lone 1f is trailing garbage (tested above)
        cases.append((b"complete", gz(b"complete") + whole[:cut]))
    for before, body in cases:
        d = impl.GzipDecoder(65536, backend)
        pieces = list(d.decode(body))  # no error while more input could come
        assert (before + data).startswith(b"".join(pieces))
        with pytest.raises(DecodeError, match="^gzip data is incomplete$"):
            list(d.flush())


@pytest.mark.parametrize(
    "body, message",
    [
        (b"not gzip at all", "incorrect header check"),
        (b"\x1f\x8c\x08\x00", "incorrect header check"),
        (b"\x1f\x8b\x07\x00\x00\x00\x00\x00\x00\xff", "unknown compression method"),
        (b"\x1f\x8b\x08\x20\x00\x00\x00\x00\x00\xff", "unknown header flags set"),
        (b"\x1f\x8b\x08\x80\x00\x00\x00\x00\x00\xff", "unknown header flags set"),
    ],
)
def test_gzip_bad_header_raises(impl: Any, backend: str, body: bytes, message: str) -> None:
    # every backend gives zlib's message (isal alone would accept the reserved flags)
    d = impl.GzipDecoder(65536, backend)
    with pytest.raises(DecodeError, match=f"^Error -3 while decompressing data: {message}$"):
        feed(d, [body])
    # after a complete member: a second member (it has the magic) must be valid; anything
    # without the magic is trailing garbage
    d = impl.GzipDecoder(65536, backend)
    if body.startswith(b"\x1f\x8b"):
        with pytest.raises(DecodeError, match=message):
            feed(d, every(gz(b"first member") + body, 3))
    else:
        assert feed(d, [gz(b"first member") + body]) == [b"first member"]


def test_gzip_first_byte_is_checked_at_once(impl: Any, backend: str) -> None:
    d = impl.GzipDecoder(65536, backend)
    with pytest.raises(DecodeError, match="incorrect header check"):
        list(d.decode(b"{"))  # a JSON body labelled gzip fails on its first byte


def _corrupt(member: bytes, offset: int, xor: int = 0x01) -> bytes:
    data = bytearray(member)
    data[offset] ^= xor
    return bytes(data)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda m: _corrupt(m, -8), id="crc32"),
        pytest.param(lambda m: _corrupt(m, -4), id="isize"),
        pytest.param(lambda m: m[:10] + b"\x07" + m[11:], id="reserved-block-type"),
    ],
)
def test_gzip_corrupt_member_raises(impl: Any, backend: str, make: Any) -> None:
    member = make(gz(sample(2000)))
    for chunks in ([member], [gz(b"ok") + member], every(member, 5)):
        with pytest.raises(DecodeError):
            feed(impl.GzipDecoder(65536, backend), chunks)


def test_errors_are_sticky(impl: Any, backend: str) -> None:
    d = impl.GzipDecoder(65536, backend)
    with pytest.raises(DecodeError):
        list(d.decode(b"garbage"))
    with pytest.raises(DecodeError, match="incorrect header check"):
        list(d.decode(gz(b"fine")))
    with pytest.raises(DecodeError, match="incorrect header check"):
        list(d.flush())


@pytest.mark.timeout(60)
def test_many_empty_gzip_members(impl: Any, backend: str) -> None:
    empty = gz(b"")
    body = empty * 50000 + gz(b"end")
    assert feed(impl.GzipDecoder(65536, backend), [body]) == [b"end"]
    assert feed(impl.GzipDecoder(65536, backend), every(body, 65536)) == [b"end"]


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_many_empty_gzip_members_take_linear_time(impl: Any, backend: str) -> None:
    # Linear time: 400,000 empty members (8 MB) in one piece. Handing each member the rest of
    # the piece (aiohttp's bug) would copy about 1.6 TB here, far past the hang guard.
    body = gz(b"") * 400000 + gz(b"end")
    assert feed(impl.GzipDecoder(65536, backend), [body]) == [b"end"]


# ---------------------------------------------------------------------------------------------
# deflate


@pytest.mark.parametrize("wrap", [zlib_wrapped, raw_deflate], ids=["zlib", "raw"])
@pytest.mark.parametrize("max_length", MAX_LENGTHS)
def test_deflate_round_trip(impl: Any, backend: str, wrap: Any, max_length: int) -> None:
    data = sample(20000)
    body = wrap(data)
    for chunks in ([body], every(body, 1), every(body, 999)):
        pieces = feed(impl.DeflateDecoder(max_length, backend), chunks)
        assert b"".join(pieces) == data
        assert_pieces(pieces, max_length)


@pytest.mark.parametrize("wrap", [zlib_wrapped, raw_deflate], ids=["zlib", "raw"])
def test_deflate_every_split_point(impl: Any, backend: str, wrap: Any) -> None:
    data = sample(400)
    body = wrap(data)
    for cut in range(len(body) + 1):
        assert b"".join(feed(impl.DeflateDecoder(64, backend), split(body, [cut]))) == data


def test_raw_deflate_that_starts_like_a_zlib_header(impl: Any, backend: str) -> None:
    # A stored block whose first byte is 0x78 (zlib's usual CMF), padding bits set: the pair
    # 78 05 fails the FCHECK test, so it is raw deflate.
    stored = b"\x78" + struct.pack("<HH", 5, 0xFFFF ^ 5) + b"hello"
    body = stored + b"\x03\x00"  # then an empty final block (fixed Huffman)
    assert (0x78 * 256 + 0x05) % 31 != 0
    for chunks in ([body], every(body, 1)):
        assert b"".join(feed(impl.DeflateDecoder(65536, backend), chunks)) == b"hello"


def test_deflate_waits_for_two_bytes_to_choose(impl: Any, backend: str) -> None:
    for body in (zlib_wrapped(b"wrapped"), raw_deflate(b"raw!")):
        d = impl.DeflateDecoder(65536, backend)
        assert list(d.decode(body[:1])) == []
        assert b"".join(list(d.decode(body[1:])) + list(d.flush())) in (b"wrapped", b"raw!")


@pytest.mark.parametrize("wrap", [zlib_wrapped, raw_deflate], ids=["zlib", "raw"])
def test_deflate_ignores_bytes_after_the_stream(impl: Any, backend: str, wrap: Any) -> None:
    body = wrap(b"payload") + b"\0\0trailing" + zlib_wrapped(b"not decoded")
    for chunks in ([body], every(body, 2)):
        assert b"".join(feed(impl.DeflateDecoder(65536, backend), chunks)) == b"payload"


@pytest.mark.parametrize("wrap", [zlib_wrapped, raw_deflate], ids=["zlib", "raw"])
def test_deflate_truncation_raises_at_flush(impl: Any, backend: str, wrap: Any) -> None:
    body = wrap(sample(3000))
    for cut in (1, 2, 3, len(body) // 2, len(body) - 1):
        d = impl.DeflateDecoder(65536, backend)
        list(d.decode(body[:cut]))
        with pytest.raises(DecodeError, match="deflate data is incomplete"):
            list(d.flush())


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"\x07\x00\x00", id="raw-reserved-block-type"),
        pytest.param(b"\x78\x9c\x07\x00\x00", id="zlib-reserved-block-type"),
        pytest.param(_corrupt(zlib.compress(b"abc" * 100), -1), id="adler32"),
        pytest.param(b"\x78\xbb" + zlib.compress(b"x")[2:], id="preset-dictionary"),
    ],
)
def test_deflate_corrupt_raises(impl: Any, backend: str, body: bytes) -> None:
    with pytest.raises(DecodeError):
        feed(impl.DeflateDecoder(65536, backend), [body])
    with pytest.raises(DecodeError):
        feed(impl.DeflateDecoder(65536, backend), every(body, 1))


# ---------------------------------------------------------------------------------------------
# the pull contract: laziness, queueing, empty bodies


@pytest.mark.parametrize("make", ["IdentityDecoder", "GzipDecoder", "DeflateDecoder"])
def test_empty_body_flushes_to_nothing(impl: Any, make: str) -> None:
    assert feed(getattr(impl, make)(), []) == []
    assert feed(getattr(impl, make)(), [b"", b""]) == []


@pytest.mark.parametrize("coding", SUPPORTED_ENCODINGS + ("identity",))
def test_empty_body_for_every_coding(impl: Any, coding: str) -> None:
    assert feed(impl.make_decoder([coding]), []) == []
    assert feed(impl.make_decoder([coding]), [b""]) == []
    assert feed(impl.make_decoder([f"{coding}, {coding}"]), [b""]) == []


@pytest.mark.timeout(60)
def test_one_pull_inflates_one_piece(impl: Any, backend: str) -> None:
    # A bomb: 1 GiB of zeros in about 1 MB, fed whole; httpx needs 258 MiB for this.
    body = zeros_gzip()
    d = impl.GzipDecoder(65536, backend)
    first: list[bytes] = []
    peak = traced_peak(lambda: first.append(next(iter(d.decode(body)))))
    assert first == [bytes(65536)]
    assert peak < 2 * MIB, peak


@pytest.mark.timeout(60)
def test_one_pull_through_a_chain_inflates_one_piece(impl: Any) -> None:
    body = gz(zeros_gzip(256 * MIB))  # gzip, gzip
    d = impl.make_decoder(["gzip", "gzip"], 65536)
    assert type(d).__name__ == "MultiDecoder"
    first: list[bytes] = []
    peak = traced_peak(lambda: first.append(next(iter(d.decode(body)))))
    assert first == [bytes(65536)]
    assert peak < 2 * MIB, peak


def test_decode_again_before_the_iterator_is_done(impl: Any, backend: str) -> None:
    a, b = sample(30000, 1), sample(30000, 2)
    for make, wrap in ((impl.GzipDecoder, gz), (impl.DeflateDecoder, zlib_wrapped)):
        body = wrap(a + b)
        half = len(body) // 2
        d = make(1024, backend)
        it1 = d.decode(body[:half])
        got = [next(it1), next(it1)]
        it2 = d.decode(body[half:])  # queued behind what it1 left
        got += list(it2)  # drains it1's input first
        assert list(it1) == []
        got += list(d.flush())
        assert b"".join(got) == a + b
        assert_pieces(got, 1024)


def test_an_older_iterator_stops_at_its_own_input(impl: Any) -> None:
    d = impl.IdentityDecoder(2)
    it1 = d.decode(b"abcd")
    it2 = d.decode(b"ef")
    assert next(it1) == b"ab"
    assert list(it1) == [b"cd"]  # not b"ef": that is it2's
    assert list(it2) == [b"ef"]
    g = impl.GzipDecoder(65536, "zlib")
    body1, body2 = gz(b"one"), gz(b"two")
    it1 = g.decode(body1)
    it2 = g.decode(body2)
    assert list(it1) == [b"one"]
    assert list(it2) == [b"two"]


def test_unpulled_iterators_keep_their_input_in_order(impl: Any, backend: str) -> None:
    body = gz(sample(5000))
    d = impl.GzipDecoder(700, backend)
    for chunk in every(body, 100):
        d.decode(chunk)  # never pulled
    assert b"".join(d.flush()) == sample(5000)


# ---------------------------------------------------------------------------------------------
# make_decoder and chains


def test_make_decoder_picks_the_decoder(impl: Any) -> None:
    assert isinstance(impl.make_decoder([]), impl.IdentityDecoder)
    assert isinstance(impl.make_decoder(["identity"]), impl.IdentityDecoder)
    assert isinstance(impl.make_decoder(["x-gzip, compress"]), impl.IdentityDecoder)
    assert isinstance(impl.make_decoder([" GZip "]), impl.GzipDecoder)
    assert isinstance(impl.make_decoder(["identity, deflate"]), impl.DeflateDecoder)
    assert isinstance(impl.make_decoder(["br"]), impl.BrotliDecoder)
    assert isinstance(impl.make_decoder(["zstd"]), impl.ZstdDecoder)
    assert isinstance(impl.make_decoder(["gzip", "deflate"]), impl.MultiDecoder)
    assert isinstance(impl.make_decoder("gzip"), impl.GzipDecoder)  # one header value


def test_make_decoder_passes_max_length(impl: Any) -> None:
    for coding, body in (
        ("gzip", gz(sample(5000))),
        ("deflate", raw_deflate(sample(5000))),
        ("identity", sample(5000)),
    ):
        pieces = feed(impl.make_decoder([coding], 700), [body])
        assert b"".join(pieces) == sample(5000)
        assert_pieces(pieces, 700)
        assert max(map(len, pieces)) == 700


def test_chain_is_decoded_in_reverse_header_order(impl: Any) -> None:
    data = sample(3000)
    body = raw_deflate(gz(data))  # gzip applied first, then deflate
    for headers in (["gzip, deflate"], ["gzip", "deflate"], ["GZIP ,deflate", "identity"]):
        pieces = feed(impl.make_decoder(headers, 512), every(body, 100))
        assert b"".join(pieces) == data
        assert_pieces(pieces, 512)
    with pytest.raises(DecodeError):
        feed(impl.make_decoder(["deflate, gzip"]), [body])


def test_unknown_tokens_are_skipped(impl: Any) -> None:
    data = b"payload"
    headers = ["x-gzip, gzip , , compress", "sdch", "identity", "bogus;q=1"]
    assert feed(impl.make_decoder(headers), [gz(data)]) == [data]


def test_chain_of_five_works_and_six_raise(impl: Any) -> None:
    data = sample(1000)
    body = data
    for _ in range(5):
        body = gz(body)
    assert b"".join(feed(impl.make_decoder(["gzip"] * 5, 100), every(body, 10))) == data
    headers = ["gzip, gzip, identity, gzip", "gzip,gzip"]
    assert b"".join(feed(impl.make_decoder(headers), [body])) == data
    with pytest.raises(DecodeError, match=r"^Too many content encodings in the chain: 6 > 5$"):
        impl.make_decoder(["gzip"] * 6)
    with pytest.raises(DecodeError, match=r"chain: 20 > 5$"):
        impl.make_decoder([", ".join(["gzip"] * 20)])
    # unknown and identity tokens do not count
    assert isinstance(impl.make_decoder(["gzip"] * 5 + ["identity", "x-foo"]), impl.MultiDecoder)


def test_multi_decoder_directly(impl: Any, backend: str) -> None:
    data = sample(4000)
    children = [impl.DeflateDecoder(300, backend), impl.GzipDecoder(300, backend)]
    body = gz(zlib_wrapped(data))  # deflate first, then gzip: header "deflate, gzip"
    pieces = feed(impl.MultiDecoder(children), every(body, 50))
    assert b"".join(pieces) == data
    assert_pieces(pieces, 300)
    with pytest.raises(DecodeError, match="6 > 5"):
        impl.MultiDecoder([impl.IdentityDecoder() for _ in range(6)])
    with pytest.raises(ValueError):
        impl.MultiDecoder([])


def test_chain_truncation_and_corruption_raise(impl: Any) -> None:
    inner = gz(sample(2000))
    body = gz(inner[:-5])  # the outer layer is whole, the inner one truncated
    with pytest.raises(DecodeError, match="gzip data is incomplete"):
        feed(impl.make_decoder(["gzip, gzip"]), [body])
    with pytest.raises(DecodeError):
        feed(impl.make_decoder(["gzip, gzip"]), [gz(b"not gzip inside")])


def test_chain_decode_again_before_the_iterator_is_done(impl: Any) -> None:
    data = sample(20000)
    body = gz(raw_deflate(data))
    d = impl.make_decoder(["deflate", "gzip"], 1000)
    half = len(body) // 2
    it1 = d.decode(body[:half])
    got = [next(it1)]
    got += list(d.decode(body[half:]))
    got += list(it1)
    got += list(d.flush())
    assert b"".join(got) == data
