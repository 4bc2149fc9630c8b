"""`Response.readinto`/`areadinto` and `Response.as_file()` (faststream's).

readinto copies decoded bytes into a caller's buffer, 0 at the end; as_file is a readable,
non-seekable `io.BufferedIOBase` over the decoded body, so code written for files reads a
stream. Run with FASTSTREAM_NO_EXTENSIONS=1 too (the pure twins).
"""

from __future__ import annotations

import array
import asyncio
import csv
import io
import json
import pickle
import shutil
import tarfile

import pytest

import faststream
from tests.models._response_helpers import (
    APieces,
    Pieces,
    async_response,
    compress,
    splits,
    sync_response,
)

BODY = bytes(range(256)) * 300  # 76800 bytes


def read_all_into(response: faststream.Response, size: int) -> tuple[bytes, list[int]]:
    buffer = bytearray(size)
    out = bytearray()
    counts = []
    for _ in range(len(BODY) + 10):  # bounded: one byte per call at worst, then the end
        count = response.readinto(buffer)
        counts.append(count)
        if not count:
            break
        out += buffer[:count]
    return bytes(out), counts


@pytest.mark.parametrize("size", [1, 1000, 65536, 1 << 20])
@pytest.mark.parametrize("split", ["whole", "sevens-with-empties", "random"])
@pytest.mark.parametrize("coding", ["identity", "gzip", "br"])
def test_readinto_gives_the_decoded_body_then_zero(size: int, split: str, coding: str) -> None:
    encoded = compress(coding, BODY)
    pieces = splits(encoded)[split]
    headers = {} if coding == "identity" else {"Content-Encoding": coding}
    response = sync_response(pieces, headers=headers)
    data, counts = read_all_into(response, size)
    assert data == BODY
    assert counts[-1] == 0
    assert all(0 < count <= size for count in counts[:-1])
    assert response.is_closed
    assert response.readinto(bytearray(10)) == 0  # the end stays the end


def test_readinto_takes_any_writable_buffer() -> None:
    response = sync_response([b"abcdefgh"])
    target = array.array("B", bytes(3))
    assert response.readinto(target) == 3
    assert target.tobytes() == b"abc"
    mem = memoryview(bytearray(4))
    assert response.readinto(mem[1:3]) == 2
    assert bytes(mem) == b"\0de\0"
    assert response.readinto(bytearray(0)) == 0  # an empty buffer is not the end
    assert response.readinto(bytearray(10)) == 3
    assert response.readinto(bytearray(10)) == 0
    with pytest.raises(TypeError):
        response.readinto(b"read-only")


def test_readinto_a_piece_larger_than_the_buffer_is_handed_out_across_calls() -> None:
    stream = Pieces([b"0123456789", b"ab"])
    response = faststream.Response(200, stream=stream)
    buffer = bytearray(4)
    got = []
    for _ in range(10):
        count = response.readinto(buffer)
        if not count:
            break
        got.append(bytes(buffer[:count]))
    assert got == [b"0123", b"4567", b"89", b"ab"]
    assert stream.closes == 1


def test_readinto_on_a_read_response_copies_its_content() -> None:
    response = faststream.Response(200, content=BODY)
    data, _ = read_all_into(response, 5000)
    assert data == BODY
    assert response.content == BODY


def test_readinto_consumes_the_stream() -> None:
    response = sync_response([b"abc", b"def"])
    assert response.readinto(bytearray(2)) == 2
    with pytest.raises(faststream.StreamConsumed):
        list(response.iter_bytes())


def test_readinto_of_a_corrupt_body_raises_decoding_error_and_closes() -> None:
    stream = Pieces([b"not gzip at all"])
    response = faststream.Response(200, headers={"Content-Encoding": "gzip"}, stream=stream)
    with pytest.raises(faststream.DecodingError):
        response.readinto(bytearray(100))
    assert response.is_closed
    assert stream.closes == 1


def test_areadinto_gives_the_body_then_zero() -> None:
    async def main() -> tuple[bytes, int]:
        stream = APieces([compress("gzip", BODY)])
        response = faststream.Response(200, headers={"Content-Encoding": "gzip"}, stream=stream)
        buffer = bytearray(3000)
        out = bytearray()
        for _ in range(100):
            count = await response.areadinto(buffer)
            if not count:
                break
            out += buffer[:count]
        assert response.is_closed
        assert await response.areadinto(buffer) == 0
        return bytes(out), stream.closes

    assert asyncio.run(main()) == (BODY, 1)


def test_readinto_and_areadinto_refuse_the_other_kind_of_stream() -> None:
    with pytest.raises(RuntimeError, match="sync iterator on an async stream"):
        async_response([b"x"]).readinto(bytearray(1))

    async def main() -> None:
        await sync_response([b"x"]).areadinto(bytearray(1))

    with pytest.raises(RuntimeError, match="async iterator on an sync stream"):
        asyncio.run(main())


# -- as_file -----------------------------------------------------------------------------------


def test_as_file_is_a_readable_unseekable_binary_file() -> None:
    response = sync_response([b"hello ", b"world"])
    f = response.as_file()
    assert isinstance(f, io.BufferedIOBase)
    assert f.readable()
    assert not f.seekable()
    assert not f.writable()
    assert f.name == ""
    with pytest.raises(io.UnsupportedOperation):
        f.seek(0)
    assert f.read(3) == b"hel"
    assert f.read1(100) == b"lo "
    assert f.read() == b"world"
    assert f.read() == b""
    assert f.read(5) == b""


def test_as_file_read_n_fills_across_pieces() -> None:
    response = sync_response([b"ab", b"cd", b"ef", b"g"])
    f = response.as_file()
    assert f.read(5) == b"abcde"
    assert f.read(5) == b"fg"


def test_closing_the_file_closes_the_response() -> None:
    stream = Pieces([b"abc", b"def"])
    response = faststream.Response(200, stream=stream)
    with response.as_file() as f:
        assert f.read(1) == b"a"
    assert f.closed
    assert response.is_closed
    assert stream.closes == 1
    with pytest.raises(ValueError):
        f.read()


def test_json_load_reads_a_gzip_stream() -> None:
    value = {"items": list(range(5000)), "name": "é"}
    encoded = compress("gzip", json.dumps(value).encode())
    response = sync_response(splits(encoded)["random"], headers={"Content-Encoding": "gzip"})
    assert json.load(response.as_file()) == value


def test_csv_through_a_text_wrapper() -> None:
    rows = [["id", "name"], *[[str(i), f"name {i}, é"] for i in range(2000)]]
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    data = text.getvalue().encode("utf-8")
    response = sync_response(splits(data)["random"])
    with io.TextIOWrapper(response.as_file(), encoding="utf-8", newline="") as wrapper:
        assert list(csv.reader(wrapper)) == rows


def make_tar() -> tuple[bytes, dict[str, bytes]]:
    files = {"a.txt": b"alpha\n" * 1000, "dir/b.bin": bytes(range(256)) * 100, "empty": b""}
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue(), files


def test_tarfile_reads_a_streamed_archive() -> None:
    archive, files = make_tar()
    response = sync_response(splits(archive)["random"])
    got = {}
    with tarfile.open(fileobj=response.as_file(), mode="r|*") as tar:
        for member in tar:
            extracted = tar.extractfile(member)
            assert extracted is not None
            got[member.name] = extracted.read()
    assert got == files


def test_copyfileobj_copies_the_decoded_body() -> None:
    encoded = compress("br", BODY)
    response = sync_response([encoded], headers={"Content-Encoding": "br"})
    out = io.BytesIO()
    shutil.copyfileobj(response.as_file(), out, 1000)
    assert out.getvalue() == BODY
    assert response.is_closed


def test_as_file_on_an_async_stream_is_refused() -> None:
    with pytest.raises(RuntimeError):
        async_response([b"x"]).as_file()


def test_as_file_of_a_read_async_response_reads_its_content() -> None:
    async def main() -> faststream.Response:
        response = async_response([b"abc"])
        await response.aread()
        return response

    assert asyncio.run(main()).as_file().read() == b"abc"


def test_caps_apply_to_readinto() -> None:
    def handler(request: faststream.Request) -> faststream.Response:
        return faststream.Response(200, stream=Pieces([BODY]))

    transport = faststream.MockTransport(handler)
    with faststream.Client(transport=transport, max_decoded_bytes=1000) as client:
        with client.stream("GET", "http://example.org/") as response:
            f = response.as_file()
            assert f.read(1000) == BODY[:1000]
            with pytest.raises(faststream.ResponseTooLarge):
                f.read(1)
            assert response.is_closed


def test_a_response_read_with_readinto_pickles() -> None:
    response = faststream.Response(200, content=b"abcdef")
    assert response.readinto(bytearray(2)) == 2
    copy = pickle.loads(pickle.dumps(response))
    assert copy.content == b"abcdef"
    streamed = sync_response([b"abc", b"def"])
    assert streamed.readinto(bytearray(2)) == 2
    copy = pickle.loads(pickle.dumps(streamed))
    with pytest.raises(faststream.StreamConsumed):
        copy.readinto(bytearray(2))
