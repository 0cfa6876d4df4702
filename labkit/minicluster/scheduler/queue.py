"""The scheduling queue: which pending pod is tried next, and when a failed one is retried.

kube-scheduler keeps pending pods in three places (pkg/scheduler/backend/queue):

- **activeQ**: ready to be tried, highest ``spec.priority`` first, then oldest (PrioritySort);
- **backoffQ**: failed recently; a pod waits ``1s * 2^(attempts-1)``, at most 10 s, aligned to
  whole seconds. Since v1.33 (SchedulerPopFromBackoffQ) an idle scheduler takes pods from the
  backoffQ early; pods that failed with an *error* (not "unschedulable") still wait;
- **unschedulable pods**: no node fitted. They stay parked until a cluster event could make
  them fit, then move to the backoffQ (or the activeQ if their backoff is over); in any case
  they are retried after 5 minutes.

Which events wake which pods ("queueing hints") is simplified here: a node added or changed,
or an assigned pod deleted, wakes every parked pod; an assigned pod added or changed wakes the
pods rejected by InterPodAffinity or PodTopologySpread; an update of the pending pod itself
wakes that pod. Pods with ``schedulingGates`` wait (gated) until the gates are removed.
"""
from __future__ import annotations

import heapq
import itertools
import math

from ..upstream import (POD_INITIAL_BACKOFF_SECONDS, POD_MAX_BACKOFF_SECONDS,
                        POD_MAX_IN_UNSCHEDULABLE_PODS_SECONDS)

ACTIVE, BACKOFF, UNSCHEDULABLE, GATED = "activeQ", "backoffQ", "unschedulablePods", "gated"
POD_CHANGE_PLUGINS = frozenset(("InterPodAffinity", "PodTopologySpread"))


def backoff_duration(attempts: int) -> float:
    """calculateBackoffDuration: 0 before the first attempt, then 1, 2, 4, 8, 10, 10... s."""
    if attempts <= 0:
        return 0.0
    return float(min(POD_INITIAL_BACKOFF_SECONDS * 2 ** (attempts - 1), POD_MAX_BACKOFF_SECONDS))


class QueuedPod:
    """A pending pod and its queue bookkeeping (framework.QueuedPodInfo)."""

    __slots__ = ("info", "timestamp", "attempts", "initial_attempt", "plugins", "error",
                 "where", "seq", "cycle")

    def __init__(self, info, now: float):
        self.info, self.timestamp, self.attempts = info, now, 0
        self.initial_attempt = None
        self.plugins: frozenset = frozenset()  # plugins that rejected it last time
        self.error = False
        self.where, self.seq, self.cycle = None, 0, 0

    def backoff_expiry(self) -> float:
        """End of backoff, aligned down to the 1 s ordering window (alignToWindow)."""
        if self.attempts == 0:
            return -math.inf
        return math.floor(self.timestamp + backoff_duration(self.attempts))

    def backing_off(self, now: float) -> bool:
        return self.backoff_expiry() >= math.floor(now)

    @property
    def key(self) -> str:
        return self.info.key


class SchedulingQueue:
    """PriorityQueue with lazy-deletion heaps. ``now`` is a function returning virtual time."""

    def __init__(self, now):
        self.now = now
        self.pods: dict[str, QueuedPod] = {}
        self._parked: dict[str, QueuedPod] = {}  # unschedulablePods (and gated pods)
        self._active: list = []
        self._backoff: list = []     # rejected pods: (expiry, -priority, timestamp, seq, key)
        self._errors: list = []      # failed with an error: (expiry, seq, key)
        self._seq = itertools.count()
        self.scheduling_cycle = 0
        self.move_request_cycle = -1       # last event that could help any pod
        self.pod_move_request_cycle = -1   # last assigned-pod add/update (affinity, spread)

    # -- adding and removing ------------------------------------------------------------------
    def add(self, info) -> None:
        """A new pending pod (or one the scheduler should look at again)."""
        qp = self.pods.get(info.key)
        if qp is None:
            qp = self.pods[info.key] = QueuedPod(info, self.now())
        qp.info = info
        self._to_active(qp)

    def update(self, info) -> None:
        """The pending pod changed: refresh it; a parked or gated pod gets another chance."""
        qp = self.pods.get(info.key)
        if qp is None:
            return self.add(info)
        qp.info = info
        if qp.where in (UNSCHEDULABLE, GATED):
            self._requeue(qp)
        elif qp.where == ACTIVE:
            self._push(qp, ACTIVE)  # priority may have changed; the old entry goes stale

    def delete(self, key: str) -> None:
        qp = self.pods.pop(key, None)
        if qp is not None:
            self._set(qp, None)

    def __contains__(self, key: str) -> bool:
        return key in self.pods

    def __len__(self) -> int:
        return len(self.pods)

    # -- popping --------------------------------------------------------------------------------
    def pop(self) -> QueuedPod | None:
        """Next pod to try: activeQ first, else (v1.33) the front of the backoffQ."""
        self.flush_backoff_completed()
        qp = self._pop_heap(self._active, ACTIVE) or self._pop_heap(self._backoff, BACKOFF)
        if qp is None:
            return None
        self._set(qp, "in-flight")
        qp.attempts += 1
        if qp.initial_attempt is None:
            qp.initial_attempt = self.now()
        self.scheduling_cycle += 1
        qp.cycle = self.scheduling_cycle
        return qp

    def has_ready(self) -> bool:
        self._drop_stale(self._active, ACTIVE)
        self._drop_stale(self._backoff, BACKOFF)
        return bool(self._active or self._backoff)

    def done(self, key: str) -> None:
        """The pod was bound (or given up): forget it."""
        self.delete(key)

    # -- after a failed attempt -------------------------------------------------------------------
    def add_unschedulable(self, qp: QueuedPod, plugins, error: bool = False) -> None:
        """AddUnschedulableIfNotPresent: park the pod, or back it off if something changed in
        the cluster during its attempt (or if it failed with an error)."""
        if self.pods.get(qp.key) is not qp:
            return  # deleted meanwhile
        qp.timestamp = self.now()
        qp.plugins, qp.error = frozenset(plugins), error
        changed = self.move_request_cycle >= qp.cycle or (
            qp.plugins & POD_CHANGE_PLUGINS and self.pod_move_request_cycle >= qp.cycle)
        if error or changed:
            self._push(qp, BACKOFF)
        else:
            self._set(qp, UNSCHEDULABLE)

    # -- cluster events ---------------------------------------------------------------------------
    def move_all(self, event: str) -> int:
        """MoveAllToActiveOrBackoffQueue for one cluster event; returns how many pods moved.
        The event is also remembered for pods being tried right now (in-flight)."""
        pod_event = event in ("AssignedPodAdd", "AssignedPodUpdate")
        if pod_event:
            self.pod_move_request_cycle = self.scheduling_cycle
        else:
            self.move_request_cycle = self.scheduling_cycle
        moved = 0
        for qp in list(self._parked.values()):
            if qp.where != UNSCHEDULABLE:
                continue
            if pod_event and not (qp.plugins & POD_CHANGE_PLUGINS):
                continue
            self._requeue(qp)
            moved += 1
        return moved

    def flush_unschedulable_leftover(self) -> int:
        """Pods parked longer than 5 minutes are retried anyway."""
        now, moved = self.now(), 0
        for qp in list(self._parked.values()):
            if qp.where == UNSCHEDULABLE and now - qp.timestamp > POD_MAX_IN_UNSCHEDULABLE_PODS_SECONDS:
                self._requeue(qp)
                moved += 1
        return moved

    def flush_backoff_completed(self) -> None:
        """Pods whose backoff is over go to the activeQ (flushBackoffQCompleted)."""
        now = self.now()
        for heap, tag in ((self._backoff, BACKOFF), (self._errors, BACKOFF)):
            while heap:
                entry = heap[0]
                qp = self.pods.get(entry[-1])
                if qp is None or qp.where != tag or qp.seq != entry[-2]:
                    heapq.heappop(heap)
                    continue
                if qp.backing_off(now):
                    break
                heapq.heappop(heap)
                self._push(qp, ACTIVE)

    def next_backoff_expiry(self) -> float | None:
        """When the earliest error-backoff pod becomes ready (for the scheduler's timer)."""
        self._drop_stale(self._errors, BACKOFF)
        if not self._errors:
            return None
        qp = self.pods[self._errors[0][-1]]
        return qp.backoff_expiry() + 1.0

    def parked(self) -> int:
        """How many pods wait in unschedulablePods or gated."""
        return len(self._parked)

    def summary(self) -> dict:
        """How many pods sit where (for teaching and tests)."""
        out = {ACTIVE: 0, BACKOFF: 0, UNSCHEDULABLE: 0, GATED: 0}
        for qp in self.pods.values():
            if qp.where in out:
                out[qp.where] += 1
        return out

    # -- internals ------------------------------------------------------------------------------
    def _set(self, qp: QueuedPod, where) -> None:
        """Record where a pod is; parked pods are also kept in ``_parked``."""
        qp.where = where
        if where in (UNSCHEDULABLE, GATED):
            self._parked[qp.key] = qp
        else:
            self._parked.pop(qp.key, None)

    def _requeue(self, qp: QueuedPod) -> None:
        if qp.info.gated:
            self._set(qp, GATED)
        elif qp.backing_off(self.now()):
            self._push(qp, BACKOFF)
        else:
            self._push(qp, ACTIVE)

    def _to_active(self, qp: QueuedPod) -> None:
        if qp.info.gated:  # PreEnqueue: SchedulingGates
            self._set(qp, GATED)
        else:
            self._push(qp, ACTIVE)

    def _push(self, qp: QueuedPod, where: str) -> None:
        self._set(qp, where)
        qp.seq = next(self._seq)
        if where == ACTIVE:
            heapq.heappush(self._active, (-qp.info.priority, qp.timestamp, qp.seq, qp.key))
        elif qp.error:
            heapq.heappush(self._errors, (qp.backoff_expiry(), qp.seq, qp.key))
        else:
            heapq.heappush(self._backoff, (qp.backoff_expiry(), -qp.info.priority, qp.timestamp,
                                           qp.seq, qp.key))

    def _pop_heap(self, heap: list, tag: str) -> QueuedPod | None:
        while heap:
            entry = heapq.heappop(heap)
            qp = self.pods.get(entry[-1])
            if qp is not None and qp.where == tag and qp.seq == entry[-2]:
                return qp
        return None

    def _drop_stale(self, heap: list, tag: str) -> None:
        while heap:
            qp = self.pods.get(heap[0][-1])
            if qp is not None and qp.where == tag and qp.seq == heap[0][-2]:
                return
            heapq.heappop(heap)
