"""The raw scripted server does what its scripts say (the corpus relies on it)."""

from __future__ import annotations

import socket

import pytest

from ._raw_server import Close, HalfClose, Recv, Reset, Send, Sleep, StartServer, chunked, response


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    return sock


def _read_to_eof(sock: socket.socket) -> bytes:
    data = b""
    for _ in range(1000):
        piece = sock.recv(65536)
        if not piece:
            return data
        data += piece
    raise AssertionError("no end of file")


@pytest.mark.timeout(20)
def test_records_requests_by_content_length_and_chunked(raw_server: StartServer) -> None:
    server = raw_server(
        (Recv(), Send(response(body=b"one")), Recv(), Send(response(body=b"two")), Close())
    )
    with _connect(server.port) as sock:
        first = b"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
        second = b"POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        second += chunked(b"de", b"f")
        sock.sendall(first + second)  # both at once: the second stays buffered for Recv 2
        assert _read_to_eof(sock) == response(body=b"one") + response(body=b"two")
    assert server.wait_done(0)
    assert server.requests == [first, second]
    assert server.received == first + second
    assert server.accepted == 1


@pytest.mark.timeout(20)
def test_one_script_per_connection_and_none_past_the_list(raw_server: StartServer) -> None:
    server = raw_server((Send(b"first"),), (Send(b"second"),))
    replies = []
    for _ in range(3):
        with _connect(server.port) as sock:
            replies.append(_read_to_eof(sock))
    assert replies == [b"first", b"second", b""]
    assert server.accepted == 3
    assert server.requests == []


@pytest.mark.timeout(20)
def test_half_close_then_keep_reading(raw_server: StartServer) -> None:
    server = raw_server((Send(b"bye"), HalfClose(), Recv()))
    with _connect(server.port) as sock:
        assert _read_to_eof(sock) == b"bye"
        request = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
        sock.sendall(request)  # the server's read side is still open
        assert server.wait_done(0)
    assert server.requests == [request]


@pytest.mark.timeout(20)
def test_reset_is_an_rst(raw_server: StartServer) -> None:
    server = raw_server((Recv(), Send(b"partial"), Sleep(0.2), Reset()))
    with _connect(server.port) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert server.wait_done(0)
        with pytest.raises(ConnectionResetError):
            for _ in range(10):
                if not sock.recv(65536):
                    break


@pytest.mark.timeout(20)
def test_script_stops_when_the_client_closes(raw_server: StartServer) -> None:
    server = raw_server((Recv(), Send(b"never sent"), Recv()))
    with _connect(server.port):
        pass
    assert server.wait_done(0)
    assert server.connections[0].saw_eof
    assert server.requests == []
    assert server.received == b""
