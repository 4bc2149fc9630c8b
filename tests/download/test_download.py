"""`Client.download` / `AsyncClient.download` against a loopback range server with faults:
fresh, resumed, retried, changed, lied to, verified, with progress; sync, asyncio, uvloop, trio.
The stored file's sha256 is checked against the body every time."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import re
import time
from pathlib import Path

import pytest

import faststream
from faststream import _download_base
from tests.download.conftest import fetch, leftovers, sha256
from tests.servers.ranges import RangeServer


@pytest.fixture(autouse=True)
def _fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_download_base, "BACKOFF_BASE", 0.01)


def interrupted(mode: str, server: RangeServer, target: Path, at: int) -> None:
    """Leave a `.part` of `at` bytes: the connection drops there and nothing is retried."""
    server.drop_every = at
    with pytest.raises(faststream.TransportError):
        fetch(mode, server.url + "/file.bin", target, retries=0)
    server.drop_every = None
    assert target.with_name(target.name + ".part").stat().st_size == at
    assert not target.exists()


def test_fresh_download(mode: str, server: RangeServer, body: bytes, tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    result = fetch(mode, server.url + "/file.bin", target)
    assert result.path == target
    assert result.size == len(body)
    assert result.sha256 == sha256(body)
    assert result.status_code == 200
    assert result.resumed_from == 0
    assert result.elapsed > 0
    assert target.read_bytes() == body
    assert leftovers(tmp_path) == ["out.bin"]
    # the representation as sent: byte ranges address stored bytes
    assert server.requests[0].headers["accept-encoding"] == "identity"
    assert "range" not in server.requests[0].headers


def test_drops_resume_from_the_current_offset(
    mode: str, server: RangeServer, body: bytes, tmp_path: Path
) -> None:
    server.drop_every = 400_000  # three drops in 1.5 MB; retries=3 is enough
    target = tmp_path / "out.bin"
    result = fetch(mode, server.url + "/file.bin", target)
    assert result.sha256 == sha256(body) == sha256(target.read_bytes())
    ranges = [r.headers.get("range") for r in server.requests]
    assert ranges == [None, "bytes=400000-", "bytes=800000-", "bytes=1200000-"]
    assert all(r.headers.get("if-range") == '"v1"' for r in server.requests[1:])
    assert leftovers(tmp_path) == ["out.bin"]


def test_more_drops_than_retries_raise_and_keep_the_part(
    mode: str, server: RangeServer, body: bytes, tmp_path: Path
) -> None:
    server.drop_every = 300_000
    target = tmp_path / "out.bin"
    with pytest.raises(faststream.RemoteProtocolError):
        fetch(mode, server.url + "/file.bin", target, retries=1)
    part = tmp_path / "out.bin.part"
    assert part.read_bytes() == body[:600_000]
    assert not target.exists()
    # the next call resumes where this one stopped
    server.drop_every = None
    seen = len(server.requests)
    result = fetch(mode, server.url + "/file.bin", target)
    assert result.resumed_from == 600_000
    assert result.status_code == 206
    assert result.sha256 == sha256(body)
    assert target.read_bytes() == body
    assert [r.headers.get("range") for r in server.requests[seen:]] == ["bytes=600000-"]
    assert leftovers(tmp_path) == ["out.bin"]


def test_changed_resource_starts_over(
    mode: str, server: RangeServer, body: bytes, tmp_path: Path
) -> None:
    target = tmp_path / "out.bin"
    interrupted(mode, server, target, 500_000)
    new = os.urandom(700_000)
    server.replace(new, '"v2"')
    result = fetch(mode, server.url + "/file.bin", target)
    # If-Range did not match: 200, the new version from zero, never spliced onto the old
    assert server.requests[-1].headers["if-range"] == '"v1"'
    assert result.status_code == 200
    assert result.resumed_from == 0
    assert result.sha256 == sha256(new)
    assert target.read_bytes() == new


def test_server_ignoring_range_starts_over(
    mode: str, server: RangeServer, body: bytes, tmp_path: Path
) -> None:
    target = tmp_path / "out.bin"
    interrupted(mode, server, target, 500_000)
    server.ignore_range = True
    result = fetch(mode, server.url + "/file.bin", target)
    assert result.status_code == 200
    assert result.resumed_from == 0
    assert result.sha256 == sha256(body)
    assert target.read_bytes() == body


@pytest.mark.parametrize(("lie_start", "lie_total"), [(10, 0), (-1, 0), (0, 5), (0, -5)])
def test_lying_content_range_is_an_error_and_appends_nothing(
    mode: str, server: RangeServer, body: bytes, tmp_path: Path, lie_start: int, lie_total: int
) -> None:
    target = tmp_path / "out.bin"
    interrupted(mode, server, target, 500_000)
    target.write_bytes(b"the old complete file")
    server.lie_start, server.lie_total = lie_start, lie_total
    seen = len(server.requests)
    with pytest.raises(faststream.RemoteProtocolError, match="Content-Range") as info:
        fetch(mode, server.url + "/file.bin", target)
    assert info.value.request.headers["range"] == "bytes=500000-"
    assert len(server.requests) == seen + 1  # not retried
    assert (tmp_path / "out.bin.part").read_bytes() == body[:500_000]
    assert target.read_bytes() == b"the old complete file"


def test_complete_part_is_finished_by_a_416(
    mode: str, server: RangeServer, body: bytes, tmp_path: Path
) -> None:
    target = tmp_path / "out.bin"
    interrupted(mode, server, target, 500_000)
    (tmp_path / "out.bin.part").write_bytes(body)  # as if the rest had arrived before a crash
    result = fetch(mode, server.url + "/file.bin", target)
    assert server.requests[-1].headers["range"] == f"bytes={len(body)}-"
    assert result.status_code == 416
    assert result.resumed_from == len(body)
    assert result.sha256 == sha256(body)
    assert target.read_bytes() == body
    assert leftovers(tmp_path) == ["out.bin"]


def test_resume_false_starts_over(
    mode: str, server: RangeServer, body: bytes, tmp_path: Path
) -> None:
    target = tmp_path / "out.bin"
    interrupted(mode, server, target, 500_000)
    result = fetch(mode, server.url + "/file.bin", target, resume=False)
    assert "range" not in server.requests[-1].headers
    assert result.resumed_from == 0
    assert result.sha256 == sha256(body)
    assert target.read_bytes() == body


def test_no_validator_no_resume(
    mode: str, server: RangeServer, body: bytes, tmp_path: Path
) -> None:
    server.no_validator = True
    target = tmp_path / "out.bin"
    interrupted(mode, server, target, 500_000)
    result = fetch(mode, server.url + "/file.bin", target)
    # nothing tells the part is of the same version: never spliced
    assert "range" not in server.requests[-1].headers
    assert result.resumed_from == 0
    assert result.sha256 == sha256(body)


@pytest.mark.parametrize("algorithm", ["sha256", "md5", "blake2b"])
def test_checksum_verified(
    mode: str, server: RangeServer, body: bytes, tmp_path: Path, algorithm: str
) -> None:
    digest = hashlib.new(algorithm, body).hexdigest()
    result = fetch(mode, server.url + "/f", tmp_path / "out", checksum=f"{algorithm}:{digest}")
    assert result.sha256 == sha256(body)
    assert (tmp_path / "out").read_bytes() == body


def test_checksum_verified_after_a_resume(
    mode: str, server: RangeServer, body: bytes, tmp_path: Path
) -> None:
    target = tmp_path / "out.bin"
    interrupted(mode, server, target, 500_000)
    digest = hashlib.md5(body).hexdigest()
    result = fetch(mode, server.url + "/file.bin", target, checksum=f"md5:{digest.upper()}")
    assert result.resumed_from == 500_000
    assert result.sha256 == sha256(body)


def test_checksum_mismatch_deletes_the_part(
    mode: str, server: RangeServer, body: bytes, tmp_path: Path
) -> None:
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    wrong = "sha256:" + "0" * 64
    with pytest.raises(faststream.ChecksumMismatch) as info:
        fetch(mode, server.url + "/file.bin", target, checksum=wrong)
    assert isinstance(info.value, faststream.HTTPError)
    assert info.value.actual == sha256(body)
    assert info.value.expected == "0" * 64
    assert info.value.request.url == server.url + "/file.bin"
    assert leftovers(tmp_path) == ["out.bin"]
    assert target.read_bytes() == b"old"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"segments": 0}, "segments"), ({"retries": -1}, "retries"), ({"chunk_size": 0}, "chunk")],
)
def test_bad_arguments(tmp_path: Path, kwargs: dict[str, int], match: str) -> None:
    with faststream.Client() as client, pytest.raises(ValueError, match=match):
        client.download("http://127.0.0.1:1/x", tmp_path / "x", **kwargs)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("checksum", ["nocolon", "nosuchhash:00", "sha256:"])
def test_bad_checksum_argument(tmp_path: Path, checksum: str) -> None:
    with faststream.Client() as client, pytest.raises(ValueError, match="checksum|algorithm"):
        client.download("http://127.0.0.1:1/x", tmp_path / "x", checksum=checksum)


def test_progress_calls(mode: str, server: RangeServer, body: bytes, tmp_path: Path) -> None:
    server.rate = 3_000_000  # 0.5 s for the body
    calls: list[tuple[float, faststream.DownloadProgress]] = []
    fetch(
        mode,
        server.url + "/f",
        tmp_path / "out",
        progress=lambda p: calls.append((time.monotonic(), p)),
    )
    assert 3 <= len(calls) <= 12
    last = calls[-1][1]
    assert last.downloaded == last.total == len(body)
    assert last.rate > 0
    downloaded = [p.downloaded for _, p in calls]
    assert downloaded == sorted(downloaded)
    assert all(p.total == len(body) for _, p in calls)
    assert all(p.eta is not None and p.eta >= 0 for _, p in calls)
    gaps = [b[0] - a[0] for a, b in zip(calls[:-2], calls[1:-1], strict=True)]
    assert all(gap >= 0.099 for gap in gaps)  # at most every 100 ms, plus the final call


def test_progress_true_draws_nothing_when_stderr_is_not_a_tty(
    server: RangeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fetch("sync", server.url + "/f", tmp_path / "out", progress=True)
    assert capsys.readouterr().err == ""


def test_progress_true_draws_a_plain_bar_on_a_tty(
    server: RangeServer, body: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    monkeypatch.setitem(__import__("sys").modules, "rich", None)  # rich not installed
    monkeypatch.setitem(__import__("sys").modules, "rich.progress", None)
    fetch("sync", server.url + "/f", tmp_path / "out", progress=True)
    drawn = terminal.getvalue()
    assert drawn.endswith("\n")
    assert f"{len(body) / 1e6:.1f} MB / {len(body) / 1e6:.1f} MB" in drawn


def test_progress_true_draws_a_rich_bar_on_a_tty(
    server: RangeServer, body: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("rich", reason="the rich bar needs rich")

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    monkeypatch.setenv("COLUMNS", "120")
    fetch("sync", server.url + "/f", tmp_path / "out", progress=True)
    drawn = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", terminal.getvalue())
    assert "1.5/1.5 MB" in drawn  # rich's DownloadColumn: stored bytes of the total


def test_decode_false_stores_the_coding_as_sent(
    mode: str, server: RangeServer, tmp_path: Path
) -> None:
    data = b"line of text\n" * 100_000
    server.replace(gzip.compress(data), '"gz"')
    server.encoding = "gzip"
    result = fetch(mode, server.url + "/f.gz", tmp_path / "out")
    assert (tmp_path / "out").read_bytes() == server.body
    assert result.sha256 == sha256(server.body)


def test_decode_true_stores_decoded_bytes(mode: str, server: RangeServer, tmp_path: Path) -> None:
    data = b"line of text\n" * 100_000
    server.replace(gzip.compress(data), '"gz"')
    server.encoding = "gzip"
    result = fetch(mode, server.url + "/f", tmp_path / "out", decode=True)
    assert server.requests[-1].headers.get("accept-encoding") != "identity"
    assert (tmp_path / "out").read_bytes() == data
    assert result.size == len(data)
    assert result.sha256 == sha256(data)


def test_existing_target_is_replaced_on_success(
    mode: str, server: RangeServer, body: bytes, tmp_path: Path
) -> None:
    target = tmp_path / "out.bin"
    target.write_bytes(b"old version")
    fetch(mode, server.url + "/file.bin", target)
    assert target.read_bytes() == body


def test_empty_resource(mode: str, tmp_path: Path) -> None:
    with RangeServer(b"") as server:
        server.no_validator = True
        server.replace(b"", '"e"')
        result = fetch(mode, server.url + "/empty", tmp_path / "empty")
    assert result.size == 0
    assert result.sha256 == sha256(b"")
    assert (tmp_path / "empty").read_bytes() == b""


def test_top_level_download(server: RangeServer, body: bytes, tmp_path: Path) -> None:
    result = faststream.download(server.url + "/dir/name.bin", tmp_path, timeout=10.0)
    assert result.path == tmp_path / "name.bin"
    assert result.sha256 == sha256(body)
    assert (tmp_path / "name.bin").read_bytes() == body


def test_target_under_a_file_is_an_oserror(server: RangeServer, tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"x")
    with pytest.raises(OSError):
        fetch("sync", server.url + "/f", tmp_path / "file" / "out")
    assert (tmp_path / "file").read_bytes() == b"x"


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0,
    reason="root writes into read-only directories; the permission check needs another user",
)
def test_permission_denied_is_an_oserror(server: RangeServer, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(PermissionError):
            fetch("sync", server.url + "/f", locked / "out")
    finally:
        locked.chmod(0o700)
