"""SOCKS5 proxies end to end through the loopback SOCKS server (tests/servers/socks.py), and the
transport's `max_header_fields`.

Every scenario runs with `Client` and with `AsyncClient` on asyncio, uvloop and trio, for
faststream and, where httpx 0.28.1 has a rule, for httpx too (the oracle): plain http and
https targets, `socks5h` (the proxy gets the host name) and `socks5` (faststream resolves the
name and sends an address; httpx sends the name: a documented deviation), credentials
accepted and refused, a refusing proxy, `Proxy(...)`, mounts and `ALL_PROXY`. Proxies that
close mid-handshake, answer garbage or stall are faststream only: httpx lets socksio's own
`ProtocolError` escape for the first two and waits forever on the third.
"""

from __future__ import annotations

import gc
import ssl
import sys
import time
import typing
import warnings
from collections.abc import Iterator

import pytest

from faststream._transports._socks import SocksHandshake
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


def test_socks4_is_refused_as_httpx_refuses_it(lib: Lib) -> None:
    for scheme in ("socks4", "socks4a"):
        with pytest.raises(ValueError, match="Unknown scheme for proxy URL"):
            lib.Client(proxy=f"{scheme}://127.0.0.1:1080")


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


# --- proxies that misbehave (faststream: httpx has no rule for these) ----------------------


@pytest.mark.parametrize(
    "fault, message",
    [
        ("close", "closed the connection during the handshake"),
        ("garbage", "malformed reply"),
    ],
)
def test_a_broken_handshake_is_a_proxy_error(
    app_server: AppServer, fault: str, message: str
) -> None:
    with SocksServer(fault=fault) as proxy:
        with FASTSTREAM.Client(proxy=proxy.url("socks5h"), timeout=5) as client:
            started = time.monotonic()
            with pytest.raises(FASTSTREAM.ProxyError, match=message):
                client.get(app_server.url + "/echo")
    assert time.monotonic() - started < 4
    assert proxy.connections_accepted == 1 and app_server.requests == []


def test_an_unknown_reply_code_is_a_proxy_error(app_server: AppServer) -> None:
    with SocksServer(fault="refuse", reply_code=0x42) as proxy:
        with FASTSTREAM.Client(proxy=proxy.url("socks5h")) as client:
            with pytest.raises(FASTSTREAM.ProxyError, match="malformed reply"):
                client.get(app_server.url + "/echo")
    assert app_server.requests == []


def test_a_stalling_proxy_times_out_within_the_connect_timeout(app_server: AppServer) -> None:
    with SocksServer(fault="stall") as proxy:
        timeout = FASTSTREAM.Timeout(5, connect=0.5)
        with FASTSTREAM.Client(proxy=proxy.url("socks5h"), timeout=timeout) as client:
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
