"""The pod garbage collector: removes pods nobody else will (pkg/controller/podgc, v1.33).

Every 20 s it looks at all pods and force-deletes (grace period 0), after first marking them
``Failed``:

- **terminated pods beyond the threshold**: when more than ``--terminated-pod-gc-threshold``
  (12500) pods are Succeeded or Failed, the oldest extra ones go (evicted pods first);
- **orphaned pods**: pods bound to a node that no longer exists - once the node has been
  missing for the 40 s quarantine and a fresh GET confirms it - with the pod condition
  ``DisruptionTarget`` (reason ``DeletionByPodGC``, "PodGC: node no longer exists");
- **terminating pods on out-of-service nodes**: a pod stuck ``Terminating`` because its node is
  dead (not Ready) is released only when an operator taints the node
  ``node.kubernetes.io/out-of-service`` (non-graceful node shutdown, GA in v1.28);
- **unscheduled terminating pods**: a pod deleted before it was ever bound to a node.

Without this controller, a pod whose node died stays ``Terminating`` forever: no kubelet is
left to confirm that its containers stopped.
"""
from __future__ import annotations

from ..errors import ApiError
from ..objects import condition, key_of
from .base import Controller

GC_CHECK_PERIOD = 20  # gcCheckPeriod
QUARANTINE_TIME = 40  # quarantineTime
TERMINATED_POD_GC_THRESHOLD = 12500  # --terminated-pod-gc-threshold default
OUT_OF_SERVICE = "node.kubernetes.io/out-of-service"


def _terminated(pod) -> bool:
    return (pod.get("status") or {}).get("phase") not in ("Pending", "Running", "Unknown")


def _evicted(pod) -> bool:
    status = pod.get("status") or {}
    return status.get("phase") == "Failed" and status.get("reason") == "Evicted"


def _node_ready(node) -> bool:
    ready = condition(node, "Ready")
    return bool(ready) and ready.get("status") == "True"


class PodGCController(Controller):
    name = "pod-garbage-collector"
    threshold = TERMINATED_POD_GC_THRESHOLD

    def setup(self):
        self.pods = self.informers["pods"]
        self.nodes = self.informers["nodes"]
        self.missing_since: dict[str, float] = {}  # node name -> when first seen missing
        self._candidates: set[str] = set()  # keys of terminated or terminating pods
        self.pods.add_handler(self._note, lambda _old, new: self._note(new),
                              lambda pod: self._candidates.discard(key_of(pod)))
        self.loop.call_later(GC_CHECK_PERIOD, self._tick, background=True)

    def _tick(self):
        try:
            self.gc()
        finally:
            self.loop.call_later(GC_CHECK_PERIOD, self._tick, background=True)

    def reconcile(self, key):  # the work is periodic, not queued
        pass

    def _note(self, pod) -> None:
        """Track the pods a pass may act on: terminated ones and ones being deleted."""
        key = key_of(pod)
        if _terminated(pod) or pod["metadata"].get("deletionTimestamp"):
            self._candidates.add(key)
        else:
            self._candidates.discard(key)

    def _pods_to_check(self) -> list:
        """The tracked pods and those bound to a node that does not exist, in cache order.
        Upstream lists all pods; decoding 150,000 packed pods every 20 s to find a handful
        would cost seconds (informer.PackedCache), so the same pods are found by index."""
        existing = self.nodes.cache
        wanted = set(self._candidates)
        for node in self.pods.node_names():
            if node not in existing:
                wanted.update(self.pods.keys_on_node(node))
        if not wanted:
            return []
        return [self.pods.cache[k] for k in self.pods.cache if k in wanted]

    def gc(self) -> None:
        pods = self._pods_to_check()  # no sorting needed: only the deletions are ordered
        if self.threshold > 0:
            self._gc_terminated(pods)
        self._gc_terminating(pods)
        self._gc_orphaned(pods)
        self._gc_unscheduled_terminating(pods)

    def _gc_terminated(self, pods):
        done = [p for p in pods if _terminated(p)]
        extra = len(done) - self.threshold
        if extra <= 0:
            return
        done.sort(key=lambda p: (not _evicted(p), p["metadata"]["creationTimestamp"],
                                 p["metadata"]["name"]))
        for pod in done[:extra]:
            self._force_delete(pod)

    def _gc_terminating(self, pods):
        for pod in pods:
            if not pod["metadata"].get("deletionTimestamp"):
                continue
            node = self.nodes.get(pod["spec"].get("nodeName") or "")
            if node is None:
                continue
            if not _node_ready(node) and any(t.get("key") == OUT_OF_SERVICE
                                             for t in node["spec"].get("taints") or ()):
                self._force_delete(pod)

    def _gc_orphaned(self, pods):
        now = self.clock.now()
        existing = set(self.nodes.cache)
        for pod in pods:
            node = pod["spec"].get("nodeName")
            if node and node not in existing:
                self.missing_since.setdefault(node, now)
        gone = set()
        for node, since in list(self.missing_since.items()):
            if node in existing:
                del self.missing_since[node]
            elif now - since >= QUARANTINE_TIME:
                del self.missing_since[node]
                if not self._node_exists(node):
                    gone.add(node)
        for pod in pods:
            if pod["spec"].get("nodeName") in gone:
                self._force_delete(pod, {"type": "DisruptionTarget", "status": "True",
                                         "reason": "DeletionByPodGC",
                                         "message": "PodGC: node no longer exists"})

    def _node_exists(self, name) -> bool:
        try:
            self.api.get("nodes", name, user=self.user)
            return True
        except ApiError as e:
            return e.code != 404

    def _gc_unscheduled_terminating(self, pods):
        for pod in pods:
            if pod["metadata"].get("deletionTimestamp") and not pod["spec"].get("nodeName"):
                self._force_delete(pod)

    def _force_delete(self, pod, cond=None):
        """markFailedAndDeletePodWithCondition: phase Failed first, then delete with grace 0."""
        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        try:
            if (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed"):
                status = {"phase": "Failed"}  # utilpod.PatchPodStatus
                if cond is not None and condition(pod, cond["type"]) is None:
                    status["conditions"] = list((pod.get("status") or {}).get("conditions") or ()) + [
                        {**cond, "lastProbeTime": None, "lastTransitionTime": self.now()}]
                self.api.patch("pods", name, {"status": status}, "merge", ns, subresource="status",
                               user=self.user)
            self.api.delete("pods", name, ns, grace_period_seconds=0, user=self.user)
        except ApiError:
            return  # not found or changed meanwhile: the next pass looks again
