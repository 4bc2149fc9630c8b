"""The loopback test servers themselves, checked with the standard library's http.client and raw
sockets (no client under test involved): what the client tests rely on must hold."""

from __future__ import annotations

import gzip
import http.client
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers.app import AppServer, Exchange, pattern
from tests.servers.proxy import ProxyServer
from tests.servers.routes import gzip_text
from tests.servers.tls import TLSFiles

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def server() -> Iterator[AppServer]:
    with AppServer() as app:
        yield app


def connect(app: AppServer) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", app.port, timeout=10)


def get(conn: http.client.HTTPConnection, path: str, **headers: str) -> http.client.HTTPResponse:
    conn.request("GET", path, headers=headers)
    return conn.getresponse()


def test_keep_alive_is_counted(server: AppServer) -> None:
    conn = connect(server)
    for _ in range(5):
        body = json.loads(get(conn, "/echo").read())
        assert body["connection"] == 1
    conn.close()
    conn = connect(server)
    assert json.loads(get(conn, "/echo?a=1&a=2").read())["query"] == [["a", "1"], ["a", "2"]]
    conn.close()
    assert server.connections_accepted == 2
    assert [r.connection_id for r in server.requests] == [1] * 5 + [2]


def test_bodies(server: AppServer) -> None:
    conn = connect(server)
    response = get(conn, "/bytes/70000")
    assert response.getheader("Content-Length") == "70000"
    assert response.read() == pattern(70000)
    response = get(conn, "/chunked/70000?size=333")
    assert response.getheader("Transfer-Encoding") == "chunked"
    assert response.read() == pattern(70000)
    response = get(conn, "/gzip?n=40")
    assert response.getheader("Content-Encoding") == "gzip"
    assert gzip.decompress(response.read()) == gzip_text(40)
    lines = get(conn, "/jsonl/5").read().decode().splitlines()
    assert [json.loads(line)["i"] for line in lines] == [0, 1, 2, 3, 4]
    assert b"data: event 1\n" in get(conn, "/sse?n=2").read()
    conn.request("POST", "/echo", body=b"hello", headers={"X-A": "b"})
    echo = json.loads(conn.getresponse().read())
    assert (echo["method"], echo["body"], ["X-A", "b"] in echo["headers"]) == (
        "POST",
        "hello",
        True,
    )
    conn.close()
    assert server.connections_accepted == 1


def test_chunked_request_body(server: AppServer) -> None:
    conn = connect(server)
    conn.request("PUT", "/echo", body=iter([b"ab", b"cde"]), encode_chunked=True)
    assert json.loads(conn.getresponse().read())["body"] == "abcde"
    conn.close()


@pytest.mark.parametrize(
    ("spec", "status", "content_range", "body"),
    [
        (None, 200, None, pattern(1000)),
        ("bytes=100-", 206, "bytes 100-999/1000", pattern(1000)[100:]),
        ("bytes=100-199", 206, "bytes 100-199/1000", pattern(1000)[100:200]),
        ("bytes=-10", 206, "bytes 990-999/1000", pattern(1000)[990:]),
        ("bytes=1000-", 416, "bytes */1000", b""),
    ],
)
def test_range(
    server: AppServer, spec: str | None, status: int, content_range: str | None, body: bytes
) -> None:
    conn = connect(server)
    response = get(conn, "/range/1000", **({"Range": spec} if spec else {}))
    assert (response.status, response.getheader("Content-Range")) == (status, content_range)
    assert response.read() == body
    conn.close()


def test_status_redirect_cookies_auth(server: AppServer) -> None:
    conn = connect(server)
    response = get(conn, "/status/418")
    assert (response.status, response.read()) == (418, b"status 418")
    response = get(conn, "/redirect/2")
    assert (response.status, response.getheader("Location")) == (302, "/redirect/1")
    response.read()
    response = get(conn, "/redirect-to?url=http://x.test/&status=307")
    assert (response.status, response.getheader("Location")) == (307, "http://x.test/")
    response.read()
    response = get(conn, "/cookies/set?a=1&b=2")
    assert response.getheader("Set-Cookie") is not None
    assert len(response.headers.get_all("Set-Cookie") or []) == 2
    response.read()
    assert json.loads(get(conn, "/cookies", Cookie="a=1; b=2").read()) == {
        "cookies": {"a": "1", "b": "2"}
    }
    response = get(conn, "/basic-auth/u/p")
    assert response.status == 401
    response.read()
    assert get(conn, "/basic-auth/u/p", Authorization="Basic dTpw").status == 200
    conn.close()


def test_close_and_eof_bodies_end_the_connection(server: AppServer) -> None:
    conn = connect(server)
    response = get(conn, "/close")
    assert response.getheader("Connection") == "close"
    assert response.read() == b"closing"
    conn.close()
    conn = connect(server)
    response = get(conn, "/eof-body?n=5000")
    assert response.getheader("Content-Length") is None
    assert response.read() == pattern(5000)
    conn.close()


def test_custom_route_and_404(server: AppServer) -> None:
    @server.route("/custom/deep")
    def custom(ex: Exchange) -> None:
        ex.respond(201, "/".join(ex.args))

    conn = connect(server)
    response = get(conn, "/custom/deep/a/b")
    assert (response.status, response.read()) == (201, b"a/b")
    response = get(conn, "/nowhere")
    assert response.status == 404
    response.read()
    conn.close()


def test_stop_unblocks_slow_routes_and_idle_connections() -> None:
    app = AppServer().start()
    idle = socket.create_connection(("127.0.0.1", app.port))
    slow = socket.create_connection(("127.0.0.1", app.port))
    slow.sendall(b"GET /slow-headers?delay=600 HTTP/1.1\r\nHost: x\r\n\r\n")
    half = socket.create_connection(("127.0.0.1", app.port))
    half.sendall(b"GET /echo HTTP/1.1\r\n")
    stopper = threading.Thread(target=app.stop)
    stopper.start()
    stopper.join(30)
    assert not stopper.is_alive()
    for sock in (idle, slow, half):
        with sock:
            sock.settimeout(10)
            try:
                assert sock.recv(100) == b""  # closed by the server
            except ConnectionResetError:  # closed with our request bytes unread
                pass


def test_tls_server(tmp_path: Path) -> None:
    files = TLSFiles.create(tmp_path)
    with files.server() as app:
        for context in (files.client_context(), ssl.create_default_context(cafile=files.ca_file)):
            conn = http.client.HTTPSConnection("localhost", app.port, context=context, timeout=10)
            assert get(conn, "/bytes/10").read() == pattern(10)
            conn.close()
        bad = http.client.HTTPSConnection(
            "127.0.0.1", app.port, context=ssl.create_default_context(), timeout=10
        )
        with pytest.raises(ssl.SSLCertVerificationError):
            get(bad, "/echo")
        bad.close()
        assert app.url.startswith("https://127.0.0.1:")


def test_proxy_forwards_and_tunnels(server: AppServer) -> None:
    with ProxyServer(auth=("u", "p")) as proxy:
        conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
        conn.request("GET", f"{server.url}/echo", headers={"Proxy-Authorization": "Basic dTpw"})
        response = conn.getresponse()
        assert response.getheader("Connection") == "close"
        echo = json.loads(response.read())
        assert echo["target"] == "/echo"
        assert not any(name.lower().startswith("proxy-") for name, _ in echo["headers"])
        conn.close()

        conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
        conn.set_tunnel("127.0.0.1", server.port, headers={"Proxy-Authorization": "Basic dTpw"})
        assert get(conn, "/bytes/100").read() == pattern(100)
        conn.close()

        conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
        conn.request("GET", f"{server.url}/echo")
        response = conn.getresponse()
        assert response.status == 407
        response.read()
        conn.close()

        conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
        conn.request("GET", "http://example.com/", headers={"Proxy-Authorization": "Basic dTpw"})
        assert conn.getresponse().status == 403  # never leaves loopback
        conn.close()

    assert [(r.method, r.header("Proxy-Authorization")) for r in proxy.seen] == [
        ("GET", "Basic dTpw"),
        ("CONNECT", "Basic dTpw"),
        ("GET", None),
        ("GET", "Basic dTpw"),
    ]
    assert proxy.connections_accepted == 4
