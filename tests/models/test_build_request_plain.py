"""`build_request` for a plain call (a URL string, nothing else) gives the request the general
path gives, and httpx's: same method, URL, headers in order, extensions and body, also after
the client's base URL, headers, params or cookies change between calls."""

from __future__ import annotations

import typing

import httpx
import pytest

import faststream


def _shape(request: typing.Any) -> tuple[object, ...]:
    # The User-Agent names the library (a deliberate difference); all else is compared.
    headers = [
        (name, b"agent" if name == b"User-Agent" else value) for name, value in request.headers.raw
    ]
    return (
        request.method,
        str(request.url),
        headers,
        request.extensions,
        request.content,
    )


@pytest.mark.parametrize("method", ["GET", "get", "POST", "PUT", "PATCH", "DELETE", "HEAD"])
@pytest.mark.parametrize(
    ("base_url", "url"),
    [
        ("", "http://example.org/a?b=c"),
        ("", "https://example.org:8443/"),
        ("", "http://[::1]:8080/x"),
        ("", "http://xn--r8jz45g.jp/"),
        ("http://example.org/api", "/items?x=1"),
        ("http://example.org/api/", "items"),
        ("http://user:pw@example.org", "/secret"),
    ],
)
def test_plain_call_matches_general_path_and_httpx(method: str, base_url: str, url: str) -> None:
    with faststream.Client(base_url=base_url) as client, httpx.Client(base_url=base_url) as ref:
        for _ in range(2):  # the second call reuses what the first one parsed
            plain = client.build_request(method, url)
            general = client.build_request(method, url, headers={})
            assert _shape(plain) == _shape(general)
            assert _shape(plain) == _shape(ref.build_request(method, url))


def test_plain_call_follows_changes_to_the_client() -> None:
    with faststream.Client(base_url="http://one.example/") as client:
        assert str(client.build_request("GET", "/p").url) == "http://one.example/p"
        client.base_url = "http://two.example/v1/"
        assert str(client.build_request("GET", "/p").url) == "http://two.example/v1/p"

        client.headers["X-Token"] = "abc"
        client.headers["Host"] = "override.example"
        request = client.build_request("GET", "/p")
        assert request.headers["X-Token"] == "abc"
        assert request.headers.get_list("Host") == ["override.example"]

        client.params = {"q": "1"}
        assert client.build_request("GET", "/p").url.query == b"q=1"
        client.params = None

        client.cookies.set("session", "s1")
        assert client.build_request("GET", "/p").headers["Cookie"] == "session=s1"


def test_plain_request_headers_are_its_own() -> None:
    # A request's headers are a copy: changing them leaves the client's and the next
    # request's alone.
    with faststream.Client() as client:
        first = client.build_request("GET", "http://example.org/")
        first.headers["X-Once"] = "1"
        first.extensions["timeout"]["read"] = 1.0
        second = client.build_request("GET", "http://example.org/")
        assert "X-Once" not in second.headers
        assert "X-Once" not in client.headers
        assert second.extensions["timeout"]["read"] == 5.0


def test_plain_call_with_a_per_call_timeout() -> None:
    with faststream.Client(timeout=3.0) as client, httpx.Client(timeout=3.0) as ref:
        ours = client.build_request("GET", "http://example.org/", timeout=7.0)
        theirs = ref.build_request("GET", "http://example.org/", timeout=7.0)
        assert ours.extensions == theirs.extensions


def test_a_subclass_merging_its_own_way_is_honoured() -> None:
    class Pinned(faststream.Client):
        def _merge_url(self, url: faststream.URL | str) -> faststream.URL:
            return faststream.URL("http://pinned.example/always")

    with Pinned() as client:
        request = client.build_request("GET", "http://example.org/")
        assert str(request.url) == "http://pinned.example/always"
        assert request.headers["Host"] == "pinned.example"


def test_many_urls_stay_correct_past_the_remembered_ones() -> None:
    with faststream.Client() as client:
        for number in range(600):
            url = f"http://h{number % 300}.example/{number}"
            request = client.build_request("GET", url)
            assert str(request.url) == url
            assert request.headers["Host"] == f"h{number % 300}.example"
