"""`Client` options and request merging, differential against httpx 0.28.1.

This module also holds the helpers the other test_client_* modules import:

* `httpx` fixture: a `Lib` for faststream or for httpx. `Lib` is the module, with `Client`
  and the top-level functions taken from `faststream._client` / `faststream._api` while the
  namespace does not export them yet. Tests are written as httpx user code.
* `observe(lib, handler, action, **client_options)`: run one scenario through
  `lib.Client(transport=lib.MockTransport(...))` and describe every observable result: the
  requests the transport received (headers except User-Agent, body, timeout extension), the
  response (status, headers, body, history, next_request), the exception (type name, message,
  request URL), the client's cookie jar, the log lines and the warnings.
  `assert observe(FASTSTREAM, ...) == observe(HTTPX, ...)` is a differential test.
* `client_mode` (autouse, import it into every scenario module): runs each test twice, with
  `Client` ("sync") and with `AsyncClient` ("async"). In the async mode `Lib.Client` builds an
  `AsyncClient` driven through the sync API by tests/client/_async_adapter.py (its loop is the
  test's), and `Lib.BaseTransport` / `Lib.SyncByteStream` are async adapters of the same
  scenario classes, so a scenario runs four ways: {faststream, httpx} x {Client, AsyncClient}.
  `lib.mode` tells a test which one runs where httpx's sync and async clients differ.
"""

from __future__ import annotations

import importlib
import logging
import ssl
import typing
import warnings
from collections.abc import Callable, Iterator
from types import ModuleType

import pytest

from tests.client._async_adapter import (
    MODES,
    Mode,
    SyncFacade,
    async_stream_base,
    async_transport_base,
)
from tests.servers.app import AppServer
from tests.servers.proxy import ProxyServer

LIBRARIES = ["faststream", "httpx"]
FALLBACKS = ("faststream._client", "faststream._api", "faststream._async_client")


class Lib:
    """`import faststream as httpx` (with the not-yet-exported names filled in), or httpx.

    `mode` is "sync" or "async" (by default the current test's `client_mode`); in the async
    mode `Client`, `BaseTransport` and `SyncByteStream` are the adapters of
    tests/client/_async_adapter.py over `AsyncClient`.
    """

    def __init__(self, name: str, mode: str | None = None) -> None:
        self.name = name
        self.module: ModuleType = importlib.import_module(name)
        self.logger_name = name
        self._mode = mode

    @property
    def mode(self) -> str:
        return self._mode or Mode.current

    def __getattr__(self, attr: str) -> typing.Any:
        if self.mode == "async" and attr in ("Client", "BaseTransport", "SyncByteStream"):
            return self._async_adapter(attr)
        if hasattr(self.module, attr):
            return getattr(self.module, attr)
        if self.name == "faststream":
            for fallback in FALLBACKS:
                module = importlib.import_module(fallback)
                if attr in getattr(module, "__all__", ()) or (
                    attr in ("request", "stream", "get", "options", "head", "delete")
                    and fallback.endswith("_api")
                ):
                    return getattr(module, attr)
        raise AttributeError(attr)

    def _async_adapter(self, attr: str) -> typing.Any:
        if attr == "Client":
            async_client = self.__getattr__("AsyncClient")
            return lambda **options: SyncFacade.create(async_client, **options)
        if attr == "BaseTransport":
            return async_transport_base(self.module)
        return async_stream_base(self.module)

    @property
    def user_agent(self) -> str:
        return f"python-{self.name}/{self.module.__version__}"

    def __repr__(self) -> str:
        return self.name


FASTSTREAM = Lib("faststream")
HTTPX = Lib("httpx")


@pytest.fixture(params=LIBRARIES)
def httpx(request: pytest.FixtureRequest) -> Lib:
    return Lib(request.param)


@pytest.fixture(autouse=True, params=MODES)
def client_mode(request: pytest.FixtureRequest) -> Iterator[str]:
    """Every scenario runs with `Client` and with `AsyncClient` (see the module docstring)."""
    with Mode.running(request.param):
        yield request.param


def is_faststream(lib: Lib) -> bool:
    return lib.name == "faststream"


Handler = Callable[[Lib, typing.Any], typing.Any]
Action = Callable[[typing.Any], typing.Any]


def describe_request(request: typing.Any, *, content: bool = True) -> dict[str, typing.Any]:
    """A request as comparable data (User-Agent left out: it names the library)."""
    seen: dict[str, typing.Any] = {
        "method": request.method,
        "url": str(request.url),
        "headers": [(k, v) for k, v in request.headers.raw if k.lower() != b"user-agent"],
        "timeout": request.extensions.get("timeout"),
    }
    if content:
        try:
            seen["content"] = request.content
        except Exception as exc:  # RequestNotRead of either library
            seen["content"] = type(exc).__name__
    return seen


def describe_response(response: typing.Any, *, nested: bool = True) -> dict[str, typing.Any]:
    try:
        body: typing.Any = response.content
    except Exception as exc:  # ResponseNotRead of either library
        body = type(exc).__name__
    next_request = response.next_request
    return {
        "status": response.status_code,
        "reason": response.reason_phrase,
        "version": response.http_version,
        "headers": response.headers.raw,
        "content": body,
        "closed": response.is_closed,
        "consumed": response.is_stream_consumed,
        "request": describe_request(response.request, content=False),
        # One level deep (each history entry has its own history: all of them is 2**n work).
        "history": (
            [describe_response(r, nested=False) for r in response.history]
            if nested
            else [(r.status_code, str(r.url)) for r in response.history]
        ),
        "next_request": None if next_request is None else describe_request(next_request),
    }


def describe_exception(exc: BaseException) -> dict[str, typing.Any]:
    try:
        url: str | None = str(exc.request.url)  # type: ignore[attr-defined]
    except (AttributeError, RuntimeError):
        url = None
    return {"raised": type(exc).__name__, "message": str(exc), "request_url": url}


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.levelname, record.getMessage()))


@typing.no_type_check
def observe(
    lib: Lib,
    handler: Handler,
    action: Action,
    *,
    normalise: Callable[[dict[str, typing.Any]], None] | None = None,
    **client_options: typing.Any,
) -> dict[str, typing.Any]:
    """Run `action(client)` on a client whose transport answers with `handler(lib, request)`."""
    sent: list[dict[str, typing.Any]] = []

    def answer(request):
        sent.append(describe_request(request))
        return handler(lib, request)

    records = Records()
    logger = logging.getLogger(lib.logger_name)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(records)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            client_options.setdefault("transport", lib.MockTransport(answer))
            client = lib.Client(**client_options)
            try:
                result = describe_response(action(client))
            except Exception as exc:
                result = describe_exception(exc)
    finally:
        logger.removeHandler(records)
        logger.setLevel(old_level)
    seen = {
        "sent": sent,
        "result": result,
        "cookies": sorted((c.name, c.value, c.domain, c.path) for c in client.cookies.jar),
        "logs": records.lines,
        "warnings": [(w.category.__name__, str(w.message)) for w in caught],
    }
    if normalise is not None:
        normalise(seen)
    return seen


def differential(handler: Handler, action: Action, **options: typing.Any) -> dict[str, typing.Any]:
    """`observe` through both libraries; asserts they agree and returns faststream's view.

    In the async mode it also asserts that `AsyncClient` is observed doing exactly what
    `Client` does in the same scenario."""
    ours = observe(FASTSTREAM, handler, action, **options)
    theirs = observe(HTTPX, handler, action, **options)
    assert ours == theirs
    if Mode.current == "async":
        assert ours == observe(Lib("faststream", "sync"), handler, action, **options)
    return typing.cast("dict[str, typing.Any]", ours)


def ok(lib: Lib, request: typing.Any) -> typing.Any:
    return lib.Response(200, text="ok")


def echo(lib: Lib, request: typing.Any) -> typing.Any:
    """200 with the request's body; a Set-Cookie when the query asks for one."""
    headers = []
    if "set" in request.url.params:
        headers.append(("Set-Cookie", request.url.params["set"]))
    return lib.Response(200, headers=headers, content=request.content)


# --- defaults ------------------------------------------------------------------------------


def test_default_headers(httpx: Lib) -> None:
    client = httpx.Client()
    assert dict(client.headers) == {
        "accept": "*/*",
        "accept-encoding": "gzip, deflate, br, zstd",
        "connection": "keep-alive",
        "user-agent": httpx.user_agent,  # deviation: python-faststream/<version>
    }
    client.close()


def test_the_mode_picks_the_client_class(httpx: Lib, client_mode: str) -> None:
    seen = []

    def handler(request: typing.Any) -> typing.Any:
        seen.append(request)
        return httpx.Response(200)

    class Probe(httpx.MockTransport):  # type: ignore[misc,name-defined]
        def handle_request(self, request: typing.Any) -> typing.Any:
            seen.append("sync")
            return super().handle_request(request)

        async def handle_async_request(self, request: typing.Any) -> typing.Any:
            seen.append("async")
            return await super().handle_async_request(request)

    with httpx.Client(transport=Probe(handler)) as client:
        client.get("http://example.org/")
        underlying = getattr(client, "_client", client)
    expected = {"sync": "Client", "async": "AsyncClient"}[client_mode]
    assert type(underlying).__name__ == expected
    assert type(underlying).__module__.split(".")[0] == httpx.name
    assert seen[0] == client_mode


def test_faststream_user_agent() -> None:
    client = FASTSTREAM.Client()
    assert client.headers["User-Agent"] == f"python-faststream/{FASTSTREAM.__version__}"
    client.close()


def test_defaults(httpx: Lib) -> None:
    client = httpx.Client()
    assert client.timeout == httpx.Timeout(5.0)
    assert client.follow_redirects is False
    assert client.max_redirects == 20
    assert client.auth is None
    assert client.base_url == httpx.URL("")
    assert client.params == httpx.QueryParams()
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


def test_base_url_property(httpx: Lib) -> None:
    client = httpx.Client(base_url="https://example.org/api")
    assert client.base_url == httpx.URL("https://example.org/api/")
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


def test_custom_user_agent_is_sent(httpx: Lib) -> None:
    agents = []

    def handler(request: typing.Any) -> typing.Any:
        agents.append(request.headers["User-Agent"])
        return httpx.Response(200)

    with httpx.Client(transport=httpx.MockTransport(handler), headers={"User-Agent": "x/1"}) as c:
        c.get("http://example.org/")
        c.get("http://example.org/", headers={"user-agent": "y/2"})
    assert agents == ["x/1", "y/2"]


def test_headers_property_setter(httpx: Lib) -> None:
    client = httpx.Client(headers={"X-A": "1"})
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


def test_cookies_property(httpx: Lib) -> None:
    client = httpx.Client(cookies={"a": "1"})
    client.cookies = {"b": "2"}
    assert dict(client.cookies) == {"b": "2"}
    assert isinstance(client.cookies, httpx.Cookies)
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


def test_send_sets_client_timeout_on_a_bare_request(httpx: Lib) -> None:
    timeouts = []

    def handler(request: typing.Any) -> typing.Any:
        timeouts.append(request.extensions["timeout"])
        return httpx.Response(200)

    with httpx.Client(transport=httpx.MockTransport(handler), timeout=3.0) as client:
        client.send(httpx.Request("GET", "http://example.org/"))
        client.timeout = 4.0
        assert client.timeout == httpx.Timeout(4.0)
        client.send(httpx.Request("GET", "http://example.org/", extensions={"timeout": {}}))
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
def test_default_encoding(httpx: Lib, default_encoding: str) -> None:
    chosen: typing.Any = default_encoding
    if default_encoding == "callable":
        chosen = lambda body: "cp1252"  # noqa: E731
    body = "é€".encode("cp1252")

    def handler(request: typing.Any) -> typing.Any:
        return httpx.Response(200, content=body)

    with httpx.Client(transport=httpx.MockTransport(handler), default_encoding=chosen) as client:
        response = client.get("http://example.org/")
    assert response.default_encoding is chosen
    codec = "cp1252" if default_encoding == "callable" else default_encoding
    assert response.text == body.decode(codec, errors="replace")


# --- option errors -------------------------------------------------------------------------


def test_invalid_auth(httpx: Lib) -> None:
    with pytest.raises(TypeError, match='Invalid "auth" argument: 5'):
        httpx.Client(auth=5)


@pytest.mark.parametrize("proxy", ["ftp://proxy.example", "proxy.example:8080"])
def test_invalid_proxy_scheme(httpx: Lib, proxy: str) -> None:
    with pytest.raises(ValueError, match="Unknown scheme for proxy URL"):
        httpx.Client(proxy=proxy)


def test_invalid_mount_key(httpx: Lib) -> None:
    with pytest.raises(ValueError, match='Instead of "http", use "http://"'):
        httpx.Client(mounts={"http": httpx.MockTransport(lambda r: None)})


def test_http2_is_an_import_error() -> None:
    # Deviation: faststream has no HTTP/2. httpx raises ImportError when h2 is missing, the
    # same type, so code that falls back on ImportError keeps working.
    with pytest.raises(ImportError, match="http2=False"):
        FASTSTREAM.Client(http2=True)
    with pytest.raises(ImportError, match="HTTP/2"):
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
    httpx: Lib, app_server: AppServer, proxy_server: ProxyServer
) -> None:
    with httpx.Client(proxy=proxy_server.url) as client:
        response = client.get(app_server.url + "/echo?x=1")
    assert response.status_code == 200
    assert response.json()["target"] == "/echo?x=1"
    assert [(r.method, r.target) for r in proxy_server.seen] == [
        ("GET", app_server.url + "/echo?x=1")
    ]


@pytest.mark.timeout(30)
def test_environment_proxy_is_used_unless_a_transport_is_given(
    httpx: Lib, app_server: AppServer, proxy_server: ProxyServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy_server.url)
    with httpx.Client() as client:
        assert client.get(app_server.url + "/echo").status_code == 200
    assert len(proxy_server.seen) == 1
    with httpx.Client(trust_env=False) as client:
        assert client.get(app_server.url + "/echo").status_code == 200
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with httpx.Client() as client:
        assert client.get(app_server.url + "/echo").status_code == 200
    assert len(proxy_server.seen) == 1


def test_verify_context_is_accepted(httpx: Lib) -> None:
    context = ssl.create_default_context()
    client = httpx.Client(verify=context, limits=httpx.Limits(max_connections=1))
    assert not client.is_closed
    client.close()
