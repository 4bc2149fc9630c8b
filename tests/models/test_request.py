"""`Request`: built the same way in httpx 0.28.1 and faststream, compared on method, URL,
headers (every field, in order) and body; plus the rules a user relies on (params replace the
query, automatic headers, read state, pickling, async bodies)."""

from __future__ import annotations

import asyncio
import io
import pickle
import typing
import warnings
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest

from faststream._exceptions import RequestNotRead, StreamClosed, StreamConsumed
from faststream._headers import Headers
from faststream._request import Request
from faststream._streams import ByteStream, SyncByteStream
from faststream._urls import URL


def gen(*pieces: bytes) -> Iterator[bytes]:
    yield from pieces


async def agen(*pieces: bytes) -> AsyncIterator[bytes]:
    for piece in pieces:
        yield piece


def build_both(
    method: typing.Any, url: str, make_kwargs: Callable[[], dict[str, typing.Any]]
) -> tuple[httpx.Request, Request]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        theirs = httpx.Request(method, url, **make_kwargs())
        ours = Request(method, url, **make_kwargs())
    return theirs, ours


def read_any(request: typing.Any) -> bytes:
    if isinstance(request.stream, (SyncByteStream, httpx.SyncByteStream)):
        return typing.cast(bytes, request.read())
    return typing.cast(bytes, asyncio.run(request.aread()))


# (method, url, kwargs factory): each factory gives fresh iterators and file objects.
TABLE: dict[str, tuple[typing.Any, str, Callable[[], dict[str, typing.Any]]]] = {
    "get": ("GET", "https://example.org/", dict),
    "lower-case method": ("get", "https://example.org/path?x=1", dict),
    "bytes method": (b"get", "https://example.org/", dict),
    "custom method": ("purge", "http://example.org/", dict),
    "post without body": ("POST", "http://example.org/", dict),
    "put without body": ("put", "http://example.org/", dict),
    "patch without body": ("PATCH", "http://example.org/", dict),
    "delete without body": ("DELETE", "http://example.org/", dict),
    "bytes method post has no length": (b"post", "http://example.org/", dict),
    "default https port": ("GET", "https://example.org:443/", dict),
    "default http port": ("GET", "http://example.org:80/", dict),
    "non-default port": ("GET", "https://example.org:8443/", dict),
    "idna host": ("GET", "http://\u4f8b\u3048.jp:8080/p", dict),
    "punycode host": ("GET", "http://xn--r8jz45g.jp/", dict),
    "ipv6 host": ("GET", "http://[::1]:8080/", dict),
    "userinfo not in host": ("GET", "http://user:pw@example.org/", dict),
    "relative url has no host": ("GET", "/relative/path", dict),
    "params replace query": ("GET", "https://example.org/a?x=1&y=2", lambda: {"params": {"z": 3}}),
    "empty params clear query": ("GET", "https://example.org/a?x=1", lambda: {"params": {}}),
    "params list": ("GET", "https://example.org/a", lambda: {"params": [("a", 1), ("a", True)]}),
    "params str": ("GET", "https://example.org/a?q", lambda: {"params": "b=2&c"}),
    "explicit host header": ("POST", "http://example.org/", lambda: {"headers": {"host": "o"}}),
    "headers kept in order": (
        "POST",
        "http://example.org/",
        lambda: {"headers": [("X-B", "2"), ("x-a", "1"), ("X-B", "3")], "json": {"a": 1}},
    ),
    "bytes content": ("POST", "http://h/", lambda: {"content": b"abc"}),
    "str content": ("PUT", "http://h/", lambda: {"content": "\u00e9t\u00e9"}),
    "empty content": ("POST", "http://h/", lambda: {"content": b""}),
    "generator content": ("POST", "http://h/", lambda: {"content": gen(b"a", b"bc")}),
    "list content": ("POST", "http://h/", lambda: {"content": [b"a", b"b"]}),
    "BytesIO content": ("POST", "http://h/", lambda: {"content": io.BytesIO(b"file")}),
    "async content": ("POST", "http://h/", lambda: {"content": agen(b"x", b"y")}),
    "explicit length beats chunked": (
        "POST",
        "http://h/",
        lambda: {"content": gen(b"a"), "headers": {"Content-Length": "1"}},
    ),
    "explicit chunked": (
        "POST",
        "http://h/",
        lambda: {"content": b"ab", "headers": {"Transfer-Encoding": "chunked"}},
    ),
    "form": ("POST", "http://h/", lambda: {"data": {"a": ["1", "2"], "b": None, "c": False}}),
    "raw data with warning": ("POST", "http://h/", lambda: {"data": b"raw"}),
    "json": ("POST", "http://h/", lambda: {"json": {"k": ["\u00e9", 1.5, None]}}),
    "json keeps given content-type": (
        "POST",
        "http://h/",
        lambda: {"json": [1], "headers": {"Content-Type": "application/vnd.x+json"}},
    ),
    "multipart fixed boundary": (
        "POST",
        "http://h/",
        lambda: {
            "files": {"f": ("a.txt", io.BytesIO(b"text"))},
            "data": {"k": "v"},
            "headers": {"content-type": "multipart/form-data; boundary=XyZ"},
        },
    ),
    "cookies": ("GET", "http://example.org/", lambda: {"cookies": {"a": "1", "b": "2"}}),
    "cookies and body": ("POST", "http://example.org/", lambda: {"cookies": {"a": "1"}, "json": 1}),
    "explicit cookie header kept": (
        "GET",
        "http://example.org/",
        lambda: {"cookies": {"a": "1"}, "headers": {"Cookie": "z=9"}},
    ),
    "stream adds no headers": ("POST", "http://h/", lambda: {"stream": ByteStream(b"abc")}),
    "stream with headers": (
        "POST",
        "http://h/",
        lambda: {"stream": ByteStream(b"abc"), "headers": {"X": "1"}},
    ),
    "URL object": ("GET", "https://example.org/u", dict),
}


def _use_stream_class(kwargs: dict[str, typing.Any], httpx_side: bool) -> dict[str, typing.Any]:
    # `stream=` takes the library's own stream class on each side.
    if "stream" in kwargs and httpx_side:
        kwargs = dict(kwargs, stream=httpx.ByteStream(b"".join(kwargs["stream"])))
    return kwargs


@pytest.mark.parametrize("name", TABLE)
def test_request_matches_httpx(name: str) -> None:
    method, url, make = TABLE[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        theirs = httpx.Request(method, url, **_use_stream_class(make(), True))
        ours = Request(method, URL(url) if name == "URL object" else url, **make())
    assert ours.method == theirs.method
    assert str(ours.url) == str(theirs.url)
    assert ours.headers.multi_items() == theirs.headers.multi_items()
    assert ours.headers.raw == theirs.headers.raw
    assert repr(ours) == repr(theirs)
    # The same bodies are read at construction (or not).
    assert _is_read(ours) == _is_read(theirs)
    assert read_any(ours) == read_any(theirs)
    assert ours.content == theirs.content


def _is_read(request: typing.Any) -> bool:
    try:
        _ = request.content
    except (RequestNotRead, httpx.RequestNotRead):
        return False
    return True


@pytest.mark.parametrize("name", TABLE)
def test_declared_content_length_equals_the_body(name: str) -> None:
    method, url, make = TABLE[name]
    _, ours = build_both(method, url, lambda: _use_stream_class(make(), False))
    declared = ours.headers.get("content-length")
    body = read_any(ours)
    if declared is not None and name not in ("explicit length beats chunked",):
        assert int(declared) == len(body)
    if "transfer-encoding" in ours.headers:
        assert "content-length" not in ours.headers or name == "explicit chunked"


def test_host_is_the_first_header() -> None:
    request = Request("POST", "http://example.org:81/", headers={"X-A": "1"}, json={})
    assert request.headers.raw[0] == (b"Host", b"example.org:81")
    assert [name for name, _ in request.headers.multi_items()] == [
        "host",
        "x-a",
        "content-length",
        "content-type",
    ]


def test_params_replace_the_query_and_none_keeps_it() -> None:
    assert str(Request("GET", "https://e.org/?a=1", params={"b": "2"}).url) == "https://e.org/?b=2"
    assert str(Request("GET", "https://e.org/?a=1", params={}).url) == "https://e.org/"
    assert str(Request("GET", "https://e.org/?a=1").url) == "https://e.org/?a=1"
    assert (
        str(Request("GET", URL("https://e.org/?a=1"), params={"c": 1}).url) == "https://e.org/?c=1"
    )


def test_repr() -> None:
    assert (
        repr(Request("GET", "https://example.org/")) == "<Request('GET', 'https://example.org/')>"
    )
    assert repr(Request("get", "https://example.org")) == "<Request('GET', 'https://example.org')>"
    assert (
        repr(Request(typing.cast(str, b"get"), "http://e.org/"))
        == "<Request(b'GET', 'http://e.org/')>"
    )

    class Custom(Request):
        pass

    assert repr(Custom("GET", "http://e.org/")) == "<Custom('GET', 'http://e.org/')>"


def test_extensions_are_copied() -> None:
    given = {"timeout": {"connect": 1.0}}
    request = Request("GET", "http://h/", extensions=given)
    assert request.extensions == given
    assert request.extensions is not given
    assert Request("GET", "http://h/").extensions == {}


def test_headers_object_is_copied() -> None:
    given = Headers({"X": "1"})
    request = Request("GET", "http://h/", headers=given)
    request.headers["Y"] = "2"
    assert "Y" not in given


# -- read state ----------------------------------------------------------------------------


def test_in_memory_body_is_read_at_construction() -> None:
    request = Request("POST", "http://h/", content=b"abc")
    assert request.content == b"abc"
    assert request.read() == b"abc"
    assert isinstance(request.stream, ByteStream)


def test_streaming_body_is_not_read_until_read() -> None:
    request = Request("POST", "http://h/", content=gen(b"a", b"b"))
    with pytest.raises(RequestNotRead) as info:
        _ = request.content
    assert str(info.value) == str(httpx.RequestNotRead())
    assert request.read() == b"ab"
    assert request.content == b"ab"
    # Read once, the body is kept and can be streamed again (a redirect, an auth retry).
    assert isinstance(request.stream, ByteStream)
    assert b"".join(request.stream) == b"ab"
    assert request.read() == b"ab"


def test_multipart_body_is_not_read_until_read() -> None:
    request = Request("POST", "http://h/", files={"f": b"x"})
    with pytest.raises(RequestNotRead):
        _ = request.content
    body = request.read()
    assert body.endswith(b"--\r\n")
    assert request.headers["content-length"] == str(len(body))


def test_generator_body_sent_twice_raises_stream_consumed() -> None:
    request = Request("POST", "http://h/", content=gen(b"a"))
    stream = typing.cast(SyncByteStream, request.stream)
    assert b"".join(stream) == b"a"  # the first send
    with pytest.raises(StreamConsumed) as ours:
        b"".join(stream)  # a re-send, e.g. after a 307
    with pytest.raises(StreamConsumed):
        request.read()
    assert str(ours.value) == str(httpx.StreamConsumed())


def test_aread_of_async_body() -> None:
    request = Request("POST", "http://h/", content=agen(b"a", b"b"))
    with pytest.raises(RequestNotRead):
        _ = request.content
    assert asyncio.run(request.aread()) == b"ab"
    assert request.content == b"ab"
    assert asyncio.run(request.aread()) == b"ab"
    assert request.read() == b"ab"  # now in memory, readable either way


def test_aread_of_sync_bodies_that_are_also_async() -> None:
    # Multipart and in-memory bodies are both sync and async.
    request = Request("POST", "http://h/", files={"f": b"x"}, data={"a": "1"})
    body = asyncio.run(request.aread())
    assert (
        body
        == Request(
            "POST",
            "http://h/",
            files={"f": b"x"},
            data={"a": "1"},
            headers={"Content-Type": request.headers["content-type"]},
        ).read()
    )


def test_sync_read_of_async_body_is_a_runtime_error() -> None:
    # httpx fails here with a bare AssertionError; faststream names the mistake.
    request = Request("POST", "http://h/", content=agen(b"a"))
    with pytest.raises(RuntimeError, match="Attempted to call a sync iterator on an async stream."):
        request.read()


def test_async_read_of_sync_only_body_is_a_runtime_error() -> None:
    request = Request("POST", "http://h/", content=gen(b"a"))
    with pytest.raises(
        RuntimeError, match="Attempted to call an async iterator on an sync stream."
    ):
        asyncio.run(request.aread())


def test_stream_argument_is_used_as_is() -> None:
    stream = ByteStream(b"given")
    request = Request("POST", "http://h/", stream=stream, content=b"ignored")
    assert request.stream is stream
    assert list(request.headers.multi_items()) == []
    with pytest.raises(RequestNotRead):
        _ = request.content
    assert request.read() == b"given"


# -- pickling ------------------------------------------------------------------------------


def test_pickled_in_memory_request_keeps_its_body() -> None:
    request = Request(
        "POST", "https://example.org/x?q=1", content=b"abc", extensions={"trace": print}
    )
    copy = pickle.loads(pickle.dumps(request))
    assert copy.method == "POST"
    assert copy.url == request.url
    assert copy.headers.multi_items() == request.headers.multi_items()
    assert copy.content == b"abc"
    assert copy.read() == b"abc"
    assert copy.extensions == {}


def test_pickled_streaming_request_cannot_be_read() -> None:
    request = Request("POST", "http://h/", content=gen(b"a"))
    copy = pickle.loads(pickle.dumps(request))
    with pytest.raises(RequestNotRead):
        _ = copy.content
    with pytest.raises(StreamClosed):
        copy.read()
    with pytest.raises(StreamClosed):
        asyncio.run(copy.aread())
    assert copy.headers["transfer-encoding"] == "chunked"


def test_pickled_streaming_request_after_read_keeps_its_body() -> None:
    request = Request("POST", "http://h/", content=gen(b"a", b"b"))
    request.read()
    copy = pickle.loads(pickle.dumps(request))
    assert copy.content == b"ab"


def test_pickling_matches_httpx_state() -> None:
    theirs = httpx.Request("PUT", "http://h/p", json={"a": 1}, extensions={"x": 1})
    ours = Request("PUT", "http://h/p", json={"a": 1}, extensions={"x": 1})
    assert sorted(ours.__getstate__()) == sorted(theirs.__getstate__())


# -- warnings ------------------------------------------------------------------------------


def test_raw_data_warns() -> None:
    with pytest.warns(DeprecationWarning, match=r"Use 'content=<\.\.\.>' to upload raw"):
        request = Request("POST", "http://h/", data=typing.cast(typing.Any, "text"))
    assert request.content == b"text"


def test_request_bodies_under_asyncio_run() -> None:
    async def main() -> list[bytes]:
        bodies = []
        all_kwargs: list[dict[str, typing.Any]] = [
            {"content": agen(b"1", b"2")},
            {"content": b"3"},
            {"files": {"f": b"4"}, "headers": {"content-type": "multipart/form-data; boundary=b"}},
            {"data": {"five": "5"}},
        ]
        for kwargs in all_kwargs:
            request = Request("POST", "http://h/", **kwargs)
            bodies.append(await request.aread())
        return bodies

    bodies = asyncio.run(main())
    assert bodies[:2] == [b"12", b"3"]
    assert bodies[2].startswith(b"--b\r\n") and b"\r\n\r\n4\r\n--b--\r\n" in bodies[2]
    assert bodies[3] == b"five=5"


@pytest.mark.parametrize("given", [{"Host": "example.com"}, {}])
def test_header_encoding_is_detected_afresh_after_construction(given: dict[str, str]) -> None:
    # httpx rebuilds the headers at the end of Request(): setting a non-ASCII value later is
    # encoded as utf-8, whether or not automatic headers were added.
    for make in (httpx.Request, Request):
        request = make("GET", "http://example.com/", headers={**given, "a": "b"})
        request.headers["X"] = "é"
        assert request.headers.encoding == "utf-8"
        assert request.headers.raw[-1] == (b"X", "é".encode())
