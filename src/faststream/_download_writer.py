"""A download's part written and hashed on a thread of its own, behind the receive.

One stream's pieces arrive in order on the thread that reads the socket (or the event loop);
writing them to the part and hashing them (sha256, plus the checksum's algorithm) each take
about as long as receiving them. `hashlib` and file writes release the GIL on large buffers,
so each runs on a thread of its own -- one writes, one per digest hashes, every one taking
the pieces in order -- and the receive goes on meanwhile: the download runs at the speed of
its slowest part instead of the sum of all.

The pieces are immutable `bytes` objects, handed over by reference (no copy). At most
`limit` bytes wait for any one thread: a receiver faster than the disk or the hash blocks in
`put` until they catch up, so memory stays bounded. A write error stops every thread
(nothing after the failed piece is written; the digests are void from then on, as the
download fails) and is raised by the next `put`/`drain`, once.
"""

from __future__ import annotations

import collections
import threading
import typing

__all__ = ["QUEUE_LIMIT", "PartWriter"]

QUEUE_LIMIT = 16 << 20  # bytes received but not yet written and hashed


class _Hash(typing.Protocol):
    def update(self, data: bytes, /) -> None: ...


class _Lane:
    """One thread's queue: the pieces it has still to take, and the bytes they hold (the
    piece in hand included)."""

    __slots__ = ("busy", "queue", "queued", "thread")

    def __init__(self) -> None:
        self.queue: collections.deque[bytes | None] = collections.deque()
        self.queued = 0
        self.busy = False
        self.thread: threading.Thread | None = None


class PartWriter:
    """Writes `put` pieces to `file` and feeds them to each of `hashes`, in order, on worker
    threads (one for the file, one per digest).

    `wrap_error(exc)` turns a write's `OSError` into the one the caller raises (naming the
    part). `drain()` waits until everything put is written and hashed; `close()` drains and
    ends the threads. Neither closes `file`.
    """

    def __init__(
        self,
        file: typing.BinaryIO,
        hashes: typing.Sequence[_Hash],
        wrap_error: typing.Callable[[OSError], BaseException],
        limit: int = QUEUE_LIMIT,
    ) -> None:
        self._wrap_error = wrap_error
        self._limit = limit
        self._error: BaseException | None = None
        self._reported = False
        self._changed = threading.Condition(threading.Lock())
        jobs: list[typing.Callable[[bytes], object]] = [file.write]
        jobs.extend(digest.update for digest in hashes)
        self._lanes = [_Lane() for _ in jobs]
        for lane, job in zip(self._lanes, jobs, strict=True):
            lane.thread = threading.Thread(
                target=self._run, args=(lane, job), name="faststream-part-writer", daemon=True
            )
            lane.thread.start()

    def put(self, piece: bytes) -> None:
        """Queue `piece` (waiting while a thread has `limit` bytes queued); raise the writer's
        error (every time: nothing is queued after a failure)."""
        size = len(piece)
        limit = self._limit
        lanes = self._lanes
        with self._changed:
            while self._error is None and any(
                lane.queued and lane.queued + size > limit for lane in lanes
            ):
                self._changed.wait()
            if self._error is not None:
                self._reported = True
                raise self._error
            for lane in lanes:
                lane.queue.append(piece)
                lane.queued += size
            self._changed.notify_all()

    def drain(self) -> None:
        """Wait until every piece put is written and hashed; raise the writer's error unless
        it was raised already."""
        with self._changed:
            while self._error is None and any(lane.queue or lane.busy for lane in self._lanes):
                self._changed.wait()
            self._raise()

    def close(self) -> None:
        """Drain, then end the worker threads (also after an error)."""
        try:
            self.drain()
        finally:
            with self._changed:
                for lane in self._lanes:
                    lane.queue.clear()
                    lane.queue.append(None)
                self._changed.notify_all()
            for lane in self._lanes:
                assert lane.thread is not None
                lane.thread.join()

    def _raise(self) -> None:
        # The error goes to the caller once: a later drain (the cleanup after the failure)
        # must not replace the exception that is already propagating.
        if self._error is not None and not self._reported:
            self._reported = True
            raise self._error

    def _run(self, lane: _Lane, job: typing.Callable[[bytes], object]) -> None:
        queue = lane.queue
        changed = self._changed
        while True:
            with changed:
                while not queue:
                    changed.wait()
                piece = queue.popleft()
                if piece is None:
                    return
                if self._error is not None:
                    continue  # nothing after a failed piece is written
                lane.busy = True
            failed: BaseException | None = None
            try:
                job(piece)  # outside the lock: the receiver and the other threads go on
            except OSError as exc:
                failed = self._wrap_error(exc)
                if failed is not exc:
                    failed.__cause__ = exc
            except BaseException as exc:  # pragma: no cover - a bug, reported to the caller
                failed = exc
            with changed:
                lane.busy = False
                lane.queued -= len(piece)
                if failed is not None and self._error is None:
                    self._error = failed
                    # Nothing after a failed piece is written: the part must end at a byte
                    # that was received in order.
                    for other in self._lanes:
                        other.queue.clear()
                        other.queued = 0
                changed.notify_all()
