"""What every workload controller does with pods (upstream pkg/controller/controller_utils.go).

- :func:`pod_from_template` turns a pod template into a new Pod the way ``GetPodFromTemplate``
  does: labels, annotations and finalizers copied, ``generateName: <owner>-`` (the API server
  appends 5 random characters), and a *controller* ``ownerReference`` back to the owner.
- :class:`PodControl` creates and deletes pods and records the familiar events
  (``SuccessfulCreate  Created pod: web-7d4b9c-x2k8q``, ``SuccessfulDelete  Deleted pod: ...``).
- :class:`Expectations` remembers "I asked for 3 creations, I have seen 1": a controller does not
  act again until its own earlier writes are visible (ControllerExpectations).
- :func:`slow_start_batch` creates in batches of 1, 2, 4, 8... so a quota error stops the
  controller after one failed request instead of hundreds.
- :class:`ClaimManager` adopts orphans that match a selector and releases children that stopped
  matching (ControllerRefManager).
- :func:`rank_for_deletion` orders pods for scale-down (ActivePodsWithRanks).
"""
from __future__ import annotations

import functools
import math
import weakref
from typing import NamedTuple

from ..clock import parse_rfc3339
from ..errors import ApiError
from ..objects import clone, owner_of, owner_reference
from ..upstream import (EXPECTATIONS_TIMEOUT_SECONDS, POD_DELETION_COST_ANNOTATION,
                        SLOW_START_INITIAL_BATCH_SIZE)


# -- pod predicates (pkg/api/v1/pod/util.go, controller_utils.go) ------------------------------
def is_pod_active(pod: dict) -> bool:
    """Not Succeeded, not Failed and not being deleted (FilterActivePods)."""
    return pod.get("status", {}).get("phase") not in ("Succeeded", "Failed") and \
        not pod["metadata"].get("deletionTimestamp")


def is_terminating(pod: dict) -> bool:
    return bool(pod["metadata"].get("deletionTimestamp"))


def ready_condition(pod: dict) -> dict | None:
    for c in pod.get("status", {}).get("conditions") or ():
        if c.get("type") == "Ready":
            return c
    return None


def is_pod_ready(pod: dict) -> bool:
    c = ready_condition(pod)
    return bool(c) and c.get("status") == "True"


def pod_ready_time(pod: dict) -> float | None:
    """When the Ready condition last turned True (None if not ready)."""
    c = ready_condition(pod)
    if c and c.get("status") == "True" and c.get("lastTransitionTime"):
        return parse_rfc3339(c["lastTransitionTime"])
    return None


def is_pod_available(pod: dict, min_ready_seconds: int, now: float) -> bool:
    """Ready for at least ``minReadySeconds`` (strictly longer, as podutil.IsPodAvailable)."""
    if not is_pod_ready(pod):
        return False
    if not min_ready_seconds:
        return True
    t = pod_ready_time(pod)
    return t is not None and t + min_ready_seconds < now


def seconds_until_available(pods, min_ready_seconds: int, now: float) -> float | None:
    """When the next ready pod passes ``minReadySeconds`` (+1 s, upstream's margin against
    clock skew), or None. Controllers requeue themselves then: no pod event says "available"."""
    waits = [t + min_ready_seconds - now for t in (pod_ready_time(p) for p in pods)
             if t is not None and t + min_ready_seconds >= now]
    return min(waits) + 1 if waits and min_ready_seconds else None


def count_terminating(pods) -> int:
    """Pods being deleted that have not reached a terminal phase (CountTerminatingPods)."""
    return sum(1 for p in pods if is_terminating(p) and
               p.get("status", {}).get("phase") not in ("Succeeded", "Failed"))


# -- building pods ---------------------------------------------------------------------------
def pod_from_template(template: dict, parent: dict, generate_name: str | None = None,
                      controller_ref: bool = True) -> dict:
    """A new Pod object from ``template`` for ``parent`` (GetPodFromTemplate)."""
    tmeta = template.get("metadata") or {}
    meta: dict = {}
    for field in ("labels", "annotations"):
        if tmeta.get(field):
            meta[field] = dict(tmeta[field])
    if tmeta.get("finalizers"):
        meta["finalizers"] = list(tmeta["finalizers"])
    meta["generateName"] = generate_name if generate_name is not None else \
        f"{parent['metadata']['name']}-"
    if controller_ref:
        meta["ownerReferences"] = [owner_reference(parent)]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
            "spec": clone(template.get("spec") or {})}


class PodControl:
    """Creates and deletes pods for a controller and records the events (RealPodControl)."""

    def __init__(self, controller):
        self.ctrl = controller

    def create(self, namespace: str, pod: dict, parent: dict) -> dict:
        """POST the pod; events ``SuccessfulCreate`` / ``FailedCreate`` go on ``parent``."""
        c = self.ctrl
        if not pod["metadata"].get("labels"):
            raise ApiError({"kind": "Status", "apiVersion": "v1", "metadata": {},
                            "status": "Failure", "code": 422, "reason": "Invalid",
                            "message": "unable to create pods, no labels"})
        try:
            created = c.api.create("pods", pod, namespace, user=c.user)
        except ApiError as e:
            c.event(parent, "Warning", "FailedCreate", f"Error creating: {e.message}")
            raise
        c.event(parent, "Normal", "SuccessfulCreate", f"Created pod: {created['metadata']['name']}")
        return created

    def delete(self, namespace: str, name: str, parent: dict) -> None:
        """DELETE the pod (graceful); a NotFound is passed on without an event."""
        c = self.ctrl
        try:
            c.api.delete("pods", name, namespace, user=c.user)
        except ApiError as e:
            if e.code != 404:
                c.event(parent, "Warning", "FailedDelete", f"Error deleting: {e.message}")
            raise
        c.event(parent, "Normal", "SuccessfulDelete", f"Deleted pod: {name}")

    def patch(self, namespace: str, name: str, patch: dict) -> dict:
        return self.ctrl.api.patch("pods", name, patch, "strategic", namespace, user=self.ctrl.user)


def slow_start_batch(count: int, fn, initial: int = SLOW_START_INITIAL_BATCH_SIZE):
    """Call ``fn()`` ``count`` times in batches of 1, 2, 4...; stop after a batch with an error.

    Returns ``(successes, first_error)``. Upstream runs a batch's calls in parallel goroutines;
    here they run one after the other, which gives the same result in a single-threaded loop.
    """
    remaining, successes, batch = count, 0, min(count, initial)
    while batch > 0:
        error = None
        for _ in range(batch):
            try:
                fn()
                successes += 1
            except ApiError as e:
                error = error or e
        if error is not None:
            return successes, error
        remaining -= batch
        batch = min(2 * batch, remaining)
    return successes, None


# -- expectations -----------------------------------------------------------------------------
class Expectations:
    """ControllerExpectations (+ the UID-tracking flavour for deletions).

    A record says how many pod creations (a count) and which deletions (a set of pod keys, or
    a count) a controller is still waiting to *see* in its informer. Until they are seen the
    controller does not manage pods again, so it never double-creates. Records expire after
    5 minutes, in case an event was lost.
    """

    def __init__(self, clock):
        self.clock = clock
        self._records: dict = {}  # key -> [adds, dels (int or set), timestamp]

    def set(self, key: str, adds: int, dels) -> None:
        """SetExpectations: replace the record (``dels`` a count or a set of pod keys)."""
        self._records[key] = [adds, dels if isinstance(dels, int) else set(dels),
                              self.clock.now()]

    def expect_creations(self, key: str, n: int) -> None:
        self.set(key, n, 0)

    def expect_deletions(self, key: str, n_or_keys) -> None:
        self.set(key, 0, n_or_keys)

    def creation_observed(self, key: str) -> None:
        rec = self._records.get(key)
        if rec:
            rec[0] -= 1

    def deletion_observed(self, key: str, pod_key: str | None = None) -> None:
        rec = self._records.get(key)
        if not rec:
            return
        if isinstance(rec[1], set):
            rec[1].discard(pod_key)
        else:
            rec[1] -= 1

    def satisfied(self, key: str) -> bool:
        rec = self._records.get(key)
        if rec is None:
            return True
        dels = len(rec[1]) if isinstance(rec[1], set) else rec[1]
        if rec[0] <= 0 and dels <= 0:
            return True
        return self.clock.now() - rec[2] > EXPECTATIONS_TIMEOUT_SECONDS

    def delete(self, key: str) -> None:
        self._records.pop(key, None)


# -- orphans and claiming ---------------------------------------------------------------------
_ORPHANS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


class OrphanIndex:
    """Objects of one informer that have no controller, by namespace.

    Upstream controllers list *every* pod of the namespace and let the ref manager sort them
    out; with 150k pods that is too slow here, so owned objects come from the informer's owner
    index and orphans (rare) from this index. One index is shared per informer.
    """

    def __init__(self, informer):
        self.by_ns: dict[str, dict] = {}
        informer.add_handler(self._add, lambda old, new: self._add(new), self._delete)

    @classmethod
    def of(cls, informer) -> "OrphanIndex":
        idx = _ORPHANS.get(informer)
        if idx is None:
            idx = _ORPHANS[informer] = cls(informer)
        return idx

    def _add(self, obj):
        meta = obj["metadata"]
        bucket = self.by_ns.setdefault(meta.get("namespace", ""), {})
        if owner_of(obj) is None:
            bucket[meta["name"]] = obj
        else:
            bucket.pop(meta["name"], None)

    def _delete(self, obj):
        meta = obj["metadata"]
        self.by_ns.get(meta.get("namespace", ""), {}).pop(meta["name"], None)

    def list(self, namespace: str) -> list[dict]:
        bucket = self.by_ns.get(namespace, {})
        return [bucket[k] for k in sorted(bucket)]


class ClaimManager:
    """Adopt matching orphans, release non-matching children (ControllerRefManager)."""

    def __init__(self, controller, resource: str, extra_adopt_patch=None):
        self.ctrl, self.resource = controller, resource
        self.extra = extra_adopt_patch or {}

    def claim(self, parent: dict, selector, owned: list, orphans: list) -> list[dict]:
        uid, out = parent["metadata"]["uid"], []
        deleting = bool(parent["metadata"].get("deletionTimestamp"))
        can_adopt = None
        for obj in owned:
            ref = owner_of(obj)
            if ref is None or ref.get("uid") != uid:
                continue
            if selector.matches(obj["metadata"].get("labels")):
                out.append(obj)
            elif not deleting:
                self._patch(obj, {"ownerReferences": [{"$patch": "delete", "uid": uid}]})
        for obj in orphans:
            if deleting or obj["metadata"].get("deletionTimestamp") or \
                    not selector.matches(obj["metadata"].get("labels")):
                continue
            if can_adopt is None:
                can_adopt = self._fresh(parent)
            if can_adopt:
                adopted = self._patch(obj, {"ownerReferences": [owner_reference(parent)],
                                            **self.extra})
                if adopted is not None:
                    out.append(adopted)
        return out

    def _fresh(self, parent) -> bool:
        """RecheckDeletionTimestamp: adopt only if the owner still exists and is not deleting."""
        m = parent["metadata"]
        try:
            fresh = self.ctrl.api.get(parent["kind"], m["name"], m.get("namespace"),
                                      user=self.ctrl.user)
        except ApiError:
            return False
        return fresh["metadata"]["uid"] == m["uid"] and \
            not fresh["metadata"].get("deletionTimestamp")

    def _patch(self, obj, meta_patch) -> dict | None:
        m = obj["metadata"]
        patch = {"metadata": {**meta_patch, "uid": m["uid"]}}
        try:
            return self.ctrl.api.patch(self.resource, m["name"], patch, "strategic",
                                       m.get("namespace"), user=self.ctrl.user)
        except ApiError:
            return None


# -- ranking pods for deletion (controller_utils.go ActivePods / ActivePodsWithRanks) ---------
_PHASE_ORDINAL = {"Pending": 0, "Unknown": 1, "Running": 2}


def max_container_restarts(pod: dict) -> tuple[int, int]:
    """(highest restart count of regular containers, of sidecar init containers)."""
    status = pod.get("status", {})
    regular = max((c.get("restartCount", 0) for c in status.get("containerStatuses") or ()),
                  default=0)
    sidecars = {c["name"] for c in pod.get("spec", {}).get("initContainers") or ()
                if c.get("restartPolicy") == "Always"}
    sidecar = max((c.get("restartCount", 0) for c in status.get("initContainerStatuses") or ()
                   if c.get("name") in sidecars), default=0)
    return regular, sidecar


def deletion_cost(pod: dict) -> int:
    try:
        return int((pod["metadata"].get("annotations") or {}).get(POD_DELETION_COST_ANNOTATION, 0))
    except ValueError:
        return 0


def _log_bucket(t: float | None, now: float) -> int:
    """logarithmicRankDiff's bucket: floor(log2(age in nanoseconds)), -1 for no age."""
    if t is None:
        return -1
    d = (now - t) * 1e9
    return int(math.log2(d)) if d > 0 else -1


def _created(pod: dict) -> float | None:
    ts = pod["metadata"].get("creationTimestamp")
    return parse_rfc3339(ts) if ts else None


def _after_or_zero(t1, t2) -> bool:
    if t1 is None or t2 is None:
        return t1 is None
    return t1 > t2


class RankFacts(NamedTuple):
    """What ActivePodsWithRanks compares, computed once per pod."""
    pod: dict
    node: str
    phase: int
    ready: bool
    cost: int
    rank: int
    ready_at: float | None
    ready_bucket: int
    restarts: tuple
    created: float | None
    created_bucket: int
    uid: str


def rank_facts(pod: dict, rank: int, now: float) -> RankFacts:
    ready_at, created = pod_ready_time(pod), _created(pod)
    return RankFacts(pod, pod.get("spec", {}).get("nodeName") or "",
                     _PHASE_ORDINAL.get(pod.get("status", {}).get("phase"), 0), is_pod_ready(pod),
                     deletion_cost(pod), rank, ready_at, _log_bucket(ready_at, now),
                     max_container_restarts(pod), created, _log_bucket(created, now),
                     pod["metadata"].get("uid", ""))


def ranking_keys(f: RankFacts, now: float) -> dict:
    """The values the ranking compares, for the ``replicaset-victims`` explain topic."""
    return {"pod": f.pod["metadata"]["name"], "node": f.node, "assigned": bool(f.node),
            "phase": f.pod.get("status", {}).get("phase", "Pending"), "ready": f.ready,
            "deletionCost": f.cost, "colocated": f.rank,
            "readySeconds": None if f.ready_at is None else now - f.ready_at,
            "readyBucket": f.ready_bucket if f.ready_at is not None else None,
            "restarts": f.restarts[0],
            "ageSeconds": None if f.created is None else now - f.created,
            "ageBucket": f.created_bucket}


def _less_with_ranks(a: RankFacts, b: RankFacts) -> bool:
    """ActivePodsWithRanks.Less with PodDeletionCost and LogarithmicScaleDown enabled (v1.33)."""
    if a.node != b.node and (not a.node or not b.node):
        return not a.node                                     # 1. unassigned < assigned
    if a.phase != b.phase:
        return a.phase < b.phase                              # 2. Pending < Unknown < Running
    if a.ready != b.ready:
        return not a.ready                                    # 3. not ready < ready
    if a.cost != b.cost:
        return a.cost < b.cost                                # 4. lower deletion cost first
    if a.rank != b.rank:
        return a.rank > b.rank                                # 5. more co-located pods first
    if a.ready and b.ready and a.ready_at != b.ready_at:      # 6. ready for less time first
        if a.ready_at is None or b.ready_at is None:
            return _after_or_zero(a.ready_at, b.ready_at)
        diff = a.ready_bucket - b.ready_bucket
        return a.uid < b.uid if diff == 0 else diff < 0
    if a.restarts != b.restarts:
        return a.restarts > b.restarts                        # 7. more restarts first
    if a.created != b.created:                                # 8. newer pods first
        if a.created is None or b.created is None:
            return _after_or_zero(a.created, b.created)
        diff = a.created_bucket - b.created_bucket
        return a.uid < b.uid if diff == 0 else diff < 0
    return False


def rank_for_deletion(pods: list[dict], related: list[dict], now: float) -> list[RankFacts]:
    """Pods ordered most-deletable first, with their ranking facts; ``rank`` is the number of
    active related pods on the same node (getPodsRankedByRelatedPodsOnSameNode)."""
    on_node: dict[str, int] = {}
    for p in related:
        if is_pod_active(p):
            n = p.get("spec", {}).get("nodeName") or ""
            on_node[n] = on_node.get(n, 0) + 1
    facts = [rank_facts(p, on_node.get(p.get("spec", {}).get("nodeName") or "", 0), now)
             for p in sorted(pods, key=lambda p: p["metadata"]["name"])]

    def cmp(a, b):
        return -1 if _less_with_ranks(a, b) else (1 if _less_with_ranks(b, a) else 0)
    return sorted(facts, key=functools.cmp_to_key(cmp))


def _less_active(pa: dict, pb: dict) -> bool:
    """ActivePods.Less: the ordering Jobs and DaemonSets use (no ranks, plain timestamps)."""
    na, nb = pa.get("spec", {}).get("nodeName") or "", pb.get("spec", {}).get("nodeName") or ""
    if na != nb and (not na or not nb):
        return not na
    pha = _PHASE_ORDINAL.get(pa.get("status", {}).get("phase"), 0)
    phb = _PHASE_ORDINAL.get(pb.get("status", {}).get("phase"), 0)
    if pha != phb:
        return pha < phb
    rda, rdb = is_pod_ready(pa), is_pod_ready(pb)
    if rda != rdb:
        return not rda
    if rda and rdb and pod_ready_time(pa) != pod_ready_time(pb):
        return _after_or_zero(pod_ready_time(pa), pod_ready_time(pb))
    if max_container_restarts(pa) != max_container_restarts(pb):
        return max_container_restarts(pa) > max_container_restarts(pb)
    if _created(pa) != _created(pb):
        return _after_or_zero(_created(pa), _created(pb))
    return False


def sort_active_pods(pods: list[dict]) -> list[dict]:
    """Most-deletable first, by :func:`_less_active` (names break ties deterministically)."""
    def cmp(a, b):
        return -1 if _less_active(a, b) else (1 if _less_active(b, a) else 0)
    return sorted(sorted(pods, key=lambda p: p["metadata"]["name"]), key=functools.cmp_to_key(cmp))
