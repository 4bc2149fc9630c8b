"""`httpx.Client(transport=faststream.HTTPXTransport())` against `httpx.Client()`, and
`httpx2.Client(transport=faststream.HTTPX2Transport())` against `httpx2.Client()`.

Every scenario runs with each library (`hx`) and twice (`kind`): through the library's default
transport, the oracle, and through faststream's; each asserts what a user of the library sees
(status, headers, body, decoding, redirects, cookies, streaming, connection reuse, exception
types), the same for both. The behaviours are those httpx's own client tests check through a
transport.
"""

from __future__ import annotations

import gzip
import ssl
import subprocess
import sys
import types
import typing

import brotli
import httpx
import pytest

import faststream
from tests.adoption.conftest import StreamingUploadServer
from tests.servers import h2_raw
from tests.servers.app import AppServer, Exchange, pattern
from tests.servers.proxy import ProxyServer
from tests.servers.routes import gzip_text
from tests.servers.tls import TLSFiles

TEXT = "".join(f"line {i}: the quick brown fox\n" for i in range(2000))


def transport(hx: types.ModuleType, kind: str, **kwargs: typing.Any) -> typing.Any:
    """`hx`'s own default transport (the oracle) or faststream's transport for `hx`."""
    if kind == "faststream":
        ours = faststream.HTTPXTransport if hx is httpx else faststream.HTTPX2Transport
        return ours(**kwargs)
    return hx.HTTPTransport(**kwargs)


def client(hx: types.ModuleType, kind: str, server: AppServer, **kwargs: typing.Any) -> typing.Any:
    options = ("limits", "http1", "http2", "proxy", "verify", "local_address", "retries")
    transport_options = {name: kwargs.pop(name) for name in options if name in kwargs}
    return hx.Client(
        transport=transport(hx, kind, **transport_options), base_url=server.url, **kwargs
    )


def duplicate_headers(ex: Exchange) -> None:
    ex.respond(
        201,
        b"made",
        [("X-Dup", "1"), ("x-other", "a"), ("x-dup", "2"), ("Set-Cookie", "k=v; Path=/")],
        reason="Made It",
    )


def brotli_route(ex: Exchange) -> None:
    ex.respond(200, brotli.compress(TEXT.encode()), [("Content-Encoding", "br")])


def short_body(ex: Exchange) -> None:
    ex.keep_alive = False
    ex.send_head(200, [("Content-Length", "100")])
    ex.write(b"only ten!!")


# -- requests and responses ------------------------------------------------------------------


def test_get_status_headers_and_extensions(
    hx: types.ModuleType, kind: str, app_server: AppServer
) -> None:
    app_server.add_route("/dup", duplicate_headers)
    with client(hx, kind, app_server) as http:
        response = http.get("/dup")
        stream = response.extensions["network_stream"]
        assert stream.get_extra_info("server_addr") == ("127.0.0.1", app_server.port)
    assert response.status_code == 201
    assert response.reason_phrase == "Made It"
    assert response.http_version == "HTTP/1.1"
    assert response.extensions["http_version"] == b"HTTP/1.1"
    assert response.content == b"made"
    # raw: original case, order and duplicates kept
    ours = [(k, v) for k, v in response.headers.raw if k.lower().startswith((b"x-", b"set-"))]
    assert ours == [
        (b"X-Dup", b"1"),
        (b"x-other", b"a"),
        (b"x-dup", b"2"),
        (b"Set-Cookie", b"k=v; Path=/"),
    ]
    assert response.headers.get_list("x-dup") == ["1", "2"]
    assert http.cookies["k"] == "v"


def test_the_request_goes_as_httpx_built_it(
    hx: types.ModuleType, kind: str, app_server: AppServer
) -> None:
    with client(hx, kind, app_server) as http:
        sent = http.post("/echo?q=1", json={"a": [1, 2]}, headers={"X-Custom": "yes"}).json()
    assert sent["method"] == "POST"
    assert sent["target"] == "/echo?q=1"
    assert sent["body"] == '{"a":[1,2]}'
    names = [name for name, _ in sent["headers"]]
    assert names == [
        "Host",
        "Accept",
        "Accept-Encoding",
        "Connection",
        "User-Agent",
        "X-Custom",
        "Content-Length",
        "Content-Type",
    ]
    assert dict(sent["headers"])["User-Agent"] == f"python-{hx.__name__}/{hx.__version__}"


def test_form_and_multipart_bodies(hx: types.ModuleType, kind: str, app_server: AppServer) -> None:
    with client(hx, kind, app_server) as http:
        form = http.post("/echo", data={"a": "1", "b": "x y"}).json()
        files = http.post("/echo", files={"f": ("n.txt", b"file body")}).json()
    assert form["body"] == "a=1&b=x+y"
    assert "file body" in files["body"]
    assert dict(files["headers"])["Content-Type"].startswith("multipart/form-data; boundary=")


def test_streamed_upload_is_sent_chunked_piece_by_piece(
    hx: types.ModuleType, kind: str, app_server: AppServer
) -> None:
    produced: list[int] = []

    def body() -> typing.Iterator[bytes]:
        for i in range(50):
            produced.append(i)
            yield pattern(10_000 + i)

    with client(hx, kind, app_server) as http:
        sent = http.post("/echo", content=body()).json()
    assert dict(sent["headers"])["Transfer-Encoding"] == "chunked"
    assert sent["body_length"] == sum(10_000 + i for i in range(50))
    assert produced == list(range(50))


def test_streamed_upload_is_not_buffered(
    hx: types.ModuleType, kind: str, upload_server: StreamingUploadServer
) -> None:
    def body() -> typing.Iterator[bytes]:
        yield upload_server.FIRST
        # the server must have the first piece before the second is produced
        assert upload_server.first_seen.wait(5.0), "the first piece was not sent on its own"
        yield b"second"

    with hx.Client(transport=transport(hx, kind)) as http:
        response = http.post(upload_server.url, content=body())
    assert response.text == str(len(b"b\r\nfirst piece\r\n6\r\nsecond\r\n0\r\n\r\n"))


def test_streamed_upload_with_content_length(
    hx: types.ModuleType, kind: str, app_server: AppServer
) -> None:
    pieces = [b"a" * 70_000, b"b" * 70_000, b"c"]
    with client(hx, kind, app_server) as http:
        sent = http.post("/echo", content=iter(pieces), headers={"Content-Length": "140001"})
    headers = dict(sent.json()["headers"])
    assert headers["Content-Length"] == "140001"
    assert "Transfer-Encoding" not in headers
    assert sent.json()["body_length"] == 140_001


def test_chunked_and_close_delimited_bodies(
    hx: types.ModuleType, kind: str, app_server: AppServer
) -> None:
    with client(hx, kind, app_server) as http:
        assert http.get("/chunked/300000?size=7777").content == pattern(300_000)
        assert http.get("/eof-body?n=200000").content == pattern(200_000)


def test_gzip_and_brotli_are_decoded_by_httpx(
    hx: types.ModuleType, kind: str, app_server: AppServer
) -> None:
    app_server.add_route("/br", brotli_route)
    with client(hx, kind, app_server) as http:
        response = http.get("/gzip?n=500")
        assert response.text == gzip_text(500).decode()
        assert response.headers["content-encoding"] == "gzip"
        with http.stream("GET", "/gzip?n=500") as raw:
            # iter_raw: the bytes as sent, still compressed
            assert gzip.decompress(b"".join(raw.iter_raw())) == gzip_text(500)
        assert http.get("/br").text == TEXT


def test_redirects_are_followed_by_httpx_on_one_connection(
    hx: types.ModuleType, kind: str, app_server: AppServer
) -> None:
    with client(hx, kind, app_server, follow_redirects=True) as http:
        response = http.get("/redirect/3")
        not_followed = http.get("/redirect/1", follow_redirects=False)
    assert response.json()["path"] == "/redirect/0"
    assert [r.status_code for r in response.history] == [302, 302, 302]
    assert not_followed.status_code == 302
    assert not_followed.next_request is not None
    assert app_server.connections_accepted == 1


def test_cookies_set_by_a_redirect_are_sent_by_httpx(
    hx: types.ModuleType, kind: str, app_server: AppServer
) -> None:
    with client(hx, kind, app_server, follow_redirects=True) as http:
        response = http.get("/cookies/set?a=1&b=two")
    assert response.json() == {"cookies": {"a": "1", "b": "two"}}


def test_head_204_and_304_have_no_body(
    hx: types.ModuleType, kind: str, app_server: AppServer
) -> None:
    with client(hx, kind, app_server) as http:
        head = http.head("/bytes/5000")
        no_content = http.get("/status/204")
        not_modified = http.get("/status/304")
        after = http.get("/bytes/3")
    assert head.headers["content-length"] == "5000"
    assert head.content == b""
    assert (no_content.status_code, no_content.content) == (204, b"")
    assert (not_modified.status_code, not_modified.content) == (304, b"")
    assert after.content == pattern(3)
    assert app_server.connections_accepted == 1


def test_auth_flows_resend_the_request(
    hx: types.ModuleType, kind: str, app_server: AppServer
) -> None:
    with client(hx, kind, app_server) as http:
        basic = http.get("/basic-auth/u/p", auth=("u", "p"))
        digest = http.post("/digest-auth/auth/u/p", content=b"body", auth=hx.DigestAuth("u", "p"))
        refused = http.get("/basic-auth/u/p", auth=("u", "wrong"))
    assert basic.json() == {"authenticated": True, "user": "u"}
    assert digest.status_code == 200
    assert [r.status_code for r in digest.history] == [401]
    assert refused.status_code == 401


def test_event_hooks_see_request_and_response(
    hx: types.ModuleType, kind: str, app_server: AppServer
) -> None:
    seen: list[str] = []

    def on_request(request: typing.Any) -> None:
        seen.append(f"request {request.url.path}")

    def on_response(response: typing.Any) -> None:
        response.read()
        seen.append(f"response {response.status_code} {len(response.content)}")

    hooks = {"request": [on_request], "response": [on_response]}
    with client(hx, kind, app_server, event_hooks=hooks) as http:
        response = http.get("/bytes/100")
        assert response.elapsed.total_seconds() > 0
        assert response.num_bytes_downloaded == 100
    assert seen == ["request /bytes/100", "response 200 100"]


# -- streaming -------------------------------------------------------------------------------


def test_iter_bytes_and_iter_lines(hx: types.ModuleType, kind: str, app_server: AppServer) -> None:
    with client(hx, kind, app_server) as http:
        with http.stream("GET", "/bytes/100000") as response:
            sizes = [len(piece) for piece in response.iter_bytes(chunk_size=4096)]
        with http.stream("GET", "/jsonl/300") as response:
            lines = list(response.iter_lines())
        with http.stream("GET", "/gzip?n=300") as response:
            text = "".join(response.iter_text())
    assert sizes == [4096] * 24 + [100_000 - 24 * 4096]
    assert lines[-1] == '{"i": 299, "name": "item-299"}'
    assert len(lines) == 300
    assert text == gzip_text(300).decode()


def test_closed_mid_stream_then_the_client_goes_on(
    hx: types.ModuleType, kind: str, app_server: AppServer
) -> None:
    with client(hx, kind, app_server) as http:
        with http.stream("GET", "/bytes/5000000") as response:
            first = next(response.iter_raw())
        assert response.is_closed
        assert first == pattern(len(first))
        assert http.get("/bytes/10").content == pattern(10)
        assert http.get("/bytes/10").content == pattern(10)
    # the connection of the unfinished body is not reused; the next one is kept alive
    assert app_server.connections_accepted == 2


def test_iterating_the_stream_again_continues_it(
    hx: types.ModuleType, kind: str, app_server: AppServer
) -> None:
    # SDKs drain a response they stopped reading by iterating `response.stream` once more
    with client(hx, kind, app_server) as http:
        with http.stream("GET", "/bytes/300000") as response:
            stream = typing.cast(typing.Iterable[bytes], response.stream)
            iterator = iter(stream)
            first = next(iterator)
            rest = b"".join(stream)
        assert first + rest == pattern(300_000)
        assert http.get("/bytes/5").content == pattern(5)
    assert app_server.connections_accepted == 1


def test_read_then_reuse_the_connection(
    hx: types.ModuleType, kind: str, app_server: AppServer
) -> None:
    with client(hx, kind, app_server) as http:
        for size in (1, 70_000, 3):
            assert http.get(f"/bytes/{size}").content == pattern(size)
    assert app_server.connections_accepted == 1
    assert len({record.connection_id for record in app_server.requests}) == 1


# -- errors ------------------------------------------------------------------------------------


def test_read_timeout_waiting_for_the_head(
    hx: types.ModuleType, kind: str, app_server: AppServer
) -> None:
    with client(hx, kind, app_server, timeout=0.2) as http:
        with pytest.raises(hx.ReadTimeout) as info:
            http.get("/slow-headers?delay=3")
    assert info.value.request.url == f"{app_server.url}/slow-headers?delay=3"


def test_read_timeout_mid_body(hx: types.ModuleType, kind: str, app_server: AppServer) -> None:
    with client(hx, kind, app_server, timeout=0.2) as http:
        with http.stream("GET", "/slow-body?n=2000&delay=3") as response:
            with pytest.raises(hx.ReadTimeout) as info:
                response.read()
    assert info.value.request.url.path == "/slow-body"


def test_body_cut_short_is_a_remote_protocol_error(
    hx: types.ModuleType, kind: str, app_server: AppServer
) -> None:
    app_server.add_route("/short", short_body)
    with client(hx, kind, app_server) as http:
        with pytest.raises(hx.RemoteProtocolError):
            http.get("/short")


@pytest.mark.parametrize(
    "headers",
    [{"X": "a\r\nInjected: 1"}, {"X y": "v"}, {"X": "a\x00b"}],
    ids=["crlf", "space", "nul"],
)
def test_invalid_header_fields_are_refused_before_sending(
    hx: types.ModuleType, kind: str, app_server: AppServer, headers: dict[str, str]
) -> None:
    with client(hx, kind, app_server) as http:
        with pytest.raises(hx.LocalProtocolError, match="Illegal header"):
            http.get("/echo", headers=headers)
    assert app_server.requests == []


def test_connect_error(hx: types.ModuleType, kind: str, closed_port: int) -> None:
    with hx.Client(transport=transport(hx, kind), timeout=2.0) as http:
        with pytest.raises(hx.ConnectError) as info:
            http.get(f"http://127.0.0.1:{closed_port}/")
    assert info.value.request.url.port == closed_port


def test_unsupported_protocol(hx: types.ModuleType, kind: str) -> None:
    with hx.Client(transport=transport(hx, kind)) as http:
        with pytest.raises(hx.UnsupportedProtocol):
            http.get("ftp://127.0.0.1/")


def test_pool_limit_and_pool_timeout(
    hx: types.ModuleType, kind: str, app_server: AppServer
) -> None:
    limits = hx.Limits(max_connections=1)
    timeout = hx.Timeout(5.0, pool=0.2)
    with client(hx, kind, app_server, limits=limits, timeout=timeout) as http:
        with http.stream("GET", "/bytes/10"):
            with pytest.raises(hx.PoolTimeout) as info:
                http.get("/bytes/10")
            assert info.value.request.url.path == "/bytes/10"
        # the slot came back when the stream closed
        assert http.get("/bytes/4").content == pattern(4)
    assert app_server.connections_accepted == 2  # the unread stream's connection was closed


# -- HTTP/2 and proxies ----------------------------------------------------------------------


def test_http2_prior_knowledge(hx: types.ModuleType, kind: str) -> None:
    with (
        h2_raw.H2Server() as server,
        hx.Client(transport=transport(hx, kind, http1=False, http2=True)) as http,
    ):
        url = f"http://127.0.0.1:{server.port}"
        response = http.get(f"{url}/bytes/100000")
        gzipped = http.get(f"{url}/gzip/5000")
        with http.stream("GET", f"{url}/bytes/1000000") as streaming:
            next(streaming.iter_raw())
        echoed = http.post(f"{url}/echo", content=iter([b"up", b"load"]))
    assert response.http_version == "HTTP/2"
    assert response.extensions["http_version"] == b"HTTP/2"
    assert response.content == h2_raw.pattern(100_000)
    assert gzipped.content == h2_raw.pattern(5000)
    assert echoed.content == b"upload"
    assert server.connections_accepted == 1


@pytest.mark.parametrize("form", ["str", "URL", "Proxy"])
def test_through_an_http_proxy(
    hx: types.ModuleType, kind: str, app_server: AppServer, proxy_server: ProxyServer, form: str
) -> None:
    # the proxy as a string, or as the library's own URL or Proxy object
    proxy = proxy_server.url if form == "str" else getattr(hx, form)(proxy_server.url)
    with client(hx, kind, app_server, proxy=proxy) as http:
        assert http.get("/bytes/1000").content == pattern(1000)
    assert proxy_server.seen[0].target == f"{app_server.url}/bytes/1000"


def test_https_proxy_refusing_the_tunnel_is_a_proxy_error(
    hx: types.ModuleType, kind: str, tls_files: TLSFiles
) -> None:
    with ProxyServer(auth=("user", "secret")) as proxy, tls_files.server() as server:
        with hx.Client(transport=transport(hx, kind, proxy=proxy.url)) as http:
            with pytest.raises(hx.ProxyError):
                http.get(server.url.replace("http://", "https://") + "/bytes/5")


def test_tls_verified_with_the_transports_context(
    hx: types.ModuleType, kind: str, tls_files: TLSFiles
) -> None:
    with tls_files.server() as server:
        url = f"https://localhost:{server.port}/bytes/70000"
        with hx.Client(transport=transport(hx, kind, verify=tls_files.client_context())) as http:
            response = http.get(url)
            ssl_object = response.extensions["network_stream"].get_extra_info("ssl_object")
            assert ssl_object.version().startswith("TLS")
        assert response.content == pattern(70_000)
        with hx.Client(transport=transport(hx, kind)) as http:  # the system CAs: not trusted
            with pytest.raises(hx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                http.get(url)


def test_http2_over_tls_by_alpn(hx: types.ModuleType, kind: str, tls_files: TLSFiles) -> None:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls_files.ca.issue_cert("localhost", "127.0.0.1").configure_cert(context)
    context.set_alpn_protocols(["h2", "http/1.1"])
    verify = tls_files.client_context()
    with h2_raw.H2Server(ssl_context=context) as server:
        with hx.Client(transport=transport(hx, kind, http2=True, verify=verify)) as http:
            response = http.get(f"https://127.0.0.1:{server.port}/gzip/20000")
    assert response.http_version == "HTTP/2"
    assert response.content == h2_raw.pattern(20_000)


def test_transport_options(
    hx: types.ModuleType, kind: str, app_server: AppServer, closed_port: int
) -> None:
    with client(hx, kind, app_server, local_address="127.0.0.1", retries=1) as http:
        response = http.get("/bytes/5")
        assert response.extensions["network_stream"].get_extra_info("client_addr")[0] == "127.0.0.1"
        with pytest.raises(hx.ConnectError):  # after one retry
            http.get(f"http://127.0.0.1:{closed_port}/")


# -- faststream's transport itself -----------------------------------------------------------


def test_requests_go_through_faststream(hx: types.ModuleType, app_server: AppServer) -> None:
    with hx.Client(transport=transport(hx, "faststream"), base_url=app_server.url) as http:
        response = http.get("/bytes/10")
    assert type(response.extensions["network_stream"]).__module__.startswith("faststream.")


def test_closing_the_client_closes_the_pool(
    hx: types.ModuleType, kind: str, app_server: AppServer
) -> None:
    with client(hx, kind, app_server) as http:
        http.get("/bytes/10")
        stream = http.get("/bytes/10").extensions["network_stream"]
        assert stream.get_extra_info("socket").fileno() != -1  # idle, open
    # closed: the pool's idle connection was closed with it
    assert stream.get_extra_info("socket").fileno() == -1


@pytest.mark.parametrize(
    ("library", "names"),
    [
        ("httpx", ["HTTPXTransport", "AsyncHTTPXTransport"]),
        ("httpx2", ["HTTPX2Transport", "AsyncHTTPX2Transport"]),
    ],
)
def test_without_the_library_a_clear_import_error(
    monkeypatch: pytest.MonkeyPatch, library: str, names: list[str]
) -> None:
    monkeypatch.setitem(sys.modules, library, None)  # what `import <library>` sees when missing
    sync_name, async_name = names
    with pytest.raises(ImportError, match=f"needs {library}: pip install {library}$"):
        getattr(faststream, sync_name)
    with pytest.raises(ImportError, match=f"needs {library}"):
        exec(f"from faststream import {async_name}", {})
    assert sync_name not in faststream.__all__
    assert async_name not in faststream.__all__
    with pytest.raises(AttributeError):
        faststream.NoSuchName  # type: ignore[attr-defined]  # noqa: B018


def test_importing_faststream_imports_neither_httpx_nor_httpx2() -> None:
    code = (
        "import sys, faststream\n"
        "assert not {'httpx', 'httpx2'} & set(sys.modules), 'imported httpx or httpx2'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_httpx2_transports_without_httpx_installed(app_server: AppServer) -> None:
    # SDK releases built on httpx2 do not bring httpx: the httpx2 transports must not need it
    code = (
        "import sys\n"
        "sys.modules['httpx'] = sys.modules['httpcore'] = None  # as if not installed\n"
        "import faststream, httpx2\n"
        "with httpx2.Client(transport=faststream.HTTPX2Transport()) as client:\n"
        "    print(client.get(sys.argv[1]).content.hex())\n"
        "faststream.AsyncHTTPX2Transport()\n"
        "assert 'faststream._httpx_transport' not in sys.modules\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, f"{app_server.url}/bytes/10"],
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    )
    assert done.stdout.strip() == pattern(10).hex()
