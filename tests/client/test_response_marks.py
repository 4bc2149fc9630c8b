"""Set-Cookie and Content-Encoding are honoured however a response's headers came to be.

The HTTP/1.1 head parser notes whether a head has those fields, so that a plain response is
not scanned for them again; a response whose headers a hook changed, or that a transport
built itself, must still have its cookies taken and its body decoded exactly as httpx does.
Each scenario runs with faststream and with httpx 0.28.1 against the same scripted loopback
server (`Client`, and `AsyncClient` on each event loop) and compares what the caller saw.
"""

from __future__ import annotations

import gzip
import typing

import pytest

from tests._helpers import LIBRARIES
from tests.client._async_adapter import Mode, _coroutine_hook
from tests.client._helpers import Lib
from tests.wire._raw_server import RawServer, Recv, Script, Send, response

BODY = b"hello, marks"
GZIPPED = gzip.compress(BODY)


def _observed(scenario: typing.Callable[[Lib, str], object], script: Script) -> object:
    """What `scenario` returns with each library; asserts they agree and returns it."""
    outcomes = {}
    for name in LIBRARIES:
        with RawServer([script]) as server:
            outcomes[name] = scenario(Lib(name), server.url)
    assert outcomes["faststream"] == outcomes["httpx"]
    return outcomes["faststream"]


def _on_response(client: typing.Any, hook: typing.Callable[[typing.Any], None]) -> None:
    if Mode.current == "sync":
        client.event_hooks["response"].append(hook)
    else:
        client._client.event_hooks["response"].append(_coroutine_hook(hook))


@pytest.mark.usefixtures("client_mode")
def test_parsed_heads_with_and_without_the_fields() -> None:
    script: Script = [
        Recv(),
        Send(response(headers=[("set-cookie", "a=1; Path=/")], body=b"one")),
        Recv(),
        Send(response(headers=[("Content-Encoding", "gzip")], body=GZIPPED)),
        Recv(),
        Send(response(headers=[("SET-COOKIE2", "b=2"), ("Set-Cookie", "c=3")], body=b"x")),
        Recv(),
        Send(response(body=b"plain")),
    ]

    def scenario(lib: Lib, url: str) -> object:
        seen = []
        with lib.Client() as client:
            for path in ("/a", "/b", "/c", "/d"):
                got = client.get(url + path)
                seen.append((got.content, dict(got.cookies), dict(client.cookies)))
        return seen

    seen = typing.cast(list[tuple[bytes, dict[str, str], dict[str, str]]],
                       _observed(scenario, script))  # fmt: skip
    assert seen[0][2] == {"a": "1"}
    assert seen[1][0] == BODY
    assert seen[3][0] == b"plain"


@pytest.mark.usefixtures("client_mode")
@pytest.mark.parametrize("change", ["add", "set", "update", "setdefault", "delete", "pop"])
def test_a_hook_changing_content_encoding_decides_the_decoding(change: str) -> None:
    # The server sends gzip bytes; the hook makes the header say so, or removes the header
    # that said so: the body is decoded according to the headers as the hook left them.
    labelled = change in ("delete", "pop")
    headers = [("Content-Encoding", "gzip")] if labelled else []
    script: Script = [Recv(), Send(response(headers=headers, body=GZIPPED))]

    def hook(got: typing.Any) -> None:
        if change == "add" or change == "set":
            got.headers["Content-Encoding"] = "gzip"
        elif change == "update":
            got.headers.update({"content-encoding": "gzip"})
        elif change == "setdefault":
            got.headers.setdefault("Content-Encoding", "gzip")
        elif change == "delete":
            del got.headers["content-encoding"]
        else:
            got.headers.pop("Content-Encoding")

    def scenario(lib: Lib, url: str) -> object:
        with lib.Client() as client:
            _on_response(client, hook)
            got = client.get(url)
            return got.content, dict(got.headers)

    content, _ = typing.cast(tuple[bytes, object], _observed(scenario, script))
    assert content == (GZIPPED if labelled else BODY)


@pytest.mark.usefixtures("client_mode")
def test_a_hook_adding_set_cookie_shows_in_the_response_cookies() -> None:
    script: Script = [Recv(), Send(response(body=b"ok"))]

    def hook(got: typing.Any) -> None:
        got.headers["Set-Cookie"] = "late=1; Path=/"

    def scenario(lib: Lib, url: str) -> object:
        with lib.Client() as client:
            _on_response(client, hook)
            got = client.get(url)
            return dict(got.cookies), dict(client.cookies)

    assert typing.cast(tuple[object, object], _observed(scenario, script))[0] == {"late": "1"}


@pytest.mark.parametrize("lib_name", LIBRARIES)
def test_responses_a_transport_builds_are_decoded_and_their_cookies_kept(lib_name: str) -> None:
    lib = Lib(lib_name)

    def handler(request: typing.Any) -> typing.Any:
        if request.url.path == "/gzip":
            return lib.Response(200, headers={"Content-Encoding": "gzip"}, content=GZIPPED)
        return lib.Response(200, headers={"Set-Cookie": "mock=1; Path=/"}, content=b"ok")

    with lib.Client(transport=lib.MockTransport(handler)) as client:
        assert client.get("http://example.test/gzip").content == BODY
        assert client.get("http://example.test/cookie").cookies["mock"] == "1"
        assert dict(client.cookies) == {"mock": "1"}
