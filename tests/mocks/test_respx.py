"""respx's documented scenarios, run with `import faststream as httpx` and with httpx (the oracle).

Every test runs for both libraries and every client kind (`Client`; `AsyncClient` on asyncio,
uvloop and trio): a faststream client under a respx router is intercepted exactly as httpx's
is. Responses are given as the library's own `Response` (what code written as `import
faststream as httpx` does) and as httpx's; httpx exceptions raised by side effects arrive as
the library's exceptions of the same name.
"""

from __future__ import annotations

import gzip
import json
import re
import typing

import httpx as real_httpx
import pytest
import respx
from respx.models import AllMockedAssertionError

from tests.client._async_adapter import Mode
from tests.client._helpers import Lib
from tests.servers.app import AppServer

pytestmark = pytest.mark.usefixtures("client_mode")

URL = "https://api.example.test"


def test_context_manager_route_called(lib: Lib) -> None:
    with respx.mock:
        route = respx.get(f"{URL}/users/1").mock(return_value=lib.Response(200, json={"id": 1}))
        with lib.Client() as client:
            response = client.get(f"{URL}/users/1")
        assert response.status_code == 200
        assert response.json() == {"id": 1}
        assert route.called
        assert route.call_count == 1
        assert respx.calls.call_count == 1
        request = route.calls.last.request
        assert str(request.url) == f"{URL}/users/1"
        assert request.method == "GET"


def test_httpx_response_is_accepted(lib: Lib) -> None:
    with respx.mock:
        respx.get(URL).mock(return_value=real_httpx.Response(201, text="created"))
        with lib.Client() as client:
            response = client.get(URL)
    if Mode.current == "sync":  # an async mode hands out the adapter over the response
        assert isinstance(response, lib.Response)
    assert (response.status_code, response.text) == (201, "created")
    assert response.headers["content-type"] == "text/plain; charset=utf-8"


def test_decorator(lib: Lib) -> None:
    @respx.mock(base_url=URL)
    def scenario(respx_mock: respx.MockRouter) -> None:
        route = respx_mock.post("/items").respond(201, json={"ok": True})
        with lib.Client() as client:
            response = client.post(f"{URL}/items", json={"name": "x"})
        assert response.status_code == 201
        assert route.called
        assert json.loads(route.calls.last.request.content) == {"name": "x"}

    scenario()


def test_global_decorator(lib: Lib) -> None:
    @respx.mock
    def scenario() -> None:
        respx.get(URL) % 418
        with lib.Client() as client:
            assert client.get(URL).status_code == 418

    scenario()


def test_fixture(lib: Lib, respx_mock: respx.MockRouter) -> None:
    route = respx_mock.delete(f"{URL}/x") % dict(status_code=204)
    with lib.Client() as client:
        assert client.delete(f"{URL}/x").status_code == 204
    assert route.call_count == 1


@pytest.mark.respx(base_url=URL, assert_all_called=False)
def test_fixture_marker(lib: Lib, respx_mock: respx.MockRouter) -> None:
    respx_mock.get("/a").respond(200, text="a")
    respx_mock.get("/never").respond(200)  # not called: allowed by the marker
    with lib.Client() as client:
        assert client.get(f"{URL}/a").text == "a"


@pytest.mark.parametrize("using", ["httpcore", "httpx"])
def test_using(lib: Lib, using: str) -> None:
    with respx.mock(using=using) as router:
        route = router.get(URL).respond(200, text=using)
        with lib.Client() as client:
            assert client.get(URL).text == using
        assert route.called


def test_patterns(lib: Lib) -> None:
    with respx.mock(assert_all_called=False) as router:
        by_method = router.route(method="PUT", host="api.example.test").respond(201)
        by_params = router.get(f"{URL}/search", params={"q": "cats"}).respond(200, text="params")
        by_headers = router.get(f"{URL}/me", headers={"X-Api-Key": "secret"}).respond(
            200, text="headers"
        )
        by_regex = router.get(url__regex=r"https://api\.example\.test/v\d+/ping").respond(
            200, text="regex"
        )
        by_path = router.get(host="api.example.test", path__startswith="/files/").respond(
            200, text="path"
        )
        by_json = router.post(f"{URL}/json", json={"a": [1, 2]}).respond(200, text="json")
        with lib.Client() as client:
            assert client.put(f"{URL}/anything", content=b"x").status_code == 201
            assert client.get(f"{URL}/search", params={"q": "cats"}).text == "params"
            assert client.get(f"{URL}/me", headers={"X-Api-Key": "secret"}).text == "headers"
            with pytest.raises(AllMockedAssertionError):
                client.get(f"{URL}/me", headers={"X-Api-Key": "wrong"})
            assert client.get(f"{URL}/v2/ping").text == "regex"
            assert client.get(f"{URL}/files/a/b").text == "path"
            assert client.post(f"{URL}/json", json={"a": [1, 2]}).text == "json"
        for route in (by_method, by_params, by_headers, by_regex, by_path, by_json):
            assert route.call_count == 1
        assert router.calls.call_count == 6  # the unmatched request is not recorded


def test_named_routes(lib: Lib) -> None:
    with respx.mock(base_url=URL) as router:
        router.get("/a", name="a").respond(200, text="first")
        router["a"].respond(200, text="second")
        with lib.Client() as client:
            assert client.get(f"{URL}/a").text == "second"
        assert router["a"].called


def test_side_effect_function(lib: Lib) -> None:
    def echo(request: real_httpx.Request, user: str) -> real_httpx.Response:
        return real_httpx.Response(200, json={"user": user, "ua": request.headers["x-ua"]})

    def counted(request: real_httpx.Request, route: respx.Route) -> typing.Any:
        return lib.Response(200, text=str(route.call_count))

    with respx.mock(base_url=URL) as router:
        router.get(path__regex=r"/users/(?P<user>\w+)").mock(side_effect=echo)
        router.get("/count").mock(side_effect=counted)
        with lib.Client() as client:
            response = client.get(f"{URL}/users/ann", headers={"X-UA": "t"})
            assert response.json() == {"user": "ann", "ua": "t"}
            assert client.get(f"{URL}/count").text == "0"
            assert client.get(f"{URL}/count").text == "1"


def test_side_effect_none_falls_through(lib: Lib) -> None:
    with respx.mock(base_url=URL) as router:
        skipped = router.get("/x").mock(side_effect=lambda request: None)
        router.get("/x").respond(202)
        with lib.Client() as client:
            assert client.get(f"{URL}/x").status_code == 202
        assert skipped.call_count == 1  # respx counts the side effect's call


def test_side_effect_sequence(lib: Lib) -> None:
    with respx.mock:
        route = respx.get(URL).mock(
            side_effect=[lib.Response(500), real_httpx.Response(503), lib.Response(200)]
        )
        with lib.Client() as client:
            codes = [client.get(URL).status_code for _ in range(3)]
        assert codes == [500, 503, 200]
        assert route.call_count == 3


@pytest.mark.parametrize("raised", ["httpx class", "library class", "httpx instance"])
def test_side_effect_exception(lib: Lib, raised: str) -> None:
    effect: typing.Any = {
        "httpx class": real_httpx.ConnectError,
        "library class": lib.ConnectError,
        "httpx instance": real_httpx.ConnectError("refused"),
    }[raised]
    with respx.mock:
        route = respx.get(URL).mock(side_effect=effect)
        with lib.Client() as client:
            with pytest.raises(lib.ConnectError) as info:
                client.get(URL)
        assert isinstance(info.value, lib.TransportError)
        assert str(info.value.request.url) == URL
        assert route.called


def test_side_effect_library_exception_instance(lib: Lib) -> None:
    with respx.mock:
        respx.get(URL).mock(side_effect=lib.ReadTimeout("too slow"))
        with lib.Client() as client:
            with pytest.raises(lib.ReadTimeout, match="too slow"):
                client.get(URL)


def test_side_effect_other_exception(lib: Lib) -> None:
    with respx.mock:
        respx.get(URL).mock(side_effect=KeyError("boom"))
        with lib.Client() as client:
            with pytest.raises(KeyError):
                client.get(URL)


def test_async_side_effect(lib: Lib) -> None:
    if Mode.current == "sync":
        pytest.skip("respx awaits an async side effect only for an async client")

    async def later(request: real_httpx.Request) -> typing.Any:
        return lib.Response(200, text="awaited")

    with respx.mock:
        respx.get(URL).mock(side_effect=later)
        with lib.Client() as client:
            assert client.get(URL).text == "awaited"


def test_streamed_and_encoded_bodies(lib: Lib) -> None:
    with respx.mock(base_url=URL) as router:
        router.get("/stream").respond(200, stream=real_httpx.ByteStream(b"a\nb\nc\n"))
        router.get("/gzip").respond(
            200, content=gzip.compress(b"unzipped"), headers={"Content-Encoding": "gzip"}
        )
        with lib.Client() as client:
            with client.stream("GET", f"{URL}/stream") as response:
                assert list(response.iter_lines()) == ["a", "b", "c"]
            response = client.get(f"{URL}/gzip")
            assert response.content == b"unzipped"


def test_client_logic_runs_on_mocked_responses(lib: Lib) -> None:
    """Redirects, cookies and event hooks act on mocked responses as on the network's."""
    seen: list[int] = []
    with respx.mock(base_url=URL) as router:
        router.get("/old").respond(301, headers={"Location": f"{URL}/new"})
        router.get("/new").respond(200, text="moved", headers={"Set-Cookie": "k=v; Path=/"})
        with lib.Client(
            follow_redirects=True, event_hooks={"response": [lambda r: seen.append(r.status_code)]}
        ) as client:
            response = client.get(f"{URL}/old")
            assert response.text == "moved"
            assert [r.status_code for r in response.history] == [301]
            assert client.cookies["k"] == "v"
    assert seen == [301, 200]


def test_pass_through_reaches_the_network(lib: Lib, app_server: AppServer) -> None:
    with respx.mock:
        route = respx.get(f"{app_server.url}/bytes/5").pass_through()
        mocked = respx.get(f"{app_server.url}/echo").respond(200, text="mocked")
        with lib.Client() as client:
            assert client.get(f"{app_server.url}/bytes/5").content == bytes(range(5))
            assert client.get(f"{app_server.url}/echo").text == "mocked"
        assert route.called and mocked.called
    assert app_server.connections_accepted == 1
    assert [r.target for r in app_server.requests] == ["/bytes/5"]


def test_assert_all_called(lib: Lib) -> None:
    with pytest.raises(AssertionError, match="not called"):
        with respx.mock(assert_all_called=True) as router:
            router.get(f"{URL}/called").respond(200)
            router.get(f"{URL}/forgotten").respond(200)
            with lib.Client() as client:
                client.get(f"{URL}/called")


def test_assert_all_mocked(lib: Lib) -> None:
    with respx.mock(assert_all_mocked=True, assert_all_called=False):
        with lib.Client() as client:
            with pytest.raises(AllMockedAssertionError, match="not mocked"):
                client.get(f"{URL}/nothing")
    with respx.mock(assert_all_mocked=False) as router:
        with lib.Client() as client:
            response = client.get(f"{URL}/nothing")
        assert response.status_code == 200
        assert router.calls.call_count == 1


def test_unmatched_request_never_reaches_the_network(
    lib: Lib, app_server: AppServer, no_connect: list[object]
) -> None:
    with respx.mock(assert_all_called=False) as router:
        router.get(f"{app_server.url}/other").respond(200)
        with lib.Client() as client:
            with pytest.raises(AllMockedAssertionError):
                client.get(f"{app_server.url}/echo")
    assert no_connect == []
    assert app_server.connections_accepted == 0


def test_client_made_before_the_router(lib: Lib) -> None:
    with lib.Client() as client:
        with respx.mock:
            respx.get(URL).respond(200, text="late")
            assert client.get(URL).text == "late"


def test_router_stopped_restores_the_network(lib: Lib, app_server: AppServer) -> None:
    with respx.mock:
        respx.get(f"{app_server.url}/bytes/3").respond(200, text="mocked")
        with lib.Client() as client:
            assert client.get(f"{app_server.url}/bytes/3").text == "mocked"
    assert app_server.connections_accepted == 0
    with lib.Client() as client:
        assert client.get(f"{app_server.url}/bytes/3").content == bytes(range(3))
    assert app_server.connections_accepted == 1


def test_library_response_with_a_regex_route(lib: Lib) -> None:
    with respx.mock:
        respx.route(url=re.compile(r"^https://api\.example\.test/")).mock(
            return_value=lib.Response(200, content=b"raw", headers={"X-Mock": "1"})
        )
        with lib.Client() as client:
            response = client.get(f"{URL}/any/thing")
        assert response.content == b"raw"
        assert response.headers["x-mock"] == "1"
