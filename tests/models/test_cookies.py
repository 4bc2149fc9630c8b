"""`Cookies`: httpx 0.28.1's behaviour, compared with httpx, and the jar adapters working with
duck-typed request/response objects (faststream's Request/Response later)."""

from __future__ import annotations

import dataclasses
import typing
from http.cookiejar import CookieJar

import httpx
import pytest

from faststream._cookies import Cookies
from faststream._exceptions import CookieConflict
from faststream._headers import Headers


def jar_state(cookies: typing.Any) -> list[tuple[typing.Any, ...]]:
    """Every attribute of every cookie in the jar, in jar order."""
    return [
        (
            c.version,
            c.name,
            c.value,
            c.port,
            c.port_specified,
            c.domain,
            c.domain_specified,
            c.domain_initial_dot,
            c.path,
            c.path_specified,
            c.secure,
            c.expires,
            c.discard,
            c.comment,
            c.comment_url,
            c._rest,
            c.rfc2109,
        )
        for c in cookies.jar
    ]


def observe(cookies: typing.Any) -> dict[str, typing.Any]:
    return {
        "jar": jar_state(cookies),
        "repr": repr(cookies),
        "len": len(cookies),
        "iter": list(cookies),
        "bool": bool(cookies),
    }


def outcome(call: typing.Callable[[], typing.Any]) -> str:
    try:
        return repr(call())
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"


CONSTRUCTIONS: list[typing.Any] = [
    None,
    {},
    {"a": "1", "b": "2"},
    [("x", "1"), ("x", "2")],
    [("a", "1"), ("b", "")],
]


@pytest.mark.parametrize("given", CONSTRUCTIONS, ids=repr)
def test_construction_matches_httpx(given: typing.Any) -> None:
    assert observe(Cookies(given)) == observe(httpx.Cookies(given))


def test_from_cookies_copies_into_a_new_jar_and_from_a_jar_shares_it() -> None:
    jar = CookieJar()
    shared = Cookies(jar)
    assert shared.jar is jar
    shared["a"] = "1"
    copied = Cookies(shared)
    assert copied.jar is not jar
    copied["b"] = "2"
    assert list(shared) == ["a"]
    assert observe(copied) == observe(httpx.Cookies(httpx.Cookies({"a": "1", "b": "2"})))


def test_any_mapping_or_sequence_of_pairs_is_accepted() -> None:
    # httpx only handles dict and list (a tuple or another Mapping becomes a broken "jar").
    class Mapped(typing.Mapping[str, str]):
        def __getitem__(self, key: str) -> str:
            return {"a": "1"}[key]

        def __iter__(self) -> typing.Iterator[str]:
            return iter(["a"])

        def __len__(self) -> int:
            return 1

    assert dict(Cookies(Mapped())) == {"a": "1"}
    assert dict(Cookies((("a", "1"),))) == {"a": "1"}


def _populate(c: typing.Any) -> None:
    c.set("a", "1")
    c.set("b", "2")
    c.set("a", "3", domain="example.com")
    c.set("p", "4", domain=".example.org", path="/x")
    c.set("q", "5", domain="example.org", path="")


# Operations applied to a populated jar in both libraries.
OPERATIONS: list[tuple[str, typing.Callable[[typing.Any], typing.Any]]] = [
    ("get-conflict", lambda c: c.get("a")),
    ("getitem-conflict", lambda c: c["a"]),
    ("get-domain", lambda c: c.get("a", domain="example.com")),
    ("get-empty-domain", lambda c: c.get("a", domain="")),
    ("get-path-conflict", lambda c: c.get("a", path="/")),
    ("get-domain-path", lambda c: c.get("p", domain=".example.org", path="/x")),
    ("get-missing", lambda c: c.get("zz")),
    ("get-missing-default", lambda c: c.get("zz", "d")),
    ("getitem-missing", lambda c: c["zz"]),
    ("getitem", lambda c: c["b"]),
    ("delete-name", lambda c: c.delete("a")),
    ("delete-domain", lambda c: c.delete("a", domain="example.com")),
    ("delete-path", lambda c: c.delete("p", path="/x")),
    ("delete-exact", lambda c: c.delete("p", domain=".example.org", path="/x")),
    ("delete-exact-missing", lambda c: c.delete("p", domain="nope", path="/")),
    ("delete-missing", lambda c: c.delete("zz")),
    ("delitem", lambda c: c.__delitem__("b")),
    ("delitem-missing", lambda c: c.__delitem__("zz")),
    ("setitem", lambda c: c.__setitem__("b", "new")),
    ("clear", lambda c: c.clear()),
    ("clear-domain", lambda c: c.clear("example.com")),
    ("clear-domain-missing", lambda c: c.clear("nope")),
    ("clear-domain-path", lambda c: c.clear(".example.org", "/x")),
    ("clear-path-only", lambda c: type(c.clear(path="/")).__name__),
    ("update-dict", lambda c: c.update({"n": "1", "b": "9"})),
    ("update-list", lambda c: c.update([("n", "1")])),
    ("update-none", lambda c: c.update(None)),
    ("pop", lambda c: c.pop("b")),
    ("keys", lambda c: list(c.keys())),
    ("contains", lambda c: ("b" in c, "zz" in c)),
    ("eq-dict", lambda c: c == {"b": "2"}),
]


@pytest.mark.parametrize(("operation"), [o[1] for o in OPERATIONS], ids=[o[0] for o in OPERATIONS])
def test_operations_match_httpx(operation: typing.Callable[[typing.Any], typing.Any]) -> None:
    ours, theirs = Cookies(), httpx.Cookies()
    _populate(ours)
    _populate(theirs)
    ours_outcome, theirs_outcome = (
        outcome(lambda: operation(ours)),
        outcome(lambda: operation(theirs)),
    )
    # httpx's bare `assert` has no message; ours says what is wrong.
    if theirs_outcome == "AssertionError: ":
        assert ours_outcome.startswith("AssertionError: ")
    else:
        assert ours_outcome == theirs_outcome
    assert observe(ours) == observe(theirs)


def test_update_from_cookies_matches_httpx() -> None:
    ours, theirs = Cookies({"a": "1"}), httpx.Cookies({"a": "1"})
    ours.update(Cookies({"b": "2"}))
    theirs.update(httpx.Cookies({"b": "2"}))
    assert observe(ours) == observe(theirs)


def test_conflict_is_a_cookie_conflict() -> None:
    c = Cookies()
    c.set("a", "1", domain="one.example")
    c.set("a", "2", domain="two.example")
    with pytest.raises(CookieConflict, match="Multiple cookies exist with name=a"):
        c["a"]
    assert c.get("a", domain="two.example") == "2"


def test_equality_and_mapping_behaviour() -> None:
    assert Cookies({"a": "1"}) == Cookies({"a": "1"})
    assert Cookies({"a": "1"}) == {"a": "1"}
    assert Cookies({"a": "1"}) != {"a": "2"}
    assert not Cookies()
    assert dict(Cookies([("a", "1"), ("b", "2")])) == {"a": "1", "b": "2"}


def test_clear_path_without_domain_raises_even_with_assertions_disabled() -> None:
    with pytest.raises(AssertionError, match="needs a domain"):
        Cookies({"a": "1"}).clear(path="/")


# --- the jar adapters ----------------------------------------------------------------------


@dataclasses.dataclass
class FakeRequest:
    """What `Cookies` needs of a request: faststream's `Request` will look like this."""

    method: str
    url: str
    headers: Headers


@dataclasses.dataclass
class FakeResponse:
    headers: Headers
    request: FakeRequest


SET_COOKIES = [
    "s=1; Path=/",
    "t=2; Domain=example.com; HttpOnly",
    "u=3; Max-Age=0",
    "v=4; Secure",
    "w=5; Path=/a/deeper",
    "x=6; Domain=other.org",
    "y=7; Expires=Wed, 09 Jun 2100 10:18:14 GMT",
    "z",
]

# (response URL, request URL, headers already on the request)
EXCHANGES = [
    ("https://example.com/a/b", "https://example.com/a/q", {}),
    ("https://example.com/a/b", "http://example.com/a/q", {}),
    ("https://example.com/a/b", "https://sub.example.com/", {}),
    ("https://example.com/a/b", "https://example.com/a/deeper/x", {}),
    ("https://example.com/a/b", "https://other.org/", {}),
    ("https://example.com/a/b", "https://example.com/", {"Cookie": "keep=me"}),
    ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/x", {"X-Other": "1"}),
]


@pytest.mark.parametrize(("response_url", "request_url", "request_headers"), EXCHANGES)
def test_extract_and_send_match_httpx(
    response_url: str, request_url: str, request_headers: dict[str, str]
) -> None:
    set_cookie = [("Set-Cookie", value) for value in SET_COOKIES]

    theirs = httpx.Cookies()
    theirs.extract_cookies(
        httpx.Response(200, headers=set_cookie, request=httpx.Request("GET", response_url))
    )
    their_request = httpx.Request("GET", request_url, headers=request_headers)
    theirs.set_cookie_header(their_request)

    ours = Cookies()
    host = httpx.URL(response_url).netloc.decode()
    ours.extract_cookies(
        FakeResponse(Headers(set_cookie), FakeRequest("GET", response_url, Headers({"Host": host})))
    )
    host = httpx.URL(request_url).netloc.decode()
    our_request = FakeRequest("GET", request_url, Headers({"Host": host, **request_headers}))
    ours.set_cookie_header(our_request)

    assert jar_state(ours) == jar_state(theirs)
    assert repr(ours) == repr(theirs)
    assert our_request.headers.raw == their_request.headers.raw


def test_set_cookie_header_adds_cookie_to_the_request_headers() -> None:
    c = Cookies({"session": "abc"})
    request = FakeRequest("GET", "http://anything.test/", Headers({"Host": "anything.test"}))
    c.set_cookie_header(request)
    assert request.headers["cookie"] == "session=abc"


def test_existing_cookie_header_is_left_alone() -> None:
    c = Cookies({"session": "abc"})
    request = FakeRequest("GET", "http://anything.test/", Headers({"Cookie": "mine=1"}))
    c.set_cookie_header(request)
    assert request.headers.get_list("cookie") == ["mine=1"]


def test_repeated_set_cookie_fields_are_all_stored() -> None:
    request = FakeRequest("GET", "https://example.com/", Headers())
    response = FakeResponse(Headers([("Set-Cookie", "a=1"), ("set-cookie", "b=2")]), request)
    c = Cookies()
    c.extract_cookies(response)
    assert dict(c) == {"a": "1", "b": "2"}
    assert [cookie.domain for cookie in c.jar] == ["example.com", "example.com"]


def test_cookies_are_not_sent_to_another_domain_or_over_http_when_secure() -> None:
    request = FakeRequest("GET", "https://example.com/", Headers())
    response = FakeResponse(
        Headers([("Set-Cookie", "a=1; Secure"), ("Set-Cookie", "b=2")]), request
    )
    c = Cookies()
    c.extract_cookies(response)
    plain = FakeRequest("GET", "http://example.com/", Headers())
    c.set_cookie_header(plain)
    assert plain.headers["cookie"] == "b=2"
    elsewhere = FakeRequest("GET", "https://evil.example/", Headers())
    c.set_cookie_header(elsewhere)
    assert "cookie" not in elsewhere.headers
