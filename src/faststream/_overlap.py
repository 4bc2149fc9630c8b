"""Inflating a big gzip / deflate body on a worker thread while the caller receives more.

Receiving and inflating both release the GIL (``recv`` in the kernel; every inflate backend,
isal, zlib-ng, zlib's module and the compiled zlib kernel, around its inflate call), so on
two cores a body decodes at the speed of the slower of the two instead of their sum. For a
sync response whose body is gzip or deflate, `Pipeline` decodes the first `OVERLAP_AFTER`
raw bytes on the caller's thread as always; past that, if a worker is free, the decoder is
handed to one (`Overlapped`) for the rest of the body. Small bodies never reach the switch and
pay nothing; a body finds every worker busy decodes serially to its end.

Workers: lazily started daemon threads, at most `MAX_WORKERS` (the usable CPUs minus one,
capped at 4; none on one CPU), kept for the life of the process and shared by every client;
one serves one body at a time. A fork forgets them (threads do not survive it).

The protocol keeps memory bounded and the pieces exactly as the serial loop cuts them. The
caller sends *jobs*: "here is a raw chunk", "go on" or "flush". The worker feeds the decoder
one chunk at a time, the next only once every piece of the one before is out, as the serial
loop does, and answers each job, in order, with the pieces it produced (at most `BATCH_BYTES`
plus one piece), whether work is left, and the error it met (after the pieces before it).
At most `DEPTH` (2) jobs are outstanding: the caller sends chunk N+1 and goes back to the
socket, handing on the answers that are ready, so the worker has chunks queued even when the
caller's thread is scheduled late; it waits only with `DEPTH` jobs out, or when an answer left
work behind (a high ratio): that is done before another chunk is received. Held at any time:
at most `DEPTH` raw chunks not yet decoded, at most `DEPTH` + 1 answers (about `DEPTH` + 1
times `BATCH_BYTES`: 3 MiB), the codec state.

Errors travel as objects and are raised on the caller's thread, the same exception as the
serial path raises. `close()` (an error, `break`, `close()` of the iterator, GeneratorExit,
KeyboardInterrupt) waits for the outstanding jobs (each bounded by one answer) before the
worker serves another body; each body has its own answer queue, so an abandoned answer is
never read by anyone else.

The gzip CRC runs on the caller's thread, over the pieces as it hands them out (`_Crc`), where
the compiled zlib kernel can leave it there (`_defer_check`): zlib then skips it on the worker,
which is about a fifth of inflating's instructions, while the caller's thread is mostly idle
(``zlib.crc32`` releases the GIL for big pieces). The kernel reports per produce call where
members end and when a trailer's CRC was consumed; an answer carries those events with the
pieces, and, with an error, the output of the call that raised (never handed out). A CRC that
differs is raised with zlib's message instead of the piece it was found in, as the serial
kernel drops it; an error the worker met after a bad CRC in the same piece gives way to it.

``FASTSTREAM_DECODE_THREAD=0`` in the environment disables the worker (A/B comparisons).
"""

from __future__ import annotations

import collections
import os
import queue
import threading
import typing
import zlib
from collections.abc import Callable, Iterable, Iterator

import _cstream
from _cstream import DecodeError

if typing.TYPE_CHECKING:
    from _cstream._codecs import ContentDecoder

__all__ = ["BATCH_BYTES", "MAX_WORKERS", "OVERLAP_AFTER", "Overlapped", "eligible", "start"]

#: Raw (compressed) bytes a body decodes on the caller's thread before it is overlapped:
#: below about 1 MiB the worker's hand-offs cost more than the overlap saved
#: (bench/decode_overlap.py).
OVERLAP_AFTER = 1024 * 1024
#: Decoded bytes a worker produces per job before it answers (then one piece more at most).
BATCH_BYTES = 1024 * 1024


def _usable_cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


#: Jobs a body may have sent and not had answered (raw chunks ahead of the consumer);
#: 4 made the caller receive in smaller reads, costing it more CPU than it saved.
DEPTH = 2
#: The most worker threads the process starts: one core stays for the callers.
MAX_WORKERS = min(4, _usable_cpus() - 1)
#: False: every body decodes on the caller's thread.
ENABLED = os.environ.get("FASTSTREAM_DECODE_THREAD", "1") != "0" and MAX_WORKERS > 0

#: False: the worker's zlib checks the gzip CRC itself (A/B comparisons).
DEFER_CRC = True

# per produce call, in order: (0, offset) a member's output ends at `offset` of the piece;
# (1, crc) the trailer's CRC of the member that ended last was consumed
_Events = list[tuple[int, int]]
# an answer: the pieces, whether the body has more to decode, the error met after the pieces,
# and with a deferred CRC the events as (index in the pieces, events); then an empty piece
# stands for a produce call that made none, and with an error the last piece is the output of
# the call that raised
_Answer = tuple[list[bytes], bool, BaseException | None, list[tuple[int, _Events]] | None]
_CRC_ERROR = "Error -3 while decompressing data: incorrect data check"


class _Crc:
    """A deferred gzip CRC, run over the output in order by the consumer."""

    __slots__ = ("ended", "running")

    def __init__(self, start: int) -> None:
        self.running = start  # of the current member's output so far
        self.ended = 0  # of the member that ended last

    def bad(self, piece: bytes, events: _Events | None) -> bool:
        """Run over `piece`; True if a CRC consumed while it was made differs."""
        if events is None:
            self.running = zlib.crc32(piece, self.running)
            return False
        view = memoryview(piece)
        at = 0
        for kind, value in events:
            if kind == 0:
                self.ended = zlib.crc32(view[at:value], self.running)
                self.running = 0
                at = value
            elif value != self.ended:
                return True
        self.running = zlib.crc32(view[at:], self.running)
        return False


def eligible(decoder: ContentDecoder | None) -> bool:
    """Whether this body's decoder may be moved to a worker: gzip or deflate alone (their
    every backend releases the GIL while inflating), with workers enabled."""
    return ENABLED and type(decoder) in (_cstream.GzipDecoder, _cstream.DeflateDecoder)


class _Body:
    """A body's decoding, as its worker runs it: the raw chunks are fed to the decoder one at
    a time, each only once the pieces of the one before are all out (the serial loop's
    order), so the pieces are cut exactly as on the caller's thread."""

    __slots__ = ("checks", "current", "decoder", "ended", "final", "outbox", "waiting")

    def __init__(
        self,
        decoder: ContentDecoder,
        checks: Callable[[], tuple[_Events | None, bytes | None]] | None,
    ) -> None:
        self.decoder = decoder
        self.checks = checks  # the decoder's `_take_checks` when its CRC is deferred
        self.outbox: queue.SimpleQueue[_Answer] = queue.SimpleQueue()
        self.waiting: collections.deque[bytes] = collections.deque()  # not fed yet
        self.current: Iterator[bytes] | None = None  # the pieces of the chunk fed last
        self.final = False  # the caller asked for the flush
        self.ended = False  # the flush's pieces are out

    def run(self, data: bytes, final: bool) -> None:
        """One job: queue `data`, then decode up to `BATCH_BYTES` and answer."""
        if data:
            self.waiting.append(data)
        self.final = self.final or final
        pieces: list[bytes] = []
        marks: list[tuple[int, _Events]] | None = None
        checks = self.checks
        size = 0
        error: BaseException | None = None
        try:
            while size < BATCH_BYTES:
                if self.current is None:
                    if self.waiting:
                        self.current = self.decoder.decode(self.waiting.popleft())
                    elif self.final and not self.ended:
                        self.ended = True
                        self.current = self.decoder.flush()
                    else:
                        break
                piece = next(self.current, None)
                if checks is not None:
                    events = checks()[0]
                    if events is not None:
                        if marks is None:
                            marks = []
                        marks.append((len(pieces), events))
                        if piece is None:
                            pieces.append(b"")
                if piece is None:
                    self.current = None
                else:
                    pieces.append(piece)
                    size += len(piece)
        except BaseException as exc:  # raised again on the caller's thread
            self.current = None
            self.waiting.clear()
            error = exc
            if checks is not None:
                events, partial = checks()
                if events is not None:
                    if marks is None:
                        marks = []
                    marks.append((len(pieces), events))
                pieces.append(partial or b"")
        more = error is None and (
            self.current is not None or bool(self.waiting) or (self.final and not self.ended)
        )
        self.outbox.put((pieces, more, error, marks))


def _serve(inbox: queue.SimpleQueue[tuple[_Body, bytes, bool] | None]) -> None:
    """A worker's loop: one job at a time."""
    while True:
        job = inbox.get()
        if job is None:
            return
        job[0].run(job[1], job[2])
        del job  # the body may be freed while this thread waits


class _Worker:
    __slots__ = ("inbox",)

    def __init__(self) -> None:
        self.inbox: queue.SimpleQueue[tuple[_Body, bytes, bool] | None] = queue.SimpleQueue()
        thread = threading.Thread(
            target=_serve, args=(self.inbox,), name="faststream-inflate", daemon=True
        )
        thread.start()


_lock = threading.Lock()
_idle: list[_Worker] = []
_started = 0
_generation = 0  # counts forks: a worker of an earlier generation does not exist here


def _checkout() -> _Worker | None:
    global _started
    with _lock:
        if _idle:
            return _idle.pop()
        if _started >= MAX_WORKERS:
            return None
        _started += 1
    try:
        return _Worker()
    except RuntimeError:  # no thread can be started (interpreter shutdown, a limit)
        with _lock:
            _started -= 1
        return None


def _checkin(worker: _Worker) -> None:
    with _lock:
        _idle.append(worker)


def _forget_workers() -> None:
    global _lock, _started, _generation
    _lock = threading.Lock()
    _idle.clear()
    _started = 0
    _generation += 1


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_workers)


def start(decoder: ContentDecoder) -> Overlapped | None:
    """`decoder` moved to a free worker, or None when every worker is busy. From then on only
    the worker calls it, through the `Overlapped` returned."""
    worker = _checkout()
    if worker is None:
        return None
    return Overlapped(decoder, worker)


class Overlapped:
    """A content decoder run by a worker: `decode()` and `flush()` give the same pieces in the
    same order as the decoder's own would. Used by one thread at a time, as every decoder."""

    __slots__ = (
        "_body",
        "_crc",
        "_failed",
        "_generation",
        "_inbox",
        "_more",
        "_outstanding",
        "_worker",
    )

    def __init__(self, decoder: ContentDecoder, worker: _Worker) -> None:
        # on the caller's thread, before the worker has the decoder
        defer = getattr(decoder, "_defer_check", None) if DEFER_CRC else None
        start = defer() if defer is not None else None
        self._crc = None if start is None else _Crc(start)
        self._failed: BaseException | None = None  # the CRC error raised, raised again
        self._body = _Body(decoder, None if start is None else decoder._take_checks)  # type: ignore[attr-defined]
        self._worker: _Worker | None = worker
        self._generation = _generation
        self._inbox = worker.inbox
        self._outstanding = 0
        self._more = False  # the last answer left work behind (a chunk not fully decoded)

    def decode(self, data: bytes) -> Iterator[bytes]:
        return self._after_send(data)

    def flush(self) -> Iterator[bytes]:
        return self._flushed()

    def _send(self, data: bytes, final: bool) -> None:
        if self._failed is not None:
            raise DecodeError(*self._failed.args) from self._failed
        if self._worker is None:
            raise RuntimeError("the decoding worker was released")
        self._inbox.put((self._body, data, final))
        self._outstanding += 1

    def _answer(self) -> Iterable[bytes]:
        if self._generation != _generation:
            # a forked child iterating its parent's body: the worker thread is not here
            raise RuntimeError("a body being decoded on a worker thread cannot cross a fork")
        pieces, self._more, error, marks = self._body.outbox.get()
        self._outstanding -= 1
        if self._crc is not None:
            return self._checked(self._crc, pieces, error, marks)
        if error is not None:
            return _then_raise(pieces, error)
        return pieces

    def _checked(
        self,
        crc: _Crc,
        pieces: list[bytes],
        error: BaseException | None,
        marks: list[tuple[int, _Events]] | None,
    ) -> Iterable[bytes]:
        """The pieces to hand out, the CRC run over them first: those before a bad CRC's,
        then its error, which also takes the place of an error met later in the answer."""
        dropped = len(pieces) - 1 if error is not None else -1
        out: list[bytes] = []
        m = 0
        for i, piece in enumerate(pieces):
            events = None
            if marks is not None and m < len(marks) and marks[m][0] == i:
                events = marks[m][1]
                m += 1
            if crc.bad(piece, events):
                error = DecodeError(_CRC_ERROR)
                break
            if i == dropped:
                break
            if piece:
                out.append(piece)
        if error is None:
            return out
        self._failed = error
        self._more = False
        return _then_raise(out, error)

    def _after_send(self, data: bytes) -> Iterator[bytes]:
        self._send(data, False)
        # Hand on what is ready; wait only with DEPTH jobs out (the worker has work queued
        # while this thread receives, even if it is scheduled late), or when work was left
        # behind (a high ratio): that is done before another chunk is received.
        outbox = self._body.outbox
        while self._outstanding >= DEPTH or self._more or not outbox.empty():
            if not self._outstanding:
                self._send(b"", False)
            yield from self._answered(False)

    def _flushed(self) -> Iterator[bytes]:
        self._send(b"", True)
        while self._outstanding or self._more:
            if not self._outstanding:
                self._send(b"", True)
            yield from self._answered(True)
        self.close()

    def _answered(self, final: bool) -> Iterable[bytes]:
        """The next answer's pieces. While answers leave work behind, `DEPTH` jobs are kept
        out before these pieces are handed out: the worker goes on to the next batch as soon
        as it has answered, instead of waiting for the consumer to take the pieces and ask
        (held: these pieces, `DEPTH` answers at most, as above)."""
        pieces = self._answer()
        if self._more:
            while self._outstanding < DEPTH:
                self._send(b"", final)
        return pieces

    def close(self) -> None:
        """Wait for this body's outstanding jobs, then give the worker back (idempotent)."""
        worker = self._worker
        if worker is None:
            return
        if self._generation != _generation:  # forked: no worker to wait for or give back
            self._worker = None
            return
        try:
            while self._outstanding:
                self._body.outbox.get()
                self._outstanding -= 1
        finally:
            # Interrupted while waiting (KeyboardInterrupt), the worker still finishes the
            # jobs (bounded) into this body's queue, which nobody reads: it can serve others.
            self._worker = None
            _checkin(worker)


def _then_raise(pieces: list[bytes], error: BaseException) -> Iterator[bytes]:
    yield from pieces
    raise error
