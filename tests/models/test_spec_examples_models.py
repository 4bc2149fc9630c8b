"""SPEC-httpx §4 "Other models (summary)" as executable examples: every operation it lists on
`URL`, `QueryParams`, `Headers` and `Cookies`, against faststream and httpx 0.28.1 (see
test_spec_examples for the scheme). 26 statements checked.
"""

from __future__ import annotations

import http.cookiejar
from types import ModuleType
from typing import Any

import pytest

RICH = "https://user:p%40ss@Example.ORG:8080/pa th/x;p=1?a=1&b=2#frag"

# ---------------------------------------------------------------------------------------------
# URL


@pytest.mark.parametrize(
    ("given", "normalised"),
    [
        # (quirk: the default port is dropped only when the scheme is given lower-case)
        ("HTTPS://EXAMPLE.org:443/a/../b/./c", "https://example.org:443/b/c"),
        ("https://EXAMPLE.org:443/a/../b", "https://example.org/b"),
        ("http://example.org:80", "http://example.org"),
        ("http://example.org", "http://example.org"),
        ("https://例え.jp/ä?q=ü#f ä", "https://xn--r8jz45g.jp/%C3%A4?q=%C3%BC#f%20%C3%A4"),
        ("http://exa mple.com", "http://exa%20mple.com"),
        ("HTTP://a.b/%7e%41", "http://a.b/%7e%41"),
    ],
)
def test_4_url_parse_normalise(httpx: ModuleType, given: str, normalised: str) -> None:
    assert str(httpx.URL(given)) == normalised


def test_4_url_scheme_host_port_path_query_fragment(httpx: ModuleType) -> None:
    url = httpx.URL(RICH)
    assert (url.scheme, url.host, url.port) == ("https", "example.org", 8080)
    assert (url.path, url.query, url.fragment) == ("/pa th/x;p=1", b"a=1&b=2", "frag")
    assert httpx.URL("https://example.org/").port is None  # the default port is not given


def test_4_url_raw_path_netloc_userinfo_username_password(httpx: ModuleType) -> None:
    url = httpx.URL(RICH)
    assert url.raw_path == b"/pa%20th/x;p=1?a=1&b=2"
    assert url.netloc == b"example.org:8080"
    assert url.userinfo == b"user:p%40ss"
    assert (url.username, url.password) == ("user", "p@ss")


def test_4_url_params_raw_host_raw_scheme(httpx: ModuleType) -> None:
    url = httpx.URL(RICH)
    assert isinstance(url.params, httpx.QueryParams)
    assert url.params == httpx.QueryParams("a=1&b=2")
    assert (url.raw_host, url.raw_scheme) == (b"example.org", b"https")
    idna = httpx.URL("https://例え.jp/")
    assert (idna.host, idna.raw_host) == ("例え.jp", b"xn--r8jz45g.jp")
    ipv6 = httpx.URL("http://[::1]:8000/")
    assert (ipv6.host, ipv6.raw_host, ipv6.netloc) == ("::1", b"::1", b"[::1]:8000")


@pytest.mark.parametrize(
    ("given", "absolute"),
    [("https://e.com/", True), ("/p", False), ("p?x", False), ("//e.com/p", False), ("", False)],
)
def test_4_url_is_absolute_is_relative(httpx: ModuleType, given: str, absolute: bool) -> None:
    url = httpx.URL(given)
    assert (url.is_absolute_url, url.is_relative_url) == (absolute, not absolute)


@pytest.mark.parametrize(
    ("ref", "joined"),
    [
        ("d", "https://e.com/a/b/d"),
        ("../d", "https://e.com/a/d"),
        ("/d", "https://e.com/d"),
        ("?x=2", "https://e.com/a/b/c?x=2"),
        ("#f", "https://e.com/a/b/c?q=1#f"),
        ("//o.com/z", "https://o.com/z"),
        ("https://p.com", "https://p.com"),
    ],
)
def test_4_url_join(httpx: ModuleType, ref: str, joined: str) -> None:
    assert str(httpx.URL("https://e.com/a/b/c?q=1").join(ref)) == joined
    assert str(httpx.URL("https://e.com/a/b/c?q=1").join(httpx.URL(ref))) == joined


@pytest.mark.parametrize(
    ("change", "result"),
    [
        ({"scheme": "http"}, "http://e.com/a?q=1#f"),
        ({"host": "o.org", "port": 81}, "https://o.org:81/a?q=1#f"),
        ({"path": "/z"}, "https://e.com/z?q=1#f"),
        ({"query": b"x=1"}, "https://e.com/a?x=1#f"),
        ({"fragment": "g"}, "https://e.com/a?q=1#g"),
        ({"username": "u", "password": "p"}, "https://u:p@e.com/a?q=1#f"),
        ({"params": {"a": "b"}}, "https://e.com/a?a=b#f"),
        ({"netloc": b"n.com:9"}, "https://n.com:9/a?q=1#f"),
        ({"raw_path": b"/r?s=1"}, "https://e.com/r?s=1#f"),
    ],
)
def test_4_url_copy_with(httpx: ModuleType, change: dict[str, Any], result: str) -> None:
    assert str(httpx.URL("https://e.com/a?q=1#f").copy_with(**change)) == result


def test_4_url_copy_with_unknown_keyword_type_error(httpx: ModuleType) -> None:
    with pytest.raises(TypeError) as error:
        httpx.URL("https://e.com").copy_with(bogus=1)
    assert str(error.value) == "'bogus' is an invalid keyword argument for URL()"


def test_4_url_copy_set_add_remove_merge_params(httpx: ModuleType) -> None:
    url = httpx.URL("https://e.com/?a=1&a=2&b=3")
    assert str(url.copy_set_param("a", "9")) == "https://e.com/?a=9&b=3"
    assert str(url.copy_add_param("a", "9")) == "https://e.com/?a=1&a=2&a=9&b=3"
    assert str(url.copy_remove_param("a")) == "https://e.com/?b=3"
    assert str(url.copy_merge_params({"b": "4", "c": "5"})) == "https://e.com/?a=1&a=2&b=4&c=5"
    assert str(url) == "https://e.com/?a=1&a=2&b=3"  # copies: the URL is unchanged


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("http://[::1", "Invalid port: ':1'"),
        ("https://example.org:abc/", "Invalid port: 'abc'"),
        ("https://1.2.3.999/", "Invalid IPv4 address: '1.2.3.999'"),
        (
            "https://exa\x00mple.org",
            "Invalid non-printable ASCII character in URL, '\\x00' at position 11.",
        ),
        (
            "http://example.org/\n",
            "Invalid non-printable ASCII character in URL, '\\n' at position 19.",
        ),
    ],
)
def test_4_url_invalid_url_on_bad_input(httpx: ModuleType, given: str, message: str) -> None:
    with pytest.raises(httpx.InvalidURL) as error:
        httpx.URL(given)
    assert str(error.value) == message


def test_4_url_bad_type_type_error(httpx: ModuleType) -> None:
    with pytest.raises(TypeError):
        httpx.URL(123)


# ---------------------------------------------------------------------------------------------
# QueryParams


def test_4_queryparams_immutable(httpx: ModuleType) -> None:
    params = httpx.QueryParams("a=1")
    with pytest.raises(RuntimeError) as error:
        params["a"] = "2"
    assert str(error.value) == (
        "QueryParams are immutable since 0.18.0. Use `q = q.set(key, value)` to create an "
        "updated copy."
    )
    assert not hasattr(params, "__delitem__")
    assert hash(params) == hash(httpx.QueryParams("a=1"))


def test_4_queryparams_get_get_list(httpx: ModuleType) -> None:
    params = httpx.QueryParams("a=1&a=2&b=3")
    assert (params.get("a"), params.get("z"), params.get("z", "d")) == ("1", None, "d")
    assert (params["a"], params.get_list("a"), params.get_list("z")) == ("1", ["1", "2"], [])


def test_4_queryparams_keys_values_items_multi_items(httpx: ModuleType) -> None:
    params = httpx.QueryParams("a=1&a=2&b=3")
    assert list(params.keys()) == ["a", "b"]
    assert list(params.values()) == ["1", "3"]
    assert list(params.items()) == [("a", "1"), ("b", "3")]
    assert params.multi_items() == [("a", "1"), ("a", "2"), ("b", "3")]
    assert (len(params), "a" in params, list(params)) == (2, True, ["a", "b"])


def test_4_queryparams_set_add_remove_merge_return_copies(httpx: ModuleType) -> None:
    params = httpx.QueryParams("a=1&a=2&b=3")
    assert str(params.set("a", "9")) == "a=9&b=3"
    assert str(params.add("a", "9")) == "a=1&a=2&a=9&b=3"
    assert str(params.remove("a")) == "b=3"
    assert str(params.merge({"b": "4", "c": "5"})) == "a=1&a=2&b=4&c=5"
    assert str(params) == "a=1&a=2&b=3"
    assert repr(params) == "QueryParams('a=1&a=2&b=3')"


def test_4_queryparams_value_types(httpx: ModuleType) -> None:
    params = httpx.QueryParams({"a": [1, True, None, 2.5], "b": "x y"})
    assert str(params) == "a=1&a=true&a=&a=2.5&b=x+y"


# ---------------------------------------------------------------------------------------------
# Headers

HEADERS = [("Content-Type", "text/plain"), ("X-A", "1, 2"), ("x-a", "3"), ("Set-Cookie", "s=1")]


def test_4_headers_case_insensitive(httpx: ModuleType) -> None:
    headers = httpx.Headers(HEADERS)
    assert headers["content-type"] == headers["CONTENT-TYPE"] == "text/plain"
    assert "x-A" in headers and headers.get("SET-cookie") == "s=1"
    assert httpx.Headers({"A": "1"}) == {"a": "1"}


def test_4_headers_multi_dict_keeps_raw_bytes_and_order(httpx: ModuleType) -> None:
    headers = httpx.Headers(HEADERS)
    assert headers.raw == [
        (b"Content-Type", b"text/plain"),
        (b"X-A", b"1, 2"),
        (b"x-a", b"3"),
        (b"Set-Cookie", b"s=1"),
    ]
    assert headers["x-a"] == "1, 2, 3"  # repeated keys joined
    assert list(headers.keys()) == ["content-type", "x-a", "set-cookie"]
    assert len(headers) == 4  # one per item


def test_4_headers_multi_items(httpx: ModuleType) -> None:
    assert httpx.Headers(HEADERS).multi_items() == [
        ("content-type", "text/plain"),
        ("x-a", "1, 2"),
        ("x-a", "3"),
        ("set-cookie", "s=1"),
    ]


def test_4_headers_get_list_split_commas(httpx: ModuleType) -> None:
    headers = httpx.Headers(HEADERS)
    assert headers.get_list("X-A") == ["1, 2", "3"]
    assert headers.get_list("x-a", split_commas=True) == ["1", "2", "3"]
    assert headers.get_list("missing") == []


def test_4_headers_mutable_multi_dict(httpx: ModuleType) -> None:
    headers = httpx.Headers([("X-A", "1"), ("x-a", "3")])
    headers["X-B"] = "2"
    del headers["x-a"]
    assert headers.raw == [(b"X-B", b"2")]


def test_4_headers_encoding(httpx: ModuleType) -> None:
    assert httpx.Headers([(b"a", b"ascii")]).encoding == "ascii"
    utf8 = httpx.Headers([(b"a", "é".encode())])
    assert (utf8.encoding, utf8["a"]) == ("utf-8", "é")
    latin = httpx.Headers([(b"a", "é".encode("latin-1"))])
    assert (latin.encoding, latin["a"], latin.raw) == ("iso-8859-1", "é", [(b"a", b"\xe9")])
    forced = httpx.Headers([(b"a", "é".encode())])
    forced.encoding = "latin-1"
    assert forced["a"] == "Ã©"


def test_4_headers_sensitive_values_masked_in_repr(httpx: ModuleType) -> None:
    headers = httpx.Headers(
        [("Authorization", "Bearer x"), ("proxy-authorization", "y"), ("a", "b")]
    )
    assert repr(headers) == (
        "Headers({'authorization': '[secure]', 'proxy-authorization': '[secure]', 'a': 'b'})"
    )
    assert repr(httpx.Headers([("a", "1"), ("a", "2")])) == "Headers([('a', '1'), ('a', '2')])"
    assert headers["authorization"] == "Bearer x"  # masked in repr only


# ---------------------------------------------------------------------------------------------
# Cookies


def test_4_cookies_cookiejar_backed(httpx: ModuleType) -> None:
    cookies = httpx.Cookies({"a": "1"})
    assert isinstance(cookies.jar, http.cookiejar.CookieJar)
    assert [(c.name, c.value) for c in cookies.jar] == [("a", "1")]
    jar = http.cookiejar.CookieJar()
    shared = httpx.Cookies(jar)
    shared.set("b", "2", domain="e.com")
    assert [c.name for c in jar] == ["b"]  # the jar given is used, not copied


def test_4_cookies_mutable_mapping(httpx: ModuleType) -> None:
    cookies = httpx.Cookies({"a": "1"})
    assert (cookies["a"], cookies.get("a"), cookies.get("z", "d")) == ("1", "1", "d")
    assert (len(cookies), list(cookies), "a" in cookies, bool(cookies)) == (1, ["a"], True, True)
    cookies["x"] = "2"
    cookies.set("y", "3", domain="e.com", path="/p")
    del cookies["x"]
    cookies.delete("y", domain="e.com", path="/p")
    assert dict(cookies) == {"a": "1"}
    cookies.clear()
    cookies.update({"w": "4"})
    assert dict(cookies) == {"w": "4"}
    assert repr(cookies) == "<Cookies[<Cookie w=4 for  />]>"


def test_4_cookies_cookie_conflict_on_ambiguous_get(httpx: ModuleType) -> None:
    cookies = httpx.Cookies()
    cookies.set("a", "1", domain="x.com")
    cookies.set("a", "2", domain="y.com")
    with pytest.raises(httpx.CookieConflict) as error:
        cookies.get("a")
    assert str(error.value) == "Multiple cookies exist with name=a"
    with pytest.raises(httpx.CookieConflict):
        _ = cookies["a"]
    assert (cookies.get("a", domain="x.com"), cookies.get("a", domain="y.com")) == ("1", "2")
