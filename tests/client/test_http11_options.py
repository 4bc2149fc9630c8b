"""`HTTPTransport` options a client rarely sets: retries, uds, local_address, socket_options.

Each against a real server on loopback (or a Unix socket in a temporary directory).
"""

from __future__ import annotations

import os
import socket
import sys
import threading
from collections.abc import Iterator

import pytest

import faststream

_REPLY = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"


def _serve_once(listener: socket.socket, seen: list[bytes], wait: float = 10.0) -> None:
    listener.settimeout(wait)
    conn, _ = listener.accept()
    with conn:
        conn.settimeout(10)
        data = b""
        while b"\r\n\r\n" not in data and len(data) < 65536:
            piece = conn.recv(65536)
            if not piece:
                break
            data += piece
        seen.append(data)
        conn.sendall(_REPLY)


@pytest.fixture
def late_listener() -> Iterator[tuple[int, list[bytes]]]:
    """A port that refuses connections (bound, not listening) for 0.2 s, then serves once."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    seen: list[bytes] = []

    def listen_later() -> None:
        sock.listen(1)
        try:
            _serve_once(sock, seen, wait=3.0)
        except OSError:
            pass  # nobody connected (the test without retries), or the test failed already

    timer = threading.Timer(0.2, listen_later)
    timer.start()
    try:
        yield sock.getsockname()[1], seen
    finally:
        timer.join(15)
        sock.close()


@pytest.mark.timeout(30)
def test_retries_reconnect_until_the_server_listens(late_listener: tuple[int, list[bytes]]) -> None:
    port, seen = late_listener
    # Attempts at 0 s (refused) and 0.5 s (after the server started listening at 0.2 s).
    with faststream.Client(transport=faststream.HTTPTransport(retries=3)) as client:
        response = client.get(f"http://127.0.0.1:{port}/")
    assert response.status_code == 200
    assert response.text == "ok"
    assert len(seen) == 1


@pytest.mark.timeout(30)
def test_without_retries_a_refused_connection_is_connect_error(
    late_listener: tuple[int, list[bytes]],
) -> None:
    port, _ = late_listener
    with faststream.Client() as client, pytest.raises(faststream.ConnectError) as info:
        client.get(f"http://127.0.0.1:{port}/")
    assert info.value.request.url == f"http://127.0.0.1:{port}/"


@pytest.mark.timeout(30)
@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no Unix sockets on this platform")
def test_uds_connects_to_a_unix_socket(tmp_path: os.PathLike[str]) -> None:
    path = os.path.join(os.fspath(tmp_path), "s")
    if len(path) > 100 and sys.platform != "linux":
        path = os.path.join("/tmp", f"fs-{os.getpid()}.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)
    seen: list[bytes] = []
    thread = threading.Thread(target=_serve_once, args=(listener, seen))
    thread.start()
    try:
        transport = faststream.HTTPTransport(uds=path)
        with faststream.Client(transport=transport) as client:
            response = client.get("http://example.invalid/path?q=1")
    finally:
        thread.join(15)
        listener.close()
    assert response.text == "ok"
    assert seen[0].startswith(b"GET /path?q=1 HTTP/1.1\r\n")
    assert b"\r\nHost: example.invalid\r\n" in seen[0]


@pytest.mark.timeout(30)
def test_local_address_and_socket_options_apply_to_the_socket() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    seen: list[bytes] = []
    peers: list[str] = []

    def serve() -> None:
        listener.settimeout(10)
        conn, peer = listener.accept()
        peers.append(peer[0])
        with conn:
            conn.recv(65536)
            seen.append(b"")
            conn.sendall(_REPLY)

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        transport = faststream.HTTPTransport(
            local_address="127.0.0.1",
            socket_options=[(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)],
        )
        with faststream.Client(transport=transport) as client:
            with client.stream("GET", f"http://127.0.0.1:{listener.getsockname()[1]}/") as r:
                sock = r.extensions["network_stream"].get_extra_info("socket")
                assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) != 0
                assert r.extensions["network_stream"].get_extra_info("client_addr")[0] == (
                    "127.0.0.1"
                )
                assert r.read() == b"ok"
    finally:
        thread.join(15)
        listener.close()
    assert peers == ["127.0.0.1"]


def test_http2_without_h2_and_unsupported_proxies_say_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "h2", None)
    with pytest.raises(ImportError, match="'h2' package is not installed"):
        faststream.HTTPTransport(http2=True)
    with pytest.raises(ValueError, match="Unknown scheme for proxy URL"):
        faststream.HTTPTransport(proxy="ftp://127.0.0.1:1080")
