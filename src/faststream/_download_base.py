"""Downloads to a file: everything that does no network I/O (names and headers in
`_download_names`, progress in `_download_progress`, concurrent jobs in `_download_jobs`).

`Client.download` / `AsyncClient.download` (`_async_download.py`, the sync twin generated from
it) drive a `Plan`, which decides what to ask for and checks what came back:

* the target: `path` itself, or, when `path` is an existing directory, a plain file name
  taken from ``Content-Disposition`` (``filename*``, then ``filename``), else the URL's last
  path segment, else ``download`` -- reduced by `safe_filename` so that it can only ever
  name a file inside that directory;
* bytes go to ``<target>.part``, described by a small JSON sidecar ``<target>.part.json``
  (URL, validator, total, and for segments the ranges still to fetch); on success the part
  is flushed, fsynced and renamed over the target, so an existing target is replaced only by
  a complete, verified file;
* resume: ``Range: bytes=n-`` with ``If-Range`` (a strong ETag, else Last-Modified); 206 must
  start at n and keep the total, 200 starts over, 416 with ``bytes */n`` means complete;
* the sha256 of the stored bytes (and the `checksum` algorithm's digest) is computed as the
  bytes are written -- one stream's pieces are written and hashed by a `PartWriter` thread,
  behind the receive, drained before anything reads the offset; a resumed part is hashed
  first (one read of the part, never of the network); segments arrive out of order, so their
  part is hashed once it is complete (one read of the part, from the page cache while it is
  fresh);
* segments: a one-byte probe (``Range: bytes=0-0``) learns the total and range support (a
  200 to it is simply the whole body, one stream); the body is cut into pieces (about 8 per
  connection) that the connections take in order; the part is preallocated and each piece is
  written at its own offsets with ``os.pwrite``; the sidecar keeps each piece's next offset.
"""

from __future__ import annotations

import bisect
import collections
import contextlib
import errno
import hashlib
import json
import math
import os
import threading
import time
import typing
from dataclasses import dataclass
from pathlib import Path

from ._download_names import (
    UNSATISFIED_RANGE,
    is_coded,
    parse_checksum,
    parse_content_range,
    target_name,
    validator_of,
)
from ._download_progress import DownloadProgress, Progress, ProgressArg
from ._download_writer import PartWriter
from ._exceptions import ChecksumMismatch, RemoteProtocolError

if typing.TYPE_CHECKING:
    from ._request import Request
    from ._response import Response
    from ._urls import URL

__all__ = [
    "DownloadProgress",
    "DownloadResult",
    "Plan",
    "ProgressArg",
    "ResourceChanged",
    "download",
]

DEFAULT_CHUNK_SIZE = 256 * 1024
BACKOFF_BASE = 0.25  # seconds before the first retry; doubled for each further one
BACKOFF_MAX = 8.0
MIN_SEGMENT = 64 * 1024  # a smaller range is not worth a request of its own
PIECES_PER_CONNECTION = 8  # segments: pieces per connection, taken in order
MAX_PIECE = 32 << 20  # segments: at most this many bytes per ranged request
HASH_BLOCK = 1 << 20
HASH_STEP = 4 << 20  # at most this much hashed behind one segment piece (async: loop time)


class _ContentRangeError(RemoteProtocolError):
    """A range response that does not fit the request: never retried, nothing appended."""


class ResourceChanged(_ContentRangeError):
    """A segment's ``If-Range`` did not match: the resource changed since the plan was made."""


@dataclass(frozen=True)
class DownloadResult:
    """A finished download: the file, its size, where this call started (`resumed_from`, 0
    for a fresh download), the last status code, the file's sha256 (hex) and seconds taken."""

    path: Path
    size: int
    resumed_from: int
    status_code: int
    sha256: str
    elapsed: float


# -- the plan ------------------------------------------------------------------------------

# What `Plan.opened` tells the caller to do with a response.
WRITE = "write"  # stream the body into the part
DONE = "done"  # nothing more to fetch
AGAIN = "again"  # close this response and send the next request (the plan changed)
SEGMENTS = "segments"  # close this response and fetch the ranges on several connections


class Plan:
    """The state of one download: target, part, sidecar, offset, hashes, what to ask next."""

    #: One stream's pieces are written and hashed on a `PartWriter` thread, behind the
    #: receive; False does both inline, in the receiving thread (the benchmark compares).
    write_behind: typing.ClassVar[bool] = True

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        resume: bool,
        progress: ProgressArg,
        retries: int,
        segments: int,
        checksum: str | None,
        chunk_size: int,
        decode: bool,
    ) -> None:
        if retries < 0:
            raise ValueError("retries must be >= 0")
        if segments < 1:
            raise ValueError("segments must be >= 1")
        if chunk_size < 1:
            raise ValueError("chunk_size must be >= 1")
        self.started = time.monotonic()
        self.directory: Path | None = None
        self.target: Path | None = None
        given = Path(path)
        if given.is_dir():
            self.directory = given
        elif _names_a_directory(path):
            # "out/" means a directory; storing the body as a file named "out" would surprise
            raise FileNotFoundError(errno.ENOENT, "the download directory does not exist", path)
        else:
            self.target = given
        self.resume = resume
        self.retries = retries
        self.segments = segments
        self.expected = parse_checksum(checksum)
        self.chunk_size = chunk_size
        self.decode = decode
        self.progress = Progress(progress, 0)
        self.url = ""
        self.offset = 0
        self.resumed_from = 0
        self.total: int | None = None
        self.validator: tuple[str, str] | None = None
        self.ranges_supported = False
        self.status_code = 0
        self.segmented: list[list[int]] | None = None  # [next, end) per segment
        self._probing = False
        self._file: typing.BinaryIO | None = None
        self._writer: PartWriter | None = None
        self._reset_hashes()
        self._hash_lock = threading.Lock()
        self._piece_lock = threading.Lock()
        self._sidecar_lock = threading.Lock()
        self._queue: collections.deque[int] = collections.deque()
        self._starts: list[int] = []
        self._loaded = False
        self.request: Request | None = None  # the last request sent

    # paths

    @property
    def part(self) -> Path:
        assert self.target is not None
        return self.target.with_name(self.target.name + ".part")

    @property
    def sidecar(self) -> Path:
        assert self.target is not None
        return self.target.with_name(self.target.name + ".part.json")

    # the request

    def headers(self, url: URL | str) -> dict[str, str]:
        """The headers this plan adds to the next request (Range, If-Range, Accept-Encoding)."""
        self.url = str(url)
        self._drain()  # the offset counts bytes in the part
        if self.target is not None and not self._loaded:
            self._load()
        headers: dict[str, str] = {}
        if not self.decode:
            headers["Accept-Encoding"] = "identity"
        self._probing = False
        if self.offset > 0:
            headers["Range"] = f"bytes={self.offset}-"
            if self.validator is not None:
                headers["If-Range"] = self.validator[0]
        elif self.segments > 1 and self.target is not None:
            self._probing = True  # learn the total and range support from one byte
            headers["Range"] = "bytes=0-0"
        return headers

    def _load(self) -> None:
        """Pick up a `.part` left by an earlier call, when its sidecar says it can be resumed."""
        self._loaded = True
        meta = self._read_sidecar()
        part_size = self.part.stat().st_size if self.part.is_file() else 0
        if not self.resume or meta is None or part_size == 0:
            return
        validator, total = meta.get("validator"), meta.get("total")
        if meta.get("url") != self.url or not isinstance(validator, str) or not validator:
            return
        if total is not None and (not _is_size(total) or part_size > total):
            return
        segmented = meta.get("segments")
        if segmented is not None:
            starts = _valid_segments(segmented, meta.get("starts"), total)
            if starts is None or part_size != total:
                return  # not a plan this part can be trusted with: start over
            self.validator = (validator, str(meta.get("kind")))
            self.total = total
            self.segmented = [list(s) for s in segmented]
            self._starts = starts
            self._reset_hashes()
            self.resumed_from = sum(s[0] - a for s, a in zip(segmented, starts, strict=True))
            self.progress.restart(self.resumed_from)
            self.progress.total = total
            return
        self.validator = (validator, str(meta.get("kind")))
        self.total = total
        self.offset = self.resumed_from = part_size
        self._hash_existing(part_size)
        self.progress.restart(part_size)

    def _read_sidecar(self) -> dict[str, typing.Any] | None:
        try:
            with self.sidecar.open(encoding="utf-8") as f:
                meta = json.load(f)
        except (OSError, ValueError):
            return None
        return meta if isinstance(meta, dict) else None

    def _write_sidecar(self) -> None:
        meta: dict[str, typing.Any] = {
            "url": self.url,
            "validator": self.validator[0] if self.validator else None,
            "kind": self.validator[1] if self.validator else None,
            "total": self.total,
        }
        if self.segmented is not None:
            meta["segments"] = self.segmented
            meta["starts"] = self._starts
        tmp = self.sidecar.with_name(self.sidecar.name + ".tmp")
        with self._sidecar_lock:  # segments' threads may write it at once
            with tmp.open("w", encoding="utf-8") as f:
                json.dump(meta, f)
            os.replace(tmp, self.sidecar)

    def _reset_hashes(self) -> None:
        self._sha = hashlib.sha256()
        self._check = hashlib.new(self.expected[0]) if self.expected else None
        if self._check is not None and self._check.name == self._sha.name:
            self._check = self._sha  # a sha256 checksum: one digest, computed once
        # every distinct digest the stored bytes go through
        self._digests = [self._sha]
        if self._check is not None and self._check is not self._sha:
            self._digests.append(self._check)
        self._frontier = 0  # segments: every byte before it is hashed

    def _hash_existing(self, size: int) -> None:
        with self.part.open("rb") as f:
            remaining = size
            while remaining > 0:
                block = f.read(min(HASH_BLOCK, remaining))
                if not block:
                    break
                remaining -= len(block)
                for digest in self._digests:
                    digest.update(block)

    # the response

    def opened(self, response: Response) -> str:
        """Check a response against what was asked; say what to do with it."""
        self.status_code = response.status_code
        self.request = response.request
        asked_range = "range" in {k.lower() for k in response.request.headers}
        if self.target is None:
            assert self.directory is not None
            self.target = self.directory / target_name(response)
            self._load()
            if self.offset > 0 or self.segments > 1:
                return AGAIN  # now that the name is known, ask for what is missing
        status = response.status_code
        if status == 416 and self.offset > 0:
            unsatisfied = UNSATISFIED_RANGE.match(response.headers.get("content-range", ""))
            if unsatisfied is not None and int(unsatisfied.group(1)) == self.offset:
                self.total = self.offset
                return DONE
            # The validator matched, yet the part is longer than the resource: the part is
            # not what the sidecar says. Ask again for the whole body, without a range.
            self.forget()
            return AGAIN
        if status == 416 and self._probing:
            unsatisfied = UNSATISFIED_RANGE.match(response.headers.get("content-range", ""))
            if unsatisfied is not None and int(unsatisfied.group(1)) == 0:
                self.total = 0  # an empty resource: no byte to probe
                self._start_fresh(response)
                return DONE
        if not 200 <= status < 300:
            response.raise_for_status()
        if status == 206:
            if not asked_range:
                raise self._error("206 Partial Content to a request without Range", response)
            return self._partial(response)
        # 200 (or another 2xx): the whole representation, from zero
        self._start_fresh(response)
        return WRITE

    def _partial(self, response: Response) -> str:
        parsed = parse_content_range(response.headers.get("content-range"))
        if parsed is None:
            raise self._error("206 without a valid Content-Range", response)
        first, last, total = parsed
        start = 0 if self._probing else self.offset
        if first != start:
            raise self._error(f"Content-Range starts at {first}, not at {start}", response)
        if self.total is not None and total is not None and total != self.total:
            raise self._error(
                f"Content-Range total {total} differs from the expected {self.total}", response
            )
        length = response.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) != last - first + 1:
            raise self._error("Content-Length differs from the Content-Range", response)
        self.ranges_supported = True
        if self._probing:
            self._probing = False
            validator = validator_of(response)
            if total is None or total < MIN_SEGMENT * 2 or is_coded(response):
                self.segments = 1  # not worth splitting, or ranges of a coding
                self._start_fresh(response, total=total)
                return WRITE  # the one byte; the rest follows as a resumed range
            self.validator = validator
            self.total = total
            self._plan_segments(total)
            return SEGMENTS
        if total is not None:
            self.total = total
        self.progress.total = self.total
        if self._file is None:
            self._open(append=True)
        return WRITE

    def _start_fresh(self, response: Response, total: int | None = None) -> None:
        """A whole representation from zero: truncate the part, forget old hashes."""
        self.offset = 0
        self.resumed_from = 0
        self._reset_hashes()
        self.segmented = None
        coded = is_coded(response)
        if self.decode and coded:
            self.validator = None  # decoded bytes cannot be addressed by ranges
            self.total = None
        else:
            self.validator = validator_of(response)
            if total is not None:
                self.total = total
            else:
                length = response.headers.get("content-length")
                self.total = int(length) if length is not None and length.isdigit() else None
        if response.headers.get("accept-ranges", "").strip().lower() == "bytes":
            self.ranges_supported = not (self.decode and coded)
        self.progress.restart(0)
        self.progress.total = self.total
        self._open(append=False)
        self._write_sidecar()

    def _open(self, append: bool) -> None:
        self.close_file()
        assert self.target is not None
        # `chunk_size`: the write buffer; bytes reach the file at least that many at a time
        buffering = self.chunk_size if self.chunk_size > 1 else 0  # 1 means lines: not for bytes
        self._file = open(self.part, "ab" if append else "wb", buffering=buffering)  # noqa: SIM115
        if self.write_behind:
            self._writer = PartWriter(self._file, self._digests, self._wrap_disk_error)

    def _wrap_disk_error(self, exc: OSError) -> BaseException:
        return _disk_error(exc, self.part)

    def _drain(self) -> None:
        """Wait until the pieces written so far are in the part and hashed (raising a write
        error that happened meanwhile)."""
        if self._writer is not None:
            self._writer.drain()

    def _error(self, message: str, response: Response) -> _ContentRangeError:
        error = _ContentRangeError(message)
        error.request = response.request
        return error

    def write(self, chunk: bytes) -> None:
        """Append one piece of the body: handed to the writer thread, which writes and hashes
        it behind the receive (a write error it hit is raised here, at the next piece), or
        written and hashed here."""
        writer = self._writer
        if writer is not None:
            writer.put(chunk)
        else:
            assert self._file is not None
            try:
                self._file.write(chunk)
            except OSError as exc:
                raise _disk_error(exc, self.part) from exc
            for digest in self._digests:
                digest.update(chunk)
        self.offset += len(chunk)
        self.progress.add(len(chunk))

    def body_done(self) -> str:
        """After a whole body: DONE, or AGAIN when the server sent less than the rest."""
        self._drain()
        if self.total is not None and self.offset < self.total:
            return AGAIN
        return DONE

    # retries

    def may_retry(self, exc: BaseException, retried: int) -> bool:
        """Whether a request or body that failed after `retried` retries is tried again, from
        the current offset: never for a range that does not fit, nor mid-body when the
        server has not shown range support."""
        if isinstance(exc, _ContentRangeError) or retried >= self.retries:
            return False
        return not (self.segmented is None and self.offset > 0 and not self.ranges_supported)

    def backoff(self, retried: int) -> float:
        """Seconds to wait before retry number `retried` (1, 2, ...)."""
        return min(BACKOFF_BASE * 2.0 ** (retried - 1), BACKOFF_MAX)

    def close_file(self) -> None:
        """Flush what was written (kept for the next resume)."""
        writer, self._writer = self._writer, None
        file, self._file = self._file, None
        try:
            if writer is not None:
                writer.close()
        except BaseException:
            if file is not None:
                with contextlib.suppress(OSError):  # the writer's error is the one to report
                    file.close()
            raise
        if file is not None:
            try:
                file.close()
            except OSError as exc:  # the buffered tail did not fit
                raise _disk_error(exc, self.part) from exc

    # segments

    def _plan_segments(self, total: int) -> None:
        """Split `total` into pieces taken in order by `segments` connections: several pieces
        per connection, so that every connection works close to the first unfinished byte
        and the hash (which must go in order) follows close behind."""
        connections = min(self.segments, max(1, total // MIN_SEGMENT))
        piece = math.ceil(total / (connections * PIECES_PER_CONNECTION))
        piece = max(MIN_SEGMENT, min(MAX_PIECE, piece))
        self.segmented = [[start, min(start + piece, total)] for start in range(0, total, piece)]
        self._starts = [s[0] for s in self.segmented]
        self._reset_hashes()
        self.offset = 0
        self.resumed_from = 0
        self.progress.restart(0)
        self.progress.total = total
        self.close_file()
        assert self.target is not None
        try:
            with open(self.part, "wb") as f:
                f.truncate(total)  # preallocated: each segment writes at its own positions
        except OSError as exc:
            raise _disk_error(exc, self.part) from exc
        self._write_sidecar()

    def has_segments(self) -> bool:
        """Whether the rest is fetched as segments (planned now, or by an earlier call)."""
        return self.segmented is not None

    def forget(self) -> None:
        """Drop what was written and any segment plan: the next request starts from zero
        (and, for segments, probes again)."""
        self.segmented = None
        self.validator = None
        self.total = None
        self.offset = 0
        self.resumed_from = 0
        self._loaded = True  # the sidecar is gone: nothing to pick up
        self.sidecar.unlink(missing_ok=True)
        self.progress.restart(0)

    def segment_headers(self, index: int) -> dict[str, str]:
        assert self.segmented is not None
        start, end = self.segmented[index]
        headers = {"Range": f"bytes={start}-{end - 1}"}
        if not self.decode:
            headers["Accept-Encoding"] = "identity"
        if self.validator is not None:
            headers["If-Range"] = self.validator[0]
        return headers

    def segment_opened(self, index: int, response: Response) -> None:
        assert self.segmented is not None
        if response.status_code != 206:
            if 200 <= response.status_code < 300:
                # Changed: the caller starts over. The validator stays as it is, so that no
                # other piece is asked for without If-Range meanwhile.
                error = ResourceChanged(
                    f"the resource changed during a segmented download ({response.status_code})"
                )
                error.request = response.request
                raise error
            response.raise_for_status()
        parsed = parse_content_range(response.headers.get("content-range"))
        start, end = self.segmented[index]
        if parsed is None or parsed[0] != start or parsed[1] != end - 1 or parsed[2] != self.total:
            raise self._error(
                f"Content-Range {response.headers.get('content-range')!r} does not match "
                f"bytes {start}-{end - 1}/{self.total}",
                response,
            )

    def open_segments(self) -> int:
        assert self.target is not None
        # read as well: the hash follows the written bytes (`_hash_frontier`)
        return os.open(self.part, os.O_RDWR | getattr(os, "O_BINARY", 0))

    def segment_write(self, fd: int, index: int, chunk: bytes) -> None:
        assert self.segmented is not None
        segment = self.segmented[index]
        if len(chunk) > segment[1] - segment[0]:
            chunk = chunk[: segment[1] - segment[0]]
        view = memoryview(chunk)
        while view:
            try:
                written = os.pwrite(fd, view, segment[0])
            except OSError as exc:
                raise _disk_error(exc, self.part) from exc
            segment[0] += written
            view = view[written:]
        self.progress.add(len(chunk))
        self._hash_frontier(fd, HASH_STEP)

    def _hash_frontier(self, fd: int, budget: int | None) -> None:
        """Hash the part from the first byte not yet hashed up to the first byte not yet
        written, at most `budget` bytes (None: no bound), reading it back from the part (the
        page cache: it was just written). The segments' bytes arrive out of order; this keeps
        the hash close behind them, in time the network leaves idle, so that little is left
        for the end. One thread at a time; the others go on receiving."""
        assert self.segmented is not None
        if not self._hash_lock.acquire(blocking=False):
            return
        try:
            while budget is None or budget > 0:
                index = bisect.bisect_right(self._starts, self._frontier) - 1
                if self._frontier >= (self.total or 0) or index < 0:
                    return
                written = self.segmented[index][0]  # the segment's next offset
                if self._frontier >= written:
                    return  # waiting for this segment's next bytes
                n = min(written - self._frontier, HASH_BLOCK)
                if budget is not None:
                    n = min(n, budget)
                    budget -= n
                block = os.pread(fd, n, self._frontier)
                if len(block) != n:
                    raise OSError(f"{self.part}: shorter than its written segments")
                for digest in self._digests:
                    digest.update(block)
                self._frontier += n
        finally:
            self._hash_lock.release()

    def segments_left(self) -> list[int]:
        assert self.segmented is not None
        return [i for i, (start, end) in enumerate(self.segmented) if start < end]

    def start_pieces(self) -> int:
        """Queue the unfinished pieces, in order; how many connections to fetch them on."""
        self._queue = collections.deque(self.segments_left())
        return max(1, min(self.segments, len(self._queue)))

    def next_piece(self) -> int | None:
        """The next unfinished piece for a connection that is free (None: none left)."""
        with self._piece_lock:
            return self._queue.popleft() if self._queue else None

    def save_segments(self) -> None:
        if self.segmented is not None and self.target is not None:
            self._write_sidecar()

    # the end

    def finish(self) -> DownloadResult:
        """Verify, fsync and rename the part over the target; the result."""
        assert self.target is not None
        self.close_file()
        if self.segmented is not None:
            fd = os.open(self.part, os.O_RDONLY | getattr(os, "O_BINARY", 0))
            try:
                self._hash_frontier(fd, None)  # what is left behind the last bytes
            finally:
                os.close(fd)
            if self._frontier != self.total:
                raise OSError(f"{self.part}: {self._frontier} bytes hashed, {self.total} expected")
        if not self.part.exists():
            with open(self.part, "wb"):
                pass  # an empty resource
        size = self.part.stat().st_size
        if self.total is not None and size != self.total:
            raise OSError(f"{self.part}: {size} bytes on disk, {self.total} expected")
        if self.expected is not None:
            assert self._check is not None
            actual = self._check.hexdigest()
            if actual != self.expected[1]:
                self.discard()
                algorithm = self.expected[0]
                error = ChecksumMismatch(
                    f"{algorithm} of {self.target.name} is {actual}, expected {self.expected[1]}",
                    expected=self.expected[1],
                    actual=actual,
                )
                if self.request is not None:
                    error.request = self.request
                raise error
        with open(self.part, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(self.part, self.target)
        _fsync_directory(self.target.parent)
        self.sidecar.unlink(missing_ok=True)
        self.progress.end()
        return DownloadResult(
            path=self.target,
            size=size,
            resumed_from=self.resumed_from,
            status_code=self.status_code,
            sha256=self._sha.hexdigest(),
            elapsed=time.monotonic() - self.started,
        )

    def discard(self) -> None:
        self.close_file()
        if self.target is not None:
            self.part.unlink(missing_ok=True)
            self.sidecar.unlink(missing_ok=True)


def _names_a_directory(path: str | os.PathLike[str]) -> bool:
    """A path written with a trailing separator names a directory, existing or not."""
    text = os.fspath(path)
    return text.endswith(os.sep) or (os.altsep is not None and text.endswith(os.altsep))


def _is_size(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _valid_segments(segmented: object, starts: object, total: object) -> list[int] | None:
    """The segments' first offsets when a sidecar's segment plan is consistent: each
    ``[next, end)`` inside ``[start, total]``, the segments in order and covering the whole;
    else None (a sidecar is a file anyone could have edited)."""
    if not _is_size(total) or not isinstance(segmented, list) or not isinstance(starts, list):
        return None
    if not segmented or len(segmented) != len(starts):
        return None
    expected_start = 0
    for segment, start in zip(segmented, starts, strict=True):
        if not (isinstance(segment, list) and len(segment) == 2):
            return None
        next_, end = segment
        if not (_is_size(start) and _is_size(next_) and _is_size(end)):
            return None
        if start != expected_start or not start <= next_ <= end:
            return None
        expected_start = end
    if expected_start != total:
        return None
    return list(starts)


def _disk_error(exc: OSError, part: Path) -> OSError:
    """`exc` (disk full, file too large, ...) naming the part it was writing, which is kept."""
    if exc.errno is None:
        return exc
    return OSError(exc.errno, f"{exc.strerror}; the part is kept for a resume", str(part))


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable where directories can be opened (POSIX)."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# -- the top-level call --------------------------------------------------------------------


def download(
    url: URL | str,
    path: str | os.PathLike[str],
    *,
    resume: bool = True,
    progress: ProgressArg = None,
    retries: int = 3,
    segments: int = 1,
    checksum: str | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    decode: bool = False,
    **kwargs: typing.Any,
) -> DownloadResult:
    """Download `url` to `path` with a temporary `Client` (see `Client.download`); client
    settings (`verify`, `proxy`, `timeout`, `trust_env`, ...) go to the `Client`."""
    from ._client import Client

    client_keys = ("verify", "cert", "proxy", "timeout", "trust_env", "http1", "http2")
    client_kwargs = {key: kwargs.pop(key) for key in client_keys if key in kwargs}
    with Client(**client_kwargs) as client:
        return client.download(
            url,
            path,
            resume=resume,
            progress=progress,
            retries=retries,
            segments=segments,
            checksum=checksum,
            chunk_size=chunk_size,
            decode=decode,
            **kwargs,
        )
