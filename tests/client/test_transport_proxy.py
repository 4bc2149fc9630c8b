"""Proxies through the Client against the loopback forward proxy (tests/servers/proxy.py):
absolute-form forwarding for http, CONNECT tunnels for https, proxy credentials (THREATS T31),
and proxies from the environment (`trust_env`, `NO_PROXY`; THREATS T33)."""

from __future__ import annotations

import base64
import ssl
from types import ModuleType

import pytest

from tests.client._helpers import PROXY_PASSWORD, PROXY_USER
from tests.servers.app import AppServer, pattern
from tests.servers.proxy import ProxyServer

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
