"""The same scenarios through `httpx.Response` (0.28.1, the oracle) and faststream's `Response`,
comparing every observable result: values, exception types and messages, and the state flags
after each step.

Each scenario is a function of a `Lib` (httpx's or faststream's classes) that returns plain
data; exceptions are captured as ``("raise", type name, message)``. Scenarios that touch one of
DESIGN.md's deliberate deviations are not in the generic families: they are asserted
separately at the end, with httpx's behaviour and faststream's each pinned.
"""

from __future__ import annotations

import asyncio
import datetime
import functools
import gzip
import itertools
import pickle
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest

from faststream import _exceptions, _models, _streams
from tests.models._response_helpers import (
    compress,
    encode,
    header_for,
    lines_of,
    splits,
)

# ---------------------------------------------------------------------------------------------
# the two libraries behind one face


class Lib:
    """One library's classes, under the same names."""

    def __init__(self, name: str, models: Any, streams: Any, errors: Any) -> None:
        self.name = name
        self.Response, self.Request = models.Response, models.Request
        self.SyncByteStream = streams.SyncByteStream
        self.AsyncByteStream = streams.AsyncByteStream
        self.ByteStream = streams.ByteStream
        self.errors = errors


HTTPX = Lib("httpx", httpx, httpx, httpx)
FASTSTREAM = Lib("faststream", _models, _streams, _exceptions)


def sync_stream(lib: Lib, pieces: list[bytes]) -> Any:
    class Pieces(lib.SyncByteStream):  # type: ignore[misc,name-defined]
        closes = 0

        def __iter__(self) -> Iterator[bytes]:
            yield from pieces

        def close(self) -> None:
            Pieces.closes += 1

    return Pieces()


def async_stream(lib: Lib, pieces: list[bytes]) -> Any:
    class APieces(lib.AsyncByteStream):  # type: ignore[misc,name-defined]
        closes = 0

        async def __aiter__(self) -> AsyncIterator[bytes]:
            for piece in pieces:
                yield piece

        async def aclose(self) -> None:
            APieces.closes += 1

    return APieces()


def streamed(lib: Lib, pieces: list[bytes], **kwargs: Any) -> Any:
    """A response of `lib` over a sync stream of `pieces`."""
    return lib.Response(200, stream=sync_stream(lib, pieces), **kwargs)


def plain(value: Any) -> Any:
    """Observable data, comparable across the libraries."""
    if isinstance(value, (bytes, str, int, float, bool, type(None))):
        return value
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in value.items()}
    if isinstance(value, datetime.timedelta):
        return value
    if callable(value) and not hasattr(value, "headers"):
        return "<callable>"
    if type(value).__name__ in ("Headers",):
        return ("Headers", value.multi_items(), value.raw)
    if type(value).__name__ in ("URL", "Response", "Request", "Cookies"):
        return (
            type(value).__name__,
            repr(value) if type(value).__name__ != "Cookies" else dict(value),
        )
    raise AssertionError(f"not comparable: {value!r}")


def outcome(fn: Callable[[], Any]) -> Any:
    try:
        return ("ok", plain(fn()))
    except Exception as exc:
        return ("raise", type(exc).__name__, str(exc))


def flags(r: Any) -> tuple[bool, bool, int]:
    return (r.is_closed, r.is_stream_consumed, r.num_bytes_downloaded)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


SCENARIOS: dict[str, Callable[[Lib], Any]] = {}


def scenario(name: str) -> Callable[[Callable[[Lib], Any]], Callable[[Lib], Any]]:
    def register(fn: Callable[[Lib], Any]) -> Callable[[Lib], Any]:
        assert name not in SCENARIOS, name
        SCENARIOS[name] = fn
        return fn

    return register


# ---------------------------------------------------------------------------------------------
# family 1: constructor forms and every attribute


def observe(r: Any) -> dict[str, Any]:
    names = [
        "status_code", "headers", "content", "text", "encoding", "charset_encoding",
        "http_version", "reason_phrase", "is_informational", "is_success", "is_redirect",
        "is_client_error", "is_server_error", "is_error", "has_redirect_location", "links",
        "history", "next_request", "extensions", "default_encoding", "elapsed", "request", "url",
    ]  # fmt: skip
    seen = {name: outcome(functools.partial(getattr, r, name)) for name in names}
    seen["flags"] = flags(r)
    seen["repr"] = repr(r)
    seen["json"] = outcome(r.json)
    return seen


CONSTRUCTORS: dict[str, Callable[[Lib], dict[str, Any]]] = {
    "nothing": lambda lib: {},
    "bytes": lambda lib: {"content": b"abc"},
    "empty-bytes": lambda lib: {"content": b""},
    "str": lambda lib: {"content": "h\xe9"},
    "text": lambda lib: {"text": "h\xe9\n"},
    "html": lambda lib: {"html": "<p>\u20ac</p>"},
    "json": lambda lib: {"json": {"a": "\xe9", "b": [1, 2.5, None, True]}},
    "json-list": lambda lib: {"json": [1, "x"]},
    "json-falsy": lambda lib: {"json": 0},
    "precedence": lambda lib: {"content": b"c", "text": "t", "html": "h", "json": 1},
    "text-over-html": lambda lib: {"text": "t", "html": "h"},
    "iterable": lambda lib: {"content": iter([b"a", b"b"])},
    "list": lambda lib: {"content": [b"a", b"b"]},
    "iterable-with-length": lambda lib: {
        "content": iter([b"a"]), "headers": {"Content-Length": "1"}
    },
    "header-override": lambda lib: {"text": "x", "headers": {"Content-Type": "text/x"}},
    "bytes-headers": lambda lib: {"content": b"x", "headers": [(b"X-A", b"1"), (b"x-a", b"2")]},
    "gzip-content": lambda lib: {
        "content": gzip.compress(b"zipped"), "headers": {"Content-Encoding": "gzip"}
    },
    "bad-gzip-content": lambda lib: {"content": b"bad", "headers": {"Content-Encoding": "gzip"}},
    "dict-content": lambda lib: {"content": {"a": 1}},
    "int-content": lambda lib: {"content": 5},
    "extensions": lambda lib: {"extensions": {"http_version": b"HTTP/2", "reason_phrase": b"Yes"}},
    "history": lambda lib: {"history": [lib.Response(301), lib.Response(302)]},
    "request": lambda lib: {"request": lib.Request("GET", "https://example.org/a?b=c")},
    "latin1-charset": lambda lib: {
        "content": b"\xe9", "headers": {"Content-Type": "text/plain; charset=latin-1"}
    },
    "default-encoding": lambda lib: {"content": b"\xe9", "default_encoding": "cp1252"},
    "callable-default": lambda lib: {"content": b"\x80", "default_encoding": lambda c: "cp1252"},
    "link": lambda lib: {"headers": {"Link": '<https://a/1>; rel="next", <https://a/2>; rel=last'}},
    "location": lambda lib: {"headers": {"Location": "/x"}},
    "stream": lambda lib: {"stream": sync_stream(lib, [b"a"])},
    "async-stream": lambda lib: {"stream": async_stream(lib, [b"a"])},
    "byte-stream": lambda lib: {"stream": lib.ByteStream(b"raw")},
}  # fmt: skip
STATUS_CODES = [100, 200, 204, 301, 302, 303, 304, 307, 308, 404, 418, 500, 503, 600, 99]

for _name in CONSTRUCTORS:
    for _code in (200, 302):

        @scenario(f"construct:{_name}:{_code}")
        def _construct(lib: Lib, name: str = _name, code: int = _code) -> Any:
            made = outcome(lambda: lib.Response(code, **CONSTRUCTORS[name](lib)))
            if made[0] == "raise":
                return made
            return observe(lib.Response(code, **CONSTRUCTORS[name](lib)))


for _code in STATUS_CODES:
    for _location in (False, True):

        @scenario(f"status:{_code}:{'location' if _location else 'plain'}")
        def _status(lib: Lib, code: int = _code, location: bool = _location) -> Any:
            request = lib.Request("GET", "https://example.org/p")
            headers = {"Location": "https://example.org/next"} if location else {}
            r = lib.Response(code, headers=headers, request=request)
            raised = outcome(r.raise_for_status)
            return [observe(r), raised, outcome(lambda: lib.Response(code).raise_for_status())]


LINK_HEADERS = [
    "",
    "<https://a/1>",
    '<https://a/1>; rel="next", <https://a/2>; rel=last; title="x;y"',
    "<a>; rel=next; bad; type=x, <b>;;rel=x",
    "<a>; a=b=c",
    "'<a>; rel=\"x\"'",
    '<a>; rel="next",<b>;   rel="prev" ,  <c>',
    "<a>; rel=",
    "no angle brackets; rel=x",
]
for _i, _link in enumerate(LINK_HEADERS):

    @scenario(f"links:{_i}")
    def _links(lib: Lib, link: str = _link) -> Any:
        return outcome(lambda: lib.Response(200, headers={"Link": link}).links)


@scenario("cookies")
def _cookies(lib: Lib) -> Any:
    request = lib.Request("GET", "https://example.org/a/b")
    headers = [
        ("Set-Cookie", "a=1; Path=/"),
        ("Set-Cookie", "b=2; Domain=other.org"),
        ("Set-Cookie", "c=3; Max-Age=0"),
        ("Set-Cookie", "d=4; Secure"),
    ]
    r = lib.Response(200, headers=headers, request=request)
    return [outcome(lambda: dict(r.cookies)), outcome(lambda: lib.Response(200).cookies)]


# Methods faststream adds to Response (beyond httpx's API)
RESPONSE_ADDITIONS = frozenset(
    {
        "iter_sse",
        "aiter_sse",
        "iter_json",
        "aiter_json",
        "readinto",
        "areadinto",
        "as_file",
        "trailers",
    }
)


@scenario("public-attributes")
def _public(lib: Lib) -> Any:
    names = sorted(name for name in dir(lib.Response) if not name.startswith("_"))
    if lib is FASTSTREAM:
        assert RESPONSE_ADDITIONS <= set(names)
        names = [name for name in names if name not in RESPONSE_ADDITIONS]
    return names


@scenario("set-request-and-url")
def _set_request(lib: Lib) -> Any:
    r = lib.Response(200)
    r.request = lib.Request("POST", "http://h:8080/x")
    return [outcome(lambda: r.url), outcome(lambda: r.request.method)]


@scenario("encoding-set-to-none")
def _encoding_none(lib: Lib) -> Any:
    r = lib.Response(200, content=b"\xe9", headers={"Content-Type": "text/plain; charset=latin-1"})
    r.encoding = None
    return [r.encoding, r.text, list(r.iter_text())]


@scenario("elapsed-setter")
def _elapsed(lib: Lib) -> Any:
    r = lib.Response(200)
    before = outcome(lambda: r.elapsed)
    r.elapsed = datetime.timedelta(seconds=3)
    return [before, r.elapsed]


# ---------------------------------------------------------------------------------------------
# family 2: pickling


@scenario("pickle:read")
def _pickle_read(lib: Lib) -> Any:
    r = lib.Response(201, content=b"abc", extensions={"http_version": b"HTTP/2"})
    c = pickle.loads(pickle.dumps(r))
    return [observe(c), outcome(lambda: list(c.iter_bytes(2))), outcome(lambda: list(c.iter_raw()))]


@scenario("pickle:streaming")
def _pickle_streaming(lib: Lib) -> Any:
    c = pickle.loads(pickle.dumps(streamed(lib, [b"a"], request=lib.Request("GET", "http://x/"))))
    reads = [c.read, lambda: list(c.iter_text()), lambda: run(c.aread())]
    return [observe(c), *map(outcome, reads), outcome(c.close), outcome(lambda: run(c.aclose()))]


@scenario("pickle:after-cookies")
def _pickle_cookies(lib: Lib) -> Any:
    r = lib.Response(200, headers={"Set-Cookie": "a=1"}, request=lib.Request("GET", "http://x/"))
    r.cookies  # noqa: B018
    return outcome(lambda: pickle.dumps(r) and None)


# ---------------------------------------------------------------------------------------------
# family 3: bodies through every iterator, chunking, chunk size and coding (sync and async)

TEXT = (
    "first line\nsecond \u20acuro line\r\nthird\r\rfifth\n\n\xfc\xf1\xef\xa9\xf8d\xe9 "
    + "y" * 120
    + "\r\nlast"
) * 5
BODY = TEXT.encode("utf-8")
SIZES = (None, 1, 3, 7, 1024, 65536)
ITERATIONS = [(m, n) for m in ("iter_raw", "iter_bytes", "iter_text") for n in SIZES]
ITERATIONS += [("iter_lines", None), ("read", None)]
STREAM_CODINGS = [
    "identity", "gzip", "deflate", "deflate-raw", "br", "zstd", "gzip, br", "deflate, gzip"
]  # fmt: skip


def drain(
    lib: Lib, pieces: list[bytes], headers: Any, method: str, n: Any, asynchronous: bool
) -> Any:
    stream = async_stream(lib, pieces) if asynchronous else sync_stream(lib, pieces)
    r = lib.Response(200, headers=headers, stream=stream)
    args = () if method in ("iter_lines", "read") else (n,)

    async def agather() -> Any:
        if method == "read":
            return await r.aread()
        return [item async for item in getattr(r, "a" + method)(*args)]

    def gather() -> Any:
        if method == "read":
            return r.read()
        return list(getattr(r, method)(*args))

    result = outcome(lambda: run(agather()) if asynchronous else gather())
    return [result, flags(r), type(stream).closes, outcome(lambda: r.content)]


for _coding in STREAM_CODINGS:
    for _split in ("whole", "sevens-with-empties", "random", "bytewise"):
        if _split == "bytewise" and _coding == "deflate-raw":
            continue  # httpx quirk: see test_raw_deflate_in_tiny_first_piece below
        for _method, _n in ITERATIONS:
            for _asynchronous in (False, True):
                if _asynchronous and _split in ("random", "bytewise"):
                    continue

                @scenario(
                    f"body:{_coding}:{_split}:{_method}:{_n}:{'async' if _asynchronous else 'sync'}"
                )
                def _body(
                    lib: Lib,
                    coding: str = _coding,
                    split: str = _split,
                    method: str = _method,
                    n: Any = _n,
                    asynchronous: bool = _asynchronous,
                ) -> Any:
                    pieces = splits(encode(coding, BODY))[split]
                    headers = {"Content-Encoding": coding.replace("deflate-raw", "deflate")}
                    return drain(lib, pieces, headers, method, n, asynchronous)


# ---------------------------------------------------------------------------------------------
# family 4: text and encodings

ENCODING_CASES: list[tuple[str, bytes, Any, Any]] = [
    # (content type, body, default_encoding, assigned encoding)
    ("text/plain", "h\xe9llo\n".encode(), "utf-8", None),
    ("text/plain; charset=latin-1", b"h\xe9llo\r\nx", "utf-8", None),
    ('text/plain; charset="ISO-8859-1"', b"\xe9", "utf-8", None),
    ("text/plain; charset=UTF-8", "\u20ac".encode(), "utf-8", None),
    ("text/plain; charset=no-such", b"\xe9", "cp1252", None),
    ("text/plain; charset=no-such", b"\xe9", "utf-8", None),
    ("image/png", b"\xe9\x00", "utf-8", None),
    ("", b"abc", "latin-1", None),
    ("application/json; charset=utf-16", '{"a": "\xe9"}'.encode("utf-16"), "utf-8", None),
    ("text/plain; charset=utf-16", "a\nb\r\nc".encode("utf-16"), "utf-8", None),
    ("text/plain; charset=utf-16", b"a\x00b", "utf-8", None),
    ("text/plain; charset=utf-32", b"\xff\xff\xff\xff", "utf-8", None),
    ("text/plain; charset=idna", b"abc", "utf-8", None),
    ("text/plain; charset=shift_jis", "\u65e5\u672c\n\u8a9e".encode("shift_jis"), "utf-8", None),
    ("text/plain; charset=cp1251", "\u0434\u0432\u0430\r\n".encode("cp1251"), "utf-8", None),
    ("text/plain", b"\xef\xbb\xbfbom\xe2\x82", "utf-8", None),
    ("text/plain", b"\x80abc", "utf-8", "cp1252"),
    ("text/plain", b"abc", "utf-8", "no-such-codec"),
    ("text/plain", b"abc", "callable", None),
    ("text/plain", b"", "utf-8", "no-such-codec"),
]


def default(value: Any) -> Any:
    return (lambda content: "cp1252") if value == "callable" else value


for _i, (_ctype, _body_bytes, _default, _assigned) in enumerate(ENCODING_CASES):
    for _form in (
        "read",
        "stream-iter_text",
        "stream-iter_text-3",
        "stream-iter_lines",
        "stream-read",
    ):

        @scenario(f"encoding:{_i}:{_form}")
        def _encoding(
            lib: Lib,
            ctype: str = _ctype,
            body: bytes = _body_bytes,
            default_encoding: Any = _default,
            assigned: Any = _assigned,
            form: str = _form,
        ) -> Any:
            headers = {"Content-Type": ctype} if ctype else {}
            kwargs = {"headers": headers, "default_encoding": default(default_encoding)}
            if form == "read":
                r = lib.Response(200, content=body, **kwargs)
            else:
                pieces = [body[i : i + 3] for i in range(0, len(body), 3)]
                r = lib.Response(200, stream=sync_stream(lib, pieces), **kwargs)
            if assigned:
                r.encoding = assigned
            seen = []
            if form == "read":
                seen += [outcome(lambda: r.text), outcome(lambda: list(r.iter_lines()))]
                seen += [outcome(lambda: list(r.iter_text(2)))]
            elif form == "stream-read":
                seen += [outcome(r.read), outcome(lambda: r.text)]
            elif form == "stream-iter_lines":
                seen += [outcome(lambda: list(r.iter_lines()))]
            else:
                n = 3 if form.endswith("-3") else None
                seen += [outcome(lambda: list(r.iter_text(n)))]
            seen += [outcome(lambda: r.encoding), r.charset_encoding]
            seen += [outcome(r.json), outcome(lambda: setattr(r, "encoding", "ascii"))]
            return seen


LINE_TEXTS = [
    "a\r", "a\r\nb", "\r", "a\n\r", "a\nb\n", "\n\na\n\n", "abcdef\ng", "\r\r\n\n\r",
    "no newline", "", "x" * 5000 + "\n" + "y" * 5000,
]  # fmt: skip
for _i, _text in enumerate(LINE_TEXTS):
    for _size in (1, 2, 5, 10_000):

        @scenario(f"lines:{_i}:{_size}")
        def _lines(lib: Lib, text: str = _text, size: int = _size) -> Any:
            data = text.encode()
            pieces = [data[i : i + size] for i in range(0, len(data), size)]
            return outcome(lambda: list(streamed(lib, pieces).iter_lines()))


# ---------------------------------------------------------------------------------------------
# family 5: state transitions (sequences of calls; result and flags after each)


def kept(keep: list[Any], iterator: Any) -> Any:
    """Keep a started iterator alive (so it is not closed when collected) and return it."""
    keep.append(iterator)
    return iterator


OPS: dict[str, Callable[[Any, list[Any]], Any]] = {
    "raw-one": lambda r, keep: next(kept(keep, r.iter_raw())),
    "bytes-one": lambda r, keep: next(kept(keep, r.iter_bytes())),
    "raw": lambda r, keep: list(r.iter_raw()),
    "bytes": lambda r, keep: list(r.iter_bytes(2)),
    "text": lambda r, keep: list(r.iter_text()),
    "lines": lambda r, keep: list(r.iter_lines()),
    "read": lambda r, keep: r.read(),
    "close": lambda r, keep: r.close(),
    "content": lambda r, keep: r.content,
    "text-attr": lambda r, keep: r.text,
    "json": lambda r, keep: r.json(),
    "elapsed": lambda r, keep: r.elapsed,
}
AOPS: dict[str, Callable[[Any, list[Any]], Any]] = {
    "raw-one": lambda r, keep: kept(keep, r.aiter_raw()).__anext__(),
    "bytes-one": lambda r, keep: kept(keep, r.aiter_bytes()).__anext__(),
    "raw": lambda r, keep: alist(r.aiter_raw()),
    "bytes": lambda r, keep: alist(r.aiter_bytes(2)),
    "text": lambda r, keep: alist(r.aiter_text()),
    "lines": lambda r, keep: alist(r.aiter_lines()),
    "read": lambda r, keep: r.aread(),
    "close": lambda r, keep: r.aclose(),
}


async def alist(iterator: Any) -> list[Any]:
    return [item async for item in iterator]


STARTS = {
    "sync": lambda lib: lib.Response(200, stream=sync_stream(lib, [b'{"a"', b"", b": 1}"])),
    "async": lambda lib: lib.Response(200, stream=async_stream(lib, [b'{"a"', b"", b": 1}"])),
    "in-memory": lambda lib: lib.Response(200, content=b'{"a": 1}'),
}

for _start in STARTS:
    for _length in (1, 2, 3):
        for _ops in itertools.product(OPS, repeat=_length):
            if _length == 3 and (_start != "sync" or len(set(_ops)) < 3):
                continue

            @scenario(f"state:{_start}:{'+'.join(_ops)}")
            def _state(lib: Lib, start: str = _start, ops: tuple[str, ...] = _ops) -> Any:
                r = STARTS[start](lib)
                keep: list[Any] = []
                seen: list[Any] = []
                for op in ops:
                    seen.append([op, outcome(functools.partial(OPS[op], r, keep)), flags(r)])
                    seen.append(
                        outcome(lambda: run(alist(r.aiter_bytes()))) if op == "close" else None
                    )
                return seen


for _start in ("async", "sync", "in-memory"):
    for _ops in itertools.product(AOPS, repeat=2):

        @scenario(f"astate:{_start}:{'+'.join(_ops)}")
        def _astate(lib: Lib, start: str = _start, ops: tuple[str, ...] = _ops) -> Any:
            async def go() -> Any:
                r = STARTS[start](lib)
                keep: list[Any] = []
                seen: list[Any] = []
                for op in ops:
                    value: tuple[Any, ...]
                    try:
                        value = ("ok", plain(await AOPS[op](r, keep)))
                    except Exception as exc:
                        value = ("raise", type(exc).__name__, str(exc))
                    seen.append([op, value, flags(r)])
                seen.append(outcome(lambda: r.content))
                return seen

            return run(go())


@scenario("close-kind-mismatch")
def _close_mismatch(lib: Lib) -> Any:
    sync_r = lib.Response(200, stream=sync_stream(lib, [b"a"]))
    async_r = lib.Response(200, stream=async_stream(lib, [b"a"]))
    return [outcome(async_r.close), outcome(lambda: run(sync_r.aclose())), flags(sync_r)]


# ---------------------------------------------------------------------------------------------
# family 6: decoding errors (type and message; the closed flag is a deviation, checked below)

BAD_BODIES = {
    "gzip-header": ("gzip", b"this is not gzip"),
    "deflate-header": ("deflate", b"\xff\xff not deflate"),
    "br-garbage": ("br", b"this is not brotli at all"),
    "zstd-incomplete": ("zstd", compress("zstd", b"x" * 1000)[:-5]),
}
for _bad in BAD_BODIES:
    for _method in ("iter_bytes", "iter_text", "iter_lines", "read", "constructor"):

        @scenario(f"bad:{_bad}:{_method}")
        def _bad_body(lib: Lib, bad: str = _bad, method: str = _method) -> Any:
            coding, wire = BAD_BODIES[bad]
            request = lib.Request("GET", "https://example.org/")
            headers = {"Content-Encoding": coding}
            if method == "constructor":
                made = outcome(lambda: lib.Response(200, headers=headers, content=wire))
                return made if made[0] == "raise" else made[:1]
            r = streamed(lib, [wire], headers=headers, request=request)
            try:
                r.read() if method == "read" else list(getattr(r, method)())
            except lib.errors.DecodingError as exc:
                return [type(exc).__name__, str(exc), exc.request is request, r.is_stream_consumed]
            return "no error"


# ---------------------------------------------------------------------------------------------
# the comparison


def test_scenario_count() -> None:
    assert len(SCENARIOS) > 2000, len(SCENARIOS)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_same_as_httpx(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if name.startswith("bad:"):
        # Error messages of corrupt gzip/deflate data are the inflate library's: zlib's are
        # httpx's; ISA-L and zlib-ng word theirs differently (see test_default_backend_errors).
        monkeypatch.setenv("FASTSTREAM_INFLATE_BACKEND", "zlib")
    fn = SCENARIOS[name]
    assert fn(FASTSTREAM) == fn(HTTPX)


@pytest.mark.parametrize("name", [name for name in SCENARIOS if name.startswith("bad:")])
def test_default_backend_errors(name: str) -> None:
    """With the fastest inflate backend installed (the default), the same error type."""
    fn = SCENARIOS[name]
    h, f = fn(HTTPX), fn(FASTSTREAM)
    assert f[0] == h[0]
    if h[0] == "raise" or name.endswith(":constructor"):
        assert f[:2] == h[:2]
    else:
        assert f[2:] == h[2:]


# ---------------------------------------------------------------------------------------------
# deliberate deviations: httpx's behaviour and faststream's, each pinned


def both(fn: Callable[[Lib], Any]) -> tuple[Any, Any]:
    return fn(HTTPX), fn(FASTSTREAM)


@pytest.mark.parametrize(
    "separator", ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
)
def test_lines_deviation(separator: str) -> None:
    text = f"a{separator}b\nc"

    def lines(lib: Lib) -> Any:
        return list(streamed(lib, [text.encode()]).iter_lines())

    h, f = both(lines)
    assert h == text.splitlines() == ["a", "b", "c"]
    assert f == lines_of(text) == [f"a{separator}b", "c"]


def test_gzip_members_deviation() -> None:
    wire = gzip.compress(b"one ") + gzip.compress(b"two")

    def read(lib: Lib) -> Any:
        return lib.Response(200, headers={"Content-Encoding": "gzip"}, content=wire).content

    assert both(read) == (b"one ", b"one two")


@pytest.mark.parametrize("coding", ["gzip", "deflate", "deflate-raw", "br"])
def test_truncation_deviation(coding: str) -> None:
    wire = compress(coding, BODY)[:-8]

    def read(lib: Lib) -> Any:
        return outcome(streamed(lib, [wire], headers=header_for(coding)).read)

    h, f = both(read)
    assert h[0] == "ok" and BODY.startswith(h[1])  # httpx: a short body, as if complete
    assert f[:2] == ("raise", "DecodingError")


def test_chain_length_deviation() -> None:
    header = ", ".join(["gzip"] * 6)

    def read(lib: Lib) -> Any:
        return outcome(
            streamed(lib, [encode(header, b"x")], headers={"Content-Encoding": header}).read
        )

    assert both(read) == (
        ("ok", b"x"),
        ("raise", "DecodingError", "Too many content encodings in the chain: 6 > 5"),
    )


def test_bounded_steps_deviation() -> None:
    wire = gzip.compress(bytes(300_000))

    def sizes(lib: Lib) -> Any:
        r = streamed(lib, [wire], headers={"Content-Encoding": "gzip"})
        return [len(chunk) for chunk in r.iter_bytes()]

    assert both(sizes) == ([300_000], [65536] * 4 + [300_000 - 4 * 65536])


@pytest.mark.parametrize("bad", ["gzip-header", "deflate-header", "br-garbage"])
def test_decode_error_closes_deviation(bad: str) -> None:
    # An error at the end of the body (truncated zstd) comes after the stream was drained,
    # which closes the response in httpx too; an error before leaves httpx's response open.
    coding, wire = BAD_BODIES[bad]

    def closed(lib: Lib) -> Any:
        r = streamed(lib, [wire], headers={"Content-Encoding": coding})
        with pytest.raises(lib.errors.DecodingError):
            list(r.iter_bytes())
        return r.is_closed

    assert both(closed) == (False, True)  # THREATS F11


def test_unicode_error_closes_deviation() -> None:
    def closed(lib: Lib) -> Any:
        r = streamed(lib, [b"a\x00b"], headers={"Content-Type": "text/plain; charset=utf-16"})
        with pytest.raises(UnicodeError, match="UTF-16 stream does not start with BOM"):
            list(r.iter_text())
        return r.is_closed

    assert both(closed) == (False, True)


def test_unknown_charset_with_callable_default_deviation() -> None:
    def text(lib: Lib) -> Any:
        headers = {"Content-Type": "text/plain; charset=no-such"}
        r = streamed(lib, [b"abc"], headers=headers, default_encoding=lambda c: "latin-1")
        return outcome(lambda: list(r.iter_text()))

    assert both(text) == (("raise", "LookupError", "unknown encoding: no-such"), ("ok", ["abc"]))


def test_raw_deflate_in_tiny_first_piece() -> None:
    # Not in DESIGN's table: httpx picks zlib or raw deflate by whether its first decode call
    # fails, so a 1-byte first piece of a raw deflate body breaks it; the core reads the
    # header instead.
    wire = compress("deflate-raw", b"hello world")

    def read(lib: Lib) -> Any:
        r = streamed(lib, [wire[:1], wire[1:]], headers={"Content-Encoding": "deflate"})
        return outcome(r.read)

    h, f = both(read)
    assert h[:2] == ("raise", "DecodingError")
    assert f == ("ok", b"hello world")
