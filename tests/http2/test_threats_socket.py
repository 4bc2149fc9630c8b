"""Hostile HTTP/2 servers over a real socket (the scripted server writing frames past h2):
forbidden heads, a header-list bomb, an endless CONTINUATION run, DATA past the flow-control
window, PING and SETTINGS floods. Each fails its request with `RemoteProtocolError` after a
bounded amount of work, and the client goes on with a new connection."""

from __future__ import annotations

import re

import anyio
import h2  # noqa: F401  # the http2 extra, installed wherever these tests run: missing is an error
import pytest

import faststream
from tests.client._backends import BACKENDS, run_on
from tests.servers.h2_raw import H2Server

HOSTILE = {  # path: what the error says
    "/upper-header": "uppercase header name",
    "/te-header": "Connection-specific header field",
    "/late-pseudo": "pseudo-header field out of sequence",
    "/header-bomb": r"header list larger than .*102400",
    "/continuation-flood": "Too many continuation frames",
    "/ping-flood": "More than 1000 PING/SETTINGS frames",
    "/settings-flood": "More than 1000 PING/SETTINGS frames",
}
TIMEOUT = faststream.Timeout(10.0)  # far more than any of these takes: a hang fails


@pytest.mark.parametrize("path", list(HOSTILE))
def test_sync_hostile_server_is_a_protocol_error(path: str) -> None:
    with H2Server() as server:
        url = f"http://127.0.0.1:{server.port}"
        with faststream.Client(http1=False, http2=True, timeout=TIMEOUT) as client:
            with pytest.raises(faststream.RemoteProtocolError, match=HOSTILE[path]) as caught:
                client.get(f"{url}{path}").read()
            assert str(caught.value.request.url).endswith(path)
            assert client.get(f"{url}/bytes/3").content == b"abc"


@pytest.mark.parametrize("backend", BACKENDS)
def test_async_hostile_servers_are_protocol_errors(backend: str) -> None:
    failed: dict[str, str] = {}

    async def main() -> None:
        async with faststream.AsyncClient(http1=False, http2=True, timeout=TIMEOUT) as client:
            with anyio.fail_after(30):
                for path in HOSTILE:
                    try:
                        await client.get(f"{url}{path}")
                    except faststream.RemoteProtocolError as exc:
                        failed[path] = str(exc)
                    assert (await client.get(f"{url}/bytes/3")).content == b"abc"

    with H2Server() as server:
        url = f"http://127.0.0.1:{server.port}"
        run_on(backend, main)
    assert list(failed) == list(HOSTILE)
    for path, message in failed.items():
        assert re.search(HOSTILE[path], message), path


def test_data_past_the_window_fails_the_connection() -> None:
    """DATA beyond a stalled stream's window (the consumer reads nothing, so the window is
    never reopened) is a FLOW_CONTROL_ERROR, seen as soon as another stream's read brings it
    in: nothing past the window is buffered, every stream of the connection fails."""
    with H2Server() as server:
        url = f"http://127.0.0.1:{server.port}"
        with faststream.Client(http1=False, http2=True, timeout=TIMEOUT) as client:
            with client.stream("GET", f"{url}/window-overrun") as stalled:
                assert stalled.status_code == 200
                with pytest.raises(faststream.RemoteProtocolError, match="HTTP/2 protocol"):
                    client.get(f"{url}/bytes/3")
                with pytest.raises(faststream.RemoteProtocolError):
                    stalled.read()
            assert client.get(f"{url}/bytes/3").content == b"abc"
        assert server.connections_accepted == 2
