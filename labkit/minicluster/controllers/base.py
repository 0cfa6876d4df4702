"""What every controller shares: a work queue, informers, an identity, an event recorder.

A controller is a loop that compares **desired** state (a Deployment says 3 replicas) with
**observed** state (2 pods exist) and acts to close the gap (create 1 pod). Upstream each
controller:
1. registers handlers on shared informers; a handler only turns an event into a *key*
   (``namespace/name``) and adds it to the work queue;
2. pulls keys off the queue and calls ``reconcile(key)``, which reads the caches, decides, and
   writes through the API server;
3. requeues the key (with back-off) when a write fails, e.g. on a 409 Conflict.
The queue de-duplicates: ten pod events for the same ReplicaSet cause one reconcile.

Simplification (sync batching): upstream, a busy controller worker coalesces the events that
arrive while it syncs: a ReplicaSet whose 2,000 pods start within seconds is synced a few hundred
times, not 6,000 times. A virtual-time sync takes no time, so here a controller *declares* how
big a sync was (:meth:`WorkQueue.sync_cost`): after a sync that saw ``n >=``
:data:`BATCH_MIN_OBJECTS` objects, the key is not synced again for ``n`` ms (at most
:data:`BATCH_MAX_SECONDS`); the events of that window are served by one sync at its end. Smaller
objects (every lesson-sized ReplicaSet) are synced at once, exactly as before.
"""
from __future__ import annotations

import abc

from ..apiserver import UserInfo
from ..errors import ApiError


#: A sync that saw at least this many objects (pods) makes its key wait before the next sync.
BATCH_MIN_OBJECTS = 100
#: Virtual seconds of waiting per object seen, and the longest wait.
BATCH_SECONDS_PER_OBJECT = 0.001
BATCH_MAX_SECONDS = 1.0


class WorkQueue:
    """A de-duplicating queue of keys processed on the event loop (client-go workqueue)."""

    def __init__(self, loop, handler):
        self.loop, self.handler = loop, handler
        self._pending: set = set()
        self._timers: dict = {}
        self._failures: dict = {}
        self._not_before: dict = {}  # key -> virtual time of its next allowed sync (batching)
        self.syncs = 0  # how many times the handler ran (tests count them)

    def add(self, key) -> None:
        if key in self._pending:
            return
        self._pending.add(key)
        t = self._not_before.get(key)
        if t is not None:
            if t > self.loop.clock.now():
                self.loop.call_at(t, self._process, key)
                return
            del self._not_before[key]
        self.loop.call_soon(self._process, key)

    def sync_cost(self, key, objects: int) -> None:
        """Called by a handler: this sync of ``key`` looked at ``objects`` objects. Big syncs
        hold the key back for a while so that the next sync serves many events at once."""
        if objects >= BATCH_MIN_OBJECTS:
            wait = min(BATCH_MAX_SECONDS, objects * BATCH_SECONDS_PER_OBJECT)
            self._not_before[key] = self.loop.clock.now() + wait
        else:
            self._not_before.pop(key, None)

    def add_after(self, key, delay: float) -> None:
        """Add ``key`` after ``delay`` virtual seconds (keeps the earliest pending timer)."""
        if delay <= 0:
            return self.add(key)
        t = self._timers.get(key)
        when = self.loop.clock.now() + delay
        if t is not None and not t.cancelled and not t.done and t.when <= when:
            return
        if t is not None:
            t.cancel()
        self._timers[key] = self.loop.call_at(when, self._fire, key)

    def _fire(self, key) -> None:
        self._timers.pop(key, None)
        self.add(key)

    def _process(self, key) -> None:
        self._pending.discard(key)
        self.syncs += 1
        try:
            self.handler(key)
            self._failures.pop(key, None)
        except ApiError as e:
            if e.code in (404,) and key not in self._failures:
                return
            n = self._failures.get(key, 0)
            self._failures[key] = n + 1
            if n < 15:  # rate-limited retry: 5 ms doubling (workqueue.DefaultControllerRateLimiter)
                self.add_after(key, 0.005 * 2 ** n)

    def __len__(self) -> int:
        return len(self._pending)


class Controller(abc.ABC):
    """Base class: subclasses set ``name`` and implement ``setup()`` and ``reconcile(key)``."""

    name = "controller"

    def __init__(self, ctx):
        self.ctx = ctx
        self.api, self.loop, self.clock = ctx.api, ctx.loop, ctx.loop.clock
        self.informers = ctx.informers
        self.user = UserInfo(f"system:serviceaccount:kube-system:{self.name}",
                             ("system:serviceaccounts", "system:serviceaccounts:kube-system",
                              "system:authenticated"))
        self.queue = WorkQueue(ctx.loop, self.reconcile)
        self.setup()

    def setup(self) -> None:
        """Register informer handlers (subclasses)."""

    @abc.abstractmethod
    def reconcile(self, key: str) -> None:
        """Make observed state match desired state for one object key."""

    def event(self, obj: dict, etype: str, reason: str, message: str) -> None:
        self.ctx.recorder.record(obj, etype, reason, message, self.name)

    def now(self) -> str:
        return self.clock.timestamp()

    def explain(self, topic: str, record: dict) -> None:
        """Keep a teaching record (rollout arithmetic, victim ranking...) for the course."""
        self.ctx.explain.add(topic, record)
