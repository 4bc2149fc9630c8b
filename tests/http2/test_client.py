"""`Client(http2=True)` / `AsyncClient(http2=True)` against h2 servers on 127.0.0.1: h2c by
prior knowledge (`http1=False`) and h2 over TLS chosen by ALPN; bodies through `iter_bytes`,
`iter_lines` and gzip decoding; many concurrent requests on one connection; the pool limits;
HTTP/1.1 when the server does not pick h2; and the same results as httpx[http2].
"""

from __future__ import annotations

import concurrent.futures
import ssl
import sys
import time
import typing

import anyio
import h2  # noqa: F401  # the http2 extra, installed wherever these tests run: missing is an error
import httpx
import pytest

import faststream
from faststream._transports._http2_exchange import MAX_FRAME_SIZE, STREAM_WINDOW
from tests.client._backends import BACKENDS, run_on
from tests.servers.h2_raw import H2Server, pattern
from tests.servers.tls import TLSFiles

BIG = 2 * 1024 * 1024 + 3


@pytest.fixture
def h2c() -> typing.Iterator[H2Server]:
    with H2Server() as server:
        yield server


def tls_server_context(tls_files: TLSFiles, alpn: list[str]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls_files.ca.issue_cert("localhost", "127.0.0.1").configure_cert(context)
    context.set_alpn_protocols(alpn)
    return context


@pytest.fixture
def h2_tls(tls_files: TLSFiles) -> typing.Iterator[H2Server]:
    with H2Server(ssl_context=tls_server_context(tls_files, ["h2", "http/1.1"])) as server:
        yield server


# -- sync -----------------------------------------------------------------------------------


def test_prior_knowledge_h2c(h2c: H2Server) -> None:
    url = f"http://127.0.0.1:{h2c.port}"
    with faststream.Client(http1=False, http2=True) as client:
        response = client.get(f"{url}/bytes/{BIG}")
        assert response.status_code == 200
        assert response.http_version == "HTTP/2"
        assert response.extensions["http_version"] == b"HTTP/2"
        assert response.extensions["stream_id"] == 1  # the connection's first stream
        assert response.content == pattern(BIG)
        assert response.headers["content-length"] == str(BIG)
        upload = pattern(100_000)
        assert client.post(f"{url}/echo", content=upload).content == upload
        assert client.post(f"{url}/echo", content=iter([b"a", b"", b"bc"])).content == b"abc"
        assert client.get(f"{url}/gzip/{BIG}").content == pattern(BIG)
        with client.stream("GET", f"{url}/lines") as streamed:
            assert list(streamed.iter_lines()) == ["first", "second", "third", "fourth"]
        with client.stream("GET", f"{url}/bytes/{BIG}") as streamed:
            chunks = streamed.iter_bytes(1000)
            assert [len(next(chunks)) for _ in range(3)] == [1000] * 3
        assert client.get(f"{url}/missing").status_code == 404
    assert h2c.connections_accepted == 1
    assert 0x8 in h2c.resets  # the stream left mid-body was reset


def test_large_frames_read_in_place_keep_the_body_and_the_connection(h2c: H2Server) -> None:
    """The server sends frames of our SETTINGS_MAX_FRAME_SIZE, which the sync client reads
    into the pieces themselves, each read running into the next frame's header."""
    url = f"http://127.0.0.1:{h2c.port}/bytes/{5 * MAX_FRAME_SIZE + 7}"
    with faststream.Client(http1=False, http2=True) as client:
        with client.stream("GET", url) as response:
            pieces = list(response.iter_raw())
        assert b"".join(pieces) == pattern(5 * MAX_FRAME_SIZE + 7)
        assert [len(piece) for piece in pieces] == [MAX_FRAME_SIZE] * 5 + [7]
        with client.stream("GET", url) as response:  # left inside a frame being read
            assert len(next(response.iter_raw(1000))) == 1000
        assert client.get(url).content == pattern(5 * MAX_FRAME_SIZE + 7)
    assert h2c.connections_accepted == 1


def test_threads_share_one_connection(h2c: H2Server) -> None:
    url = f"http://127.0.0.1:{h2c.port}"
    sizes = [100 * i + 1 for i in range(30)]
    with faststream.Client(http1=False, http2=True) as client:

        def get(size: int) -> bytes:
            return client.get(f"{url}/bytes/{size}").content

        with concurrent.futures.ThreadPoolExecutor(10) as pool:
            bodies = list(pool.map(get, sizes, timeout=30))
    assert bodies == [pattern(size) for size in sizes]
    assert h2c.connections_accepted == 1


def test_alpn_picks_h2_over_tls_and_agrees_with_httpx(
    h2_tls: H2Server, tls_files: TLSFiles
) -> None:
    url = f"https://127.0.0.1:{h2_tls.port}/gzip/5000"
    results = []
    for module in (faststream, httpx):
        with module.Client(http2=True, verify=tls_files.client_context()) as client:
            response = client.get(url)
            results.append(
                (
                    response.status_code,
                    response.http_version,
                    response.headers.multi_items(),
                    response.content,
                    sorted(response.extensions),
                    response.extensions["stream_id"],
                )
            )
    assert results[0] == results[1]
    assert results[0][1] == "HTTP/2" and results[0][3] == pattern(5000)


def test_server_choosing_http11_gets_http11(tls_files: TLSFiles) -> None:
    with tls_files.server() as server:  # an HTTP/1.1 server: no ALPN answer
        with faststream.Client(http2=True, verify=tls_files.client_context()) as client:
            response = client.get(f"{server.url}/status/204")
    assert response.status_code == 204 and response.http_version == "HTTP/1.1"


def test_pool_limit_applies_to_h2_connections() -> None:
    with H2Server(max_concurrent_streams=2) as server:
        url = f"http://127.0.0.1:{server.port}/hold"
        limits = faststream.Limits(max_connections=1)
        timeout = faststream.Timeout(5.0, pool=0.3)
        with faststream.Client(http1=False, http2=True, limits=limits, timeout=timeout) as client:
            with client.stream("GET", url), client.stream("GET", url):
                with pytest.raises(faststream.PoolTimeout):
                    client.get(url)
            # both streams given back: the connection takes requests again
            assert client.get(f"http://127.0.0.1:{server.port}/bytes/4").content == b"abcd"
        assert server.connections_accepted == 1


def test_goaway_sends_unprocessed_requests_again_on_a_new_connection() -> None:
    with H2Server(goaway_after_first=True) as server:
        url = f"http://127.0.0.1:{server.port}/bytes"
        with faststream.Client(http1=False, http2=True) as client:
            bodies = [client.get(f"{url}/{size}").content for size in (5, 6, 7)]
    assert bodies == [pattern(5), pattern(6), pattern(7)]
    assert server.connections_accepted == 3  # one request processed per connection


@pytest.mark.parametrize("backend", BACKENDS)
def test_async_goaway_retries_concurrent_requests(backend: str) -> None:
    sizes = [10 + i for i in range(4)]  # the last one is refused 3 times, the most allowed
    results: dict[int, bytes] = {}

    async def main() -> None:
        async with faststream.AsyncClient(http1=False, http2=True) as client:

            async def get(size: int) -> None:
                results[size] = (await client.get(f"{url}/{size}")).content

            with anyio.fail_after(30):
                async with anyio.create_task_group() as group:
                    for size in sizes:
                        group.start_soon(get, size)

    with H2Server(goaway_after_first=True) as server:
        url = f"http://127.0.0.1:{server.port}/bytes"
        run_on(backend, main)
    assert results == {size: pattern(size) for size in sizes}
    assert server.connections_accepted >= 2


def test_stream_reset_fails_that_request_only(h2c: H2Server) -> None:
    url = f"http://127.0.0.1:{h2c.port}"
    with faststream.Client(http1=False, http2=True) as client:
        with client.stream("GET", f"{url}/hold") as held:
            with pytest.raises(faststream.RemoteProtocolError, match="INTERNAL_ERROR"):
                client.get(f"{url}/reset")
            assert client.get(f"{url}/bytes/3").content == b"abc"
            assert next(held.iter_raw()) == b"h"  # the other stream is alive
    assert h2c.connections_accepted == 1


def test_forbidden_response_field_is_a_protocol_error(h2c: H2Server) -> None:
    url = f"http://127.0.0.1:{h2c.port}"
    with faststream.Client(http1=False, http2=True) as client:
        with pytest.raises(faststream.RemoteProtocolError):
            client.get(f"{url}/bad-header")
        # the connection is gone; the next request gets a new one
        assert client.get(f"{url}/bytes/3").content == b"abc"
    assert h2c.connections_accepted == 2


def test_stalled_consumer_holds_the_server_back(h2c: H2Server) -> None:
    url = f"http://127.0.0.1:{h2c.port}/bytes/{16 * STREAM_WINDOW}"
    with faststream.Client(http1=False, http2=True) as client:
        with client.stream("GET", url) as response:
            assert next(response.iter_raw())
            deadline = time.monotonic() + 0.5
            while time.monotonic() < deadline:  # the server sends what the window allows
                time.sleep(0.05)
            # one window unread, at most one more reopened by what was taken
            assert h2c.body_bytes_sent <= 2 * STREAM_WINDOW


def test_read_timeout_on_one_stream(h2c: H2Server) -> None:
    url = f"http://127.0.0.1:{h2c.port}"
    with faststream.Client(
        http1=False, http2=True, timeout=faststream.Timeout(10.0, read=0.3)
    ) as client:
        with pytest.raises(faststream.ReadTimeout):
            client.get(f"{url}/hold")
        assert client.get(f"{url}/bytes/3").content == b"abc"
    assert h2c.connections_accepted == 1


def test_without_h2_the_import_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "h2", None)
    prefix = "Using http2=True, but the 'h2' package is not installed."
    with pytest.raises(ImportError, match=prefix) as theirs:
        httpx.Client(http2=True)
    assert "pip install httpx[http2]" in str(theirs.value)
    for make in (faststream.Client, faststream.AsyncClient, faststream.HTTPTransport):
        with pytest.raises(ImportError, match=prefix) as ours:
            make(http2=True)
        assert "pip install faststream-http[http2]" in str(ours.value)


# -- async ----------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_async_prior_knowledge_and_concurrency(backend: str, h2c: H2Server) -> None:
    url = f"http://127.0.0.1:{h2c.port}"
    sizes = [100 * i + 1 for i in range(30)] + [BIG]
    results: dict[int, bytes] = {}

    async def main() -> None:
        async with faststream.AsyncClient(http1=False, http2=True) as client:
            response = await client.get(f"{url}/gzip/{BIG}")
            assert response.http_version == "HTTP/2" and response.content == pattern(BIG)
            upload = pattern(100_000)
            assert (await client.post(f"{url}/echo", content=upload)).content == upload
            async with client.stream("GET", f"{url}/lines") as streamed:
                lines = [line async for line in streamed.aiter_lines()]
            assert lines == ["first", "second", "third", "fourth"]

            async def get(size: int) -> None:
                results[size] = (await client.get(f"{url}/bytes/{size}")).content

            with anyio.fail_after(30):
                async with anyio.create_task_group() as group:
                    for size in sizes:
                        group.start_soon(get, size)

            with anyio.move_on_after(1.0) as scope:
                await client.get(f"{url}/hold")
            assert scope.cancelled_caught
            assert (await client.get(f"{url}/bytes/3")).content == b"abc"

    run_on(backend, main)
    assert results == {size: pattern(size) for size in sizes}
    assert h2c.connections_accepted == 1
    assert h2c.peak_streams > 1
    assert 0x8 in h2c.resets


@pytest.mark.parametrize("backend", BACKENDS)
def test_async_alpn_h2_over_tls(backend: str, h2_tls: H2Server, tls_files: TLSFiles) -> None:
    async def main() -> tuple[str, bytes]:
        context = tls_files.client_context()
        async with faststream.AsyncClient(http2=True, verify=context) as client:
            response = await client.get(f"https://127.0.0.1:{h2_tls.port}/bytes/{BIG}")
            return response.http_version, response.content

    assert run_on(backend, main) == ("HTTP/2", pattern(BIG))


@pytest.mark.parametrize("backend", BACKENDS)
def test_async_read_timeout_mid_body_gives_the_stream_back(backend: str, h2c: H2Server) -> None:
    """`get` of a body that stops coming: `ReadTimeout` naming the request, the stream reset
    (CANCEL), and the connection carries the next request."""
    url = f"http://127.0.0.1:{h2c.port}"

    async def main() -> None:
        timeout = faststream.Timeout(10.0, read=0.3)
        async with faststream.AsyncClient(http1=False, http2=True, timeout=timeout) as client:
            with pytest.raises(faststream.ReadTimeout) as caught:
                await client.get(f"{url}/hold")
            assert caught.value.request.url == f"{url}/hold"
            assert (await client.get(f"{url}/bytes/3")).content == b"abc"

    run_on(backend, main)
    assert h2c.connections_accepted == 1
    assert 0x8 in h2c.resets
