"""Connection reuse through the Client, counted by the loopback server.

A connection goes back to the pool only when its response was read to the end and nothing says
it is finished (`Connection: close`, close-delimited body); a response closed unread, an idle
connection the server closed, or one older than `keepalive_expiry` is not reused.
"""

from __future__ import annotations

import time
from types import ModuleType

import pytest

from tests.servers.app import AppServer, Exchange, pattern

pytestmark = pytest.mark.timeout(60)


def wait_until(predicate: object, limit: float = 10.0) -> bool:
    """Poll `predicate()` until true or `limit` seconds passed (a hang guard, not a timing)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.01)
    return False


def test_sequential_requests_share_one_connection(httpx: ModuleType, app_server: AppServer) -> None:
    with httpx.Client(base_url=app_server.url) as client:
        ids = [client.get("/echo").json()["connection"] for _ in range(10)]
    assert app_server.connections_accepted == 1
    assert ids == [1] * 10


def test_methods_and_bodies_keep_the_connection(httpx: ModuleType, app_server: AppServer) -> None:
    with httpx.Client(base_url=app_server.url) as client:
        assert client.post("/echo", content=b"x" * 100_000).json()["body_length"] == 100_000
        assert client.put("/echo", json={"a": 1}).json()["method"] == "PUT"
        assert client.post("/echo", content=iter([b"ab", b"cd"])).json()["body"] == "abcd"
        assert client.head("/bytes/5000").content == b""
        assert client.get("/status/204").status_code == 204
        assert client.get("/status/304").status_code == 304
        assert client.get("/chunked/50000?size=999").content == pattern(50000)
        assert client.delete("/echo").json()["connection"] == 1
    assert app_server.connections_accepted == 1


def test_streamed_responses_read_to_the_end_are_reused(
    httpx: ModuleType, app_server: AppServer
) -> None:
    with httpx.Client(base_url=app_server.url) as client:
        for path in ("/bytes/100000", "/chunked/100000", "/jsonl/100", "/gzip?n=500"):
            with client.stream("GET", path) as response:
                for _ in response.iter_raw():
                    pass
        assert client.get("/echo").json()["connection"] == 1
    assert app_server.connections_accepted == 1


def test_response_closed_unread_is_not_reused(httpx: ModuleType, app_server: AppServer) -> None:
    with httpx.Client(base_url=app_server.url) as client:
        with client.stream("GET", "/bytes/1000000"):
            pass
        assert client.get("/echo").json()["connection"] == 2
        assert client.get("/echo").json()["connection"] == 2
    assert app_server.connections_accepted == 2


def test_response_closed_half_read_is_not_reused(httpx: ModuleType, app_server: AppServer) -> None:
    with httpx.Client(base_url=app_server.url) as client:
        with client.stream("GET", "/chunked/1000000?size=4096") as response:
            next(response.iter_bytes())
        assert client.get("/echo").json()["connection"] == 2
    assert app_server.connections_accepted == 2


def test_break_out_of_the_stream_closes_the_connection(
    httpx: ModuleType, app_server: AppServer
) -> None:
    with httpx.Client(base_url=app_server.url) as client:
        with client.stream("GET", "/jsonl/10000") as response:
            for line in response.iter_lines():
                if line:
                    break
        assert response.is_closed
        assert client.get("/echo").status_code == 200
    assert app_server.connections_accepted == 2


def test_connection_close_header_is_honoured(httpx: ModuleType, app_server: AppServer) -> None:
    with httpx.Client(base_url=app_server.url) as client:
        response = client.get("/close")
        assert response.headers["connection"] == "close"
        assert client.get("/echo").json()["connection"] == 2
    assert app_server.connections_accepted == 2


def test_close_delimited_body_is_not_reused(httpx: ModuleType, app_server: AppServer) -> None:
    with httpx.Client(base_url=app_server.url) as client:
        assert client.get("/eof-body?n=70000").content == pattern(70000)
        assert client.get("/echo").json()["connection"] == 2
    assert app_server.connections_accepted == 2


def test_idle_connection_closed_by_the_server_is_not_reused(
    httpx: ModuleType, app_server: AppServer
) -> None:
    @app_server.route("/then-close")
    def then_close(ex: Exchange) -> None:
        # a keep-alive response (no Connection: close), then the server hangs up
        ex.respond(200, "bye")
        ex.keep_alive = False

    with httpx.Client(base_url=app_server.url) as client:
        assert client.get("/then-close").text == "bye"
        assert wait_until(lambda: app_server.open_connections == 0)
        assert client.get("/echo").json()["connection"] == 2
    assert app_server.connections_accepted == 2


def test_keepalive_expiry_drops_old_idle_connections(
    httpx: ModuleType, app_server: AppServer
) -> None:
    limits = httpx.Limits(keepalive_expiry=0.1)
    with httpx.Client(base_url=app_server.url, limits=limits) as client:
        client.get("/echo")
        time.sleep(0.5)  # longer than the expiry: the connection must not be reused
        assert client.get("/echo").json()["connection"] == 2
    assert app_server.connections_accepted == 2


def test_keepalive_expiry_keeps_young_connections(httpx: ModuleType, app_server: AppServer) -> None:
    limits = httpx.Limits(keepalive_expiry=120.0)
    with httpx.Client(base_url=app_server.url, limits=limits) as client:
        client.get("/echo")
        time.sleep(0.3)
        client.get("/echo")
    assert app_server.connections_accepted == 1


def test_max_keepalive_connections_zero_never_reuses(
    httpx: ModuleType, app_server: AppServer
) -> None:
    limits = httpx.Limits(max_keepalive_connections=0)
    with httpx.Client(base_url=app_server.url, limits=limits) as client:
        ids = [client.get("/echo").json()["connection"] for _ in range(3)]
    assert ids == [1, 2, 3]


def test_closing_the_client_closes_pooled_connections(
    httpx: ModuleType, app_server: AppServer
) -> None:
    client = httpx.Client(base_url=app_server.url)
    client.get("/echo")
    assert app_server.open_connections == 1
    client.close()
    assert wait_until(lambda: app_server.open_connections == 0)
    assert client.is_closed


def test_different_origins_use_different_connections(httpx: ModuleType) -> None:
    with AppServer() as one, AppServer() as two, httpx.Client() as client:
        for _ in range(3):
            client.get(f"{one.url}/echo")
            client.get(f"{two.url}/echo")
    assert (one.connections_accepted, two.connections_accepted) == (1, 1)


def test_keep_alive_request_header(httpx: ModuleType, app_server: AppServer) -> None:
    with httpx.Client(base_url=app_server.url) as client:
        headers = dict(client.get("/echo").json()["headers"])
    assert headers["Connection"] == "keep-alive"
