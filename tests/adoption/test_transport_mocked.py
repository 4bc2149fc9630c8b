"""httpx code that sends through faststream's transport, under respx and pytest-httpx.

`httpx.Client(transport=faststream.HTTPXTransport())` is mocked as `httpx.Client()` is: routes
match, `route.call_count` counts, compressed mocked bodies are decoded by httpx, and an
unmatched request fails as the double says -- it never opens a socket (`no_connect`).
"""

from __future__ import annotations

import gzip
import socket
import typing

import httpx
import pytest
import respx
from pytest_httpx import HTTPXMock

import faststream

URL = "http://api.example.test"


class NetworkUsed(AssertionError):
    """A socket was asked to connect while every request should have been intercepted."""


@pytest.fixture
def no_connect(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(sock: socket.socket, address: typing.Any) -> typing.NoReturn:
        raise NetworkUsed(f"a mocked test opened a connection to {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)


@pytest.mark.usefixtures("no_connect")
@pytest.mark.parametrize("using", ["httpcore", "httpx"])
def test_respx_routes_answer_and_unmatched_fails(using: str) -> None:
    body = gzip.compress(b"zipped body")
    with respx.mock(using=using) as router:
        route = router.get(f"{URL}/x").mock(
            return_value=httpx.Response(200, content=body, headers={"Content-Encoding": "gzip"})
        )
        with httpx.Client(transport=faststream.HTTPXTransport()) as client:
            response = client.get(f"{URL}/x")
            with pytest.raises(respx.models.AllMockedAssertionError):
                client.get(f"{URL}/unmatched")
    assert response.content == b"zipped body"
    assert route.call_count == 1


@pytest.mark.usefixtures("no_connect")
def test_respx_async(backend: str) -> None:
    from tests.client._backends import run_on

    async def main() -> bytes:
        async with httpx.AsyncClient(transport=faststream.AsyncHTTPXTransport()) as client:
            return (await client.post(f"{URL}/y", content=b"up")).content

    with respx.mock as router:
        route = router.post(f"{URL}/y").mock(return_value=httpx.Response(201, content=b"made"))
        assert run_on(backend, main) == b"made"
    assert route.calls.last.request.content == b"up"


@pytest.mark.usefixtures("no_connect")
@pytest.mark.httpx_mock(assert_all_requests_were_expected=False)  # the unmatched one is on purpose
def test_pytest_httpx(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{URL}/json", json={"a": [1]}, status_code=201)
    with httpx.Client(transport=faststream.HTTPXTransport()) as client:
        response = client.get(f"{URL}/json")
        with pytest.raises(httpx.TimeoutException):
            client.get(f"{URL}/unmatched")
    assert (response.status_code, response.json()) == (201, {"a": [1]})
    assert [request.url.path for request in httpx_mock.get_requests()] == ["/json", "/unmatched"]


@pytest.fixture(params=["asyncio", "trio"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)
