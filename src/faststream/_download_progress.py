"""How far a download is: the `DownloadProgress` snapshots, the rate limiter that reports
them (`Progress`) and the terminal bar behind ``progress=True``."""

from __future__ import annotations

import sys
import threading
import time
import typing
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["DownloadProgress", "Progress", "ProgressArg"]

PROGRESS_INTERVAL = 0.1  # seconds between two progress calls (plus one at the end)

ProgressArg: typing.TypeAlias = "Callable[[DownloadProgress], object] | bool | None"


@dataclass(frozen=True)
class DownloadProgress:
    """How far a download is: `downloaded` and `total` count stored bytes (`total` None when
    unknown); `rate` in bytes per second over this call; `eta` in seconds (None: unknown)."""

    downloaded: int
    total: int | None
    rate: float
    eta: float | None


# -- progress ------------------------------------------------------------------------------


class _Bar:
    """A terminal bar on stderr: rich's when installed, else one line redrawn with ``\\r``."""

    def __init__(self) -> None:
        self._rich: typing.Any = None
        self._task: typing.Any = None
        try:
            import rich.progress
        except ImportError:
            return
        self._rich = rich.progress.Progress(
            rich.progress.BarColumn(),
            rich.progress.DownloadColumn(),
            rich.progress.TransferSpeedColumn(),
            rich.progress.TimeRemainingColumn(),
            transient=False,
            console=rich.console.Console(file=sys.stderr),
        )
        self._rich.start()
        self._task = self._rich.add_task("download", total=None)

    def __call__(self, p: DownloadProgress, end: bool = False) -> None:
        if self._rich is not None:
            self._rich.update(self._task, completed=p.downloaded, total=p.total)
            if end:
                self._rich.stop()
            return
        done = f"{p.downloaded / 1e6:.1f} MB"
        if p.total:
            width = 30
            filled = min(width, width * p.downloaded // max(p.total, 1))
            bar = "[" + "#" * filled + "-" * (width - filled) + "]"
            done = f"{bar} {done} / {p.total / 1e6:.1f} MB"
        eta = f" eta {p.eta:.0f}s" if p.eta is not None else ""
        sys.stderr.write(f"\r{done} {p.rate / 1e6:.1f} MB/s{eta}  ")
        if end:
            sys.stderr.write("\n")
        sys.stderr.flush()


class Progress:
    """Calls a progress callable at most every `PROGRESS_INTERVAL` seconds, and once at the
    end; thread-safe, since segments report from several threads."""

    def __init__(self, progress: ProgressArg, start: int) -> None:
        self._bar: _Bar | None = None
        self._callback: Callable[[DownloadProgress], object] | None = None
        if progress is True:
            if sys.stderr is not None and sys.stderr.isatty():
                self._bar = _Bar()
                self._callback = self._bar
        elif callable(progress):
            self._callback = progress
        self.downloaded = start
        self.total: int | None = None
        self._start_bytes = start
        self._started = time.monotonic()
        self._last = 0.0
        self._lock = threading.Lock()

    def restart(self, downloaded: int) -> None:
        with self._lock:
            self.downloaded = downloaded
            self._start_bytes = downloaded
            self._started = time.monotonic()

    def add(self, n: int) -> None:
        with self._lock:
            self.downloaded += n
            if self._callback is None:
                return
            now = time.monotonic()
            if now - self._last < PROGRESS_INTERVAL:
                return
            self._last = now
            snapshot = self._snapshot(now)
        self._callback(snapshot)

    def _snapshot(self, now: float) -> DownloadProgress:
        spent = max(now - self._started, 1e-9)
        rate = (self.downloaded - self._start_bytes) / spent
        eta = None
        if self.total is not None and rate > 0:
            eta = max(self.total - self.downloaded, 0) / rate
        return DownloadProgress(self.downloaded, self.total, rate, eta)

    def end(self) -> None:
        if self._callback is None:
            return
        snapshot = self._snapshot(time.monotonic())
        if self._bar is not None:
            self._bar(snapshot, end=True)
        else:
            self._callback(snapshot)
