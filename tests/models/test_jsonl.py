"""`Response.iter_json()` / `aiter_json()` on bodies handed over in pieces: every rule of the
JSON-lines reader (terminators, blank lines, BOM, UTF-8, line numbers, skip and raise), the
same results with and without orjson, every split of a body (a Hypothesis property against a
straightforward reference), async on every backend, and memory that does not grow with the
stream's length."""

from __future__ import annotations

import gzip
import json
import math
import os
import re
import subprocess
import sys
import time
import tracemalloc
import typing
from collections.abc import Iterator

import anyio
import pytest
from hypothesis import given, settings, strategies as st

import faststream
from faststream import _jsonl
from tests.client._backends import BACKENDS, run_on
from tests.models._response_helpers import REQUEST, APieces, Pieces, splits

PARSERS = ["orjson", "json"]


@pytest.fixture(params=PARSERS, autouse=True)
def parser(request: pytest.FixtureRequest) -> Iterator[str]:
    """Every test runs with orjson parsing and with `json` alone."""
    if request.param == "orjson" and _jsonl._orjson_module is None:
        pytest.skip("orjson is not installed here (the json extra); json alone is tested")
    enabled = _jsonl.use_orjson(request.param == "orjson")
    assert enabled == (request.param == "orjson")
    yield str(request.param)
    _jsonl.use_orjson(True)


def reference(body: bytes, skip: bool) -> tuple[list[typing.Any], int | None, int]:
    """The rules written plainly: (values, the malformed line's number or None, skipped)."""
    if body.startswith(b"\xef\xbb\xbf"):
        body = body[3:]
    lines = re.split(rb"\r\n|\r|\n", body)
    if lines[-1] == b"":
        lines.pop()
    values: list[typing.Any] = []
    skipped = 0
    for number, raw in enumerate(lines, 1):
        try:
            text = raw.decode("utf-8")
            if not text.strip(" \t"):
                continue
            values.append(json.loads(text))
        except (ValueError, RecursionError):
            if skip:
                skipped += 1
                continue
            return values, number, skipped
    return values, None, skipped


def response(pieces: list[bytes], headers: dict[str, str] | None = None) -> faststream.Response:
    return faststream.Response(200, headers=headers, stream=Pieces(pieces), request=REQUEST)


def read(
    pieces: list[bytes], skip: bool = False, headers: dict[str, str] | None = None
) -> tuple[list[typing.Any], int | None, int]:
    """What iter_json gives, in the reference's shape."""
    r = response(pieces, headers)
    values: list[typing.Any] = []
    it = r.iter_json(on_error="skip" if skip else "raise")
    try:
        for value in it:
            values.append(value)
    except faststream.DecodingError as exc:
        assert r.is_closed
        return values, error_line(exc), it.skipped
    assert r.is_closed
    return values, None, it.skipped


def error_line(exc: faststream.DecodingError) -> int:
    match = re.fullmatch(r"line (\d+) is not valid (JSON|UTF-8) \(.+\)", str(exc))
    assert match, str(exc)
    assert exc.request is REQUEST
    assert isinstance(exc.__cause__, ValueError | RecursionError)
    return int(match.group(1))


def same(a: typing.Any, b: typing.Any) -> bool:
    """Equal values, NaN equal to NaN, and int never equal to float (repr tells them apart)."""
    return repr(a) == repr(b)


# -- the rules ---------------------------------------------------------------------------------


def test_one_value_per_line() -> None:
    body = b'{"a": 1}\n[1, 2.5, null]\n"text"\ntrue\n-0.0\n7\n'
    assert read([body]) == ([{"a": 1}, [1, 2.5, None], "text", True, -0.0, 7], None, 0)


@pytest.mark.parametrize("terminator", [b"\n", b"\r\n", b"\r"])
def test_every_terminator_and_none_at_the_end(terminator: bytes) -> None:
    assert read([terminator.join([b"1", b"2", b"3"])]) == ([1, 2, 3], None, 0)
    assert read([terminator.join([b"1", b"2", b"3"]) + terminator]) == ([1, 2, 3], None, 0)


def test_only_cr_lf_and_crlf_end_lines() -> None:
    # U+2028, U+2029, U+0085, VT and FF are valid inside JSON strings and must not cut a line
    inside = '"a\u2028b\u2029c\x85d"'.encode()
    assert read([inside + b"\n"]) == (["a\u2028b\u2029c\x85d"], None, 0)
    assert read([b"[1,\x0b2]\n"])[1] == 1  # VT is not JSON whitespace: malformed, not split


def test_blank_lines_hold_no_value_but_are_counted() -> None:
    body = b"\n1\n \n\t\n \t \r\n2\r\rnope\n"
    assert read([body]) == ([1, 2], 8, 0)


def test_a_bom_at_the_start_is_dropped_and_nowhere_else() -> None:
    assert read([b"\xef\xbb\xbf[1]\n2\n"]) == ([[1], 2], None, 0)
    assert read([b"\xef\xbb", b"\xbf3"]) == ([3], None, 0)
    assert read([b"\xef\xbb\xbf\n4\n"]) == ([4], None, 0)  # the BOM alone: a blank line
    assert read([b"1\n\xef\xbb\xbf2\n"]) == ([1], 2, 0)


def test_text_is_utf8_whatever_the_charset_says() -> None:
    body = '"é€😀"\n'.encode()
    assert read([body], headers={"Content-Type": "application/x-ndjson; charset=latin-1"}) == (
        ["é€😀"],
        None,
        0,
    )


@pytest.mark.parametrize(
    "line", [b'"\xff"', b'"\xc3"', b'"\xed\xa0\x80"', b"\xc0\xaf1", b'{"\xe2\x82": 1}']
)
def test_invalid_utf8_is_a_malformed_line(line: bytes) -> None:
    body = b"1\n" + line + b"\n3\n"
    r = response([body])
    it = r.iter_json()
    assert next(it) == 1
    with pytest.raises(faststream.DecodingError, match=r"^line 2 is not valid UTF-8 \(") as info:
        next(it)
    assert isinstance(info.value.__cause__, UnicodeDecodeError)
    assert read([body], skip=True) == ([1, 3], None, 1)


def test_a_malformed_line_raises_with_its_number_after_the_values_before_it() -> None:
    body = b'1\n\n{"a": [2]}\n{"b": \n4\n'
    r = response([body])
    it = r.iter_json()
    assert next(it) == 1
    assert next(it) == {"a": [2]}
    with pytest.raises(faststream.DecodingError) as info:
        next(it)
    assert str(info.value) == (
        "line 4 is not valid JSON (Expecting value: line 1 column 7 (char 6))"
    )
    cause = info.value.__cause__
    assert isinstance(cause, json.JSONDecodeError)
    assert cause.doc == '{"b": '
    assert info.value.request is REQUEST
    assert r.is_closed
    with pytest.raises(StopIteration):
        next(it)


def test_skip_passes_malformed_lines_over_and_counts_them() -> None:
    # counted as each piece is parsed: with one line per piece, exactly the lines passed so far
    lines = [b"1\n", b"{\n", b"2\n", b"[\n", b"]\n", b"\xff\n", b"3"]
    it = response(lines).iter_json(on_error="skip")
    assert it.skipped == 0
    assert next(it) == 1
    assert next(it) == 2
    assert it.skipped == 1
    assert list(it) == [3]
    assert it.skipped == 4
    whole = response([b"".join(lines)]).iter_json(on_error="skip")
    assert (list(whole), whole.skipped) == ([1, 2, 3], 4)


def test_the_stream_stops_at_the_malformed_line() -> None:
    # pieces after the malformed line's are never pulled
    pulled: list[int] = []

    def pieces() -> Iterator[bytes]:
        for i in range(100):
            pulled.append(i)
            yield b"%d\n" % i if i != 3 else b"oops\n"

    class Stream(faststream.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            return pieces()

    r = faststream.Response(200, stream=Stream())
    with pytest.raises(faststream.DecodingError, match="^line 4 "):
        list(r.iter_json())
    assert pulled == [0, 1, 2, 3]
    assert r.is_closed


def test_on_error_is_checked_at_the_call() -> None:
    r = response([b"1\n"])
    with pytest.raises(ValueError, match="on_error must be 'raise' or 'skip', not 'ignore'"):
        r.iter_json(on_error="ignore")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="on_error"):
        r.aiter_json(on_error="")  # type: ignore[arg-type]


def test_a_read_response_replays_and_stays_as_it_was() -> None:
    r = faststream.Response(200, content=b"1\n2\nx\n4\n", request=REQUEST)
    assert list(r.iter_json(on_error="skip")) == [1, 2, 4]
    it = r.iter_json()
    assert [next(it), next(it)] == [1, 2]
    with pytest.raises(faststream.DecodingError, match="^line 3 "):
        next(it)
    assert list(r.iter_json(on_error="skip")) == [1, 2, 4]


def test_a_content_encoding_is_undone_first() -> None:
    body = gzip.compress(b"".join(b'{"n": %d}\n' % i for i in range(5000)))
    r = response(
        [body[i : i + 999] for i in range(0, len(body), 999)], {"Content-Encoding": "gzip"}
    )
    assert list(r.iter_json()) == [{"n": i} for i in range(5000)]


def test_the_stream_state_rules_of_the_other_iterators() -> None:
    r = response([b"1\n"])
    it = r.iter_json()  # lazy: nothing is checked or read before the first next()
    assert list(r.iter_bytes()) == [b"1\n"]
    with pytest.raises(faststream.StreamConsumed):
        next(it)
    with pytest.raises(RuntimeError, match="sync iterator on an async stream"):
        next(faststream.Response(200, stream=APieces([b"1\n"])).iter_json())

    async def on_sync_stream() -> None:
        await response([b"1\n"]).aiter_json().__anext__()

    with pytest.raises(RuntimeError, match="async iterator on an sync stream"):
        run_on("asyncio", on_sync_stream)


def test_close_stops_the_loop_over_the_body() -> None:
    stream = Pieces([b"1\n", b"2\n", b"3\n"])
    r = faststream.Response(200, stream=stream)
    it = r.iter_json()
    assert next(it) == 1
    it.close()
    assert list(it) == []


def big_body(bad_at: int) -> bytes:
    """About 330 KB of lines in one piece (parsed in 64 KiB slices), line `bad_at` malformed
    and, in the second half, integers of 20 digits."""
    lines = [b'{"n": %d, "pad": "%s"}' % (i, b"x" * (i % 50)) for i in range(5000)]
    lines[3000:3010] = [b"[%d]" % (10**19 + i) for i in range(10)]
    lines[bad_at - 1] = b'{"n": '
    return b"\n".join(lines) + b"\n"


def lines_at_slice_edges() -> list[int]:
    """The numbers of the lines that end just before and just after each 64 KiB edge."""
    body = big_body(1)
    numbers = []
    for edge in range(65536, len(body), 65536):
        line = body.count(b"\n", 0, edge) + 1  # the line holding byte `edge`
        numbers += [line - 1, line, line + 1]
    return numbers


EDGES = lines_at_slice_edges()


@pytest.mark.parametrize("bad_at", [1, 2, *EDGES, 4999, 5000])
def test_large_pieces_give_the_reference_result(bad_at: int) -> None:
    body = big_body(bad_at)
    for skip in (False, True):
        got, want = read([body], skip), reference(body, skip)
        assert same(got[0], want[0]) and got[1:] == want[1:]
        r = faststream.Response(200, content=body)
        assert same(list(r.iter_json(on_error="skip")), reference(body, True)[0])


@pytest.mark.parametrize("backend", BACKENDS)
def test_large_pieces_async(backend: str) -> None:
    async def values(body: bytes) -> tuple[list[typing.Any], int | None]:
        r = faststream.Response(200, stream=APieces([body, b"1\n"]), request=REQUEST)
        got: list[typing.Any] = []
        try:
            async for value in r.aiter_json():
                got.append(value)
        except faststream.DecodingError as exc:
            assert r.is_closed
            return got, error_line(exc)
        return got, None

    async def main() -> list[tuple[list[typing.Any], int | None]]:
        return [await values(big_body(bad_at)) for bad_at in (1, *EDGES, 5000)]

    for (got, line), bad_at in zip(run_on(backend, main), (1, *EDGES, 5000), strict=True):
        want = reference(big_body(bad_at) + b"1\n", False)
        assert same(got, want[0]) and line == want[1] == bad_at


class Stalling(faststream.AsyncByteStream):
    """One piece, then a pause before the rest: what a live feed does."""

    def __init__(self, first: bytes, pause: float) -> None:
        self.first, self.pause = first, pause

    async def __aiter__(self) -> typing.AsyncIterator[bytes]:
        yield self.first
        await anyio.sleep(self.pause)
        yield b"1\n"


@pytest.mark.parametrize("backend", BACKENDS)
def test_async_error_in_a_large_piece_does_not_wait_for_more(backend: str) -> None:
    # the malformed line opens a later 64 KiB slice of one large piece, with no value before
    # it in its slice: raised at once, not when the stream's next piece comes
    pause = 1.0
    first = b"1\n" + b"\n" * 150_000 + b"oops\n"

    async def main() -> tuple[list[typing.Any], str, float]:
        r = faststream.Response(200, stream=Stalling(first, pause))
        got: list[typing.Any] = []
        start = time.monotonic()
        with pytest.raises(faststream.DecodingError) as info:
            async for value in r.aiter_json():
                got.append(value)
        return got, str(info.value), time.monotonic() - start

    got, message, elapsed = run_on(backend, main)
    assert got == [1]
    assert message.startswith("line 150002 is not valid JSON")
    assert elapsed < pause


# -- orjson and json give the same values ------------------------------------------------------

CORPUS = [
    '{"id": 1, "name": "a", "tags": ["x", "y"], "nested": {"k": [1, {"z": null}]}}',
    "NaN",
    "[Infinity, -Infinity, NaN]",
    "1e400",
    "-1e400",
    "1.7976931348623157e308",
    "2.2250738585072014e-308",
    "5e-324",
    "0.1",
    "0.30000000000000004",
    "-0",
    "-0.0",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "18446744073709551616",
    "123456789012345678901234567890",
    '{"big": 99999999999999999999, "ok": 1}',
    "[1, 18446744073709551616, 3]",
    '"12345678901234567890123"',
    '{"id_str": "1234567890123456789012"}',
    '"\\ud800"',
    '"\\udc00\\ud800"',
    '"\\u0000\\u001f\\\\\\"\\/"',
    '"é€😀"',
    '"\\u00e9"',
    '{"a": 1, "a": 2}',
    "  [ 1 , 2 ]  ",
    "\t{}\t",
    "true",
    "false",
    "null",
    '""',
    "1E2",
    "1e-2",
    "0.000012345678901234567",
    "[" * 50 + "]" * 50,
]


def test_orjson_and_json_give_json_loads_values() -> None:
    body = "\n".join(CORPUS).encode()
    expected = [json.loads(line) for line in CORPUS]
    for enabled in (True, False):
        _jsonl.use_orjson(enabled)
        for pieces in splits(body).values():
            values, error, _ = read(pieces)
            assert error is None
            assert same(values, expected)
    values = read([body])[0]
    assert math.isnan(values[CORPUS.index("NaN")])
    big = values[CORPUS.index("18446744073709551616")]
    assert type(big) is int and big == 18446744073709551616


def test_the_corpus_holds_lines_orjson_alone_gets_wrong() -> None:
    orjson = pytest.importorskip("orjson", reason="orjson is what the corpus is about")
    wrong = []
    for line in CORPUS:
        try:
            if not same(orjson.loads(line), json.loads(line)):
                wrong.append(line)
        except orjson.JSONDecodeError:
            wrong.append(line)
    assert {"NaN", "1e400", "18446744073709551616", '"\\ud800"'} <= set(wrong)


def test_long_integers_split_across_pieces_stay_integers() -> None:
    # the integer's digits arrive in pieces of every size, the line itself spans many pieces
    line = (
        b'{"pad": "' + b"p" * 300 + b'", "n": 123456789012345678901234, "m": -98765432109876543210}'
    )
    body = b"1\n" + line + b"\n" + line + b"\n"
    for size in (1, 2, 7, 19, 20, 64, 333):
        pieces = [body[i : i + size] for i in range(0, len(body), size)]
        values = read(pieces)[0]
        assert values[1] == values[2] == json.loads(line)
        assert type(values[1]["n"]) is int


def test_the_environment_switch_turns_orjson_off() -> None:
    code = "from faststream import _jsonl; print(_jsonl._orjson is None)"
    env = dict(os.environ, FASTSTREAM_JSON="json", PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "True", out.stderr
    env.pop("FASTSTREAM_JSON")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


# -- every split, against the reference ----------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(1 << 70), max_value=1 << 70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4)
    ),
    max_leaves=8,
)
lines = st.one_of(
    st.builds(lambda v, a: json.dumps(v, ensure_ascii=a).encode(), json_values, st.booleans()),
    st.sampled_from([b"", b" ", b"\t", b" \t "]),
    st.sampled_from([b"{", b"[1,", b"tru", b'"abc', b"1 2", b"'x'", b"\x0b", b"nan", b"+1"]),
    st.sampled_from([b'"\xff"', b'"\xc3"', b"\xef\xbb\xbf1", b'"\xe2\x80\xa8"', b'"\xc2\x85"']),
    st.integers(min_value=10**17, max_value=10**25).map(lambda n: b"[%d, -%d]" % (n, n)),
)


@st.composite
def bodies(draw: st.DrawFn) -> tuple[bytes, list[bytes]]:
    items = draw(st.lists(lines, max_size=12))
    terminators = draw(
        st.lists(st.sampled_from([b"\n", b"\r\n", b"\r"]), min_size=len(items), max_size=len(items))
    )
    body = b"".join(item + end for item, end in zip(items, terminators, strict=True))
    unterminated: bool = draw(st.booleans())
    if items and unterminated:
        body = body[: -len(terminators[-1])]
    bom: bool = draw(st.booleans())
    if bom:
        body = b"\xef\xbb\xbf" + body
    cuts = sorted(draw(st.lists(st.integers(0, len(body)), max_size=8)))
    points = [0, *cuts, len(body)]
    return body, [body[a:b] for a, b in zip(points, points[1:], strict=False)]


@given(bodies(), st.booleans())
def test_every_split_gives_the_reference_result(
    case: tuple[bytes, list[bytes]], skip: bool
) -> None:
    body, pieces = case
    got = read(pieces, skip)
    want = reference(body, skip)
    assert same(got[0], want[0]) and got[1:] == want[1:], (body, pieces)


# -- the batch scanner: json.loads's values and errors, line by line -------------------------------

# JSON whitespace that may stand between tokens (and around a value) inside one line
gaps = st.text(alphabet=" \t", max_size=2)


@st.composite
def spaced_json(draw: st.DrawFn) -> str:
    """One JSON value as json.dumps writes it (ASCII or not) with random whitespace between
    tokens."""
    item, key = draw(gaps), draw(gaps)
    return json.dumps(
        draw(json_values),
        separators=(f"{item},{draw(gaps)}", f"{key}:{key}"),
        ensure_ascii=draw(st.booleans()),
    )


@st.composite
def ascii_lines(draw: st.DrawFn) -> str:
    """A line that is a value, or a value with whitespace or other text around it."""
    value = draw(spaced_json())
    kind = draw(st.sampled_from(["bare", "bare", "bare", "spaced", "suffix", "prefix", "cut"]))
    if kind == "spaced":
        return draw(gaps) + value + draw(gaps)
    if kind == "suffix":
        return value + draw(st.sampled_from(["x", "]", "}", ",1", " 2", '""', "\x00", "\x0b"]))
    if kind == "prefix":
        return draw(st.sampled_from(["x", "[", ",", "\x00", "+"])) + value
    if kind == "cut":
        return value[: draw(st.integers(0, max(0, len(value) - 1)))]
    return value


def loads_each(lines: list[str]) -> list[typing.Any]:
    return [json.loads(line) for line in lines]


@settings(max_examples=60)
@given(st.lists(ascii_lines(), max_size=20))
def test_the_batch_scanner_gives_json_loads_values_or_declines(lines: list[str]) -> None:
    try:
        expected: list[typing.Any] | None = loads_each(lines)
    except (ValueError, RecursionError):
        expected = None
    try:
        got = _jsonl._scan_batch(lines)
    except (ValueError, RecursionError):
        # declining is right for a line json.loads refuses, or one with whitespace around its
        # value; a batch of bare values must be taken whole
        bare = all(line == line.strip(" \t") and line for line in lines)
        assert expected is None or not bare, lines
        return
    assert expected is not None, lines
    assert same(got, expected)


@settings(max_examples=40)
@given(st.lists(spaced_json(), min_size=1, max_size=20))
def test_the_batch_scanner_takes_bare_values_whole(lines: list[str]) -> None:
    assert same(_jsonl._scan_batch(lines), loads_each(lines))


def test_json_alone_parses_a_batch_of_values_with_the_scanner(
    parser: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []

    def counted(lines: list[str]) -> list[typing.Any]:
        calls.append(len(lines))
        return scan_batch(lines)

    scan_batch = _jsonl._scan_batch
    monkeypatch.setattr(_jsonl, "_scan_batch", counted)
    # ASCII, then UTF-8 text beyond ASCII (decoded a batch at a time)
    for text in ("x", "\u00e9\u2028\U0001f600"):
        calls.clear()
        body = b"".join(b'{"id": %d, "t": "%s"}\n' % (i, text.encode()) for i in range(1000))
        assert read([body]) == ([{"id": i, "t": text} for i in range(1000)], None, 0)
        assert sum(calls) == (1000 if parser == "json" else 0)


@st.composite
def long_bodies(draw: st.DrawFn) -> tuple[bytes, list[bytes], list[bytes]]:
    """Hundreds of value lines (whole batches of them; ASCII or not), a few of them odd (not
    UTF-8 among them), in pieces."""
    count = draw(st.integers(1, 600))
    text = draw(st.sampled_from(["x", "\u00e9\u20ac\u2028\U0001f600"]))
    lines = [
        json.dumps({"id": i, "pad": text * (i % 50)}, ensure_ascii=False).encode()
        for i in range(count)
    ]
    odd = ascii_lines().map(str.encode) | st.sampled_from([b'"\xff"', b'["\xc3"]', b"\xe2\x82"])
    for _ in range(draw(st.integers(0, 3))):
        lines[draw(st.integers(0, count - 1))] = draw(odd)
    body = b"\n".join(lines) + draw(st.sampled_from([b"", b"\n"]))
    cuts = sorted(draw(st.lists(st.integers(0, len(body)), max_size=6)))
    points = [0, *cuts, len(body)]
    return body, [body[a:b] for a, b in zip(points, points[1:], strict=False)], lines


@settings(max_examples=40)
@given(long_bodies(), st.booleans())
def test_batches_of_many_lines_give_json_loads_values_and_errors(
    case: tuple[bytes, list[bytes], list[bytes]], skip: bool
) -> None:
    body, pieces, lines = case
    r = response(pieces)
    values: list[typing.Any] = []
    it = r.iter_json(on_error="skip" if skip else "raise")
    cause: BaseException | None = None
    line = None
    try:
        values.extend(it)
    except faststream.DecodingError as exc:
        line, cause = error_line(exc), exc.__cause__
    want = reference(body, skip)
    assert same(values, want[0]) and (line, it.skipped) == want[1:]
    if line is not None:
        # the error shown is json.loads's own for that line (or the UTF-8 decoder's)
        with pytest.raises((ValueError, RecursionError)) as raised:
            json.loads(lines[line - 1].decode())
        assert type(cause) is type(raised.value) and str(cause) == str(raised.value)


# -- async ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_async_gives_what_sync_gives(backend: str) -> None:
    body = b'\xef\xbb\xbf1\r\n\n{"a": NaN}\r[2, 3]\n\xff\nbad\n4'
    pieces = [body[i : i + 3] for i in range(0, len(body), 3)]

    async def main() -> tuple[list[typing.Any], int, list[typing.Any], int | None, bool]:
        r = faststream.Response(200, stream=APieces(pieces), request=REQUEST)
        it = r.aiter_json(on_error="skip")
        skipped = [v async for v in it]
        r = faststream.Response(200, stream=APieces(pieces), request=REQUEST)
        raised: list[typing.Any] = []
        line = None
        try:
            async for value in r.aiter_json():
                raised.append(value)
        except faststream.DecodingError as exc:
            line = error_line(exc)
        return skipped, it.skipped, raised, line, r.is_closed

    skipped, count, raised, line, closed = run_on(backend, main)
    assert same(skipped, read(pieces, skip=True)[0])
    assert count == 2
    assert same(raised, read(pieces)[0])
    assert (line, closed) == (5, True)


@pytest.mark.parametrize("backend", BACKENDS)
def test_async_read_response_and_aclose(backend: str) -> None:
    async def main() -> tuple[list[typing.Any], list[typing.Any], bool]:
        r = faststream.Response(200, content=b"1\n2\nx\n")
        replayed = [v async for v in r.aiter_json(on_error="skip")]
        stream = APieces([b"1\n", b"2\n", b"3\n"])
        streamed = faststream.Response(200, stream=stream)
        it = streamed.aiter_json()
        first = [await it.__anext__()]
        await it.aclose()
        rest = [v async for v in it]
        return replayed, first + rest, stream.closes > 0 or streamed.is_closed

    replayed, values, _ = run_on(backend, main)
    assert replayed == [1, 2]
    assert values == [1]


# -- memory --------------------------------------------------------------------------------------


class Endless(faststream.SyncByteStream):
    """`count` JSON lines of about 100 bytes, in 64 KiB pieces, never held whole."""

    def __init__(self, count: int) -> None:
        self.count = count

    def __iter__(self) -> Iterator[bytes]:
        batch = []
        for i in range(self.count):
            batch.append(
                b'{"id": %d, "user": "u%d", "tags": ["a", "b"], "score": %d.25}\n' % (i, i % 977, i)
            )
            if len(batch) == 600:
                yield b"".join(batch)
                batch = []
        yield b"".join(batch)


def traced_peak(count: int) -> int:
    r = faststream.Response(200, stream=Endless(count))
    tracemalloc.start()
    try:
        n = 0
        for value in r.iter_json():
            n += value["id"] == n
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert n == count
    return peak


@pytest.mark.slow
def test_memory_does_not_grow_with_the_stream() -> None:
    short = traced_peak(20_000)
    long = traced_peak(200_000)  # about 14 MB of JSON lines
    assert long < 2 * 1024 * 1024
    assert long < short + 256 * 1024, (short, long)
