"""Redirects, differential against httpx 0.28.1, and the two redirect deviations.

Each scenario runs through `faststream.Client` and `httpx.Client` over a MockTransport
(`differential` in tests/client/_helpers.py): the requests sent on every hop (method, URL,
headers, body), the final response with its history and `next_request`, the errors, the cookie
jar and the log lines must be the same.

Deviations (DESIGN.md, THREATS T3 and T28), tested on their own:
* the body of a followed redirect is discarded raw, never decoded, and read only up to
  `REDIRECT_BODY_CAP` bytes before the response is closed (httpx reads and decodes it all);
* a caller-set `Proxy-Authorization` header is dropped on a cross-origin redirect, like
  `Authorization` (httpx forwards it).
"""

from __future__ import annotations

import gzip
import tracemalloc
import typing
import zlib
from collections.abc import Iterator

import pytest

from faststream._client_base import REDIRECT_BODY_CAP
from tests.client._helpers import FASTSTREAM, HTTPX, Lib, differential, observe
from tests.servers.app import AppServer, Exchange

pytestmark = pytest.mark.usefixtures("client_mode")


def redirect_to(location: str | None, status: int = 302, **headers: str) -> typing.Any:
    """A handler: `status` + Location for /start (and /loop), 200 echoing the body elsewhere."""

    def handler(lib: Lib, request: typing.Any) -> typing.Any:
        if request.url.path in ("/start", "/loop"):
            response_headers = dict(headers)
            if location is not None:
                response_headers["Location"] = location
            return lib.Response(status, headers=response_headers, text="moved")
        return lib.Response(200, content=request.content)

    return handler


def go(
    method: str = "GET", url: str = "http://example.org/start", **kwargs: typing.Any
) -> typing.Any:
    def action(client: typing.Any) -> typing.Any:
        options = {"follow_redirects": True, **kwargs}
        if callable(options.get("content")):  # a generator function: a fresh body per run
            options["content"] = options["content"]()
        return client.request(method, url, **options)

    return action


# --- method and body -----------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "PUT", "DELETE"])
def test_method_and_body_after_redirect(status: int, method: str) -> None:
    seen = differential(
        redirect_to("/next", status),
        go(method, content=b"payload", headers={"X-Keep": "1"}),
    )
    assert len(seen["sent"]) == 2


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_json_post_redirect(status: int) -> None:
    differential(redirect_to("/next", status), go("POST", json={"a": 1}))


def test_chunked_body_headers_dropped_on_change_to_get() -> None:
    def body() -> Iterator[bytes]:
        yield b"abc"

    seen = differential(redirect_to("/next", 303), go("POST", content=body))
    assert b"Transfer-Encoding" in dict(seen["sent"][0]["headers"])
    assert b"Transfer-Encoding" not in dict(seen["sent"][1]["headers"])


@pytest.mark.parametrize("status", [300, 304, 305, 306, 201, 399])
def test_other_statuses_are_not_followed(status: int) -> None:
    seen = differential(redirect_to("/next", status), go())
    assert len(seen["sent"]) == 1


def test_redirect_without_location_is_returned() -> None:
    seen = differential(redirect_to(None, 302), go())
    assert seen["result"]["status"] == 302


# --- locations -----------------------------------------------------------------------------

LOCATIONS = [
    "/next",
    "next",
    "../up/next",
    "?q=1",
    "//other.example/path",
    "https://example.org/secure",
    "http://example.org:8080/port",
    "https:///hostless",
    "http://other.example/with#own-fragment",
    "/path with spaces",
    "/caf\u00e9",
    "HTTP://EXAMPLE.ORG/Upper",
]


@pytest.mark.parametrize("location", LOCATIONS)
@pytest.mark.parametrize("start", ["http://example.org/start", "http://example.org/a/b/start#frag"])
def test_location_resolution(location: str, start: str) -> None:
    differential(redirect_to(location), go(url=start))


@pytest.mark.parametrize("location", ["http://[bad]/", "https://example.org:abc/", "http://[::1/"])
def test_invalid_location(location: str) -> None:
    seen = differential(redirect_to(location), go())
    assert seen["result"]["raised"] == "RemoteProtocolError"


# --- headers across origins ----------------------------------------------------------------

ORIGINS = [
    "http://example.org/same",
    "https://example.org/upgrade",
    "https://example.org:8443/upgrade-other-port",
    "http://example.org:8080/other-port",
    "http://other.example/other-host",
    "http://sub.example.org/subdomain",
]


@pytest.mark.parametrize("location", ORIGINS)
@pytest.mark.parametrize("start", ["http://example.org/start", "https://example.org/start"])
def test_authorization_across_origins(location: str, start: str) -> None:
    seen = differential(
        redirect_to(location),
        go(url=start, headers={"Authorization": "Bearer secret", "X-Other": "kept"}),
    )
    assert dict(seen["sent"][1]["headers"])[b"X-Other"] == b"kept"


@pytest.mark.parametrize("location", ORIGINS)
def test_proxy_authorization_across_origins(location: str) -> None:
    # Deviation (T28): httpx forwards a caller-set Proxy-Authorization to another origin;
    # faststream drops it wherever it drops Authorization.
    headers = {"Authorization": "Bearer a", "Proxy-Authorization": "Basic p"}
    for lib in (FASTSTREAM, HTTPX):
        seen = observe(lib, redirect_to(location), go(headers=headers))
        second = dict(seen["sent"][1]["headers"])
        keeps_authorization = b"Authorization" in second
        if lib is HTTPX:
            assert second[b"Proxy-Authorization"] == b"Basic p"
        else:
            assert (b"Proxy-Authorization" in second) == keeps_authorization
        same_or_upgrade = location.startswith(("http://example.org/", "https://example.org/"))
        assert keeps_authorization == same_or_upgrade


def test_host_header_follows_the_origin() -> None:
    seen = differential(redirect_to("http://other.example:81/x"), go(headers={"Host": "custom"}))
    assert dict(seen["sent"][1]["headers"])[b"Host"] == b"other.example:81"


# --- cookies -------------------------------------------------------------------------------


def cookie_redirect(lib: Lib, request: typing.Any) -> typing.Any:
    if request.url.path == "/start":
        return lib.Response(
            302,
            headers=[
                ("Location", request.url.params.get("to", "/next")),
                ("Set-Cookie", "hop=1; Path=/"),
                ("Set-Cookie", "scoped=2; Path=/next"),
            ],
        )
    return lib.Response(200, text=request.headers.get("Cookie", ""))


@pytest.mark.parametrize("to", ["/next", "/other", "http://other.example/next"])
def test_cookies_recomputed_on_redirect(to: str) -> None:
    seen = differential(
        cookie_redirect,
        go(params={"to": to}, headers={"Cookie": "caller=set"}),
        cookies={"client": "jar"},
    )
    assert all(b"caller=set" not in v for k, v in seen["sent"][1]["headers"])


# --- history, next_request, limits ---------------------------------------------------------


def chain(lib: Lib, request: typing.Any) -> typing.Any:
    """/hop/N redirects to /hop/N-1 (301, 302, 303, 307, 308 in turn); /hop/0 answers."""
    n = int(request.url.path.rsplit("/", 1)[1])
    if n == 0:
        return lib.Response(200, json={"method": request.method})
    status = [301, 302, 303, 307, 308][n % 5]
    return lib.Response(status, headers={"Location": f"/hop/{n - 1}"}, text=f"hop {n}")


@pytest.mark.parametrize("hops", [1, 2, 5, 19, 20, 21, 22])
def test_history_and_max_redirects(hops: int) -> None:
    seen = differential(chain, go(url=f"http://example.org/hop/{hops}"))
    if hops <= 20:
        assert len(seen["result"]["history"]) == hops
    else:
        assert seen["result"]["raised"] == "TooManyRedirects"


@pytest.mark.parametrize("max_redirects", [0, 1, 3])
def test_max_redirects_option(max_redirects: int) -> None:
    seen = differential(chain, go(url="http://example.org/hop/3"), max_redirects=max_redirects)
    assert len(seen["sent"]) == min(max_redirects + 1, 4)


def test_not_following_sets_next_request() -> None:
    seen = differential(redirect_to("/next", 307), go("POST", content=b"x", follow_redirects=False))
    assert seen["result"]["next_request"]["url"] == "http://example.org/next"


def test_follow_redirects_client_default_and_override() -> None:
    def action(client: typing.Any) -> typing.Any:
        first = client.get("http://example.org/start")
        assert first.status_code == 200
        return client.get("http://example.org/start", follow_redirects=False)

    seen = differential(redirect_to("/next"), action, follow_redirects=True)
    assert seen["result"]["status"] == 302


def test_redirect_loop() -> None:
    seen = differential(redirect_to("/loop"), go(url="http://example.org/loop"), max_redirects=4)
    assert seen["result"]["raised"] == "TooManyRedirects"
    assert seen["result"]["message"] == "Exceeded maximum allowed redirects."


def test_history_responses_with_in_memory_bodies() -> None:
    seen = differential(chain, go(url="http://example.org/hop/2"))
    assert [h["content"] for h in seen["result"]["history"]] == [b"hop 2", b"hop 1"]


# --- request bodies that cannot be replayed ------------------------------------------------


class StreamingTransport:
    """A transport that sends the request body by iterating it (as a network transport
    does), without `read()`; /start answers 307."""

    def __init__(self, lib: Lib) -> None:
        self.lib = lib
        self.bodies: list[bytes] = []

    def handle_request(self, request: typing.Any) -> typing.Any:
        self.bodies.append(b"".join(request.stream))
        if request.url.path == "/start":
            return self.lib.Response(307, headers={"Location": "/next"})
        return self.lib.Response(200)

    def close(self) -> None:
        pass


def transport_of(lib: Lib) -> typing.Any:
    base = lib.BaseTransport
    return type("Streaming", (StreamingTransport, base), {})(lib)


@pytest.mark.parametrize("status", [307, 308])
def test_generator_body_resent_raises_stream_consumed(lib: Lib, status: int) -> None:
    transport = transport_of(lib)

    def body() -> Iterator[bytes]:
        yield b"once"

    with lib.Client(transport=transport, follow_redirects=True) as client:
        with pytest.raises(lib.StreamConsumed):
            client.post("http://example.org/start", content=body())
        # An in-memory body is re-sent.
        assert client.post("http://example.org/start", content=b"twice").status_code == 200
    assert transport.bodies == [b"once", b"twice", b"twice"]


# --- deviation: redirect bodies are discarded raw -------------------------------------------


class Pieces:
    """A response stream yielding `data` in `size`-byte pieces; records what was pulled."""

    def __init__(self, data: bytes, size: int = 16384) -> None:
        self.data = data
        self.size = size
        self.pulled = 0
        self.closed = 0

    def __iter__(self) -> Iterator[bytes]:
        for start in range(0, len(self.data), self.size):
            piece = self.data[start : start + self.size]
            self.pulled += len(piece)
            yield piece

    def close(self) -> None:
        self.closed += 1


def stream_of(lib: Lib, data: bytes, size: int = 16384) -> typing.Any:
    return type("PiecesStream", (Pieces, lib.SyncByteStream), {})(data, size)


def redirect_with_body(
    lib: Lib, body: bytes, headers: dict[str, str], streams: list[typing.Any]
) -> typing.Any:
    def handler(request: typing.Any) -> typing.Any:
        if request.url.path == "/start":
            stream = stream_of(lib, body)
            streams.append(stream)
            return lib.Response(302, headers={"Location": "/next", **headers}, stream=stream)
        return lib.Response(200, text="final")

    return lib.MockTransport(handler)


GZIP_BOMB_SIZE = 256 * 1024 * 1024


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    # 256 MiB of zeros, about 255 KiB compressed, in one gzip member.
    deflate = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"\0" * (1024 * 1024)
    parts = [deflate.compress(block) for _ in range(GZIP_BOMB_SIZE // len(block))]
    parts.append(deflate.flush())
    body = b"".join(parts)
    assert len(body) < 300 * 1024
    return body


@pytest.mark.timeout(60)
def test_gzip_bomb_in_followed_redirect_is_not_decoded(gzip_bomb: bytes) -> None:
    streams: list[typing.Any] = []
    transport = redirect_with_body(FASTSTREAM, gzip_bomb, {"Content-Encoding": "gzip"}, streams)
    with FASTSTREAM.Client(transport=transport, follow_redirects=True) as client:
        tracemalloc.start()
        try:
            response = client.get("http://example.org/start")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert response.text == "final"
    assert peak < 16 * 1024 * 1024
    (stream,) = streams
    assert stream.pulled <= REDIRECT_BODY_CAP + stream.size  # the rest was never read
    assert stream.closed == 1
    (redirect,) = response.history
    assert redirect.is_closed
    with pytest.raises(FASTSTREAM.ResponseNotRead):
        redirect.content  # noqa: B018  -- never decoded, so never stored


def test_corrupt_gzip_redirect_body_is_followed() -> None:
    # httpx decodes the redirect body and raises DecodingError; faststream never decodes it.
    body = b"\x1f\x8b\x08\x00garbage-not-deflate" * 10
    outcomes = {}
    for lib in (FASTSTREAM, HTTPX):
        streams: list[typing.Any] = []
        transport = redirect_with_body(lib, body, {"Content-Encoding": "gzip"}, streams)
        with lib.Client(transport=transport, follow_redirects=True) as client:
            try:
                outcomes[lib.name] = client.get("http://example.org/start").text
            except Exception as exc:
                outcomes[lib.name] = type(exc).__name__
    assert outcomes == {"faststream": "final", "httpx": "DecodingError"}


@pytest.mark.parametrize("size", [0, 1, REDIRECT_BODY_CAP - 1, REDIRECT_BODY_CAP])
def test_small_identity_redirect_body_is_kept(lib: Lib, size: int) -> None:
    body = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    streams: list[typing.Any] = []
    transport = redirect_with_body(lib, body, {"Content-Type": "text/plain"}, streams)
    with lib.Client(transport=transport, follow_redirects=True) as client:
        response = client.get("http://example.org/start")
    (redirect,) = response.history
    assert redirect.content == body  # as httpx: a plain redirect page stays readable
    assert redirect.is_closed
    assert streams[0].closed == 1


def test_long_redirect_body_is_abandoned() -> None:
    body = b"y" * (10 * 1024 * 1024)
    for lib in (FASTSTREAM, HTTPX):
        streams: list[typing.Any] = []
        transport = redirect_with_body(lib, body, {}, streams)
        with lib.Client(transport=transport, follow_redirects=True) as client:
            response = client.get("http://example.org/start")
        assert response.text == "final"
        (redirect,) = response.history
        assert redirect.is_closed and streams[0].closed == 1
        if lib is HTTPX:
            assert streams[0].pulled == len(body)
            assert redirect.content == body
        else:
            # Deviation: at most the cap (plus one transport piece) is read, nothing kept.
            assert streams[0].pulled <= REDIRECT_BODY_CAP + streams[0].size
            with pytest.raises(lib.ResponseNotRead):
                redirect.content  # noqa: B018


def test_unfollowed_redirect_body_is_delivered_decoded(lib: Lib) -> None:
    body = gzip.compress(b"moved here")
    streams: list[typing.Any] = []
    transport = redirect_with_body(lib, body, {"Content-Encoding": "gzip"}, streams)
    with lib.Client(transport=transport) as client:
        response = client.get("http://example.org/start")
    assert response.status_code == 302
    assert response.text == "moved here"


# --- over the network ----------------------------------------------------------------------


@pytest.mark.timeout(30)
def test_followed_redirects_over_the_network(lib: Lib, app_server: AppServer) -> None:
    with lib.Client(follow_redirects=True) as client:
        response = client.get(app_server.url + "/redirect/3")
    assert response.json()["path"] == "/redirect/0"
    assert [r.status_code for r in response.history] == [302, 302, 302]
    assert app_server.connections_accepted == 1  # small redirect bodies: connection reused


@pytest.mark.timeout(30)
def test_long_redirect_body_connection_is_dropped(lib: Lib, app_server: AppServer) -> None:
    def big_redirect(ex: Exchange) -> None:
        ex.respond(302, b"z" * (4 * 1024 * 1024), headers=[("Location", "/echo")])

    app_server.add_route("/big-redirect", big_redirect)
    with lib.Client(follow_redirects=True) as client:
        response = client.get(app_server.url + "/big-redirect")
    assert response.json()["path"] == "/echo"
    # httpx reads the 4 MiB and reuses the connection; faststream stops at the cap and
    # closes that connection instead (deviation T3).
    assert app_server.connections_accepted == (2 if lib.name == "faststream" else 1)


@pytest.mark.timeout(30)
def test_generator_body_307_over_the_network(lib: Lib, app_server: AppServer) -> None:
    def body() -> Iterator[bytes]:
        yield b"data"

    with lib.Client(follow_redirects=True) as client:
        with pytest.raises(lib.StreamConsumed):
            client.post(
                app_server.url + "/redirect-to",
                params={"url": "/echo", "status": "307"},
                content=body(),
            )
