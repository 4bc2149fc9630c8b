"""`Cookies`: a mutable str -> str mapping over `http.cookiejar.CookieJar`, as in httpx 0.28.1.

The jar does the RFC work (domain and path matching, expiry, `Secure`); this module adapts
faststream's request and response objects to the urllib-shaped objects the jar expects:
anything with `.url` (str-able), `.method` and `.headers` (a `Headers`) is a request, and
anything with `.headers` and `.request` is a response.
"""

from __future__ import annotations

import email.message
import typing
import urllib.request
from collections.abc import Iterator, Mapping, MutableMapping
from http.client import HTTPResponse
from http.cookiejar import Cookie, CookieJar

from ._exceptions import CookieConflict

if typing.TYPE_CHECKING:
    from ._types import CookieTypes

__all__ = ["Cookies"]


_SET_COOKIE_NAMES = frozenset({b"set-cookie", b"set-cookie2"})


class Cookies(MutableMapping[str, str]):
    """HTTP cookies, keyed by name.

    `Cookies({"a": "1"})`, `Cookies([("a", "1")])`, `Cookies(other_cookies)` (copies the
    cookies into a new jar) and `Cookies(cookie_jar)` (uses that jar itself). Several cookies
    may share a name (different domains or paths): `get()` and `[]` then raise
    `CookieConflict` unless `domain=`/`path=` select one.
    """

    def __init__(self, cookies: CookieTypes | None = None) -> None:
        if isinstance(cookies, CookieJar):
            self.jar = cookies
            return
        self.jar = CookieJar()
        if isinstance(cookies, Cookies):
            for cookie in cookies.jar:
                self.jar.set_cookie(cookie)
        elif isinstance(cookies, Mapping):
            for name, value in cookies.items():
                self.set(name, value)
        elif cookies is not None:
            for name, value in cookies:
                self.set(name, value)

    def extract_cookies(self, response: typing.Any) -> None:
        """Store the cookies that `response` sets (its `Set-Cookie` headers), judged
        against the URL of `response.request`."""
        request = response.request  # RuntimeError when unset, cookies or not (as httpx)
        if not response.headers._has_any(_SET_COOKIE_NAMES):
            return  # the common case, without building the cookiejar's request adaptors
        self.jar.extract_cookies(
            typing.cast(HTTPResponse, _ResponseView(response)), _RequestView(request)
        )

    def set_cookie_header(self, request: typing.Any) -> None:
        """Add a `Cookie` header to `request` with the cookies that apply to its URL,
        unless it already has one."""
        self.jar.add_cookie_header(_RequestView(request))

    def set(self, name: str, value: str, domain: str = "", path: str = "/") -> None:
        """Set a cookie. With the default `domain=""` it is sent to every host."""
        cookie = Cookie(
            version=0,
            name=name,
            value=value,
            port=None,
            port_specified=False,
            domain=domain,
            domain_specified=bool(domain),
            domain_initial_dot=domain.startswith("."),
            path=path,
            path_specified=bool(path),
            secure=False,
            expires=None,
            discard=True,
            comment=None,
            comment_url=None,
            rest=typing.cast("dict[str, str]", {"HttpOnly": None}),
            rfc2109=False,
        )
        self.jar.set_cookie(cookie)

    def get(  # type: ignore[override]
        self,
        name: str,
        default: str | None = None,
        domain: str | None = None,
        path: str | None = None,
    ) -> str | None:
        """The value of the cookie `name` (optionally only for `domain`/`path`), else
        `default`. Raises `CookieConflict` when more than one cookie matches."""
        found: str | None = None
        for cookie in self._matching(name, domain, path):
            if found is not None:
                raise CookieConflict(f"Multiple cookies exist with name={name}")
            found = cookie.value
        return default if found is None else found

    def delete(self, name: str, domain: str | None = None, path: str | None = None) -> None:
        """Remove the cookies called `name` (optionally only for `domain`/`path`). With both
        `domain` and `path`, exactly that cookie is removed and `KeyError` says it is absent."""
        if domain is not None and path is not None:
            self.jar.clear(domain, path, name)
            return
        for cookie in list(self._matching(name, domain, path)):
            self.jar.clear(cookie.domain, cookie.path, cookie.name)

    def clear(self, domain: str | None = None, path: str | None = None) -> None:
        """Remove every cookie, or those of `domain`, or those of `domain` and `path`."""
        if domain is None:
            if path is not None:
                # httpx asserts here; the same exception type, raised even under -O.
                raise AssertionError("Cookies.clear(path=...) needs a domain as well")
            self.jar.clear()
        elif path is None:
            self.jar.clear(domain)
        else:
            self.jar.clear(domain, path)

    def update(self, cookies: CookieTypes | None = None) -> None:  # type: ignore[override]
        """Add every cookie of `cookies` (anything the constructor accepts)."""
        for cookie in Cookies(cookies).jar:
            self.jar.set_cookie(cookie)

    def _matching(self, name: str, domain: str | None, path: str | None) -> Iterator[Cookie]:
        for cookie in self.jar:
            if (
                cookie.name == name
                and (domain is None or cookie.domain == domain)
                and (path is None or cookie.path == path)
            ):
                yield cookie

    def __setitem__(self, name: str, value: str) -> None:
        self.set(name, value)

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __delitem__(self, name: str) -> None:
        self.delete(name)

    def __len__(self) -> int:
        return len(self.jar)

    def __iter__(self) -> Iterator[str]:
        return (cookie.name for cookie in self.jar)

    def __bool__(self) -> bool:
        jar = self.jar
        if type(jar) is CookieJar and not jar._cookies:  # type: ignore[attr-defined]
            return False  # a plain jar holding nothing: every client's common case
        return any(True for _ in self.jar)

    def __repr__(self) -> str:
        shown = ", ".join(
            f"<Cookie {cookie.name}={cookie.value} for {cookie.domain} />" for cookie in self.jar
        )
        return f"<Cookies[{shown}]>"


class _RequestView(urllib.request.Request):
    """A urllib request mirroring a faststream request, for the cookie jar.

    The jar reads the URL, method and headers (it uses `Host` when present) and writes the
    `Cookie` header with `add_unredirected_header`, which lands in the real request."""

    def __init__(self, request: typing.Any) -> None:
        super().__init__(
            url=str(request.url),
            headers=dict(request.headers),
            method=getattr(request, "method", None),
        )
        self._target = request

    def add_unredirected_header(self, key: str, val: str) -> None:
        super().add_unredirected_header(key, val)
        self._target.headers[key] = val


class _ResponseView:
    """What the cookie jar reads from a response: `info()`, the headers as a message."""

    def __init__(self, response: typing.Any) -> None:
        self._response = response

    def info(self) -> email.message.Message:
        message = email.message.Message()
        for name, value in self._response.headers.multi_items():
            # Item assignment on a Message appends: repeated Set-Cookie fields all stay.
            message[name] = value
        return message
