"""Authentication through the client, differential against httpx 0.28.1.

Auth given to the client or per request ((user, password), a callable, an `Auth`), credentials
in the URL, multi-step flows (intermediate responses read, closed and kept in `history`),
`requires_request_body` / `requires_response_body`, DigestAuth against a MockTransport that
checks the digest, and auth flows combined with redirects.
"""

from __future__ import annotations

import base64
import hashlib
import typing
from collections.abc import Generator, Iterator

import pytest

from tests.client._helpers import FASTSTREAM, HTTPX, Lib, differential, observe

pytestmark = pytest.mark.usefixtures("client_mode")


def who(lib: Lib, request: typing.Any) -> typing.Any:
    """200 naming the Authorization header received (401 without one)."""
    authorization = request.headers.get("Authorization")
    if authorization is None:
        return lib.Response(401, headers={"WWW-Authenticate": 'Basic realm="x"'}, text="no")
    return lib.Response(200, text=authorization)


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def get(url: str = "http://example.org/", **kwargs: typing.Any) -> typing.Any:
    return lambda client: client.get(url, **kwargs)


@pytest.mark.parametrize(
    ("client_auth", "request_auth"),
    [
        (("user", "pass"), "default"),
        ((b"user", b"p\xc3\xa4ss"), "default"),
        (("user", "pass"), ("other", "secret")),
        (("user", "pass"), None),
        (None, ("üser", "pässword")),
        (None, "default"),
    ],
)
def test_basic_auth(client_auth: typing.Any, request_auth: typing.Any) -> None:
    kwargs = {} if request_auth == "default" else {"auth": request_auth}
    differential(who, get(**kwargs), auth=client_auth)


@pytest.mark.parametrize(
    "url",
    [
        "http://user:pass@example.org/",
        "http://user@example.org/",
        "http://:pass@example.org/",
        "http://us%40er:p%3Ass@example.org/",
    ],
)
def test_credentials_in_url(url: str) -> None:
    differential(who, get(url))


def test_client_auth_wins_over_url_credentials() -> None:
    seen = differential(who, get("http://a:b@example.org/"), auth=("c", "d"))
    assert seen["sent"][0]["headers"][-1] == (b"Authorization", basic("c", "d").encode())


def test_callable_auth() -> None:
    def sign(request: typing.Any) -> typing.Any:
        request.headers["Authorization"] = "Token " + request.url.path
        return request

    differential(who, get("http://example.org/path"), auth=sign)
    differential(who, get("http://example.org/path", auth=sign))


def test_auth_property(lib: Lib) -> None:
    client = lib.Client(auth=("u", "p"))
    assert isinstance(client.auth, lib.BasicAuth)
    client.auth = lambda request: request
    assert isinstance(client.auth, lib.Auth)
    client.auth = None
    assert client.auth is None
    with pytest.raises(TypeError, match='Invalid "auth" argument'):
        client.auth = "token"
    client.close()


def retry_auth(
    lib: Lib, steps: int = 2, *, request_body: bool = False, response_body: bool = False
) -> typing.Any:
    """An Auth sending the request `steps` times, with the previous status as a header."""

    class Retry(lib.Auth):  # type: ignore[misc,name-defined]
        requires_request_body = request_body
        requires_response_body = response_body

        def auth_flow(self, request: typing.Any) -> Generator[typing.Any, typing.Any, None]:
            for step in range(steps):
                request.headers["Authorization"] = f"step {step}"
                response = yield request
                text = response.text if response_body else "unread"
                request.headers["X-Previous"] = f"{response.status_code} {text}"

    return Retry()


def stepwise(lib: Lib, request: typing.Any) -> typing.Any:
    if request.headers.get("Authorization") == "step 0":
        return lib.Response(401, text="again", headers={"Set-Cookie": "step=0; Path=/"})
    return lib.Response(200, content=request.content)


@pytest.mark.parametrize("steps", [1, 2, 3])
@pytest.mark.parametrize("request_body", [False, True])
@pytest.mark.parametrize("response_body", [False, True])
def test_multi_step_flow(steps: int, request_body: bool, response_body: bool) -> None:
    def body() -> Iterator[bytes]:
        yield b"chunk-1 "
        yield b"chunk-2"

    observations = []
    for lib in (FASTSTREAM, HTTPX):
        auth = retry_auth(lib, steps, request_body=request_body, response_body=response_body)
        observations.append(
            observe(
                lib,
                stepwise,
                lambda c, auth=auth: c.post("http://example.org/", content=body(), auth=auth),
            )
        )
    assert observations[0] == observations[1]
    assert len(observations[0]["result"]["history"]) == steps - 1


def test_intermediate_responses_are_read_and_closed(lib: Lib) -> None:
    closes = []

    class Body(lib.SyncByteStream):  # type: ignore[misc,name-defined]
        def __iter__(self) -> Iterator[bytes]:
            yield b"challenge"

        def close(self) -> None:
            closes.append(1)

    def handler(request: typing.Any) -> typing.Any:
        if request.headers["Authorization"] == "step 0":
            return lib.Response(401, stream=Body())
        return lib.Response(200, stream=lib.ByteStream(b"final"))

    with lib.Client(transport=lib.MockTransport(handler), auth=retry_auth(lib)) as client:
        with client.stream("GET", "http://example.org/") as response:
            (first,) = response.history
            assert first.is_closed
            assert first.content == b"challenge"
            assert closes == [1]
            assert not response.is_stream_consumed
            assert response.read() == b"final"


def test_flow_error_closes_the_response(lib: Lib) -> None:
    closes = []

    class Body(lib.SyncByteStream):  # type: ignore[misc,name-defined]
        def __iter__(self) -> Iterator[bytes]:
            yield b"x"

        def close(self) -> None:
            closes.append(1)

    class Failing(lib.Auth):  # type: ignore[misc,name-defined]
        def auth_flow(self, request: typing.Any) -> Generator[typing.Any, typing.Any, None]:
            yield request
            raise ValueError("flow failed")

    transport = lib.MockTransport(lambda request: lib.Response(401, stream=Body()))
    with lib.Client(transport=transport, auth=Failing()) as client:
        with pytest.raises(ValueError, match="flow failed"):
            client.get("http://example.org/")
    assert closes == [1]


def digest_server(algorithm: str = "MD5", qop: str | None = "auth") -> typing.Any:
    """A handler checking Digest credentials for user/secret (401 challenge first)."""
    realm, nonce = "test", "abc123"

    def digest(text: str) -> str:
        name = algorithm.replace("-SESS", "").replace("-", "").lower()
        return hashlib.new("md5" if name == "md5" else name, text.encode()).hexdigest()

    def handler(lib: Lib, request: typing.Any) -> typing.Any:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Digest "):
            challenge = f'Digest realm="{realm}", nonce="{nonce}", algorithm={algorithm}'
            if qop:
                challenge += f', qop="{qop}"'
            return lib.Response(401, headers={"WWW-Authenticate": challenge})
        fields = dict(part.strip().split("=", 1) for part in header[len("Digest ") :].split(","))
        fields = {k: v.strip('"') for k, v in fields.items()}
        ha1 = digest(f"user:{realm}:secret")
        if algorithm.endswith("-SESS"):
            ha1 = digest(f"{ha1}:{nonce}:{fields['cnonce']}")
        ha2 = digest(f"{request.method}:{fields['uri']}")
        if qop:
            expected = digest(f"{ha1}:{nonce}:{fields['nc']}:{fields['cnonce']}:auth:{ha2}")
        else:
            expected = digest(f"{ha1}:{nonce}:{ha2}")
        return lib.Response(200 if fields["response"] == expected else 403, text=fields["uri"])

    return handler


def without_digest_values(seen: dict[str, typing.Any]) -> None:
    """cnonce and response are random: keep only the header's parameter names."""
    result = seen["result"]
    history = [entry["request"] for entry in result.get("history", [])]
    for request in [*seen["sent"], result["request"], *history]:
        headers = []
        for name, value in request["headers"]:
            if name == b"Authorization" and value.startswith(b"Digest "):
                value = b",".join(sorted(p.split(b"=")[0].strip() for p in value[7:].split(b",")))
            headers.append((name, value))
        request["headers"] = headers


@pytest.mark.parametrize(
    ("algorithm", "qop"),
    [
        *[(a, "auth") for a in ("MD5", "SHA-256", "SHA-512", "MD5-SESS", "SHA-256-SESS")],
        # RFC 2069 (no qop): no cnonce, so no -SESS forms.
        *[(a, None) for a in ("MD5", "SHA-256", "SHA-512")],
    ],
)
def test_digest_auth(algorithm: str, qop: str | None) -> None:
    views = []
    for lib in (FASTSTREAM, HTTPX):
        views.append(
            observe(
                lib,
                digest_server(algorithm, qop),
                get("http://example.org/dir/index.html?x=1"),
                auth=lib.DigestAuth("user", "secret"),
                normalise=without_digest_values,
            )
        )
    assert views[0] == views[1]
    assert views[0]["result"]["status"] == 200


def test_auth_with_redirects() -> None:
    def handler(lib: Lib, request: typing.Any) -> typing.Any:
        if request.url.host == "example.org" and request.url.path == "/start":
            return lib.Response(302, headers={"Location": "http://other.example/login"})
        return who(lib, request)

    differential(handler, get("http://example.org/start", follow_redirects=True), auth=("u", "p"))
    # Credentials in the first URL do not travel to another host.
    differential(handler, get("http://u:p@example.org/start", follow_redirects=True))


def test_retry_flow_after_redirect_history() -> None:
    def handler(lib: Lib, request: typing.Any) -> typing.Any:
        if request.url.path == "/start":
            return lib.Response(307, headers={"Location": "/final"})
        return stepwise(lib, request)

    views = [
        observe(
            lib,
            handler,
            get("http://example.org/start", follow_redirects=True, auth=retry_auth(lib)),
        )
        for lib in (FASTSTREAM, HTTPX)
    ]
    assert views[0] == views[1]
