"""How a request body is framed on the wire, through `Client` and `AsyncClient` (on asyncio,
uvloop and trio) over loopback.

The body follows the framing its head declares, as h11 enforces it: a declared Content-Length
must be met exactly (`LocalProtocolError` for too much or too little data), a body of unknown
length goes chunked, and a Transfer-Encoding other than chunked is refused before anything is
sent. After such an error the client stays usable. Both libraries, differential (where httpx
lets an h11 exception escape, faststream raises its own `LocalProtocolError`).
"""

from __future__ import annotations

import functools
import typing
from collections.abc import AsyncIterator, Iterator
from types import ModuleType

import pytest

from tests.client._async_adapter import ASYNC_MODES, MODES
from tests.client._backends import run_on
from tests.servers.app import AppServer

pytestmark = pytest.mark.timeout(60)


def pieces(*parts: bytes) -> Iterator[bytes]:
    yield from parts


async def async_pieces(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


def send_sync(lib: ModuleType, url: str, headers: dict[str, str], *parts: bytes) -> typing.Any:
    """POST `parts` as a generator body; the echoed JSON, or the exception raised."""
    with lib.Client() as client:
        try:
            result: typing.Any = client.post(url, content=pieces(*parts), headers=headers).json()
        except Exception as exc:  # noqa: BLE001 - what the caller sees is the result
            result = exc
        after = client.get(url).json()["method"]  # the client is still usable
    return result, after


def send_async(
    backend: str, lib: ModuleType, url: str, headers: dict[str, str], *parts: bytes
) -> typing.Any:
    async def main() -> typing.Any:
        async with lib.AsyncClient() as client:
            try:
                response = await client.post(url, content=async_pieces(*parts), headers=headers)
                result: typing.Any = response.json()
            except Exception as exc:  # noqa: BLE001
                result = exc
            after = (await client.get(url)).json()["method"]
        return result, after

    return run_on(backend, main)


#: `Client`, and `AsyncClient` on each async backend.
SENDERS: dict[str, typing.Callable[..., typing.Any]] = {
    "sync": send_sync,
    **{backend: functools.partial(send_async, backend) for backend in ASYNC_MODES},
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("declared", "parts", "message"),
    [
        ("10", (b"abc", b"de"), "Too little data for declared Content-Length"),
        ("4", (b"abc", b"de"), "Too much data for declared Content-Length"),
        ("0", (b"x",), "Too much data for declared Content-Length"),
    ],
)
def test_declared_length_must_be_met(
    httpx: ModuleType,
    app_server: AppServer,
    mode: str,
    declared: str,
    parts: tuple[bytes, ...],
    message: str,
) -> None:
    result, after = SENDERS[mode](
        httpx, app_server.url + "/echo", {"Content-Length": declared}, *parts
    )
    if httpx.__name__ == "httpx":
        # httpx 0.28.1 lets h11's own exception out, not an httpx.HTTPError; faststream
        # raises its LocalProtocolError with the same message.
        assert type(result).__module__.startswith("h11")
    else:
        assert isinstance(result, httpx.LocalProtocolError)
    assert str(result) == message
    assert after == "GET"


@pytest.mark.parametrize("mode", MODES)
def test_declared_length_met_exactly(httpx: ModuleType, app_server: AppServer, mode: str) -> None:
    result, _ = SENDERS[mode](
        httpx, app_server.url + "/echo", {"Content-Length": "5"}, b"abc", b"", b"de"
    )
    assert result["body"] == "abcde"
    assert ["Content-Length", "5"] in result["headers"]
    assert not any(name.lower() == "transfer-encoding" for name, _ in result["headers"])


@pytest.mark.parametrize("mode", MODES)
def test_unknown_length_goes_chunked(httpx: ModuleType, app_server: AppServer, mode: str) -> None:
    parts = (b"first", b"", b"x" * 70_000, b"last")
    result, _ = SENDERS[mode](httpx, app_server.url + "/echo", {}, *parts)
    assert result["body_length"] == sum(map(len, parts))
    assert result["body"] == b"".join(parts).decode()
    assert ["Transfer-Encoding", "chunked"] in result["headers"]


@pytest.mark.parametrize("mode", MODES)
def test_other_transfer_encoding_is_refused(
    httpx: ModuleType, app_server: AppServer, mode: str
) -> None:
    result, after = SENDERS[mode](
        httpx, app_server.url + "/echo", {"Transfer-Encoding": "gzip"}, b"abc"
    )
    assert isinstance(result, httpx.LocalProtocolError)
    assert "Transfer-Encoding" in str(result)
    assert after == "GET"
