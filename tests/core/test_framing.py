"""HTTP/1.1 body framing readers: h11's strictness, split invariance, differential against h11."""

from __future__ import annotations

import importlib
import os
import random
import subprocess
import sys
import types
from typing import Any

import h11
import pytest
from hypothesis import given, settings, strategies as st

import _cstream
from _cstream._errors import DecodeError
from _cstream._pure._framing import FramingError

from .conftest import Implementation

HEAD_CHUNKED = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"


def _load(name: str) -> types.ModuleType:
    """One implementation's framing module; a compiled module that was not built skips the
    test (fails under FASTSTREAM_REQUIRE_EXTENSIONS=1), as conftest's `impl` does."""
    if name == "python":
        return importlib.import_module("_cstream._pure._framing")
    try:
        return importlib.import_module("_cstream._framing")
    except ImportError as exc:
        if _cstream.REQUIRE_EXTENSIONS:
            raise
        pytest.skip(f"the compiled module _framing was not built on this machine ({exc})")


@pytest.fixture(params=["c", "python"], scope="module")
def fr(request: pytest.FixtureRequest) -> types.ModuleType:
    """The framing module of one implementation (until conftest's `impl` knows these names)."""
    return _load(request.param)


@pytest.fixture(scope="module")
def both() -> tuple[types.ModuleType, types.ModuleType]:
    """(compiled, pure) framing modules."""
    return _load("c"), _load("python")


def run(reader: Any, pieces: list[bytes], eof: bool = True) -> tuple[Any, ...]:
    """Feed `pieces` (then EOF); the observable outcome, errors included."""
    out: list[bytes] = []
    err = None
    try:
        for piece in pieces:
            got = reader.feed(piece)
            assert all(isinstance(p, bytes) and p for p in got)
            assert len(got) <= 1  # one piece per feed at most: per read, not per chunk
            out += got
        if eof:
            reader.feed_eof()
    except FramingError as exc:
        err = str(exc)
    return (b"".join(out), reader.trailers, reader.done, reader.surplus, err)


def splits(data: bytes) -> list[list[bytes]]:
    ways = [[data], [data[i : i + 1] for i in range(len(data))]]
    ways += [[data[:i], data[i:]] for i in range(len(data) + 1)]
    return ways


def test_framing_error_is_shared(both: tuple[types.ModuleType, types.ModuleType]) -> None:
    C, PY = both
    assert C.FramingError is PY.FramingError is _cstream.FramingError is FramingError
    assert FramingError.__module__ == "_cstream._errors"  # what a traceback shows
    assert issubclass(FramingError, DecodeError)
    assert issubclass(FramingError, ValueError)


def test_compiled_framing_does_not_load_its_twin() -> None:
    code = "import sys, _cstream._framing; print('_cstream._pure' in sys.modules)"
    env = dict(os.environ)
    env.pop("FASTSTREAM_NO_EXTENSIONS", None)
    try:
        importlib.import_module("_cstream._framing")
    except ImportError:
        if _cstream.REQUIRE_EXTENSIONS:
            raise
        pytest.skip("the compiled module _framing was not built on this machine")
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


# --- Content-Length ---------------------------------------------------------------------


def test_content_length_exact_and_surplus(fr: types.ModuleType) -> None:
    data = b"hello"
    r = fr.ContentLengthReader(5)
    assert r.feed(data)[0] is data  # the input itself, no copy
    assert r.done and r.received == 5 and r.surplus == b"" and not r.suspicious
    r.feed_eof()
    # bytes after the declared body are surplus and forbid pooling
    r = fr.ContentLengthReader(5)
    assert r.feed(bytearray(b"helloHTTP/1.1 200 OK")) == [b"hello"]
    assert r.surplus == b"HTTP/1.1 200 OK" and r.suspicious and r.done
    assert r.feed(memoryview(b"!")) == []
    assert r.surplus == b"HTTP/1.1 200 OK!"


def test_content_length_zero_and_huge(fr: types.ModuleType) -> None:
    r = fr.ContentLengthReader(0)
    assert r.done and r.feed(b"") == []
    r = fr.ContentLengthReader(10**30)  # no allocation from the declared length
    assert r.feed(b"abc") == [b"abc"] and not r.done
    with pytest.raises(FramingError, match=r"received 3 bytes, expected 10{30}\)"):
        r.feed_eof()
    with pytest.raises(ValueError):
        fr.ContentLengthReader(-1)


def test_content_length_truncated_t14(fr: types.ModuleType) -> None:
    for pieces in splits(b"hel"):
        result = run(fr.ContentLengthReader(5), pieces)
        assert result == (
            b"hel",
            [],
            False,
            b"",
            "peer closed connection without sending complete message body "
            "(received 3 bytes, expected 5)",
        )


def test_content_length_matches_h11(both: tuple[types.ModuleType, ...]) -> None:
    rng = random.Random(4)
    for _ in range(200):
        length = rng.randrange(0, 40)
        body = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 50)))
        h = h11_outcome(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % length, body)
        for mod in both:
            data, _, _, _, err = run(mod.ContentLengthReader(length), [body])
            assert (data, err is None) == (h[0], h[2] is None)
            if err is not None:
                assert err == h[2]


def test_close_delimited(fr: types.ModuleType) -> None:
    r = fr.CloseDelimitedReader()
    data = b"abc"
    assert r.feed(data)[0] is data and r.feed(b"") == [] and not r.done
    assert r.feed(memoryview(b"de")) == [b"de"] and r.received == 5
    r.feed_eof()
    assert r.done and r.surplus == b"" and not r.suspicious


# --- chunked: the grammar --------------------------------------------------------------------

GOOD = [
    (b"5\r\nhello\r\n0\r\n\r\n", b"hello", [], False),
    (b"5 \t\r\nhello\r\n0\r\n\r\n", b"hello", [], False),
    (b"00000000000000000005\r\nhello\r\n0\r\n\r\n", b"hello", [], False),  # 20 digits
    (b"a;x=1\r\n0123456789\r\n0\r\n\r\n", b"0123456789", [], True),  # extension
    (b'5;\x01\x7f"x=\r\nhello\r\n0\r\n\r\n', b"hello", [], True),  # extension: dropped, suspicious
    (b"5;a\rb\r\nhello\r\n0\r\n\r\n", b"hello", [], True),
    (b"3\r\nabc\r\n0\r\nA: b\r\n c\r\nX-Y:z\n\n", b"abc", [(b"a", b"b c"), (b"x-y", b"z")], True),
    (b"0\r\nA: b\r\n \t c \r\n\t\r\n\r\n", b"", [(b"a", b"b c")], True),  # obs-fold
    (b"0\r\n\n", b"", [], False),  # h11 accepts a bare LF ending the trailer block
    (
        b"0\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n",
        b"",
        [(b"content-length", b"5")],
        True,
    ),
    (b"0\r\nA:  b  \r\nB:\r\n\r\n", b"", [(b"a", b"b"), (b"b", b"")], True),
]

BAD = [
    b"0x5\r\nhello\r\n0\r\n\r\n",  # hex digits only
    b"+5\r\nhello\r\n0\r\n\r\n",
    b" 5\r\nhello\r\n0\r\n\r\n",
    b"5 ;x\r\nhello\r\n0\r\n\r\n",
    b"000000000000000000005\r\nhello\r\n0\r\n\r\n",  # 21 digits
    b"\r\n5\r\nhello\r\n0\r\n\r\n",
    b"5;a\nb\r\nhello\r\n0\r\n\r\n",  # the extension must not hide an LF
    b"5\nhello\r\n0\r\n\r\n",  # bare LF after the size
    b"5\r\r\nhello\r\n0\r\n\r\n",
    b"5\r\nhelloXX0\r\n\r\n",  # data not followed by CRLF
    b"5\r\nhello\n0\r\n\r\n",  # data followed by a bare LF
    b"5\r\nhello\r0\r\n\r\n",
    b"0\r\n c\r\n\r\n",  # continuation line first
    b"0\r\nA : b\r\n\r\n",  # trailers follow the header-line rules
    b"0\r\nA: b\rc\r\n\r\n",
    b"0\r\nTransfer-Encoding: gzip\r\n\r\n",
    b"0\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
    b"0\r\nContent-Length: +5\r\n\r\n",
    b"5\r\nhel",  # truncated
    b"5\r\nhello\r\n",
    b"5\r\nhello\r",
    b"0\r\n",
    b"0\r\nA: b\r\n",
    b"",
]


@pytest.mark.parametrize(("body", "data", "trailers", "suspicious"), GOOD)
def test_chunked_good(
    fr: types.ModuleType, body: bytes, data: bytes, trailers: list[Any], suspicious: bool
) -> None:
    for pieces in splits(body):
        r = fr.ChunkedReader()
        assert run(r, pieces) == (data, trailers, True, b"", None)
        assert r.suspicious == suspicious and r.received == len(data)


@pytest.mark.parametrize("body", BAD)
def test_chunked_bad(fr: types.ModuleType, body: bytes) -> None:
    outcomes = [run(fr.ChunkedReader(), pieces) for pieces in splits(body)]
    assert all(o == outcomes[0] for o in outcomes)  # the same wherever the input was split
    assert outcomes[0][4] is not None and not outcomes[0][2]
    assert h11_outcome(HEAD_CHUNKED, body)[2] is not None


def test_chunked_truncation_wording(fr: types.ModuleType) -> None:
    r = fr.ChunkedReader()
    assert r.feed(b"5\r\nhel") == [b"hel"]
    with pytest.raises(FramingError) as info:
        r.feed_eof()
    assert str(info.value) == (
        "peer closed connection without sending complete message body (incomplete chunked read)"
    )
    with pytest.raises(FramingError):  # the reader stays failed
        r.feed(b"lo")


def test_error_is_none_while_healthy(impl: Implementation) -> None:
    readers = [impl.ContentLengthReader(5), impl.ChunkedReader(), impl.CloseDelimitedReader()]
    for r in readers:
        assert r.error is None
    readers[0].feed(b"hello!")  # done, with surplus: still healthy
    readers[1].feed(b"3\r\nabc\r\n0\r\n\r\n")
    readers[2].feed(b"abc")
    readers[2].feed_eof()
    for r in readers:
        assert r.done and r.error is None


def test_error_holds_back_what_the_next_call_raises(impl: Implementation) -> None:
    r = impl.ChunkedReader()
    assert r.feed(b"3\r\nabcXX") == [b"abc"]  # pieces first, the bad footer held back
    message = "malformed chunk footer: chunk data must be followed by CRLF"
    assert r.error == message
    with pytest.raises(FramingError) as info:
        r.feed(b"")
    assert str(info.value) == message and r.error == message
    with pytest.raises(FramingError, match="malformed chunk footer"):
        r.feed_eof()
    assert r.error == message


def test_error_raised_at_once_is_kept(impl: Implementation) -> None:
    r = impl.ChunkedReader()
    with pytest.raises(FramingError) as info:
        r.feed(b"zz\r\n")
    assert r.error == str(info.value) == "illegal chunk header: b'zz\\r\\n'"


def test_error_is_set_by_a_raising_feed_eof(impl: Implementation) -> None:
    r = impl.ContentLengthReader(10)
    assert r.feed(b"abc") == [b"abc"]
    healthy = r.error
    assert healthy is None
    with pytest.raises(FramingError) as info:
        r.feed_eof()
    message = "peer closed connection without sending complete message body "
    assert r.error == str(info.value) == message + "(received 3 bytes, expected 10)"
    c = impl.ChunkedReader()
    with pytest.raises(FramingError) as info:
        c.feed_eof()
    assert c.error == str(info.value) and c.error.endswith("(incomplete chunked read)")
    assert not c.done


def test_chunked_surplus_t24(fr: types.ModuleType) -> None:
    body = b"5\r\nhello\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n"
    for pieces in splits(body):
        r = fr.ChunkedReader()
        assert run(r, pieces) == (b"hello", [], True, b"HTTP/1.1 200 OK\r\n", None)
        assert r.suspicious


def test_chunk_data_of_one_feed_is_one_piece(fr: types.ModuleType) -> None:
    data = b"4\r\nabcd\r\n"
    r = fr.ChunkedReader()
    assert r.feed(data[:3]) == []
    piece = data[3:7]
    assert r.feed(piece)[0] is piece  # all data: the input itself
    payload = b"".join(bytes([65 + n % 26]) * n for n in range(1, 300))
    big = b"".join(b"%x\r\n%s\r\n" % (n, bytes([65 + n % 26]) * n) for n in range(1, 300))
    r = fr.ChunkedReader()
    assert r.feed(big + b"0\r\n\r\n") == [payload] and r.done
    # Fed from a reused receive buffer: the piece is a copy, not a view of the buffer.
    buffer = bytearray(big[:5000])
    r = fr.ChunkedReader()
    (out,) = r.feed(memoryview(buffer))
    assert type(out) is bytes and out == payload[: len(out)] and r.received == len(out)
    buffer[:] = b"\0" * len(buffer)
    assert out == payload[: len(out)]


def test_chunked_error_after_several_chunks_returns_their_data_first(
    fr: types.ModuleType,
) -> None:
    r = fr.ChunkedReader()
    assert r.feed(memoryview(bytearray(b"3\r\nabc\r\n2\r\nde\r\n1\r\nfX"))) == [b"abcdef"]
    assert r.error == "malformed chunk footer: chunk data must be followed by CRLF"
    with pytest.raises(FramingError):
        r.feed(b"")


def test_limits(fr: types.ModuleType) -> None:
    line = b"5;" + b"e" * 100 + b"\r\n"
    for pieces in ([line], [line[:50], line[50:]], [bytes([b]) for b in line]):
        r = fr.ChunkedReader(max_line_size=len(line) - 1)
        assert run(r, pieces)[4] == f"chunk header line too long (over {len(line) - 1} bytes)"
        assert run(fr.ChunkedReader(max_line_size=len(line)), [*pieces, b"hello\r\n"], False)[0]
    block = b"0\r\nA: " + b"v" * 100 + b"\r\n\r\n"
    size = len(block) - 3
    for pieces in ([block], [bytes([b]) for b in block]):
        r = fr.ChunkedReader(max_trailer_size=size - 1)
        assert run(r, pieces)[4] == f"trailer block too long (over {size - 1} bytes)"
        assert run(fr.ChunkedReader(max_trailer_size=size), pieces)[2]
    # an endless size line or trailer block raises instead of buffering
    r = fr.ChunkedReader()
    with pytest.raises(FramingError):
        for _ in range(100):
            r.feed(b"1;" + b"x" * 1000)
    r = fr.ChunkedReader()
    r.feed(b"0\r\n")
    with pytest.raises(FramingError):
        for _ in range(100):
            r.feed(b"A: " + b"x" * 1000)


# --- differential against h11 ----------------------------------------------------------------


def h11_outcome(head: bytes, body: bytes) -> tuple[bytes, list[tuple[bytes, bytes]], str | None]:
    conn = h11.Connection(h11.CLIENT)
    conn.send(h11.Request(method="GET", target="/", headers=[("Host", "x")]))
    conn.send(h11.EndOfMessage())
    conn.receive_data(head + body)
    data = b""
    eof_sent = False
    try:
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                assert not eof_sent
                conn.receive_data(b"")
                eof_sent = True
            elif isinstance(event, h11.Data):
                data += bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                return data, [(n, v) for n, v in event.headers], None
    except h11.RemoteProtocolError as exc:
        return data, [], str(exc)


def random_chunked(rng: random.Random) -> bytes:
    """A chunked body: valid about half the time, else with a few bad elements mixed in."""
    odds = 0.0 if rng.random() < 0.5 else 0.15

    def pick(good: list[Any], bad: list[Any]) -> Any:
        return rng.choice(bad if rng.random() < odds else good)

    parts = []
    for _ in range(rng.randrange(0, 4)):
        n = rng.randrange(1, 20)
        size = pick(["%x", "%X", "%03x", "%x ", "%x\t"], ["0x%x", " %x", "+%x", "%x;\n"]) % n
        ext = pick([b"", b"", b";a=b", b';\x01\x7f"x=', b";\r"], [b" ;x", b";a\nb"])
        crlf = pick([b"\r\n"], [b"\n", b"\r", b"XX", b"\r\r\n"])
        after = pick([b"\r\n"], [b"\n", b"X\n", b"\r", b""])
        data = bytes(rng.randrange(256) for _ in range(n))
        parts.append(size.encode() + ext + crlf + data + after)
    parts.append(pick([b"0", b"000", b"0;e", b"0 "], [b"0x0", b""]) + b"\r\n")
    for _ in range(rng.randrange(0, 3)):
        line = pick(
            [
                b"A: b",
                b"X-T:  v v ",
                b" fold",
                b" \t fold ",
                b"Content-Length: 3",
                b"TE:",
                b"V: \x80\xff",
            ],
            [b"bad line", b"B:\x00", b"C: a\rb", b"Transfer-Encoding: gzip", b"D : x"],
        )
        parts.append(line + rng.choice([b"\r\n", b"\n"]))
    parts.append(pick([b"\r\n", b"\n"], [b"", b"\r"]))
    body = b"".join(parts)
    if rng.random() < odds:
        body = body[: rng.randrange(len(body) + 1)]
    return body


def test_chunked_matches_h11(both: tuple[types.ModuleType, ...]) -> None:
    rng = random.Random(11)
    outcomes = {True: 0, False: 0}
    for _ in range(3000):
        body = random_chunked(rng)
        data, trailers, err = h11_outcome(HEAD_CHUNKED, body)
        outcomes[err is None] += 1
        for mod in both:
            got = run(mod.ChunkedReader(), [body])
            assert (got[4] is None) == (err is None), (body, got, err)
            if err is None:
                assert (got[0], got[1]) == (data, trailers), body
            else:
                assert got[0] == data  # the same data delivered before the error
    assert min(outcomes.values()) > 600  # both kinds well represented


# --- C == pure, split == unsplit ----------------------------------------------------------------


@settings(deadline=None)
@given(rng=st.randoms(use_true_random=False), draw=st.data())
def test_c_equals_pure_random_splits(
    both: tuple[types.ModuleType, types.ModuleType], rng: random.Random, draw: st.DataObject
) -> None:
    C, PY = both
    body = random_chunked(rng) if rng.random() < 0.8 else draw.draw(st.binary(max_size=60))
    cuts = sorted(draw.draw(st.lists(st.integers(0, len(body)), max_size=6)))
    pieces = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
    whole = run(PY.ChunkedReader(max_trailer_size=40, max_line_size=12), [body])
    for mod in both:
        assert run(mod.ChunkedReader(max_trailer_size=40, max_line_size=12), pieces) == whole
    length = draw.draw(st.integers(0, 70))
    whole = run(PY.ContentLengthReader(length), [body])
    assert run(C.ContentLengthReader(length), pieces) == whole
    assert run(C.CloseDelimitedReader(), pieces) == run(PY.CloseDelimitedReader(), [body])


def per_feed(reader: Any, pieces: list[bytes]) -> list[Any]:
    """What each feed returns (an error as its message), fed from one reused buffer."""
    outs: list[Any] = []
    buffer = bytearray(max(map(len, pieces), default=0))
    for piece in pieces:
        buffer[: len(piece)] = piece
        try:
            outs.append(reader.feed(memoryview(buffer)[: len(piece)]))
        except FramingError as exc:
            outs.append(str(exc))
            break
    return outs


@settings(deadline=None)
@given(rng=st.randoms(use_true_random=False), draw=st.data())
def test_c_equals_pure_piece_per_feed(
    both: tuple[types.ModuleType, types.ModuleType], rng: random.Random, draw: st.DataObject
) -> None:
    # Not only the same bytes: the same pieces, feed by feed -- the data of all the chunks of
    # one feed joined into one piece -- when fed from a receive buffer that is reused.
    C, PY = both
    body = random_chunked(rng) if rng.random() < 0.8 else draw.draw(st.binary(max_size=60))
    cuts = sorted(draw.draw(st.lists(st.integers(0, len(body)), max_size=6)))
    pieces = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
    got_c = per_feed(C.ChunkedReader(max_trailer_size=40, max_line_size=12), pieces)
    got_py = per_feed(PY.ChunkedReader(max_trailer_size=40, max_line_size=12), pieces)
    assert got_c == got_py
    assert all(isinstance(out, str) or len(out) <= 1 for out in got_c)


def run_receiving(reader: Any, body: bytes, takes: list[tuple[int, int]]) -> tuple[Any, ...]:
    """Deliver `body` as a transport with receive-into does: framing bytes through `feed`, in
    pieces of the given sizes; whenever the reader has chunk data due, (when the step says so)
    up to `remaining` bytes received outside it and reported with `advance`. The outcome as
    `run` gives it, plus the states seen after each step."""
    out: list[bytes] = []
    seen: list[tuple[Any, ...]] = []
    err = None
    pos = 0
    steps = iter(takes)
    try:
        while pos < len(body):
            size, direct = next(steps, (len(body), 0))
            size = max(size, 1)
            if direct and reader.remaining:
                n = min(size, reader.remaining, len(body) - pos)
                reader.advance(n)
                out.append(body[pos : pos + n])
            else:
                n = min(size, len(body) - pos)
                got = reader.feed(body[pos : pos + n])
                assert all(isinstance(p, bytes) and p for p in got)
                out += got
            pos += n
            seen.append((reader.remaining, reader.received, reader.done, reader.error))
        reader.feed_eof()
    except FramingError as exc:
        err = str(exc)
    seen.append((reader.remaining, reader.received, reader.done, reader.error))
    return (b"".join(out), reader.trailers, reader.done, reader.surplus, err), seen


@settings(deadline=None)
@given(rng=st.randoms(use_true_random=False), draw=st.data())
def test_c_equals_pure_receiving_chunk_data_outside(
    both: tuple[types.ModuleType, types.ModuleType], rng: random.Random, draw: st.DataObject
) -> None:
    # Chunk data taken by advance() instead of feed(), at random points and in random sizes,
    # leaves the same outcome as feeding everything (the same data, trailers, surplus, error
    # message), and both implementations pass through the same states.
    C, PY = both
    body = random_chunked(rng) if rng.random() < 0.9 else draw.draw(st.binary(max_size=60))
    takes = draw.draw(st.lists(st.tuples(st.integers(1, 24), st.integers(0, 1)), max_size=40))
    whole = run(PY.ChunkedReader(max_trailer_size=40, max_line_size=12), [body])
    got_c = run_receiving(C.ChunkedReader(max_trailer_size=40, max_line_size=12), body, takes)
    got_py = run_receiving(PY.ChunkedReader(max_trailer_size=40, max_line_size=12), body, takes)
    assert got_c == got_py
    outcome = got_c[0]
    if whole[4] is None:
        assert outcome == whole
    else:
        # Data up to the error is the same; the error is the same, raised at the same place.
        assert (outcome[4], outcome[0]) == (whole[4], whole[0])


@pytest.mark.timeout(120)
def test_100mb_in_1k_pieces(fr: types.ModuleType) -> None:
    chunk = b"x" * 65536
    body = (b"10000\r\n" + chunk + b"\r\n") * 1600 + b"0\r\n\r\n"
    r = fr.ChunkedReader()
    total = 0
    view = memoryview(body)
    for i in range(0, len(body), 1024):
        total += sum(map(len, r.feed(view[i : i + 1024])))
    assert r.done and total == 1600 * 65536 and r.received == total


@pytest.mark.timeout(60)
def test_one_huge_chunk_fed_bytewise_is_linear(fr: types.ModuleType) -> None:
    r = fr.ChunkedReader()
    r.feed(b"40000000\r\n")  # 1 GiB declared
    for _ in range(200_000):
        r.feed(b"y")
    assert r.received == 200_000 and not r.done


def test_byte_soup_matches_h11(both: tuple[types.ModuleType, ...]) -> None:
    # Short inputs over the bytes that matter to the grammar, so odd corners get hit.
    rng = random.Random(7)
    alphabet = b"0123456789aAfFgxX;:=- \t\r\n\x00\x80"
    prefixes = [b"", b"1\r\nz\r\n", b"0\r\n", b"0\r\nA: b\r\n"]
    for _ in range(5000):
        soup = bytes(rng.choice(alphabet) for _ in range(rng.randrange(1, 12)))
        body = rng.choice(prefixes) + soup + rng.choice([b"", b"\r\n", b"\r\n\r\n"])
        data, trailers, err = h11_outcome(HEAD_CHUNKED, body)
        for mod in both:
            got = run(mod.ChunkedReader(), [body])
            assert (got[0], got[1], got[4] is None) == (data, trailers, err is None), body
