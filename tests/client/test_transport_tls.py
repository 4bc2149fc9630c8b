"""TLS through the Client against the app server over https (trustme CA, THREATS T32)."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.servers.app import AppServer, pattern
from tests.servers.tls import TLSFiles

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def wrong_host_files(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    """A certificate for another name only (the client connects to 127.0.0.1)."""
    return TLSFiles.create(Path(tmp_path_factory.mktemp("wrong-host")), names=["wrong.example"])


@pytest.fixture
def wrong_host_server(wrong_host_files: TLSFiles) -> Iterator[AppServer]:
    with wrong_host_files.server() as server:
        yield server


def test_verify_with_an_ssl_context(
    httpx: ModuleType, tls_server: AppServer, tls_client_context: ssl.SSLContext
) -> None:
    with httpx.Client(verify=tls_client_context) as client:
        response = client.get(f"{tls_server.url}/bytes/100000")
    assert response.content == pattern(100000)
    assert response.url.scheme == "https"
    assert response.http_version == "HTTP/1.1"


def test_verify_with_a_ca_file_path_is_deprecated_but_works(
    httpx: ModuleType, tls_server: AppServer, ca_file: str
) -> None:
    with pytest.warns(DeprecationWarning, match="`verify=<str>` is deprecated"):
        client = httpx.Client(verify=ca_file)
    with client:
        assert client.get(f"{tls_server.url}/echo").json()["path"] == "/echo"


def test_verify_false_accepts_an_unknown_ca(httpx: ModuleType, tls_server: AppServer) -> None:
    with httpx.Client(verify=False) as client:
        assert client.get(f"{tls_server.url}/echo").status_code == 200


def test_unknown_ca_is_a_connect_error(httpx: ModuleType, tls_server: AppServer) -> None:
    url = f"{tls_server.url}/echo"
    with httpx.Client() as client:
        with pytest.raises(httpx.ConnectError) as info:
            client.get(url)
    assert "CERTIFICATE_VERIFY_FAILED" in str(info.value)
    assert info.value.request.url == url


def test_another_ca_is_a_connect_error(
    httpx: ModuleType, tls_server: AppServer, wrong_host_files: TLSFiles
) -> None:
    with httpx.Client(verify=wrong_host_files.client_context()) as client:
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            client.get(f"{tls_server.url}/echo")


def test_hostname_mismatch_is_a_connect_error(
    httpx: ModuleType, wrong_host_server: AppServer, wrong_host_files: TLSFiles
) -> None:
    with httpx.Client(verify=wrong_host_files.client_context()) as client:
        with pytest.raises(httpx.ConnectError) as info:
            client.get(f"{wrong_host_server.url}/echo")
    assert "mismatch" in str(info.value)
    # verify=False skips the name check too
    with httpx.Client(verify=False) as client:
        assert client.get(f"{wrong_host_server.url}/echo").status_code == 200


def test_localhost_name_verifies(
    httpx: ModuleType, tls_server: AppServer, tls_client_context: ssl.SSLContext
) -> None:
    url = f"https://localhost:{tls_server.port}/echo"
    with httpx.Client(verify=tls_client_context) as client:
        headers = dict(client.get(url).json()["headers"])
    assert headers["Host"] == f"localhost:{tls_server.port}"


def test_ssl_cert_file_is_honoured_with_trust_env(
    httpx: ModuleType, tls_server: AppServer, ca_file: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", ca_file)
    with httpx.Client() as client:
        assert client.get(f"{tls_server.url}/echo").status_code == 200
    assert httpx.get(f"{tls_server.url}/echo").status_code == 200


def test_ssl_cert_file_is_ignored_without_trust_env(
    httpx: ModuleType, tls_server: AppServer, ca_file: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", ca_file)
    with httpx.Client(trust_env=False) as client:
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            client.get(f"{tls_server.url}/echo")


def test_create_ssl_context_trusting_the_ca(
    httpx: ModuleType, tls_server: AppServer, ca_file: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", ca_file)
    context = httpx.create_ssl_context()
    assert context.check_hostname
    assert context.verify_mode == ssl.CERT_REQUIRED
    with httpx.Client(verify=context) as client:
        assert client.get(f"{tls_server.url}/echo").status_code == 200


def test_keep_alive_over_tls(
    httpx: ModuleType, tls_server: AppServer, tls_client_context: ssl.SSLContext
) -> None:
    with httpx.Client(base_url=tls_server.url, verify=tls_client_context) as client:
        for path in ("/echo", "/chunked/50000", "/gzip?n=100", "/jsonl/10", "/echo"):
            client.get(path)
        assert client.get("/echo").json()["connection"] == 1
    assert tls_server.connections_accepted == 1


def test_streaming_over_tls(
    httpx: ModuleType, tls_server: AppServer, tls_client_context: ssl.SSLContext
) -> None:
    with httpx.Client(verify=tls_client_context) as client:
        with client.stream("GET", f"{tls_server.url}/chunked/300000?size=7000") as response:
            data = b"".join(response.iter_bytes(chunk_size=65536))
        with client.stream("GET", f"{tls_server.url}/eof-body?n=200000") as response:
            eof = b"".join(response.iter_raw())
    assert data == pattern(300000)
    assert eof == pattern(200000)


def test_failed_handshake_leaves_the_client_usable(
    httpx: ModuleType, tls_server: AppServer, app_server: AppServer
) -> None:
    with httpx.Client() as client:
        with pytest.raises(httpx.ConnectError):
            client.get(f"{tls_server.url}/echo")
        assert client.get(f"{app_server.url}/echo").status_code == 200
