"""The deadlines of one exchange beyond the per-phase timeouts: `total` (seconds from sending
the request until its body has been read) and `min_rate` (bytes within seconds).

The transports use them only when the request's "timeout" extension carries either: then each
wait (pool, connect, write, read) is bounded by the time left, and a timeout raised once a
deadline has passed becomes `ReadTimeout` naming that deadline. Without them the transports'
loops run exactly as before; the object is never created.
"""

from __future__ import annotations

import collections
import time
import typing

from .._exceptions import ReadTimeout

__all__ = ["Deadlines"]

_PHASES = ("connect", "read", "write", "pool")
_NEVER = float("inf")


_TIMER_SLACK = 0.005  # seconds


def _fmt(seconds: float) -> str:
    return f"{seconds:g}"


# The rate window is kept as this many buckets of `seconds / _BUCKETS` each (plus the one
# being filled): memory and the work per read stay bounded however many reads a window holds.
_BUCKETS = 32


class Deadlines:
    """The total deadline and the rate window of one exchange (a monotonic clock).

    The rate check slides: from the response head on (`start_body`), every stretch of
    `min_rate[1]` seconds must bring at least `min_rate[0]` bytes. Arrivals are counted in
    buckets of 1/32 of the window, so a window may reach back up to one bucket further than
    `min_rate[1]` (never a false failure; a slow transfer fails at most one bucket late).

    `limit` is the earliest instant at which either could expire (infinity: neither), so that
    the body loop does one clock read and one comparison per read (`wait`), and calls
    `received` only when `rate` is set.
    """

    __slots__ = (
        "_buckets",
        "_deadline",
        "_head",
        "_met",
        "_timeouts",
        "_total",
        "_width",
        "_window_end",
        "limit",
        "rate",
    )

    def __init__(self, timeouts: typing.Mapping[str, typing.Any]) -> None:
        self._timeouts = timeouts
        total = timeouts.get("total")
        self._total: float | None = total
        deadline = timeouts.get("deadline")  # set by the client, shared by its redirects
        if deadline is None and total is not None:
            deadline = time.monotonic() + total
        self._deadline: float = _NEVER if deadline is None else deadline
        self.rate: tuple[int, float] | None = timeouts.get("min_rate")
        self._window_end = _NEVER
        # [bucket number counted from the head, bytes in it], oldest first
        self._buckets: collections.deque[list[int]] = collections.deque()
        self._head = 0.0
        self._width = 1.0
        self._met = -1  # the newest bucket's number once it alone holds min_rate[0] bytes
        self.limit = self._deadline

    def bounded(self) -> dict[str, typing.Any]:
        """The four phase timeouts, each at most the time left until the total deadline."""
        timeouts = dict(self._timeouts)
        deadline = self._deadline
        if deadline != _NEVER:
            left = max(0.0, deadline - time.monotonic())
            for phase in _PHASES:
                value = timeouts.get(phase)
                timeouts[phase] = left if value is None else min(value, left)
        return timeouts

    def start_body(self) -> None:
        """The response head has arrived: the rate check starts (a first window from now)."""
        rate = self.rate
        if rate is not None:
            self._head = time.monotonic()
            self._width = rate[1] / _BUCKETS  # both parts of min_rate are positive
            self._buckets.clear()
            self._met = -1
            self._window_end = self._head + rate[1]
            self.limit = min(self._deadline, self._window_end)

    def wait(self, read: float | None) -> float | None:
        """The timeout of the next body read: `read`, shortened to reach no further than
        `limit`; raises `ReadTimeout` when a deadline has already passed (a loop that ran
        past it)."""
        now = time.monotonic()
        left = self.limit - now
        if left <= 0.0:
            self._check(now)
        return left if read is None or left < read else read

    def received(self, pieces: typing.Iterable[bytes]) -> None:
        """Count body bytes towards the rate window, and move `limit` to the instant the
        window would hold too few of them if nothing more came."""
        rate = self.rate
        if rate is None:
            return
        index = int((time.monotonic() - self._head) / self._width)
        if index == self._met:
            # The newest bucket alone holds the rate: `limit` already follows it, and how far
            # past `rate[0]` it goes changes no window (each stops counting at this bucket).
            return
        count = sum(map(len, pieces))
        buckets = self._buckets
        if buckets and buckets[-1][0] == index:
            newest = buckets[-1]
            newest[1] += count
            if newest[1] >= rate[0]:
                self._met = index
        else:
            buckets.append([index, count])
            if count >= rate[0]:
                self._met = index
            oldest = index - _BUCKETS  # older buckets are out of every window from now on
            while buckets[0][0] < oldest:
                buckets.popleft()
        # The newest buckets that still hold `rate[0]` bytes together: the window fails once
        # the oldest of them has slid out of it.
        need = rate[0]
        held = 0
        end = self._head + rate[1]  # never before a whole window from the head
        for number, size in reversed(buckets):
            held += size
            if held >= need:
                end = max(end, self._head + (number + _BUCKETS + 1) * self._width)
                break
        self._window_end = end
        self.limit = min(self._deadline, end)

    def expired(self, exc: BaseException) -> None:
        """After a timeout `exc`: raise the deadline's `ReadTimeout` if one has passed.

        A wait bounded by the deadline may end a little before it: event loops round their
        timers (libuv to milliseconds), so a deadline within `_TIMER_SLACK` counts as passed."""
        self._check(time.monotonic() + _TIMER_SLACK, exc)

    def _check(self, now: float, cause: BaseException | None = None) -> None:
        if now >= self._deadline:
            total = self._total
            what = "" if total is None else f" of {_fmt(total)} s"
            raise ReadTimeout(f"total deadline{what} exceeded") from cause
        if now >= self._window_end:
            rate = self.rate
            assert rate is not None
            raise ReadTimeout(
                f"transfer rate below {rate[0]} bytes in {_fmt(rate[1])} s"
            ) from cause
