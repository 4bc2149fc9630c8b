"""Client lifetime and the send path, against httpx 0.28.1.

The state machine (unopened -> opened -> closed) and its `RuntimeError`s, closing of the
transport and of mounted transports, exceptions from the transport getting the request
attached, `send()` reading (or not) the body and closing it on failure, `elapsed`, and the
sync/async mismatches.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator

import pytest

from tests.client._helpers import Lib

pytestmark = pytest.mark.usefixtures("client_mode")


def counting_transport(lib: Lib, calls: list[str], name: str) -> typing.Any:
    class Counting(lib.BaseTransport):  # type: ignore[misc,name-defined]
        def handle_request(self, request: typing.Any) -> typing.Any:
            calls.append(f"{name}.send")
            return lib.Response(200, text=name)

        def __enter__(self) -> typing.Any:
            calls.append(f"{name}.enter")
            return self

        def __exit__(self, *args: typing.Any) -> None:
            calls.append(f"{name}.exit")

        def close(self) -> None:
            calls.append(f"{name}.close")

    return Counting()


def test_with_opens_and_closes_every_transport(lib: Lib) -> None:
    calls: list[str] = []
    client = lib.Client(
        transport=counting_transport(lib, calls, "default"),
        mounts={
            "https://": counting_transport(lib, calls, "secure"),
            "http://bypass.example": None,
        },
    )
    with client as entered:
        assert entered is client
        assert client.get("https://example.org/").text == "secure"
        assert client.get("http://bypass.example/").text == "default"
    assert calls == [
        "default.enter",
        "secure.enter",
        "secure.send",
        "default.send",
        "default.exit",
        "secure.exit",
    ]
    assert client.is_closed


def test_close_closes_every_transport_once(lib: Lib) -> None:
    calls: list[str] = []
    client = lib.Client(
        transport=counting_transport(lib, calls, "default"),
        mounts={"all://": counting_transport(lib, calls, "all")},
    )
    client.close()
    client.close()
    assert calls == ["default.close", "all.close"]
    assert client.is_closed


def test_state_errors(lib: Lib) -> None:
    transport = lib.MockTransport(lambda request: lib.Response(200))
    client = lib.Client(transport=transport)
    client.get("http://example.org/")  # opened by sending
    with pytest.raises(RuntimeError, match="^Cannot open a client instance more than once.$"):
        with client:
            pass
    client.close()
    with pytest.raises(
        RuntimeError, match="^Cannot send a request, as the client has been closed.$"
    ):
        client.get("http://example.org/")
    with pytest.raises(
        RuntimeError, match="^Cannot reopen a client instance, once it has been closed.$"
    ):
        with client:
            pass

    second = lib.Client(transport=transport)
    with second:
        with pytest.raises(RuntimeError, match="more than once"):
            second.__enter__()
    assert second.is_closed
    with pytest.raises(RuntimeError, match="has been closed"):
        second.send(lib.Request("GET", "http://example.org/"))


def test_transport_errors_get_the_request(lib: Lib) -> None:
    def handler(request: typing.Any) -> typing.Any:
        raise lib.ConnectError("refused")

    with lib.Client(transport=lib.MockTransport(handler)) as client:
        with pytest.raises(lib.ConnectError, match="^refused$") as info:
            client.get("http://example.org/x")
    assert info.value.request.url == lib.URL("http://example.org/x")


def test_other_transport_errors_propagate(lib: Lib) -> None:
    def handler(request: typing.Any) -> typing.Any:
        raise KeyError("boom")

    with lib.Client(transport=lib.MockTransport(handler)) as client:
        with pytest.raises(KeyError):
            client.get("http://example.org/")


class Counted:
    def __init__(self, pieces: list[bytes], fail: bool = False) -> None:
        self.pieces = pieces
        self.fail = fail
        self.closes = 0

    def __iter__(self) -> Iterator[bytes]:
        yield from self.pieces
        if self.fail:
            raise self.error("connection lost")  # type: ignore[attr-defined]

    def close(self) -> None:
        self.closes += 1


def counted(lib: Lib, pieces: list[bytes], fail: bool = False) -> typing.Any:
    body = type("Body", (Counted, lib.SyncByteStream), {"error": lib.ReadError})(pieces, fail)
    return body


def test_send_reads_and_closes(lib: Lib) -> None:
    body = counted(lib, [b"a", b"b"])
    with lib.Client(transport=lib.MockTransport(lambda r: lib.Response(200, stream=body))) as c:
        response = c.get("http://example.org/")
        assert response.content == b"ab"
        assert response.is_closed and body.closes == 1
        assert response.elapsed.total_seconds() >= 0
        assert response.request.url == lib.URL("http://example.org/")


def test_send_stream_true_leaves_the_body_unread(lib: Lib) -> None:
    body = counted(lib, [b"a", b"b"])
    with lib.Client(transport=lib.MockTransport(lambda r: lib.Response(200, stream=body))) as c:
        response = c.send(c.build_request("GET", "http://example.org/"), stream=True)
        assert not response.is_stream_consumed and body.closes == 0
        with pytest.raises(RuntimeError, match="elapsed"):
            response.elapsed  # noqa: B018  -- set only when closed
        response.close()
        assert body.closes == 1
        assert response.elapsed.total_seconds() >= 0


def test_send_failure_while_reading_closes(lib: Lib) -> None:
    body = counted(lib, [b"partial"], fail=True)
    with lib.Client(transport=lib.MockTransport(lambda r: lib.Response(200, stream=body))) as c:
        with pytest.raises(lib.ReadError, match="connection lost") as info:
            c.get("http://example.org/")
    assert body.closes == 1
    assert info.value.request.url == lib.URL("http://example.org/")


@pytest.mark.parametrize("how", ["exit", "exception", "partial"])
def test_stream_context_closes(lib: Lib, how: str) -> None:
    body = counted(lib, [b"a", b"b", b"c"])
    with lib.Client(transport=lib.MockTransport(lambda r: lib.Response(200, stream=body))) as c:
        with pytest.raises(ZeroDivisionError) if how == "exception" else _nothing():
            with c.stream("GET", "http://example.org/") as response:
                if how == "partial":
                    next(response.iter_raw())
                if how == "exception":
                    1 / 0  # noqa: B018
        assert response.is_closed and body.closes == 1


class _nothing:
    def __enter__(self) -> None:
        pass

    def __exit__(self, *args: typing.Any) -> None:
        pass


def test_already_read_mock_response_has_no_elapsed(lib: Lib) -> None:
    # A quirk both share: the handler's response is read already, so its stream is never
    # closed by the client and `elapsed` is never set.
    with lib.Client(transport=lib.MockTransport(lambda r: lib.Response(200))) as client:
        response = client.get("http://example.org/")
    with pytest.raises(RuntimeError):
        response.elapsed  # noqa: B018


# httpx drops the handler's coroutine without closing it (faststream closes it): the
# "never awaited" warning is httpx's, raised at garbage collection.
@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_async_handler(lib: Lib) -> None:
    # A sync Client cannot await the handler: TypeError. An AsyncClient awaits it.
    async def handler(request: typing.Any) -> typing.Any:
        return lib.Response(200, text="awaited")

    with lib.Client(transport=lib.MockTransport(handler)) as client:
        if lib.mode == "sync":
            with pytest.raises(TypeError):
                client.get("http://example.org/")
        else:
            assert client.get("http://example.org/").text == "awaited"


def test_async_request_body(lib: Lib) -> None:
    async def body() -> typing.AsyncIterator[bytes]:
        yield b"x"
        yield b"y"

    transport = lib.MockTransport(lambda r: lib.Response(200, content=r.content))
    with lib.Client(transport=transport) as client:
        if lib.mode == "sync":
            with pytest.raises(
                RuntimeError,
                match="^Attempted to send an async request with a sync Client instance.$",
            ):
                client.post("http://example.org/", content=body())
        else:
            response = client.post("http://example.org/", content=body())
            assert response.content == b"xy"
            assert response.request.headers["Transfer-Encoding"] == "chunked"


def test_default_encoding_and_request_on_responses(lib: Lib) -> None:
    transport = lib.MockTransport(lambda r: lib.Response(200, content=b"\xe9"))
    with lib.Client(transport=transport, default_encoding="latin-1") as client:
        response = client.get("http://example.org/")
    assert response.encoding == "latin-1"
    assert response.text == "é"
