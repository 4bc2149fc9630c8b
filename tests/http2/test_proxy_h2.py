"""HTTP/2 through proxies, against httpx[http2] (the oracle): `http2=True` offers h2 by ALPN on
the origin's TLS session inside a CONNECT tunnel (through an http proxy, and through an https
proxy, where it is TLS inside the proxy's TLS) and through a SOCKS5 proxy, and speaks HTTP/2
when the origin picks it. The servers: hypercorn over TLS (tests/servers/hypercorn_h2.py; one
that picks h2, one that only speaks http/1.1), behind the loopback CONNECT proxy
(tests/servers/proxy.py) and SOCKS server (tests/servers/socks.py).

Each scenario runs with `Client` and with `AsyncClient` on asyncio, uvloop and trio; both
libraries must report the same statuses, http_version, bodies and errors. Beyond that, for
faststream: one tunnel per origin carries every request (the proxy sees one CONNECT), many at
once multiplexed on it, and the proxy's own TLS session never agrees to h2.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import gc
import json
import ssl
import typing
import warnings
from collections.abc import Iterator
from pathlib import Path

import anyio
import h2  # noqa: F401  # the http2 extra, installed wherever these tests run: missing is an error
import pytest
import socksio  # noqa: F401  # the socks extra, likewise

from tests.client._async_adapter import MODE_NAMES, Mode, mode_param
from tests.client._backends import BACKENDS, run_on
from tests.client._helpers import Lib
from tests.servers.hypercorn_h2 import LINES, HypercornServer, pattern
from tests.servers.proxy import ProxyServer
from tests.servers.socks import SocksServer
from tests.servers.tls import TLSFiles

pytestmark = pytest.mark.timeout(60)

BIG = 300_000  # several DATA frames (and TLS records) through the tunnel
USER, PASSWORD = "h2-user", "h2-secret"
VIAS = ["http-proxy", "https-proxy", "socks5"]
MODES = [mode_param(mode) for mode in MODE_NAMES]
Proxy: typing.TypeAlias = ProxyServer | SocksServer


@pytest.fixture(scope="module")
def h2_server(
    tls_files: TLSFiles, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HypercornServer]:
    with HypercornServer(tls_files, Path(tmp_path_factory.mktemp("h2"))) as server:
        yield server


@pytest.fixture(scope="module")
def h11_server(
    tls_files: TLSFiles, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HypercornServer]:
    """A TLS origin whose ALPN picks http/1.1 only."""
    directory = Path(tmp_path_factory.mktemp("h11"))
    with HypercornServer(tls_files, directory, alpn=("http/1.1",)) as server:
        yield server


@pytest.fixture(scope="module")
def h2c_server() -> Iterator[HypercornServer]:
    with HypercornServer() as server:
        yield server


def _proxy_server_context(tls_files: TLSFiles) -> ssl.SSLContext:
    """An https proxy's server context that would agree to h2 if a client offered it."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls_files.ca.issue_cert("localhost", "127.0.0.1").configure_cert(context)
    context.set_alpn_protocols(["h2", "http/1.1"])
    return context


@contextlib.contextmanager
def _proxy(via: str, tls_files: TLSFiles, **options: typing.Any) -> Iterator[Proxy]:
    if via == "socks5":
        with SocksServer(**options) as socks:
            yield socks
        return
    context = _proxy_server_context(tls_files) if via == "https-proxy" else None
    with ProxyServer(ssl_context=context, **options) as proxy:
        yield proxy


def _tunnels(proxy: Proxy) -> list[str]:
    """The tunnels the proxy was asked for (CONNECT targets, SOCKS ports)."""
    if isinstance(proxy, SocksServer):
        return [f"{record.host}:{record.port}" for record in proxy.seen]
    return [record.target for record in proxy.seen if record.method == "CONNECT"]


def _options(lib: Lib, via: str, proxy: Proxy, tls_files: TLSFiles) -> dict[str, typing.Any]:
    """Client options through `proxy` (with credentials for the http(s) proxies): the proxy's
    TLS is verified with a context of its own, as httpx needs."""
    if isinstance(proxy, SocksServer):
        target: typing.Any = proxy.url("socks5")
    else:
        url = proxy.url_with_auth(USER, PASSWORD)
        context = tls_files.client_context() if via == "https-proxy" else None
        target = lib.module.Proxy(url, ssl_context=context)
    return {"http2": True, "verify": tls_files.client_context(), "proxy": target}


def scenario(client: typing.Any, url: str, whole: bool = True) -> list[typing.Any]:
    """Requests a user would make, and what the responses say (`whole=False`: the bodies
    only, what an origin reached in HTTP/1.1 needs to show)."""
    seen: list[typing.Any] = []
    for size in (0, 5, BIG):
        response = client.get(f"{url}/bytes/{size}")
        extensions = response.extensions
        # The TLS session a response reports is the origin's (inside the proxy's, if any).
        tls = extensions["network_stream"].get_extra_info("ssl_object")
        alpn = (tls.server_hostname, tls.selected_alpn_protocol())
        seen.append((response.status_code, response.http_version, extensions["http_version"], alpn))
        assert response.content == pattern(size)
    posted = client.post(f"{url}/echo", content=pattern(BIG))
    seen.append((posted.status_code, posted.headers["x-method"], posted.content == pattern(BIG)))
    if not whole:
        return seen
    streamed = client.post(f"{url}/echo", content=iter([b"ab", b"", b"cd"]))
    seen.append(streamed.content)
    fields = client.get(f"{url}/headers", headers={"X-Custom": "one"})
    seen.append(sorted({name for name, _ in json.loads(fields.content)}))
    with client.stream("GET", f"{url}/lines") as response:
        seen.append(list(response.iter_lines()))
    with client.stream("GET", f"{url}/bytes/{BIG}") as response:
        seen.append(len(next(response.iter_raw())) > 0)  # left mid-body
    seen.append([client.get(f"{url}/status/{status}").status_code for status in (204, 404)])
    return seen


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize("mode", MODES)
def test_http2_through_a_proxy_matches_httpx(
    mode: str,
    via: str,
    tls_files: TLSFiles,
    h2_server: HypercornServer,
    h11_server: HypercornServer,
) -> None:
    """The origin that picks h2 is spoken to in HTTP/2 inside the tunnel, the one that picks
    http/1.1 in HTTP/1.1; one tunnel per origin carries every request."""
    seen: dict[str, typing.Any] = {}
    tunnels: dict[str, list[str]] = {}
    with Mode.running(mode):
        for name in ("faststream", "httpx"):
            lib = Lib(name, mode)
            with _proxy(via, tls_files) as proxy:
                with lib.Client(**_options(lib, via, proxy, tls_files)) as client:
                    over_h11 = scenario(client, h11_server.url, whole=False)
                    seen[name] = [scenario(client, h2_server.url), over_h11]
                tunnels[name] = _tunnels(proxy)
                if isinstance(proxy, ProxyServer) and via == "https-proxy":
                    # The proxy's own TLS session: never h2 (the CONNECT is HTTP/1.1).
                    assert set(proxy.alpn) <= {None, "http/1.1"}, (name, proxy.alpn)
    assert seen["faststream"] == seen["httpx"]
    over_h2, over_h11 = seen["faststream"]
    assert {version for _, version, _, _ in over_h2[:3]} == {"HTTP/2"}
    assert {raw for _, _, raw, _ in over_h2[:3]} == {b"HTTP/2"}
    assert {version for _, version, _, _ in over_h11[:3]} == {"HTTP/1.1"}
    assert {alpn for _, _, _, alpn in over_h2[:3]} == {("127.0.0.1", "h2")}
    assert {alpn for _, _, _, alpn in over_h11[:3]} == {("127.0.0.1", "http/1.1")}
    assert over_h2[4] == b"abcd" and over_h2[6] == LINES.decode().splitlines()
    assert "x-custom" in over_h2[5] and "proxy-authorization" not in over_h2[5]
    assert over_h2[8] == [204, 404]
    # One tunnel to each origin carries every request to it (on the h2 one, a stream left
    # mid-body is reset and the connection goes on).
    assert sorted(tunnels["faststream"]) == sorted(tunnels["httpx"])
    assert sorted(tunnels["faststream"]) == sorted(
        f"127.0.0.1:{server.port}" for server in (h2_server, h11_server)
    )


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize("backend", BACKENDS)
def test_concurrent_requests_share_one_tunnel(
    backend: str, via: str, tls_files: TLSFiles, h2_server: HypercornServer
) -> None:
    """`AsyncClient` tasks at once through the proxy: the same bodies as httpx's, all carried
    as streams of one HTTP/2 connection in one tunnel."""
    sizes = [1000 * i + 1 for i in range(8)]

    async def fetch(name: str, proxy: Proxy) -> tuple[list[bytes], int, list[int], list[str]]:
        lib = Lib(name, "asyncio")
        options = _options(lib, via, proxy, tls_files)
        results: dict[int, typing.Any] = {}
        async with lib.module.AsyncClient(**options) as client:

            async def get(size: int) -> None:
                results[size] = await client.get(f"{h2_server.url}/bytes/{size}")

            with anyio.fail_after(30):
                async with anyio.create_task_group() as group:
                    for size in sizes:
                        group.start_soon(get, size)
        responses = [results[size] for size in sizes]
        networks = {id(r.extensions["network_stream"]) for r in responses}
        ids = sorted(r.extensions.get("stream_id", 0) for r in responses)
        return (
            [r.content for r in responses],
            len(networks),
            ids,
            [r.http_version for r in responses],
        )

    with _proxy(via, tls_files) as proxy:
        ours = run_on(backend, fetch, "faststream", proxy)
        tunnels = _tunnels(proxy)
    with _proxy(via, tls_files) as proxy:
        theirs = run_on(backend, fetch, "httpx", proxy)
    assert ours[0] == theirs[0] == [pattern(size) for size in sizes]
    assert set(ours[3]) == set(theirs[3]) == {"HTTP/2"}
    assert ours[1] == 1 and tunnels == [f"127.0.0.1:{h2_server.port}"]
    assert ours[2] == list(range(1, 2 * len(sizes), 2))  # one stream each, in one connection


@pytest.mark.parametrize("via", VIAS)
def test_threads_share_one_tunnel(
    via: str, tls_files: TLSFiles, h2_server: HypercornServer
) -> None:
    """`Client` from many threads at once through the proxy: one HTTP/2 connection in one
    tunnel carries them all (through an https proxy, one TLS session inside another, read by
    one thread while others write)."""
    sizes = [20_000 * i + 1 for i in range(12)]
    lib = Lib("faststream", "sync")
    with _proxy(via, tls_files) as proxy:
        with lib.Client(**_options(lib, via, proxy, tls_files)) as client:
            with concurrent.futures.ThreadPoolExecutor(6) as pool:
                responses = list(
                    pool.map(lambda size: client.get(f"{h2_server.url}/bytes/{size}"), sizes)
                )
        tunnels = _tunnels(proxy)
    assert [r.content for r in responses] == [pattern(size) for size in sizes]
    assert {r.http_version for r in responses} == {"HTTP/2"}
    assert len({id(r.extensions["network_stream"]) for r in responses}) == 1
    assert tunnels == [f"127.0.0.1:{h2_server.port}"]


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize("mode", MODES)
def test_a_proxy_refusing_the_tunnel(
    mode: str, via: str, tls_files: TLSFiles, h2_server: HypercornServer
) -> None:
    """A proxy that refuses the CONNECT (407 without credentials; a SOCKS refusal):
    `ProxyError`, as httpx, with httpx's message for the http(s) proxies."""
    seen: dict[str, tuple[str, str]] = {}
    refusal = {"fault": "refuse"} if via == "socks5" else {"auth": (USER, PASSWORD)}
    with Mode.running(mode):
        for name in ("faststream", "httpx"):
            lib = Lib(name, mode)
            with _proxy(via, tls_files, **refusal) as proxy:
                options = _options(lib, via, proxy, tls_files)
                if isinstance(proxy, ProxyServer):
                    # Without credentials.
                    context = tls_files.client_context() if via == "https-proxy" else None
                    options["proxy"] = lib.module.Proxy(proxy.url, ssl_context=context)
                with lib.Client(**options) as client, warnings.catch_warnings():
                    if name == "httpx":
                        # httpcore leaves its socket to a SOCKS proxy that refused open, to
                        # be closed when collected (ResourceWarning): collected here, silenced.
                        warnings.simplefilter("ignore", ResourceWarning)
                    try:
                        client.get(f"{h2_server.url}/bytes/3")
                    except lib.module.ProxyError as exc:  # its traceback holds the socket
                        seen[name] = (type(exc).__name__, str(exc))
                    gc.collect()
    assert seen["faststream"] == seen["httpx"]
    if via == "socks5":
        assert (
            seen["faststream"][1]
            == "Proxy Server could not connect: Connection not allowed by ruleset."
        )
    else:
        assert seen["faststream"][1] == "407 Proxy Authentication Required"


@pytest.mark.parametrize("mode", MODES)
def test_prior_knowledge_through_proxies(
    mode: str, tls_files: TLSFiles, h2c_server: HypercornServer
) -> None:
    """`http1=False, http2=True` on http://: h2c by prior knowledge through a SOCKS proxy; an
    http proxy gets the request in absolute form, in HTTP/1.1 -- as httpx does both."""
    seen: dict[str, list[typing.Any]] = {}
    with Mode.running(mode):
        for name in ("faststream", "httpx"):
            lib = Lib(name, mode)
            seen[name] = []
            for via in ("socks5", "http-proxy"):
                with _proxy(via, tls_files) as proxy:
                    url = proxy.url("socks5") if isinstance(proxy, SocksServer) else proxy.url
                    with lib.Client(http1=False, http2=True, proxy=url) as client:
                        response = client.get(f"{h2c_server.url}/bytes/{BIG}")
                        seen[name].append((response.http_version, response.content == pattern(BIG)))
    assert seen["faststream"] == seen["httpx"] == [("HTTP/2", True), ("HTTP/1.1", True)]


def test_the_https_proxys_own_session_offers_http11_only(
    tls_files: TLSFiles, h2_server: HypercornServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """faststream verifies an https proxy without a context of its own as it verifies the
    origins (here `verify=True` with `SSL_CERT_FILE`), but with http/1.1 alone in the proxy's
    ALPN: the proxy agrees to http/1.1, the origin inside the tunnel to h2."""
    monkeypatch.setenv("SSL_CERT_FILE", tls_files.ca_file)
    lib = Lib("faststream", "sync")
    with _proxy("https-proxy", tls_files) as proxy:
        assert isinstance(proxy, ProxyServer)
        with lib.Client(http2=True, proxy=proxy.url) as client:
            versions = [client.get(f"{h2_server.url}/bytes/3").http_version for _ in range(2)]
        assert proxy.alpn == ["http/1.1"]
    assert versions == ["HTTP/2", "HTTP/2"]


@pytest.mark.parametrize("mode", MODES)
def test_an_https_proxy_agreeing_to_h2_is_a_proxy_error(
    mode: str, tls_files: TLSFiles, h2_server: HypercornServer
) -> None:
    """The caller's own `verify` context serves the proxy too (no `Proxy(ssl_context=...)`), so
    it offers h2 to the proxy as well: a proxy that agrees cannot take an HTTP/1.1 CONNECT,
    and that is a `ProxyError` saying what to do, not a protocol error later."""
    with Mode.running(mode), _proxy("https-proxy", tls_files) as proxy:
        assert isinstance(proxy, ProxyServer)
        lib = Lib("faststream", mode)
        with lib.Client(http2=True, verify=tls_files.client_context(), proxy=proxy.url) as client:
            with pytest.raises(lib.ProxyError, match="ssl_context of its own"):
                client.get(f"{h2_server.url}/bytes/3")
        assert proxy.seen == []  # no CONNECT sent


@pytest.mark.parametrize("mode", MODES)
def test_read_timeouts_inside_the_tls_in_tls_tunnel(
    mode: str, tls_files: TLSFiles, h2_server: HypercornServer
) -> None:
    """HTTP/2 streams in TLS inside the https proxy's TLS: a late head and a late body are
    `ReadTimeout`, as with httpx, and the connection carries the next request."""
    seen: dict[str, list[typing.Any]] = {}
    with Mode.running(mode):
        for name in ("faststream", "httpx"):
            lib = Lib(name, mode)
            with _proxy("https-proxy", tls_files) as proxy:
                with lib.Client(**_options(lib, "https-proxy", proxy, tls_files)) as client:
                    url = h2_server.url
                    seen[name] = [client.get(f"{url}/bytes/3").http_version]
                    for path in ("/slow-head/2", "/slow/2"):
                        try:
                            client.get(f"{url}{path}", timeout=lib.Timeout(10.0, read=0.2))
                        except lib.TimeoutException as exc:
                            seen[name].append(type(exc).__name__)
                    seen[name].append(client.get(f"{url}/bytes/3").content)
                tunnels = _tunnels(proxy)
            if name == "faststream":
                assert tunnels == [f"127.0.0.1:{h2_server.port}"]
    assert seen["faststream"] == seen["httpx"] == ["HTTP/2", "ReadTimeout", "ReadTimeout", b"abc"]


@pytest.mark.parametrize("via", ["direct", "http-proxy"])
def test_a_verify_path_offers_h2_too(
    via: str, tls_files: TLSFiles, h2_server: HypercornServer
) -> None:
    """`verify=<CA path>` (deprecated) has its TLS context built by the constructor, not on
    the first https use: it offers h2 all the same, straight and in a tunnel, as httpx."""
    versions: dict[str, str] = {}
    for name in ("faststream", "httpx"):
        lib = Lib(name, "sync")
        with _proxy("http-proxy", tls_files) as proxy:
            options = {"proxy": proxy.url} if via == "http-proxy" else {}
            with pytest.warns(DeprecationWarning):
                client = lib.Client(http2=True, verify=tls_files.ca_file, **options)
            with client:
                versions[name] = client.get(f"{h2_server.url}/bytes/3").http_version
            assert len(_tunnels(proxy)) == (via == "http-proxy")
    assert versions == {"faststream": "HTTP/2", "httpx": "HTTP/2"}


@pytest.mark.parametrize("via", ["direct", "socks5"])
@pytest.mark.parametrize("mode", MODES)
def test_an_http11_origin_costs_one_connection(mode: str, via: str, tls_files: TLSFiles) -> None:
    """With `http2=True`, the connection opened to learn that a TLS origin speaks HTTP/1.1
    carries the request itself (and the next ones): one connection, as with `http2=False`,
    although the server's TLS session tickets arrive on it after the handshake."""
    with tls_files.server() as origin, Mode.running(mode), SocksServer() as proxy:
        options = {"proxy": proxy.url("socks5")} if via == "socks5" else {}
        lib = Lib("faststream", mode)
        with lib.Client(http2=True, verify=tls_files.client_context(), **options) as client:
            versions = [client.get(f"{origin.url}/echo").http_version for _ in range(3)]
        assert versions == ["HTTP/1.1"] * 3
        assert origin.connections_accepted == 1
        assert len(proxy.seen) == (via == "socks5")
