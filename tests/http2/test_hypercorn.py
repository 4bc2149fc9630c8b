"""Client scenarios over HTTP/2 against a real server (hypercorn on 127.0.0.1: h2 over TLS
chosen by ALPN, and h2c by prior knowledge), each run with `Client` and with `AsyncClient` on
asyncio, uvloop and trio (through the sync-scenario adapter of tests/client/_async_adapter.py),
and compared with httpx[http2] in the same mode: status, headers (as each library reports
them; the server's `date` left out, it changes between calls), http_version, extensions,
bodies, redirects, cookies and the exception types of timeouts must all be the same.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Callable, Iterator
from pathlib import Path

import anyio
import h2  # noqa: F401  # the http2 extra, installed wherever these tests run: missing is an error
import pytest

from tests.client._async_adapter import MODE_NAMES, Mode, mode_param
from tests.client._backends import BACKENDS, run_on
from tests.client._helpers import Lib
from tests.servers.hypercorn_h2 import HypercornServer, pattern
from tests.servers.tls import TLSFiles

BIG = 300_000  # several DATA frames and reads, less than a stream window


@pytest.fixture(scope="module")
def h2c_server() -> Iterator[HypercornServer]:
    with HypercornServer() as server:
        yield server


@pytest.fixture(scope="module")
def tls_server(
    tls_files: TLSFiles, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HypercornServer]:
    with HypercornServer(tls_files, Path(tmp_path_factory.mktemp("hypercorn"))) as server:
        yield server


Scenario = Callable[[typing.Any, str], typing.Any]


def _response(response: typing.Any) -> dict[str, typing.Any]:
    return {
        "status": response.status_code,
        "version": response.http_version,
        "headers": [(k, v) for k, v in response.headers.multi_items() if k != "date"],
        "content": response.content,
        "extensions": sorted(response.extensions),
        "http_version": response.extensions["http_version"],
        "stream_id": response.extensions["stream_id"],
        "url": str(response.url),
        "history": [(r.status_code, str(r.url), r.http_version) for r in response.history],
    }


def get_bytes(client: typing.Any, url: str) -> typing.Any:
    return [_response(client.get(f"{url}/bytes/{size}")) for size in (0, 5, BIG)]


def post_bodies(client: typing.Any, url: str) -> typing.Any:
    return [
        _response(client.post(f"{url}/echo", content=pattern(BIG))),
        _response(client.post(f"{url}/echo", content=iter([b"ab", b"", b"cd"]))),
        _response(client.post(f"{url}/echo", json={"a": [1, 2]})),
        _response(client.post(f"{url}/echo", data={"x": "1", "y": "2"})),
        _response(client.put(f"{url}/echo", content=b"put")),
        _response(client.head(f"{url}/bytes/10")),
    ]


def request_fields(client: typing.Any, url: str) -> typing.Any:
    response = client.get(f"{url}/headers", headers={"X-Custom": "one", "Connection": "keep-alive"})
    fields = [(k, v) for k, v in json.loads(response.content) if k != "user-agent"]
    return response.status_code, fields


def streaming(client: typing.Any, url: str) -> typing.Any:
    seen: list[typing.Any] = []
    with client.stream("GET", f"{url}/lines") as response:
        seen.append(list(response.iter_lines()))
    with client.stream("GET", f"{url}/bytes/{BIG}") as response:
        chunks = list(response.iter_bytes(10_000))
        seen.append(([len(chunk) for chunk in chunks], b"".join(chunks) == pattern(BIG)))
    with client.stream("GET", f"{url}/bytes/{BIG}") as response:
        raw = response.iter_raw()
        seen.append(len(next(raw)) > 0)  # left mid-body: the stream is reset
    seen.append(client.get(f"{url}/bytes/7").content)  # and the connection goes on
    return seen


def redirects(client: typing.Any, url: str) -> typing.Any:
    followed = client.get(f"{url}/redirect/2", follow_redirects=True)
    single = client.get(f"{url}/redirect/1")
    return _response(followed), _response(single), single.next_request.url.path


def cookies(client: typing.Any, url: str) -> typing.Any:
    set_response = client.get(f"{url}/cookies/set?flavour=plain&n=2")
    sent = client.get(f"{url}/cookies")
    return sorted(set_response.cookies.items()), json.loads(sent.content), dict(client.cookies)


def statuses(client: typing.Any, url: str) -> typing.Any:
    seen: list[typing.Any] = []
    for status in (204, 404, 500):
        response = client.get(f"{url}/status/{status}")
        seen.append((_response(response), response.is_error))
    return seen


def timeouts(client: typing.Any, url: str) -> typing.Any:
    seen: list[typing.Any] = []
    for path in ("/slow-head/2", "/slow/2"):
        try:
            client.get(f"{url}{path}", timeout=0.2)
        except Exception as exc:
            seen.append(type(exc).__name__)
    seen.append(client.get(f"{url}/bytes/3").content)  # the connection is still usable
    return seen


SCENARIOS: list[Scenario] = [
    get_bytes,
    post_bodies,
    request_fields,
    streaming,
    redirects,
    cookies,
    statuses,
    timeouts,
]


def _client_options(transport: str, tls_files: TLSFiles) -> dict[str, typing.Any]:
    if transport == "tls":
        return {"http2": True, "verify": tls_files.client_context()}
    return {"http1": False, "http2": True}


def _observe(
    name: str, mode: str, url: str, options: dict[str, typing.Any]
) -> dict[str, typing.Any]:
    lib = Lib(name, mode)
    seen: dict[str, typing.Any] = {}
    with lib.Client(**options) as client:
        for scenario in SCENARIOS:
            seen[scenario.__name__] = scenario(client, url)
    return seen


@pytest.mark.parametrize("mode", [mode_param(mode) for mode in MODE_NAMES])
@pytest.mark.parametrize("transport", ["tls", "h2c"])
def test_scenarios_match_httpx(
    mode: str,
    transport: str,
    tls_files: TLSFiles,
    tls_server: HypercornServer,
    h2c_server: HypercornServer,
) -> None:
    server = tls_server if transport == "tls" else h2c_server
    options = _client_options(transport, tls_files)
    with Mode.running(mode):
        ours = _observe("faststream", mode, server.url, options)
        theirs = _observe("httpx", mode, server.url, options)
    for scenario in SCENARIOS:
        name = scenario.__name__
        assert ours[name] == theirs[name], name
    # what the scenarios establish, not only that both libraries agree on it
    assert {r["version"] for r in ours["get_bytes"]} == {"HTTP/2"}
    assert ours["get_bytes"][2]["content"] == pattern(BIG)
    assert ours["streaming"][0] == ["first", "second", "third", "fourth"]
    assert ours["redirects"][0]["history"][0][0] == 302
    assert ours["cookies"][1] == {"cookie": "flavour=plain; n=2"}
    assert ours["timeouts"] == ["ReadTimeout", "ReadTimeout", b"abc"]


@pytest.mark.parametrize("mode", [mode_param(mode) for mode in MODE_NAMES])
def test_trailers_over_http2(mode: str, h2c_server: HypercornServer) -> None:
    """`Response.trailers` (faststream's): HTTP/2 trailing HEADERS, once the body is read."""
    with Mode.running(mode):
        lib = Lib("faststream", mode)
        with lib.Client(http1=False, http2=True) as client:
            url = f"{h2c_server.url}/trailers"
            with client.stream("GET", url, headers={"TE": "trailers"}) as response:
                assert response.trailers == {}  # not before the body's end
                assert response.read() == b"body"
                assert dict(response.trailers) == {"x-checksum": "abc"}
                assert "x-checksum" not in response.headers  # never merged
            plain = client.get(f"{h2c_server.url}/bytes/3")
            assert plain.trailers == {} and plain.http_version == "HTTP/2"


def test_h2c_server_also_answers_http11(h2c_server: HypercornServer) -> None:
    """The same server speaks HTTP/1.1 to a client that does not ask for h2c: the fixture
    serves both, and the HTTP/2 scenarios above did not fall back to it."""
    lib = Lib("faststream", "sync")
    with lib.Client() as client:
        assert client.get(f"{h2c_server.url}/bytes/3").http_version == "HTTP/1.1"


@pytest.mark.parametrize("backend", BACKENDS)
def test_concurrent_requests_share_one_connection(
    backend: str, h2c_server: HypercornServer
) -> None:
    """`AsyncClient` tasks at once: the same bodies as httpx's, all on one connection."""
    sizes = [1000 * i + 1 for i in range(24)]

    async def fetch(name: str) -> tuple[list[bytes], int, list[int]]:
        lib = Lib(name, "asyncio")
        results: dict[int, typing.Any] = {}
        async with lib.module.AsyncClient(http1=False, http2=True) as client:

            async def get(size: int) -> None:
                results[size] = await client.get(f"{h2c_server.url}/bytes/{size}")

            with anyio.fail_after(30):
                async with anyio.create_task_group() as group:
                    for size in sizes:
                        group.start_soon(get, size)
        responses = [results[size] for size in sizes]
        networks = {id(r.extensions["network_stream"]) for r in responses}
        ids = sorted(r.extensions["stream_id"] for r in responses)
        return [r.content for r in responses], len(networks), ids

    ours = run_on(backend, fetch, "faststream")
    theirs = run_on(backend, fetch, "httpx")
    assert ours[0] == theirs[0] == [pattern(size) for size in sizes]
    assert ours[1] == 1
    assert ours[2] == list(range(1, 2 * len(sizes), 2))  # one stream each, in one connection
