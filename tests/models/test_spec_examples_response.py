"""SPEC-httpx §4 `Response(...)` as executable examples: the constructor (body precedence, auto
headers, in-memory bodies read and decoded, `stream=`), the attributes, `raise_for_status()`,
against faststream and httpx 0.28.1 (see test_spec_examples for the scheme; pickling is checked
there). 34 statements checked.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import AsyncIterator, Iterator
from types import ModuleType

import pytest

from tests.models._spec_helpers import alist, compress, raises, run, sync_body


def gen(*pieces: bytes) -> Iterator[bytes]:
    yield from pieces


async def agen(*pieces: bytes) -> AsyncIterator[bytes]:
    for piece in pieces:
        yield piece


MDN = "For more information check: https://developer.mozilla.org/en-US/docs/Web/HTTP/Status/"
URL = "https://example.org/path?q=1"

# ---------------------------------------------------------------------------------------------
# constructor: body precedence and auto headers


def test_4_response_body_precedence_content_text_html_json(httpx: ModuleType) -> None:
    assert httpx.Response(200, content=b"c", text="t", html="h", json="j").content == b"c"
    response = httpx.Response(200, text="t", html="h", json="j")
    assert (response.content, response.headers["Content-Type"]) == (
        b"t",
        "text/plain; charset=utf-8",
    )
    response = httpx.Response(200, html="h", json="j")
    assert (response.content, response.headers["Content-Type"]) == (
        b"h",
        "text/html; charset=utf-8",
    )


def test_4_response_content_bytes_adds_content_length(httpx: ModuleType) -> None:
    assert httpx.Response(200, content=b"abc").headers.raw == [(b"Content-Length", b"3")]


def test_4_response_content_length_omitted_when_empty(httpx: ModuleType) -> None:
    assert httpx.Response(200, content=b"").headers.raw == []
    assert httpx.Response(200, content="").headers.raw == []
    assert httpx.Response(200).headers.raw == []


def test_4_response_content_str_encoded_utf8(httpx: ModuleType) -> None:
    response = httpx.Response(200, content="€")
    assert response.content == b"\xe2\x82\xac"
    assert response.headers.raw == [(b"Content-Length", b"3")]


def test_4_response_auto_headers_only_if_absent(httpx: ModuleType) -> None:
    response = httpx.Response(200, headers={"content-length": "99"}, content=b"abc")
    assert response.headers.raw == [(b"content-length", b"99")]
    response = httpx.Response(200, headers={"Content-Type": "text/x"}, text="abc")
    assert response.headers.raw == [(b"Content-Type", b"text/x"), (b"Content-Length", b"3")]


@pytest.mark.parametrize("kind", ["generator", "list", "tuple"])
def test_4_response_content_sync_iterable_chunked_unread(httpx: ModuleType, kind: str) -> None:
    pieces = (b"ab", b"cd")
    content = {"generator": gen(*pieces), "list": list(pieces), "tuple": pieces}[kind]
    response = httpx.Response(200, content=content)
    assert response.headers.raw == [(b"Transfer-Encoding", b"chunked")]
    assert raises(lambda: response.content) == "ResponseNotRead"
    assert not response.is_stream_consumed
    assert list(response.iter_bytes()) == [b"ab", b"cd"]


def test_4_response_content_async_iterable_chunked_unread(httpx: ModuleType) -> None:
    response = httpx.Response(200, content=agen(b"ab", b"cd"))
    assert response.headers.raw == [(b"Transfer-Encoding", b"chunked")]
    assert raises(lambda: response.content) == "ResponseNotRead"
    assert run(alist(response.aiter_bytes())) == [b"ab", b"cd"]


def test_4_response_content_file_like_with_length_content_length(httpx: ModuleType) -> None:
    response = httpx.Response(200, content=io.BytesIO(b"hello"))
    assert response.headers.raw == [(b"Content-Length", b"5")]
    assert raises(lambda: response.content) == "ResponseNotRead"
    assert response.read() == b"hello"
    with tempfile.TemporaryFile() as file:
        file.write(b"on disk")
        file.seek(0)
        on_disk = httpx.Response(200, content=file)
        assert on_disk.headers.raw == [(b"Content-Length", b"7")]
        assert on_disk.read() == b"on disk"


def test_4_response_text_adds_text_plain_utf8(httpx: ModuleType) -> None:
    response = httpx.Response(200, text="é")
    assert response.headers.raw == [
        (b"Content-Length", b"2"),
        (b"Content-Type", b"text/plain; charset=utf-8"),
    ]
    assert response.content == b"\xc3\xa9"


def test_4_response_html_adds_text_html_utf8(httpx: ModuleType) -> None:
    response = httpx.Response(200, html="<p>é</p>")
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.content == "<p>é</p>".encode()


def test_4_response_json_compact_utf8_application_json(httpx: ModuleType) -> None:
    response = httpx.Response(200, json={"a": [1, "é"], "b": None})
    assert response.content == b'{"a":[1,"\xc3\xa9"],"b":null}'
    assert response.headers.raw == [
        (b"Content-Length", b"23"),
        (b"Content-Type", b"application/json"),
    ]


def test_4_response_json_allow_nan_false(httpx: ModuleType) -> None:
    with pytest.raises(ValueError):
        httpx.Response(200, json={"x": float("nan")})


def test_4_response_explicit_content_length_suppresses_transfer_encoding(
    httpx: ModuleType,
) -> None:
    response = httpx.Response(200, headers={"Content-Length": "3"}, content=gen(b"abc"))
    assert response.headers.raw == [(b"Content-Length", b"3")]


def test_4_response_content_dict_type_error(httpx: ModuleType) -> None:
    with pytest.raises(TypeError):
        httpx.Response(200, content={"a": 1})


def test_4_response_in_memory_body_read_and_decoded_in_constructor(httpx: ModuleType) -> None:
    body = compress("gzip", b"decoded")
    response = httpx.Response(200, headers={"Content-Encoding": "gzip"}, content=body)
    assert response.content == b"decoded"
    assert response.headers["Content-Length"] == str(len(body))  # the bytes given
    assert response.is_stream_consumed and response.is_closed


def test_4_response_stream_adds_no_headers_not_read(httpx: ModuleType) -> None:
    body = sync_body(httpx, [b"abc"])
    response = httpx.Response(200, stream=body)
    assert response.headers.raw == []
    assert raises(lambda: response.content) == "ResponseNotRead"
    assert not response.is_stream_consumed and not response.is_closed
    assert response.stream is body


# ---------------------------------------------------------------------------------------------
# attributes


def test_4_response_status_code_and_headers(httpx: ModuleType) -> None:
    response = httpx.Response(201, headers=[("X-A", "1"), ("x-a", "2")])
    assert response.status_code == 201
    assert isinstance(response.headers, httpx.Headers)
    assert response.headers.get_list("x-a") == ["1", "2"]


def test_4_response_extensions_http_version_reason_phrase_bytes(httpx: ModuleType) -> None:
    extensions = {"http_version": b"HTTP/2", "reason_phrase": b"Fine", "network_stream": None}
    response = httpx.Response(200, extensions=extensions)
    assert response.extensions == extensions
    assert (response.http_version, response.reason_phrase) == ("HTTP/2", "Fine")


def test_4_response_history_list(httpx: ModuleType) -> None:
    assert httpx.Response(200).history == []
    first = httpx.Response(301)
    response = httpx.Response(200, history=[first])
    assert response.history == [first]
    assert response.history[0] is first


def test_4_response_next_request_none_by_default(httpx: ModuleType) -> None:
    assert httpx.Response(302, headers={"Location": "/x"}).next_request is None


def test_4_response_request_runtime_error_if_unset(httpx: ModuleType) -> None:
    response = httpx.Response(200)
    with pytest.raises(RuntimeError) as error:
        _ = response.request
    assert str(error.value) == "The request instance has not been set on this response."
    request = httpx.Request("GET", URL)
    response.request = request
    assert response.request is request


def test_4_response_url_is_request_url(httpx: ModuleType) -> None:
    request = httpx.Request("GET", URL)
    response = httpx.Response(200, request=request)
    assert response.url == request.url == httpx.URL(URL)
    assert raises(lambda: httpx.Response(200).url) == "RuntimeError"


def test_4_response_http_version_default(httpx: ModuleType) -> None:
    assert httpx.Response(200).http_version == "HTTP/1.1"


def test_4_response_reason_phrase_default_from_codes(httpx: ModuleType) -> None:
    assert [httpx.Response(code).reason_phrase for code in (200, 404, 418, 299)] == [
        "OK",
        "Not Found",
        "I'm a teapot",
        "",
    ]
    assert httpx.Response(503).reason_phrase == httpx.codes.get_reason_phrase(503)


@pytest.mark.parametrize(
    ("code", "flags"),
    [
        (99, ""),
        (100, "I"),
        (199, "I"),
        (200, "S"),
        (299, "S"),
        (300, "R"),
        (399, "R"),
        (400, "CE"),
        (499, "CE"),
        (500, "VE"),
        (599, "VE"),
        (600, ""),
    ],
)
def test_4_response_is_predicates(httpx: ModuleType, code: int, flags: str) -> None:
    response = httpx.Response(code)
    observed = {
        "I": response.is_informational,
        "S": response.is_success,
        "R": response.is_redirect,
        "C": response.is_client_error,
        "V": response.is_server_error,
        "E": response.is_error,
    }
    assert observed == {letter: letter in flags for letter in "ISRCVE"}


@pytest.mark.parametrize("code", [300, 301, 302, 303, 304, 305, 307, 308])
def test_4_response_has_redirect_location(httpx: ModuleType, code: int) -> None:
    with_location = httpx.Response(code, headers={"Location": "/next"})
    assert with_location.has_redirect_location is (code in (301, 302, 303, 307, 308))
    assert httpx.Response(code).has_redirect_location is False  # and a Location header


def test_4_response_cookies(httpx: ModuleType) -> None:
    headers = [("Set-Cookie", "a=1; Path=/"), ("Set-Cookie", "b=2")]
    response = httpx.Response(200, headers=headers, request=httpx.Request("GET", URL))
    assert isinstance(response.cookies, httpx.Cookies)
    assert dict(response.cookies) == {"a": "1", "b": "2"}
    assert dict(httpx.Response(200, request=httpx.Request("GET", URL)).cookies) == {}


def test_4_response_links_keyed_by_rel_or_url(httpx: ModuleType) -> None:
    link = (
        '<https://a.com/1>; rel="next"; title="x", <https://a.com/2>; rel=last, <https://a.com/3>'
    )
    assert httpx.Response(200, headers={"Link": link}).links == {
        "next": {"url": "https://a.com/1", "rel": "next", "title": "x"},
        "last": {"url": "https://a.com/2", "rel": "last"},
        "https://a.com/3": {"url": "https://a.com/3"},
    }
    assert httpx.Response(200).links == {}


def test_4_response_repr(httpx: ModuleType) -> None:
    assert repr(httpx.Response(200)) == "<Response [200 OK]>"
    assert repr(httpx.Response(404)) == "<Response [404 Not Found]>"


# ---------------------------------------------------------------------------------------------
# raise_for_status()


def test_4_raise_for_status_needs_request(httpx: ModuleType) -> None:
    with pytest.raises(RuntimeError) as error:
        httpx.Response(200).raise_for_status()
    assert str(error.value) == (
        "Cannot call `raise_for_status` as the request instance has not been set on this response."
    )


@pytest.mark.parametrize("code", [200, 201, 204, 299])
def test_4_raise_for_status_returns_self_for_2xx(httpx: ModuleType, code: int) -> None:
    response = httpx.Response(code, request=httpx.Request("GET", URL))
    assert response.raise_for_status() is response


@pytest.mark.parametrize(
    ("code", "first_line"),
    [
        (100, f"Informational response '100 Continue' for url '{URL}'"),
        (304, f"Redirect response '304 Not Modified' for url '{URL}'"),
        (404, f"Client error '404 Not Found' for url '{URL}'"),
        (418, f"Client error '418 I'm a teapot' for url '{URL}'"),
        (503, f"Server error '503 Service Unavailable' for url '{URL}'"),
        (600, f"Invalid status code '600 ' for url '{URL}'"),
    ],
)
def test_4_raise_for_status_message_per_class(
    httpx: ModuleType, code: int, first_line: str
) -> None:
    request = httpx.Request("GET", URL)
    response = httpx.Response(code, request=request)
    with pytest.raises(httpx.HTTPStatusError) as error:
        response.raise_for_status()
    assert str(error.value) == f"{first_line}\n{MDN}{code}"
    assert error.value.request is request and error.value.response is response


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_4_raise_for_status_redirect_location_line(httpx: ModuleType, code: int) -> None:
    response = httpx.Response(
        code, headers={"Location": "/next"}, request=httpx.Request("GET", URL)
    )
    with pytest.raises(httpx.HTTPStatusError) as error:
        response.raise_for_status()
    reason = httpx.codes.get_reason_phrase(code)
    assert str(error.value) == (
        f"Redirect response '{code} {reason}' for url '{URL}'\n"
        f"Redirect location: '/next'\n"
        f"{MDN}{code}"
    )


def test_4_raise_for_status_redirect_without_location_no_line(httpx: ModuleType) -> None:
    response = httpx.Response(301, request=httpx.Request("GET", URL))
    with pytest.raises(httpx.HTTPStatusError) as error:
        response.raise_for_status()
    assert str(error.value) == (
        f"Redirect response '301 Moved Permanently' for url '{URL}'\n{MDN}301"
    )
