"""The virtual clock and the event loop: the only source of time in the mini cluster.

A real cluster is many processes reacting to each other over the network, each with its own
clock. Here every component is a callback on ONE queue ordered by (virtual time, sequence
number). Two runs with the same inputs therefore produce the same events in the same order,
which is what lets a notebook show byte-identical output every time it runs.

- ``call_soon`` runs work "now" (after everything already queued for now), like a goroutine
  reacting to a watch event.
- ``call_later`` / ``call_at`` are timers: probes, back-offs, CronJob schedules, heartbeats.
- ``background=True`` marks periodic housekeeping that never "finishes" (heartbeats, resyncs);
  :meth:`EventLoop.settle` stops when only such timers remain.
"""
from __future__ import annotations

import heapq
import itertools
from datetime import datetime, timezone

#: Virtual time starts here (2025-01-01T00:00:00Z) unless a cluster chooses another start.
EPOCH = datetime(2025, 1, 1, tzinfo=timezone.utc).timestamp()


_STAMPS: dict[int, str] = {}  # whole second -> its text: virtual time repeats a few seconds a lot


def rfc3339(t: float) -> str:
    """Format seconds since the Unix epoch the way the API server does: ``2025-01-01T00:00:05Z``."""
    sec = int(t)
    text = _STAMPS.get(sec)
    if text is None:
        if len(_STAMPS) >= 4096:
            _STAMPS.clear()
        text = _STAMPS[sec] = datetime.fromtimestamp(sec, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return text


def parse_rfc3339(s: str) -> float:
    """Inverse of :func:`rfc3339` (accepts fractional seconds and offsets too)."""
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    return datetime.fromisoformat(s).timestamp()


class Clock:
    """Virtual time in float seconds since the Unix epoch. Only the event loop moves it."""

    def __init__(self, start: float = EPOCH):
        self._now = float(start)

    def now(self) -> float:
        return self._now

    def timestamp(self) -> str:
        """Current time as an RFC 3339 string, e.g. for ``metadata.creationTimestamp``."""
        return rfc3339(self._now)

    def _advance_to(self, t: float) -> None:
        if t > self._now:
            self._now = t


class Timer:
    """A scheduled callback. ``cancel()`` prevents it from running."""

    __slots__ = ("when", "seq", "fn", "args", "background", "cancelled", "done", "loop")

    def __init__(self, loop, when, seq, fn, args, background):
        self.loop, self.when, self.seq, self.fn, self.args = loop, when, seq, fn, args
        self.background, self.cancelled, self.done = background, False, False

    def cancel(self) -> None:
        if not self.cancelled and not self.done:
            self.cancelled = True
            if not self.background:
                self.loop._foreground -= 1

    def __lt__(self, other: "Timer") -> bool:
        return (self.when, self.seq) < (other.when, other.seq)


class EventLoop:
    """A deterministic discrete-event loop over a :class:`Clock`."""

    def __init__(self, clock: Clock | None = None):
        self.clock = clock or Clock()
        self._heap: list[tuple] = []  # (when, seq, Timer)
        self._seq = itertools.count()
        self._foreground = 0  # live (not cancelled, not run) non-background timers
        self.steps = 0

    # -- scheduling -------------------------------------------------------------------------
    def call_at(self, when: float, fn, *args, background: bool = False) -> Timer:
        timer = Timer(self, max(when, self.clock.now()), next(self._seq), fn, args, background)
        heapq.heappush(self._heap, (timer.when, timer.seq, timer))  # tuples compare in C
        if not background:
            self._foreground += 1
        return timer

    def call_later(self, delay: float, fn, *args, background: bool = False) -> Timer:
        return self.call_at(self.clock.now() + delay, fn, *args, background=background)

    def call_soon(self, fn, *args) -> Timer:
        return self.call_at(self.clock.now(), fn, *args)

    # -- running ----------------------------------------------------------------------------
    def _pop(self) -> Timer | None:
        while self._heap:
            timer = heapq.heappop(self._heap)[2]
            if not timer.cancelled:
                timer.done = True
                if not timer.background:
                    self._foreground -= 1
                return timer
        return None

    def _run(self, timer: Timer) -> None:
        self.clock._advance_to(timer.when)
        self.steps += 1
        timer.fn(*timer.args)

    def next_time(self) -> float | None:
        """Virtual time of the next pending (non-cancelled) timer, or None."""
        while self._heap and self._heap[0][2].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None

    def run_until(self, t: float) -> None:
        """Run every callback due up to and including time ``t``; then set the clock to ``t``."""
        while True:
            nxt = self.next_time()
            if nxt is None or nxt > t:
                break
            self._run(self._pop())
        self.clock._advance_to(t)

    def run(self, seconds: float = 0.0) -> None:
        """Advance virtual time by ``seconds``, running everything that falls due."""
        self.run_until(self.clock.now() + seconds)

    def run_pending(self) -> None:
        """Run everything due now, without advancing time."""
        self.run_until(self.clock.now())

    def has_foreground_work(self) -> bool:
        """True while any non-background timer is pending."""
        return self._foreground > 0

    def settle(self, max_seconds: float = 300.0) -> bool:
        """Run until only background timers remain, or ``max_seconds`` of virtual time pass.

        Returns True when the cluster became quiet, False when the time limit was hit first
        (for example a container in CrashLoopBackOff keeps scheduling restarts forever).
        """
        deadline = self.clock.now() + max_seconds
        while True:
            if self._foreground <= 0:
                return True
            nxt = self.next_time()
            if nxt is None:
                return True
            if nxt > deadline:
                self.clock._advance_to(deadline)
                return False
            self._run(self._pop())
