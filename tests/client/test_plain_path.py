"""The plain request path gives what httpx gives, byte for byte on the wire, while the client's
configuration changes between requests.

A request with nothing configured takes shortcuts: its head joins header bytes serialised once
for the same fields, its route is kept per URL, and `send` runs the first turn of the redirect
loop itself. Each scenario here changes what those shortcuts depend on between requests --
`client.headers` (mutable), `client.event_hooks` (mutable, also in place), the cookie jar,
`follow_redirects` per call, proxies -- and compares the bytes the server received and what the
caller saw with httpx 0.28.1 doing the same against the same scripted loopback server, with
`Client` and with `AsyncClient` on each event loop.
"""

from __future__ import annotations

import functools
import re
import typing
from collections.abc import Callable

import pytest

from tests._helpers import LIBRARIES
from tests.client._async_adapter import Mode, _coroutine_hook
from tests.client._helpers import Lib
from tests.wire._raw_server import RawServer, Recv, Script, Send, response

OK = response(body=b"ok")
# Enough keep-alive exchanges per connection for every scenario below; a connection the
# client drops (an error before the head was written, `Connection: close`) moves to the next.
KEEP_ALIVE: Script = [Recv(), Send(OK)] * 13
SCRIPTS = [KEEP_ALIVE] * 8

Scenario = Callable[[Lib, str], object]


def _wire(request: bytes, port: int) -> bytes:
    """A recorded request with what legitimately differs between the libraries made equal:
    the server's port and the default User-Agent (it names the library)."""
    request = request.replace(b"127.0.0.1:%d" % port, b"127.0.0.1:PORT")
    return re.sub(rb"User-Agent: python-(?:httpx|faststream)/[^\r]*", b"User-Agent: UA", request)


def _observe(name: str, scenario: Scenario, scripts: list[Script]) -> tuple[object, list[bytes]]:
    """What `scenario` returns with library `name`, and the requests the server received."""
    with RawServer(scripts) as server:
        outcome = scenario(Lib(name), server.url)
        seen = [_wire(request, server.port) for request in server.requests]
    return outcome, seen


def _differential(scenario: Scenario, scripts: list[Script] = SCRIPTS) -> list[bytes]:
    """Assert that faststream and httpx give the same outcome and the same bytes on the wire;
    return those bytes."""
    observed = {name: _observe(name, scenario, scripts) for name in LIBRARIES}
    assert observed["faststream"] == observed["httpx"]
    return observed["faststream"][1]


def _error(call: Callable[[], object]) -> str:
    try:
        call()
    except Exception as exc:  # the type and message are what is compared
        return f"{type(exc).__name__}: {exc}"
    return "no error"


def _add_hook(client: typing.Any, kind: str, hook: Callable[[typing.Any], None]) -> None:
    """Append `hook` to the client's own hook list, in place (an AsyncClient's: as a coroutine
    function)."""
    if Mode.current == "sync":
        client.event_hooks[kind].append(hook)
    else:
        client._client.event_hooks[kind].append(_coroutine_hook(hook))


@pytest.mark.usefixtures("client_mode")
def test_head_bytes_follow_every_change_of_client_headers() -> None:
    def scenario(lib: Lib, url: str) -> object:
        statuses = []
        with lib.Client(headers={"X-Client": "1"}) as client:
            statuses.append(client.get(url + "/a").status_code)
            statuses.append(client.get(url + "/a").status_code)  # the same fields again
            statuses.append(client.post(url + "/b").status_code)  # Content-Length: 0 first
            client.headers["accept"] = "text/html"  # a default replaced, in place, new case
            statuses.append(client.get(url + "/a").status_code)
            del client.headers["Accept-Encoding"]  # a default removed
            statuses.append(client.get(url + "/a").status_code)
            client.headers.update({"X-Dup": "1"})
            client.headers = [("X-Dup", "1"), ("x-dup", "2")]  # duplicates, via the setter
            statuses.append(client.get(url + "/c").status_code)
            # Per request: one replaces both duplicates; duplicates of its own; a default
            # overridden (the next plain request has the client's value again).
            statuses.append(client.get(url + "/c", headers={"X-DUP": "3"}).status_code)
            statuses.append(
                client.get(url + "/c", headers=[("X-Own", "a"), ("x-own", "b")]).status_code
            )
            statuses.append(client.get(url + "/c", headers={"User-Agent": "mine"}).status_code)
            statuses.append(client.get(url + "/c").status_code)
            client.headers["Host"] = "override.example"  # written first, in place of the URL's
            statuses.append(client.get(url + "/d").status_code)
            del client.headers["Host"]
            client.headers.update({"X-Utf8": "caf\xe9".encode()})  # non-ASCII value bytes
            statuses.append(client.get(url + "/d").status_code)
            # Host and a body length from the client's fields, set through `update`: no Host
            # of the URL's and no `Content-Length: 0` of a bodiless POST is added.
            client.headers.update({"HOST": "upd.example", "content-length": "0"})
            statuses.append(client.post(url + "/e").status_code)
        return statuses

    seen = _differential(scenario)
    assert len(seen) == 13
    assert seen[0] == seen[1]
    assert b"\r\nHost: override.example\r\n" in seen[10]
    assert seen[9].count(b"User-Agent: UA") == 1 and b"mine" in seen[8]


@pytest.mark.usefixtures("client_mode")
def test_a_bad_client_header_is_refused_on_every_request() -> None:
    def scenario(lib: Lib, url: str) -> object:
        with lib.Client() as client:
            outcomes = [client.get(url).status_code]
            client.headers["X-Bad"] = "trailing space "
            outcomes += [_error(lambda: client.get(url)) for _ in range(2)]
            del client.headers["X-Bad"]
            outcomes.append(client.get(url).status_code)
            # The header fields are known good by now; the method still is checked.
            outcomes += [_error(lambda: client.request("GE T", url)) for _ in range(2)]
            outcomes.append(client.get(url).status_code)
        return outcomes

    seen = _differential(scenario)
    assert len(seen) == 3  # nothing was written for a refused request


@pytest.mark.usefixtures("client_mode")
def test_routes_are_right_for_many_urls_and_refused_urls_every_time() -> None:
    count = 300  # more distinct URLs (and header lists) than a transport keeps

    def scenario(lib: Lib, url: str) -> object:
        with lib.Client() as client:
            for i in range(count):
                client.get(url + f"/n{i}", params={"q": str(i)}, headers={"X-N": str(i % 150)})
            refused = [
                _error(functools.partial(client.get, target))
                for target in ("ftp://example.org/", "http:///no-host", "//no-scheme/x")
                for _ in range(2)
            ]
        return refused

    many: Script = [Recv(), Send(OK)] * count
    seen = _differential(scenario, [many])
    assert [request.split(b" ", 2)[1] for request in seen] == [
        b"/n%d?q=%d" % (i, i) for i in range(count)
    ]
    assert [request.split(b"X-N: ")[1].split(b"\r")[0] for request in seen] == [
        b"%d" % (i % 150) for i in range(count)
    ]


@pytest.mark.usefixtures("client_mode")
def test_http_proxy_requests_keep_their_absolute_form() -> None:
    def scenario(lib: Lib, url: str) -> object:
        with lib.Client(proxy=url) as client:
            return [
                client.get("http://example.org/a#fragment").status_code,
                client.get("http://example.org/a#fragment").status_code,
                client.get("http://example.org:8080/b?c=d").status_code,
            ]

    seen = _differential(scenario)
    assert [request.split(b"\r\n", 1)[0] for request in seen] == [
        b"GET http://example.org/a HTTP/1.1",
        b"GET http://example.org/a HTTP/1.1",
        b"GET http://example.org:8080/b?c=d HTTP/1.1",
    ]


@pytest.mark.usefixtures("client_mode")
def test_event_hooks_added_after_construction_are_called() -> None:
    def scenario(lib: Lib, url: str) -> object:
        calls: list[str] = []

        def on_request(request: typing.Any) -> None:
            calls.append(f"request {request.url.path}")

        def on_response(response: typing.Any) -> None:
            calls.append(f"response {response.status_code} {response.request.url.path}")

        with lib.Client() as client:
            client.get(url + "/none")
            _add_hook(client, "response", on_response)  # in place, response only
            client.get(url + "/response-only")
            _add_hook(client, "request", on_request)
            client.get(url + "/both")
            client.event_hooks = {"request": [on_request]}  # replaced: request only
            client.get(url + "/request-only")
            client.event_hooks = {}
            client.get(url + "/none-again")
        return calls

    _differential(scenario)


@pytest.mark.usefixtures("client_mode")
def test_cookies_set_by_a_plain_response_are_kept_and_sent() -> None:
    set_cookie = response(headers=[("Set-Cookie", "session=s1; Path=/")], body=b"ok")
    script: Script = [Recv(), Send(set_cookie), *KEEP_ALIVE[:8]]

    def scenario(lib: Lib, url: str) -> object:
        with lib.Client() as client:
            client.get(url + "/login")  # the jar was empty: Set-Cookie must still be stored
            jar = [dict(client.cookies)]
            client.get(url + "/a")  # sends it
            client.cookies.clear()
            client.get(url + "/b")  # the plain path again: no Cookie
            client.cookies.set("later", "v")  # set on the client later
            client.get(url + "/c")
            jar.append(dict(client.cookies))
        return jar

    seen = _differential(scenario, [script])
    assert b"\r\nCookie: session=s1\r\n" in seen[1]
    assert b"Cookie" not in seen[2]
    assert b"\r\nCookie: later=v\r\n" in seen[3]


@pytest.mark.usefixtures("client_mode")
def test_follow_redirects_per_call_and_per_client() -> None:
    redirect = response("302 Found", [("Location", "/target")])
    not_followed: list[Recv | Send] = [Recv(), Send(redirect)]
    followed: list[Recv | Send] = [Recv(), Send(redirect), Recv(), Send(OK)]
    # Per call, per client, then per call against the client.
    script: Script = [*not_followed, *followed, *followed, *not_followed]

    def scenario(lib: Lib, url: str) -> object:
        def seen(r: typing.Any) -> object:
            return (
                r.status_code,
                r.url.path,
                [h.status_code for h in r.history],
                None if r.next_request is None else str(r.next_request.url.path),
                r.elapsed.total_seconds() >= 0,
            )

        with lib.Client() as client:
            outcomes = [seen(client.get(url + "/start"))]
            outcomes.append(seen(client.get(url + "/start", follow_redirects=True)))
            client.follow_redirects = True
            outcomes.append(seen(client.get(url + "/start")))
            outcomes.append(seen(client.get(url + "/start", follow_redirects=False)))
        return outcomes

    seen = _differential(scenario, [script])
    assert len(seen) == 6


@pytest.mark.usefixtures("client_mode")
@pytest.mark.parametrize("max_redirects", [0, -1])
def test_max_redirects_is_checked_on_the_plain_path(max_redirects: int) -> None:
    redirect = response("302 Found", [("Location", "/target")])
    script: Script = [Recv(), Send(redirect), Recv(), Send(OK)]

    def scenario(lib: Lib, url: str) -> object:
        with lib.Client(follow_redirects=True, max_redirects=max_redirects) as client:
            return _error(lambda: client.get(url + "/start"))

    seen = _differential(scenario, [script])
    assert len(seen) == (1 if max_redirects == 0 else 0)


def test_a_subclass_overriding_the_send_steps_is_called() -> None:
    # `Client` only: the AsyncClient facade of the other modes cannot be subclassed.
    def scenario(lib: Lib, url: str) -> object:
        calls: list[str] = []

        class Counting(lib.Client):  # type: ignore[name-defined,misc]
            def _send_handling_redirects(
                self, request: typing.Any, follow_redirects: bool, history: list[typing.Any]
            ) -> typing.Any:
                calls.append(f"redirect loop {request.url.path}")
                return super()._send_handling_redirects(request, follow_redirects, history)

            def _send_single_request(self, request: typing.Any) -> typing.Any:
                calls.append(f"single {request.url.path}")
                return super()._send_single_request(request)

        with Counting() as client:
            client.get(url + "/a")
            client.get(url + "/b")
        return calls

    _differential(scenario)
