"""The SPEC-httpx statements that need a Client, run against faststream and httpx 0.28.1.

These are the items tests/models/test_spec_examples.py lists under "Not checked here (needs the
Client, issue 4)". As there, each test is user code run with faststream and with the real httpx
(the `lib` fixture: the module, whose `Client` is the current `client_mode`'s), asserting what
both do; deviations are commented.

Connection release is checked two ways: with a MockTransport whose response stream counts its
`close()` calls, and over a loopback server (tests/servers/app.py), where a released
connection is reused (`connections_accepted` stays 1) and an unread one is dropped.

Not checked here: the MockTransport async handler "for AsyncClient" and AsyncClient itself
(issue 5); ASGITransport / WSGITransport (tests/client/test_asgi.py, test_wsgi.py).
"""

from __future__ import annotations

import threading
import typing
from collections.abc import Generator, Iterator

import pytest

from tests.client._helpers import Lib
from tests.servers.app import AppServer

pytestmark = pytest.mark.usefixtures("client_mode")


class CountedBody:
    closes = 0

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = pieces

    def __iter__(self) -> Iterator[bytes]:
        yield from self.pieces

    def close(self) -> None:
        self.closes += 1


def body_of(lib: Lib, pieces: list[bytes]) -> typing.Any:
    return type("Body", (CountedBody, lib.SyncByteStream), {})(pieces)


def wait_for(predicate: typing.Callable[[], bool], limit: float = 10.0) -> bool:
    """Poll `predicate` until true (a hang guard, not a timing assertion)."""
    done = threading.Event()
    for _ in range(int(limit / 0.01)):
        if predicate():
            return True
        done.wait(0.01)
    return predicate()


# --- §3.8 ----------------------------------------------------------------------------------


@pytest.mark.timeout(30)
def test_3_8_accept_encoding_lists_the_available_codings(lib: Lib, app_server: AppServer) -> None:
    with lib.Client() as client:
        headers = dict(client.get(app_server.url + "/echo").json()["headers"])
    assert headers["Accept-Encoding"] == "gzip, deflate, br, zstd"


# --- §3.9 release ----------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["read", "partial", "untouched", "exception"])
def test_3_9_client_stream_exit_releases(lib: Lib, how: str) -> None:
    body = body_of(lib, [b"a", b"b"])
    transport = lib.MockTransport(lambda request: lib.Response(200, stream=body))
    with lib.Client(transport=transport) as client:
        try:
            with client.stream("GET", "http://example.org/") as response:
                if how == "read":
                    response.read()
                elif how == "partial":
                    next(response.iter_raw())
                elif how == "exception":
                    raise KeyError("inside")
        except KeyError:
            assert how == "exception"
    assert response.is_closed
    assert body.closes == 1


def test_3_9_send_without_stream_releases(lib: Lib) -> None:
    body = body_of(lib, [b"a"])
    transport = lib.MockTransport(lambda request: lib.Response(200, stream=body))
    with lib.Client(transport=transport) as client:
        response = client.send(client.build_request("GET", "http://example.org/"))
    assert response.content == b"a" and body.closes == 1


def test_3_9_send_failure_releases(lib: Lib) -> None:
    class Failing(CountedBody):
        def __iter__(self) -> Iterator[bytes]:
            yield b"a"
            raise lib.ReadError("reset")

    body = type("Body", (Failing, lib.SyncByteStream), {})([])
    transport = lib.MockTransport(lambda request: lib.Response(200, stream=body))
    with lib.Client(transport=transport) as client:
        with pytest.raises(lib.ReadError):
            client.get("http://example.org/")
    assert body.closes == 1


def test_3_9_redirect_and_auth_hops_are_released(lib: Lib) -> None:
    bodies: list[typing.Any] = []

    def handler(request: typing.Any) -> typing.Any:
        body = body_of(lib, [b"hop"])
        bodies.append(body)
        if request.url.path == "/start":
            return lib.Response(302, headers={"Location": "/login"}, stream=body)
        if "Authorization" not in request.headers or "step 0" in request.headers["Authorization"]:
            return lib.Response(401, stream=body)
        return lib.Response(200, stream=body)

    class TwoStep(lib.Auth):  # type: ignore[misc,name-defined]
        def auth_flow(self, request: typing.Any) -> Generator[typing.Any, typing.Any, None]:
            request.headers["Authorization"] = "step 0"
            yield request
            request.headers["Authorization"] = "step 1"
            yield request

    with lib.Client(transport=lib.MockTransport(handler), follow_redirects=True) as client:
        with client.stream("GET", "http://example.org/start", auth=TwoStep()) as response:
            intermediate = [b.closes for b in bodies[:-1]]
            assert response.status_code == 200
    assert intermediate == [1, 1, 1]  # 302 on the first try, then 401; 302 again on the retry
    # httpx's bookkeeping: the auth flow's intermediate responses (the 401, its history reset
    # to the auth history), then the redirects of the last attempt; the first 302 is in none.
    assert [r.status_code for r in response.history] == [401, 302]
    assert response.history[0].history == []
    assert bodies[-1].closes == 1


@pytest.mark.timeout(30)
def test_3_9_released_connections_are_reused(lib: Lib, app_server: AppServer) -> None:
    with lib.Client() as client:
        client.get(app_server.url + "/bytes/1000")
        with client.stream("GET", app_server.url + "/bytes/5000") as response:
            response.read()
        client.get(app_server.url + "/redirect/2", follow_redirects=True)
        client.get(
            app_server.url + "/digest-auth/auth/user/pass", auth=lib.DigestAuth("user", "pass")
        )
    assert app_server.connections_accepted == 1


@pytest.mark.timeout(30)
@pytest.mark.parametrize("how", ["partial", "untouched", "exception"])
def test_3_9_unread_connection_is_dropped(lib: Lib, app_server: AppServer, how: str) -> None:
    with lib.Client() as client:
        try:
            with client.stream("GET", app_server.url + "/bytes/1000000") as response:
                if how == "partial":
                    next(response.iter_raw(1000))
                elif how == "exception":
                    raise KeyError("inside")
        except KeyError:
            pass
        assert client.get(app_server.url + "/bytes/10").status_code == 200
    assert app_server.connections_accepted == 2


@pytest.mark.timeout(30)
def test_3_9_client_close_closes_the_pool(lib: Lib, app_server: AppServer) -> None:
    client = lib.Client()
    client.get(app_server.url + "/bytes/10")
    assert app_server.open_connections == 1  # kept alive in the pool
    client.close()
    assert wait_for(lambda: app_server.open_connections == 0)


# --- §3.9 elapsed ----------------------------------------------------------------------------


def test_3_9_elapsed_is_set_when_the_client_closes_the_response(lib: Lib) -> None:
    body = body_of(lib, [b"x"])
    transport = lib.MockTransport(lambda request: lib.Response(200, stream=body))
    with lib.Client(transport=transport) as client:
        with client.stream("GET", "http://example.org/") as response:
            with pytest.raises(RuntimeError):
                response.elapsed  # noqa: B018
        assert response.elapsed.total_seconds() >= 0
        assert client.get("http://example.org/").elapsed.total_seconds() >= 0


def test_3_9_already_read_mock_response_never_gets_elapsed(lib: Lib) -> None:
    transport = lib.MockTransport(lambda request: lib.Response(200, text="read"))
    with lib.Client(transport=transport) as client:
        response = client.get("http://example.org/")
    assert response.is_closed
    with pytest.raises(RuntimeError, match="elapsed"):
        response.elapsed  # noqa: B018


# --- §4 Request: generator bodies are not replayed ------------------------------------------


def test_4_request_generator_body_resent_by_auth_raises_stream_consumed(
    lib: Lib, app_server: AppServer
) -> None:
    def body() -> Iterator[bytes]:
        yield b"once"

    with lib.Client() as client:
        with pytest.raises(lib.StreamConsumed):
            client.post(
                app_server.url + "/digest-auth/auth/user/pass",
                content=body(),
                auth=lib.DigestAuth("user", "pass"),
            )


def test_4_request_generator_body_resent_by_redirect_raises_stream_consumed(
    lib: Lib, app_server: AppServer
) -> None:
    def body() -> Iterator[bytes]:
        yield b"once"

    with lib.Client(follow_redirects=True) as client:
        with pytest.raises(lib.StreamConsumed):
            client.post(
                app_server.url + "/redirect-to",
                params={"url": "/echo", "status": "308"},
                content=body(),
            )


# --- §4 MockTransport with a Client, next_request ------------------------------------------


def test_4_mock_transport_with_client(lib: Lib) -> None:
    def handler(request: typing.Any) -> typing.Any:
        return lib.Response(201, json={"got": request.content.decode(), "url": str(request.url)})

    with lib.Client(transport=lib.MockTransport(handler), base_url="http://api.example") as c:
        response = c.post("/items", content=b"payload")
    assert response.status_code == 201
    assert response.json() == {"got": "payload", "url": "http://api.example/items"}


def test_4_response_next_request_when_not_following(lib: Lib) -> None:
    def handler(request: typing.Any) -> typing.Any:
        if request.url.path == "/old":
            return lib.Response(301, headers={"Location": "/new"})
        return lib.Response(200)

    with lib.Client(transport=lib.MockTransport(handler)) as client:
        response = client.post("http://example.org/old", content=b"x")
        assert response.next_request is not None
        assert response.next_request.method == "GET"  # 301 turns POST into GET
        assert response.next_request.url == lib.URL("http://example.org/new")
        assert client.send(response.next_request).status_code == 200
        assert client.get("http://example.org/new").next_request is None
