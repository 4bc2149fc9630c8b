"""`Response` without streaming: the constructor's body forms and headers, status predicates,
`raise_for_status`, `links`, `cookies`, `elapsed` (and `time_on_close`, the client's hook),
`request`/`url`, pickling, and the `_models` re-exports (SPEC-httpx §4, §3.9)."""

from __future__ import annotations

import asyncio
import datetime
import gzip
import pickle
import typing
from collections.abc import AsyncIterator
from typing import Any

import pytest

from faststream import _models
from faststream._exceptions import DecodingError, HTTPStatusError, StreamClosed
from faststream._headers import Headers
from faststream._request import Request
from faststream._response import Response, time_on_close
from faststream._streams import ByteStream
from tests.models._response_helpers import REQUEST, APieces, Pieces, alist, run

# ---------------------------------------------------------------------------------------------
# the constructor


def test_models_reexports() -> None:
    assert _models.Response is Response
    assert _models.Request is Request


def test_defaults() -> None:
    r = Response(200)
    assert r.status_code == 200
    assert r.headers == Headers({})
    assert (r.content, r.text, r.extensions, r.history, r.next_request) == (b"", "", {}, [], None)
    assert r.default_encoding == "utf-8"
    assert r.http_version == "HTTP/1.1" and r.reason_phrase == "OK"


@pytest.mark.parametrize(
    "kwargs, headers, content",
    [
        ({"content": b"abc"}, {"Content-Length": "3"}, b"abc"),
        ({"content": "hé"}, {"Content-Length": "3"}, "hé".encode()),
        ({"content": b""}, {}, b""),
        (
            {"text": "hé"},
            {"Content-Length": "3", "Content-Type": "text/plain; charset=utf-8"},
            None,
        ),
        (
            {"html": "<p>"},
            {"Content-Length": "3", "Content-Type": "text/html; charset=utf-8"},
            None,
        ),
        (
            {"json": {"a": "é", "b": [1, 2]}},
            {"Content-Length": "20", "Content-Type": "application/json"},
            b'{"a":"\xc3\xa9","b":[1,2]}',
        ),
        ({"content": b"x", "text": "y", "html": "z", "json": 1}, {"Content-Length": "1"}, b"x"),
        (
            {"text": "y", "html": "z"},
            {"Content-Length": "1", "Content-Type": "text/plain; charset=utf-8"},
            b"y",
        ),
    ],
)
def test_in_memory_bodies(kwargs: dict[str, Any], headers: dict[str, str], content: Any) -> None:
    r = Response(200, **kwargs)
    assert r.headers == Headers(headers)
    if content is not None:
        assert r.content == content
    assert r.is_closed and r.is_stream_consumed and r.num_bytes_downloaded == 0


def test_given_headers_win_over_automatic_ones() -> None:
    r = Response(200, headers={"Content-Type": "text/x"}, text="a")
    assert r.headers["content-type"] == "text/x"
    assert r.headers.multi_items() == [("content-type", "text/x"), ("content-length", "1")]


def test_iterable_content_streams_chunked() -> None:
    r = Response(200, content=iter([b"a", b"b"]))
    assert r.headers == Headers({"Transfer-Encoding": "chunked"})
    assert not r.is_stream_consumed
    assert list(r.iter_bytes()) == [b"a", b"b"]


def test_explicit_content_length_suppresses_chunked() -> None:
    r = Response(200, headers={"Content-Length": "2"}, content=iter([b"ab"]))
    assert r.headers == Headers({"Content-Length": "2"})


def test_async_iterable_content_streams() -> None:
    async def body() -> AsyncIterator[bytes]:
        yield b"a"
        yield b"b"

    r = Response(200, content=body())
    assert r.headers == Headers({"Transfer-Encoding": "chunked"})
    assert run(r.aread()) == b"ab"


def test_a_transport_response_is_one_built_with_the_constructor() -> None:
    # Transports build responses with `_from_transport` (no copies); it must leave the same
    # state as the public constructor, attribute for attribute.
    def make(fast: bool) -> Response:
        headers = Headers([(b"Content-Type", b"text/plain; charset=latin-1")])
        stream = Pieces([b"caf\xe9"])
        extensions = {"http_version": b"HTTP/1.1"}
        if fast:
            return Response._from_transport(200, headers, stream, extensions)
        return Response(200, headers=headers, stream=stream, extensions=extensions)

    built, fast = make(False), make(True)
    assert list(vars(fast)) == list(vars(built))  # the same attributes, set in the same order
    for name in vars(built):
        if name not in ("headers", "stream"):
            assert getattr(fast, name) == getattr(built, name), name
    assert fast.headers == built.headers
    assert (fast.read(), fast.text, fast.is_closed) == (built.read(), built.text, True)


def test_stream_adds_no_headers_and_reads_nothing() -> None:
    stream = Pieces([b"abc"])
    r = Response(200, stream=stream)
    assert r.headers == Headers({})
    assert not r.is_stream_consumed and not r.is_closed and stream.closes == 0


def test_content_of_wrong_type() -> None:
    with pytest.raises(TypeError):
        Response(200, content=typing.cast(Any, {"a": 1}))


def test_in_memory_content_is_decoded() -> None:
    r = Response(200, headers={"Content-Encoding": "gzip"}, content=gzip.compress(b"hello"))
    assert r.content == b"hello"
    assert r.headers["content-length"] == str(len(gzip.compress(b"hello")))


def test_extensions_and_history_are_copied() -> None:
    extensions = {"http_version": b"HTTP/2"}
    history = [Response(301)]
    r = Response(200, extensions=extensions, history=history)
    extensions["x"] = b""
    history.append(Response(302))
    assert r.extensions == {"http_version": b"HTTP/2"} and len(r.history) == 1


# ---------------------------------------------------------------------------------------------
# status and metadata


@pytest.mark.parametrize(
    "code, flags",
    [
        (100, "i"),
        (199, "i"),
        (200, "s"),
        (299, "s"),
        (301, "r"),
        (304, "r"),
        (404, "ce"),
        (499, "ce"),
        (500, "ve"),
        (599, "ve"),
        (600, ""),
        (99, ""),
    ],
)
def test_status_predicates(code: int, flags: str) -> None:
    r = Response(code)
    assert r.is_informational == ("i" in flags)
    assert r.is_success == ("s" in flags)
    assert r.is_redirect == ("r" in flags)
    assert r.is_client_error == ("c" in flags)
    assert r.is_server_error == ("v" in flags)
    assert r.is_error == ("e" in flags)


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_has_redirect_location(code: int) -> None:
    assert Response(code, headers={"Location": "/x"}).has_redirect_location
    assert not Response(code).has_redirect_location


def test_other_3xx_with_location_is_not_a_redirect_location() -> None:
    assert not Response(304, headers={"Location": "/x"}).has_redirect_location
    assert not Response(300, headers={"Location": "/x"}).has_redirect_location
    assert not Response(200, headers={"Location": "/x"}).has_redirect_location


def test_http_version_and_reason_phrase_from_extensions() -> None:
    r = Response(200, extensions={"http_version": b"HTTP/2\xff", "reason_phrase": b"Fine\xfe"})
    assert r.http_version == "HTTP/2" and r.reason_phrase == "Fine"
    assert repr(r) == "<Response [200 Fine]>"


def test_repr() -> None:
    assert repr(Response(404)) == "<Response [404 Not Found]>"
    assert repr(Response(799)) == "<Response [799 ]>"


def test_request_and_url() -> None:
    r = Response(200)
    with pytest.raises(
        RuntimeError, match=r"^The request instance has not been set on this response\.$"
    ):
        r.request  # noqa: B018
    with pytest.raises(RuntimeError):
        r.url  # noqa: B018
    r.request = REQUEST
    assert r.request is REQUEST and r.url == REQUEST.url
    assert Response(200, request=REQUEST).url == "https://example.org/data"


# ---------------------------------------------------------------------------------------------
# raise_for_status


def test_raise_for_status_needs_a_request() -> None:
    with pytest.raises(RuntimeError) as info:
        Response(200).raise_for_status()
    assert str(info.value) == (
        "Cannot call `raise_for_status` as the request instance has not been set on this response."
    )


@pytest.mark.parametrize("code", [200, 201, 204, 299])
def test_raise_for_status_returns_the_response_for_2xx(code: int) -> None:
    r = Response(code, request=REQUEST)
    assert r.raise_for_status() is r


MDN = "For more information check: https://developer.mozilla.org/en-US/docs/Web/HTTP/Status/"


@pytest.mark.parametrize(
    "code, headers, first",
    [
        (100, {}, "Informational response '100 Continue'"),
        (301, {}, "Redirect response '301 Moved Permanently'"),
        (304, {"Location": "/x"}, "Redirect response '304 Not Modified'"),
        (404, {}, "Client error '404 Not Found'"),
        (418, {}, "Client error '418 I'm a teapot'"),
        (503, {}, "Server error '503 Service Unavailable'"),
        (600, {}, "Invalid status code '600 '"),
        (99, {}, "Invalid status code '99 '"),
    ],
)
def test_raise_for_status_messages(code: int, headers: dict[str, str], first: str) -> None:
    r = Response(code, headers=headers, request=REQUEST)
    with pytest.raises(HTTPStatusError) as info:
        r.raise_for_status()
    assert str(info.value) == f"{first} for url 'https://example.org/data'\n{MDN}{code}"
    assert info.value.request is REQUEST and info.value.response is r


def test_raise_for_status_names_the_redirect_location() -> None:
    r = Response(302, headers={"Location": "/next"}, request=REQUEST)
    with pytest.raises(HTTPStatusError) as info:
        r.raise_for_status()
    assert str(info.value) == (
        "Redirect response '302 Found' for url 'https://example.org/data'\n"
        f"Redirect location: '/next'\n{MDN}302"
    )


# ---------------------------------------------------------------------------------------------
# links and cookies


@pytest.mark.parametrize(
    "header, links",
    [
        (
            '<https://a/1>; rel="next", <https://a/2>; rel=last; title="x"',
            {
                "next": {"url": "https://a/1", "rel": "next"},
                "last": {"url": "https://a/2", "rel": "last", "title": "x"},
            },
        ),
        ("<https://a/1>", {"https://a/1": {"url": "https://a/1"}}),
        ("", {}),
        ("  '\" ", {}),
        (
            "<a>; rel=next; bad; type=x, <b>;;rel=x",
            {"next": {"url": "a", "rel": "next"}, "b": {"url": "b"}},
        ),
        ("<a>; a=b=c", {"a": {"url": "a"}}),
        (
            '<a>; type="image/jpeg",<b>;',
            {"a": {"url": "a", "type": "image/jpeg"}, "b": {"url": "b"}},
        ),
    ],
)
def test_links(header: str, links: dict[str, Any]) -> None:
    assert Response(200, headers={"Link": header}).links == links


def test_no_link_header() -> None:
    assert Response(200).links == {}


def test_cookies_from_set_cookie() -> None:
    r = Response(
        200,
        headers=[("Set-Cookie", "a=1; Path=/"), ("Set-Cookie", "b=2; Domain=other.org")],
        request=REQUEST,
    )
    assert dict(r.cookies) == {"a": "1"}  # b is for another domain: rejected
    assert r.cookies is r.cookies


def test_cookies_need_a_request() -> None:
    with pytest.raises(RuntimeError):
        Response(200, headers={"Set-Cookie": "a=1"}).cookies  # noqa: B018


# ---------------------------------------------------------------------------------------------
# elapsed, and the client's hook to set it at close


def test_elapsed_before_it_is_set() -> None:
    with pytest.raises(RuntimeError) as info:
        Response(200, content=b"x").elapsed  # noqa: B018
    assert str(info.value) == (
        "'.elapsed' may only be accessed after the response has been read or closed."
    )


def test_elapsed_is_settable() -> None:
    r = Response(200)
    r.elapsed = datetime.timedelta(seconds=1.5)
    assert r.elapsed == datetime.timedelta(seconds=1.5)


@pytest.mark.parametrize("how", ["close", "read", "iterate", "decode-error"])
def test_time_on_close_sets_elapsed_when_the_response_closes(how: str) -> None:
    stream = Pieces([b"not gzip"] if how == "decode-error" else [b"ab"])
    headers = {"Content-Encoding": "gzip"} if how == "decode-error" else {}
    r = Response(200, headers=headers, stream=stream)
    time_on_close(r, start=0.0)  # a start long ago: elapsed is large and positive
    with pytest.raises(RuntimeError):
        r.elapsed  # noqa: B018 -- not closed yet
    if how == "close":
        r.close()
    elif how == "read":
        assert r.read() == b"ab"
    elif how == "iterate":
        it = r.iter_bytes()
        assert next(it) == b"ab"
        assert not r.is_closed
        assert list(it) == []
    else:
        with pytest.raises(DecodingError):
            r.read()
    assert r.is_closed and stream.closes == 1
    assert r.elapsed > datetime.timedelta(0)
    first = r.elapsed
    r.close()
    assert r.elapsed == first  # closing again does not touch it


def test_time_on_close_async() -> None:
    stream = APieces([b"ab"])
    r = Response(200, stream=stream)
    time_on_close(r, start=0.0)
    assert run(alist(r.aiter_raw())) == [b"ab"]
    assert r.elapsed > datetime.timedelta(0) and stream.closes == 1
    with pytest.raises(RuntimeError):
        r.close()  # still an async stream only


def test_time_on_close_keeps_an_in_memory_stream_usable_both_ways() -> None:
    r = Response(200, stream=ByteStream(b"ab"))
    time_on_close(r, start=0.0)
    assert asyncio.run(r.aread()) == b"ab"
    assert r.elapsed > datetime.timedelta(0)


def test_time_on_close_never_fires_for_a_response_already_closed() -> None:
    r = Response(200, content=b"ab")  # read, hence closed, at construction
    time_on_close(r, start=0.0)
    r.close()
    with pytest.raises(RuntimeError):
        r.elapsed  # noqa: B018


# ---------------------------------------------------------------------------------------------
# pickling


def roundtrip(r: Response) -> Response:
    copy: Response = pickle.loads(pickle.dumps(r))
    return copy


def test_pickled_read_response_keeps_its_content() -> None:
    r = Response(
        201,
        content=b"abc",
        request=REQUEST,
        extensions={"http_version": b"HTTP/2"},
        default_encoding="latin-1",
    )
    c = roundtrip(r)
    assert (c.status_code, c.content, c.text, c.headers) == (201, b"abc", "abc", r.headers)
    assert c.is_closed and c.is_stream_consumed
    assert c.extensions == {} and c.http_version == "HTTP/1.1"
    assert c.default_encoding == "latin-1" and c.request.url == REQUEST.url
    assert list(c.iter_bytes()) == [b"abc"] and list(c.iter_lines()) == ["abc"]


def test_pickled_streaming_response_is_closed() -> None:
    c = roundtrip(Response(200, stream=Pieces([b"ab"]), request=REQUEST))
    assert c.is_closed and not c.is_stream_consumed
    for read in (c.read, lambda: list(c.iter_raw()), lambda: asyncio.run(c.aread())):
        with pytest.raises(StreamClosed):
            read()
    c.close()
    asyncio.run(c.aclose())


def test_pickled_after_streaming_read() -> None:
    r = Response(200, stream=Pieces([b"a", b"b"]))
    r.read()
    c = roundtrip(r)
    assert c.content == b"ab" and list(c.iter_text()) == ["ab"]


def test_pickle_keeps_encoding_and_elapsed() -> None:
    r = Response(200, content=b"\xe9")
    r.encoding = "latin-1"
    r.elapsed = datetime.timedelta(seconds=2)
    c = roundtrip(r)
    assert c.text == "é" and c.elapsed == datetime.timedelta(seconds=2)
