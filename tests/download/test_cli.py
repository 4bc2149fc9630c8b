"""The command line's `--download` through `Client.download`, with `--resume` and `--segments`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import faststream
from faststream import _download_base, _main
from tests.download.conftest import fetch, leftovers
from tests.servers.ranges import RangeServer


@pytest.fixture(autouse=True)
def _fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_download_base, "BACKOFF_BASE", 0.01)


def run(*args: str) -> Result:
    return CliRunner().invoke(_main.command(), list(args), prog_name="faststream")


def test_download_then_resume(server: RangeServer, body: bytes, tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    server.drop_every = 600_000
    first = run(server.url + "/f", "--download", str(target), "--resume")
    # the drop is retried by Client.download: the file is complete after one run
    assert first.exit_code == 0, first.output
    assert first.output.startswith("HTTP/1.1 200 OK\n")
    assert first.output.count("HTTP/1.1") == 1  # the resumed ranges' heads are not printed
    assert target.read_bytes() == body
    assert server.requests[1].headers["range"] == "bytes=600000-"
    assert server.requests[0].headers["accept-encoding"] == "identity"


def interrupted(server: RangeServer, target: Path, at: int) -> None:
    """Leave a `.part` of `at` bytes (and its sidecar), as an interrupted run does."""
    server.drop_every = at
    with pytest.raises(faststream.RemoteProtocolError):
        fetch("sync", server.url + "/f", target, retries=0)
    server.drop_every = None


def test_resume_picks_up_an_earlier_part(server: RangeServer, body: bytes, tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    interrupted(server, target, 400_000)
    seen = len(server.requests)
    result = run(server.url + "/f", "--download", str(target), "--resume")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("HTTP/1.1 206 Partial Content\n")
    assert [r.headers.get("range") for r in server.requests[seen:]] == ["bytes=400000-"]
    assert target.read_bytes() == body
    assert leftovers(tmp_path) == ["out.bin"]


def test_without_resume_a_part_is_started_over(
    server: RangeServer, body: bytes, tmp_path: Path
) -> None:
    target = tmp_path / "out.bin"
    interrupted(server, target, 400_000)
    result = run(server.url + "/f", "--download", str(target))
    assert result.exit_code == 0, result.output
    assert "range" not in server.requests[-1].headers
    assert target.read_bytes() == body


def test_segments(server: RangeServer, body: bytes, tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    result = run(server.url + "/f", "--download", str(target), "--segments", "4")
    assert result.exit_code == 0, result.output
    assert result.output.count("HTTP/1.1 206") == 1  # the probe's head only
    assert target.read_bytes() == body
    assert len(server.requests) == 1 + 23  # the probe, then 64 KiB pieces
    assert leftovers(tmp_path) == ["out.bin"]


def test_download_into_a_directory(server: RangeServer, body: bytes, tmp_path: Path) -> None:
    server.disposition = 'attachment; filename="../named.bin"'
    result = run(server.url + "/f", "--download", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "named.bin").read_bytes() == body
    assert leftovers(tmp_path) == ["named.bin"]


def test_bad_segments_value(tmp_path: Path) -> None:
    result = run("http://127.0.0.1:1/", "--download", str(tmp_path / "x"), "--segments", "0")
    assert result.exit_code == 2
    assert "--segments" in result.output
