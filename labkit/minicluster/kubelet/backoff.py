"""Per-item exponential back-off, as client-go's ``util/flowcontrol.Backoff`` does it.

The kubelet keeps two of these: one for restarting crashed containers (CrashLoopBackOff) and
one for pulling images (ImagePullBackOff). Both start at 10 s, double on every failure and stop
growing at 300 s. An entry that has not been bumped for twice the maximum (10 minutes) is
forgotten, which is why a container that ran fine for 10 minutes restarts at once after a crash.
The kubelet configures no jitter, so the delays are exactly 10, 20, 40, 80, 160, 300, 300...
"""
from __future__ import annotations


class Backoff:
    def __init__(self, initial: float, maximum: float):
        self.initial, self.maximum = float(initial), float(maximum)
        self._entries: dict = {}  # key -> [backoff seconds, last update time]

    def _expired(self, event_time: float, last_update: float) -> bool:
        return event_time - last_update > 2 * self.maximum

    def get(self, key) -> float:
        """The current delay for ``key`` (0 if none)."""
        entry = self._entries.get(key)
        return entry[0] if entry else 0.0

    def next(self, key, event_time: float, now: float) -> None:
        """Record a failure (a restart or a pull attempt): double the delay."""
        entry = self._entries.get(key)
        if entry is None or self._expired(event_time, entry[1]):
            entry = self._entries[key] = [self.initial, now]
        else:
            entry[0] = min(entry[0] * 2, self.maximum)
        entry[1] = now

    def in_backoff_since(self, key, event_time: float, now: float) -> bool:
        """``IsInBackOffSince``: is it too early to retry an event that happened at
        ``event_time`` (a container's finish time)?"""
        entry = self._entries.get(key)
        if entry is None or self._expired(event_time, entry[1]):
            return False
        return now - event_time < entry[0]

    def in_backoff_since_update(self, key, now: float) -> bool:
        """``IsInBackOffSinceUpdate``: is it too early to retry since the last failure?"""
        entry = self._entries.get(key)
        if entry is None or self._expired(now, entry[1]):
            return False
        return now - entry[1] < entry[0]

    def retry_at(self, key, event_time: float | None = None) -> float | None:
        """When the back-off for ``key`` ends (from ``event_time``, or the last update)."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        return (entry[1] if event_time is None else event_time) + entry[0]

    def forget(self, key) -> None:
        self._entries.pop(key, None)

    def gc(self, now: float) -> None:
        """Drop entries that have expired."""
        for key in [k for k, e in self._entries.items() if self._expired(now, e[1])]:
            del self._entries[key]
