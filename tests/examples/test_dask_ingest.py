"""The Dask recipe (examples/dask_ingest.py) on a real LocalCluster of two worker processes
against a loopback server: every record arrives exactly once, through task retries, byte-range
shards whose boundaries fall anywhere, and a worker killed with SIGKILL in the middle of a task.
"""

# dask's Client and LocalCluster carry no annotations; calling them is fine here.
# mypy: allow-untyped-calls

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]  # no stubs installed; one call used
import pytest
from dask.distributed import Client as DaskClient, LocalCluster

import faststream
from examples import dask_ingest

pytestmark = pytest.mark.timeout(120)

RECORDS_PER_SHARD = 400
SMALL = 400  # bytes of /small, every one a cut point in a test
SLOW_RELEASE_TIMEOUT = 30.0  # the slow shard never blocks a handler thread longer than this


def shard_records(shard: int) -> list[dict[str, Any]]:
    return [
        {"id": f"s{shard}-r{n}", "shard": shard, "text": "é€ \u2028 " + "x" * (n % 37)}
        for n in range(RECORDS_PER_SHARD)
    ]


def shard_body(shard: int) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in shard_records(shard))


def big_body(lines: int) -> bytes:
    """JSON lines of uneven lengths; blank lines, a CRLF line and no final newline included."""
    parts = []
    for n in range(lines):
        record = json.dumps({"id": f"big-{n}", "pad": "y" * (n * 7 % 53), "u": "ü\u2028"})
        ending = "\r\n" if n % 11 == 3 else "\n"
        parts.append(record + ending + ("\n" if n % 13 == 5 else ""))
    return "".join(parts).rstrip("\n").encode()


class Server:
    """A threaded HTTP/1.1 server on 127.0.0.1 serving the routes the tests ask for.

    ``/shard/N``: shard N's JSON lines. ``/flaky/N``: 503 the first time, then shard N.
    ``/slow/N``: the first time, half of shard N, then it waits for ``release`` (the rest
    then goes to a connection that is usually dead); later, all of shard N. ``/big``: a
    JSON-lines resource serving HEAD and single byte ranges; ``/small``: its first ``SMALL``
    bytes, the same way. ``/file/NAME``: a binary file.
    """

    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.slow_started = threading.Event()
        self.slow_peer_port = 0
        self.release = threading.Event()
        self.big = big_body(1500)
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # head and body are two writes: no delayed-ACK stall

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def send_body(self, status: int, body: bytes, extra: dict[str, str]) -> None:
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def do_HEAD(self) -> None:
                self.do_GET()

            def do_GET(self) -> None:
                with owner.lock:
                    owner.requests[self.path] += 1
                    count = owner.requests[self.path]
                kind, _, arg = self.path.strip("/").partition("/")
                if kind == "shard" or (kind == "flaky" and count > 1):
                    self.send_body(200, shard_body(int(arg)), {})
                elif kind == "flaky":
                    self.send_body(503, b"try again", {})
                elif kind == "slow":
                    self.slow(int(arg), first=count == 1)
                elif kind == "big":
                    self.ranges(owner.big)
                elif kind == "small":
                    self.ranges(owner.big[:SMALL])
                elif kind == "file":
                    self.send_body(200, arg.encode() * 5000, {})
                else:
                    self.send_body(404, b"", {})

            def slow(self, shard: int, *, first: bool) -> None:
                body = shard_body(shard)
                if not first:
                    self.send_body(200, body, {})
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                owner.slow_peer_port = self.client_address[1]
                owner.slow_started.set()
                owner.release.wait(SLOW_RELEASE_TIMEOUT)
                try:
                    self.wfile.write(body[len(body) // 2 :])
                except OSError:
                    pass  # the worker that asked was killed
                self.close_connection = True

            def ranges(self, body: bytes) -> None:
                common = {"Accept-Ranges": "bytes"}
                match = re.fullmatch(r"bytes=(\d+)-(\d+)", self.headers.get("Range", ""))
                if match is None:
                    self.send_body(200, body, common)
                    return
                first, last = int(match[1]), min(int(match[2]), len(body) - 1)
                content_range = {"Content-Range": f"bytes {first}-{last}/{len(body)}"}
                self.send_body(206, body[first : last + 1], common | content_range)

        class QuietServer(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a connection reset by a killed worker is expected here

        self.httpd = QuietServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(10)


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    srv = Server()
    try:
        yield srv
    finally:
        srv.close()


@pytest.fixture(scope="module")
def dask_client() -> Iterator[DaskClient]:
    cluster = LocalCluster(
        n_workers=2,
        processes=True,
        threads_per_worker=1,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",  # None means port 8787, which another run may hold
        silence_logs=logging.CRITICAL,
    )
    try:
        with DaskClient(cluster, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
            yield client
    finally:
        cluster.close(timeout=30)


@pytest.fixture
def two_workers(dask_client: DaskClient) -> DaskClient:
    """The cluster, back to two workers (a test before may have killed one)."""
    dask_client.wait_for_workers(2, timeout=60)
    return dask_client


def read_outputs(out_dir: Path, pattern: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for path in sorted(out_dir.glob(pattern)):
        with path.open(encoding="utf-8") as f:
            records.extend(json.loads(line) for line in f)
    return records


def assert_exactly_once(records: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    ids = Counter(r["id"] for r in records)
    duplicated = sorted(i for i, n in ids.items() if n > 1)
    missing = sorted({r["id"] for r in expected} - set(ids))
    assert (duplicated, missing) == ([], [])
    assert sorted(records, key=lambda r: r["id"]) == sorted(expected, key=lambda r: r["id"])


def test_urls_each_record_once_with_a_retried_task(
    two_workers: DaskClient, server: Server, tmp_path: Path
) -> None:
    urls = [server.url(f"/shard/{n}") for n in range(5)] + [server.url("/flaky/5")]
    (tmp_path / ".unrelated.tmp").write_text("not the recipe's")
    summaries = dask_ingest.ingest_urls(two_workers, urls, tmp_path, retries=2, timeout=10)

    assert [s.records for s in summaries] == [RECORDS_PER_SHARD] * 6
    assert [Path(s.output).name for s in summaries] == [f"shard-{n:05d}.jsonl" for n in range(6)]
    expected = [r for n in range(6) for r in shard_records(n)]
    assert_exactly_once(read_outputs(tmp_path, "shard-*.jsonl"), expected)
    # The 503 made the first attempt raise; Dask ran the task again.
    assert server.requests["/flaky/5"] == 2
    shards = [f"shard-{n:05d}.jsonl" for n in range(6)]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".unrelated.tmp", *shards]


def test_a_shard_that_keeps_failing_raises_after_its_retries(
    two_workers: DaskClient, server: Server, tmp_path: Path
) -> None:
    urls = [server.url("/shard/30"), server.url("/missing/31")]
    with pytest.raises(faststream.HTTPStatusError, match="404 Not Found"):
        dask_ingest.ingest_urls(two_workers, urls, tmp_path, retries=2, timeout=10)
    assert server.requests["/missing/31"] == 3  # the first attempt and two retries
    assert not (tmp_path / "shard-00001.jsonl").exists()


def test_a_worker_killed_mid_task(two_workers: DaskClient, server: Server, tmp_path: Path) -> None:
    urls = [server.url(f"/shard/{n}") for n in range(10, 13)] + [server.url("/slow/13")]
    with ThreadPoolExecutor(1) as pool:
        job = pool.submit(dask_ingest.ingest_urls, two_workers, urls, tmp_path, timeout=60)
        assert server.slow_started.wait(60), "the slow shard was never asked for"
        # The worker process that holds the slow request's connection is the one to kill.
        pids = two_workers.run(os.getpid)
        victims = [
            pid
            for pid in pids.values()
            for conn in psutil.Process(pid).net_connections(kind="tcp")
            if conn.laddr and conn.laddr[1] == server.slow_peer_port
        ]
        assert len(victims) == 1
        # Mid-task: the shard's temporary file exists, its final file does not.
        deadline = time.monotonic() + 30
        while not list(tmp_path.glob(".shard-00003.jsonl.*.tmp")):
            assert time.monotonic() < deadline, "the slow task never started writing"
            time.sleep(0.01)
        psutil.Process(victims[0]).kill()  # SIGKILL (TerminateProcess on Windows)
        server.release.set()
        summaries = job.result(timeout=90)

    assert server.requests["/slow/13"] == 2  # the killed attempt, then the rerun
    assert summaries[3].worker_pid != victims[0]
    assert [s.records for s in summaries] == [RECORDS_PER_SHARD] * 4
    expected = [r for n in range(10, 14) for r in shard_records(n)]
    assert_exactly_once(read_outputs(tmp_path, "shard-*.jsonl"), expected)
    # The killed attempt's temporary file was removed once all tasks were done.
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"shard-{n:05d}.jsonl" for n in range(4)]


def test_byte_ranges_on_the_cluster(
    two_workers: DaskClient, server: Server, tmp_path: Path
) -> None:
    # A small read_past makes shards fetch further windows to finish their last line.
    summaries = dask_ingest.ingest_ranges(
        two_workers, server.url("/big"), tmp_path, shards=7, read_past=40, timeout=10
    )

    assert len(summaries) == 7
    expected = [json.loads(line) for line in server.big.splitlines() if line.strip()]
    assert len(expected) == 1500
    assert_exactly_once(read_outputs(tmp_path, "range-*.jsonl"), expected)
    assert sum(s.records for s in summaries) == 1500


@pytest.mark.parametrize("read_past", [7, 64, 1 << 20])
def test_owned_lines_every_cut_point(server: Server, read_past: int) -> None:
    """Wherever the boundary falls, the two shards' lines are the resource's lines, in order."""
    body = server.big[:SMALL]  # the range logic itself, in this process: no cluster needed
    size = len(body)
    lines = body.split(b"\n")
    if body.endswith(b"\n"):
        lines.pop()
    with faststream.Client(timeout=10) as client:
        for cut in range(size + 1):
            shards = [(0, cut), (cut, size)]
            got = [
                line
                for start, end in shards
                if start < end
                for line in dask_ingest.owned_lines(
                    client, server.url("/small"), start, end, size, read_past
                )
            ]
            assert got == lines, cut


def test_owned_lines_refuse_a_resource_that_changed_size(server: Server) -> None:
    with faststream.Client(timeout=10) as client:
        lines = dask_ingest.owned_lines(client, server.url("/small"), 0, 100, SMALL + 1, 64)
        with pytest.raises(RuntimeError, match=f"got 'bytes 0-163/{SMALL}'"):
            next(lines)


def test_plan_ranges_cover_the_resource(server: Server) -> None:
    ranges = dask_ingest.plan_ranges(server.url("/big"), 4, timeout=10)
    assert ranges[0][0] == 0 and ranges[-1][1] == len(server.big)
    assert all(a[1] == b[0] for a, b in pairwise(ranges))
    assert len(ranges) == 4
    with pytest.raises(RuntimeError, match="does not serve byte ranges"):
        dask_ingest.plan_ranges(server.url("/shard/1"), 4, timeout=10)


def test_download_files(two_workers: DaskClient, server: Server, tmp_path: Path) -> None:
    names = ["alpha.bin", "beta.bin", "gamma.bin"]
    summaries = dask_ingest.download_files(
        two_workers, [server.url(f"/file/{n}") for n in names], tmp_path, timeout=10
    )

    assert [Path(s.output).name for s in summaries] == names
    for name in names:
        assert (tmp_path / name).read_bytes() == name.encode() * 5000


def test_the_script_on_a_running_scheduler(
    two_workers: DaskClient, server: Server, tmp_path: Path
) -> None:
    """Run as a user would copy it: a script, whose functions Dask ships by value."""
    script = Path(__file__).resolve().parents[2] / "examples" / "dask_ingest.py"
    address = str(two_workers.scheduler_info()["address"])
    urls = [server.url("/shard/20"), server.url("/shard/21")]
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path), "--scheduler", address, *urls],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].split() == [
        str(RECORDS_PER_SHARD),
        str(tmp_path / "shard-00000.jsonl"),
        "<-",
        urls[0],
    ]
    expected = shard_records(20) + shard_records(21)
    assert_exactly_once(read_outputs(tmp_path, "shard-*.jsonl"), expected)
