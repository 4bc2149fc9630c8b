"""The examples in examples/ that replace the SEED document's hand-written streaming patterns
(progress, resume, SSE, JSON lines, size decision, errors and deadlines, readinto, as_file,
async downloads), each run against loopback servers through its `main`, its output checked;
one also runs as a script. The SEED's own examples run unchanged in
tests/client/test_seed_examples.py."""

from __future__ import annotations

import gzip
import hashlib
import re
import subprocess
import sys
import typing
from collections.abc import Iterator
from pathlib import Path

import pytest

from examples import (
    as_file_csv,
    async_download,
    download_progress,
    json_lines,
    paginated_api,
    readinto_hash,
    resumable_download,
    safe_download,
    size_decision,
    sse_events,
)
from tests.servers.app import AppServer, Exchange, pattern
from tests.servers.ranges import RangeServer

pytestmark = pytest.mark.timeout(60)

ROOT = Path(__file__).resolve().parents[2]
BODY = pattern(300_000)


@pytest.fixture
def app() -> Iterator[AppServer]:
    with AppServer() as server:
        yield server


@pytest.fixture
def ranges() -> Iterator[RangeServer]:
    with RangeServer(BODY) as server:
        yield server


class Example(typing.Protocol):
    """An example module: `main(argv)` runs it as the command line would, returns the status."""

    def main(self, argv: list[str] | None = ...) -> int: ...


def run(
    module: Example, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> tuple[int, list[str]]:
    code = module.main(argv)
    return code, capsys.readouterr().out.splitlines()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- a download with progress: stored bytes counted against their own total ---------------------


def test_progress_counts_stored_bytes_even_when_compressed(
    ranges: RangeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    coded = gzip.compress(BODY, mtime=0)  # Content-Length counts these, not the decoded bytes
    ranges.replace(coded, '"gz"')
    ranges.encoding = "gzip"
    target = tmp_path / "file.gz"
    code, out = run(download_progress, [ranges.url + "/file.gz", str(target)], capsys)
    assert code == 0
    progress = [line for line in out if line.startswith("Progress: ")]
    percents = [float(re.match(r"Progress: ([\d.]+)%", line)[1]) for line in progress]  # type: ignore[index]
    assert percents and max(percents) == percents[-1] == 100.0
    assert progress[-1] == f"Progress: 100.0% ({len(coded)}/{len(coded)} bytes)"
    assert target.read_bytes() == coded
    assert out[-1] == f"Downloaded {len(coded)} bytes to {target} (sha256 {sha256(coded)})"


# -- resume: a changed resource starts over, a dropped link resumes --------------------------------


def test_resume_after_a_drop_and_a_changed_resource_starts_over(
    ranges: RangeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "big.iso"
    url = ranges.url + "/big.iso"
    ranges.drop_every = 100_000
    code, out = run(resumable_download, [url, str(target), "--retries", "0"], capsys)
    assert code == 1 and out[-1].startswith("Interrupted")
    assert not target.exists() and (tmp_path / "big.iso.part").stat().st_size == 100_000

    # the same resource: this run resumes, and the dropped links on the way resume too
    code, out = run(resumable_download, [url, str(target)], capsys)
    assert code == 0
    assert out == [
        "Resumed from byte 100000",
        f"Download completed: {target} ({len(BODY)} bytes, sha256 {sha256(BODY)})",
    ]
    assert target.read_bytes() == BODY

    # interrupted again, then the resource changes: never half old and half new
    target.unlink()
    code, _ = run(resumable_download, [url, str(target), "--retries", "0"], capsys)
    assert code == 1
    new = bytes(reversed(BODY))
    ranges.replace(new, '"v2"')
    ranges.drop_every = None
    code, out = run(resumable_download, [url, str(target)], capsys)
    assert code == 0 and target.read_bytes() == new
    assert out == [f"Download completed: {target} ({len(new)} bytes, sha256 {sha256(new)})"]


def test_a_wrong_checksum_keeps_nothing(
    ranges: RangeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "f.bin"
    wrong = "sha256:" + sha256(b"something else")
    code, out = run(resumable_download, [ranges.url + "/f.bin", str(target), wrong], capsys)
    assert code == 1 and out[0].startswith("Checksum mismatch")
    assert list(tmp_path.iterdir()) == []
    right = "sha256:" + sha256(BODY)
    code, _ = run(resumable_download, [ranges.url + "/f.bin", str(target), right], capsys)
    assert code == 0 and target.read_bytes() == BODY


# -- server-sent events --------------------------------------------------------------------------


def test_sse_one_response_every_field(app: AppServer, capsys: pytest.CaptureFixture[str]) -> None:
    @app.route("/events")
    def events(ex: Exchange) -> None:
        # multi-line data, no space after the colon, an event name and an id: all kept
        body = b": hello\n\nevent: update\nid: 7\ndata: first\ndata:second\n\ndata: x\n\n"
        ex.respond(200, body, content_type="text/event-stream")

    code, out = run(sse_events, [app.url + "/events"], capsys)
    assert code == 0
    assert out == [
        "Event 'update' id='7': 'first\\nsecond'",
        "Event 'message' id='7': 'x'",
    ]
    assert app.requests[-1].header("accept") == "text/event-stream"


def test_sse_follow_reconnects_with_last_event_id_until_204(
    app: AppServer, capsys: pytest.CaptureFixture[str]
) -> None:
    @app.route("/feed")
    def feed(ex: Exchange) -> None:
        last = int(ex.header("Last-Event-ID") or "-1")
        if last >= 3:
            ex.respond(204, "")
            return
        ex.send_head(200, [("Content-Type", "text/event-stream"), ("Connection", "close")])
        # two events, then the stream ends; the server asks for a 20 ms wait
        ex.write(b"retry: 20\n\n")
        for i in (last + 1, last + 2):
            ex.write(f"id: {i}\ndata: tick {i}\n\n".encode())

    code, out = run(sse_events, [app.url + "/feed", "--follow", "10"], capsys)
    assert code == 0
    assert out == [f"Event 'message' id='{i}': 'tick {i}'" for i in range(4)]
    sent = [r.header("last-event-id") for r in app.requests if r.target == "/feed"]
    assert sent == [None, "1", "3"]


# -- JSON lines ------------------------------------------------------------------------------------


@pytest.fixture
def records(app: AppServer) -> str:
    @app.route("/data.jsonl")
    def data(ex: Exchange) -> None:
        body = b'{"id": 1}\r\n\n  \n{"id": 2}\n{"id": 3,\n{"id": 4}\n'
        ex.respond(200, body, content_type="application/x-ndjson")

    return app.url + "/data.jsonl"


def test_json_lines_raise_names_the_line(records: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(json_lines, [records], capsys)
    assert code == 1
    assert out[:2] == ["Processing: {'id': 1}", "Processing: {'id': 2}"]
    assert out[2].startswith("Stopped after 2 records: line 5 is not valid JSON (Expecting")


def test_json_lines_skip_counts(records: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(json_lines, [records, "--skip"], capsys)
    assert code == 0
    assert out == [
        "Processing: {'id': 1}",
        "Processing: {'id': 2}",
        "Processing: {'id': 4}",
        "3 records, 1 malformed lines skipped",
    ]


def test_json_lines_runs_as_a_script(records: str) -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "json_lines.py"), records, "--skip"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1] == "3 records, 1 malformed lines skipped"


SCRIPTS = [
    "as_file_csv",
    "async_download",
    "download_progress",
    "json_lines",
    "paginated_api",
    "readinto_hash",
    "resumable_download",
    "safe_download",
    "size_decision",
    "sse_events",
]


def test_the_scripts_list_is_complete() -> None:
    found = {p.stem for p in (ROOT / "examples").glob("*.py") if not p.stem.startswith("dask_")}
    assert found == set(SCRIPTS)


@pytest.mark.parametrize("name", SCRIPTS)
def test_every_example_starts_as_a_script(name: str) -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / f"{name}.py"), "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("usage: ") and "url" in out.stdout


# -- the size decision: a cap decides, not Content-Length ----------------------------------------


def test_size_decision_by_cap(
    app: AppServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    small, big = b"small body\n" * 10, bytes(2_000_000)

    @app.route("/small")
    def small_route(ex: Exchange) -> None:  # no Content-Length at all
        ex.send_head(200, [("Transfer-Encoding", "chunked")])
        ex.write_chunk(small)
        ex.end_chunks()

    @app.route("/bomb")
    def bomb(ex: Exchange) -> None:  # a small Content-Length, a large body once decoded
        ex.respond(200, gzip.compress(big, mtime=0), [("Content-Encoding", "gzip")])

    path = tmp_path / "out.dat"
    code, out = run(size_decision, [app.url + "/small", str(path), "--limit", "100000"], capsys)
    assert (code, out) == (0, [f"Small file, read in memory: {len(small)} bytes"])
    assert path.read_bytes() == small
    code, out = run(size_decision, [app.url + "/bomb", str(path), "--limit", "100000"], capsys)
    assert (code, out) == (0, [f"Large file, streamed to disk: {len(big)} bytes"])
    assert path.read_bytes() == big


# -- a paginated API: bounded pages, and an error is not the end --------------------------------


def test_paginated_api(app: AppServer, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(paginated_api, [app.url + "/items"], capsys)
    assert code == 0
    assert out == [f"Item: {{'id': {i}, 'page': {i // 3 + 1}}}" for i in range(9)] + ["9 items"]

    @app.route("/flaky")
    def flaky(ex: Exchange) -> None:
        page = ex.int_param("page", 1)
        if page == 2:
            ex.respond(500, "oops")
        else:
            ex.respond_json({"items": [page]})

    code, out = run(paginated_api, [app.url + "/flaky"], capsys)
    assert (code, out) == (1, ["Item: 1", "Stopped after 1 items: HTTP 500"])

    @app.route("/huge")
    def huge(ex: Exchange) -> None:
        ex.respond_json({"items": ["x" * 100] * (1 if ex.int_param("page", 1) == 1 else 1000)})

    code, out = run(paginated_api, [app.url + "/huge", "--max-page-bytes", "10000"], capsys)
    assert code == 1 and out[0] == "Item: " + "x" * 100
    assert out[1].startswith("Stopped after 1 items: ") and "10000" in out[1]


# -- errors and the deadline ---------------------------------------------------------------------


def test_safe_download_outcomes(
    app: AppServer, ranges: RangeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "file.zip"
    code, out = run(safe_download, [ranges.url + "/file.zip", str(path)], capsys)
    assert (code, out) == (0, [f"Successfully downloaded {path} ({len(BODY)} bytes)"])

    code, out = run(safe_download, [app.url + "/status/404", str(tmp_path / "x")], capsys)
    assert (code, out) == (1, ["HTTP error 404"])

    # a slow drip: each byte well inside the read timeout, the whole past the total deadline
    slow = app.url + "/drip?n=100&delay=0.1"
    code, out = run(safe_download, [slow, str(tmp_path / "slow"), "--total", "1"], capsys)
    assert code == 1 and out[0].startswith("Timed out: total deadline of 1 s exceeded")
    assert not (tmp_path / "slow").exists()

    code, out = run(safe_download, [ranges.url + "/f", str(tmp_path / "no" / "dir")], capsys)
    assert code == 1 and out[0].startswith("File error: ")


# -- readinto and as_file --------------------------------------------------------------------------


def test_readinto_hash(app: AppServer, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(readinto_hash, [app.url + "/bytes/1000000", "--buffer", "4096"], capsys)
    assert (code, out) == (0, [f"1000000 bytes, sha256 {sha256(pattern(1_000_000))}"])


def test_as_file_csv(app: AppServer, capsys: pytest.CaptureFixture[str]) -> None:
    rows = 5000

    @app.route("/table.csv")
    def table(ex: Exchange) -> None:
        ex.send_head(200, [("Content-Type", "text/csv"), ("Transfer-Encoding", "chunked")])
        ex.write_chunk(b"name,amount\r\n")
        for start in range(0, rows, 700):  # rows cut across chunks anywhere
            text = "".join(f'"n, {i}",{i}.5\r\n' for i in range(start, min(rows, start + 700)))
            data = text.encode()
            ex.write_chunk(data[:13])
            ex.write_chunk(data[13:])
        ex.end_chunks()

    code, out = run(as_file_csv, [app.url + "/table.csv", "--column", "amount"], capsys)
    total = sum(i + 0.5 for i in range(rows))
    assert (code, out) == (0, [f"{rows} rows, amount sums to {total:g}"])


# -- async downloads -------------------------------------------------------------------------------


def test_async_downloads_take_the_urls_names(
    ranges: RangeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    urls = [ranges.url + "/a.bin", ranges.url + "/b.bin"]
    code, out = run(async_download, [str(tmp_path / "out"), *urls], capsys)
    assert code == 0
    assert out == [
        f"{name}: {len(BODY)} bytes, sha256 {sha256(BODY)}" for name in ("a.bin", "b.bin")
    ]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.bin", "b.bin"]
