"""Mount patterns and environment proxies (`faststream._mounts`).

Most tests are differential against httpx 0.28.1: `URLPattern` attributes, matching, errors
and sort order against `httpx._utils.URLPattern`; `get_environment_proxies()` against
httpx's; and the proxy a request would use against the transport `httpx.Client` picks. The
deviations of THREATS.md T33 (CIDR ranges, leading dots, ports) are tested one by one, each
asserting faststream's documented result and httpx's different one.
"""

from __future__ import annotations

import itertools
import os
import random
import typing

import httpx
import pytest
from httpx import _utils as httpx_utils

from faststream._exceptions import InvalidURL
from faststream._mounts import MountTable, URLPattern, get_environment_proxies, select_mount
from faststream._urls import URL

# --- helpers -------------------------------------------------------------------------------


def pattern_outcome(pattern: str) -> tuple[typing.Any, ...]:
    """httpx-comparable view of our pattern, or the error it raises."""
    try:
        p = URLPattern(pattern)
    except (ValueError, InvalidURL) as exc:
        return ("error", type(exc).__name__, str(exc))
    return (p.scheme, p.host, p.port, p.priority)


def httpx_pattern_outcome(pattern: str) -> tuple[typing.Any, ...]:
    try:
        p = httpx_utils.URLPattern(pattern)
    except (ValueError, httpx.InvalidURL) as exc:
        return ("error", type(exc).__name__, str(exc))
    return (p.scheme, p.host, p.port, p.priority)


SCHEMES = ["all", "http", "https", "ws", "wss", "ftp", "socks5", "ALL", "HTTP"]
HOSTS = [
    "",
    "*",
    "example.com",
    "EXAMPLE.com",
    "www.example.com",
    "*.example.com",
    "*example.com",
    "*ample.com",
    "**.example.com",
    "*.",
    "example.com.",
    "localhost",
    "127.0.0.1",
    "10.0.0.1",
    "[::1]",
    "[0:0::1]",
    "[fd00::1]",
    "例え.jp",
    "xn--r8jz45g.jp",
    "*.例え.jp",
    "user:pw@example.com",
    "a b",
]
# No default ports here (80/443/21): a pattern port is compared with the URL's effective
# port in faststream (deviation 3), tested separately below.
PORTS = ["", ":8080", ":1234", ":0", ":99999", ":x"]
PATHS = ["", "/", "/path?q=1#f"]

PATTERNS = [
    f"{s}://{h}{p}{path}" for s, h, p, path in itertools.product(SCHEMES, HOSTS, PORTS, PATHS)
]
PATTERNS += ["", "http", "all", "https", "foo:bar", "http:/x", "http:x", "*", "example.com"]
PATTERNS += ["http://:80", "https://example.com:443", "http://example.com:80"]

URLS = [
    f"{s}://{h}{p}/"
    for s, h, p in itertools.product(
        ["http", "https", "ws", "wss", "ftp", "socks5"],
        [
            "example.com",
            "Example.COM",
            "www.example.com",
            "a.b.example.com",
            ".example.com",
            "notexample.com",
            "exXample.com",
            "ample.com",
            "example.com.",
            "www.example.com.",
            "localhost",
            "sub.localhost",
            "127.0.0.1",
            "10.0.0.1",
            "10.0.0.2",
            "[::1]",
            "[::ffff:1.2.3.4]",
            "[fd00::1]",
            "例え.jp",
            "a.例え.jp",
        ],
        ["", ":8080", ":1234"],
    )
]


# --- URLPattern: differential --------------------------------------------------------------


def test_pattern_attributes_and_errors_match_httpx() -> None:
    differences = [
        (pattern, pattern_outcome(pattern), httpx_pattern_outcome(pattern))
        for pattern in PATTERNS
        if pattern_outcome(pattern) != httpx_pattern_outcome(pattern)
    ]
    assert differences == []
    # The grid does exercise errors and every kind of host.
    outcomes = [pattern_outcome(p) for p in PATTERNS]
    assert sum(o[0] == "error" for o in outcomes) > 50
    assert sum(o[0] != "error" for o in outcomes) > 500


def test_pattern_matches_match_httpx() -> None:
    our_urls = [URL(u) for u in URLS]
    httpx_urls = [httpx.URL(u) for u in URLS]
    differences = []
    matched = 0
    for pattern in PATTERNS:
        try:
            theirs = httpx_utils.URLPattern(pattern)
        except (ValueError, httpx.InvalidURL):
            continue
        ours = URLPattern(pattern)
        for text, our_url, httpx_url in zip(URLS, our_urls, httpx_urls, strict=True):
            expected = theirs.matches(httpx_url)
            matched += expected
            if ours.matches(our_url) != expected:
                differences.append((pattern, text, expected))
    assert differences == []
    assert matched > 10_000  # the grid is not all misses


@pytest.mark.parametrize("key", ["http", "all", "https", "socks5", "example.com"])
def test_plain_scheme_key_raises_httpx_value_error(key: str) -> None:
    with pytest.raises(ValueError) as theirs:
        httpx.Client(mounts={key: None})
    with pytest.raises(ValueError) as ours:
        URLPattern(key)
    assert str(ours.value) == str(theirs.value)
    assert str(ours.value) == (
        "Proxy keys should use proper URL forms rather than plain scheme strings. "
        f'Instead of "{key}", use "{key}://"'
    )


def test_sort_order_matches_httpx() -> None:
    valid = [p for p in PATTERNS if pattern_outcome(p)[0] != "error"]
    rng = random.Random(4)
    for _ in range(300):
        sample = rng.sample(valid, rng.randint(2, 25))
        ours = [p.pattern for p in sorted(URLPattern(p) for p in sample)]
        theirs = [p.pattern for p in sorted(httpx_utils.URLPattern(p) for p in sample)]
        assert ours == theirs


def test_sort_puts_most_specific_first() -> None:
    patterns = [
        "all://",
        "http://",
        "https://",
        "all://*example.com",
        "http://example.com",
        "all://*.example.com",
        "http://example.com:8080",
    ]
    assert [p.pattern for p in sorted(URLPattern(p) for p in patterns)] == [
        "http://example.com:8080",
        "all://*.example.com",
        "all://*example.com",
        "http://example.com",
        "https://",
        "http://",
        "all://",
    ]


def test_hash_eq_and_repr() -> None:
    a, b = URLPattern("all://example.com"), URLPattern("all://example.com")
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a != URLPattern("ALL://example.com")  # equal by the pattern text, as httpx
    assert a != "all://example.com"
    assert a.pattern == "all://example.com"
    assert repr(a) == "URLPattern('all://example.com')"
    assert {a: 1}[URLPattern("all://example.com")] == 1


def test_documented_matches() -> None:
    def m(pattern: str, url: str) -> bool:
        return URLPattern(pattern).matches(URL(url))

    assert m("all://", "ftp://x") and m("http://", "http://x:1") and not m("http://", "https://x")
    assert m("all://*.example.com", "https://www.example.com")
    assert not m("all://*.example.com", "https://example.com")
    assert m("all://*example.com", "https://example.com")
    assert m("all://*example.com", "https://a.b.example.com")
    assert not m("all://*example.com", "https://notexample.com")
    assert m("http://example.com:8080", "http://example.com:8080/x")
    assert not m("http://example.com:8080", "http://example.com/x")
    assert m("all://[::1]:8080", "http://[::1]:8080") and not m("all://[::1]:8080", "http://[::1]")
    assert m("all://例え.jp", "http://xn--r8jz45g.jp")


# --- deviation 1: CIDR ranges --------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "inside", "outside"),
    [
        (
            "all://10.0.0.0/8",
            ["10.0.0.0", "10.1.2.3", "10.255.255.255"],
            ["11.0.0.1", "9.255.255.255"],
        ),
        ("all://192.168.1.7/24", ["192.168.1.1", "192.168.1.255"], ["192.168.2.1"]),
        ("all://127.0.0.1/32", ["127.0.0.1"], ["127.0.0.2"]),
        ("all://0.0.0.0/0", ["1.2.3.4", "255.255.255.255"], ["[::1]", "example.com"]),
        (
            "all://[fd00::]/8",
            ["[fd00::1]", "[FDFF:1::2]", "[fd12:3456::]"],
            ["[fe00::1]", "[::1]", "10.0.0.1"],
        ),
        ("all://[2001:db8::]/32", ["[2001:db8:ffff::1]"], ["[2001:db9::1]", "[::ffff:10.0.0.1]"]),
    ],
)
def test_cidr_pattern_matches_ip_literals_in_range(
    pattern: str, inside: list[str], outside: list[str]
) -> None:
    ours = URLPattern(pattern)
    assert ours.network is not None
    for host in inside:
        assert ours.matches(URL(f"http://{host}/")), host
        assert ours.matches(URL(f"https://{host}:8443/")), host
    for host in outside:
        assert not ours.matches(URL(f"http://{host}/")), host
    assert not ours.matches(URL("http://ten.example/"))  # names are never resolved


def test_cidr_pattern_differs_from_httpx() -> None:
    # httpx reads "all://10.0.0.0/8" as the single host 10.0.0.0.
    theirs = httpx_utils.URLPattern("all://10.0.0.0/8")
    assert theirs.matches(httpx.URL("http://10.0.0.0/"))
    assert not theirs.matches(httpx.URL("http://10.1.2.3/"))
    assert URLPattern("all://10.0.0.0/8").matches(URL("http://10.1.2.3/"))
    # Same priority as httpx gives the same text, so mounts sort the same way.
    assert URLPattern("all://10.0.0.0/8").priority == theirs.priority


def test_cidr_with_scheme_and_port() -> None:
    p = URLPattern("https://10.0.0.0:8443/8")
    assert p.matches(URL("https://10.9.9.9:8443/"))
    assert not p.matches(URL("https://10.9.9.9/"))
    assert not p.matches(URL("http://10.9.9.9:8443/"))


@pytest.mark.parametrize("pattern", ["all://10.0.0.0/33", "all://10.0.0.0/x", "all://10.0.0.0/8/9"])
def test_not_a_cidr_falls_back_to_httpx(pattern: str) -> None:
    ours, theirs = URLPattern(pattern), httpx_utils.URLPattern(pattern)
    assert ours.network is None
    for host in ["10.0.0.0", "10.0.0.1"]:
        assert ours.matches(URL(f"http://{host}")) == theirs.matches(httpx.URL(f"http://{host}"))
    assert ours.matches(URL("http://10.0.0.0"))


def test_path_on_a_host_name_is_ignored_as_in_httpx() -> None:
    p = URLPattern("all://example.com/8")
    assert p.network is None and p.matches(URL("http://example.com/"))


# --- deviation 3: pattern ports against the effective port ---------------------------------


@pytest.mark.parametrize(
    ("pattern", "url"),
    [
        ("all://example.com:80", "http://example.com/"),
        ("all://example.com:80", "ws://example.com/"),
        ("all://example.com:443", "https://example.com/"),
        ("all://*example.com:443", "wss://www.example.com/"),
        ("all://:21", "ftp://example.com/"),
    ],
)
def test_port_pattern_matches_default_port(pattern: str, url: str) -> None:
    assert URLPattern(pattern).matches(URL(url))
    assert not httpx_utils.URLPattern(pattern).matches(httpx.URL(url))


def test_port_pattern_does_not_match_other_ports() -> None:
    p = URLPattern("all://example.com:80")
    assert not p.matches(URL("https://example.com/"))
    assert not p.matches(URL("http://example.com:8080/"))
    assert p.matches(URL("https://example.com:80/"))


# --- environment proxies -------------------------------------------------------------------


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> typing.Callable[[dict[str, str]], None]:
    """Clears every *_proxy variable (both cases) and REQUEST_METHOD, then sets `values`."""
    for name in list(os.environ):
        if name.lower().endswith("_proxy") or name == "REQUEST_METHOD":
            monkeypatch.delenv(name)

    def set_env(values: dict[str, str]) -> None:
        for name in list(os.environ):
            if name.lower().endswith("_proxy") or name == "REQUEST_METHOD":
                monkeypatch.delenv(name)
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    return set_env


# Environments without deviation entries: faststream's dict equals httpx's.
SAME_ENVIRONMENTS: list[dict[str, str]] = [
    {},
    {"HTTP_PROXY": "proxy:3128"},
    {"http_proxy": "http://a:1", "HTTP_PROXY": "http://b:2"},
    {"HTTPS_PROXY": "https://secure:443"},
    {"https_proxy": "socks5://a:1080", "all_proxy": "b:1"},
    {"ALL_PROXY": "http://all:8"},
    {"ALL_PROXY": ""},
    {"HTTP_PROXY": "x", "NO_PROXY": "*"},
    {"HTTP_PROXY": "x", "NO_PROXY": "a.com, *"},
    {"HTTP_PROXY": "x", "no_proxy": "x.example", "NO_PROXY": "y.example"},
    {"FTP_PROXY": "f", "foo_proxy": "g"},
    {"REQUEST_METHOD": "GET", "HTTP_PROXY": "ignored", "https_proxy": "kept"},
    {"REQUEST_METHOD": "GET", "http_proxy": "lower"},
    {
        "HTTP_PROXY": "http://p:1",
        "HTTPS_PROXY": "http://q:2",
        "NO_PROXY": "localhost, LocalHost,127.0.0.1,::1 ,example.com,EXAMPLE.org,"
        "example.net:8080,http://given.example,https://given.example:8443,,  ,a.b",
    },
    {"ALL_PROXY": "http://p:1", "NO_PROXY": "10.0.0.1,2001:db8::1,fd00::1,x.y.z"},
    {"HTTP_PROXY": "p", "NO_PROXY": "*.example.com"},
]


@pytest.mark.parametrize("values", SAME_ENVIRONMENTS)
def test_environment_proxies_match_httpx(
    env: typing.Callable[[dict[str, str]], None], values: dict[str, str]
) -> None:
    env(values)
    ours = get_environment_proxies()
    assert ours == httpx_utils.get_environment_proxies()
    assert list(ours) == list(httpx_utils.get_environment_proxies())
    for key in ours:
        URLPattern(key)


def test_environment_proxies_documented_shape(env: typing.Callable[[dict[str, str]], None]) -> None:
    env(
        {
            "http_proxy": "proxy:3128",
            "HTTPS_PROXY": "https://tls-proxy:443",
            "ALL_PROXY": "socks5://s:1080",
            "NO_PROXY": "localhost,10.0.0.0/8,.corp.example,example.com,fd00::/8,"
            "[::1]:8080,127.0.0.1:9000,http://given.example",
        }
    )
    assert get_environment_proxies() == {
        "http://": "http://proxy:3128",
        "https://": "https://tls-proxy:443",
        "all://": "socks5://s:1080",
        "all://localhost": None,
        "all://10.0.0.0/8": None,
        "all://*corp.example": None,
        "all://*example.com": None,
        "all://[fd00::]/8": None,
        "all://[::1]:8080": None,
        "all://127.0.0.1:9000": None,
        "http://given.example": None,
    }


def our_choice(url: str) -> str | None:
    """The proxy faststream would use for `url` from the environment (None: direct)."""
    matched, value = MountTable(get_environment_proxies()).select(URL(url))
    return value if matched else None


def httpx_choice(url: str) -> str | None:
    """The proxy `httpx.Client()` picks for `url` from the environment (None: direct)."""
    proxies = httpx_utils.get_environment_proxies()
    with httpx.Client() as client:
        transport = client._transport_for_url(httpx.URL(url))
        if transport is client._transport:
            return None
        for pattern, mounted in client._mounts.items():
            if mounted is transport:
                return proxies[pattern.pattern]
    raise AssertionError("unreachable")


ENV_URLS = [
    "http://example.com/",
    "https://example.com/",
    "http://www.example.com:8080/",
    "https://api.example.org/",
    "http://localhost:8000/",
    "http://127.0.0.1/",
    "http://10.0.0.1/",
    "http://[::1]/",
    "http://[2001:db8::1]/",
    "http://given.example/",
    "https://given.example:8443/",
    "http://example.net:8080/",
    "http://example.net/",
    "ws://x.y.z/",
    "ftp://a.b/",
]


@pytest.mark.parametrize("values", [v for v in SAME_ENVIRONMENTS if "socks5" not in str(v)])
def test_proxy_choice_matches_httpx_client(
    env: typing.Callable[[dict[str, str]], None], values: dict[str, str]
) -> None:
    env(values)
    assert [our_choice(u) for u in ENV_URLS] == [httpx_choice(u) for u in ENV_URLS]


# --- T33 deviations, end to end ------------------------------------------------------------

PROXY = "http://proxy.invalid:3128"


# httpx's result: "proxy" (the request went through the proxy) or "InvalidURL" (its key,
# e.g. "all://[fd00::/8]" or "all://*[::1]", made `httpx.Client()` raise).
@pytest.mark.parametrize(
    ("no_proxy", "url", "httpx_result"),
    [
        ("10.0.0.0/8", "http://10.1.2.3/", "proxy"),
        ("10.0.0.0/8", "https://10.255.0.1:8443/", "proxy"),
        ("192.168.0.0/16, .corp.example", "http://192.168.40.2/", "proxy"),
        ("10.1.2.3/8", "http://10.200.0.1/", "proxy"),  # host bits set: masked, as curl
        ("fd00::/8", "http://[fd00::1]/", "InvalidURL"),
        ("fd00::/8", "https://[fdab:cd::9]:443/", "InvalidURL"),
        ("[fd00::]/8", "http://[fd00::1]/", "InvalidURL"),
        (".corp.example", "http://corp.example/", "proxy"),
        (".corp.example", "https://corp.example/", "proxy"),
        ("example.com:80", "http://example.com/", "proxy"),
        ("example.com:443", "https://example.com/", "proxy"),
        ("[::1]", "http://[::1]/", "InvalidURL"),
        ("[::1]:8080", "http://[::1]:8080/", "InvalidURL"),
    ],
)
def test_t33_no_proxy_deviation(
    env: typing.Callable[[dict[str, str]], None], no_proxy: str, url: str, httpx_result: str
) -> None:
    env({"ALL_PROXY": PROXY, "NO_PROXY": no_proxy})
    assert our_choice(url) is None  # faststream: direct
    if httpx_result == "InvalidURL":
        with pytest.raises(httpx.InvalidURL):
            httpx.Client()
    else:
        assert httpx_choice(url) == PROXY


@pytest.mark.parametrize(
    ("no_proxy", "url"),
    [
        ("10.0.0.0/8", "http://11.0.0.1/"),
        ("10.0.0.0/8", "http://[::ffff:10.0.0.1]/"),
        ("10.0.0.0/8", "http://ten.example/"),
        ("fd00::/8", "http://[fe80::1]/"),
        (".corp.example", "http://notcorp.example/"),
        ("example.com:80", "https://example.com/"),
        ("example.com:80", "http://example.com:8080/"),
        ("[::1]:8080", "http://[::1]:8081/"),
        ("[::1]:8080", "http://[::1]/"),
        ("127.0.0.1:8080", "http://127.0.0.1/"),
        ("localhost:8080", "http://sub.localhost:8080/"),
    ],
)
def test_t33_entries_do_not_overreach(
    env: typing.Callable[[dict[str, str]], None], no_proxy: str, url: str
) -> None:
    env({"ALL_PROXY": PROXY, "NO_PROXY": no_proxy})
    assert our_choice(url) == PROXY


@pytest.mark.parametrize(
    ("no_proxy", "url"),
    [
        (".corp.example", "http://a.corp.example/"),
        ("127.0.0.1:8080", "http://127.0.0.1:8080/"),
        ("localhost:8080", "http://localhost:8080/"),
        ("example.com:8080", "http://www.example.com:8080/"),
        ("*", "http://anything.example/"),
        ("a.example,*", "http://10.0.0.1/"),
    ],
)
def test_t33_entries_httpx_already_honours(
    env: typing.Callable[[dict[str, str]], None], no_proxy: str, url: str
) -> None:
    env({"ALL_PROXY": PROXY, "NO_PROXY": no_proxy})
    assert our_choice(url) is None
    assert httpx_choice(url) is None


def test_leading_dot_key_differs_from_httpx(env: typing.Callable[[dict[str, str]], None]) -> None:
    env({"NO_PROXY": ".corp.example"})
    assert get_environment_proxies() == {"all://*corp.example": None}
    assert httpx_utils.get_environment_proxies() == {"all://*.corp.example": None}


def test_ipv6_cidr_key_differs_from_httpx(env: typing.Callable[[dict[str, str]], None]) -> None:
    env({"NO_PROXY": "fd00::/8"})
    assert get_environment_proxies() == {"all://[fd00::]/8": None}
    assert httpx_utils.get_environment_proxies() == {"all://[fd00::/8]": None}


# --- MountTable and select_mount -----------------------------------------------------------


def test_empty_table_selects_nothing() -> None:
    table: MountTable[str] = MountTable()
    assert not table and len(table) == 0
    assert table.select(URL("https://example.com")) == (False, None)


def test_table_picks_most_specific_and_none_means_direct() -> None:
    table = MountTable(
        {
            "all://": "everything",
            "https://": "tls",
            "all://*example.com": None,
            "http://example.com:8080": "special",
        }
    )
    assert table.select(URL("ftp://x/")) == (True, "everything")
    assert table.select(URL("https://x/")) == (True, "tls")
    assert table.select(URL("https://www.example.com/")) == (True, None)
    assert table.select(URL("http://example.com:8080/")) == (True, "special")
    assert [p.pattern for p in table] == [
        "http://example.com:8080",
        "all://*example.com",
        "https://",
        "all://",
    ]
    assert table.values() == ["special", None, "tls", "everything"]
    # Repeated lookups (served from the per-origin cache) give the same answers.
    for _ in range(3):
        assert table.select(URL("https://www.example.com/other")) == (True, None)
        assert table.select(URL("http://example.com:8080/again")) == (True, "special")


def test_table_accepts_pairs_and_patterns_later_value_wins_keeps_position() -> None:
    table: MountTable[str] = MountTable(
        [
            (URLPattern("all://a.example"), "first"),
            ("all://b.example", "b"),
            ("all://a.example", "second"),
        ]
    )
    assert table.items() == [
        (URLPattern("all://a.example"), "second"),
        (URLPattern("all://b.example"), "b"),
    ]
    assert table.select(URL("http://a.example")) == (True, "second")
    assert table.select(URL("http://c.example")) == (False, None)


def test_table_selection_equals_linear_scan_over_many_origins() -> None:
    keys = [f"all://host{i}.example" for i in range(50)] + ["all://*.example", "http://"]
    table = MountTable({k: k for k in keys})
    rng = random.Random(7)
    for _ in range(3000):  # more distinct origins than the cache holds
        scheme = rng.choice(["http", "https"])
        url = URL(f"{scheme}://host{rng.randint(0, 2000)}.example:{rng.randint(1, 3)}/")
        assert table.select(url) == select_mount(url, table.items())
    assert table.select(URL("http://host7.example")) == (True, "all://host7.example")
    assert table.select(URL("http://other")) == (True, "http://")
    assert table.select(URL("https://other")) == (False, None)


def test_table_cache_tells_origins_apart() -> None:
    table = MountTable({"http://example.com:8080": "port", "https://": "tls", "all://": "any"})
    for _ in range(2):
        assert table.select(URL("http://example.com:8080/")) == (True, "port")
        assert table.select(URL("http://example.com/")) == (True, "any")
        assert table.select(URL("https://example.com:8080/")) == (True, "tls")
        assert table.select(URL("http://www.example.com:8080/")) == (True, "any")


def test_select_mount_uses_the_given_order() -> None:
    mounts = [(URLPattern("all://"), 1), (URLPattern("all://x"), 2)]
    assert select_mount(URL("http://x"), mounts) == (True, 1)
    assert select_mount(URL("http://x"), sorted(mounts)) == (True, 2)
    assert select_mount(URL("http://x"), []) == (False, None)
