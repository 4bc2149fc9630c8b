"""`URL`: parsing, normalisation, errors, copy_with and join.

Most tests are differential: every attribute of faststream's URL must equal httpx
0.28.1's for the same input, or both must raise the same exception class with the same
message. The rest pin user-visible facts with literal expected values.
"""

from __future__ import annotations

import functools
import itertools
import pickle
import random
import typing

import httpx
import pytest

from faststream._exceptions import InvalidURL
from faststream._urlparse import MAX_URL_LENGTH
from faststream._urls import URL, QueryParams

ATTRIBUTES = (
    "scheme",
    "raw_scheme",
    "userinfo",
    "username",
    "password",
    "host",
    "raw_host",
    "port",
    "netloc",
    "path",
    "query",
    "raw_path",
    "fragment",
    "is_absolute_url",
    "is_relative_url",
)


def outcome(get: typing.Callable[[], object]) -> object:
    """The value `get()` returns, or the class name and message of what it raises."""
    try:
        return get()
    except Exception as exc:
        return ("raises", type(exc).__name__, str(exc))


def snapshot(make: typing.Callable[[], typing.Any]) -> object:
    """Everything observable about the URL `make()` builds, or the error it raises."""
    try:
        url = make()
    except Exception as exc:
        return ("raises", type(exc).__name__, str(exc))
    seen: dict[str, object] = {"str": str(url), "repr": repr(url)}
    for name in ATTRIBUTES:
        seen[name] = outcome(functools.partial(getattr, url, name))
    seen["params"] = outcome(lambda: url.params.multi_items())
    seen["equals its string"] = outcome(lambda: url == str(url))
    return seen


def same_as_httpx(url: str, **kwargs: typing.Any) -> None:
    assert snapshot(lambda: URL(url, **kwargs)) == snapshot(lambda: httpx.URL(url, **kwargs))


def short_id(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# fmt: off
URL_STRINGS = [
    # schemes
    "http://example.com", "HTTP://EXAMPLE.COM", "HtTpS://Example.Com/Path", "https://example.com/",
    "ws://h:80/", "wss://h:443/", "ws://h:443/", "ftp://h:21/", "ftp://h:22/", "https://h:80/",
    "HTTP://h:80/", "HTTPS://h:443/", "file:///etc/passwd", "file://host/share/x", "mailto:a@b.c",
    "urn:isbn:0451450523", "data:text/plain,hi%20there", "javascript:alert(1)",
    "git+ssh://git@github.com/o/r.git", "a.b-c+d://h/x", "1http://h", "-x://h", "+:b", "x:y:z",
    "http:", "http:/", "http:a", "http:/a", "http:///a", "http:////a", "http:?q", "http:#f", ":",
    "::", ":a", "::a", "s:", "a:", "localhost:8000", "localhost:8000/p", "127.0.0.1:80", "é:x",
    "a:b:c",
    # userinfo
    "http://user@h", "http://user:pass@h", "http://:pass@h", "http://user:@h", "http://:@h",
    "http://@h", "http://u:p:q@h", "http://a@b@h", "http://a@b:1@c:2/", "http://u@h:p@x",
    "http://user%40mail:p%3Ass@h", "http://us er:pa ss@h", "http://ü:ö@h",
    "http://u!$&'()*+,;=:p@h", "http://u%zz:p%@h", "http://[u]:p@h", "http://u/x@h", "http://u?x@h",
    "http://u#x@h", "http://u\\x@h", "http://u:p@", "http://user@/", 'http://u"<>`{}|^:p@h',
    "//u:p@h", "//u@:80",
    # hosts
    "http://a", "http://A.B.C", "http://a.b.c.", "http://a..b/", "http://-a-/", "http://a_b/",
    "http://A%42C/", "http://a b/", 'http://a"b/', "http://a<b/", "http://a`b/", "http://a{b}/",
    "http://a|b/", "http://a\\b/", "http://a^b/", "http://a%/", "http://a%zz/", "http://ü.com",
    "http://Ü.COM", "http://xn--tda.com", "http://XN--TDA.COM", "http://www.xn--tda.com",
    "http://xn--zz.com", "http://xn--a.com", "http://xn--.com", "http://a.ß.de", "http://☃.net",
    "http://例え.テスト", "http://ς.gr", "http://Σ.gr", "http://ü..com", "http://ü.com.", "http://.ü",
    "http://ü_x.com", "http://ü x.com", "http://ü%41.com", "http://\u200d.com",
    "http://a\u0300.com", "http://ﬁ.com", "http://Ⅷ.com", "http://ｅｘａｍｐｌｅ.com", "http://ü。com",
    "http://١.٢.٣.٤", "http://1.2.3.٤", "http://" + "a" * 64 + "ü.com", "http://" + "ü" * 70,
    "http://xn--tda.ü.com", "http://xn--ü.com", "http://İ.com", "http://ü:80/", "http://ü@x/",
    "http://\ud800/",
    # IPv4
    "http://1.2.3.4/", "http://1.2.3.4:0/", "http://0.0.0.0/", "http://255.255.255.255/",
    "http://1.2.3.256/", "http://256.256.256.256:80/", "http://999.1.1.1/", "http://01.2.3.4/",
    "http://1.2.3.04/", "http://1.2.3.1234/", "http://1.2.3/", "http://1.2.3.4.5/",
    "http://1.2.3.4./", "http://0x1.2.3.4/", "http://1.2.3.4a/", "http://a1.2.3.4/",
    "http://1.2.3.-1/", "http://1.2.3.999:x/",
    # IPv6
    "http://[::1]/", "http://[::1]:8080/", "http://[::1]:80/", "http://[::]/",
    "http://[0:0:0:0:0:0:0:1]/", "http://[::ffff:1.2.3.4]/", "http://[::FFFF:1.2.3.4]/",
    "http://[FE80::A]/", "http://[::1.2.3.4]/", "http://[fe80::1%25eth0]/",
    "http://[fe80::1%eth0]/", "http://[fe80::1%25]/", "http://[::1%]/", "http://[::1% ]/",
    "http://[::1%é]/", "http://[::1%25%41]/", "http://[::1%x/y]/", "http://[::g]/",
    "http://[1::2::3]/", "http://[12345::]/", "http://[]/", "http://[1.2.3.4]/", "http://[v1.x]/",
    "http://[::1]x/", "http://[::1]:x/", "http://[::1]]/", "http://[[::1]/", "http://[::1/",
    "http://::1]/", "http://[:80", "//[::1", "http://[::1]@a/", "http://u@[::1]:5/",
    "http://[::g]:x/a", "http://[::1]::80/", "http://[::1]:/",
    # ports
    "http://h:8080/", "http://h:0/", "http://h:65535/", "http://h:65536/", "http://h:99999/",
    "http://h:-1/", "http://h:x/", "http://h:/", "http://h:0080/", "http://h:080/", "http://h:8 0/",
    "http://h: 80/", "http://h:+80/", "http://h:٣/", "http://h:1_0/", "http://h:０/",
    "http://h:1:2/", "http://h::1/", "http://h:80:/", "http://h:80x", "http://h:" + "9" * 30 + "/",
    "http://:80/", "http://:/", "http://@/", "http://@:80/", "//:80/a", "//h:x/a", "a://b:c/d",
    # paths
    "http://h/a/./b", "http://h/a/../../b", "http://h/..", "http://h/.", "http://h/a/.",
    "http://h/a/..", "http://h/a/../", "http://h/./", "http://h/../a", "http://h/a/%2e%2e/b",
    "http://h/a/.../b", "http://h/a//../b", "http://h/a/./../b/.", "http://h/.a/..b/",
    "http://h/./.", "http://h/a/b/../../..", "http://h/a/b/c/../../", "http://h/a/..//b",
    "http://h//", "http://h//a//b", "http://h/a b", "http://h/a%20b", "http://h/%zz%41%2f",
    "http://h/100% sure", "http://h/%", "http://h/%2", "http://h/%%41", "http://h/%e9%E9",
    "http://h/%u00e9", "http://h/パス", "http://h/é/ü", "http://h/\u0085\u2028",
    "http://h/\U0001f600", "http://h/a;b=c,d", "http://h/!$&'()*+,;=:@", 'http://h/"<>`{}|',
    "http://h/[]\\^", "http://h/~_-.", "http://h/a\ud800", "s:a/../b", "s:./a", "s:../a", "s:.",
    "s:..", "s:a/..", "s:./", "s:../../x", "mailto:/a/./b",
    # queries
    "http://h?", "http://h?x", "http://h/?a=1&b=2", "http://h/?a=1 2", "http://h/?a=%20&b=+",
    "http://h/?q=%", "http://h/?q=%zz", "http://h/??", "http://h/?a?b", "http://h/?é=ü",
    'http://h/?"<>`{}|', "http://h/?!$&'()*+,;=:@/?[]\\^", "http://h/?a#b?c", "http://h?q:x",
    "http://h/?a=1&a=2&b", "http://h/?&&", "http://h/?=x", "http://h/?a;b=c", "http://h/?\udfff",
    # fragments
    "http://h#", "http://h#x", "http://h/#a b", "http://h/#a#b", "http://h/#%", "http://h/#é",
    'http://h/#"<>`{}|', "http://h/#!$&'()*+,;=:@/?[]\\^", "http://h#x:y", "http://h/?#",
    "http://h/?q#f?g",
    # relative references
    "", ".", "..", "../a", "./a", "a", "a/b", "/", "/a/b?c", "/a/./b", "//", "///a", "////a", "//h",
    "//h/p", "?x", "#y", "?", "#", "?x#y", "a b", "%zz", "/é", "1:b", "a/b:c", ";x", "g;x?y#s",
    # control characters anywhere (THREATS.md T27)
    "http://h/a\rb", "http://h/a\nb", "http://h/a\x00b", "http://h/a\tb", "http://h/\x7f",
    "http://h\r\n/", "http://h/?a=\nb", "http://h/#\x1f", "http://u\x00:p@h/", "\nhttp://h/",
    "http://h/\x80", "http://h/\x9f",
]
# fmt: on

GENERATED_SCHEMES = ["http", "https", "HTTP", "ws", "foo", ""]
GENERATED_AUTHORITIES = [None, "", "h", "u:p@h:80", "[::1]:443", "例え.jp", "1.2.3.4:8080", "@:0"]
GENERATED_PATHS = ["", "/", "/a/./b/../c", "/ sp", "/%7e%zz", "x", "/é", "//a", ":x"]
GENERATED_QUERIES = [None, "", "a=1&b= 2", "#"]
GENERATED_FRAGMENTS = [None, "", "f g"]


def assemble(
    scheme: str, authority: str | None, path: str, query: str | None, fragment: str | None
) -> str:
    return "".join(
        [
            f"{scheme}:" if scheme else "",
            "" if authority is None else f"//{authority}",
            path,
            "" if query is None else f"?{query}",
            "" if fragment is None else f"#{fragment}",
        ]
    )


# Pieces for the seeded random test: delimiters, escapes, IDNA, IP literals and
# control characters, glued together at random.
# fmt: off
RANDOM_TOKENS = [
    "http", "HTTP", "https", "ws", "a", "B", "://", "//", "/", ":", "@", "[", "]", "::1", "%",
    "%41", "%zz", "%2e", "?", "#", ".", "..", "ü", "Ü", "xn--tda", "例", "☃", " ", '"', "<", "`",
    "{", "|", "\\", "^", "0", "80", "443", "-1", "+", "=", "&", ";", "'", "\x00", "\n", "\x7f",
    "\u2028", "ß", "1.2.3.4", "256", "01", ".com", "é", "\u200d", "。", "Σ", "[::1]", "u:p@", "%3A",
    "1",
]
# fmt: on


@pytest.mark.parametrize("url", URL_STRINGS, ids=short_id)
def test_url_string_same_as_httpx(url: str) -> None:
    same_as_httpx(url)


def test_url_table_is_large_and_has_both_outcomes() -> None:
    rejected = [
        url for url in URL_STRINGS if isinstance(snapshot(functools.partial(URL, url)), tuple)
    ]
    assert len(URL_STRINGS) >= 300
    assert 40 <= len(rejected) <= len(URL_STRINGS) - 200


def test_generated_component_combinations_same_as_httpx() -> None:
    mismatches = []
    product = itertools.product(
        GENERATED_SCHEMES,
        GENERATED_AUTHORITIES,
        GENERATED_PATHS,
        GENERATED_QUERIES,
        GENERATED_FRAGMENTS,
    )
    for parts in product:
        url = assemble(*parts)
        if snapshot(functools.partial(URL, url)) != snapshot(functools.partial(httpx.URL, url)):
            mismatches.append(url)
    assert mismatches == []


def test_random_urls_same_as_httpx() -> None:
    rng = random.Random(3986)
    mismatches = []
    for _ in range(3000):
        url = "".join(rng.choice(RANDOM_TOKENS) for _ in range(rng.randint(0, 10)))
        if rng.random() < 0.5:
            url = rng.choice(["http://", "HTTP://", "//", "s:"]) + url
        if snapshot(functools.partial(URL, url)) != snapshot(functools.partial(httpx.URL, url)):
            mismatches.append(url)
    assert mismatches == []


# -- user-visible facts, with literal expectations ---------------------------------------


def test_components_of_a_full_url() -> None:
    url = URL("HTTPS://User:P%40ss@Example.COM:8443/a/./b/../c d?q=1&q=2#frag ment")
    assert url.scheme == "https"
    assert url.raw_scheme == b"https"
    assert url.userinfo == b"User:P%40ss"
    assert (url.username, url.password) == ("User", "P@ss")
    assert url.host == "example.com"
    assert url.port == 8443
    assert url.netloc == b"example.com:8443"
    assert url.path == "/a/c d"
    assert url.raw_path == b"/a/c%20d?q=1&q=2"
    assert url.query == b"q=1&q=2"
    assert url.params == QueryParams("q=1&q=2")
    assert url.fragment == "frag ment"
    assert str(url) == "https://User:P%40ss@example.com:8443/a/c%20d?q=1&q=2#frag%20ment"
    assert repr(url) == "URL('https://User:[secure]@example.com:8443/a/c%20d?q=1&q=2#frag%20ment')"
    assert url.is_absolute_url and not url.is_relative_url


def test_default_ports_are_dropped() -> None:
    assert URL("http://h:80/").port is None
    assert URL("https://h:443/").port is None
    assert str(URL("wss://h:443/")) == "wss://h/"
    assert URL("https://h:80/").port == 80
    # httpx compares against the scheme as written.
    assert URL("HTTP://h:80/").port == 80


def test_idna_hosts() -> None:
    url = URL("https://例え.テスト/")
    assert url.host == "例え.テスト"
    assert url.raw_host == b"xn--r8jz45g.xn--zckzah"
    assert str(url) == "https://xn--r8jz45g.xn--zckzah/"
    assert URL("http://xn--tda.com").host == "ü.com"
    with pytest.raises(InvalidURL, match=r"^Invalid IDNA hostname: '☃\.net'$"):
        URL("http://☃.net")


def test_ip_literals() -> None:
    url = URL("http://[fe80::1%25eth0]:8080/")
    assert url.host == "fe80::1%25eth0"
    assert url.netloc == b"[fe80::1%25eth0]:8080"
    assert URL("http://h/").copy_with(host="::1").netloc == b"[::1]"
    with pytest.raises(InvalidURL, match=r"^Invalid IPv4 address: '1\.2\.3\.256'$"):
        URL("http://1.2.3.256/")
    with pytest.raises(InvalidURL, match=r"^Invalid IPv6 address: '\[::g\]'$"):
        URL("http://[::g]/")
    with pytest.raises(InvalidURL, match=r"^Invalid port: 'x'$"):
        URL("http://h:x/")


CONTROL_CHARACTERS = [chr(code) for code in range(0x20)] + ["\x7f"]


@pytest.mark.parametrize("char", CONTROL_CHARACTERS, ids=lambda c: f"0x{ord(c):02x}")
@pytest.mark.parametrize(
    "template",
    [
        "http://h/a{}b",
        "http://h/?q={}",
        "http://h/#{}",
        "http://h{}x/",
        "http://u{}@h/",
        "{}http://h/",
        "/relative{}",
    ],
)
def test_control_characters_anywhere_are_rejected(char: str, template: str) -> None:
    """THREATS.md T27: CR, LF, NUL and the other C0 controls never reach the wire."""
    url = template.format(char)
    position = url.index(char)
    message = f"Invalid non-printable ASCII character in URL, {char!r} at position {position}."
    with pytest.raises(InvalidURL) as info:
        URL(url)
    assert str(info.value) == message


@pytest.mark.parametrize("char", ["\r", "\n", "\x00"])
@pytest.mark.parametrize(
    ("component", "value"),
    [
        ("path", "/a{}"),
        ("fragment", "a{}"),
        ("host", "a{}"),
        ("scheme", "a{}"),
        ("query", b"a{}"),
        ("raw_path", b"/a{}"),
        ("userinfo", b"a{}"),
    ],
)
def test_control_characters_in_components_are_rejected(
    char: str, component: str, value: str | bytes
) -> None:
    if isinstance(value, bytes):
        given: str | bytes = value.replace(b"{}", char.encode())
    else:
        given = value.replace("{}", char)
    name = {"raw_path": "path"}.get(component, component)
    message = (
        f"Invalid non-printable ASCII character in URL {name} component, {char!r} at position "
    )
    with pytest.raises(InvalidURL, match="^" + message.replace("\\", "\\\\")):
        URL("http://h/").copy_with(**{component: given})


def test_no_accepted_url_contains_a_control_character() -> None:
    rng = random.Random(27)
    for _ in range(2000):
        text = "".join(rng.choice(RANDOM_TOKENS) for _ in range(rng.randint(1, 8)))
        try:
            url = URL("http://h/" + text)
        except (InvalidURL, UnicodeError):
            continue
        rendered = str(url) + url.raw_path.decode() + url.raw_host.decode()
        assert not any(ord(c) < 0x20 or c == "\x7f" for c in rendered)
        assert "\r" not in rendered and "\n" not in rendered


def test_url_length_limit() -> None:
    assert MAX_URL_LENGTH == 65536
    assert len(str(URL("http://h/" + "x" * (MAX_URL_LENGTH - 9)))) == MAX_URL_LENGTH
    with pytest.raises(InvalidURL, match="^URL too long$"):
        URL("http://h/" + "x" * (MAX_URL_LENGTH - 8))
    with pytest.raises(httpx.InvalidURL, match="^URL too long$"):
        httpx.URL("http://h/" + "x" * (MAX_URL_LENGTH - 8))
    with pytest.raises(InvalidURL, match="^URL component 'path' too long$"):
        URL("http://h/").copy_with(path="/" + "x" * MAX_URL_LENGTH)
    with pytest.raises(InvalidURL, match="^URL component 'query' too long$"):
        URL("http://h/").copy_with(query=b"x" * (MAX_URL_LENGTH + 1))
    assert URL("http://h/").copy_with(path="/" + "x" * (MAX_URL_LENGTH - 1)).path.startswith("/x")


def test_equality_and_hash() -> None:
    url = URL("http://a/b?c=1")
    assert url == "http://a/b?c=1"
    assert url == "HTTP://A/b?c=1"
    assert url == URL("http://a:80/b?c=1")
    assert url != "http://a/b?c=2"
    assert url != 5
    assert url != b"http://a/b?c=1"
    assert hash(url) == hash("http://a/b?c=1")
    assert len({URL("http://a/"), URL("HTTP://a/"), URL("http://a:80/"), URL("http://b/")}) == 2
    with pytest.raises(InvalidURL):
        url == "http://a:x/"  # noqa: B015
    with pytest.raises(TypeError):
        url < URL("http://b/")  # type: ignore[operator]  # noqa: B015


def test_repr_masks_the_password() -> None:
    assert repr(URL("http://u:p@h/")) == "URL('http://u:[secure]@h/')"
    assert repr(URL("http://u:p:q@h/")) == "URL('http://u:[secure]@h/')"
    assert repr(URL("http://:@h/")) == "URL('http://:[secure]@h/')"
    assert repr(URL("http://u@h/")) == "URL('http://u@h/')"
    assert str(URL("http://u:p@h/")) == "http://u:p@h/"


def test_urls_are_immutable_and_picklable() -> None:
    url = URL("http://h/p")
    with pytest.raises(AttributeError):
        url.host = "other"  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(url)) == url
    assert URL(url) == url


def test_wrong_argument_types() -> None:
    with pytest.raises(TypeError) as info:
        URL(123)  # type: ignore[arg-type]
    assert str(info.value) == (
        "Invalid type for url.  Expected str or httpx.URL, got <class 'int'>: 123"
    )
    with pytest.raises(
        TypeError, match=r"^'authority' is an invalid keyword argument for URL\(\)$"
    ):
        URL("http://h/", authority="x")
    with pytest.raises(TypeError, match=r"^Argument 'port' must be int but got str$"):
        URL("http://h/", port="80")
    with pytest.raises(TypeError, match=r"^Argument 'query' must be bytes but got str$"):
        URL("http://h/").copy_with(query="a=1")


# fmt: off
KEYWORD_VARIANTS: list[dict[str, typing.Any]] = [
    {}, {"scheme": "HTTPS"}, {"scheme": "ht tp"}, {"scheme": "1a"}, {"scheme": ""},
    {"scheme": None}, {"username": "x"}, {"password": "y"},
    {"username": "a b", "password": "c@d:e"}, {"username": None}, {"username": "\n"},
    {"userinfo": b"z:w"}, {"userinfo": b"a@b"}, {"userinfo": b"x:y", "username": "n"},
    {"host": "b.org"}, {"host": "a/b"}, {"host": "a:1"}, {"host": "::1"}, {"host": "[::1]:8"},
    {"host": "ü.de"}, {"host": ""}, {"host": "a@b"}, {"port": None}, {"port": 80}, {"port": -5},
    {"port": 70000}, {"port": True}, {"port": "80"}, {"netloc": b"n.com:99"},
    {"netloc": b"u@n.com"}, {"netloc": b"[::1]:5"}, {"netloc": b":5"}, {"netloc": None},
    {"netloc": b"h:80", "scheme": "https"}, {"path": "/x y"}, {"path": "x"}, {"path": ""},
    {"path": "/a?b"}, {"path": "/a#b"}, {"path": "/a/../b"}, {"path": "//x"}, {"path": ":x"},
    {"path": "/é"}, {"path": b"/x"}, {"query": b"a=b c"}, {"query": None}, {"query": b""},
    {"query": b"a#b"}, {"query": b"\xc3\xa9"}, {"raw_path": b"/r?s=t"}, {"raw_path": b"r?"},
    {"raw_path": b"/r"}, {"raw_path": b"/r?s", "path": "/pp"}, {"fragment": "a b#c"},
    {"fragment": None}, {"params": {"a": 1}}, {"params": None}, {"params": {}}, {"params": "z=1"},
    {"params": [("a", True)]}, {"query": b"z", "params": {"a": 1}}, {"bogus": 1},
    {"path": "/\n", "fragment": "\n"}, {"fragment": "\n", "path": "/\n"},
]
# fmt: on

KEYWORD_CASES = [
    (base, kwargs)
    for base in ["http://u:p@a.com:8080/p/q?x=1#f", "", "HTTP://A:80", "//h/x", "a/b", "http:////a"]
    for kwargs in KEYWORD_VARIANTS
]


@pytest.mark.parametrize(("base", "kwargs"), KEYWORD_CASES, ids=short_id)
def test_copy_with_same_as_httpx(base: str, kwargs: dict[str, typing.Any]) -> None:
    def ours() -> URL:
        return URL(base).copy_with(**kwargs)

    def theirs() -> httpx.URL:
        return httpx.URL(base).copy_with(**kwargs)

    assert snapshot(ours) == snapshot(theirs)


@pytest.mark.parametrize(("base", "kwargs"), KEYWORD_CASES, ids=short_id)
def test_url_with_keywords_same_as_httpx(base: str, kwargs: dict[str, typing.Any]) -> None:
    same_as_httpx(base, **kwargs)


def test_copy_with_examples() -> None:
    url = URL("https://u:p@example.com/a?b=1#c")
    assert url.copy_with(scheme="http", port=8080) == "http://u:p@example.com:8080/a?b=1#c"
    assert url.copy_with(username="x") == "https://x@example.com/a?b=1#c"
    assert url.copy_with(raw_path=b"/r?s") == "https://u:p@example.com/r?s#c"
    assert url.copy_with(params={"z": [1, 2]}) == "https://u:p@example.com/a?z=1&z=2#c"
    assert url.copy_with() is not url and url.copy_with() == url
    with pytest.raises(InvalidURL, match="^Invalid URL component 'path'$"):
        url.copy_with(path="/a?b")
    with pytest.raises(
        InvalidURL, match="^For absolute URLs, path must be empty or begin with '/'$"
    ):
        url.copy_with(path="relative")
    with pytest.raises(InvalidURL, match="^Relative URLs cannot have a path starting with '//'$"):
        URL(path="//x")


def test_param_helpers() -> None:
    url = URL("http://h/p?a=1&a=2&b=3")
    assert url.copy_set_param("a", 9) == "http://h/p?a=9&b=3"
    assert url.copy_add_param("b", None) == "http://h/p?a=1&a=2&b=3&b="
    assert url.copy_remove_param("a") == "http://h/p?b=3"
    assert url.copy_merge_params({"c": True}) == "http://h/p?a=1&a=2&b=3&c=true"
    assert URL("http://h/", params={"q": "a b/é"}) == "http://h/?q=a+b%2F%C3%A9"
    assert URL("http://h/?x=1", params={}) == "http://h/"


RFC3986_BASE = "http://a/b/c/d;p?q"

# RFC 3986 §5.4.1 (normal) and §5.4.2 (abnormal) examples.
# fmt: off
RFC3986_EXAMPLES = {
    "g:h": "g:h", "g": "http://a/b/c/g", "./g": "http://a/b/c/g", "g/": "http://a/b/c/g/",
    "/g": "http://a/g", "//g": "http://g", "?y": "http://a/b/c/d;p?y", "g?y": "http://a/b/c/g?y",
    "#s": "http://a/b/c/d;p?q#s", "g#s": "http://a/b/c/g#s", "g?y#s": "http://a/b/c/g?y#s",
    ";x": "http://a/b/c/;x", "g;x": "http://a/b/c/g;x", "g;x?y#s": "http://a/b/c/g;x?y#s",
    "": "http://a/b/c/d;p?q", ".": "http://a/b/c/", "./": "http://a/b/c/", "..": "http://a/b/",
    "../": "http://a/b/", "../g": "http://a/b/g", "../..": "http://a/", "../../": "http://a/",
    "../../g": "http://a/g", "../../../g": "http://a/g", "../../../../g": "http://a/g",
    "/./g": "http://a/g", "/../g": "http://a/g", "g.": "http://a/b/c/g.", ".g": "http://a/b/c/.g",
    "g..": "http://a/b/c/g..", "..g": "http://a/b/c/..g", "./../g": "http://a/b/g",
    "./g/.": "http://a/b/c/g/", "g/./h": "http://a/b/c/g/h", "g/../h": "http://a/b/c/h",
    "g;x=1/./y": "http://a/b/c/g;x=1/y", "g;x=1/../y": "http://a/b/c/y",
    "g?y/./x": "http://a/b/c/g?y/./x", "g?y/../x": "http://a/b/c/g?y/../x",
    "g#s/./x": "http://a/b/c/g#s/./x", "g#s/../x": "http://a/b/c/g#s/../x",
    # RFC 3986 allows this non-strict reading "for backward compatibility"; httpx uses it.
    "http:g": "http://a/b/c/g",
}
# fmt: on


@pytest.mark.parametrize(("reference", "expected"), RFC3986_EXAMPLES.items(), ids=short_id)
def test_join_rfc3986_examples(reference: str, expected: str) -> None:
    joined = URL(RFC3986_BASE).join(reference)
    assert str(joined) == expected
    assert str(joined) == str(httpx.URL(RFC3986_BASE).join(reference))
    assert str(URL(RFC3986_BASE).join(URL(reference))) == expected


# fmt: off
JOIN_BASES = [
    "http://a/b/c/d;p?q", "foo://a/b/c", "http://a", "https://u:p@h:8/x/y?z#f", "/rel/path", "",
    "mailto:x", "HTTP://A/b/c", "http://[::1]:8/a/", "https://例え.jp/a/b",
]
# fmt: on
# fmt: off
JOIN_REFERENCES = [
    "g", "../g", "//g", "/g", "?y", "#s", "", "..", "../../../g", "http:g", "HTTPS://X/y",
    "foo:bar", "//x:80/y", "a b", "é", "../%2e%2e/x", "//[::1]/z", "g?q=a b#f g", ".",
    "//u:p@other/", "https://例え.jp/", "./g/.", "?", "#",
]
# fmt: on


def joined(cls: typing.Any, base: str, reference: str) -> str:
    return str(cls(base).join(reference))


def test_join_table_same_as_httpx() -> None:
    mismatches = []
    for base, reference in itertools.product(JOIN_BASES, JOIN_REFERENCES):
        ours = outcome(functools.partial(joined, URL, base, reference))
        theirs = outcome(functools.partial(joined, httpx.URL, base, reference))
        if ours != theirs:
            mismatches.append((base, reference, ours, theirs))
    assert mismatches == []


def test_join_returns_urls_and_checks_its_argument() -> None:
    assert isinstance(URL("http://a/b").join("c"), URL)
    assert URL("https://a/b/c").join("../d") == "https://a/d"
    with pytest.raises(TypeError, match="^Invalid type for url"):
        URL("http://a/").join(5)  # type: ignore[arg-type]
