"""pytest-httpx's documented scenarios, run with `import faststream as httpx` and with httpx.

faststream's pytest plugin routes faststream's transports through the test's `httpx_mock`
fixture while it is alive, so every scenario behaves the same for both libraries and every
client kind (`Client`; `AsyncClient` on asyncio, uvloop and trio).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import typing
from pathlib import Path

import httpx as real_httpx
import pytest
from pytest_httpx import HTTPXMock, IteratorStream

from tests.client._async_adapter import Mode
from tests.client._helpers import Lib
from tests.servers.app import AppServer

pytestmark = pytest.mark.usefixtures("client_mode")

URL = "https://api.example.test"


def test_add_response_any_request(lib: Lib, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response()
    with lib.Client() as client:
        response = client.get(f"{URL}/whatever")
    assert response.status_code == 200
    assert response.content == b""


def test_add_response_bodies_and_headers(lib: Lib, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{URL}/json", json={"a": [1]}, status_code=201)
    httpx_mock.add_response(url=f"{URL}/text", text="héllo", headers={"X-Custom": "1"})
    httpx_mock.add_response(url=f"{URL}/html", html="<p>x</p>")
    httpx_mock.add_response(url=f"{URL}/http10", http_version="HTTP/1.0", content=b"raw")
    httpx_mock.add_response(url=f"{URL}/stream", stream=IteratorStream([b"a\n", b"b\nc"]))
    with lib.Client() as client:
        response = client.get(f"{URL}/json")
        assert (response.status_code, response.json()) == (201, {"a": [1]})
        response = client.get(f"{URL}/text")
        assert response.text == "héllo"
        assert response.headers["x-custom"] == "1"
        assert client.get(f"{URL}/html").headers["content-type"] == "text/html; charset=utf-8"
        response = client.get(f"{URL}/http10")
        assert (response.http_version, response.content) == ("HTTP/1.0", b"raw")
        with client.stream("GET", f"{URL}/stream") as response:
            assert list(response.iter_lines()) == ["a", "b", "c"]


def test_matchers(lib: Lib, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="PUT", url=f"{URL}/m", text="method")
    httpx_mock.add_response(url=f"{URL}/p", match_params={"q": ["1", "2"]}, text="params")
    httpx_mock.add_response(url=re.compile(r".*/re/\d+$"), text="regex")
    httpx_mock.add_response(match_headers={"Authorization": "Bearer t"}, text="headers")
    httpx_mock.add_response(url=f"{URL}/c", match_content=b"exact", text="content")
    httpx_mock.add_response(url=f"{URL}/j", match_json={"k": "v"}, text="json")
    with lib.Client() as client:
        assert client.put(f"{URL}/m").text == "method"
        assert client.get(f"{URL}/p", params=[("q", "1"), ("q", "2")]).text == "params"
        assert client.get(f"{URL}/re/42").text == "regex"
        assert client.get(f"{URL}/h", headers={"Authorization": "Bearer t"}).text == "headers"
        assert client.post(f"{URL}/c", content=b"exact").text == "content"
        assert client.post(f"{URL}/j", json={"k": "v"}).text == "json"


def test_responses_in_order_then_reusable(lib: Lib, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=URL, status_code=500)
    httpx_mock.add_response(url=URL, status_code=200, is_reusable=True)
    with lib.Client() as client:
        assert [client.get(URL).status_code for _ in range(4)] == [500, 200, 200, 200]


def test_add_callback(lib: Lib, httpx_mock: HTTPXMock) -> None:
    def echo(request: real_httpx.Request) -> real_httpx.Response:
        return real_httpx.Response(200, json={"got": json.loads(request.content)})

    def own(request: real_httpx.Request) -> typing.Any:
        return lib.Response(202, text=request.headers["x-id"])

    httpx_mock.add_callback(echo, url=f"{URL}/echo")
    httpx_mock.add_callback(own, url=f"{URL}/own")
    with lib.Client() as client:
        assert client.post(f"{URL}/echo", json=[1, 2]).json() == {"got": [1, 2]}
        response = client.get(f"{URL}/own", headers={"X-Id": "7"})
        assert (response.status_code, response.text) == (202, "7")


def test_async_callback(lib: Lib, httpx_mock: HTTPXMock) -> None:
    if Mode.current == "sync":
        pytest.skip("pytest-httpx awaits an async callback only for an async client")

    async def later(request: real_httpx.Request) -> real_httpx.Response:
        return real_httpx.Response(200, text="awaited")

    httpx_mock.add_callback(later)
    with lib.Client() as client:
        assert client.get(URL).text == "awaited"


@pytest.mark.parametrize("kind", ["httpx", "library"])
def test_add_exception(lib: Lib, httpx_mock: HTTPXMock, kind: str) -> None:
    module: typing.Any = real_httpx if kind == "httpx" else lib
    httpx_mock.add_exception(module.ReadTimeout("Unable to read within timeout"))
    with lib.Client() as client:
        with pytest.raises(lib.ReadTimeout, match="Unable to read within timeout") as info:
            client.get(URL)
    assert str(info.value.request.url) == URL


def test_add_exception_other(lib: Lib, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_exception(ValueError("not an HTTP error"))
    with lib.Client() as client:
        with pytest.raises(ValueError, match="not an HTTP error"):
            client.get(URL)


def test_get_requests(lib: Lib, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(is_reusable=True)
    with lib.Client(headers={"X-Client": "c"}) as client:
        client.get(f"{URL}/a")
        client.post(f"{URL}/b", content=b"body")
    requests = httpx_mock.get_requests()
    assert [(r.method, str(r.url)) for r in requests] == [
        ("GET", f"{URL}/a"),
        ("POST", f"{URL}/b"),
    ]
    assert requests[0].headers["x-client"] == "c"
    post = httpx_mock.get_request(method="POST")
    assert post is not None and post.content == b"body"
    assert httpx_mock.get_request(url=f"{URL}/none") is None


def test_redirect_followed_through_the_mock(lib: Lib, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{URL}/old", status_code=302, headers={"Location": "/new"})
    httpx_mock.add_response(url=f"{URL}/new", text="new")
    with lib.Client(follow_redirects=True) as client:
        response = client.get(f"{URL}/old")
    assert response.text == "new"
    assert str(response.url) == f"{URL}/new"


@pytest.mark.httpx_mock(assert_all_requests_were_expected=False)
def test_unmatched_request_never_reaches_the_network(
    lib: Lib, httpx_mock: HTTPXMock, app_server: AppServer, no_connect: list[object]
) -> None:
    httpx_mock.add_response(url=f"{app_server.url}/other", is_optional=True)
    with lib.Client() as client:
        with pytest.raises(lib.TimeoutException, match="No response can be found for GET"):
            client.get(f"{app_server.url}/echo")
    assert no_connect == []
    assert app_server.connections_accepted == 0


@pytest.mark.httpx_mock(should_mock=lambda request: request.url.host != "127.0.0.1")
def test_should_mock_passes_through(lib: Lib, httpx_mock: HTTPXMock, app_server: AppServer) -> None:
    httpx_mock.add_response(url=URL, text="mocked")
    with lib.Client() as client:
        assert client.get(URL).text == "mocked"
        assert client.get(f"{app_server.url}/bytes/4").content == bytes(range(4))
    assert app_server.connections_accepted == 1


@pytest.mark.httpx_mock(assert_all_responses_were_requested=False)
def test_optional_responses(lib: Lib, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{URL}/never")
    httpx_mock.add_response(url=URL, text="used")
    with lib.Client() as client:
        assert client.get(URL).text == "used"


_TEARDOWN_TESTS = """
import faststream as httpx
import pytest

def test_response_never_requested(httpx_mock):
    httpx_mock.add_response(url="https://example.test/unused")

def test_request_not_expected(httpx_mock):
    with httpx.Client() as client:
        with pytest.raises(httpx.TimeoutException):
            client.get("https://example.test/unexpected")

def test_all_used(httpx_mock):
    httpx_mock.add_response(url="https://example.test/used")
    with httpx.Client() as client:
        assert client.get("https://example.test/used").status_code == 200
"""


def test_teardown_assertions(tmp_path: Path, client_mode: str) -> None:
    if client_mode != "sync":
        pytest.skip("runs its own pytest session with faststream's sync Client once")
    (tmp_path / "test_teardown.py").write_text(textwrap.dedent(_TEARDOWN_TESTS))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    # each test passes; the first two then fail at teardown
    assert "3 passed, 2 errors" in output, output
    assert "The following responses are mocked but not requested" in output
    assert "https://example.test/unused" in output
    assert "The following requests were not expected" in output
    assert "GET request on https://example.test/unexpected" in output
