"""Proxies through the Client against the loopback forward proxy (tests/servers/proxy.py):
absolute-form forwarding for http, CONNECT tunnels for https, proxy credentials (THREATS T31),
proxies from the environment (`trust_env`, `NO_PROXY`; THREATS T33), and https through an
https proxy (TLS inside TLS) with every client kind."""

from __future__ import annotations

import asyncio.sslproto
import base64
import contextlib
import functools
import gc
import socket
import ssl
import threading
import time
import typing
import warnings
from collections.abc import Iterator
from types import ModuleType

import pytest

import faststream
from tests.client._backends import gather, run_on
from tests.client._helpers import PROXY_PASSWORD, PROXY_USER, Lib
from tests.servers.app import AppServer, pattern
from tests.servers.proxy import ProxyServer
from tests.servers.tls import TLSFiles

pytestmark = pytest.mark.timeout(60)

PROXY_TOKEN = "Basic " + base64.b64encode(f"{PROXY_USER}:{PROXY_PASSWORD}".encode()).decode()


def auth_url(proxy: ProxyServer) -> str:
    return proxy.url_with_auth(PROXY_USER, PROXY_PASSWORD)


def origin_saw_proxy_headers(server: AppServer) -> bool:
    return any(
        name.lower().startswith("proxy-")
        for request in server.requests
        for name, _ in request.headers
    )


# http through a forward proxy ----------------------------------------------------------------


def test_http_request_goes_through_the_proxy_in_absolute_form(
    httpx: ModuleType, app_server: AppServer, proxy_server: ProxyServer
) -> None:
    url = f"{app_server.url}/echo?x=1"
    with httpx.Client(proxy=proxy_server.url) as client:
        response = client.get(url)
        assert response.json()["target"] == "/echo?x=1"
        assert client.get(f"{app_server.url}/bytes/50000").content == pattern(50000)
    assert [(r.method, r.target) for r in proxy_server.seen] == [
        ("GET", url),
        ("GET", f"{app_server.url}/bytes/50000"),
    ]
    assert proxy_server.seen[0].header("Host") == f"127.0.0.1:{app_server.port}"
    assert len(app_server.requests) == 2


def test_http_post_body_through_the_proxy(
    httpx: ModuleType, app_server: AppServer, proxy_server: ProxyServer
) -> None:
    with httpx.Client(proxy=proxy_server.url) as client:
        echo = client.post(f"{app_server.url}/echo", content=b"z" * 200_000).json()
        chunked = client.post(f"{app_server.url}/echo", content=iter([b"a", b"b"])).json()
    assert echo["body_length"] == 200_000
    assert chunked["body"] == "ab"


def test_proxy_object_headers_reach_the_proxy(
    httpx: ModuleType, app_server: AppServer, proxy_server: ProxyServer
) -> None:
    proxy = httpx.Proxy(proxy_server.url, headers={"X-Proxy-Note": "hello"})
    with httpx.Client(proxy=proxy) as client:
        assert client.get(f"{app_server.url}/echo").status_code == 200
    assert proxy_server.seen[0].header("X-Proxy-Note") == "hello"


# https through a CONNECT tunnel --------------------------------------------------------------


def test_https_request_goes_through_a_connect_tunnel(
    httpx: ModuleType,
    tls_server: AppServer,
    tls_client_context: ssl.SSLContext,
    proxy_server: ProxyServer,
) -> None:
    with httpx.Client(proxy=proxy_server.url, verify=tls_client_context) as client:
        response = client.get(f"{tls_server.url}/chunked/100000")
        assert response.content == pattern(100000)
        assert client.get(f"{tls_server.url}/echo").json()["connection"] == 1
    [connect] = proxy_server.seen
    assert connect.method == "CONNECT"
    assert connect.target == f"127.0.0.1:{tls_server.port}"
    assert tls_server.connections_accepted == 1


def test_tunnelled_certificate_is_still_verified(
    httpx: ModuleType, tls_server: AppServer, proxy_server: ProxyServer
) -> None:
    with httpx.Client(proxy=proxy_server.url) as client:
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            client.get(f"{tls_server.url}/echo")


# proxy credentials (T31) ---------------------------------------------------------------------


def test_proxy_credentials_reach_the_proxy_only_http(
    httpx: ModuleType, app_server: AppServer, auth_proxy_server: ProxyServer
) -> None:
    with httpx.Client(proxy=auth_url(auth_proxy_server)) as client:
        echo = client.get(f"{app_server.url}/echo").json()
    assert echo["path"] == "/echo"
    assert auth_proxy_server.seen[0].header("Proxy-Authorization") == PROXY_TOKEN
    assert not origin_saw_proxy_headers(app_server)


def test_proxy_credentials_reach_the_proxy_only_https(
    httpx: ModuleType,
    tls_server: AppServer,
    tls_client_context: ssl.SSLContext,
    auth_proxy_server: ProxyServer,
) -> None:
    with httpx.Client(proxy=auth_url(auth_proxy_server), verify=tls_client_context) as client:
        assert client.get(f"{tls_server.url}/echo").status_code == 200
    [connect] = auth_proxy_server.seen
    assert connect.method == "CONNECT"
    assert connect.header("Proxy-Authorization") == PROXY_TOKEN
    assert not origin_saw_proxy_headers(tls_server)


def test_proxy_credentials_do_not_follow_redirects_to_the_origin(
    httpx: ModuleType, app_server: AppServer, auth_proxy_server: ProxyServer
) -> None:
    with httpx.Client(proxy=auth_url(auth_proxy_server), follow_redirects=True) as client:
        response = client.get(f"{app_server.url}/redirect/2")
    assert len(response.history) == 2
    assert len(auth_proxy_server.seen) == 3
    assert all(r.header("Proxy-Authorization") == PROXY_TOKEN for r in auth_proxy_server.seen)
    assert not origin_saw_proxy_headers(app_server)


def test_connect_refused_with_407_is_a_proxy_error(
    httpx: ModuleType, tls_server: AppServer, auth_proxy_server: ProxyServer
) -> None:
    with httpx.Client(proxy=auth_proxy_server.url, verify=False) as client:
        with pytest.raises(httpx.ProxyError) as info:
            client.get(f"{tls_server.url}/echo")
    assert str(info.value) == "407 Proxy Authentication Required"
    assert tls_server.connections_accepted == 0


def test_wrong_proxy_password_is_a_proxy_error(
    httpx: ModuleType, tls_server: AppServer, auth_proxy_server: ProxyServer
) -> None:
    wrong = auth_proxy_server.url_with_auth(PROXY_USER, "wrong")
    with httpx.Client(proxy=wrong, verify=False) as client:
        with pytest.raises(httpx.ProxyError):
            client.get(f"{tls_server.url}/echo")


def test_forward_proxy_407_is_returned_as_a_response(
    httpx: ModuleType, app_server: AppServer, auth_proxy_server: ProxyServer
) -> None:
    with httpx.Client(proxy=auth_proxy_server.url) as client:
        response = client.get(f"{app_server.url}/echo")
    assert response.status_code == 407
    assert response.headers["proxy-authenticate"] == 'Basic realm="proxy"'
    assert app_server.requests == []


def test_unreachable_proxy_is_a_connect_error(
    httpx: ModuleType, app_server: AppServer, closed_port: int
) -> None:
    with httpx.Client(proxy=f"http://127.0.0.1:{closed_port}") as client:
        with pytest.raises(httpx.ConnectError):
            client.get(f"{app_server.url}/echo")
    assert app_server.requests == []


# proxies from the environment ----------------------------------------------------------------


def test_http_proxy_from_the_environment(
    httpx: ModuleType,
    app_server: AppServer,
    proxy_server: ProxyServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy_server.url)
    with httpx.Client() as client:
        assert client.get(f"{app_server.url}/echo").status_code == 200
    assert len(proxy_server.seen) == 1
    assert httpx.get(f"{app_server.url}/echo").status_code == 200
    assert len(proxy_server.seen) == 2


def test_lowercase_and_schemeless_proxy_variables(
    httpx: ModuleType,
    app_server: AppServer,
    proxy_server: ProxyServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("http_proxy", f"127.0.0.1:{proxy_server.port}")
    with httpx.Client() as client:
        assert client.get(f"{app_server.url}/echo").status_code == 200
    assert len(proxy_server.seen) == 1


def test_environment_is_ignored_without_trust_env(
    httpx: ModuleType,
    app_server: AppServer,
    proxy_server: ProxyServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy_server.url)
    with httpx.Client(trust_env=False) as client:
        assert client.get(f"{app_server.url}/echo").status_code == 200
    assert proxy_server.seen == []


def test_https_proxy_from_the_environment(
    httpx: ModuleType,
    tls_server: AppServer,
    app_server: AppServer,
    tls_client_context: ssl.SSLContext,
    proxy_server: ProxyServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxy_server.url)
    with httpx.Client(verify=tls_client_context) as client:
        assert client.get(f"{tls_server.url}/echo").status_code == 200
        # http is not covered by HTTPS_PROXY
        assert client.get(f"{app_server.url}/echo").status_code == 200
    assert [r.method for r in proxy_server.seen] == ["CONNECT"]


def test_all_proxy_from_the_environment(
    httpx: ModuleType,
    app_server: AppServer,
    proxy_server: ProxyServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ALL_PROXY", proxy_server.url)
    with httpx.Client() as client:
        assert client.get(f"{app_server.url}/echo").status_code == 200
    assert len(proxy_server.seen) == 1


@pytest.mark.parametrize("no_proxy", ["127.0.0.1", "*", "localhost,127.0.0.1", "http://127.0.0.1"])
def test_no_proxy_bypasses_the_environment_proxy(
    httpx: ModuleType,
    app_server: AppServer,
    proxy_server: ProxyServer,
    monkeypatch: pytest.MonkeyPatch,
    no_proxy: str,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy_server.url)
    monkeypatch.setenv("NO_PROXY", no_proxy)
    with httpx.Client() as client:
        assert client.get(f"{app_server.url}/echo").status_code == 200
    assert proxy_server.seen == []


def test_no_proxy_for_another_host_keeps_the_proxy(
    httpx: ModuleType,
    app_server: AppServer,
    proxy_server: ProxyServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy_server.url)
    monkeypatch.setenv("NO_PROXY", "example.com,127.0.0.2")
    with httpx.Client() as client:
        assert client.get(f"{app_server.url}/echo").status_code == 200
    assert len(proxy_server.seen) == 1


def test_no_proxy_cidr(
    httpx: ModuleType,
    app_server: AppServer,
    proxy_server: ProxyServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """DESIGN deviation (THREATS T33): faststream honours CIDR entries; httpx 0.28.1 ignores
    them and still uses the proxy."""
    monkeypatch.setenv("HTTP_PROXY", proxy_server.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.0/8")
    with httpx.Client() as client:
        assert client.get(f"{app_server.url}/echo").status_code == 200
    expected = 0 if httpx.__name__ == "faststream" else 1
    assert len(proxy_server.seen) == expected


def test_explicit_proxy_wins_over_the_environment(
    httpx: ModuleType,
    app_server: AppServer,
    proxy_server: ProxyServer,
    auth_proxy_server: ProxyServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", auth_proxy_server.url)
    with httpx.Client(proxy=proxy_server.url) as client:
        assert client.get(f"{app_server.url}/echo").status_code == 200
    assert len(proxy_server.seen) == 1
    assert auth_proxy_server.seen == []


def test_explicit_transport_disables_environment_proxies(
    httpx: ModuleType,
    app_server: AppServer,
    proxy_server: ProxyServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy_server.url)
    with httpx.Client(transport=httpx.HTTPTransport()) as client:
        assert client.get(f"{app_server.url}/echo").status_code == 200
    assert proxy_server.seen == []


def test_mounted_proxy_transport(
    httpx: ModuleType, app_server: AppServer, proxy_server: ProxyServer
) -> None:
    mounts = {"http://": httpx.HTTPTransport(proxy=proxy_server.url)}
    with httpx.Client(mounts=mounts) as client:
        assert client.get(f"{app_server.url}/echo").status_code == 200
    assert len(proxy_server.seen) == 1


# https through an https proxy: TLS inside TLS -------------------------------------------------
#
# The proxy speaks TLS itself (`ProxyServer(ssl_context=...)`, the test CA) and relays the
# tunnel's bytes untouched: the origin's TLS session runs inside the proxy's. Each scenario
# runs with `Client` and with `AsyncClient` on asyncio, uvloop and trio, for faststream and
# httpx (the oracle). The proxy is addressed by name (`localhost`), the origin by address, so
# which TLS session a result comes from shows in its server name.


@pytest.fixture
def tls_proxy(tls_files: TLSFiles) -> Iterator[ProxyServer]:
    with ProxyServer(ssl_context=tls_files.server_context) as proxy:
        yield proxy


@pytest.fixture
def auth_tls_proxy(tls_files: TLSFiles) -> Iterator[ProxyServer]:
    with ProxyServer(auth=(PROXY_USER, PROXY_PASSWORD), ssl_context=tls_files.server_context) as p:
        yield p


def by_name(url: str) -> str:
    return url.replace("127.0.0.1", "localhost")


def trusted_proxy(lib: Lib, url: str, context: ssl.SSLContext) -> typing.Any:
    """The library's `Proxy` for `url`, verified with `context`."""
    return lib.Proxy(by_name(url), ssl_context=context)


def verify_failed(lib: Lib) -> str:
    """What a certificate that does not verify says: the TLS error's text, except from
    httpx on trio, whose `ConnectError` has an empty message."""
    return "^$" if (lib.name, lib.mode) == ("httpx", "trio") else "CERTIFICATE_VERIFY_FAILED"


in_every_mode = pytest.mark.usefixtures("client_mode")


@in_every_mode
def test_https_through_an_https_proxy(
    lib: Lib,
    tls_server: AppServer,
    tls_client_context: ssl.SSLContext,
    tls_proxy: ProxyServer,
) -> None:
    proxy = trusted_proxy(lib, tls_proxy.url, tls_client_context)
    with lib.Client(proxy=proxy, verify=tls_client_context) as client:
        got = client.get(f"{tls_server.url}/echo?x=1")
        posted = client.post(f"{tls_server.url}/echo", content=b"z" * 300_000).json()
        chunked = client.post(f"{tls_server.url}/echo", content=iter([b"a", b"b"])).json()
        ssl_object = got.extensions["network_stream"].get_extra_info("ssl_object")
    assert got.status_code == 200 and got.json()["target"] == "/echo?x=1"
    assert (posted["body_length"], chunked["body"]) == (300_000, "ab")
    # One tunnel, kept alive for all three requests.
    assert [(r.method, r.target) for r in tls_proxy.seen] == [
        ("CONNECT", f"127.0.0.1:{tls_server.port}")
    ]
    assert tls_proxy.connections_accepted == 1 and tls_server.connections_accepted == 1
    assert got.json()["connection"] == posted["connection"] == chunked["connection"]
    # The response's TLS session is the origin's, not the proxy's.
    assert ssl_object.server_hostname == "127.0.0.1"
    assert not origin_saw_proxy_headers(tls_server)


@in_every_mode
@pytest.mark.parametrize("route", ["bytes", "chunked"])
def test_a_large_body_streams_intact_through_the_inner_tls(
    lib: Lib,
    tls_server: AppServer,
    tls_client_context: ssl.SSLContext,
    tls_proxy: ProxyServer,
    route: str,
) -> None:
    size = 4 * 1024 * 1024 + 7
    proxy = trusted_proxy(lib, tls_proxy.url, tls_client_context)
    with lib.Client(proxy=proxy, verify=tls_client_context) as client:
        with client.stream("GET", f"{tls_server.url}/{route}/{size}?size=65536") as response:
            body = b"".join(response.iter_bytes())
        assert client.get(f"{tls_server.url}/echo").status_code == 200
    assert body == pattern(size)
    assert len(tls_proxy.seen) == 1


@in_every_mode
def test_a_close_delimited_body_ends_at_the_end_of_the_tunnel(
    lib: Lib, tls_server: AppServer, tls_client_context: ssl.SSLContext, tls_proxy: ProxyServer
) -> None:
    """The origin closes without a TLS close_notify, as a direct https connection accepts:
    faststream accepts it inside the tunnel too. httpx's sync client (httpcore's TLS-in-TLS
    stream) raises `ReadError` there, unlike its direct and async paths."""
    proxy = trusted_proxy(lib, tls_proxy.url, tls_client_context)
    url = f"{tls_server.url}/eof-body?n=100000"
    with lib.Client(proxy=proxy, verify=tls_client_context) as client:
        if lib.name == "httpx" and lib.mode == "sync":
            with pytest.raises(lib.ReadError, match="UNEXPECTED_EOF"):
                client.get(url)
        else:
            assert client.get(url).content == pattern(100000)


@in_every_mode
def test_credentials_go_to_the_https_proxy_only(
    lib: Lib,
    tls_server: AppServer,
    tls_client_context: ssl.SSLContext,
    auth_tls_proxy: ProxyServer,
) -> None:
    url = auth_tls_proxy.url_with_auth(PROXY_USER, PROXY_PASSWORD)
    proxy = trusted_proxy(lib, url, tls_client_context)
    with lib.Client(proxy=proxy, verify=tls_client_context) as client:
        assert client.get(f"{tls_server.url}/echo").status_code == 200
    [connect] = auth_tls_proxy.seen
    assert connect.header("Proxy-Authorization") == PROXY_TOKEN
    assert not origin_saw_proxy_headers(tls_server)


@in_every_mode
def test_a_bad_origin_certificate_inside_the_tunnel_is_a_connect_error(
    lib: Lib, tls_server: AppServer, tls_client_context: ssl.SSLContext, tls_proxy: ProxyServer
) -> None:
    # The proxy is trusted; the origin's certificate is not (the default CA bundle).
    proxy = trusted_proxy(lib, tls_proxy.url, tls_client_context)
    with lib.Client(proxy=proxy) as client:
        with pytest.raises(lib.ConnectError, match=verify_failed(lib)):
            client.get(f"{tls_server.url}/echo")
    assert [r.method for r in tls_proxy.seen] == ["CONNECT"]
    assert tls_server.requests == []


@in_every_mode
def test_a_rejected_proxy_certificate_is_a_connect_error(
    lib: Lib, tls_server: AppServer, tls_client_context: ssl.SSLContext, tls_proxy: ProxyServer
) -> None:
    proxy = trusted_proxy(lib, tls_proxy.url, ssl.create_default_context())
    with lib.Client(proxy=proxy, verify=tls_client_context) as client:
        with pytest.raises(lib.ConnectError, match=verify_failed(lib)):
            client.get(f"{tls_server.url}/echo")
    assert tls_proxy.seen == [] and tls_server.connections_accepted == 0


@in_every_mode
@pytest.mark.parametrize("refusal", ["407", "403"])
def test_an_https_proxy_refusing_connect_is_a_proxy_error(
    lib: Lib,
    tls_server: AppServer,
    tls_client_context: ssl.SSLContext,
    auth_tls_proxy: ProxyServer,
    refusal: str,
) -> None:
    if refusal == "407":  # no credentials
        url, message = auth_tls_proxy.url, "407 Proxy Authentication Required"
        target = f"{tls_server.url}/echo"
    else:  # credentials, but a target the proxy does not serve
        url = auth_tls_proxy.url_with_auth(PROXY_USER, PROXY_PASSWORD)
        message, target = "403 Forbidden", "https://example.com/"
    proxy = trusted_proxy(lib, url, tls_client_context)
    with lib.Client(proxy=proxy, verify=tls_client_context) as client:
        with pytest.raises(lib.ProxyError) as info:
            client.get(target)
    assert str(info.value) == message
    assert tls_server.connections_accepted == 0


@in_every_mode
def test_read_timeout_inside_the_tunnel(
    lib: Lib, tls_server: AppServer, tls_client_context: ssl.SSLContext, tls_proxy: ProxyServer
) -> None:
    proxy = trusted_proxy(lib, tls_proxy.url, tls_client_context)
    timeout = lib.Timeout(10.0, read=0.3)
    with lib.Client(proxy=proxy, verify=tls_client_context, timeout=timeout) as client:
        started = time.monotonic()
        with pytest.raises(lib.ReadTimeout):
            client.get(f"{tls_server.url}/slow-headers?delay=3")
        assert time.monotonic() - started < 2.5
        with client.stream("GET", f"{tls_server.url}/slow-body?delay=3&n=4000") as response:
            with pytest.raises(lib.ReadTimeout):
                response.read()


@in_every_mode
def test_connect_timeout_in_the_inner_handshake(
    lib: Lib, tls_client_context: ssl.SSLContext, tls_proxy: ProxyServer
) -> None:
    # An origin that accepts TCP (the kernel's backlog) and never answers the TLS handshake.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        port = silent.getsockname()[1]
        proxy = trusted_proxy(lib, tls_proxy.url, tls_client_context)
        timeout = lib.Timeout(10.0, connect=0.5)
        with lib.Client(proxy=proxy, verify=tls_client_context, timeout=timeout) as client:
            started = time.monotonic()
            with pytest.raises(lib.ConnectTimeout):
                client.get(f"https://127.0.0.1:{port}/")
            assert time.monotonic() - started < 3.0
    assert [r.method for r in tls_proxy.seen] == ["CONNECT"]


def test_asyncio_tls_transports_without_the_start_tls_flag_still_carry_tls(
    tls_server: AppServer,
    tls_client_context: ssl.SSLContext,
    tls_proxy: ProxyServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """asyncio's TLS transport on Python 3.10 lacks the flag `loop.start_tls` requires (3.11
    added it), so asyncio alone refuses TLS inside it; faststream starts the inner TLS over a
    stand-in, which also keeps a failed inner handshake's own error. Without the flag, 3.11+
    behaves as 3.10 would here."""
    transport_class = asyncio.sslproto._SSLProtocolTransport
    monkeypatch.delattr(transport_class, "_start_tls_compatible", raising=False)

    async def main() -> None:
        proxy = faststream.Proxy(by_name(tls_proxy.url), ssl_context=tls_client_context)
        async with faststream.AsyncClient(proxy=proxy, verify=tls_client_context) as client:
            response = await client.get(f"{tls_server.url}/bytes/100000")
            assert response.content == pattern(100000)
        async with faststream.AsyncClient(proxy=proxy) as client:
            with pytest.raises(faststream.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                await client.get(f"{tls_server.url}/echo")

    asyncio.run(main())
    assert len(tls_server.requests) == 1


@in_every_mode
def test_the_tunnel_ending_mid_body_is_an_error(
    lib: Lib, tls_server: AppServer, tls_client_context: ssl.SSLContext, tls_proxy: ProxyServer
) -> None:
    proxy = trusted_proxy(lib, tls_proxy.url, tls_client_context)
    with lib.Client(proxy=proxy, verify=tls_client_context) as client:
        with client.stream("GET", f"{tls_server.url}/slow-body?delay=5&n=4000") as response:
            pieces = response.iter_raw()
            first = next(pieces)
            tls_proxy.stop()  # shuts the tunnel down, the origin's response half sent
            if lib.name == "httpx" and lib.mode == "sync":  # see the close-delimited test
                with pytest.raises(lib.ReadError, match="UNEXPECTED_EOF"):
                    b"".join(pieces)
            else:
                with pytest.raises(lib.RemoteProtocolError, match="received 2000 bytes"):
                    b"".join(pieces)
    assert first == pattern(4000)[: len(first)]


@contextlib.contextmanager
def deaf_tls_origin(tls_files: TLSFiles) -> Iterator[int]:
    """An https origin on 127.0.0.1 that completes the TLS handshake and then never reads:
    its port. Held open until the block ends (at most 30 s)."""
    done = threading.Event()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        listener.settimeout(10.0)

        def serve() -> None:
            try:
                sock, _ = listener.accept()
            except OSError:
                return
            sock.settimeout(10.0)
            with tls_files.server_context.wrap_socket(sock, server_side=True):
                done.wait(30.0)

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        try:
            yield listener.getsockname()[1]
        finally:
            done.set()
            thread.join(15.0)


@in_every_mode
def test_write_timeout_inside_the_tunnel(
    lib: Lib, tls_files: TLSFiles, tls_client_context: ssl.SSLContext, tls_proxy: ProxyServer
) -> None:
    if lib.name == "httpx":
        # httpx on trio leaves the request body's async generator (the adapter's, around
        # `upload`) unclosed after the timeout; trio warns when it is collected.
        warnings.filterwarnings("ignore", message=ABANDONED_BODY, category=ResourceWarning)
    proxy = trusted_proxy(lib, tls_proxy.url, tls_client_context)
    timeout = lib.Timeout(10.0, write=0.5)
    with deaf_tls_origin(tls_files) as port:
        with lib.Client(proxy=proxy, verify=tls_client_context, timeout=timeout) as client:
            started = time.monotonic()
            with pytest.raises(lib.WriteTimeout):
                client.post(f"https://127.0.0.1:{port}/", content=upload(64 * 1024 * 1024))
            assert time.monotonic() - started < 8.0
    gc.collect()  # while the filter above holds


ABANDONED_BODY = r"Async generator 'tests\.client\._async_adapter\._async_chunks'"


def upload(size: int) -> Iterator[bytes]:
    """A streamed request body of `size` bytes, 64 KiB a piece."""
    piece = b"x" * 65536
    for _ in range(size // len(piece)):
        yield piece


@pytest.mark.parametrize("name", ["faststream", "httpx"])
def test_concurrent_requests_open_one_tunnel_each(
    backend: str,
    name: str,
    tls_server: AppServer,
    tls_client_context: ssl.SSLContext,
    tls_proxy: ProxyServer,
) -> None:
    """`AsyncClient` on each event loop: four requests at once through the https proxy get
    four tunnels, every body intact; then each tunnel is reused."""
    lib = Lib(name, mode=backend)
    proxy = trusted_proxy(lib, tls_proxy.url, tls_client_context)

    async def main() -> list[bytes]:
        async with lib.module.AsyncClient(proxy=proxy, verify=tls_client_context) as client:

            async def fetch(size: int) -> bytes:
                response = await client.get(f"{tls_server.url}/slow-body?delay=0.3&n={size}")
                return typing.cast(bytes, response.content)

            first = await gather(*(functools.partial(fetch, 100_000 + i) for i in range(4)))
            again = await gather(*(functools.partial(fetch, 1000 + i) for i in range(4)))
            return first + again

    bodies = run_on(backend, main)
    sizes = [100_000 + i for i in range(4)] + [1000 + i for i in range(4)]
    assert bodies == [pattern(size) for size in sizes]
    assert [r.method for r in tls_proxy.seen] == ["CONNECT"] * 4
