"""Download rules that the other files of this directory leave unchecked: a Last-Modified
validator, no retry mid-body without range support, no resume of a decoded coding, progress
totals of decoded bytes, and an existing target kept on failure; sync, asyncio, uvloop, trio."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

import faststream
from tests.download.conftest import fetch, leftovers, sha256
from tests.servers.ranges import RangeServer
from tests.wire._raw_server import Close, RawServer, Recv, Script, Send, response

pytestmark = pytest.mark.timeout(60)

DATE = "Wed, 21 Oct 2015 07:28:00 GMT"


def head(raw: bytes, name: bytes) -> bytes | None:
    """The value of header `name` (lower case) in a raw request, if any."""
    for line in raw.split(b"\r\n")[1:]:
        field, _, value = line.partition(b":")
        if field.strip().lower() == name:
            return value.strip()
    return None


def test_last_modified_is_the_validator_without_an_etag(mode: str, tmp_path: Path) -> None:
    body = os.urandom(1000)
    first = response(
        headers=[("Accept-Ranges", "bytes"), ("Last-Modified", DATE), ("Content-Length", "1000")],
        content_length=False,
    )
    rest = response(
        "206 Partial Content",
        [("Content-Range", "bytes 400-999/1000"), ("Last-Modified", DATE)],
        body[400:],
    )
    scripts: list[Script] = [
        [Recv(), Send(first + body[:400]), Close()],  # the connection drops after 400 bytes
        [Recv(), Send(rest)],
    ]
    with RawServer(scripts) as server:
        result = fetch(mode, server.url + "/f.bin", tmp_path / "out", retries=1)
        requests = server.requests
    assert result.status_code == 206  # the retry resumed from the current offset
    assert result.sha256 == sha256(body)
    assert (tmp_path / "out").read_bytes() == body
    assert head(requests[1], b"range") == b"bytes=400-"
    assert head(requests[1], b"if-range") == DATE.encode()


def test_a_drop_without_range_support_is_not_retried_and_keeps_the_part(
    mode: str, tmp_path: Path
) -> None:
    body = os.urandom(1000)
    # no Accept-Ranges: a retry could only start over, so the call raises at once
    first = response(headers=[("ETag", '"v1"'), ("Content-Length", "1000")], content_length=False)
    scripts: list[Script] = [
        [Recv(), Send(first + body[:300]), Close()],
        [Recv(), Send(first + body)],
    ]
    with RawServer(scripts) as server:
        with pytest.raises(faststream.TransportError):
            fetch(mode, server.url + "/f.bin", tmp_path / "out", retries=3)
        assert server.accepted == 1
    assert (tmp_path / "out.part").read_bytes() == body[:300]
    assert not (tmp_path / "out").exists()


def test_a_decoded_coding_is_not_resumed(mode: str, tmp_path: Path) -> None:
    data = os.urandom(300_000).hex().encode()
    with RangeServer(gzip.compress(data)) as server:
        server.encoding = "gzip"
        server.drop_every = 100_000
        target = tmp_path / "out"
        with pytest.raises(faststream.TransportError):
            fetch(mode, server.url + "/f", target, decode=True, retries=3)
        assert len(server.requests) == 1  # decoded bytes cannot be addressed: no retry
        server.drop_every = None
        result = fetch(mode, server.url + "/f", target, decode=True)
        assert server.requests[-1].headers.get("range") is None  # started over, not resumed
    assert result.resumed_from == 0
    assert target.read_bytes() == data
    assert result.sha256 == sha256(data)


def test_progress_of_decoded_bytes_never_uses_the_compressed_length(
    mode: str, tmp_path: Path
) -> None:
    data = b"a line of text\n" * 200_000
    coded = gzip.compress(data)
    seen: list[faststream.DownloadProgress] = []
    with RangeServer(coded) as server:
        server.encoding = "gzip"
        fetch(mode, server.url + "/f", tmp_path / "out", decode=True, progress=seen.append)
    assert seen[-1].downloaded == len(data)
    assert all(p.total is None or p.total >= p.downloaded for p in seen)
    assert all(p.total != len(coded) for p in seen)


def test_progress_of_stored_coded_bytes_counts_the_content_length(
    mode: str, tmp_path: Path
) -> None:
    coded = gzip.compress(b"a line of text\n" * 200_000)
    seen: list[faststream.DownloadProgress] = []
    with RangeServer(coded) as server:
        server.encoding = "gzip"
        fetch(mode, server.url + "/f", tmp_path / "out", progress=seen.append)
    assert (seen[-1].downloaded, seen[-1].total) == (len(coded), len(coded))


def test_a_failed_download_leaves_an_existing_target_untouched(mode: str, tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    target.write_bytes(b"the complete old version")
    with RangeServer(os.urandom(500_000)) as server:
        server.drop_every = 200_000
        with pytest.raises(faststream.TransportError):
            fetch(mode, server.url + "/file.bin", target, retries=0)
    assert target.read_bytes() == b"the complete old version"
    assert (tmp_path / "out.bin.part").stat().st_size == 200_000
    assert "out.bin" in leftovers(tmp_path)
