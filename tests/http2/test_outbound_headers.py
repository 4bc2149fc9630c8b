"""The request head as it goes out over HTTP/2: which fields are sent, normalized, dropped or
refused, and which are kept out of HPACK's dynamic table.

Two levels: the exchange alone (what `H2Exchange.start_request` puts on the wire, decoded
with hpack, so that never-indexed literals show), and whole clients against hypercorn, where
faststream must send what httpx[http2] sends and refuse what it refuses, with the same
exception type and message.
"""

from __future__ import annotations

import json
import random
import typing
from collections.abc import Iterator

import h2.config
import h2.connection
import h2.events
import h2.settings
import hpack
import pytest

from faststream import LocalProtocolError
from faststream._transports._http2_exchange import H2Exchange
from faststream._transports._http11_exchange import KeptFields
from tests.client._async_adapter import MODE_NAMES, Mode, mode_param
from tests.client._helpers import Lib
from tests.servers.hypercorn_h2 import HypercornServer

Fields = list[tuple[bytes, bytes]]

_HEADERS, _CONTINUATION = 0x1, 0x9


class _Peer:
    """An exchange connected to an h2 server, and a decoder for the request heads it sends
    (one HPACK context for the connection, as the server keeps)."""

    def __init__(self) -> None:
        self.exchange = H2Exchange()
        server = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=False, header_encoding=None)
        )
        server.initiate_connection()
        server.receive_data(self.exchange.initiate())
        self.exchange.received(server.data_to_send())
        server.receive_data(self.exchange.data_to_send())
        self.exchange.received(server.data_to_send())
        self.exchange.data_to_send()
        self.decoder = hpack.Decoder()

    def send(
        self,
        headers: Fields,
        method: bytes = b"GET",
        scheme: bytes = b"https",
        authority: bytes = b"example.org",
        path: bytes = b"/",
    ) -> list[typing.Any]:
        """The header list a server decodes from the request's HEADERS (and CONTINUATION)."""
        self.exchange.start_request(method, scheme, authority, path, headers, end_stream=True)
        data = self.exchange.data_to_send()
        block = b""
        offset = 0
        while offset < len(data):
            length = int.from_bytes(data[offset : offset + 3], "big")
            kind = data[offset + 3]
            if kind in (_HEADERS, _CONTINUATION):
                block += data[offset + 9 : offset + 9 + length]
            offset += 9 + length
        assert block, "no HEADERS were sent"
        return list(self.decoder.decode(block, raw=True))


def _pairs(decoded: list[typing.Any]) -> Fields:
    return [(bytes(name), bytes(value)) for name, value in decoded]


_PSEUDO = [
    (b":method", b"GET"),
    (b":authority", b"example.org"),
    (b":scheme", b"https"),
    (b":path", b"/"),
]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ([(b"Accept", b"*/*"), (b"X-Upper", b"V")], [(b"accept", b"*/*"), (b"x-upper", b"V")]),
        # the value's surrounding spaces and tabs go; those inside stay
        ([(b"x-a", b" v\t"), (b"x-b", b"a\tb c")], [(b"x-a", b"v"), (b"x-b", b"a\tb c")]),
        ([(b"x-empty", b"")], [(b"x-empty", b"")]),
        # fields about the HTTP/1.1 connection are not sent
        (
            [
                (b"Connection", b"close"),
                (b"Keep-Alive", b"5"),
                (b"Proxy-Connection", b"keep-alive"),
                (b"Transfer-Encoding", b"chunked"),
                (b"Upgrade", b"h2c"),
                (b"x-kept", b"1"),
            ],
            [(b"x-kept", b"1")],
        ),
        # TE: only "trailers" (any case) may be sent
        ([(b"TE", b"trailers")], [(b"te", b"trailers")]),
        ([(b"te", b"Trailers")], [(b"te", b"Trailers")]),
        ([(b"te", b"gzip"), (b"te", b" trailers"), (b"x", b"1")], [(b"x", b"1")]),
        # repeated fields stay repeated, in order
        (
            [(b"x-r", b"1"), (b"x-s", b"2"), (b"x-r", b"3")],
            [(b"x-r", b"1"), (b"x-s", b"2"), (b"x-r", b"3")],
        ),
    ],
)
def test_regular_fields_are_normalized(headers: Fields, expected: Fields) -> None:
    peer = _Peer()
    for _ in range(2):  # the second time from HPACK's dynamic table where indexable
        assert _pairs(peer.send(headers)) == _PSEUDO + expected


@pytest.mark.parametrize(
    ("hosts", "authority"),
    [
        ([(b"Host", b"other.example")], b"other.example"),
        ([(b"host", b" spaced.example\t")], b"spaced.example"),
        ([(b"Host", b"first.example"), (b"Host", b"second.example")], b"second.example"),
    ],
)
def test_host_becomes_the_authority(hosts: Fields, authority: bytes) -> None:
    sent = _pairs(_Peer().send([*hosts, (b"x", b"1")]))
    assert sent == [
        (b":method", b"GET"),
        (b":authority", authority),
        (b":scheme", b"https"),
        (b":path", b"/"),
        (b"x", b"1"),
    ]


def test_pseudo_header_values_lose_surrounding_whitespace() -> None:
    sent = _pairs(
        _Peer().send([], method=b" GET\t", scheme=b"https ", authority=b" a.example", path=b"/p ")
    )
    assert sent == [
        (b":method", b"GET"),
        (b":authority", b"a.example"),
        (b":scheme", b"https"),
        (b":path", b"/p"),
    ]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        (b"X A", b"v"),
        (b" X-A", b"v"),
        (b"X-A ", b"v"),
        (b"X-A:", b"v"),
        (b":path", b"/x"),
        (b"", b"v"),
        (b"x-\xc3\xa9", b"v"),
        (b"x-a", b"a\r\nb"),
        (b"x-a", b"a\nb"),
        (b"x-a", b"a\rb"),
        (b"x-a", b"a\x00b"),
        (b"x-a", b"a\x0bb"),
        (b"x-a", b"a\x7f"),
        (b"Host", b"a.example\r\nx: y"),
    ],
)
def test_illegal_fields_are_refused(name: bytes, value: bytes) -> None:
    peer = _Peer()
    with pytest.raises(LocalProtocolError) as info:
        peer.exchange.start_request(
            b"GET", b"https", b"example.org", b"/", [(name, value)], end_stream=True
        )
    assert str(info.value) == f"Illegal header field: {name!r}: {value!r}"
    assert peer.exchange.data_to_send() == b""  # nothing went out
    assert not peer.exchange.streams
    # the connection goes on
    assert _pairs(peer.send([(b"x", b"1")])) == [*_PSEUDO, (b"x", b"1")]


@pytest.mark.parametrize(
    ("method", "path", "message"),
    [
        (b"GET", b"", "An empty :path header is forbidden"),
        (b"GET", b" ", "An empty :path header is forbidden"),
        (b"CONNECT", b"/", "Ordinary CONNECT MUST NOT include :scheme or :path"),
    ],
)
def test_impossible_request_heads_are_refused(method: bytes, path: bytes, message: str) -> None:
    peer = _Peer()
    with pytest.raises(LocalProtocolError) as info:
        peer.exchange.start_request(method, b"https", b"example.org", path, [], end_stream=True)
    assert str(info.value) == message
    assert peer.exchange.data_to_send() == b""
    assert not peer.exchange.streams
    # HPACK's context is as before the refused head (had the head been encoded and then
    # dropped, the next one would refer to table entries the server never saw)
    assert _pairs(peer.send([(b"x", b"1")])) == [*_PSEUDO, (b"x", b"1")]


def test_credentials_are_never_indexed() -> None:
    """`authorization`, `proxy-authorization` and a short `cookie` (whose value a dictionary
    attack on the compression could guess) are sent as never-indexed literals, every time;
    other fields are indexable and come from the dynamic table the second time."""
    peer = _Peer()
    headers = [
        (b"Authorization", b"Basic dXNlcjpwYXNz"),
        (b"proxy-authorization", b"Basic cHJveHk6cGFzcw=="),
        (b"cookie", b"session=short"),
        (b"cookie", b"long=0123456789abcdefghij"),
        (b"x-plain", b"value"),
    ]
    secret = {b"authorization", b"proxy-authorization", b"cookie"}
    for _ in range(2):
        decoded = peer.send(headers)
        never = [(bytes(f[0]), bytes(f[1])) for f in decoded if not f.indexable]
        assert never == [
            (b"authorization", b"Basic dXNlcjpwYXNz"),
            (b"proxy-authorization", b"Basic cHJveHk6cGFzcw=="),
            (b"cookie", b"session=short"),
        ]
        assert {bytes(f[0]) for f in decoded if f.indexable} & secret == {b"cookie"}
    # nothing secret entered the dynamic table the server keeps
    table = {bytes(name) for name, _ in peer.decoder.header_table.dynamic_entries}
    assert b"authorization" not in table
    assert b"proxy-authorization" not in table
    values = {bytes(value) for _, value in peer.decoder.header_table.dynamic_entries}
    assert b"session=short" not in values
    assert b"value" in values


def test_kept_field_lists_are_checked_each_time() -> None:
    """A transport hands the same kept list to every request with these fields; what each
    request sends is still that list's normalization, and an illegal list is refused every
    time, not only the first."""
    peer = _Peer()
    kept = KeptFields.kept([(b"Accept", b"*/*"), (b"Connection", b"close"), (b"X-V", b" 1 ")])
    for _ in range(3):
        assert _pairs(peer.send(kept)) == [*_PSEUDO, (b"accept", b"*/*"), (b"x-v", b"1")]
    bad = KeptFields.kept([(b"x-a", b"a\nb")])
    for _ in range(2):
        with pytest.raises(LocalProtocolError):
            peer.exchange.start_request(b"GET", b"https", b"e", b"/", bad, end_stream=True)


# -- differentially against httpx[http2] --------------------------------------------------


@pytest.fixture(scope="module")
def h2c_server() -> Iterator[HypercornServer]:
    with HypercornServer() as server:
        yield server


_SAME_AS_HTTPX: list[tuple[str, dict[str, str]]] = [
    ("GET", {"X-A": " v\t", "X-B": "a\tb"}),
    ("GET", {"X-Upper": "V", "x-lower": "v"}),
    ("GET", {"TE": "trailers"}),
    ("GET", {"te": "Trailers"}),
    ("GET", {"Connection": "close", "Keep-Alive": "5", "Upgrade": "h2c"}),
    ("GET", {"Proxy-Connection": "keep-alive", "Transfer-Encoding": "chunked"}),
    ("GET", {"Host": "example.com"}),
    ("GET", {"Host": " example.com "}),
    ("GET", {"Authorization": "Basic abc", "Cookie": "a=b", "Proxy-Authorization": "x"}),
    ("get", {}),
    (" GET", {}),
    ("POST\t", {}),
    ("CONNECT", {}),
]


def _outcomes(name: str, mode: str, url: str) -> list[typing.Any]:
    seen: list[typing.Any] = []
    lib = Lib(name, mode)
    with lib.Client(http1=False, http2=True) as client:
        for method, headers in _SAME_AS_HTTPX:
            try:
                response = client.request(method, f"{url}/headers", headers=headers)
                fields = [
                    (k, v)
                    for k, v in json.loads(response.content)
                    if k not in ("user-agent", "accept", "accept-encoding")
                ]
                echoed = client.request(method, f"{url}/echo", headers=headers)
                seen.append(
                    (
                        response.status_code,
                        response.http_version,
                        fields,
                        echoed.headers.get("x-method"),
                    )
                )
            except Exception as exc:
                seen.append((type(exc).__name__, str(exc)))
    return seen


@pytest.mark.parametrize("mode", [mode_param(mode) for mode in MODE_NAMES])
def test_request_heads_match_httpx(mode: str, h2c_server: HypercornServer) -> None:
    with Mode.running(mode):
        ours = _outcomes("faststream", mode, h2c_server.url)
        theirs = _outcomes("httpx", mode, h2c_server.url)
    for case, mine, other in zip(_SAME_AS_HTTPX, ours, theirs, strict=True):
        assert mine == other, case
    # what the cases establish, not only that both libraries agree on it
    host = h2c_server.url.split("//", 1)[1]
    assert ours[0] == (200, "HTTP/2", [("host", host), ("x-a", "v"), ("x-b", "a\tb")], "GET")
    assert ours[4][2] == [("host", host)]
    assert ours[7][2] == [("host", "example.com")]
    assert ours[10][3] == "GET"
    assert ours[-1] == ("LocalProtocolError", "Ordinary CONNECT MUST NOT include :scheme or :path")


# -- the same head again: HPACK stays in step with the server ------------------------------


class _Server:
    """An exchange and an h2 server answering each request at once: `send` returns the head
    as the server decoded it (its HPACK context following ours)."""

    def __init__(self) -> None:
        self.exchange = H2Exchange()
        self.server = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=False, header_encoding=None)
        )
        self.server.initiate_connection()
        self.server.receive_data(self.exchange.initiate())
        self._exchange_frames()

    def _exchange_frames(self) -> None:
        for _ in range(3):
            self.exchange.received(self.server.data_to_send())
            self.server.receive_data(self.exchange.data_to_send())

    def send(self, method: bytes, path: bytes, headers: Fields) -> list[typing.Any]:
        stream_id = self.exchange.start_request(
            method, b"https", b"example.org", path, headers, end_stream=True
        )
        events = self.server.receive_data(self.exchange.data_to_send())
        (received,) = [e for e in events if isinstance(e, h2.events.RequestReceived)]
        assert received.stream_id == stream_id
        self.server.send_headers(stream_id, [(b":status", b"204")], end_stream=True)
        self.exchange.received(self.server.data_to_send())
        assert self.exchange.streams[stream_id].ended
        self.exchange.release(stream_id)
        return list(received.headers)

    def table_size(self, size: int) -> None:
        """The server changes SETTINGS_HEADER_TABLE_SIZE: our encoder must follow."""
        self.server.update_settings({h2.settings.SettingCodes.HEADER_TABLE_SIZE: size})
        self._exchange_frames()


def test_repeated_heads_decode_as_sent() -> None:
    """Heads repeated, interleaved with heads that add to HPACK's dynamic table, with many
    distinct never-indexed credentials, and across table-size changes by the server: each
    decodes on the server to exactly what was sent."""
    peer = _Server()
    plain = [(b"accept", b"*/*"), (b"user-agent", b"python-faststream/0")]
    rng = random.Random(7)
    for turn in range(400):
        if turn in (150, 250):
            peer.table_size(0 if turn == 150 else 4096)
        choice = rng.randrange(4)
        if choice == 0:
            path, headers = b"/same", plain
        elif choice == 1:  # a new path and value: literals added to the table
            path, headers = f"/new/{turn}".encode(), [*plain, (b"x-n", str(turn).encode())]
        elif choice == 2:  # never indexed: nothing added, and more than are kept
            path, headers = b"/same", [*plain, (b"authorization", f"Bearer {turn}".encode())]
        else:
            path, headers = b"/other", [(b"accept", b"*/*")]
        method = b"GET" if rng.randrange(3) else b"HEAD"
        expected = [
            (b":method", method),
            (b":authority", b"example.org"),
            (b":scheme", b"https"),
            (b":path", path),
            *headers,
        ]
        assert _pairs(peer.send(method, path, headers)) == expected, turn
