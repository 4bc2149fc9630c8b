"""`Client` options and request merging, differential against httpx 0.28.1.

Every test runs with `Client` and with `AsyncClient` (`client_mode`, tests/client/conftest.py)
through both libraries (`lib`, or `differential` / `observe` of tests/client/_helpers.py).
"""

from __future__ import annotations

import asyncio
import ssl
import sys
import typing

import pytest
import sniffio

from tests.client._helpers import FASTSTREAM, HTTPX, Handler, Lib, differential, observe
from tests.servers.app import AppServer
from tests.servers.proxy import ProxyServer

pytestmark = pytest.mark.usefixtures("client_mode")


def ok(lib: Lib, request: typing.Any) -> typing.Any:
    return lib.Response(200, text="ok")


def echo(lib: Lib, request: typing.Any) -> typing.Any:
    """200 with the request's body; a Set-Cookie when the query asks for one."""
    headers = []
    if "set" in request.url.params:
        headers.append(("Set-Cookie", request.url.params["set"]))
    return lib.Response(200, headers=headers, content=request.content)


# --- defaults ------------------------------------------------------------------------------


def test_default_headers(lib: Lib) -> None:
    client = lib.Client()
    assert dict(client.headers) == {
        "accept": "*/*",
        "accept-encoding": "gzip, deflate, br, zstd",
        "connection": "keep-alive",
        "user-agent": lib.user_agent,  # deviation: python-faststream/<version>
    }
    client.close()


def test_the_mode_picks_the_client_class(lib: Lib, client_mode: str) -> None:
    seen = []

    def handler(request: typing.Any) -> typing.Any:
        seen.append(request)
        return lib.Response(200)

    class Probe(lib.MockTransport):  # type: ignore[misc,name-defined]
        def handle_request(self, request: typing.Any) -> typing.Any:
            seen.append("sync")
            return super().handle_request(request)

        async def handle_async_request(self, request: typing.Any) -> typing.Any:
            backend = sniffio.current_async_library()
            if backend == "asyncio" and type(asyncio.get_running_loop()).__module__ == "uvloop":
                backend = "uvloop"
            seen.append(backend)
            return await super().handle_async_request(request)

    with lib.Client(transport=Probe(handler)) as client:
        client.get("http://example.org/")
        underlying = getattr(client, "_client", client)
    expected = "Client" if client_mode == "sync" else "AsyncClient"
    assert type(underlying).__name__ == expected
    assert type(underlying).__module__.split(".")[0] == lib.name
    assert seen[0] == client_mode  # the event loop the scenario's AsyncClient ran on


def test_faststream_user_agent() -> None:
    client = FASTSTREAM.Client()
    assert client.headers["User-Agent"] == f"python-faststream/{FASTSTREAM.__version__}"
    client.close()


def test_defaults(lib: Lib) -> None:
    client = lib.Client()
    assert client.timeout == lib.Timeout(5.0)
    assert client.follow_redirects is False
    assert client.max_redirects == 20
    assert client.auth is None
    assert client.base_url == lib.URL("")
    assert client.params == lib.QueryParams()
    assert len(client.cookies) == 0
    assert client.trust_env is True
    assert client.event_hooks == {"request": [], "response": []}
    assert client.is_closed is False
    client.close()
    assert client.is_closed is True


def test_sent_headers_and_order() -> None:
    seen = differential(ok, lambda c: c.get("http://example.org/path"))
    assert seen["sent"][0]["headers"] == [
        (b"Host", b"example.org"),
        (b"Accept", b"*/*"),
        (b"Accept-Encoding", b"gzip, deflate, br, zstd"),
        (b"Connection", b"keep-alive"),
    ]


# --- merging -------------------------------------------------------------------------------

BASE_URLS = [
    ("http://example.org/api", "/items"),
    ("http://example.org/api/", "items"),
    ("http://example.org/api", ""),
    ("http://example.org", "/a/b?x=1"),
    ("http://example.org/api", "?only=query"),
    ("http://example.org/api", "https://other.example/abs"),
    ("http://example.org/api?k=v", "/items"),
    ("http://example.org/a%20b", "c d"),
]


@pytest.mark.parametrize(("base_url", "url"), BASE_URLS)
def test_base_url_merging(base_url: str, url: str) -> None:
    differential(ok, lambda c: c.get(url), base_url=base_url)


def test_base_url_property(lib: Lib) -> None:
    client = lib.Client(base_url="https://example.org/api")
    assert client.base_url == lib.URL("https://example.org/api/")
    client.base_url = "http://other.example"
    assert str(client.base_url) == "http://other.example"  # raw_path is "/" already
    client.base_url = "http://other.example/v1"
    assert str(client.base_url) == "http://other.example/v1/"
    client.close()


PARAMS: list[tuple[typing.Any, str, typing.Any]] = [
    (None, "http://example.org/?a=1", None),
    (None, "http://example.org/?a=1", {"b": "2"}),
    (None, "http://example.org/?a=1", {}),
    ({"c": "3"}, "http://example.org/?a=1", None),
    ({"c": "3"}, "http://example.org/?a=1", {"b": "2"}),
    ({"c": "3"}, "http://example.org/", {"c": "4"}),
    ([("x", "1"), ("x", "2")], "http://example.org/", [("y", 1), ("y", 2.5), ("z", None)]),
    ({"c": "3"}, "http://example.org/", "d=5&e=6"),
    (None, "http://example.org/", {"t": True, "f": False}),
]


@pytest.mark.parametrize(("client_params", "url", "params"), PARAMS)
def test_params_merging(client_params: typing.Any, url: str, params: typing.Any) -> None:
    differential(ok, lambda c: c.get(url, params=params), params=client_params)


HEADERS: list[tuple[typing.Any, typing.Any]] = [
    ({"Accept": "application/json"}, None),
    ({"X-Client": "1"}, {"X-Request": "2"}),
    ({"X-Both": "client"}, {"x-both": "request"}),
    ([("X-Multi", "a"), ("X-Multi", "b")], None),
    (None, [("X-Multi", "a"), ("X-Multi", "b")]),
    ({"User-Agent": "custom"}, None),
    (None, {"Accept-Encoding": "identity", "Connection": "close"}),
    ({b"X-Bytes": b"v"}, {b"Host": b"override.example"}),
]


@pytest.mark.parametrize(("client_headers", "headers"), HEADERS)
def test_headers_merging(client_headers: typing.Any, headers: typing.Any) -> None:
    seen = differential(
        ok, lambda c: c.get("http://example.org/", headers=headers), headers=client_headers
    )
    assert seen["result"]["status"] == 200


def test_custom_user_agent_is_sent(lib: Lib) -> None:
    agents = []

    def handler(request: typing.Any) -> typing.Any:
        agents.append(request.headers["User-Agent"])
        return lib.Response(200)

    with lib.Client(transport=lib.MockTransport(handler), headers={"User-Agent": "x/1"}) as c:
        c.get("http://example.org/")
        c.get("http://example.org/", headers={"user-agent": "y/2"})
    assert agents == ["x/1", "y/2"]


def test_headers_property_setter(lib: Lib) -> None:
    client = lib.Client(headers={"X-A": "1"})
    client.headers = {"X-B": "2"}
    assert "x-a" not in client.headers
    assert client.headers["x-b"] == "2"
    assert client.headers["accept"] == "*/*"
    client.close()


def test_client_cookies_sent_and_updated() -> None:
    def action(client: typing.Any) -> typing.Any:
        client.get("http://example.org/?set=session=abc; Path=/")
        client.get("http://example.org/?set=other=1; Domain=example.org; Path=/sub")
        client.get("http://other.example/")
        return client.get("http://example.org/sub/page")

    seen = differential(echo, action, cookies={"preset": "yes"})
    assert ("session", "abc", "example.org", "/") in seen["cookies"]


def test_per_request_cookies_are_deprecated() -> None:
    seen = differential(
        echo, lambda c: c.get("http://example.org/", cookies={"a": "b"}), cookies={"c": "d"}
    )
    assert seen["warnings"][0][0] == "DeprecationWarning"
    assert seen["sent"][0]["headers"][-1] == (b"Cookie", b"c=d; a=b")


def test_stream_and_build_request_do_not_warn_for_cookies() -> None:
    def action(client: typing.Any) -> typing.Any:
        client.build_request("GET", "http://example.org/", cookies={"a": "b"})
        with client.stream("GET", "http://example.org/", cookies={"a": "b"}) as response:
            response.read()
        return response

    seen = differential(echo, action)
    assert seen["warnings"] == []


def test_cookies_property(lib: Lib) -> None:
    client = lib.Client(cookies={"a": "1"})
    client.cookies = {"b": "2"}
    assert dict(client.cookies) == {"b": "2"}
    assert isinstance(client.cookies, lib.Cookies)
    client.close()


TIMEOUTS: list[tuple[typing.Any, typing.Any, typing.Any]] = [
    (5.0, "default", None),
    (None, "default", None),
    (1.0, 2.0, None),
    (1.0, None, None),
    ((1, 2, 3, 4), "default", None),
    (1.0, (1.0, 2.0), None),
    (1.0, "timeout", None),
    (1.0, 3.0, {"timeout": {"connect": 9, "read": 9, "write": 9, "pool": 9}}),
    (1.0, "default", {"other": "x"}),
]


@pytest.mark.parametrize(("client_timeout", "timeout", "extensions"), TIMEOUTS)
def test_timeout_extension(
    client_timeout: typing.Any, timeout: typing.Any, extensions: typing.Any
) -> None:
    def action(client: typing.Any) -> typing.Any:
        kwargs: dict[str, typing.Any] = {"extensions": extensions}
        if timeout == "timeout":
            kwargs["timeout"] = client.timeout.__class__(7.0, connect=1.0)
        elif timeout != "default":
            kwargs["timeout"] = timeout
        return client.get("http://example.org/", **kwargs)

    differential(ok, action, timeout=client_timeout)


def test_send_sets_client_timeout_on_a_bare_request(lib: Lib) -> None:
    timeouts = []

    def handler(request: typing.Any) -> typing.Any:
        timeouts.append(request.extensions["timeout"])
        return lib.Response(200)

    with lib.Client(transport=lib.MockTransport(handler), timeout=3.0) as client:
        client.send(lib.Request("GET", "http://example.org/"))
        client.timeout = 4.0
        assert client.timeout == lib.Timeout(4.0)
        client.send(lib.Request("GET", "http://example.org/", extensions={"timeout": {}}))
        client.get("http://example.org/")
    assert timeouts == [
        {"connect": 3.0, "read": 3.0, "write": 3.0, "pool": 3.0},
        {},
        {"connect": 4.0, "read": 4.0, "write": 4.0, "pool": 4.0},
    ]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"content": b"raw"},
        {"content": "text"},
        {"data": {"a": "1", "b": ["2", "3"]}},
        {"json": {"a": [1, 2]}},
        {"files": {"f": ("name.txt", b"data", "text/plain")}},
        {"content": b"x", "headers": {"Content-Type": "application/x-custom"}},
    ],
)
@pytest.mark.parametrize("method", ["post", "put", "patch"])
def test_bodies(method: str, kwargs: dict[str, typing.Any]) -> None:
    def strip_boundary(seen: dict[str, typing.Any]) -> None:
        # The multipart boundary is random per request.
        for request in seen["sent"]:
            content_type = dict(request["headers"]).get(b"Content-Type", b"")
            if content_type.startswith(b"multipart/"):
                boundary = content_type.split(b"boundary=")[1]
                request["content"] = request["content"].replace(boundary, b"B")
                request["headers"] = [(k, v.replace(boundary, b"B")) for k, v in request["headers"]]
        seen["result"] = seen["result"]["status"]

    ours = observe(
        FASTSTREAM,
        echo,
        lambda c: getattr(c, method)("http://e.org/", **kwargs),
        normalise=strip_boundary,
    )
    theirs = observe(
        HTTPX,
        echo,
        lambda c: getattr(c, method)("http://e.org/", **kwargs),
        normalise=strip_boundary,
    )
    assert ours == theirs


@pytest.mark.parametrize("method", ["get", "options", "head", "delete"])
def test_bodiless_shortcuts(method: str) -> None:
    seen = differential(ok, lambda c: getattr(c, method)("http://example.org/x", params={"a": 1}))
    assert seen["sent"][0]["method"] == method.upper()


def test_request_and_build_request() -> None:
    def action(client: typing.Any) -> typing.Any:
        request = client.build_request(
            "post", "/x", params={"p": 1}, headers={"X": "1"}, json=[1], timeout=2.0
        )
        return client.send(request)

    differential(echo, action, base_url="http://example.org", headers={"Y": "2"}, params={"q": 0})


@pytest.mark.parametrize("default_encoding", ["latin-1", "utf-8", "callable"])
def test_default_encoding(lib: Lib, default_encoding: str) -> None:
    chosen: typing.Any = default_encoding
    if default_encoding == "callable":
        chosen = lambda body: "cp1252"  # noqa: E731
    body = "é€".encode("cp1252")

    def handler(request: typing.Any) -> typing.Any:
        return lib.Response(200, content=body)

    with lib.Client(transport=lib.MockTransport(handler), default_encoding=chosen) as client:
        response = client.get("http://example.org/")
    assert response.default_encoding is chosen
    codec = "cp1252" if default_encoding == "callable" else default_encoding
    assert response.text == body.decode(codec, errors="replace")


# --- option errors -------------------------------------------------------------------------


def test_invalid_auth(lib: Lib) -> None:
    with pytest.raises(TypeError, match='Invalid "auth" argument: 5'):
        lib.Client(auth=5)


@pytest.mark.parametrize("proxy", ["ftp://proxy.example", "proxy.example:8080"])
def test_invalid_proxy_scheme(lib: Lib, proxy: str) -> None:
    with pytest.raises(ValueError, match="Unknown scheme for proxy URL"):
        lib.Client(proxy=proxy)


def test_invalid_mount_key(lib: Lib) -> None:
    with pytest.raises(ValueError, match='Instead of "http", use "http://"'):
        lib.Client(mounts={"http": lib.MockTransport(lambda r: None)})


def test_http2_without_h2_is_an_import_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # As httpx: HTTP/2 needs the h2 package, even with a transport of the caller's.
    monkeypatch.setitem(sys.modules, "h2", None)
    with pytest.raises(ImportError, match="'h2' package is not installed"):
        FASTSTREAM.Client(http2=True)
    with pytest.raises(ImportError, match="'h2' package is not installed"):
        FASTSTREAM.Client(http2=True, transport=FASTSTREAM.MockTransport(lambda r: None))


# --- mounts and proxies --------------------------------------------------------------------

MOUNT_URLS = [
    "http://example.org/",
    "https://example.org/",
    "http://a.example/",
    "http://x.b.example/",
    "http://b.example/",
    "https://c.example:8443/",
    "https://c.example/",
    "http://localhost:1234/",
]


def test_mount_selection() -> None:
    def action(client: typing.Any) -> typing.Any:
        for url in MOUNT_URLS:
            client.get(url)
        return client.get("http://zzz.example/")

    def tagged(tag: str) -> Handler:
        def handler(lib: Lib, request: typing.Any) -> typing.Any:
            return lib.Response(200, text=tag)

        return handler

    for lib in (FASTSTREAM, HTTPX):
        answered: dict[str, list[str]] = {}

        def transport(
            tag: str, lib: Lib = lib, answered: dict[str, list[str]] = answered
        ) -> typing.Any:
            def handler(request: typing.Any) -> typing.Any:
                answered.setdefault(lib.name, []).append(f"{tag} {request.url}")
                return lib.Response(200)

            return lib.MockTransport(handler)

        mounts = {
            "all://": transport("all"),
            "http://a.example": transport("a"),
            "all://*.b.example": transport("sub-b"),
            "all://*b.example": transport("any-b"),
            "https://c.example:8443": None,
            "http://localhost": transport("localhost"),
            "https://": transport("https"),
        }
        client = lib.Client(transport=transport("default"), mounts=mounts)
        action(client)
        client.close()
        lib.answered = answered[lib.name]  # type: ignore[attr-defined]
    assert FASTSTREAM.answered == HTTPX.answered
    assert "default https://c.example:8443/" in HTTPX.answered


@pytest.mark.parametrize(
    "environment",
    [
        {"HTTP_PROXY": "http://127.0.0.1:3128"},
        {"HTTPS_PROXY": "http://127.0.0.1:3128", "ALL_PROXY": "127.0.0.1:3129"},
        {"HTTP_PROXY": "http://127.0.0.1:3128", "NO_PROXY": "localhost,example.org,10.0.0.1"},
        {"HTTP_PROXY": "http://127.0.0.1:3128", "NO_PROXY": "*"},
    ],
)
@pytest.mark.parametrize("options", [{}, {"trust_env": False}, {"transport": "mock"}])
def test_environment_proxies_become_mounts(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], options: dict[str, typing.Any]
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    views = []
    for lib in (FASTSTREAM, HTTPX):
        kwargs = dict(options)
        if kwargs.get("transport") == "mock":
            kwargs["transport"] = lib.MockTransport(lambda r: None)
        client = lib.Client(**kwargs)
        mounts = client._mounts.items()
        views.append(sorted((pattern.pattern, value is None) for pattern, value in mounts))
        client.close()
    assert views[0] == views[1]
    if options or environment.get("NO_PROXY") == "*":
        assert views[0] == []
    else:
        assert views[0]


@pytest.mark.timeout(30)
def test_proxy_option_routes_through_the_proxy(
    lib: Lib, app_server: AppServer, proxy_server: ProxyServer
) -> None:
    with lib.Client(proxy=proxy_server.url) as client:
        response = client.get(app_server.url + "/echo?x=1")
    assert response.status_code == 200
    assert response.json()["target"] == "/echo?x=1"
    assert [(r.method, r.target) for r in proxy_server.seen] == [
        ("GET", app_server.url + "/echo?x=1")
    ]


@pytest.mark.timeout(30)
def test_environment_proxy_is_used_unless_a_transport_is_given(
    lib: Lib, app_server: AppServer, proxy_server: ProxyServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy_server.url)
    with lib.Client() as client:
        assert client.get(app_server.url + "/echo").status_code == 200
    assert len(proxy_server.seen) == 1
    with lib.Client(trust_env=False) as client:
        assert client.get(app_server.url + "/echo").status_code == 200
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with lib.Client() as client:
        assert client.get(app_server.url + "/echo").status_code == 200
    assert len(proxy_server.seen) == 1


def test_verify_context_is_accepted(lib: Lib) -> None:
    context = ssl.create_default_context()
    client = lib.Client(verify=context, limits=lib.Limits(max_connections=1))
    assert not client.is_closed
    client.close()
