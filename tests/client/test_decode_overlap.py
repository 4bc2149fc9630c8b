"""A big gzip/deflate body inflated on a worker thread (`faststream._overlap`) over loopback:
the same items, errors and connection handling as decoding on the caller's thread, against
httpx 0.28.1 and against faststream with the worker disabled.

`overlap` forces the switch at the first raw chunk (`OVERLAP_AFTER = 0`) so moderate bodies
take the threaded path; `batch` also runs answers of one piece each (`BATCH_BYTES = 1`), the
path a high compression ratio takes. Run once more with FASTSTREAM_NO_EXTENSIONS=1 for the
pure twins.
"""

from __future__ import annotations

import gzip
import os
import random
import signal
import threading
import time
import typing
import zlib
from collections.abc import Callable, Iterator

import httpx as real_httpx
import pytest

import faststream
from faststream import _overlap
from tests.servers.app import AppServer, Exchange

Read = Callable[[typing.Any], list[typing.Any]]


def _jsonl(n: int, seed: int) -> bytes:
    rng = random.Random(seed)
    words = ["alpha", "beta", "gamma", "delta", "épsilon", "zeta", "\u6771\u4eac", "omega"]
    return b"".join(
        b'{"id": %d, "w": "%s", "v": %d}\r\n'
        % (i, rng.choice(words).encode(), rng.randrange(10**9))
        if i % 97
        else b"\r" + b"x" * rng.randrange(0, 3000) + b"\n"
        for i in range(n)
    )


DATA = _jsonl(60_000, 1)  # ~2.4 MB
TAIL = _jsonl(9_000, 2)


def _deflate(data: bytes, wbits: int) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, wbits)
    return packer.compress(data) + packer.flush()


# name: (encoded body, Content-Encoding, the decoded body)
BODIES: dict[str, tuple[bytes, str, bytes]] = {
    "gzip": (gzip.compress(DATA, 6), "gzip", DATA),
    "deflate-zlib": (_deflate(DATA, 15), "deflate", DATA),
    "deflate-raw": (_deflate(DATA, -15), "deflate", DATA),
    "gzip-members": (gzip.compress(DATA, 1) + gzip.compress(TAIL, 9), "gzip", DATA + TAIL),
    "gzip-garbage": (gzip.compress(DATA) + b"\x00" * 5000, "gzip", DATA),
}
ORACLE = ("gzip", "deflate-zlib", "deflate-raw")  # httpx decodes these as we do

READS: dict[str, Read] = {
    "bytes": lambda r: list(r.iter_bytes()),
    "bytes-1": lambda r: list(r.iter_bytes(1)),
    "bytes-7": lambda r: list(r.iter_bytes(7)),
    "bytes-100003": lambda r: list(r.iter_bytes(100_003)),
    "text-9": lambda r: list(r.iter_text(9)),
    "text": lambda r: ["".join(r.iter_text())],
    "lines": lambda r: list(r.iter_lines()),
    "read": lambda r: [r.read()],
}
# one-byte chunks are slow in httpx: they run on a smaller body
SLOW = ("bytes-1",)
# one-byte chunks of every body would take minutes: gzip alone covers that path
CASES = [(name, read) for name in BODIES for read in READS if read not in SLOW or name == "gzip"]


@pytest.fixture
def server(app_server: AppServer) -> AppServer:
    def serve(ex: Exchange) -> None:
        body, coding, _ = _body(ex)
        ex.respond(200, body, headers=[("Content-Encoding", coding)])

    def serve_chunked(ex: Exchange) -> None:
        body, coding, _ = _body(ex)
        ex.send_head(200, [("Content-Encoding", coding), ("Transfer-Encoding", "chunked")])
        step = ex.int_param("step", 50_000)
        for i in range(0, len(body), step):
            ex.write_chunk(body[i : i + step])
        ex.end_chunks()

    def serve_stall(ex: Exchange) -> None:
        body = BODIES["gzip"][0]
        ex.send_head(200, [("Content-Encoding", "gzip"), ("Content-Length", str(len(body)))])
        ex.write(body[: len(body) // 2])
        ex.wait(5)

    app_server.add_route("/body", serve)
    app_server.add_route("/chunked-body", serve_chunked)
    app_server.add_route("/stall", serve_stall)
    return app_server


def _body(ex: Exchange) -> tuple[bytes, str, bytes]:
    body, coding, data = BODIES[ex.param("name", "gzip") or "gzip"]
    cut = ex.int_param("cut", 0)
    if cut:
        body = body[:cut]
    flip = ex.int_param("flip", 0)
    if flip:  # a second member whose header names an unknown method, at `flip`
        body = body[:flip] + b"\x1f\x8b\x07\x00" + body[flip:]
    return body, coding, data


class Spy:
    """Counts the bodies `_overlap.start` moved to a worker."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.moved = 0
        start = _overlap.start

        def spy(decoder: typing.Any) -> typing.Any:
            got = start(decoder)
            self.moved += got is not None
            return got

        monkeypatch.setattr(_overlap, "start", spy)


@pytest.fixture(params=["default", 1])
def batch(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.param != "default":
        monkeypatch.setattr(_overlap, "BATCH_BYTES", request.param)


@pytest.fixture
def overlap(monkeypatch: pytest.MonkeyPatch, batch: None) -> Spy:
    if not _overlap.ENABLED:
        pytest.skip("one usable CPU, or FASTSTREAM_DECODE_THREAD=0: no decoding worker")
    monkeypatch.setattr(_overlap, "OVERLAP_AFTER", 0)
    return Spy(monkeypatch)


def _serial(fn: Callable[[], typing.Any]) -> typing.Any:
    saved, _overlap.ENABLED = _overlap.ENABLED, False
    try:
        return fn()
    finally:
        _overlap.ENABLED = saved


def _get(module: typing.Any, url: str, read: Read) -> list[typing.Any]:
    with module.Client() as client, client.stream("GET", url) as response:
        return read(response)


def _outcome(module: typing.Any, url: str, read: Read) -> tuple[list[typing.Any], str, str]:
    """What a loop sees: the items before the error, and the error's type and message."""
    items: list[typing.Any] = []
    with module.Client() as client, client.stream("GET", url) as response:
        try:
            if read is READS["read"]:
                items.append(response.read())
            else:
                items.extend(_iterate(read, response))
        except Exception as exc:
            return items, type(exc).__name__, str(exc)
    return items, "", ""


def _iterate(read: Read, response: typing.Any) -> Iterator[typing.Any]:
    name = next(k for k, v in READS.items() if v is read)
    method, _, size = name.partition("-")
    if method == "lines":
        return response.iter_lines()  # type: ignore[no-any-return]
    chunk = int(size) if size else None
    it = response.iter_text(chunk) if method == "text" else response.iter_bytes(chunk)
    return it  # type: ignore[no-any-return]


def _idle_workers() -> int:
    """The workers started, once all are back in the pool (bounded wait), else -1."""
    deadline = time.monotonic() + 10
    for _ in range(1000):
        with _overlap._lock:
            if len(_overlap._idle) == _overlap._started:
                return _overlap._started
        if time.monotonic() > deadline:
            break
        time.sleep(0.01)
    return -1


@pytest.mark.parametrize(("name", "read"), CASES, ids=[f"{n}-{r}" for n, r in CASES])
def test_same_items_as_httpx_and_the_serial_path(
    server: AppServer, overlap: Spy, name: str, read: str
) -> None:
    _, _, data = BODIES[name]
    url = f"{server.url}/body?name={name}"
    got = _get(faststream, url, READS[read])
    assert overlap.moved == 1
    serial = _serial(lambda: _get(faststream, url, READS[read]))
    oracle = _get(real_httpx, url, READS[read]) if name in ORACLE else serial
    if read == "bytes":  # pieces as they come: cut where the reads happened to end
        got, serial, oracle = [b"".join(got)], [b"".join(serial)], [b"".join(oracle)]
    assert got == serial
    assert got == oracle
    joined = got[0][:0].join(got) if got else b""
    if read.startswith("bytes") or read == "read":
        assert joined == data
    assert _idle_workers() >= 1


@pytest.mark.parametrize("step", [1_000, 50_000, 700_000])
@pytest.mark.parametrize("name", ["gzip", "gzip-members", "deflate-raw"])
def test_chunked_transfer(server: AppServer, overlap: Spy, name: str, step: int) -> None:
    url = f"{server.url}/chunked-body?name={name}&step={step}"
    got = _get(faststream, url, READS["bytes-7"])
    assert overlap.moved == 1
    assert b"".join(got) == BODIES[name][2]


@pytest.mark.parametrize("read", ["bytes", "bytes-7", "lines", "read"])
@pytest.mark.parametrize(
    "damage", ["cut=400000", "cut=11", "flip=300000", "name=gzip-members&flip=-1"]
)
def test_damaged_bodies_fail_as_on_the_serial_path(
    server: AppServer, overlap: Spy, damage: str, read: str
) -> None:
    if damage.endswith("flip=-1"):
        # the bad header right after the first member: the first member's data comes whole
        damage = damage.replace("-1", str(len(gzip.compress(DATA, 1))))
    url = f"{server.url}/body?{damage}"
    got = _outcome(faststream, url, READS[read])
    serial = _serial(lambda: _outcome(faststream, url, READS[read]))
    assert got[1] == "DecodingError", got[1:]
    # the error is the same; the items before it are what the body decodes to, up to a point
    # that depends on how the reads cut the input (on either path)
    assert got[1:] == serial[1:]
    if damage != "flip=300000":  # (inside a deflate stream isal may inflate garbage first)
        for items in (got[0], serial[0]):
            if read == "lines":
                assert items == DATA.decode().splitlines()[: len(items)]
            else:
                assert DATA.startswith(b"".join(items))
    assert _idle_workers() >= 1


def test_the_decoded_cap_stops_at_the_cap(server: AppServer, overlap: Spy) -> None:
    cap = 1_000_003
    url = f"{server.url}/body?name=gzip"
    with faststream.Client(max_decoded_bytes=cap) as client:
        total = 0
        with client.stream("GET", url) as response:
            with pytest.raises(faststream.ResponseTooLarge, match="max_decoded_bytes=1000003"):
                for chunk in response.iter_bytes():
                    total += len(chunk)
        assert total == cap
        assert typing.cast(typing.Any, client)._transport._pool.connections_in_use == 0
        # the pool and a worker still serve
        assert client.get(url, extensions={"max_decoded_bytes": None}).content == DATA
    assert overlap.moved == 2
    assert _idle_workers() >= 1


def _leave(url: str, how: str) -> tuple[bytes, str]:
    """Take 300 KB of the body, then leave as `how` says: what was taken, and the exception
    the loop met after that (its type)."""
    with faststream.Client() as client:
        with client.stream("GET", url) as response:
            items: typing.Any = response.iter_bytes(1000)  # (a generator's close())
            taken = []
            error = ""
            try:
                for chunk in items:
                    taken.append(chunk)
                    if len(taken) == 300:
                        if how == "close-response":
                            response.close()  # and go on iterating
                        elif how == "raise":
                            raise KeyboardInterrupt
                        else:
                            break
            except (KeyboardInterrupt, Exception) as exc:
                error = type(exc).__name__
            if how == "close-iterator":
                items.close()
            del items
        assert client.get(url).content == DATA
    return b"".join(taken), error


@pytest.mark.parametrize("how", ["break", "close-iterator", "close-response", "raise"])
def test_leaving_mid_body_frees_the_worker(server: AppServer, overlap: Spy, how: str) -> None:
    url = f"{server.url}/body?name=gzip"
    got = _leave(url, how)
    assert overlap.moved == 2
    assert _idle_workers() >= 1
    serial = _serial(lambda: _leave(url, how))
    if how == "close-response":
        # the pieces decoded before the close still come out (the worker may be a batch or
        # two ahead of the serial loop), then the same error
        assert got[1] == serial[1]
    else:
        assert got == serial
    assert got[0] == DATA[: len(got[0])]
    assert len(got[0]) >= 300_000
    assert bool(got[1]) == (how in ("close-response", "raise"))


def test_an_interrupt_while_waiting_for_the_worker(
    server: AppServer, overlap: Spy, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ctrl-C lands in the caller's wait for an answer (queue.SimpleQueue.get)
    made: list[_overlap.Overlapped] = []
    init = _overlap.Overlapped.__init__

    def record(self: _overlap.Overlapped, *args: typing.Any) -> None:
        init(self, *args)
        made.append(self)

    monkeypatch.setattr(_overlap.Overlapped, "__init__", record)

    class Interrupting:
        def __init__(self, inner: typing.Any) -> None:
            self.inner, self.calls = inner, 0

        def get(self) -> typing.Any:
            self.calls += 1
            if self.calls == 3:
                raise KeyboardInterrupt
            return self.inner.get()

        def put(self, item: typing.Any) -> None:
            self.inner.put(item)

        def empty(self) -> bool:
            return bool(self.inner.empty())

    url = f"{server.url}/body?name=gzip"
    with faststream.Client() as client:
        with client.stream("GET", url) as response:
            items: typing.Any = response.iter_bytes()  # (a generator's close())
            with pytest.raises(KeyboardInterrupt):
                for _ in items:
                    body = made[0]._body if made else None
                    if body is not None and not isinstance(body.outbox, Interrupting):
                        body.outbox = Interrupting(body.outbox)  # type: ignore[assignment]
            items.close()
        assert _idle_workers() >= 1
        assert client.get(url).content == DATA


def test_a_read_timeout_mid_body(server: AppServer, overlap: Spy) -> None:
    with faststream.Client(timeout=faststream.Timeout(5, read=0.3)) as client:
        with client.stream("GET", f"{server.url}/stall") as response:
            total = 0
            with pytest.raises(faststream.ReadTimeout):
                for chunk in response.iter_bytes():
                    total += len(chunk)
        assert 0 < total < len(DATA)
    assert overlap.moved == 1
    assert _idle_workers() >= 1


def test_small_bodies_stay_on_the_callers_thread(
    server: AppServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = Spy(monkeypatch)
    monkeypatch.setattr(_overlap, "OVERLAP_AFTER", len(BODIES["gzip"][0]) + 1)
    with faststream.Client() as client:
        assert client.get(f"{server.url}/body?name=gzip").content == DATA
    assert spy.moved == 0


def test_more_bodies_than_workers(server: AppServer, overlap: Spy) -> None:
    # each thread's body is decoded by a worker or, when all are busy, serially: all whole
    url = f"{server.url}/body?name=gzip-members"
    results: list[bytes] = []

    def fetch() -> None:
        with faststream.Client() as client:
            results.append(client.get(url).content)

    threads = [threading.Thread(target=fetch) for _ in range(_overlap.MAX_WORKERS + 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert results == [BODIES["gzip-members"][2]] * len(threads)
    assert 1 <= overlap.moved <= len(threads)
    assert _idle_workers() <= _overlap.MAX_WORKERS


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")
def test_a_forked_child_starts_its_own_worker(server: AppServer, overlap: Spy) -> None:
    url = f"{server.url}/body?name=gzip"
    with faststream.Client() as client:
        assert client.get(url).content == DATA  # the parent's worker exists now
    assert _overlap._started >= 1
    pid = os.fork()
    if pid == 0:  # the child: its pool is empty, and a body still gets a worker
        code = 1
        try:
            fresh = _overlap._started == 0 and not _overlap._idle
            with faststream.Client() as client:
                whole = client.get(url).content == DATA
            code = 0 if fresh and whole and _overlap._started == 1 else 2
        finally:
            os._exit(code)
    deadline = time.monotonic() + 60
    status = None
    for _ in range(6000):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    else:
        done = 0
    if not done:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    assert done and os.waitstatus_to_exitcode(typing.cast(int, status)) == 0
    assert overlap.moved == 1  # the child's count stays in the child
