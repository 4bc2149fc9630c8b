"""`get()` reaches the network without `request()` when nothing replaced it, and through
whatever replaced it otherwise: SDKs subclass the client and override `request`, and tests
patch it on the class or the instance. Each case runs with faststream and httpx 0.28.1 (the
oracle), with `Client` and with `AsyncClient` on asyncio.
"""

from __future__ import annotations

import asyncio
import typing
import warnings

import pytest

from tests.servers.app import AppServer

Calls = list[tuple[str, str, dict[str, typing.Any]]]


def _sync_subclass(httpx: typing.Any, calls: Calls) -> typing.Any:
    class Recording(httpx.Client):  # type: ignore[misc]
        def request(self, method: str, url: typing.Any, **kwargs: typing.Any) -> typing.Any:
            calls.append((method, str(url), kwargs))
            return super().request(method, url, **kwargs)

    return Recording


def _async_subclass(httpx: typing.Any, calls: Calls) -> typing.Any:
    class Recording(httpx.AsyncClient):  # type: ignore[misc]
        async def request(self, method: str, url: typing.Any, **kwargs: typing.Any) -> typing.Any:
            calls.append((method, str(url), kwargs))
            return await super().request(method, url, **kwargs)

    return Recording


def test_get_calls_a_subclass_request(httpx: typing.Any, app_server: AppServer) -> None:
    url = app_server.url + "/echo"
    calls: Calls = []
    with _sync_subclass(httpx, calls)() as client:
        response = client.get(url, params={"a": "1"}, headers={"X-Y": "z"})
    assert response.json()["target"] == "/echo?a=1"

    async def main() -> typing.Any:
        async with _async_subclass(httpx, calls)() as client:
            return await client.get(url, params={"a": "2"})

    assert asyncio.run(main()).json()["target"] == "/echo?a=2"
    assert [(method, seen) for method, seen, _ in calls] == [("GET", url), ("GET", url)]
    assert calls[0][2]["params"] == {"a": "1"} and calls[0][2]["headers"] == {"X-Y": "z"}


def test_get_calls_a_request_patched_on_the_instance(
    httpx: typing.Any, app_server: AppServer
) -> None:
    url = app_server.url + "/echo"
    calls: Calls = []
    with httpx.Client() as client:
        plain = client.request

        def recording(method: str, url: typing.Any, **kwargs: typing.Any) -> typing.Any:
            calls.append((method, str(url), kwargs))
            return plain(method, url, **kwargs)

        client.request = recording
        assert client.get(url).status_code == 200
        del client.request  # the class's own again: not recorded
        assert client.get(url).status_code == 200

    async def main() -> int:
        async with httpx.AsyncClient() as client:
            plain = client.request

            async def recording(method: str, url: typing.Any, **kwargs: typing.Any) -> typing.Any:
                calls.append((method, str(url), kwargs))
                return await plain(method, url, **kwargs)

            client.request = recording
            return int((await client.get(url)).status_code)

    assert asyncio.run(main()) == 200
    assert [(method, seen) for method, seen, _ in calls] == [("GET", url), ("GET", url)]


def test_get_calls_a_request_patched_on_the_class_after_construction(
    httpx: typing.Any, app_server: AppServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = app_server.url + "/echo"
    calls: Calls = []
    client = httpx.Client()
    async_client = httpx.AsyncClient()
    plain, async_plain = httpx.Client.request, httpx.AsyncClient.request

    def recording(self: typing.Any, method: str, url: typing.Any, **kw: typing.Any) -> typing.Any:
        calls.append((method, str(url), kw))
        return plain(self, method, url, **kw)

    async def async_recording(
        self: typing.Any, method: str, url: typing.Any, **kw: typing.Any
    ) -> typing.Any:
        calls.append((method, str(url), kw))
        return await async_plain(self, method, url, **kw)

    monkeypatch.setattr(httpx.Client, "request", recording)
    monkeypatch.setattr(httpx.AsyncClient, "request", async_recording)
    with client:
        assert client.get(url).status_code == 200

    async def main() -> int:
        async with async_client:
            return int((await async_client.get(url)).status_code)

    assert asyncio.run(main()) == 200
    assert [(method, seen) for method, seen, _ in calls] == [("GET", url), ("GET", url)]


def test_get_with_cookies_warns_at_the_caller(app_server: AppServer) -> None:
    # faststream's warning names the caller's line (httpx's names its own `get`).
    import faststream as httpx

    url = app_server.url + "/echo"
    with httpx.Client() as client, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sent = client.get(url, cookies={"a": "b"}).json()["headers"]

    async def main() -> typing.Any:
        async with httpx.AsyncClient() as client:
            return (await client.get(url, cookies={"c": "d"})).json()["headers"]

    with warnings.catch_warnings(record=True) as async_caught:
        warnings.simplefilter("always")
        async_sent = asyncio.run(main())
    for found in (caught, async_caught):
        deprecations = [w for w in found if issubclass(w.category, DeprecationWarning)]
        assert [w.filename for w in deprecations] == [__file__]
    assert ["Cookie", "a=b"] in sent and ["Cookie", "c=d"] in async_sent
