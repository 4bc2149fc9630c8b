"""Size caps: `max_response_bytes`, `max_decoded_bytes`, `max_line_length` (faststream's).

Set on `Client`/`AsyncClient` (default None: no cap, httpx's behaviour) and per request through
`extensions`; `max_line_length` is also a keyword of `iter_lines`/`aiter_lines`. Crossing a cap
raises `ResponseTooLarge` (a `DecodingError`, request attached) after everything up to the cap
was handed out, with the response closed. These tests run in process through `MockTransport`
(a body in the pieces a transport might deliver); tests/client/test_caps_network.py runs them
over loopback on every backend. Run with FASTSTREAM_NO_EXTENSIONS=1 too (the pure twins).
"""

from __future__ import annotations

import asyncio
import gzip
import sys
import typing
import zlib

import pytest

import faststream
from tests.models._response_helpers import APieces, Pieces, compress, run_measured

BODY = bytes(range(256)) * 40  # 10240 bytes
SPLITS = {
    "one": lambda data: [data],
    "bytes": lambda data: [data[i : i + 1] for i in range(len(data))][:2000] + [data[2000:]],
    "odd": lambda data: [data[i : i + 997] for i in range(0, len(data), 997)],
}


def sync_client(
    body: bytes,
    headers: dict[str, str] | None = None,
    split: str = "odd",
    bodies: list[Pieces] | None = None,
    **caps: typing.Any,
) -> faststream.Client:
    def handler(request: faststream.Request) -> faststream.Response:
        pieces = Pieces(SPLITS[split](body))
        if bodies is not None:
            bodies.append(pieces)
        return faststream.Response(200, headers=headers, stream=pieces)

    return faststream.Client(transport=faststream.MockTransport(handler), **caps)


def async_client(
    body: bytes,
    headers: dict[str, str] | None = None,
    split: str = "odd",
    bodies: list[APieces] | None = None,
    **caps: typing.Any,
) -> faststream.AsyncClient:
    def handler(request: faststream.Request) -> faststream.Response:
        pieces = APieces(SPLITS[split](body))
        if bodies is not None:
            bodies.append(pieces)
        return faststream.Response(200, headers=headers, stream=pieces)

    return faststream.AsyncClient(transport=faststream.MockTransport(handler), **caps)


def drain(iterator: typing.Iterable[bytes], into: list[bytes]) -> None:
    for chunk in iterator:
        into.append(chunk)


# -- the exception ------------------------------------------------------------------------------


def test_response_too_large_is_a_decoding_error_exported() -> None:
    assert issubclass(faststream.ResponseTooLarge, faststream.DecodingError)
    assert "ResponseTooLarge" in faststream.__all__


@pytest.mark.parametrize(
    "caps",
    [
        {"max_decoded_bytes": -1},
        {"max_response_bytes": "10"},
        {"max_line_length": 1.5},
        {"max_decoded_bytes": True},
    ],
)
def test_a_cap_that_is_not_a_non_negative_int_is_refused_at_once(
    caps: dict[str, typing.Any],
) -> None:
    with pytest.raises(ValueError, match=next(iter(caps))):
        faststream.Client(**caps)


def test_a_bad_cap_in_extensions_is_refused_when_the_request_is_sent() -> None:
    with sync_client(BODY) as client, pytest.raises(ValueError, match="max_decoded_bytes"):
        client.get("http://example.org/", extensions={"max_decoded_bytes": -5})


# -- max_decoded_bytes --------------------------------------------------------------------------


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("coding", ["identity", "gzip", "br"])
def test_decoded_cap_hands_out_exactly_the_cap_then_raises_closed(split: str, coding: str) -> None:
    headers = {} if coding == "identity" else {"Content-Encoding": coding}
    bodies: list[Pieces] = []
    client = sync_client(
        compress(coding, BODY), headers, split, bodies=bodies, max_decoded_bytes=7000
    )
    got: list[bytes] = []
    with client, client.stream("GET", "http://example.org/x") as response:
        with pytest.raises(faststream.ResponseTooLarge) as info:
            drain(response.iter_bytes(), got)
        assert b"".join(got) == BODY[:7000]
        assert response.is_closed
        assert bodies[0].closes == 1
    assert str(info.value) == "response body exceeded max_decoded_bytes=7000"
    assert info.value.request.url == "http://example.org/x"


@pytest.mark.parametrize("cap", [len(BODY), len(BODY) + 1])
def test_a_body_of_exactly_the_cap_or_less_is_whole(cap: int) -> None:
    with sync_client(compress("gzip", BODY), {"Content-Encoding": "gzip"}) as client:
        response = client.get("http://example.org/", extensions={"max_decoded_bytes": cap})
    assert response.content == BODY


def test_decoded_cap_of_zero_allows_only_an_empty_body() -> None:
    with sync_client(b"", max_decoded_bytes=0) as client:
        assert client.get("http://example.org/").content == b""
    with sync_client(b"x", max_decoded_bytes=0) as client:
        with pytest.raises(faststream.ResponseTooLarge):
            client.get("http://example.org/")


def test_a_read_response_raises_and_is_closed() -> None:
    bodies: list[Pieces] = []
    with sync_client(BODY, bodies=bodies, max_decoded_bytes=100) as client:
        with pytest.raises(faststream.ResponseTooLarge) as info:
            client.get("http://example.org/read")
    assert info.value.request.url == "http://example.org/read"
    assert bodies[0].closes == 1


@pytest.mark.parametrize("method", ["iter_text", "iter_lines", "iter_json"])
def test_the_decoded_cap_applies_to_every_iterator(method: str) -> None:
    body = b'{"a": 1}\n' * 1000
    with sync_client(body, max_decoded_bytes=len(body) - 1) as client:
        with client.stream("GET", "http://example.org/") as response:
            with pytest.raises(faststream.ResponseTooLarge):
                for _ in getattr(response, method)():
                    pass
            assert response.is_closed


def test_extensions_set_raise_and_lift_the_clients_cap() -> None:
    with sync_client(BODY, max_decoded_bytes=100) as client:
        lifted = client.get("http://example.org/", extensions={"max_decoded_bytes": None})
        assert lifted.content == BODY
        raised = client.get("http://example.org/", extensions={"max_decoded_bytes": len(BODY)})
        assert raised.content == BODY
        with pytest.raises(faststream.ResponseTooLarge):
            client.get("http://example.org/")
    with sync_client(BODY) as client:  # no client cap: the request sets one
        with pytest.raises(faststream.ResponseTooLarge):
            client.get("http://example.org/", extensions={"max_decoded_bytes": 10})


def test_no_cap_by_default() -> None:
    big = b"z" * (3 << 20)
    with sync_client(big, split="one") as client:
        assert client.get("http://example.org/").content == big


def test_a_bomb_stops_within_one_decode_step_of_the_cap() -> None:
    # 64 MiB of zeros as one gzip piece: the decoder is asked for 64 KiB steps, so stopping at
    # 1 MB decodes at most one step more; the raw body is taken whole (one piece).
    bomb = gzip.compress(b"\0" * (64 << 20), mtime=0)
    got: list[bytes] = []
    client = sync_client(bomb, {"Content-Encoding": "gzip"}, "one", max_decoded_bytes=1_000_000)
    with client, client.stream("GET", "http://example.org/") as response:
        with pytest.raises(faststream.ResponseTooLarge):
            drain(response.iter_bytes(), got)
        assert sum(map(len, got)) == 1_000_000
        assert max(map(len, got)) <= 64 * 1024
        assert response.num_bytes_downloaded == len(bomb)


# -- max_response_bytes -------------------------------------------------------------------------


@pytest.mark.parametrize("split", SPLITS)
def test_wire_cap_counts_encoded_bytes(split: str) -> None:
    encoded = zlib.compress(BODY)
    bodies: list[Pieces] = []
    client = sync_client(
        encoded,
        {"Content-Encoding": "deflate"},
        split,
        bodies=bodies,
        max_response_bytes=len(encoded) - 1,
    )
    got: list[bytes] = []
    with client, client.stream("GET", "http://example.org/") as response:
        with pytest.raises(faststream.ResponseTooLarge) as info:
            drain(response.iter_raw(), got)
        assert b"".join(got) == encoded[:-1]
        assert response.num_bytes_downloaded == len(encoded) - 1
        assert response.is_closed
        assert bodies[0].closes == 1
    assert str(info.value) == f"response body exceeded max_response_bytes={len(encoded) - 1}"
    # The same body under a wire cap it fits in, with a decoded size far above it.
    with sync_client(encoded, {"Content-Encoding": "deflate"}, split) as client:
        extensions = {"max_response_bytes": len(encoded)}
        assert client.get("http://example.org/", extensions=extensions).content == BODY


def test_wire_cap_through_decoded_iterators_and_read() -> None:
    with sync_client(BODY, max_response_bytes=5000) as client:
        with client.stream("GET", "http://example.org/") as response:
            got: list[bytes] = []
            with pytest.raises(faststream.ResponseTooLarge):
                drain(response.iter_bytes(1000), got)
            assert b"".join(got) == BODY[:5000]
        with pytest.raises(faststream.ResponseTooLarge):
            client.get("http://example.org/")


# -- max_line_length ----------------------------------------------------------------------------

LINES = b"short\n" + b"x" * 100 + b"\r\nend"


@pytest.mark.parametrize("split", SPLITS)
def test_line_cap_as_a_keyword(split: str) -> None:
    with sync_client(LINES, split=split) as client:
        with client.stream("GET", "http://example.org/") as response:
            assert list(response.iter_lines(max_line_length=100)) == ["short", "x" * 100, "end"]
        with client.stream("GET", "http://example.org/") as response:
            got: list[str] = []
            with pytest.raises(faststream.ResponseTooLarge) as info:
                for line in response.iter_lines(max_line_length=99):
                    got.append(line)
            # the line before the over-long one is handed out first, however the body is cut
            assert got == ["short"]
            assert response.is_closed
        assert info.value.request.url == "http://example.org/"


def test_line_cap_from_the_client_and_the_keyword_wins() -> None:
    with sync_client(LINES, max_line_length=10) as client:
        with client.stream("GET", "http://example.org/") as response:
            with pytest.raises(faststream.ResponseTooLarge):
                list(response.iter_lines())
        with client.stream("GET", "http://example.org/") as response:
            assert len(list(response.iter_lines(max_line_length=1000))) == 3
        # The line cap bounds lines only: the whole body reads.
        assert client.get("http://example.org/").content == LINES


def test_line_cap_on_a_text_path_encoding_counts_characters() -> None:
    body = ("é" * 50 + "\n").encode("utf-16")
    headers = {"Content-Type": "text/plain; charset=utf-16"}
    with sync_client(body, headers) as client:
        with client.stream("GET", "http://example.org/") as response:
            assert list(response.iter_lines(max_line_length=50)) == ["é" * 50]
        with client.stream("GET", "http://example.org/") as response:
            with pytest.raises(faststream.ResponseTooLarge):
                list(response.iter_lines(max_line_length=49))


# -- async --------------------------------------------------------------------------------------


@pytest.mark.parametrize("coding", ["identity", "gzip"])
def test_async_caps_behave_as_sync(coding: str) -> None:
    headers = {} if coding == "identity" else {"Content-Encoding": coding}

    async def main() -> None:
        bodies: list[APieces] = []
        client = async_client(
            compress(coding, BODY), headers, bodies=bodies, max_decoded_bytes=7000
        )
        async with client, client.stream("GET", "http://example.org/") as response:
            got = []
            with pytest.raises(faststream.ResponseTooLarge):
                async for chunk in response.aiter_bytes():
                    got.append(chunk)
            assert b"".join(got) == BODY[:7000]
            assert response.is_closed
            assert bodies[0].closes == 1
        async with async_client(BODY, max_response_bytes=10) as client:
            with pytest.raises(faststream.ResponseTooLarge):
                await client.get("http://example.org/")
            ok = await client.get("http://example.org/", extensions={"max_response_bytes": None})
            assert ok.content == BODY
        async with async_client(LINES) as client:
            async with client.stream("GET", "http://example.org/") as response:
                lines = []
                with pytest.raises(faststream.ResponseTooLarge):
                    async for line in response.aiter_lines(max_line_length=5):
                        lines.append(line)
                assert lines in ([], ["short"])

    asyncio.run(main())


# -- E18: a gzip bomb, memory measured -----------------------------------------------------------

_BOMB_CHILD = """
import zlib, _cstream, faststream
from faststream._streams import SyncByteStream

# 1 GiB of zeros as gzip, built a MiB at a time (the interpreter never holds the 1 GiB, which
# would hide the growth measured below).
packer = zlib.compressobj(9, zlib.DEFLATED, 31)
block = bytes(1 << 20)
bomb = b"".join([packer.compress(block) for _ in range(1024)]) + packer.flush()
del block
assert len(bomb) < 1_100_000


class Wire(SyncByteStream):
    def __iter__(self):
        for start in range(0, len(bomb), 16384):
            yield bomb[start : start + 16384]


def handler(request):
    return faststream.Response(200, headers={"Content-Encoding": "gzip"}, stream=Wire())


def fetch():
    client = faststream.Client(
        transport=faststream.MockTransport(handler), max_decoded_bytes=10_000_000
    )
    total = 0
    with client, client.stream("GET", "http://bomb.example/") as response:
        try:
            for chunk in response.iter_bytes():
                total += len(chunk)
        except faststream.ResponseTooLarge:
            pass
        return total, response.num_bytes_downloaded, response.is_closed


(total, raw, closed), peak, hwm_growth = measure(fetch)
print(_cstream.IMPLEMENTATION, total, raw, closed, peak, hwm_growth)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="the resource module is POSIX-only")
@pytest.mark.parametrize("impl", ["c", "python"])
def test_e18_a_1mb_gzip_bomb_stops_at_10mb_with_memory_bounded(impl: str) -> None:
    env = {"FASTSTREAM_NO_EXTENSIONS": "1" if impl == "python" else None}
    out = run_measured(_BOMB_CHILD, [], env)
    implementation, total, raw, closed = out[0], int(out[1]), int(out[2]), out[3]
    peak, hwm_growth = int(out[4]), int(out[5])
    print(f"\n{impl}: ru_maxrss growth {peak / 2**20:.3f} MiB, VmHWM growth {hwm_growth}")
    if impl == "c" and implementation != "c":
        pytest.skip("the compiled core is not built here")
    assert implementation == impl
    assert (total, closed) == (10_000_000, "True")
    # 10 MB of zeros take about 10 KB of this bomb: the decoder stopped in the first pieces.
    assert raw <= 3 * 16384
    assert peak < 16 * 2**20
    assert hwm_growth < 16 * 2**20


def test_line_cap_on_a_read_response() -> None:
    with sync_client(LINES) as client:
        response = client.get("http://example.org/read")
        assert len(list(response.iter_lines(max_line_length=100))) == 3
        with pytest.raises(faststream.ResponseTooLarge) as info:
            list(response.iter_lines(max_line_length=99))
        assert info.value.request.url == "http://example.org/read"
        # "short" is not JSON: that first line ends the stream before the over-long one
        with pytest.raises(faststream.DecodingError, match="line 1 is not valid JSON"):
            list(response.iter_json(max_line_length=99))


JSON_LINES = b'{"a": 1}\n' + b'{"b": "' + b"x" * 100 + b'"}\n' + b"[3]\n"


@pytest.mark.parametrize("split", SPLITS)
def test_line_cap_of_iter_json(split: str) -> None:
    long_line = len(JSON_LINES.split(b"\n")[1])
    with sync_client(JSON_LINES, split=split, max_line_length=long_line - 1) as client:
        with client.stream("GET", "http://example.org/") as response:
            values: list[typing.Any] = []
            with pytest.raises(faststream.ResponseTooLarge):
                for value in response.iter_json():
                    values.append(value)
            assert values == [{"a": 1}]
            assert response.is_closed
        with client.stream("GET", "http://example.org/") as response:
            assert list(response.iter_json(max_line_length=long_line)) == [
                {"a": 1},
                {"b": "x" * 100},
                [3],
            ]


def test_line_cap_of_aiter_json() -> None:
    async def main() -> None:
        async with async_client(JSON_LINES, max_line_length=50) as client:
            async with client.stream("GET", "http://example.org/") as response:
                with pytest.raises(faststream.ResponseTooLarge):
                    async for _ in response.aiter_json():
                        pass
                assert response.is_closed
            async with client.stream("GET", "http://example.org/") as response:
                values = [value async for value in response.aiter_json(max_line_length=200)]
                assert len(values) == 3

    asyncio.run(main())


SSE_BODY = b"data: one\n\n" + b"data: " + b"z" * 100 + b"\r\n\r\n" + b"data: three\r\r"


@pytest.mark.parametrize("split", SPLITS)
def test_line_cap_of_iter_sse(split: str) -> None:
    headers = {"Content-Type": "text/event-stream"}
    long_line = len(b"data: ") + 100
    with sync_client(SSE_BODY, headers, split) as client:
        with client.stream("GET", "http://example.org/") as response:
            events = list(response.iter_sse(max_line_length=long_line))
            assert [event.data for event in events] == ["one", "z" * 100, "three"]
        with client.stream("GET", "http://example.org/") as response:
            data: list[str] = []
            with pytest.raises(faststream.ResponseTooLarge):
                for event in response.iter_sse(max_line_length=long_line - 1):
                    data.append(event.data)
            assert data in ([], ["one"])
            assert response.is_closed
    with sync_client(SSE_BODY, headers, split, max_line_length=10) as client:
        with client.stream("GET", "http://example.org/") as response:
            with pytest.raises(faststream.ResponseTooLarge):
                list(response.iter_sse())


def test_line_cap_of_aiter_sse() -> None:
    async def main() -> None:
        headers = {"Content-Type": "text/event-stream"}
        async with async_client(SSE_BODY, headers, max_line_length=50) as client:
            async with client.stream("GET", "http://example.org/") as response:
                with pytest.raises(faststream.ResponseTooLarge):
                    async for _ in response.aiter_sse():
                        pass

    asyncio.run(main())


def longest_line(data: bytes) -> int:
    return max(len(line) for line in data.replace(b"\r", b"\n").split(b"\n"))


@pytest.mark.parametrize(
    "data", [b"ab\ncd\r\nefg\rh", b"abcd", b"\n\n\r\n", b"abc\n" * 3 + b"abcd", b"a\rbcde\n"]
)
def test_sse_line_check_at_every_split(data: bytes) -> None:
    # Every cut of the body into three pieces: the check raises exactly when a line is longer
    # than the cap, whatever the cut.
    headers = {"Content-Type": "text/event-stream"}
    for cap in range(6):
        for i in range(len(data) + 1):
            for j in range(i, len(data) + 1):
                body = [data[:i], data[i:j], data[j:]]

                def handler(
                    request: faststream.Request, body: list[bytes] = body
                ) -> faststream.Response:
                    return faststream.Response(200, headers=headers, stream=Pieces(body))

                transport = faststream.MockTransport(handler)
                with faststream.Client(transport=transport, max_line_length=cap) as client:
                    with client.stream("GET", "http://example.org/") as response:
                        if longest_line(data) > cap:
                            with pytest.raises(faststream.ResponseTooLarge):
                                list(response.iter_sse())
                        else:
                            list(response.iter_sse())
