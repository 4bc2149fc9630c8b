"""The connection pool's limits through the Client: `max_connections`, `PoolTimeout`, threads,
and what happens to a streaming response nobody closes (THREATS F5)."""

from __future__ import annotations

import gc
import threading
import warnings
from types import ModuleType

import pytest

from tests.servers.app import AppServer

pytestmark = pytest.mark.timeout(60)


def test_pool_timeout_while_a_stream_is_never_closed(
    httpx: ModuleType, app_server: AppServer
) -> None:
    limits = httpx.Limits(max_connections=1)
    timeout = httpx.Timeout(10.0, pool=0.2)
    with httpx.Client(base_url=app_server.url, limits=limits, timeout=timeout) as client:
        held = client.send(client.build_request("GET", "/bytes/100"), stream=True)
        with pytest.raises(httpx.PoolTimeout) as info:
            client.get("/echo")
        assert info.value.request.url == f"{app_server.url}/echo"
        message = str(info.value)
        if httpx.__name__ == "faststream":
            # DESIGN deviation: the message names the pool size and the connections in use
            assert "max_connections=1" in message
            assert "1 of" in message
        else:
            assert message == ""
        assert held.read() == bytes(range(100))
        held.close()
        # the slot is free again, and the connection was kept
        assert client.get("/echo").json()["connection"] == 1
    assert app_server.connections_accepted == 1


def test_pool_timeout_with_two_connections(httpx: ModuleType, app_server: AppServer) -> None:
    limits = httpx.Limits(max_connections=2)
    timeout = httpx.Timeout(10.0, pool=0.2)
    with httpx.Client(base_url=app_server.url, limits=limits, timeout=timeout) as client:
        first = client.send(client.build_request("GET", "/bytes/10"), stream=True)
        second = client.send(client.build_request("GET", "/bytes/10"), stream=True)
        with pytest.raises(httpx.PoolTimeout) as info:
            client.get("/echo")
        if httpx.__name__ == "faststream":
            assert "2 of max_connections=2" in str(info.value)
        first.read()
        first.close()
        assert client.get("/echo").json()["connection"] == 1
        second.close()
    assert app_server.connections_accepted == 2


def test_pool_timeout_is_a_timeout_exception(httpx: ModuleType, app_server: AppServer) -> None:
    limits = httpx.Limits(max_connections=1)
    with httpx.Client(base_url=app_server.url, limits=limits) as client:
        with client.stream("GET", "/bytes/10"):
            with pytest.raises(httpx.TimeoutException):
                client.get("/echo", timeout=httpx.Timeout(10.0, pool=0.1))


def test_threads_share_a_bounded_pool(httpx: ModuleType, app_server: AppServer) -> None:
    if httpx.__name__ == "httpx":
        pytest.skip(
            "httpx 0.28.1 (httpcore) fails here: with 6 threads on max_connections=2 some "
            "requests raise ReadError('[Errno 9] Bad file descriptor') and more than 2 "
            "connections are opened (a race in its sync pool, seen on every run)"
        )
    limits = httpx.Limits(max_connections=2, max_keepalive_connections=2)
    results: list[int] = []
    errors: list[BaseException] = []
    with httpx.Client(base_url=app_server.url, limits=limits, timeout=30.0) as client:

        def work() -> None:
            try:
                for _ in range(10):
                    response = client.get("/chunked/20000?size=1000")
                    results.append(len(response.content))
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(50)
    assert not errors
    assert results == [20000] * 60
    assert 1 <= app_server.connections_accepted <= 2


def test_closed_client_refuses_requests(httpx: ModuleType, app_server: AppServer) -> None:
    client = httpx.Client(base_url=app_server.url)
    client.get("/echo")
    client.close()
    with pytest.raises(RuntimeError, match="client has been closed"):
        client.get("/echo")


def leak_a_streaming_response(client: object) -> None:
    response = client.send(client.build_request("GET", "/bytes/100"), stream=True)  # type: ignore[attr-defined]
    assert response.status_code == 200


def test_unclosed_streaming_response_garbage_collected(
    httpx: ModuleType, app_server: AppServer
) -> None:
    """THREATS F5. faststream warns (ResourceWarning), closes the connection and frees its pool
    slot; httpx 0.28.1 says nothing and the slot stays leased (the next request on a
    one-connection pool times out)."""
    limits = httpx.Limits(max_connections=1)
    timeout = httpx.Timeout(10.0, pool=0.2)
    with httpx.Client(base_url=app_server.url, limits=limits, timeout=timeout) as client:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            leak_a_streaming_response(client)
            gc.collect()
        resource = [w for w in caught if issubclass(w.category, ResourceWarning)]
        if httpx.__name__ == "faststream":
            # one warning, about the response; the socket itself was closed (no "unclosed
            # <socket.socket ...>" warning from the garbage collector)
            messages = [str(w.message) for w in resource]
            assert len(messages) == 1, messages
            assert messages[0].startswith("Unclosed response to GET ")
            assert client.get("/echo").status_code == 200
            assert app_server.connections_accepted == 2
        else:
            assert resource == []
            with pytest.raises(httpx.PoolTimeout):
                client.get("/echo")
