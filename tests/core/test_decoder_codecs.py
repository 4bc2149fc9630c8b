"""brotli and zstd (`_cstream._codecs`, shared by both implementations): the pull contract,
truncation, corruption, zstd frames and the RFC 9659 window limit, and both inside chains
built by each implementation's `make_decoder`."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from typing import Any

import brotli
import pytest
import zstandard

from _cstream import _codecs
from _cstream._codecs import BrotliDecoder, ZstdDecoder
from _cstream._errors import DecodeError

from ._codings import (
    assert_pieces,
    every,
    feed,
    gz,
    raw_deflate,
    sample,
    split,
    zstd_frame,
)

MAX_LENGTHS = [1, 7, 1024, 65536]


# The first installed brotli driven as if it had no output limit (as before 1.2): its `process`
# without `output_buffer_limit` returns everything, like 1.1's, so the byte-sized input slices
# are tested here too.
UNBOUNDED = "unbounded"


@pytest.fixture(params=[*_codecs.BROTLI_BACKENDS, UNBOUNDED])
def brotli_module(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every brotli library installed here (brotli, brotlicffi; bounded or not), forced through
    the environment switch a decoder reads when it is made."""
    if request.param == UNBOUNDED:
        first = _codecs.brotli_library(_codecs.BROTLI_BACKENDS[0])
        fake = first._replace(name=UNBOUNDED, bounded=False)
        monkeypatch.setitem(_codecs._BROTLI, UNBOUNDED, fake)
    monkeypatch.setenv(_codecs.BROTLI_ENV, request.param)
    return str(request.param)


def test_library_switches() -> None:
    with pytest.raises(ValueError, match="not an available br library"):
        BrotliDecoder(65536, "no-such-library")
    with pytest.raises(ValueError, match="not an available zstd library"):
        ZstdDecoder(65536, "no-such-library")
    for name in _codecs.BROTLI_BACKENDS:
        assert b"".join(feed(BrotliDecoder(100, name), [brotli.compress(b"ab" * 99)])) == b"ab" * 99
    for name in _codecs.ZSTD_BACKENDS:
        assert b"".join(feed(ZstdDecoder(100, name), [zstd_frame(b"cd" * 99)])) == b"cd" * 99


def test_library_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(_codecs.ZSTD_ENV, "no-such-library")
    with pytest.raises(ValueError, match="'no-such-library' is not an available zstd library"):
        ZstdDecoder()
    monkeypatch.setenv(_codecs.ZSTD_ENV, _codecs.ZSTD_BACKENDS[-1])
    assert ZstdDecoder()._lib.name == _codecs.ZSTD_BACKENDS[-1]


def test_bounded_libraries_come_first() -> None:
    for found in (_codecs._BROTLI, _codecs._ZSTD):
        flags = [lib.bounded for lib in found.values()]
        assert flags == sorted(flags, reverse=True)


def spy_brotli(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Install the first brotli as the library "unbounded", driven without an output limit;
    the returned list receives the size of every call's output."""
    first = _codecs.brotli_library(_codecs.BROTLI_BACKENDS[0])
    sizes: list[int] = []

    class Spy:
        def __init__(self) -> None:
            self._d = first.module.Decompressor()

        def process(self, data: bytes) -> bytes:
            out: bytes = self._d.process(data)
            sizes.append(len(out))
            return out

        def is_finished(self) -> bool:
            return bool(self._d.is_finished())

    spy_module = type("M", (), {"Decompressor": Spy, "error": first.module.error})
    fake = first._replace(name=UNBOUNDED, module=spy_module, bounded=False)
    monkeypatch.setitem(_codecs._BROTLI, UNBOUNDED, fake)
    return sizes


def test_unbounded_brotli_stops_a_bomb_at_its_first_long_copy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without an output limit, a call that returns over 1 MiB from its few input bytes ends
    the body with a DecodeError naming the upgrade; the pieces before it are exact."""
    sizes = spy_brotli(monkeypatch)
    body = brotli.compress(bytes(64 << 20), quality=11)
    d = BrotliDecoder(65536, UNBOUNDED)
    pieces = []
    with pytest.raises(DecodeError, match=r'beyond what unbounded .* pip install "unbounded>=1.2"'):
        for piece in d.decode(body):
            pieces.append(piece)
    assert all(len(p) == 65536 for p in pieces)
    assert sum(map(len, pieces)) < _codecs.BROTLI_UNBOUNDED_MAX_OUTPUT
    assert sizes[-1] > _codecs.BROTLI_UNBOUNDED_MAX_OUTPUT
    assert max(sizes[:-1]) <= _codecs.BROTLI_UNBOUNDED_MAX_OUTPUT


def test_unbounded_brotli_real_content_stays_far_below_the_stop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """JSON lines at quality 11 (about 14:1): every call returns a few hundred bytes, three
    orders of magnitude below the 1 MiB stop, and the body decodes whole."""
    sizes = spy_brotli(monkeypatch)
    rnd = random.Random(7)
    text = b"".join(
        b'{"id": %d, "user": "u%d", "score": %d, "tags": ["a", "b", "c"]}\n'
        % (i, rnd.randrange(500), rnd.randrange(100))
        for i in range(20000)
    )
    body = brotli.compress(text, quality=11)
    assert len(text) > 10 * len(body)
    assert b"".join(feed(BrotliDecoder(65536, UNBOUNDED), [body])) == text
    assert max(sizes) * 1000 < _codecs.BROTLI_UNBOUNDED_MAX_OUTPUT


@pytest.fixture(params=_codecs.ZSTD_BACKENDS)
def zstd_library(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every zstd library installed here (compression.zstd or backports.zstd, zstandard)."""
    monkeypatch.setenv(_codecs.ZSTD_ENV, request.param)
    return str(request.param)


@pytest.fixture(params=[(b, z) for b in _codecs.BROTLI_BACKENDS for z in _codecs.ZSTD_BACKENDS])
def both_libraries(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(_codecs.BROTLI_ENV, request.param[0])
    monkeypatch.setenv(_codecs.ZSTD_ENV, request.param[1])


# ---------------------------------------------------------------------------------------------
# brotli


@pytest.mark.parametrize("max_length", MAX_LENGTHS)
def test_brotli_round_trip(brotli_module: Any, max_length: int) -> None:
    data = sample(3000 if max_length == 1 else 300000)
    body = brotli.compress(data, quality=5)
    for chunks in ([body], every(body, 1000), every(body, 3)):
        pieces = feed(BrotliDecoder(max_length), chunks)
        assert b"".join(pieces) == data
        assert_pieces(pieces, max_length)


def test_brotli_output_limit_is_re_sliced(brotli_module: Any) -> None:
    # brotli's own limit is per block (a 1 KiB limit returns 32 KiB); pieces stay exact
    data = bytes(200000)
    d = BrotliDecoder(1000)
    pieces = list(d.decode(brotli.compress(data)))
    assert [len(p) for p in pieces] == [1000] * 200
    assert list(d.flush()) == []


def test_brotli_every_split_point(brotli_module: Any) -> None:
    data = sample(500)
    body = brotli.compress(data)
    for cut in range(len(body) + 1):
        assert b"".join(feed(BrotliDecoder(64), split(body, [cut]))) == data


def test_brotli_truncation_raises_at_flush(brotli_module: Any) -> None:
    body = brotli.compress(sample(5000))
    for cut in (1, len(body) // 2, len(body) - 1):
        d = BrotliDecoder()
        list(d.decode(body[:cut]))
        with pytest.raises(DecodeError, match="^brotli data is incomplete$"):
            list(d.flush())


@pytest.mark.parametrize(
    "body",
    [b"this is not brotli data", brotli.compress(b"complete") + b"trailing"],
    ids=["garbage", "trailing-bytes"],
)
def test_brotli_corrupt_raises(brotli_module: Any, body: bytes) -> None:
    with pytest.raises(DecodeError):
        feed(BrotliDecoder(), [body])
    with pytest.raises(DecodeError):
        feed(BrotliDecoder(), every(body, 1))


def test_brotli_empty_body(brotli_module: Any) -> None:
    assert feed(BrotliDecoder(), []) == []
    assert feed(BrotliDecoder(), [b""]) == []
    assert feed(BrotliDecoder(), [brotli.compress(b"")]) == []


# ---------------------------------------------------------------------------------------------
# zstd


@pytest.mark.parametrize("max_length", MAX_LENGTHS)
def test_zstd_round_trip(max_length: int, zstd_library: str) -> None:
    data = sample(3000 if max_length == 1 else 300000)
    body = zstd_frame(data)
    for chunks in ([body], every(body, 1000), every(body, 3)):
        pieces = feed(ZstdDecoder(max_length), chunks)
        assert b"".join(pieces) == data
        assert_pieces(pieces, max_length)


def test_zstd_every_split_point_of_two_frames(zstd_library: str) -> None:
    first, second = zstd_frame(b"first frame "), zstd_frame(sample(300))
    body = first + second
    for cut in range(len(body) + 1):
        assert b"".join(feed(ZstdDecoder(50), split(body, [cut]))) == b"first frame " + sample(300)


def test_zstd_frame_ending_exactly_at_a_read_boundary(zstd_library: str) -> None:
    # httpx fails here ("cannot use a decompressobj multiple times")
    frames = [zstd_frame(b"one "), zstd_frame(b"two "), zstd_frame(b""), zstd_frame(b"three")]
    d = ZstdDecoder()
    out = []
    for frame in frames:
        out += list(d.decode(frame))
    out += list(d.flush())
    assert b"".join(out) == b"one two three"


def test_zstd_skippable_frames_are_skipped(zstd_library: str) -> None:
    skippable = (0x184D2A50).to_bytes(4, "little") + (5).to_bytes(4, "little") + b"12345"
    body = skippable + zstd_frame(b"data") + skippable
    assert b"".join(feed(ZstdDecoder(), [body])) == b"data"
    assert b"".join(feed(ZstdDecoder(), every(body, 1))) == b"data"


def test_zstd_window_over_8_mib_is_refused(zstd_library: str) -> None:
    # RFC 9659: HTTP zstd windows are limited to 8 MB; httpx accepts up to 128 MiB
    big = zstd_frame(b"x" * 100, window_log=24)
    wide = zstandard.ZstdDecompressor(max_window_size=1 << 24).decompressobj()
    assert wide.decompress(big) == b"x" * 100  # valid, just too wide
    with pytest.raises(DecodeError, match=r"8 MiB.*RFC 9659"):
        feed(ZstdDecoder(), [big])
    # 2**23 plus one eighth: the window descriptor's mantissa takes it past 8 MiB
    header = b"\x28\xb5\x2f\xfd\x00" + bytes([(13 << 3) | 1])
    with pytest.raises(DecodeError, match="RFC 9659"):
        feed(ZstdDecoder(), [header + b"\x01\x00\x00"])
    # exactly 8 MiB is fine
    assert b"".join(feed(ZstdDecoder(), [zstd_frame(b"y" * 100, window_log=23)])) == b"y" * 100


def test_zstd_truncation_raises_at_flush(zstd_library: str) -> None:
    body = zstd_frame(sample(5000))
    for chunks in ([body[:1]], [body[:6]], [body[:-1]], [zstd_frame(b"whole"), body[:-3]]):
        d = ZstdDecoder()
        for chunk in chunks:
            list(d.decode(chunk))
        with pytest.raises(DecodeError, match="^Zstandard data is incomplete$"):
            list(d.flush())


@pytest.mark.parametrize(
    "body",
    [b"not zstd at all", zstd_frame(b"complete") + b"trailing garbage"],
    ids=["garbage", "trailing-garbage"],
)
def test_zstd_corrupt_raises(body: bytes, zstd_library: str) -> None:
    with pytest.raises(DecodeError):
        feed(ZstdDecoder(), [body])


def test_zstd_empty_body(zstd_library: str) -> None:
    assert feed(ZstdDecoder(), []) == []
    assert feed(ZstdDecoder(), [b"", b""]) == []


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_many_empty_zstd_frames_take_linear_time(zstd_library: str) -> None:
    # linear time for zstd: 400,000 empty frames (3.6 MB) in one piece
    body = zstd_frame(b"") * 400000 + zstd_frame(b"end")
    assert feed(ZstdDecoder(), [body]) == [b"end"]
    assert feed(ZstdDecoder(), [zstd_frame(b"") * 1000, zstd_frame(b"end")]) == [b"end"]


# ---------------------------------------------------------------------------------------------
# both codecs: constructor, queueing, chains on each implementation


@pytest.mark.parametrize("cls", [BrotliDecoder, ZstdDecoder])
def test_max_length_must_be_positive(cls: Any, both_libraries: None) -> None:
    with pytest.raises(ValueError, match="max_length"):
        cls(0)


@pytest.mark.parametrize(
    "cls, compress",
    [(BrotliDecoder, lambda d: brotli.compress(d, quality=5)), (ZstdDecoder, zstd_frame)],
    ids=["br", "zstd"],
)
def test_decode_again_before_the_iterator_is_done(
    cls: Any, compress: Any, both_libraries: None
) -> None:
    data = sample(1000000)  # several zstd blocks (128 KiB each): output before the end
    body = compress(data)
    d = cls(1000)
    it1 = d.decode(body[: len(body) // 2])
    got = [next(it1)]
    got += list(d.decode(body[len(body) // 2 :]))
    got += list(it1)
    got += list(d.flush())
    assert b"".join(got) == data
    assert_pieces(got, 1000)


@pytest.mark.parametrize(
    "headers, encode",
    [
        (["gzip, br"], lambda d: brotli.compress(gz(d))),
        (["br", "gzip"], lambda d: gz(brotli.compress(d))),
        (["zstd, deflate"], lambda d: raw_deflate(zstd_frame(d))),
        (["deflate", "zstd"], lambda d: zstd_frame(raw_deflate(d))),
        (["br, zstd, gzip"], lambda d: gz(zstd_frame(brotli.compress(d)))),
    ],
)
def test_chains_with_brotli_and_zstd(
    impl: Any, headers: list[str], encode: Any, both_libraries: None
) -> None:
    data = sample(50000)
    body = encode(data)
    d = impl.make_decoder(headers, 777)
    assert isinstance(d, impl.MultiDecoder)
    pieces = feed(d, every(body, 501))
    assert b"".join(pieces) == data
    assert_pieces(pieces, 777)


@pytest.mark.parametrize(
    "coding, body, message",
    [
        ("br", brotli.compress(sample(3000))[:-2], "brotli data is incomplete"),
        ("zstd", zstd_frame(sample(3000))[:-2], "Zstandard data is incomplete"),
    ],
)
def test_truncation_inside_a_chain(
    impl: Any, coding: str, body: bytes, message: str, both_libraries: None
) -> None:
    with pytest.raises(DecodeError, match=message):
        feed(impl.make_decoder([f"{coding}, gzip"]), [gz(body)])


_MISSING = """
import sys
for name in {blocked!r}:
    sys.modules[name] = None  # makes `import name` raise ImportError
import _cstream
from _cstream import _pure
print(",".join(_cstream.SUPPORTED_ENCODINGS))
for cls in (_cstream.BrotliDecoder, _cstream.ZstdDecoder):
    try:
        cls()
    except _cstream.DecodeError as exc:
        print(cls.__name__, "DecodeError", exc)
for mod in (_cstream, _pure):
    try:
        mod.make_decoder([{header!r}])
    except _cstream.DecodeError as exc:
        print("make_decoder DecodeError", exc)
import faststream
print(faststream.Client().headers["Accept-Encoding"])
try:
    faststream.Response(200, headers={{"Content-Encoding": {header!r}}}, content=b"x").read()
except faststream.DecodingError as exc:
    print("Response DecodingError", exc)
"""

ZSTD_PACKAGES = ["backports.zstd", "compression.zstd", "compression", "zstandard"]


@pytest.mark.parametrize(
    "blocked, expected, header, extra",
    [
        (["brotli", "brotlicffi"], "gzip,deflate,zstd", "br, gzip", "brotli"),
        (ZSTD_PACKAGES, "gzip,deflate,br", "gzip, zstd", "zstd"),
    ],
)
def test_a_missing_package_is_a_decoding_error(
    blocked: list[str], expected: str, header: str, extra: str
) -> None:
    """Without its library a coding leaves Accept-Encoding, and a body in it is an error that
    names the extra to install, never compressed bytes passed off as the body."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run(
        [sys.executable, "-c", _MISSING.format(blocked=blocked, header=header)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert out[0] == expected
    missing = "BrotliDecoder" if extra == "brotli" else "ZstdDecoder"
    hint = f"pip install faststream-http[{extra}]"
    assert out[1].startswith(f"{missing} DecodeError") and out[1].endswith(hint)
    assert len(out) == 6
    assert all(line.startswith("make_decoder DecodeError") for line in out[2:4])
    assert out[4] == expected.replace(",", ", ")  # the client's Accept-Encoding
    assert out[5].startswith("Response DecodingError")
    assert all(line.endswith(hint) for line in [*out[2:4], out[5]])


def test_zstd_frame_shapes_at_every_split_point(zstd_library: str) -> None:
    """Checksums, content sizes (single-segment frames), skippable frames, raw, RLE and
    compressed blocks, each cut at every point: the same bytes on every library."""
    skippable = (0x184D2A5F).to_bytes(4, "little") + (3).to_bytes(4, "little") + b"xyz"
    parts = [
        (zstandard.ZstdCompressor(write_checksum=True).compress(sample(3000)), sample(3000)),
        (zstandard.ZstdCompressor(write_content_size=False).compress(b"abc"), b"abc"),
        (skippable, b""),
        (zstandard.ZstdCompressor(level=1).compress(bytes(300)), bytes(300)),
        (zstd_frame(random.Random(5).randbytes(700)), random.Random(5).randbytes(700)),
    ]
    body = b"".join(p for p, _ in parts)
    data = b"".join(d for _, d in parts)
    for cut in range(len(body) + 1):
        assert b"".join(feed(ZstdDecoder(1000), split(body, [cut]))) == data
    assert b"".join(feed(ZstdDecoder(7), every(body, 1))) == data


def zstd_rle_frame(blocks: int, checksum: bool = False) -> bytes:
    """A zstd frame (128 KiB window) of RLE blocks of 128 KiB of zeros: 4 bytes per block."""
    size = 128 * 1024
    out = [b"\x28\xb5\x2f\xfd", bytes([0x04 if checksum else 0x00, (17 - 10) << 3])]
    for i in range(blocks):
        last = 1 if i == blocks - 1 else 0
        out.append(((size << 3) | (1 << 1) | last).to_bytes(3, "little") + b"\x00")
    if checksum:
        out.append(
            zstandard.ZstdCompressor(write_checksum=True).compress(bytes(size * blocks))[-4:]
        )
    return b"".join(out)


def test_zstandard_gets_one_block_per_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """zstandard has no output limit: fed a block at a time, no call returns more than one
    block (128 KiB) on a bomb of RLE blocks, and the pieces are exact."""
    if "zstandard" not in _codecs.ZSTD_BACKENDS:  # pragma: no cover - a test dependency
        pytest.fail("zstandard is a test dependency")
    lib = _codecs.zstd_library("zstandard")
    biggest = [0]
    real = lib.module.ZstdDecompressor

    class Obj:
        def __init__(self, inner: Any) -> None:
            self._inner = inner

        def decompress(self, data: bytes) -> bytes:
            out: bytes = self._inner.decompress(data)
            biggest[0] = max(biggest[0], len(out))
            return out

        def __getattr__(self, name: str) -> Any:
            return getattr(self._inner, name)

    class Spy:
        def __init__(self, **kwargs: Any) -> None:
            self._real = real(**kwargs)

        def decompressobj(self) -> Obj:
            return Obj(self._real.decompressobj())

    module = type("M", (), {"ZstdDecompressor": Spy, "ZstdError": lib.module.ZstdError})
    monkeypatch.setitem(_codecs._ZSTD, "spy", lib._replace(name="spy", module=module))
    body = zstd_rle_frame(128, checksum=True) + zstd_rle_frame(64)
    for chunks in ([body], every(body, 1000), every(body, 3)):
        biggest[0] = 0
        d = ZstdDecoder(65536, "spy")
        pieces = feed(d, chunks)
        assert [len(p) for p in pieces] == [65536] * (192 * 2)
        assert not any(pieces[0]) and not any(pieces[-1])
        assert 0 < biggest[0] <= 128 * 1024
