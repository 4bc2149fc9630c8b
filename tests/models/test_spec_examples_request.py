"""SPEC-httpx §4 `Request(...)` and `MockTransport(handler)` (with custom streams and custom
transports) as executable examples, against faststream and httpx 0.28.1 (see
test_spec_examples for the scheme). There is no Client yet: transports are called directly
(`transport.handle_request(request)`). 25 statements checked.
"""

from __future__ import annotations

import asyncio
import gc
import warnings
from collections.abc import AsyncIterator, Iterator
from types import ModuleType
from typing import Any

import pytest

from tests.models._spec_helpers import alist, raises, run

URL = "https://example.org:8443/path?a=1"


def gen(*pieces: bytes) -> Iterator[bytes]:
    yield from pieces


async def agen(*pieces: bytes) -> AsyncIterator[bytes]:
    for piece in pieces:
        yield piece


# ---------------------------------------------------------------------------------------------
# Request


def test_4_request_method_upper_cased(httpx: ModuleType) -> None:
    assert httpx.Request("get", URL).method == "GET"
    assert httpx.Request("pAtCh", URL).method == "PATCH"


def test_4_request_url_str_or_url(httpx: ModuleType) -> None:
    from_str = httpx.Request("GET", URL)
    from_url = httpx.Request("GET", httpx.URL(URL))
    assert isinstance(from_str.url, httpx.URL)
    assert from_str.url == from_url.url == httpx.URL(URL)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, "https://example.org:8443/path"),
        ({"b": "2"}, "https://example.org:8443/path?b=2"),
        ([("c", "3"), ("c", "4")], "https://example.org:8443/path?c=3&c=4"),
        (None, URL),
    ],
)
def test_4_request_params_even_empty_replace_query(
    httpx: ModuleType, params: Any, expected: str
) -> None:
    assert str(httpx.Request("GET", URL, params=params).url) == expected


@pytest.mark.parametrize("data", [b"raw", "raw"])
def test_4_request_data_not_mapping_is_content_with_deprecation_warning(
    httpx: ModuleType, data: bytes | str
) -> None:
    with pytest.warns(DeprecationWarning, match="Use 'content=<...>'"):
        request = httpx.Request("POST", URL, data=data)
    assert request.content == b"raw"
    assert request.headers["Content-Length"] == "3"


def test_4_request_precedence_content_files_data_json(httpx: ModuleType) -> None:
    everything: dict[str, Any] = {
        "content": b"c",
        "files": {"up": b"file"},
        "data": {"d": "1"},
        "json": {"j": 1},
    }
    assert httpx.Request("POST", URL, **everything).content == b"c"
    del everything["content"]
    multipart = httpx.Request("POST", URL, **everything)
    assert multipart.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    body = multipart.read()
    assert b'name="d"\r\n\r\n1\r\n' in body and b'name="up"' in body and b'"j"' not in body
    del everything["files"]
    assert httpx.Request("POST", URL, **everything).content == b"d=1"
    del everything["data"]
    assert httpx.Request("POST", URL, **everything).content == b'{"j":1}'
    assert httpx.Request("POST", URL).content == b""


def test_4_request_files_multipart_with_data_fields(httpx: ModuleType) -> None:
    request = httpx.Request(
        "POST", URL, data={"field": "value"}, files={"up": ("a.txt", b"xyz", "text/plain")}
    )
    content_type = request.headers["Content-Type"]
    boundary = content_type.removeprefix("multipart/form-data; boundary=").encode()
    assert boundary and boundary != content_type.encode()
    body = request.read()
    assert body == (
        b"--" + boundary + b"\r\n"
        b'Content-Disposition: form-data; name="field"\r\n\r\nvalue\r\n'
        b"--" + boundary + b"\r\n"
        b'Content-Disposition: form-data; name="up"; filename="a.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\nxyz\r\n"
        b"--" + boundary + b"--\r\n"
    )
    assert request.headers["Content-Length"] == str(len(body))


def test_4_request_data_urlencoded_lists_repeated_bool_none(httpx: ModuleType) -> None:
    data = {"a": ["1", "2"], "t": True, "f": False, "n": None, "i": 3, "s": "x y&z"}
    request = httpx.Request("POST", URL, data=data)
    assert request.content == b"a=1&a=2&t=true&f=false&n=&i=3&s=x+y%26z"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"


def test_4_request_json_compact_utf8(httpx: ModuleType) -> None:
    request = httpx.Request("POST", URL, json={"a": "é", "b": [1, 2]})
    assert request.content == b'{"a":"\xc3\xa9","b":[1,2]}'
    assert request.headers["Content-Type"] == "application/json"


def test_4_request_host_header_first(httpx: ModuleType) -> None:
    request = httpx.Request("POST", URL, headers={"X-A": "1"}, json={"a": 1})
    assert request.headers.raw == [
        (b"Host", b"example.org:8443"),
        (b"X-A", b"1"),
        (b"Content-Length", b"7"),
        (b"Content-Type", b"application/json"),
    ]
    assert httpx.Request("GET", "https://example.org/").headers.raw == [(b"Host", b"example.org")]


def test_4_request_content_length_or_transfer_encoding_as_responses(httpx: ModuleType) -> None:
    assert httpx.Request("PUT", URL, content=b"abc").headers["Content-Length"] == "3"
    assert httpx.Request("PUT", URL, content="€").headers["Content-Length"] == "3"
    streaming = httpx.Request("PUT", URL, content=gen(b"abc"))
    assert streaming.headers["Transfer-Encoding"] == "chunked"
    assert "Content-Length" not in streaming.headers
    fixed = httpx.Request("PUT", URL, headers={"Content-Length": "3"}, content=gen(b"abc"))
    assert "Transfer-Encoding" not in fixed.headers


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
def test_4_request_content_length_0_for_bodyless_post_put_patch(
    httpx: ModuleType, method: str
) -> None:
    raw = httpx.Request(method, "https://example.org/").headers.raw
    if method in ("POST", "PUT", "PATCH"):
        assert raw == [(b"Host", b"example.org"), (b"Content-Length", b"0")]
    else:
        assert raw == [(b"Host", b"example.org")]


def test_4_request_in_memory_body_read_at_construction(httpx: ModuleType) -> None:
    request = httpx.Request("POST", URL, content=b"abc")
    assert request.content == b"abc"
    assert request.read() == b"abc"
    assert run(request.aread()) == b"abc"


def test_4_request_iterator_body_request_not_read_until_read(httpx: ModuleType) -> None:
    request = httpx.Request("POST", URL, content=gen(b"ab", b"cd"))
    assert raises(lambda: request.content) == "RequestNotRead"
    assert request.read() == b"abcd" == request.content


def test_4_request_async_iterator_body_request_not_read_until_aread(httpx: ModuleType) -> None:
    request = httpx.Request("POST", URL, content=agen(b"ab", b"cd"))
    assert raises(lambda: request.content) == "RequestNotRead"
    assert run(request.aread()) == b"abcd" == request.content


def test_4_request_multipart_body_request_not_read_until_read(httpx: ModuleType) -> None:
    request = httpx.Request("POST", URL, files={"up": b"xyz"})
    assert raises(lambda: request.content) == "RequestNotRead"
    assert b"xyz" in request.read()
    assert b"xyz" in request.content


def test_4_request_generator_body_single_use(httpx: ModuleType) -> None:
    request = httpx.Request("POST", URL, content=gen(b"ab", b"cd"))
    assert list(request.stream) == [b"ab", b"cd"]
    with pytest.raises(httpx.StreamConsumed):
        list(request.stream)  # what a redirect/auth retry re-sending it meets


# ---------------------------------------------------------------------------------------------
# MockTransport, custom streams, custom transports


def test_4_mock_transport_is_sync_and_async_transport(httpx: ModuleType) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200))
    assert isinstance(transport, httpx.BaseTransport)
    assert isinstance(transport, httpx.AsyncBaseTransport)


def test_4_mock_transport_reads_request_body_first(httpx: ModuleType) -> None:
    seen: list[bytes] = []

    def handler(request: Any) -> Any:
        seen.append(request.content)  # would raise RequestNotRead if it were not read
        return httpx.Response(200, content=b"ok")

    transport = httpx.MockTransport(handler)
    request = httpx.Request("POST", URL, content=gen(b"ab", b"cd"))
    response = transport.handle_request(request)
    assert seen == [b"abcd"]
    assert response.content == b"ok"


def test_4_mock_transport_returns_handler_response(httpx: ModuleType) -> None:
    made: list[Any] = []

    def handler(request: Any) -> Any:
        made.append(httpx.Response(201, json={"url": str(request.url)}))
        return made[-1]

    response = httpx.MockTransport(handler).handle_request(httpx.Request("GET", URL))
    assert response is made[0]
    assert response.json() == {"url": URL}


def test_4_mock_transport_async_handler(httpx: ModuleType) -> None:
    async def handler(request: Any) -> Any:
        await asyncio.sleep(0)
        return httpx.Response(200, content=request.content[::-1])

    transport = httpx.MockTransport(handler)
    request = httpx.Request("POST", URL, content=agen(b"ab", b"cd"))
    response = run(transport.handle_async_request(request))
    assert response.content == b"dcba"
    # a plain handler works through the async entry point too
    plain = httpx.MockTransport(lambda request: httpx.Response(204))
    assert run(plain.handle_async_request(httpx.Request("GET", URL))).status_code == 204


def test_4_mock_transport_coroutine_in_sync_type_error(httpx: ModuleType) -> None:
    async def handler(request: Any) -> Any:
        return httpx.Response(200)

    transport = httpx.MockTransport(handler)
    message = None
    with warnings.catch_warnings():
        # httpx leaves the handler's coroutine un-awaited: Python's "was never awaited"
        # warning when it is collected is expected here, not a failure of this check
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            transport.handle_request(httpx.Request("GET", URL))
        except TypeError as exc:
            message = str(exc)
        gc.collect()
    assert message == "Cannot use an async handler in a sync Client"


def test_4_custom_sync_stream_iter_and_optional_close(httpx: ModuleType) -> None:
    base: Any = httpx.SyncByteStream

    class NoClose(base):  # type: ignore[misc]
        def __iter__(self) -> Iterator[bytes]:
            yield b"a"
            yield b"b"

    response = httpx.Response(200, stream=NoClose())
    assert list(response.iter_bytes()) == [b"a", b"b"]
    assert response.is_closed  # the base class's close() did nothing, and did not fail


def test_4_custom_async_stream_aiter_and_optional_aclose(httpx: ModuleType) -> None:
    base: Any = httpx.AsyncByteStream

    class NoAclose(base):  # type: ignore[misc]
        async def __aiter__(self) -> AsyncIterator[bytes]:
            yield b"a"
            yield b"b"

    response = httpx.Response(200, stream=NoAclose())
    assert run(alist(response.aiter_bytes())) == [b"a", b"b"]
    assert response.is_closed


def test_4_custom_transport_handle_request_close_context_manager(httpx: ModuleType) -> None:
    base: Any = httpx.BaseTransport

    class Echo(base):  # type: ignore[misc]
        closes = 0

        def handle_request(self, request: Any) -> Any:
            return httpx.Response(200, content=request.method.encode())

        def close(self) -> None:
            self.closes += 1

    with Echo() as transport:
        assert transport.handle_request(httpx.Request("PUT", URL)).content == b"PUT"
        assert transport.closes == 0
    assert isinstance(transport, Echo) and transport.closes == 1
    httpx.BaseTransport().close()  # the base close() exists and does nothing


def test_4_custom_async_transport_handle_async_request_aclose(httpx: ModuleType) -> None:
    base: Any = httpx.AsyncBaseTransport

    class AEcho(base):  # type: ignore[misc]
        closes = 0

        async def handle_async_request(self, request: Any) -> Any:
            return httpx.Response(200, content=request.method.encode())

        async def aclose(self) -> None:
            self.closes += 1

    async def scenario() -> tuple[bytes, int, int]:
        async with AEcho() as transport:
            body = (await transport.handle_async_request(httpx.Request("GET", URL))).content
            before = transport.closes
        return body, before, transport.closes

    assert run(scenario()) == (b"GET", 0, 1)
    run(httpx.AsyncBaseTransport().aclose())  # the base aclose() exists and does nothing
