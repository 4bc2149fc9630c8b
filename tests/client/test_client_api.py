"""The top-level functions (`request`, `stream`, `get`, ... `patch`) against a loopback server,
run with faststream and with httpx 0.28.1: same signatures, same requests on the wire (except
User-Agent), same results.

These run with the sync client only (no `client_mode`): httpx has no async top-level
functions. The signatures of `AsyncClient` and its methods are checked against httpx's here.
"""

from __future__ import annotations

import inspect
import typing
from types import ModuleType

import httpx as real_httpx
import pytest

from tests.client._helpers import FASTSTREAM, HTTPX
from tests.servers.app import AppServer
from tests.servers.proxy import ProxyServer

FUNCTIONS = ["request", "stream", "get", "options", "head", "delete", "post", "put", "patch"]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_signatures_match_httpx(name: str) -> None:
    ours = inspect.signature(getattr(FASTSTREAM, name))
    theirs = inspect.signature(getattr(real_httpx, name))
    assert list(ours.parameters) == list(theirs.parameters)
    for key, parameter in ours.parameters.items():
        other = theirs.parameters[key]
        assert parameter.kind == other.kind
        assert repr(parameter.default) == repr(other.default)


@pytest.mark.parametrize("name", ["request", "stream", "send", "build_request", "get", "post"])
def test_client_method_signatures_match_httpx(name: str) -> None:
    ours = inspect.signature(getattr(FASTSTREAM.Client, name))
    theirs = inspect.signature(getattr(real_httpx.Client, name))
    assert list(ours.parameters) == list(theirs.parameters)


def _default(parameter: inspect.Parameter) -> str:
    """The default's repr; a sentinel (USE_CLIENT_DEFAULT) by its class name."""
    text = repr(parameter.default)
    return type(parameter.default).__name__ if " object at 0x" in text else text


ASYNC_METHODS = [
    "request",
    "stream",
    "send",
    "build_request",
    "get",
    "options",
    "head",
    "delete",
    "post",
    "put",
    "patch",
    "aclose",
    "__aenter__",
    "__aexit__",
]


@pytest.mark.parametrize("name", ASYNC_METHODS)
def test_async_client_method_signatures_match_httpx(name: str) -> None:
    ours_method = getattr(FASTSTREAM.AsyncClient, name)
    theirs_method = getattr(real_httpx.AsyncClient, name)
    ours, theirs = inspect.signature(ours_method), inspect.signature(theirs_method)
    assert list(ours.parameters) == list(theirs.parameters)
    for key, parameter in ours.parameters.items():
        assert parameter.kind == theirs.parameters[key].kind
        assert _default(parameter) == _default(theirs.parameters[key]), key
    # Coroutine functions where httpx has them; stream() is an async context manager.
    assert inspect.iscoroutinefunction(ours_method) == inspect.iscoroutinefunction(theirs_method)


# faststream's constructor keywords beyond httpx's (the size caps), after them, default None
CONSTRUCTOR_ADDITIONS = ["max_response_bytes", "max_decoded_bytes", "max_line_length"]


@pytest.mark.parametrize("client", ["Client", "AsyncClient"])
def test_client_constructor_signature_matches_httpx(client: str) -> None:
    ours = inspect.signature(getattr(FASTSTREAM, client))
    theirs = inspect.signature(getattr(real_httpx, client))
    assert list(ours.parameters) == list(theirs.parameters) + CONSTRUCTOR_ADDITIONS
    for key, parameter in ours.parameters.items():
        if key in CONSTRUCTOR_ADDITIONS:
            assert parameter.default is None
            assert parameter.kind is inspect.Parameter.KEYWORD_ONLY
        else:
            assert repr(parameter.default) == repr(theirs.parameters[key].default), key


def echoed(response: typing.Any) -> dict[str, typing.Any]:
    data = response.json()
    data["headers"] = [h for h in data["headers"] if h[0].lower() != "user-agent"]
    data.pop("connection")
    return {"status": response.status_code, "echo": data}


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("get", {"params": {"a": "1"}, "headers": {"X-A": "b"}}),
        ("options", {}),
        ("delete", {"cookies": {"c": "1"}}),
        ("post", {"json": {"k": [1, 2]}}),
        ("put", {"content": b"raw bytes"}),
        ("patch", {"data": {"f": "v"}}),
        ("get", {"auth": ("user", "pass")}),
        ("post", {"content": "text", "timeout": 3.0}),
    ],
)
def test_shortcuts(app_server: AppServer, name: str, kwargs: dict[str, typing.Any]) -> None:
    results = [
        echoed(getattr(lib, name)(app_server.url + "/echo", **kwargs))
        for lib in (FASTSTREAM, HTTPX)
    ]
    assert results[0] == results[1]


@pytest.mark.timeout(30)
def test_head(httpx: ModuleType, app_server: AppServer) -> None:
    response = httpx.head(app_server.url + "/bytes/10")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["Content-Length"] == "10"


@pytest.mark.timeout(30)
def test_request_follow_redirects(httpx: ModuleType, app_server: AppServer) -> None:
    response = httpx.request("GET", app_server.url + "/redirect/2", follow_redirects=True)
    assert response.json()["path"] == "/redirect/0"
    assert len(response.history) == 2
    assert httpx.get(app_server.url + "/redirect/2").status_code == 302


@pytest.mark.timeout(30)
def test_stream_closes_response_and_client(httpx: ModuleType, app_server: AppServer) -> None:
    with httpx.stream("GET", app_server.url + "/bytes/100000") as response:
        assert not response.is_stream_consumed
        first = next(response.iter_bytes(1000))
    assert first == bytes(range(256)) * 3 + bytes(range(232))
    assert response.is_closed


@pytest.mark.timeout(30)
def test_proxy_argument(
    httpx: ModuleType, app_server: AppServer, proxy_server: ProxyServer
) -> None:
    response = httpx.get(app_server.url + "/echo", proxy=proxy_server.url)
    assert response.status_code == 200
    assert len(proxy_server.seen) == 1


@pytest.mark.timeout(30)
def test_cookies_argument_does_not_warn(httpx: ModuleType, app_server: AppServer) -> None:
    # Cookies go to the throw-away client: no per-request deprecation warning.
    response = httpx.get(app_server.url + "/cookies", cookies={"a": "b"})
    assert response.json() == {"cookies": {"a": "b"}}


@pytest.mark.timeout(30)
def test_connect_error(httpx: ModuleType, closed_port: int) -> None:
    with pytest.raises(httpx.ConnectError) as info:
        httpx.get(f"http://127.0.0.1:{closed_port}/")
    assert info.value.request.url == httpx.URL(f"http://127.0.0.1:{closed_port}/")
