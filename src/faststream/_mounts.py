"""Mount patterns, environment proxies, and picking the mount for a URL.

`URLPattern` is httpx 0.28.1's mount key: `"all://"`, `"https://"`,
`"http://example.com:8080"`, `"all://*.example.com"` (subdomains only),
`"all://*example.com"` (the domain and its subdomains), `"all://[::1]"`. Sorting puts the
most specific pattern first: an explicit port, then a longer host, then a longer scheme.

`get_environment_proxies()` turns `HTTP_PROXY` / `HTTPS_PROXY` / `ALL_PROXY` and `NO_PROXY`
(read through `urllib.request.getproxies()`, either case, as httpx does) into a dict of
mount keys: proxy URLs for `"http://"`, `"https://"`, `"all://"`, and `None` ("no proxy")
for every `NO_PROXY` entry.

`MountTable` holds the mounts of one client, sorted once; `MountTable.select(url)` returns
`(matched, value)`. `select_mount(url, mounts)` is the same search over a sorted sequence.

Deliberate deviations from httpx 0.28.1, following curl's `NO_PROXY` rules (a host the user
excluded from the proxy must never be sent through it):

1. CIDR ranges. A pattern whose host is an IP literal and whose path is `/<prefix length>`
   (`"all://10.0.0.0/8"`, `"all://[fd00::]/8"`) matches every IP-literal host inside the
   range. httpx reads `"all://10.0.0.0/8"` as the single host 10.0.0.0 (so `NO_PROXY=
   10.0.0.0/8` sent 10.1.2.3 through the proxy), and its `NO_PROXY=fd00::/8` key
   `"all://[fd00::/8]"` made `Client()` raise `InvalidURL`. faststream writes IPv6 ranges as
   `"all://[fd00::]/8"`. Host names are never resolved to check a range (curl does not
   either). A prefix length that is out of range falls back to httpx's reading.
2. Leading dot. `NO_PROXY=.corp.example` bypasses the proxy for `corp.example` and its
   subdomains (key `"all://*corp.example"`); httpx's key `"all://*.corp.example"` left the
   bare domain on the proxy.
3. Ports. A pattern with a port compares it with the URL's effective port, so
   `NO_PROXY=example.com:80` covers `http://example.com/` (httpx compared with `url.port`,
   which is `None` for a default port, and never matched). `NO_PROXY` entries `ip:port`,
   `[ipv6]`, `[ipv6]:port` and `localhost:port` become exact-host keys (`"all://127.0.0.1:8080"`,
   `"all://[::1]"`, `"all://[::1]:8080"`, `"all://localhost:8080"`); httpx made them
   `"all://*127.0.0.1:8080"` / `"all://*[::1]"` style wildcards, and with the bracketed
   ones `Client()` raised `InvalidURL`. (A pattern port equal to a default port, as in
   `"http://example.com:80"`, is still dropped when the pattern is parsed, as in httpx.)

Everything else follows httpx: `*` anywhere in `NO_PROXY` returns `{}`; `example.com`
covers the domain and its subdomains (`"all://*example.com"`); IPs and `localhost` are
exact; entries containing `://` are used as given; a proxy value without `://` gets
`http://`.
"""

from __future__ import annotations

import ipaddress
import typing
from collections.abc import Iterable, Mapping, Sequence
from urllib.request import getproxies

from ._urlparse import DEFAULT_PORTS
from ._urls import URL

__all__ = ["MountTable", "URLPattern", "get_environment_proxies", "select_mount"]

T = typing.TypeVar("T")

_Network: typing.TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network

# How a pattern's host is compared with a URL's host.
_ANY = 0  # "" or "*": every host
_EXACT = 1  # "example.com": that host
_SUBDOMAINS = 2  # "*.example.com": at least one label in front of the domain
_DOMAIN_AND_SUBDOMAINS = 3  # "*example.com": the domain, or a subdomain of it
_NETWORK = 4  # "10.0.0.0/8": IP-literal hosts in the range


def _parse_network(host: str, path: str) -> _Network | None:
    """The CIDR range written as `host` + `path` (`"10.0.0.0"`, `"/8"`), or None."""
    if len(path) < 2 or not path[1:].isdigit() or not path[1:].isascii():
        return None
    try:
        return ipaddress.ip_network(f"{host}{path}", strict=False)
    except ValueError:
        return None


def _ip_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


class URLPattern:
    """A mount key, with httpx's matching and priority (plus CIDR ranges; see the module).

    ```
    URLPattern("all://*example.com").matches(URL("https://www.example.com"))  # True
    sorted([URLPattern("all://"), URLPattern("http://example.com:8080")])
    # [URLPattern('http://example.com:8080'), URLPattern('all://')]
    ```
    """

    __slots__ = ("_domain", "_kind", "host", "network", "pattern", "port", "priority", "scheme")

    pattern: str
    scheme: str
    host: str
    port: int | None
    network: _Network | None
    priority: tuple[int, int, int]

    def __init__(self, pattern: str) -> None:
        if pattern and ":" not in pattern:
            raise ValueError(
                "Proxy keys should use proper URL forms rather than plain scheme strings. "
                f'Instead of "{pattern}", use "{pattern}://"'
            )
        url = URL(pattern)
        self.pattern = pattern
        self.scheme = "" if url.scheme == "all" else url.scheme
        self.host = "" if url.host == "*" else url.host
        self.port = url.port
        self.network = None
        self._domain = self.host
        if not self.host:
            self._kind = _ANY
        elif self.host.startswith("*."):
            self._kind = _SUBDOMAINS
            self._domain = self.host[1:]  # ".example.com"
        elif self.host.startswith("*"):
            self._kind = _DOMAIN_AND_SUBDOMAINS
            self._domain = self.host[1:]  # "example.com"
        else:
            self._kind = _EXACT
            self.network = _parse_network(self.host, url.path)
            if self.network is not None:
                self._kind = _NETWORK
        # httpx's order: an explicit port first, then the longer host, then the longer scheme.
        self.priority = (0 if self.port is not None else 1, -len(self.host), -len(self.scheme))

    def matches(self, other: URL) -> bool:
        """Whether a request to `other` goes to this mount."""
        if self.scheme and self.scheme != other.scheme:
            return False
        if self._kind != _ANY and not self._host_matches(other.host):
            return False
        if self.port is not None:
            port = other.port
            if port is None:
                port = DEFAULT_PORTS.get(other.scheme)
            if port != self.port:
                return False
        return True

    def _host_matches(self, host: str) -> bool:
        kind = self._kind
        domain = self._domain
        if kind == _EXACT:
            return host == domain
        if kind == _SUBDOMAINS:
            # domain is ".example.com": one or more characters must come before it.
            return len(host) > len(domain) and host.endswith(domain)
        if kind == _DOMAIN_AND_SUBDOMAINS:
            if host == domain:
                return True
            return (
                len(host) > len(domain) + 1
                and host.endswith(domain)
                and host[-len(domain) - 1] == "."
            )
        address = _ip_address(host)
        network = self.network
        return (
            address is not None
            and network is not None
            and address.version == network.version
            and address in network
        )

    def __lt__(self, other: URLPattern) -> bool:
        return self.priority < other.priority

    def __hash__(self) -> int:
        return hash(self.pattern)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, URLPattern) and self.pattern == other.pattern

    def __repr__(self) -> str:
        return f"URLPattern({self.pattern!r})"


def _no_proxy_key(entry: str) -> str:
    """The mount key for one (stripped, non-empty, not `*`) NO_PROXY entry."""
    if "://" in entry:
        return entry
    host, port = entry, ""
    if entry.startswith("["):
        # "[::1]" or "[::1]:8080"
        close = entry.find("]")
        if close > 0 and _ip_address(entry[1:close]) is not None:
            return f"all://{entry}"  # "[::1]", "[::1]:8080", "[fd00::]/8"
    address_part, slash, bits = entry.partition("/")
    address = _ip_address(address_part)
    if address is not None:
        if address.version == 6:
            return f"all://[{address_part}]{slash}{bits}"
        return f"all://{entry}"
    if entry.count(":") == 1:
        host, _, port = entry.partition(":")
        if not port.isdigit() or (_ip_address(host) is None and host.lower() != "localhost"):
            host, port = entry, ""
    if port:
        return f"all://{host}:{port}"  # "127.0.0.1:8080", "localhost:8080"
    if host.lower() == "localhost":
        return f"all://{host}"
    if host.startswith("."):
        host = host[1:]  # curl: ".corp.example" also covers "corp.example"
    return f"all://*{host}"


def get_environment_proxies() -> dict[str, str | None]:
    """Mount keys from the proxy environment variables (see the module docstring)."""
    proxy_info = getproxies()
    mounts: dict[str, str | None] = {}
    for scheme in ("http", "https", "all"):
        value = proxy_info.get(scheme)
        if value:
            mounts[f"{scheme}://"] = value if "://" in value else f"http://{value}"
    for raw in proxy_info.get("no", "").split(","):
        entry = raw.strip()
        if entry == "*":
            return {}
        if entry:
            mounts[_no_proxy_key(entry)] = None
    return mounts


def select_mount(url: URL, mounts: Sequence[tuple[URLPattern, T | None]]) -> tuple[bool, T | None]:
    """The first mount in `mounts` (already sorted) whose pattern matches `url`.

    Returns `(True, value)` for a match — `value` None means "no proxy: use the default
    transport" — and `(False, None)` when nothing matches.
    """
    for pattern, value in mounts:
        if pattern.matches(url):
            return True, value
    return False, None


class MountTable(typing.Generic[T]):
    """A client's mounts, sorted once, with a per-origin cache for `select`.

    `items` may be a mapping or pairs; keys are `URLPattern`s or pattern strings. A later
    entry for the same pattern replaces the value and keeps the first one's position (dict
    update order, as httpx builds its mounts), and equal priorities keep that order.
    """

    __slots__ = ("_cache", "_sorted")

    _CACHE_SIZE = 512

    def __init__(
        self,
        items: Mapping[str, T | None]
        | Mapping[URLPattern, T | None]
        | Mapping[URLPattern | str, T | None]
        | Iterable[tuple[URLPattern | str, T | None]] = (),
    ) -> None:
        pairs = items.items() if isinstance(items, Mapping) else items
        merged: dict[URLPattern, T | None] = {}
        for key, value in pairs:
            merged[key if isinstance(key, URLPattern) else URLPattern(key)] = value
        self._sorted: list[tuple[URLPattern, T | None]] = sorted(
            merged.items(), key=lambda item: item[0].priority
        )
        self._cache: dict[tuple[str, str, int | None], tuple[bool, T | None]] = {}

    def select(self, url: URL) -> tuple[bool, T | None]:
        """`(True, value)` for the most specific mount matching `url`, else `(False, None)`."""
        if not self._sorted:
            return False, None
        key = (url.scheme, url.host, url.port)
        found = self._cache.get(key)
        if found is None:
            found = select_mount(url, self._sorted)
            if len(self._cache) >= self._CACHE_SIZE:
                self._cache.clear()
            self._cache[key] = found
        return found

    def items(self) -> list[tuple[URLPattern, T | None]]:
        """The mounts, most specific first."""
        return list(self._sorted)

    def values(self) -> list[T | None]:
        return [value for _, value in self._sorted]

    def __len__(self) -> int:
        return len(self._sorted)

    def __bool__(self) -> bool:
        return bool(self._sorted)

    def __iter__(self) -> typing.Iterator[URLPattern]:
        return iter([pattern for pattern, _ in self._sorted])
