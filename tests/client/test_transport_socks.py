"""SOCKS5 and SOCKS4 proxies end to end through the loopback SOCKS server
(tests/servers/socks.py), and the transport's `max_header_fields`.

Every scenario runs with `Client` and with `AsyncClient` on asyncio, uvloop and trio, for
faststream and, where httpx 0.28.1 has a rule, for httpx too (the oracle): plain http and
https targets, `socks5h` (the proxy gets the host name) and `socks5` (faststream resolves the
name and sends an address; httpx sends the name: a documented deviation), credentials
accepted and refused, a refusing proxy, `Proxy(...)`, mounts and `ALL_PROXY`. Proxies that
close mid-handshake, answer garbage or stall are faststream only: httpx lets socksio's own
`ProtocolError` escape for the first two and waits forever on the third.

SOCKS4 and SOCKS4a are faststream only (httpx refuses both schemes with `ValueError`): `socks4`
resolves the name here and sends an IPv4 address, `socks4a` sends the name; the same
scenarios run through them, plus SOCKS4's own rules (a user id and no password, IPv4 only,
its refusal codes).
"""

from __future__ import annotations

import gc
import socket
import ssl
import sys
import time
import typing
import warnings
from collections.abc import Iterator

import pytest

from faststream._transports._socks import SocksHandshake
from tests.client._async_adapter import Mode
from tests.client._helpers import FASTSTREAM, Lib
from tests.servers.app import AppServer
from tests.servers.socks import SocksServer

pytestmark = [pytest.mark.timeout(60), pytest.mark.usefixtures("client_mode")]

USER, PASSWORD = "socks-user", "socks-secret"


@pytest.fixture
def socks() -> Iterator[SocksServer]:
    with SocksServer() as server:
        yield server


@pytest.fixture
def auth_socks() -> Iterator[SocksServer]:
    with SocksServer(auth=(USER, PASSWORD)) as server:
        yield server


def http_transport(lib: Lib, **options: typing.Any) -> typing.Any:
    """The library's network transport for the client kind of the current mode."""
    if lib.mode == "sync":
        return lib.HTTPTransport(**options)
    return lib.module.AsyncHTTPTransport(**options)


def proxy_error(lib: Lib, client: typing.Any, url: str) -> str:
    """The message of the `ProxyError` that `client.get(url)` raises.

    httpcore 1.0 leaves its socket to the proxy open when a SOCKS handshake fails (it is
    closed only when garbage-collected, with a `ResourceWarning`); for httpx that collection
    happens here, with the warning silenced, so that it is not blamed on a later test."""
    with warnings.catch_warnings():
        if lib.name == "httpx":
            warnings.simplefilter("ignore", ResourceWarning)
        try:
            client.get(url)
        except lib.ProxyError as exc:
            message = str(exc)
        else:
            raise AssertionError("no ProxyError")
        gc.collect()
    return message


def by_name(server: AppServer) -> str:
    """The server's URL with the host name `localhost` instead of its address."""
    return server.url.replace("127.0.0.1", "localhost")


# --- requests through the proxy ------------------------------------------------------------


def test_socks5h_sends_the_host_name_to_the_proxy(
    lib: Lib, app_server: AppServer, socks: SocksServer
) -> None:
    with lib.Client(proxy=socks.url("socks5h")) as client:
        response = client.get(by_name(app_server) + "/echo?x=1")
        assert client.get(by_name(app_server) + "/echo").status_code == 200
    assert response.json()["target"] == "/echo?x=1"
    record = socks.seen[0]
    assert (record.version, record.address_type, record.host) == ("socks5", "domain", "localhost")
    assert record.port == app_server.port
    assert socks.connections_accepted == 1  # the connection through the proxy was reused
    assert len(app_server.requests) == 2


def test_socks5_sends_an_address(lib: Lib, app_server: AppServer, socks: SocksServer) -> None:
    with lib.Client(proxy=socks.url("socks5")) as client:
        assert client.get(by_name(app_server) + "/echo").status_code == 200
    record = socks.seen[0]
    if lib.name == "faststream":
        # Resolved here: the proxy never sees the name (curl's meaning of socks5://).
        assert record.address_type in ("ipv4", "ipv6")
        assert record.host in ("127.0.0.1", "::1")
    else:
        # httpx sends the name for socks5:// as well.
        assert (record.address_type, record.host) == ("domain", "localhost")


def test_an_address_in_the_url_goes_to_the_proxy_as_it_is(
    lib: Lib, app_server: AppServer, socks: SocksServer
) -> None:
    with lib.Client(proxy=socks.url("socks5h")) as client:
        body = client.post(app_server.url + "/echo", content=b"z" * 100_000).json()
    assert body["body_length"] == 100_000
    assert [(r.address_type, r.host) for r in socks.seen] == [("ipv4", "127.0.0.1")]


@pytest.mark.parametrize("scheme", ["socks5", "socks5h"])
def test_https_through_the_proxy(
    lib: Lib,
    tls_server: AppServer,
    tls_client_context: ssl.SSLContext,
    socks: SocksServer,
    scheme: str,
) -> None:
    with lib.Client(proxy=socks.url(scheme), verify=tls_client_context) as client:
        response = client.get(by_name(tls_server) + "/bytes/70000")
    assert response.status_code == 200 and len(response.content) == 70000
    assert socks.seen[0].port == tls_server.port
    assert len(tls_server.requests) == 1


def test_credentials_are_accepted(lib: Lib, app_server: AppServer, auth_socks: SocksServer) -> None:
    proxy = lib.Proxy(auth_socks.url("socks5h", (USER, PASSWORD)))
    with lib.Client(proxy=proxy) as client:
        assert client.get(app_server.url + "/echo").status_code == 200
    assert auth_socks.seen[0].user == USER


@pytest.mark.parametrize("credentials", [(USER, "wrong"), None])
def test_credentials_refused_are_a_proxy_error(
    lib: Lib,
    app_server: AppServer,
    auth_socks: SocksServer,
    credentials: tuple[str, str] | None,
) -> None:
    with lib.Client(proxy=auth_socks.url("socks5h", credentials)) as client:
        message = proxy_error(lib, client, app_server.url + "/echo")
    if credentials is None:
        assert message == (
            "Requested NO AUTHENTICATION REQUIRED from proxy server, but got NO ACCEPTABLE METHODS."
        )
    else:
        assert message == "Invalid username/password"
    assert auth_socks.seen == [] and app_server.requests == []


@pytest.mark.parametrize(
    "code, reason",
    [(1, "General SOCKS server failure"), (2, "Connection not allowed by ruleset"),
     (5, "Connection refused")],
)  # fmt: skip
def test_a_refusing_proxy_is_a_proxy_error_naming_the_reply(
    lib: Lib, app_server: AppServer, code: int, reason: str
) -> None:
    with SocksServer(fault="refuse", reply_code=code) as proxy:
        with lib.Client(proxy=proxy.url("socks5h")) as client:
            message = proxy_error(lib, client, app_server.url + "/echo")
    assert message == f"Proxy Server could not connect: {reason}."
    assert app_server.requests == []


def test_an_unreachable_target_is_a_proxy_error(
    lib: Lib, closed_port: int, socks: SocksServer
) -> None:
    with lib.Client(proxy=socks.url("socks5h")) as client:
        message = proxy_error(lib, client, f"http://127.0.0.1:{closed_port}/")
    assert message == "Proxy Server could not connect: Connection refused."


# --- where the proxy comes from ------------------------------------------------------------


def test_all_proxy_from_the_environment(
    lib: Lib, app_server: AppServer, socks: SocksServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALL_PROXY", socks.url("socks5h"))
    with lib.Client() as client:
        assert client.get(by_name(app_server) + "/echo").status_code == 200
    with lib.Client(trust_env=False) as client:
        assert client.get(by_name(app_server) + "/echo").status_code == 200
    assert [r.host for r in socks.seen] == ["localhost"]
    assert len(app_server.requests) == 2


def test_mounted_socks_transport(lib: Lib, app_server: AppServer, socks: SocksServer) -> None:
    mounts = {f"http://localhost:{app_server.port}": http_transport(lib, proxy=socks.url())}
    with lib.Client(mounts=mounts) as client:
        assert client.get(by_name(app_server) + "/echo").status_code == 200
        assert client.get(app_server.url + "/echo").status_code == 200  # not mounted: direct
    assert len(socks.seen) == 1
    assert len(app_server.requests) == 2


def test_socks4_is_accepted_where_httpx_refuses_it(lib: Lib) -> None:
    for scheme in ("socks4", "socks4a"):
        url = f"{scheme}://127.0.0.1:1080"
        if lib.name == "httpx":
            with pytest.raises(ValueError, match="Unknown scheme for proxy URL"):
                lib.Client(proxy=url)
        else:
            assert lib.Proxy(url).url == lib.URL(url)
            lib.Client(proxy=url).close()  # the requests go through it: see below


def test_without_socksio_the_transport_says_what_to_install(
    lib: Lib, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "socksio", None)
    with pytest.raises(ImportError) as info:
        http_transport(lib, proxy="socks5://127.0.0.1:1080")
    package = "faststream-http" if lib.name == "faststream" else "httpx"
    assert str(info.value) == (
        "Using SOCKS proxy, but the 'socksio' package is not installed. Make sure to install "
        f"{lib.name} using `pip install {package}[socks]`."
    )


# --- SOCKS4 and SOCKS4a (faststream: httpx refuses both schemes) ---------------------------

SOCKS4_SCHEMES = ["socks4", "socks4a"]
# What the proxy receives for a target named "localhost", per scheme.
SOCKS4_SEEN = {
    "socks4": ("socks4", "ipv4", "127.0.0.1"),  # resolved here: never the name
    "socks4a": ("socks4a", "domain", "localhost"),
}
SOCKS4_REFUSALS = {
    91: "Request rejected or failed",
    92: "Request rejected because the proxy cannot connect to identd on the client",
    93: "Request rejected because identd on the client reported a different user id",
}


@pytest.mark.parametrize("scheme", SOCKS4_SCHEMES)
def test_socks4_sends_an_address_and_socks4a_the_name(
    app_server: AppServer, socks: SocksServer, scheme: str
) -> None:
    with FASTSTREAM.Client(proxy=socks.url(scheme)) as client:
        response = client.get(by_name(app_server) + "/echo?x=1")
        assert client.get(by_name(app_server) + "/echo").status_code == 200
    assert response.json()["target"] == "/echo?x=1"
    assert [(r.version, r.address_type, r.host) for r in socks.seen] == [SOCKS4_SEEN[scheme]]
    assert (socks.seen[0].port, socks.seen[0].user) == (app_server.port, "")
    assert socks.connections_accepted == 1  # the connection through the proxy was reused
    assert len(app_server.requests) == 2


@pytest.mark.parametrize("scheme", SOCKS4_SCHEMES)
def test_socks4_an_ipv4_address_in_the_url_goes_as_an_address(
    app_server: AppServer, socks: SocksServer, scheme: str
) -> None:
    with FASTSTREAM.Client(proxy=socks.url(scheme)) as client:
        body = client.post(app_server.url + "/echo", content=b"z" * 100_000).json()
    assert body["body_length"] == 100_000
    # socks4a too: an address is never disguised as a name.
    assert [(r.version, r.address_type, r.host) for r in socks.seen] == [
        ("socks4", "ipv4", "127.0.0.1")
    ]


@pytest.mark.parametrize("scheme", SOCKS4_SCHEMES)
def test_socks4_https_through_the_proxy(
    tls_server: AppServer, tls_client_context: ssl.SSLContext, socks: SocksServer, scheme: str
) -> None:
    with FASTSTREAM.Client(proxy=socks.url(scheme), verify=tls_client_context) as client:
        response = client.get(by_name(tls_server) + "/bytes/70000")
    assert response.status_code == 200 and len(response.content) == 70000
    assert [(r.version, r.address_type, r.host) for r in socks.seen] == [SOCKS4_SEEN[scheme]]
    assert socks.seen[0].port == tls_server.port
    assert len(tls_server.requests) == 1


@pytest.mark.parametrize(
    "scheme, credentials",
    [("socks4", (USER, "ignored")), ("socks4a", (USER, ""))],
)
def test_socks4_user_id_is_the_user_name_and_a_password_is_ignored(
    app_server: AppServer, auth_socks: SocksServer, scheme: str, credentials: tuple[str, str]
) -> None:
    # The server checks the user id only: SOCKS4 has no password to send.
    with FASTSTREAM.Client(proxy=FASTSTREAM.Proxy(auth_socks.url(scheme, credentials))) as client:
        assert client.get(app_server.url + "/echo").status_code == 200
    proxy = FASTSTREAM.Proxy(auth_socks.url(scheme), auth=(USER, "also ignored"))
    with FASTSTREAM.Client(proxy=proxy) as client:
        assert client.get(by_name(app_server) + "/echo").status_code == 200
    assert [r.user for r in auth_socks.seen] == [USER, USER]
    assert len(app_server.requests) == 2


@pytest.mark.parametrize("scheme", SOCKS4_SCHEMES)
def test_socks4_a_wrong_user_id_is_a_proxy_error(
    app_server: AppServer, auth_socks: SocksServer, scheme: str
) -> None:
    with FASTSTREAM.Client(proxy=auth_socks.url(scheme, ("someone-else", PASSWORD))) as client:
        message = proxy_error(FASTSTREAM, client, app_server.url + "/echo")
    assert message == f"Proxy Server could not connect: {SOCKS4_REFUSALS[93]}."
    assert [r.user for r in auth_socks.seen] == ["someone-else"]
    assert app_server.requests == []


@pytest.mark.parametrize("code, scheme", [(91, "socks4"), (92, "socks4a"), (93, "socks4")])
def test_socks4_a_refusing_proxy_is_a_proxy_error_naming_the_reply(
    app_server: AppServer, code: int, scheme: str
) -> None:
    with SocksServer(fault="refuse", reply_code=code) as proxy:
        with FASTSTREAM.Client(proxy=proxy.url(scheme)) as client:
            message = proxy_error(FASTSTREAM, client, app_server.url + "/echo")
            # Nothing is left behind: the next request opens a new connection and fails alike.
            assert proxy_error(FASTSTREAM, client, app_server.url + "/echo") == message
    assert message == f"Proxy Server could not connect: {SOCKS4_REFUSALS[code]}."
    assert proxy.connections_accepted == 2 and app_server.requests == []


def test_socks4_an_unreachable_target_is_a_proxy_error(
    closed_port: int, socks: SocksServer
) -> None:
    with FASTSTREAM.Client(proxy=socks.url("socks4a")) as client:
        message = proxy_error(FASTSTREAM, client, f"http://localhost:{closed_port}/")
    assert message == f"Proxy Server could not connect: {SOCKS4_REFUSALS[91]}."


@pytest.mark.parametrize("scheme", SOCKS4_SCHEMES)
def test_socks4_an_ipv6_target_is_a_proxy_error_before_dialing(
    app_server: AppServer, socks: SocksServer, scheme: str
) -> None:
    limits = FASTSTREAM.Limits(max_connections=1)
    with FASTSTREAM.Client(proxy=socks.url(scheme), limits=limits, timeout=5) as client:
        for _ in range(2):  # the pool slot is given back each time
            message = proxy_error(FASTSTREAM, client, "http://[::1]:8080/")
            assert message == (
                "A SOCKS4 proxy can only connect to IPv4 addresses, not ::1: "
                "use a SOCKS5 proxy for IPv6."
            )
        assert socks.connections_accepted == 0
        assert client.get(app_server.url + "/echo").status_code == 200
    assert len(socks.seen) == 1


_V6 = (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::1", 0, 0, 0))
_V4 = (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 0))


def fake_names(monkeypatch: pytest.MonkeyPatch, names: dict[str, list[typing.Any]]) -> None:
    """Make `socket.getaddrinfo` answer `names` (host -> results) and resolve the rest; not
    on uvloop, which resolves names in libuv, out of a patched getaddrinfo's reach."""
    if Mode.current == "uvloop":
        pytest.skip("uvloop resolves names in libuv, out of reach of a patched getaddrinfo")
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(
        host: typing.Any, port: typing.Any, *args: typing.Any, **kw: typing.Any
    ) -> typing.Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name in names:
            return names[name]
        return real_getaddrinfo(host, port, *args, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_socks4_a_name_resolving_to_ipv6_only_is_a_proxy_error(
    app_server: AppServer, socks: SocksServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_names(monkeypatch, {"v6only.test": [_V6]})
    with FASTSTREAM.Client(proxy=socks.url("socks4")) as client:
        message = proxy_error(FASTSTREAM, client, f"http://v6only.test:{app_server.port}/")
    assert message == (
        "A SOCKS4 proxy can only connect to IPv4 addresses, not ::1: use a SOCKS5 proxy for IPv6."
    )
    assert socks.connections_accepted == 0 and app_server.requests == []


def test_socks4_a_name_with_ipv6_first_sends_its_ipv4_address(
    app_server: AppServer, socks: SocksServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_names(monkeypatch, {"dual.test": [_V6, _V4]})
    with FASTSTREAM.Client(proxy=socks.url("socks4")) as client:
        response = client.get(f"http://dual.test:{app_server.port}/echo")
    assert response.status_code == 200
    assert [(record.address_type, record.host) for record in socks.seen] == [("ipv4", "127.0.0.1")]


@pytest.mark.parametrize("scheme", SOCKS4_SCHEMES)
def test_socks4_all_proxy_from_the_environment(
    app_server: AppServer, socks: SocksServer, monkeypatch: pytest.MonkeyPatch, scheme: str
) -> None:
    monkeypatch.setenv("ALL_PROXY", socks.url(scheme, (USER, PASSWORD)))
    with FASTSTREAM.Client() as client:
        assert client.get(by_name(app_server) + "/echo").status_code == 200
    with FASTSTREAM.Client(trust_env=False) as client:
        assert client.get(by_name(app_server) + "/echo").status_code == 200
    seen = [(r.version, r.address_type, r.host, r.user) for r in socks.seen]
    assert seen == [(*SOCKS4_SEEN[scheme], USER)]
    assert len(app_server.requests) == 2


@pytest.mark.parametrize("scheme", SOCKS4_SCHEMES)
def test_socks4_mounted_transport(app_server: AppServer, socks: SocksServer, scheme: str) -> None:
    transport = http_transport(FASTSTREAM, proxy=socks.url(scheme))
    with FASTSTREAM.Client(mounts={f"http://localhost:{app_server.port}": transport}) as client:
        assert client.get(by_name(app_server) + "/echo").status_code == 200
        assert client.get(app_server.url + "/echo").status_code == 200  # not mounted: direct
    assert [(r.version, r.address_type, r.host) for r in socks.seen] == [SOCKS4_SEEN[scheme]]
    assert len(app_server.requests) == 2


# --- proxies that misbehave (faststream: httpx has no rule for these) ----------------------


@pytest.mark.parametrize("scheme", ["socks5h", "socks4", "socks4a"])
@pytest.mark.parametrize(
    "fault, message",
    [
        ("close", "closed the connection during the handshake"),
        ("garbage", "malformed reply"),
    ],
)
def test_a_broken_handshake_is_a_proxy_error(
    app_server: AppServer, fault: str, message: str, scheme: str
) -> None:
    with SocksServer(fault=fault) as proxy:
        with FASTSTREAM.Client(proxy=proxy.url(scheme), timeout=5) as client:
            started = time.monotonic()
            with pytest.raises(FASTSTREAM.ProxyError, match=message):
                client.get(app_server.url + "/echo")
    assert time.monotonic() - started < 4
    assert proxy.connections_accepted == 1 and app_server.requests == []


@pytest.mark.parametrize("scheme", ["socks5h", "socks4"])
def test_an_unknown_reply_code_is_a_proxy_error(app_server: AppServer, scheme: str) -> None:
    with SocksServer(fault="refuse", reply_code=0x42) as proxy:
        with FASTSTREAM.Client(proxy=proxy.url(scheme)) as client:
            with pytest.raises(FASTSTREAM.ProxyError, match="malformed reply"):
                client.get(app_server.url + "/echo")
    assert app_server.requests == []


@pytest.mark.parametrize("scheme", ["socks5h", "socks4a"])
def test_a_stalling_proxy_times_out_within_the_connect_timeout(
    app_server: AppServer, scheme: str
) -> None:
    with SocksServer(fault="stall") as proxy:
        timeout = FASTSTREAM.Timeout(5, connect=0.5)
        with FASTSTREAM.Client(proxy=proxy.url(scheme), timeout=timeout) as client:
            started = time.monotonic()
            with pytest.raises(FASTSTREAM.ConnectTimeout):
                client.get(app_server.url + "/echo")
            elapsed = time.monotonic() - started
    assert 0.4 < elapsed < 3
    assert app_server.requests == []


# --- max_header_fields -------------------------------------------------------------------


def test_max_header_fields_raises_the_cap(app_server: AppServer) -> None:
    url = app_server.url + "/headers-flood?n=150"
    with FASTSTREAM.Client(transport=http_transport(FASTSTREAM)) as client:
        with pytest.raises(FASTSTREAM.RemoteProtocolError, match="Too many response headers"):
            client.get(url)
    transport = http_transport(FASTSTREAM, max_header_fields=200)
    with FASTSTREAM.Client(transport=transport) as client:
        response = client.get(url)
    assert response.headers["X-Flood-149"] == "149"
    transport = http_transport(FASTSTREAM, max_header_fields=10)
    with FASTSTREAM.Client(transport=transport) as client:
        with pytest.raises(FASTSTREAM.RemoteProtocolError, match=r"> 10$"):
            client.get(app_server.url + "/headers-flood?n=11")


def test_max_header_fields_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_header_fields"):
        http_transport(FASTSTREAM, max_header_fields=0)


# --- the sans-I/O handshake ----------------------------------------------------------------


def test_handshake_replies_may_arrive_a_byte_at_a_time() -> None:
    proxy = FASTSTREAM.Proxy("socks5h://u:pw@127.0.0.1:1080")
    handshake = SocksHandshake(proxy, "example.com", 443)
    assert handshake.data_to_send() == b"\x05\x01\x02"  # offers username/password only
    for reply in (b"\x05\x02", b"\x01\x00"):
        handshake.receive(reply[:1])
        assert handshake.data_to_send() == b""
        handshake.receive(reply[1:])
        if reply[0] == 5:
            assert handshake.data_to_send() == b"\x01\x01u\x02pw"
    assert handshake.data_to_send() == b"\x05\x01\x00\x03\x0bexample.com\x01\xbb"
    reply = b"\x05\x00\x00\x03\x04name\x00\x50"  # bound to a name: variable length
    for i in range(len(reply)):
        assert not handshake.done
        handshake.receive(reply[i : i + 1])
    assert handshake.done


def test_handshake_refuses_bytes_beyond_a_reply() -> None:
    handshake = SocksHandshake(FASTSTREAM.Proxy("socks5h://127.0.0.1:1080"), "example.com", 80)
    handshake.data_to_send()
    handshake.receive(b"\x05\x00")
    handshake.data_to_send()
    with pytest.raises(FASTSTREAM.ProxyError, match="bytes after its reply"):
        handshake.receive(b"\x05\x00\x00\x01\x7f\x00\x00\x01\x00\x50GET")


@pytest.mark.parametrize(
    "url, host, request_bytes",
    [
        ("socks4://127.0.0.1:1080", "10.1.2.3", b"\x04\x01\x01\xbb\x0a\x01\x02\x03\x00"),
        ("socks4://u:pw@127.0.0.1:1080", "10.1.2.3", b"\x04\x01\x01\xbb\x0a\x01\x02\x03u\x00"),
        ("socks4a://u@h", "example.com", b"\x04\x01\x01\xbb\0\0\0\x01u\x00example.com\x00"),
        ("socks4a://h", "10.1.2.3", b"\x04\x01\x01\xbb\x0a\x01\x02\x03\x00"),
        ("socks4a://h", "b\u00fccher.de", b"\x04\x01\x01\xbb\0\0\0\x01\x00xn--bcher-kva.de\x00"),
    ],
)
def test_socks4_handshake_bytes(url: str, host: str, request_bytes: bytes) -> None:
    handshake = SocksHandshake(FASTSTREAM.Proxy(url), host, 443)
    assert handshake.data_to_send() == request_bytes
    assert handshake.data_to_send() == b""
    reply = b"\x00\x5a\x00\x00\x00\x00\x00\x00"
    for i in range(len(reply)):  # a reply may arrive a byte at a time
        assert not handshake.done
        handshake.receive(reply[i : i + 1])
    assert handshake.done


def test_socks5h_sends_an_international_name_in_its_idna_form() -> None:
    handshake = SocksHandshake(FASTSTREAM.Proxy("socks5h://h"), "b\u00fccher.de", 80)
    handshake.data_to_send()
    handshake.receive(b"\x05\x00")
    assert handshake.data_to_send() == b"\x05\x01\x00\x03\x10xn--bcher-kva.de\x00\x50"


@pytest.mark.parametrize(
    "url, host, message",
    [
        ("socks4://h", "example.com", "socks4:// sends addresses only"),
        ("socks4://h", "::1", "only connect to IPv4 addresses, not ::1"),
        ("socks4a://h", "2001:db8::1", "only connect to IPv4 addresses, not 2001:db8::1"),
        ("socks4a://a%00b@h", "example.com", "user id cannot contain a NUL byte"),
        ("socks5h://h", "a" * 256, "longer than 255 bytes"),
    ],
)
def test_a_request_socks_cannot_express_is_refused_before_sending(
    url: str, host: str, message: str
) -> None:
    with pytest.raises(FASTSTREAM.ProxyError, match=message):
        SocksHandshake(FASTSTREAM.Proxy(url), host, 80)


@pytest.mark.parametrize(
    "reply, message",
    [
        (b"\x04\x5a\0\0\0\0\0\0", "malformed reply"),  # VN must be 0
        (b"\x00\x00\0\0\0\0\0\0", "malformed reply"),  # a SOCKS5 "succeeded" is not SOCKS4's
        (b"\x00\x5a\0\0\0\0\0\0GET", "bytes after its reply"),
        (b"", "closed the connection during the handshake"),
    ],
)
def test_socks4_replies_that_are_not_a_grant(reply: bytes, message: str) -> None:
    handshake = SocksHandshake(FASTSTREAM.Proxy("socks4a://h"), "example.com", 80)
    handshake.data_to_send()
    with pytest.raises(FASTSTREAM.ProxyError, match=message):
        handshake.receive(reply)


def test_socks4_a_short_reply_then_a_close_is_a_proxy_error() -> None:
    handshake = SocksHandshake(FASTSTREAM.Proxy("socks4://h"), "10.0.0.1", 80)
    handshake.data_to_send()
    handshake.receive(b"\x00\x5a\x00\x50")  # half a reply: waits for the rest
    assert not handshake.done
    with pytest.raises(FASTSTREAM.ProxyError, match="closed the connection during the handshake"):
        handshake.receive(b"")
