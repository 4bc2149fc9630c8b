"""Authentication: the `Auth` flow protocol and the schemes httpx 0.28.1 ships.

An auth is a generator over requests and responses. `auth_flow(request)` yields the request
to send; the client sends it and passes the response back in with `.send(response)`; the flow
may then yield another request (a retry carrying credentials) or stop, and the last response
is what the caller gets. The clients never call `auth_flow` directly: they drive
`sync_auth_flow` / `async_auth_flow`, which read the request body before the flow starts and
each response body before the flow sees it when the scheme asks for that
(`requires_request_body`, `requires_response_body`).

Schemes: `BasicAuth`, `NetRCAuth` (Basic credentials from a netrc file), `FunctionAuth` (a
plain `request -> request` callable) and `DigestAuth` (RFC 7616, with RFC 2069 when the
challenge offers no qop).
"""

from __future__ import annotations

import hashlib
import os
import re
import typing
from base64 import b64encode
from collections.abc import AsyncGenerator, Callable, Generator
from dataclasses import dataclass
from urllib.request import parse_http_list

from ._exceptions import ProtocolError

if typing.TYPE_CHECKING:
    from ._request import Request
    from ._response import Response

__all__ = ["Auth", "BasicAuth", "DigestAuth", "FunctionAuth", "NetRCAuth"]


def _as_bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def _basic_header(username: str | bytes, password: str | bytes) -> str:
    """`Basic base64(username:password)`; str credentials are encoded as UTF-8."""
    credentials = _as_bytes(username) + b":" + _as_bytes(password)
    return "Basic " + b64encode(credentials).decode("ascii")


class Auth:
    """Base class of every authentication scheme.

    Subclass it and override `auth_flow()`: yield each request to send, and receive the
    response to it as the value of the `yield`. Returning ends the flow; the client hands
    the last response to the caller.

    A scheme that does I/O or needs locks overrides `sync_auth_flow()` and/or
    `async_auth_flow()` instead, which `Client` and `AsyncClient` use respectively.
    """

    requires_request_body = False
    requires_response_body = False

    def auth_flow(self, request: Request) -> Generator[Request, Response, None]:
        """Send `request` unchanged (the default: no authentication)."""
        yield request

    def sync_auth_flow(self, request: Request) -> Generator[Request, Response, None]:
        """Run `auth_flow()` for `Client`, reading bodies with `read()` when required."""
        if self.requires_request_body:
            request.read()
        flow = self.auth_flow(request)
        outgoing = next(flow)
        while True:
            response = yield outgoing
            if self.requires_response_body:
                response.read()
            try:
                outgoing = flow.send(response)
            except StopIteration:
                return

    async def async_auth_flow(self, request: Request) -> AsyncGenerator[Request, Response]:
        """Run `auth_flow()` for `AsyncClient`, reading bodies with `aread()` when required."""
        if self.requires_request_body:
            await request.aread()
        flow = self.auth_flow(request)
        outgoing = next(flow)
        while True:
            response = yield outgoing
            if self.requires_response_body:
                await response.aread()
            try:
                outgoing = flow.send(response)
            except StopIteration:
                return


class FunctionAuth(Auth):
    """Auth given as a callable that takes the request and returns the request to send."""

    def __init__(self, func: Callable[[Request], Request]) -> None:
        self._func = func

    def auth_flow(self, request: Request) -> Generator[Request, Response, None]:
        yield self._func(request)


class BasicAuth(Auth):
    """HTTP Basic authentication with a username and password (str, sent as UTF-8, or bytes)."""

    def __init__(self, username: str | bytes, password: str | bytes) -> None:
        self._auth_header = _basic_header(username, password)

    def auth_flow(self, request: Request) -> Generator[Request, Response, None]:
        request.headers["Authorization"] = self._auth_header
        yield request


class NetRCAuth(Auth):
    """Basic authentication with the credentials a netrc file holds for the request's host.

    `file=None` reads `~/.netrc` (the stdlib `netrc` module's default). The file is parsed
    once, here; a host without an entry (and no `default` entry), or whose entry has no
    password, is sent without credentials.
    """

    def __init__(self, file: str | None = None) -> None:
        # Imported on first use: most programs never need a netrc parser.
        import netrc

        self._netrc_info = netrc.netrc(file)

    def auth_flow(self, request: Request) -> Generator[Request, Response, None]:
        entry = self._netrc_info.authenticators(request.url.host)
        if entry is not None:
            login, _account, password = entry
            if password:
                request.headers["Authorization"] = _basic_header(login or "", password)
        yield request


# Digest ----------------------------------------------------------------------------------
#
# Strategy: the first request goes out without credentials (or, once a challenge has been
# seen, with an answer to that challenge). A 401 carrying `WWW-Authenticate: Digest ...` is
# parsed into a `_Challenge`, stored for later requests, and answered once by re-sending the
# same request object with an `Authorization` header. Every answer consumes one nonce count
# (`nc`), which restarts at 1 with each new challenge.
#
# The response value follows RFC 7616 §3.4.1 with H = the algorithm's hash, as lowercase hex:
#   A1 = username:realm:password          (-SESS: H(A1):nonce:cnonce)
#   A2 = method:uri                       (uri = the request's path and query, as sent)
#   qop=auth:  response = H(H(A1):nonce:nc:cnonce:qop:H(A2))
#   no qop:    response = H(H(A1):nonce:H(A2))                          (RFC 2069)

# Algorithm name (upper-cased) -> hashlib name.
_DIGEST_HASHES: dict[str, str] = {
    "MD5": "md5",
    "MD5-SESS": "md5",
    "SHA": "sha1",
    "SHA-SESS": "sha1",
    "SHA-256": "sha256",
    "SHA-256-SESS": "sha256",
    "SHA-512": "sha512",
    "SHA-512-SESS": "sha512",
}

_MALFORMED_CHALLENGE = "Malformed Digest WWW-Authenticate header"

# Fields of the Authorization header sent as bare tokens; every other one is quoted.
_UNQUOTED_FIELDS = frozenset({"algorithm", "qop", "nc"})


@dataclass(frozen=True)
class _Challenge:
    """The parameters of a `WWW-Authenticate: Digest` challenge that the answer uses."""

    realm: bytes
    nonce: bytes
    algorithm: str
    opaque: bytes | None
    qop: bytes | None


class DigestAuth(Auth):
    """HTTP Digest authentication (RFC 7616 / RFC 2617, and RFC 2069 when no qop is offered).

    Algorithms: MD5, SHA (SHA-1), SHA-256 and SHA-512, each also in its `-SESS` form; qop
    `auth` (a challenge offering only `auth-int` raises `NotImplementedError`). The last
    challenge is remembered, so later requests through the same instance carry an answer
    from the start, with an increasing nonce count.
    """

    def __init__(self, username: str | bytes, password: str | bytes) -> None:
        self._username = _as_bytes(username)
        self._password = _as_bytes(password)
        self._last_challenge: _Challenge | None = None
        self._nonce_count = 1

    def auth_flow(self, request: Request) -> Generator[Request, Response, None]:
        if self._last_challenge is not None:
            request.headers["Authorization"] = self._build_auth_header(
                request, self._last_challenge
            )

        response = yield request

        if response.status_code != 401 or "www-authenticate" not in response.headers:
            return
        header = next(
            (
                value
                for value in response.headers.get_list("www-authenticate")
                if value.lower().startswith("digest ")
            ),
            None,
        )
        if header is None:
            # Another scheme's challenge: nothing this auth can answer.
            return

        self._last_challenge = self._parse_challenge(request, header)
        self._nonce_count = 1
        request.headers["Authorization"] = self._build_auth_header(request, self._last_challenge)
        cookies = response.cookies
        if cookies:
            # The server may tie the challenge to a session cookie set on the 401.
            cookies.set_cookie_header(request)
        yield request

    def _parse_challenge(self, request: Request, header: str) -> _Challenge:
        """Parse `Digest name=value, name="quoted value", ...` (parameter names as sent)."""
        _scheme, _, params_text = header.partition(" ")
        params: dict[str, str] = {}
        for item in parse_http_list(params_text):
            item = item.strip()
            if not item:
                # RFC 9110 §5.6.1: empty list elements are ignored.
                continue
            name, equals, value = item.partition("=")
            if not equals or not value:
                raise ProtocolError(_MALFORMED_CHALLENGE, request=request)
            if value[0] == value[-1] == '"':
                value = value[1:-1]
            params[name] = value
        if "realm" not in params or "nonce" not in params:
            raise ProtocolError(_MALFORMED_CHALLENGE, request=request)
        opaque = params.get("opaque")
        qop = params.get("qop")
        return _Challenge(
            realm=params["realm"].encode(),
            nonce=params["nonce"].encode(),
            algorithm=params.get("algorithm", "MD5"),
            opaque=None if opaque is None else opaque.encode(),
            qop=None if qop is None else qop.encode(),
        )

    def _build_auth_header(self, request: Request, challenge: _Challenge) -> str:
        hash_name = _DIGEST_HASHES.get(challenge.algorithm.upper())
        if hash_name is None:
            message = f'Unsupported Digest algorithm "{challenge.algorithm}"'
            raise ProtocolError(message, request=request)

        def hexdigest(*parts: bytes) -> bytes:
            return hashlib.new(hash_name, b":".join(parts)).hexdigest().encode()

        uri = request.url.raw_path
        ha2 = hexdigest(request.method.encode(), uri)

        nc = b"%08x" % self._nonce_count
        cnonce = self._get_client_nonce(self._nonce_count, challenge.nonce)
        self._nonce_count += 1

        ha1 = hexdigest(self._username, challenge.realm, self._password)
        if challenge.algorithm.lower().endswith("-sess"):
            ha1 = hexdigest(ha1, challenge.nonce, cnonce)

        qop = self._resolve_qop(challenge.qop, request)
        if qop is None:
            answer = hexdigest(ha1, challenge.nonce, ha2)
        else:
            answer = hexdigest(ha1, challenge.nonce, nc, cnonce, qop, ha2)

        fields: list[tuple[str, bytes]] = [
            ("username", self._username),
            ("realm", challenge.realm),
            ("nonce", challenge.nonce),
            ("uri", uri),
            ("response", answer),
            ("algorithm", challenge.algorithm.encode()),
        ]
        if challenge.opaque:
            fields.append(("opaque", challenge.opaque))
        if qop:
            fields += [("qop", qop), ("nc", nc), ("cnonce", cnonce)]
        return "Digest " + ", ".join(
            f"{name}={value.decode()}" if name in _UNQUOTED_FIELDS else f'{name}="{value.decode()}"'
            for name, value in fields
        )

    def _get_client_nonce(self, nonce_count: int, nonce: bytes) -> bytes:
        """A fresh client nonce: 16 random lowercase hex digits (tests replace this)."""
        return os.urandom(8).hex().encode()

    def _resolve_qop(self, qop: bytes | None, request: Request) -> bytes | None:
        """The qop to answer with: `auth` when offered, None when the challenge has no qop."""
        if qop is None:
            return None
        offered = re.split(b", ?", qop)
        if b"auth" in offered:
            return b"auth"
        if offered == [b"auth-int"]:
            raise NotImplementedError("Digest auth-int support is not yet implemented")
        raise ProtocolError(f'Unexpected qop value "{qop!r}" in digest auth', request=request)
