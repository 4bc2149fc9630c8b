"""`segments=N`: N ranges on N connections (threads for `Client`, tasks for `AsyncClient`),
positional writes into a preallocated part, each segment retried and resumed on its own."""

from __future__ import annotations

import os
import typing
from pathlib import Path

import pytest

import faststream
from faststream import _download_base
from tests.download.conftest import fetch, leftovers, sha256
from tests.servers.ranges import RangeServer


@pytest.fixture(autouse=True)
def _fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_download_base, "BACKOFF_BASE", 0.01)


PIECE = 65536
PIECES = [
    f"bytes={start}-{min(start + PIECE, 1_500_000) - 1}" for start in range(0, 1_500_000, PIECE)
]


def first_byte(value: str) -> int:
    return int(value.removeprefix("bytes=").partition("-")[0])


def ranges(server: RangeServer, since: int = 0) -> list[str]:
    """The Range header of each request from number `since` on ("" for none)."""
    return [r.headers.get("range", "") for r in server.requests[since:]]


def test_four_segments(mode: str, server: RangeServer, body: bytes, tmp_path: Path) -> None:
    result = fetch(mode, server.url + "/f.bin", tmp_path / "out", segments=4)
    assert result.sha256 == sha256(body)
    assert (tmp_path / "out").read_bytes() == body
    assert result.size == len(body)
    assert leftovers(tmp_path) == ["out"]
    seen = ranges(server)
    assert seen[0] == "bytes=0-0"  # the probe: total and range support
    # then pieces of 64 KiB (the smallest), each asked once, covering the body exactly
    assert sorted(seen[1:], key=first_byte) == PIECES
    assert all(r.headers.get("if-range") == '"v1"' for r in server.requests[1:])


def test_segments_on_separate_connections_at_once(
    mode: str, server: RangeServer, body: bytes, tmp_path: Path
) -> None:
    server.rate = 1_500_000  # per connection: 1 s for one stream, about 0.25 s for four
    result = fetch(mode, server.url + "/f.bin", tmp_path / "out", segments=4)
    assert result.sha256 == sha256(body)
    assert result.elapsed < 0.75


def test_segments_without_range_support_fall_back_to_one_stream(
    mode: str, server: RangeServer, body: bytes, tmp_path: Path
) -> None:
    server.ignore_range = True
    result = fetch(mode, server.url + "/f.bin", tmp_path / "out", segments=4)
    assert result.status_code == 200
    assert result.sha256 == sha256(body)
    assert len(server.requests) == 1


def test_small_body_is_one_stream(mode: str, tmp_path: Path) -> None:
    small = os.urandom(50_000)
    with RangeServer(small) as server:
        result = fetch(mode, server.url + "/f.bin", tmp_path / "out", segments=4)
        assert ranges(server) == ["bytes=0-0", "bytes=1-"]
    assert result.sha256 == sha256(small)
    assert (tmp_path / "out").read_bytes() == small


def test_empty_body_with_segments(mode: str, tmp_path: Path) -> None:
    with RangeServer(b"") as server:
        result = fetch(mode, server.url + "/f.bin", tmp_path / "out", segments=4)
    assert result.size == 0
    assert (tmp_path / "out").read_bytes() == b""


def test_each_segment_retries_on_its_own(
    mode: str, server: RangeServer, body: bytes, tmp_path: Path
) -> None:
    server.drop_every = 40_000  # every 64 KiB piece drops once (but the last, shorter one)
    result = fetch(mode, server.url + "/f.bin", tmp_path / "out", segments=4, retries=1)
    assert result.sha256 == sha256(body)
    assert (tmp_path / "out").read_bytes() == body
    resumed = sorted(set(ranges(server, 1)) - set(PIECES), key=first_byte)
    assert resumed == [
        f"bytes={start + 40_000}-{min(start + PIECE, 1_500_000) - 1}"
        for start in range(0, 1_500_000, PIECE)
        if min(start + PIECE, 1_500_000) - start > 40_000
    ]


def test_segmented_part_resumes_in_the_next_call(
    mode: str, server: RangeServer, body: bytes, tmp_path: Path
) -> None:
    server.drop_every = 40_000
    with pytest.raises(faststream.RemoteProtocolError):
        fetch(mode, server.url + "/f.bin", tmp_path / "out", segments=4, retries=0)
    assert (tmp_path / "out.part").stat().st_size == len(body)  # preallocated
    assert not (tmp_path / "out").exists()
    server.drop_every = None
    seen = len(server.requests)
    result = fetch(mode, server.url + "/f.bin", tmp_path / "out", segments=4)
    assert result.resumed_from >= 40_000
    assert result.sha256 == sha256(body)
    assert (tmp_path / "out").read_bytes() == body
    # no probe and no segment from its start again for the one that had failed
    assert "bytes=0-0" not in ranges(server, seen)
    assert leftovers(tmp_path) == ["out"]


def test_segmented_part_of_a_changed_resource_is_not_spliced(
    mode: str, server: RangeServer, body: bytes, tmp_path: Path
) -> None:
    server.drop_every = 40_000
    with pytest.raises(faststream.RemoteProtocolError):
        fetch(mode, server.url + "/f.bin", tmp_path / "out", segments=4, retries=0)
    server.drop_every = None
    new = os.urandom(len(body))
    server.replace(new, '"v2"')
    seen = len(server.requests)
    result = fetch(mode, server.url + "/f.bin", tmp_path / "out", segments=4)
    # a segment's If-Range failed (200): everything again from zero, under the new ETag
    assert result.resumed_from == 0
    assert result.sha256 == sha256(new)
    assert (tmp_path / "out").read_bytes() == new
    assert "bytes=0-0" in ranges(server, seen)
    assert server.requests[-1].headers["if-range"] == '"v2"'
    assert leftovers(tmp_path) == ["out"]


def test_resource_changing_under_every_segment_plan_fails(
    mode: str, server: RangeServer, tmp_path: Path
) -> None:
    versions = iter(range(1000))
    real_respond = server._respond

    def changing(sock: typing.Any, request: typing.Any) -> bool:
        if request.headers.get("range", "") != "bytes=0-0":
            server.etag = f'"{next(versions)}"'  # a new version for every ranged request
        return real_respond(sock, request)

    server._respond = changing  # type: ignore[method-assign]
    with pytest.raises(faststream.RemoteProtocolError, match="changed"):
        fetch(mode, server.url + "/f.bin", tmp_path / "out", segments=4)
    assert not (tmp_path / "out").exists()


def test_segment_with_a_lying_content_range_fails(
    mode: str, server: RangeServer, tmp_path: Path
) -> None:
    server.lie_start = 1
    with pytest.raises(faststream.RemoteProtocolError, match="Content-Range"):
        fetch(mode, server.url + "/f.bin", tmp_path / "out", segments=4)
    assert not (tmp_path / "out").exists()


def test_segments_and_checksum(mode: str, server: RangeServer, body: bytes, tmp_path: Path) -> None:
    result = fetch(
        mode, server.url + "/f.bin", tmp_path / "out", segments=3, checksum="sha256:" + sha256(body)
    )
    assert result.sha256 == sha256(body)
    with pytest.raises(faststream.ChecksumMismatch):
        fetch(mode, server.url + "/f.bin", tmp_path / "out2", segments=3, checksum="md5:00")
    assert leftovers(tmp_path) == ["out"]


def test_segments_into_a_directory(
    mode: str, server: RangeServer, body: bytes, tmp_path: Path
) -> None:
    server.disposition = "attachment; filename*=UTF-8''seg%20ments.bin"
    result = fetch(mode, server.url + "/f.bin", tmp_path, segments=4)
    assert result.path == tmp_path / "seg ments.bin"
    assert result.sha256 == sha256(body)
    assert leftovers(tmp_path) == ["seg ments.bin"]
