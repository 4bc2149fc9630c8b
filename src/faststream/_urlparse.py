"""Parsing and normalising URLs the way httpx 0.28.1 does.

`urlparse(url, **components)` splits a URL string, lets keyword components replace parts
of it, validates everything and returns `URLParts`: every field already percent-encoded,
so `str(parts)` is the URL faststream sends.

Strategy:

1. Reject the input early: more than `MAX_URL_LENGTH` characters, or any ASCII control
   character (C0 or DEL) anywhere, raises `InvalidURL`. CR, LF and NUL can therefore never
   reach a request line (no header or request injection through a URL). Keyword
   components get the same checks, and must also have the shape of the component they
   replace (a `path` without `?` or `#`, and so on).
2. Split with one regular expression into scheme, authority, path, query and fragment;
   split the authority into userinfo (up to the *last* `@`), host (a `[...]` literal, or up
   to the first `:`) and port (the rest).
3. Normalise: lower-case the scheme; encode the host (IPv4 and IPv6 literals are
   validated, other ASCII hosts lower-cased and percent-encoded, non-ASCII hosts IDNA
   encoded); turn the port into an int and drop it when it is the scheme's default; remove
   dot segments from the path when the URL has a scheme or an authority.
4. Percent-encode each component with its own set of characters left alone. `%` is
   always left alone, so existing escapes, even malformed ones, survive and encoding an
   encoded component changes nothing: `URLParts` can be fed back through `urlparse`.

Those sets, and a few rules below (dot-segment removal that drops a trailing `/.`,
hosts that keep `"` or `|`), are not RFC 3986 exactly: they are what httpx does, which is
what code written for httpx expects. The differential tests in tests/models pin them.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import string
import typing

import idna

from ._exceptions import InvalidURL

__all__ = ["DEFAULT_PORTS", "MAX_URL_LENGTH", "URLParts", "encode_host", "render", "urlparse"]

MAX_URL_LENGTH = 65536

DEFAULT_PORTS = {"ftp": 21, "http": 80, "https": 443, "ws": 80, "wss": 443}

# Characters each component keeps as they are; any other character is percent-encoded
# as its UTF-8 bytes. `%` is in every set (see step 4 above).
_UNRESERVED = string.ascii_letters + string.digits + "-._~%"
_KEEP_USER_OR_PASSWORD = _UNRESERVED + "!$&'()*+,"
_KEEP_USERINFO = _KEEP_USER_OR_PASSWORD + ":"
_KEEP_HOST = _UNRESERVED + "!\"$&'()*+,;=\\`{|}"
_KEEP_PATH = _UNRESERVED + "!$&'()*+,/:;=@[\\]^|"
_KEEP_QUERY = _UNRESERVED + "!$&'()*+,/:;=?@[\\]^`{|}"
_KEEP_FRAGMENT = _UNRESERVED + "!#$&'()*+,/:;=?@[\\]^{|}"

_URL_SHAPE = re.compile(
    r"(?:(?P<scheme>[a-zA-Z][a-zA-Z0-9+.\-]*)?:)?"
    r"(?://(?P<authority>[^/?#]*))?"
    r"(?P<path>[^?#]*)"
    r"(?:\?(?P<query>[^#]*))?"
    r"(?:#(?P<fragment>.*))?",
    re.DOTALL,
)

# The shape a keyword component must have (`fullmatch`); components not listed take
# any text.
_COMPONENT_SHAPES = {
    "scheme": re.compile(r"(?:[a-zA-Z][a-zA-Z0-9+.\-]*)?"),
    "authority": re.compile(r"[^/?#]*"),
    "userinfo": re.compile(r"[^@]*"),
    "path": re.compile(r"[^?#]*"),
    "query": re.compile(r"[^#]*"),
}

_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")
_IPV4_SHAPE = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")


class URLParts(typing.NamedTuple):
    """A parsed, normalised URL; every string field is percent-encoded ASCII.

    `query` and `fragment` are `None` when the URL has no `?` / `#` at all, and `""`
    when the delimiter is there with nothing after it.
    """

    scheme: str
    userinfo: str
    host: str
    port: int | None
    path: str
    query: str | None
    fragment: str | None

    @property
    def netloc(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port is None else f"{host}:{self.port}"

    @property
    def authority(self) -> str:
        return f"{self.userinfo}@{self.netloc}" if self.userinfo else self.netloc

    def __str__(self) -> str:
        return render(self, self.userinfo)

    def copy_with(self, **components: str | None) -> URLParts:
        """Parse again with some components replaced (see `urlparse`)."""
        if not components:
            return self
        current: dict[str, str | None] = {
            "scheme": self.scheme,
            "authority": self.authority,
            "path": self.path,
            "query": self.query,
            "fragment": self.fragment,
        }
        current.update(components)
        return urlparse("", **current)


def render(parts: URLParts, userinfo: str) -> str:
    """The URL string of `parts`, with `userinfo` in place of `parts.userinfo`."""
    netloc = parts.netloc
    authority = f"{userinfo}@{netloc}" if userinfo else netloc
    pieces = []
    if parts.scheme:
        pieces.append(f"{parts.scheme}:")
    if authority:
        pieces.append(f"//{authority}")
    pieces.append(parts.path)
    if parts.query is not None:
        pieces.append(f"?{parts.query}")
    if parts.fragment is not None:
        pieces.append(f"#{parts.fragment}")
    return "".join(pieces)


def urlparse(url: str = "", **components: str | None) -> URLParts:
    """Parse `url`, with keyword components replacing the parts parsed from it.

    Components: `scheme`, `authority`, `userinfo`, `host`, `port`, `path`, `query`,
    `fragment` (all `str`, already decoded from bytes by the caller), and the composite
    `netloc` (host and port), `username`/`password` (they replace the userinfo; either
    one missing counts as empty) and `raw_path` (path and query). `None` means empty,
    except for `query` and `fragment`, where it means absent.
    """
    _check_text(url, None)
    components = _expand_composites(components)
    for key, value in components.items():
        if value is None:
            continue
        _check_text(value, key)
        shape = _COMPONENT_SHAPES.get(key)
        if shape is not None and shape.fullmatch(value) is None:
            raise InvalidURL(f"Invalid URL component {key!r}")

    match = _URL_SHAPE.match(url)
    assert match is not None  # every part of the pattern may be empty
    scheme = components.get("scheme", match["scheme"]) or ""
    authority = components.get("authority", match["authority"]) or ""
    path = components.get("path", match["path"]) or ""
    query = components.get("query", match["query"])
    fragment = components.get("fragment", match["fragment"])

    parsed_userinfo, parsed_host, parsed_port = _split_authority(authority)
    userinfo = components.get("userinfo", parsed_userinfo) or ""
    host = components.get("host", parsed_host) or ""
    port = components.get("port", parsed_port)

    userinfo = _quote(userinfo, _KEEP_USERINFO)
    host = encode_host(host)
    # The default port is looked up with the scheme as written: httpx drops `:80` from
    # `http://a:80` but keeps it in `HTTP://a:80`.
    port_number = _parse_port(port, scheme)
    scheme = scheme.lower()

    has_scheme = scheme != ""
    has_authority = userinfo != "" or host != "" or port_number is not None
    _validate_path(path, has_scheme=has_scheme, has_authority=has_authority)
    if has_scheme or has_authority:
        path = _remove_dot_segments(path)

    return URLParts(
        scheme=scheme,
        userinfo=userinfo,
        host=host,
        port=port_number,
        path=_quote(path, _KEEP_PATH),
        query=None if query is None else _quote(query, _KEEP_QUERY),
        fragment=None if fragment is None else _quote(fragment, _KEEP_FRAGMENT),
    )


def _expand_composites(components: dict[str, str | None]) -> dict[str, str | None]:
    """Replace `netloc`, `username`/`password` and `raw_path` by the parts they set."""
    if "netloc" in components:
        netloc = components.pop("netloc") or ""
        host, _, port = netloc.partition(":")
        components["host"] = host
        components["port"] = port
    if "username" in components or "password" in components:
        username = _quote(components.pop("username", None) or "", _KEEP_USER_OR_PASSWORD)
        password = _quote(components.pop("password", None) or "", _KEEP_USER_OR_PASSWORD)
        components["userinfo"] = f"{username}:{password}" if password else username
    if "raw_path" in components:
        raw_path = components.pop("raw_path") or ""
        path, question_mark, query = raw_path.partition("?")
        components["path"] = path
        components["query"] = query if question_mark else None
    given_host = components.get("host")
    if (
        given_host
        and ":" in given_host
        and not (given_host.startswith("[") and given_host.endswith("]"))
    ):
        # A bare IPv6 address given as `host=`.
        components["host"] = f"[{given_host}]"
    return components


def _check_text(text: str, component: str | None) -> None:
    if len(text) > MAX_URL_LENGTH:
        raise InvalidURL(
            "URL too long" if component is None else f"URL component {component!r} too long"
        )
    control = _CONTROL_CHARACTER.search(text)
    if control is not None:
        where = "URL" if component is None else f"URL {component} component"
        raise InvalidURL(
            f"Invalid non-printable ASCII character in {where}, "
            f"{control.group()!r} at position {control.start()}."
        )


def _split_authority(authority: str) -> tuple[str, str, str]:
    """`[userinfo@]host[:port]`; the userinfo runs to the last `@`."""
    userinfo, _, hostport = authority.rpartition("@")
    if hostport.startswith("[") and "]" in hostport[1:]:
        end = hostport.rindex("]") + 1
        host, rest = hostport[:end], hostport[end:]
        return userinfo, host, rest[1:] if rest.startswith(":") else rest
    host, _, port = hostport.partition(":")
    return userinfo, host, port


def encode_host(host: str) -> str:
    """The host as it goes on the wire: validated IP literal, or lower-cased ASCII."""
    if not host:
        return ""
    if _IPV4_SHAPE.fullmatch(host):
        try:
            ipaddress.IPv4Address(host)
        except ipaddress.AddressValueError:
            raise InvalidURL(f"Invalid IPv4 address: {host!r}") from None
        return host
    if host.startswith("[") and host.endswith("]"):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ipaddress.AddressValueError:
            raise InvalidURL(f"Invalid IPv6 address: {host!r}") from None
        return host[1:-1]
    if host.isascii():
        return _quote(host.lower(), _KEEP_HOST)
    try:
        return idna.encode(host.lower()).decode("ascii")
    except idna.IDNAError:
        raise InvalidURL(f"Invalid IDNA hostname: {host!r}") from None


def _parse_port(port: str | None, scheme: str) -> int | None:
    if not port:
        return None
    try:
        number = int(port)
    except ValueError:
        raise InvalidURL(f"Invalid port: {port!r}") from None
    return None if number == DEFAULT_PORTS.get(scheme) else number


def _validate_path(path: str, *, has_scheme: bool, has_authority: bool) -> None:
    if has_authority and path and not path.startswith("/"):
        raise InvalidURL("For absolute URLs, path must be empty or begin with '/'")
    if not has_scheme and not has_authority:
        # `//x` would read back as an authority, `:x` as a scheme.
        if path.startswith("//"):
            raise InvalidURL("Relative URLs cannot have a path starting with '//'")
        if path.startswith(":"):
            raise InvalidURL("Relative URLs cannot have a path starting with ':'")


def _remove_dot_segments(path: str) -> str:
    """Drop `.` segments and let `..` drop the segment before it (never the root).

    Unlike RFC 3986 §5.2.4, a final `.` or `..` leaves no trailing `/` (`/a/.` -> `/a`).
    Encoded dots (`%2e`) are ordinary characters.
    """
    if "." not in path:
        return path
    segments = path.split("/")
    if "." not in segments and ".." not in segments:
        return path
    kept: list[str] = []
    for segment in segments:
        if segment == ".":
            continue
        if segment == "..":
            if kept and kept != [""]:
                kept.pop()
            continue
        kept.append(segment)
    return "/".join(kept)


@functools.cache
def _unsafe_pattern(keep: str) -> re.Pattern[str]:
    return re.compile(f"[^{re.escape(keep)}]")


@functools.lru_cache(maxsize=4096)
def _escape(character: str) -> str:
    return "".join(f"%{byte:02X}" for byte in character.encode("utf-8"))


def _quote(text: str, keep: str) -> str:
    unsafe = _unsafe_pattern(keep)
    if unsafe.search(text) is None:
        return text
    return unsafe.sub(lambda match: _escape(match.group()), text)
