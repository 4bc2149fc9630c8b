"""Auth flows driven by hand: requests come out of the flow, responses we build go back in.

Digest answers are checked three ways: against the RFC 7616 / RFC 2617 worked examples,
against the RFC 7616 formulas computed here, and against httpx 0.28.1's `DigestAuth` given
the same challenges and the same client nonces.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import re
import typing
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from pathlib import Path

import httpx
import pytest

import faststream._auth as fs_auth
from faststream._exceptions import ProtocolError, RequestNotRead
from faststream._request import Request
from faststream._response import Response


class _Lib(typing.NamedTuple):
    """The classes one library (httpx or faststream) provides for a flow."""

    Request: typing.Any
    Response: typing.Any
    BasicAuth: typing.Any
    DigestAuth: typing.Any
    NetRCAuth: typing.Any
    ProtocolError: type[Exception]


FASTSTREAM = _Lib(
    Request, Response, fs_auth.BasicAuth, fs_auth.DigestAuth, fs_auth.NetRCAuth, ProtocolError
)
HTTPX = _Lib(
    httpx.Request,
    httpx.Response,
    httpx.BasicAuth,
    httpx.DigestAuth,
    httpx.NetRCAuth,
    httpx.ProtocolError,
)

# A response as the test describes it: status code and header pairs.
Spec = tuple[int, list[tuple[str, str]]]


def run_sync(
    lib: _Lib, auth: typing.Any, responses: list[Spec], url: str = "http://example.org/"
) -> list[list[tuple[str, str]]]:
    """Drive `auth.sync_auth_flow`, answering each request with the next response spec.

    Returns the headers of each request the flow sent (as they were when it was sent)."""
    request = lib.Request("GET", url)
    flow = auth.sync_auth_flow(request)
    sent = []
    outgoing = next(flow)
    for status, headers in responses:
        # From `.raw`: reading decoded items would fix the headers' text encoding (as ASCII
        # here), after which neither library can set a non-ASCII header value.
        sent.append(
            [(name.decode().lower(), value.decode()) for name, value in outgoing.headers.raw]
        )
        try:
            outgoing = flow.send(lib.Response(status, headers=headers, request=outgoing))
        except StopIteration:
            return sent
    raise AssertionError("the flow sent more requests than the test has responses for")


def fixed_cnonce(self: object, nonce_count: int, nonce: bytes) -> bytes:
    """A deterministic client nonce that still depends on the count and the server nonce."""
    return hashlib.sha1(b"%d:%s" % (nonce_count, nonce)).hexdigest()[:16].encode()


@pytest.fixture
def same_cnonce(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both libraries' DigestAuth use `fixed_cnonce`."""
    monkeypatch.setattr(fs_auth.DigestAuth, "_get_client_nonce", fixed_cnonce)
    monkeypatch.setattr(httpx.DigestAuth, "_get_client_nonce", fixed_cnonce)


def authorization(headers: list[tuple[str, str]]) -> str | None:
    values = [value for name, value in headers if name.lower() == "authorization"]
    assert len(values) <= 1
    return values[0] if values else None


def digest_fields(header: str) -> dict[str, str]:
    """Split a `Digest a="b", c=d` header into its fields (quotes removed)."""
    assert header.startswith("Digest ")
    fields = {}
    for item in re.findall(r'(\w+)=("[^"]*"|[^,]*)', header[len("Digest ") :]):
        fields[item[0]] = item[1].strip('"')
    return fields


# Auth (the base protocol and its drivers) -------------------------------------------------


def test_default_auth_sends_the_request_unchanged_once() -> None:
    request = Request("GET", "http://example.org/", headers={"X-A": "1"})
    flow = fs_auth.Auth().sync_auth_flow(request)
    sent = next(flow)
    assert sent is request
    assert sent.headers.multi_items() == [("host", "example.org"), ("x-a", "1")]
    with pytest.raises(StopIteration):
        flow.send(Response(401, request=request))


class _TwoStep(fs_auth.Auth):
    """Sends the request, then a second time with a header derived from the first response."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, bytes]] = []

    def auth_flow(self, request: Request) -> Generator[Request, Response, None]:
        response = yield request
        self.seen.append((response.status_code, response.content))
        request.headers["X-Token"] = response.headers["X-Next"]
        response = yield request
        self.seen.append((response.status_code, response.content))


def test_sync_driver_passes_responses_in_and_requests_out() -> None:
    auth = _TwoStep()
    flow = auth.sync_auth_flow(Request("GET", "http://example.org/"))
    first = next(flow)
    assert "X-Token" not in first.headers
    second = flow.send(Response(401, headers={"X-Next": "abc"}, content=b"one", request=first))
    assert second.headers["X-Token"] == "abc"
    with pytest.raises(StopIteration):
        flow.send(Response(200, content=b"two", request=second))
    assert auth.seen == [(401, b"one"), (200, b"two")]


def test_async_driver_passes_responses_in_and_requests_out() -> None:
    auth = _TwoStep()

    async def main() -> None:
        flow = auth.async_auth_flow(Request("GET", "http://example.org/"))
        first = await flow.__anext__()
        second = await flow.asend(Response(401, headers={"X-Next": "xyz"}, request=first))
        assert second.headers["X-Token"] == "xyz"
        with pytest.raises(StopAsyncIteration):
            await flow.asend(Response(200, request=second))

    asyncio.run(main())
    assert auth.seen == [(401, b""), (200, b"")]


def test_errors_raised_by_the_flow_reach_the_driver_caller() -> None:
    class Failing(fs_auth.Auth):
        def auth_flow(self, request: Request) -> Generator[Request, Response, None]:
            yield request
            raise ValueError("refused")

    flow = Failing().sync_auth_flow(Request("GET", "http://example.org/"))
    sent = next(flow)
    with pytest.raises(ValueError, match="refused"):
        flow.send(Response(200, request=sent))


def body_chunks() -> Iterator[bytes]:
    yield b"hello, "
    yield b"world"


async def async_body_chunks() -> AsyncIterator[bytes]:
    yield b"hello, "
    yield b"world"


class _BodyAuth(fs_auth.Auth):
    """Records the request and response bodies the flow sees."""

    def __init__(self, *, request_body: bool, response_body: bool) -> None:
        self.requires_request_body = request_body
        self.requires_response_body = response_body
        self.request_content: bytes | None = None
        self.response_content: bytes | None = None

    def auth_flow(self, request: Request) -> Generator[Request, Response, None]:
        self.request_content = request.content
        response = yield request
        self.response_content = response.content


def test_sync_driver_reads_bodies_when_the_scheme_requires_them() -> None:
    auth = _BodyAuth(request_body=True, response_body=True)
    flow = auth.sync_auth_flow(Request("POST", "http://example.org/", content=body_chunks()))
    sent = next(flow)
    assert auth.request_content == b"hello, world"
    with pytest.raises(StopIteration):
        flow.send(Response(200, content=body_chunks(), request=sent))
    assert auth.response_content == b"hello, world"


def test_async_driver_reads_bodies_with_aread() -> None:
    # Async-only bodies: `read()` would fail on them, so these must be read with `aread()`.
    auth = _BodyAuth(request_body=True, response_body=True)

    async def main() -> None:
        request = Request("POST", "http://example.org/", content=async_body_chunks())
        flow = auth.async_auth_flow(request)
        sent = await flow.__anext__()
        assert auth.request_content == b"hello, world"
        with pytest.raises(StopAsyncIteration):
            await flow.asend(Response(200, content=async_body_chunks(), request=sent))

    asyncio.run(main())
    assert auth.response_content == b"hello, world"


def test_bodies_are_left_unread_unless_required() -> None:
    auth = _BodyAuth(request_body=False, response_body=False)
    flow = auth.sync_auth_flow(Request("POST", "http://example.org/", content=body_chunks()))
    with pytest.raises(RequestNotRead):
        next(flow)


def test_sync_driver_cannot_read_an_async_response_body() -> None:
    for lib_auth, lib_request, lib_response in (
        (fs_auth.Auth, Request, Response),
        (httpx.Auth, httpx.Request, httpx.Response),
    ):

        class NeedsBody(lib_auth):  # type: ignore[valid-type, misc]
            requires_response_body = True

        flow = NeedsBody().sync_auth_flow(lib_request("GET", "http://example.org/"))
        sent = next(flow)
        with pytest.raises(RuntimeError, match="Attempted to call a sync iterator on an async"):
            flow.send(lib_response(200, content=async_body_chunks(), request=sent))


# FunctionAuth -------------------------------------------------------------------------------


def test_function_auth_sends_what_the_function_returns() -> None:
    replacement = Request("GET", "http://other.example/")
    calls: list[Request] = []

    def func(request: Request) -> Request:
        calls.append(request)
        return replacement

    original = Request("GET", "http://example.org/")
    flow = fs_auth.FunctionAuth(func).sync_auth_flow(original)
    assert next(flow) is replacement
    assert calls == [original]
    with pytest.raises(StopIteration):
        flow.send(Response(401, request=replacement))


def test_function_auth_can_edit_the_request() -> None:
    def add_token(request: Request) -> Request:
        request.headers["Authorization"] = "Token abc"
        return request

    sent = next(fs_auth.FunctionAuth(add_token).sync_auth_flow(Request("GET", "http://e.org/")))
    assert sent.headers["Authorization"] == "Token abc"


# BasicAuth ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "password", "credentials"),
    [
        ("user", "pass", b"user:pass"),
        ("us\u00e9r", "p\u00e4ss\u20ac", "us\u00e9r:p\u00e4ss\u20ac".encode()),  # str is UTF-8
        (b"us\xe9r", b"p\xe4ss", b"us\xe9r:p\xe4ss"),  # bytes are sent as given
        ("", "", b":"),
        ("a:b", "c", b"a:b:c"),
    ],
)
def test_basic_auth_header(
    username: str | bytes, password: str | bytes, credentials: bytes
) -> None:
    expected = "Basic " + base64.b64encode(credentials).decode()
    for lib in (FASTSTREAM, HTTPX):
        sent = run_sync(lib, lib.BasicAuth(username, password), [(401, [])])
        assert authorization(sent[0]) == expected


def test_basic_auth_replaces_an_existing_authorization_header() -> None:
    request = Request("GET", "http://example.org/", headers={"Authorization": "Bearer old"})
    sent = next(fs_auth.BasicAuth("u", "p").sync_auth_flow(request))
    assert sent.headers.get_list("Authorization") == ["Basic dTpw"]


# NetRCAuth ----------------------------------------------------------------------------------

NETRC = """\
machine example.org
  login alice
  password s3cret
machine nopassword.example
  login bob
machine \u00e9xample.test login carol password p\u00e4ss
"""


@pytest.fixture
def netrc_file(tmp_path: Path) -> str:
    path = tmp_path / "netrc"
    path.write_text(NETRC, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://example.org/path", "Basic " + base64.b64encode(b"alice:s3cret").decode()),
        ("https://EXAMPLE.org:8443/", "Basic " + base64.b64encode(b"alice:s3cret").decode()),
        ("http://absent.example/", None),
        ("http://nopassword.example/", None),
        ("http://sub.example.org/", None),
    ],
)
def test_netrc_auth(netrc_file: str, url: str, expected: str | None) -> None:
    for lib in (FASTSTREAM, HTTPX):
        sent = run_sync(lib, lib.NetRCAuth(file=netrc_file), [(401, [])], url=url)
        assert authorization(sent[0]) == expected, lib


def test_netrc_default_entry_applies_to_other_hosts(tmp_path: Path) -> None:
    path = tmp_path / "netrc"
    path.write_text(NETRC + "default login anon password guest\n", encoding="utf-8")
    expected = "Basic " + base64.b64encode(b"anon:guest").decode()
    for lib in (FASTSTREAM, HTTPX):
        auth = lib.NetRCAuth(file=str(path))
        assert authorization(run_sync(lib, auth, [(200, [])], url="http://x.test/")[0]) == expected
        own = run_sync(lib, auth, [(200, [])], url="http://example.org/")
        assert authorization(own[0]) == "Basic " + base64.b64encode(b"alice:s3cret").decode()


def test_netrc_matches_an_internationalised_host(netrc_file: str) -> None:
    # `request.url.host` is the unicode form of an IDNA host, as the netrc file writes it;
    # the password is sent as UTF-8.
    expected = "Basic " + base64.b64encode("carol:p\u00e4ss".encode()).decode()
    for lib in (FASTSTREAM, HTTPX):
        sent = run_sync(
            lib, lib.NetRCAuth(file=netrc_file), [(200, [])], "http://\u00e9xample.test/"
        )
        assert authorization(sent[0]) == expected


def test_netrc_default_file_is_the_home_netrc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / ".netrc"
    path.write_text("machine example.org login home password h0me\n", encoding="utf-8")
    os.chmod(path, 0o600)  # the stdlib refuses a shared ~/.netrc holding passwords
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("USERPROFILE", str(tmp_path))
    sent = run_sync(FASTSTREAM, fs_auth.NetRCAuth(), [(200, [])])
    assert authorization(sent[0]) == "Basic " + base64.b64encode(b"home:h0me").decode()


def test_netrc_missing_file_raises_at_construction(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing")
    for lib in (FASTSTREAM, HTTPX):
        with pytest.raises(FileNotFoundError):
            lib.NetRCAuth(file=missing)


# DigestAuth: independent reference ----------------------------------------------------------

HASHLIB_NAMES = {"MD5": "md5", "SHA": "sha1", "SHA-256": "sha256", "SHA-512": "sha512"}
ALGORITHMS = [name + suffix for name in HASHLIB_NAMES for suffix in ("", "-SESS")]


def rfc7616_response(
    *,
    algorithm: str,
    username: str,
    password: str,
    realm: str,
    nonce: str,
    method: str,
    uri: str,
    qop: str | None,
    nc: str,
    cnonce: str,
) -> str:
    """The `response` value of RFC 7616 §3.4.1 (RFC 2069's when `qop` is None)."""
    session = algorithm.upper().endswith("-SESS")
    name = HASHLIB_NAMES[algorithm.upper().removesuffix("-SESS")]

    def h(text: str) -> str:
        return hashlib.new(name, text.encode()).hexdigest()

    a1 = f"{username}:{realm}:{password}"
    ha1 = h(f"{h(a1)}:{nonce}:{cnonce}") if session else h(a1)
    ha2 = h(f"{method}:{uri}")
    if qop is None:
        return h(f"{ha1}:{nonce}:{ha2}")
    return h(f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")


def answer_challenge(
    challenge: str, *, url: str, username: str, password: str, cnonce: str | None = None
) -> dict[str, str]:
    """Run faststream's DigestAuth against one 401 challenge; the retry's header fields."""
    auth = fs_auth.DigestAuth(username, password)
    if cnonce is not None:
        value = cnonce.encode()
        auth._get_client_nonce = lambda nonce_count, nonce: value  # type: ignore[method-assign]
    sent = run_sync(FASTSTREAM, auth, [(401, [("WWW-Authenticate", challenge)]), (200, [])], url)
    assert authorization(sent[0]) is None
    header = authorization(sent[1])
    assert header is not None
    return digest_fields(header)


@pytest.mark.parametrize(
    ("algorithm", "response"),
    [
        ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
        ("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
    ],
)
def test_rfc7616_examples(algorithm: str, response: str) -> None:
    # RFC 7616 §3.9.1: the same challenge answered with MD5 and with SHA-256.
    nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
    opaque = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
    cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
    challenge = (
        f'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm={algorithm}, '
        f'nonce="{nonce}", opaque="{opaque}"'
    )
    fields = answer_challenge(
        challenge,
        url="http://www.example.org/dir/index.html",
        username="Mufasa",
        password="Circle of Life",
        cnonce=cnonce,
    )
    assert fields == {
        "username": "Mufasa",
        "realm": "http-auth@example.org",
        "nonce": nonce,
        "uri": "/dir/index.html",
        "response": response,
        "algorithm": algorithm,
        "opaque": opaque,
        "qop": "auth",
        "nc": "00000001",
        "cnonce": cnonce,
    }


def test_rfc2617_example() -> None:
    # RFC 2617 §3.5 (no algorithm parameter: MD5).
    challenge = (
        'Digest realm="testrealm@host.com", qop="auth,auth-int", '
        'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"'
    )
    fields = answer_challenge(
        challenge,
        url="http://www.nowhere.org/dir/index.html",
        username="Mufasa",
        password="Circle Of Life",
        cnonce="0a4f113b",
    )
    assert fields["response"] == "6629fae49393a05397450978507c4ef1"
    assert (fields["qop"], fields["nc"], fields["cnonce"]) == ("auth", "00000001", "0a4f113b")
    assert fields["opaque"] == "5ccc069c403ebaf9f0171e9517f40e41"
    assert fields["algorithm"] == "MD5"


@pytest.mark.parametrize("algorithm", [*ALGORITHMS, "md5-sess", "sha-256"])
@pytest.mark.parametrize("qop", [None, "auth", "auth,auth-int", "auth-int, auth"])
def test_digest_response_matches_rfc7616_formulas(algorithm: str, qop: str | None) -> None:
    challenge = f'Digest realm="me@example.org", nonce="abc123==", algorithm={algorithm}'
    if qop is not None:
        challenge += f', qop="{qop}"'
    url = "http://example.org/p%20ath/x?q=1&r=%C3%A9"
    fields = answer_challenge(
        challenge, url=url, username="J\u00f6rg", password="pw", cnonce="c0ffee"
    )
    expected = rfc7616_response(
        algorithm=algorithm,
        username="J\u00f6rg",
        password="pw",
        realm="me@example.org",
        nonce="abc123==",
        method="GET",
        uri="/p%20ath/x?q=1&r=%C3%A9",
        qop=None if qop is None else "auth",
        nc="00000001",
        cnonce="c0ffee",
    )
    assert fields["response"] == expected
    assert fields["uri"] == "/p%20ath/x?q=1&r=%C3%A9"
    assert fields["algorithm"] == algorithm  # echoed as the server spelled it
    if qop is None:
        # RFC 2069: no qop, nc or cnonce in the answer.
        assert set(fields) == {"username", "realm", "nonce", "uri", "response", "algorithm"}
    else:
        assert (fields["qop"], fields["nc"], fields["cnonce"]) == ("auth", "00000001", "c0ffee")


def test_digest_default_client_nonce_is_fresh_random_hex() -> None:
    challenge = 'Digest realm="r", nonce="n", qop="auth"'
    cnonces = {
        answer_challenge(challenge, url="http://e.org/", username="u", password="p")["cnonce"]
        for _ in range(5)
    }
    assert len(cnonces) == 5
    assert all(re.fullmatch("[0-9a-f]{16}", cnonce) for cnonce in cnonces)


# DigestAuth: differential against httpx ---------------------------------------------------


def both(scenario: Callable[[_Lib], object]) -> object:
    """Run `scenario` with httpx and with faststream; they must give the same result."""
    ours, theirs = scenario(FASTSTREAM), scenario(HTTPX)
    assert ours == theirs
    return ours


CHALLENGES = [
    'Digest realm="r@example.org", nonce="n0nce"',
    'Digest realm="r@example.org", nonce="n0nce", opaque="0paque", qop="auth"',
    'Digest realm="r@example.org", nonce="n0nce", opaque="", qop="auth,auth-int"',
    'digest realm="r", nonce="n", algorithm="sha-512-sess", qop=auth',
    'Digest realm="a \\"quoted\\" realm", nonce="n,with,commas", algorithm=SHA',
    "Digest realm=bare, nonce=token, algorithm=SHA-256-SESS, qop=auth, stale=FALSE",
    'Digest realm="r", nonce="n", charset=UTF-8, userhash=false, domain="/a /b"',
] + [f'Digest realm="r", nonce="n", qop="auth", algorithm={a}' for a in ALGORITHMS]


@pytest.mark.parametrize("challenge", CHALLENGES)
@pytest.mark.usefixtures("same_cnonce")
def test_digest_answer_equals_httpx(challenge: str) -> None:
    def scenario(lib: _Lib) -> object:
        auth = lib.DigestAuth("user", "p\u00e4ss")
        return run_sync(
            lib,
            auth,
            [(401, [("WWW-Authenticate", challenge)]), (200, [])],
            url="http://example.org/dir/index.html?x=1",
        )

    sent = typing.cast(list[list[tuple[str, str]]], both(scenario))
    assert len(sent) == 2
    assert authorization(sent[1]) is not None


@pytest.mark.usefixtures("same_cnonce")
def test_digest_reuses_the_challenge_and_counts_nonces_like_httpx() -> None:
    first = [("WWW-Authenticate", 'Digest realm="r", nonce="one", qop="auth", opaque="o"')]
    second = [("WWW-Authenticate", 'Digest realm="r", nonce="two", qop="auth"')]

    def scenario(lib: _Lib) -> object:
        auth = lib.DigestAuth(b"user", b"pass")
        return [
            run_sync(lib, auth, [(401, first), (200, [])]),  # challenged: nc=1
            run_sync(lib, auth, [(200, [])]),  # answered up front: nc=2
            run_sync(lib, auth, [(200, [])], url="http://example.org/other"),  # nc=3
            run_sync(lib, auth, [(401, second), (200, [])]),  # nc=4, then a new nonce: nc=1
            run_sync(lib, auth, [(200, [])]),  # nc=2 of the new nonce
        ]

    runs = typing.cast(list[list[list[tuple[str, str]]]], both(scenario))
    headers = [authorization(request) for run in runs for request in run]
    counts = [
        None if h is None else (digest_fields(h)["nonce"], digest_fields(h)["nc"]) for h in headers
    ]
    assert counts == [
        None,
        ("one", "00000001"),
        ("one", "00000002"),
        ("one", "00000003"),
        ("one", "00000004"),
        ("two", "00000001"),
        ("two", "00000002"),
    ]


@pytest.mark.usefixtures("same_cnonce")
def test_digest_does_not_retry_a_second_401() -> None:
    challenge = [("WWW-Authenticate", 'Digest realm="r", nonce="n", qop="auth"')]

    def scenario(lib: _Lib) -> object:
        return run_sync(lib, lib.DigestAuth("u", "p"), [(401, challenge), (401, challenge)])

    assert len(typing.cast(list[object], both(scenario))) == 2


@pytest.mark.parametrize(
    "headers",
    [
        [],
        [("WWW-Authenticate", 'Basic realm="r"')],
        [("WWW-Authenticate", "Digest")],
        [("WWW-Authenticate", 'Digestive realm="r", nonce="n"')],
    ],
)
def test_digest_ignores_a_401_without_a_digest_challenge(headers: list[tuple[str, str]]) -> None:
    def scenario(lib: _Lib) -> object:
        return run_sync(lib, lib.DigestAuth("u", "p"), [(401, headers)])

    assert both(scenario) == [[("host", "example.org")]]


def test_digest_ignores_a_challenge_on_a_non_401() -> None:
    challenge = [("WWW-Authenticate", 'Digest realm="r", nonce="n"')]

    def scenario(lib: _Lib) -> object:
        return run_sync(lib, lib.DigestAuth("u", "p"), [(407, challenge)])

    assert both(scenario) == [[("host", "example.org")]]


@pytest.mark.usefixtures("same_cnonce")
def test_digest_picks_the_digest_challenge_among_several() -> None:
    headers = [
        ("WWW-Authenticate", 'Basic realm="basic"'),
        ("WWW-Authenticate", 'Digest realm="first", nonce="1"'),
        ("WWW-Authenticate", 'Digest realm="second", nonce="2"'),
    ]

    def scenario(lib: _Lib) -> object:
        return run_sync(lib, lib.DigestAuth("u", "p"), [(401, headers), (200, [])])

    sent = typing.cast(list[list[tuple[str, str]]], both(scenario))
    header = authorization(sent[1])
    assert header is not None
    assert digest_fields(header)["realm"] == "first"


@pytest.mark.usefixtures("same_cnonce")
@pytest.mark.parametrize("request_cookie", [None, "mine=1"])
def test_digest_carries_cookies_of_the_401_like_httpx(request_cookie: str | None) -> None:
    headers = [
        ("WWW-Authenticate", 'Digest realm="r", nonce="n", qop="auth"'),
        ("Set-Cookie", "session=abc; Path=/"),
        ("Set-Cookie", "other=1; Path=/elsewhere"),
    ]

    def scenario(lib: _Lib) -> object:
        extra = {} if request_cookie is None else {"Cookie": request_cookie}
        request = lib.Request("GET", "http://example.org/dir", headers=extra)
        flow = lib.DigestAuth("u", "p").sync_auth_flow(request)
        first = next(flow)
        retry = flow.send(lib.Response(401, headers=headers, request=first))
        return retry.headers.get_list("Cookie")

    expected = ["session=abc"] if request_cookie is None else [request_cookie]
    assert both(scenario) == expected


@pytest.mark.usefixtures("same_cnonce")
def test_digest_async_flow_equals_the_sync_flow() -> None:
    challenge = [("WWW-Authenticate", 'Digest realm="r", nonce="n", qop="auth", opaque="o"')]
    sync_sent = run_sync(FASTSTREAM, fs_auth.DigestAuth("u", "p"), [(401, challenge), (200, [])])

    async def main() -> list[list[tuple[str, str]]]:
        flow = fs_auth.DigestAuth("u", "p").async_auth_flow(Request("GET", "http://example.org/"))
        first = await flow.__anext__()
        sent = [first.headers.multi_items()]
        retry = await flow.asend(Response(401, headers=challenge, request=first))
        sent.append(retry.headers.multi_items())
        with pytest.raises(StopAsyncIteration):
            await flow.asend(Response(200, request=retry))
        return sent

    assert asyncio.run(main()) == sync_sent


# DigestAuth: errors -------------------------------------------------------------------------


def challenge_error(lib: _Lib, challenge: str) -> tuple[BaseException, typing.Any]:
    request = lib.Request("GET", "http://example.org/")
    flow = lib.DigestAuth("u", "p").sync_auth_flow(request)
    first = next(flow)
    with pytest.raises(Exception) as info:
        flow.send(lib.Response(401, headers={"WWW-Authenticate": challenge}, request=first))
    return info.value, request


@pytest.mark.parametrize(
    "challenge",
    [
        'Digest nonce="n"',
        'Digest realm="r"',
        'Digest Realm="r", nonce="n"',  # parameter names are matched as sent
        'Digest realm = "r", nonce="n"',
    ],
)
def test_digest_malformed_challenge_raises_protocol_error(challenge: str) -> None:
    for lib in (FASTSTREAM, HTTPX):
        error, request = challenge_error(lib, challenge)
        assert type(error) is lib.ProtocolError
        assert str(error) == "Malformed Digest WWW-Authenticate header"
        assert error.request is request  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "challenge",
    [
        'Digest realm="r", nonce="n", stale',
        'Digest realm="r", nonce=',
        'Digest realm=, nonce="n"',
    ],
)
def test_digest_parameter_without_value_is_a_malformed_challenge(challenge: str) -> None:
    # Deviation: httpx lets a ValueError or IndexError escape from its parser here.
    error, request = challenge_error(FASTSTREAM, challenge)
    assert type(error) is ProtocolError
    assert str(error) == "Malformed Digest WWW-Authenticate header"
    assert error.request is request


@pytest.mark.usefixtures("same_cnonce")
def test_digest_challenge_with_empty_list_elements() -> None:
    # Deviation: httpx's parser raises ValueError on an empty element; RFC 9110 §5.6.1 says
    # to ignore them. The answer is the one httpx gives to the challenge without them.
    ours = run_sync(
        FASTSTREAM,
        fs_auth.DigestAuth("u", "p"),
        [(401, [("WWW-Authenticate", 'Digest realm="r",,  nonce="n" , qop=auth,')]), (200, [])],
    )
    theirs = run_sync(
        HTTPX,
        httpx.DigestAuth("u", "p"),
        [(401, [("WWW-Authenticate", 'Digest realm="r", nonce="n", qop=auth')]), (200, [])],
    )
    assert ours == theirs


def test_digest_unknown_algorithm_raises_protocol_error() -> None:
    # Deviation: httpx raises KeyError('SHA-512-256').
    error, request = challenge_error(
        FASTSTREAM, 'Digest realm="r", nonce="n", algorithm=SHA-512-256'
    )
    assert type(error) is ProtocolError
    assert str(error) == 'Unsupported Digest algorithm "SHA-512-256"'
    assert error.request is request


@pytest.mark.parametrize("qop", ["auth-int", "auth-int,auth-conf"])
def test_digest_unsupported_qop(qop: str) -> None:
    challenge = f'Digest realm="r", nonce="n", qop="{qop}"'
    for lib in (FASTSTREAM, HTTPX):
        error, request = challenge_error(lib, challenge)
        if qop == "auth-int":
            assert type(error) is NotImplementedError
            assert str(error) == "Digest auth-int support is not yet implemented"
        else:
            assert type(error) is lib.ProtocolError
            assert str(error) == f'Unexpected qop value "{qop.encode()!r}" in digest auth'
            assert error.request is request  # type: ignore[attr-defined]


def test_digest_auth_int_challenge_is_kept_and_fails_the_next_request() -> None:
    for lib in (FASTSTREAM, HTTPX):
        auth = lib.DigestAuth("u", "p")
        flow = auth.sync_auth_flow(lib.Request("GET", "http://example.org/"))
        first = next(flow)
        challenge = {"WWW-Authenticate": 'Digest realm="r", nonce="n", qop="auth-int"'}
        with pytest.raises(NotImplementedError):
            flow.send(lib.Response(401, headers=challenge, request=first))
        with pytest.raises(NotImplementedError):
            next(auth.sync_auth_flow(lib.Request("GET", "http://example.org/")))


def test_module_exports() -> None:
    assert sorted(fs_auth.__all__) == [
        "Auth",
        "BasicAuth",
        "DigestAuth",
        "FunctionAuth",
        "NetRCAuth",
    ]
