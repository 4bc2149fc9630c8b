"""The part writer: one stream's pieces written and hashed on a thread behind the receive, in
order, with a bounded queue and a write error raised to the receiver, once."""

from __future__ import annotations

import hashlib
import io
import os
import threading
import types
import typing
from pathlib import Path

import pytest

from faststream import _download_base
from faststream._download_base import Plan
from faststream._download_writer import PartWriter
from tests.download.conftest import fetch, sha256
from tests.servers.ranges import RangeServer

WAIT = 5.0


class Wrapped(OSError):
    pass


def wrap(exc: OSError) -> BaseException:
    return Wrapped(exc.errno, f"wrapped: {exc}")


class FailingFile(io.BytesIO):
    """A file whose write number `fail_at` (1-based) fails with ENOSPC."""

    def __init__(self, fail_at: int) -> None:
        super().__init__()
        self.fail_at = fail_at
        self.writes = 0

    def write(self, data: typing.Any) -> int:
        self.writes += 1
        if self.writes == self.fail_at:
            raise OSError(28, "No space left on device")
        return super().write(data)


class GatedFile(io.BytesIO):
    """A file whose writes wait for `gate`."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()

    def write(self, data: typing.Any) -> int:
        assert self.gate.wait(WAIT)
        return super().write(data)


def test_pieces_are_written_and_hashed_in_order() -> None:
    pieces = [os.urandom(n) for n in (1, 65536, 7, 300_000, 0, 4096)]
    file = io.BytesIO()
    sha, md5 = hashlib.sha256(), hashlib.md5()
    writer = PartWriter(file, [sha, md5], wrap)
    for piece in pieces:
        writer.put(piece)
    writer.close()
    whole = b"".join(pieces)
    assert file.getvalue() == whole
    assert sha.hexdigest() == hashlib.sha256(whole).hexdigest()
    assert md5.hexdigest() == hashlib.md5(whole).hexdigest()


def test_drain_waits_for_every_piece() -> None:
    file = GatedFile()
    writer = PartWriter(file, [], wrap)
    writer.put(b"a" * 1000)
    writer.put(b"b" * 1000)
    drained = threading.Event()

    def drain() -> None:
        writer.drain()
        drained.set()

    thread = threading.Thread(target=drain)
    thread.start()
    assert not drained.wait(0.2)  # the writes are held: drain is still waiting
    file.gate.set()
    assert drained.wait(WAIT)
    thread.join(WAIT)
    assert file.getvalue() == b"a" * 1000 + b"b" * 1000
    writer.close()


def test_queue_is_bounded() -> None:
    file = GatedFile()
    writer = PartWriter(file, [], wrap, limit=10_000)
    writer.put(b"x" * 6000)
    writer.put(b"y" * 4000)  # exactly the limit
    blocked = threading.Event()
    done = threading.Event()

    def third() -> None:
        blocked.set()
        writer.put(b"z" * 100)
        done.set()

    thread = threading.Thread(target=third)
    thread.start()
    assert blocked.wait(WAIT)
    assert not done.wait(0.2)  # 10,000 bytes wait to be written: the receiver waits too
    file.gate.set()
    assert done.wait(WAIT)
    thread.join(WAIT)
    writer.close()
    assert file.getvalue() == b"x" * 6000 + b"y" * 4000 + b"z" * 100


def test_one_piece_larger_than_the_limit_still_goes_through() -> None:
    file = io.BytesIO()
    writer = PartWriter(file, [], wrap, limit=10)
    writer.put(b"a" * 100)
    writer.put(b"b" * 100)
    writer.close()
    assert file.getvalue() == b"a" * 100 + b"b" * 100


def test_write_error_is_raised_at_the_next_put_and_nothing_after_it_is_written() -> None:
    file = FailingFile(fail_at=2)
    writer = PartWriter(file, [hashlib.sha256()], wrap)
    writer.put(b"first")
    writer.put(b"second")  # fails in the writer
    with pytest.raises(Wrapped, match="wrapped: .*No space left") as caught:
        for _ in range(1000):  # bounded: the failure shows at a put once the writer reached it
            writer.put(b"later")
            writer.drain()
    assert caught.value.errno == 28
    # the error was raised once: the cleanup's drain and close do not raise it again
    writer.drain()
    writer.close()
    assert file.getvalue() == b"first"  # the digests are void after a failure: not checked


def test_write_error_is_raised_by_drain_when_no_put_follows() -> None:
    file = FailingFile(fail_at=1)
    writer = PartWriter(file, [], wrap)
    writer.put(b"only")
    with pytest.raises(Wrapped):
        writer.close()
    assert file.getvalue() == b""


@pytest.mark.parametrize("write_behind", [True, False])
def test_download_with_and_without_the_writer_thread(
    server: RangeServer,
    body: bytes,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    write_behind: bool,
) -> None:
    monkeypatch.setattr(Plan, "write_behind", write_behind)
    monkeypatch.setattr(_download_base, "BACKOFF_BASE", 0.01)
    server.drop_every = 400_000  # resumed twice or more: the offset must be the part's size
    target = tmp_path / "out.bin"
    result = fetch("sync", server.url + "/f", target, checksum=f"sha256:{sha256(body)}")
    assert target.read_bytes() == body
    assert result.sha256 == sha256(body)
    ranges = [r.headers.get("range") for r in server.requests]
    assert ranges == [None, "bytes=400000-", "bytes=800000-", "bytes=1200000-"]


class CountingHash:
    """A hashlib object that counts the bytes it is given."""

    hashed: typing.ClassVar[list[int]] = []

    def __init__(self, inner: typing.Any) -> None:
        self._inner = inner
        self.name = inner.name

    def update(self, data: typing.Any) -> None:
        CountingHash.hashed.append(len(memoryview(data)))
        self._inner.update(data)

    def hexdigest(self) -> str:
        return typing.cast(str, self._inner.hexdigest())


@pytest.mark.parametrize(("algorithm", "passes"), [("sha256", 1), ("md5", 2)])
@pytest.mark.parametrize("segments", [1, 4])
def test_a_sha256_checksum_hashes_each_byte_once(
    server: RangeServer,
    body: bytes,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    algorithm: str,
    passes: int,
    segments: int,
) -> None:
    """The result's sha256 and a sha256 checksum are one digest: the body goes through sha256
    once, not twice; another algorithm is a second pass."""
    counting = types.SimpleNamespace(
        sha256=lambda: CountingHash(hashlib.sha256()),
        new=lambda name: CountingHash(hashlib.new(name)),
    )
    monkeypatch.setattr(_download_base, "hashlib", counting)
    monkeypatch.setattr(CountingHash, "hashed", [])
    digest = hashlib.new(algorithm, body).hexdigest()
    target = tmp_path / "out.bin"
    result = fetch(
        "sync", server.url + "/f", target, checksum=f"{algorithm}:{digest}", segments=segments
    )
    assert result.sha256 == sha256(body)
    assert target.read_bytes() == body
    assert sum(CountingHash.hashed) == passes * len(body)
