"""The proxies' relay helper, checked on socket pairs (no client under test involved)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from tests.servers._relay import relay

pytestmark = pytest.mark.timeout(30)


class _Pairs:
    """Two socket pairs, `a_out`-`a` and `b`-`b_out`, with `relay(a, b)` running in a thread."""

    def __init__(self, **kwargs: object) -> None:
        self.a_out, self.a = socket.socketpair()
        self.b, self.b_out = socket.socketpair()
        for sock in (self.a_out, self.b_out):
            sock.settimeout(5)
        self.stop = threading.Event()
        self.thread = threading.Thread(
            target=relay, args=(self.a, self.b, self.stop), kwargs=kwargs, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        self.a_out.close()
        self.b_out.close()


@pytest.fixture
def pairs() -> Iterator[_Pairs]:
    p = _Pairs()
    yield p
    p.close()


def _read_to_eof(sock: socket.socket) -> bytes:
    data = b""
    for _ in range(1000):
        piece = sock.recv(65536)
        if not piece:
            return data
        data += piece
    raise AssertionError("no EOF after 1000 reads")


def test_bytes_go_both_ways(pairs: _Pairs) -> None:
    pairs.a_out.sendall(b"ping")
    assert pairs.b_out.recv(100) == b"ping"
    big = bytes(range(256)) * 1000
    pairs.b_out.sendall(big)
    received = b""
    while len(received) < len(big):
        received += pairs.a_out.recv(65536)
    assert received == big


def test_one_side_ending_closes_both(pairs: _Pairs) -> None:
    pairs.b_out.sendall(b"last words")
    pairs.b_out.shutdown(socket.SHUT_WR)
    assert _read_to_eof(pairs.a_out) == b"last words"
    pairs.thread.join(5)
    assert not pairs.thread.is_alive()
    assert pairs.a.fileno() == -1 and pairs.b.fileno() == -1


def test_stop_ends_the_relay(pairs: _Pairs) -> None:
    pairs.stop.set()
    pairs.thread.join(5)
    assert not pairs.thread.is_alive()
    assert _read_to_eof(pairs.a_out) == b""
    assert _read_to_eof(pairs.b_out) == b""


def test_limit_bounds_an_idle_relay() -> None:
    p = _Pairs(limit=0.3)
    started = time.monotonic()
    try:
        p.thread.join(5)
        assert not p.thread.is_alive()
        assert 0.25 < time.monotonic() - started < 3
        assert _read_to_eof(p.a_out) == b""
    finally:
        p.close()


class _Upper:
    """Holds everything back until the source ends, then sends it upper-cased."""

    def __init__(self) -> None:
        self.held = b""

    def feed(self, data: bytes) -> bytes:
        self.held += data
        return b""

    def flush(self) -> bytes:
        return self.held.upper()


def test_filter_sees_only_b_to_a_and_is_flushed_at_the_end() -> None:
    p = _Pairs(from_b=_Upper())
    try:
        p.a_out.sendall(b"request")
        assert p.b_out.recv(100) == b"request"
        p.b_out.sendall(b"resp")
        p.b_out.sendall(b"onse")
        p.b_out.shutdown(socket.SHUT_WR)
        assert _read_to_eof(p.a_out) == b"RESPONSE"
    finally:
        p.close()
