"""The ReplicaSet controller (upstream pkg/controller/replicaset/replica_set.go, v1.33).

Its whole job: keep ``spec.replicas`` *active* pods matching the selector.

* Too few → create pods from ``spec.template`` (``generateName: <rs-name>-``, so the API server
  names them ``web-7d4b9c8f6d-x2k8q``), at most 500 per sync (``burstReplicas``), in slow-start
  batches of 1, 2, 4...; event ``SuccessfulCreate  Created pod: ...``.
* Too many → delete the *least valuable* pods first (``getPodsToDelete``), ranked by
  :func:`.podcontrol.rank_for_deletion`: unscheduled before scheduled, Pending before Running,
  not ready before ready, lower ``controller.kubernetes.io/pod-deletion-cost`` first, pods on
  nodes crowded with related pods first, ready for less time first, more restarts first,
  newer first. Each candidate's ranking keys go to the explain log, topic
  ``replicaset-victims``. Event ``SuccessfulDelete  Deleted pod: ...``.
* Orphan pods matching the selector are adopted; owned pods that stop matching are released.
* Status: ``replicas`` (active pods), ``fullyLabeledReplicas`` (pods carrying all template
  labels), ``readyReplicas``, ``availableReplicas`` (ready for ``minReadySeconds``),
  ``observedGeneration``.

:class:`~.replicationcontroller.ReplicationManager` is the same controller for the older
ReplicationController kind (a plain map selector), exactly as upstream.
"""
from __future__ import annotations

from ..errors import ApiError
from ..objects import clone, key_of, owner_of
from ..selectors import from_label_selector, selector_from_map
from ..upstream import REPLICASET_BURST_REPLICAS
from .base import Controller
from .podcontrol import (ClaimManager, Expectations, OrphanIndex, PodControl, is_pod_active,
                         is_pod_available, is_pod_ready, pod_from_template, rank_for_deletion,
                         ranking_keys, seconds_until_available, slow_start_batch)


class ReplicaSetController(Controller):
    name = "replicaset-controller"
    resource = "replicasets"
    kind = "ReplicaSet"
    burst = REPLICASET_BURST_REPLICAS

    def selector_of(self, rs: dict):
        return from_label_selector(rs["spec"].get("selector"))

    def setup(self) -> None:
        self.sets = self.informers[self.resource]
        self.pods = self.informers["pods"]
        self.pod_orphans = OrphanIndex.of(self.pods)
        self.expectations = Expectations(self.clock)
        self.pod_control = PodControl(self)
        self.claims = ClaimManager(self, "pods")
        self.sets.add_handler(self._enqueue, lambda old, new: self._enqueue(new), self._set_deleted)
        self.pods.add_handler(self._pod_added, self._pod_updated, self._pod_deleted)

    # -- event handlers ---------------------------------------------------------------------
    def _enqueue(self, rs: dict) -> None:
        self.queue.add(key_of(rs))

    def _set_deleted(self, rs: dict) -> None:
        self.expectations.delete(key_of(rs))
        self._enqueue(rs)

    def _resolve(self, pod: dict, ref=None) -> dict | None:
        ref = ref or owner_of(pod)
        if ref is None or ref.get("kind") != self.kind:
            return None
        rs = self.sets.get(ref["name"], pod["metadata"].get("namespace"))
        return rs if rs is not None and rs["metadata"]["uid"] == ref.get("uid") else None

    def _matching(self, pod: dict) -> list[dict]:
        labels = pod["metadata"].get("labels")
        return [rs for rs in self.sets.list(pod["metadata"].get("namespace"))
                if self.selector_of(rs).matches(labels)]

    def _pod_added(self, pod: dict) -> None:
        if pod["metadata"].get("deletionTimestamp"):
            return self._pod_deleted(pod)
        if owner_of(pod) is not None:
            rs = self._resolve(pod)
            if rs is not None:
                self.expectations.creation_observed(key_of(rs))
                self._enqueue(rs)
            return
        for rs in self._matching(pod):
            self._enqueue(rs)

    def _pod_updated(self, old: dict, new: dict) -> None:
        if old["metadata"].get("resourceVersion") == new["metadata"].get("resourceVersion"):
            return
        labels_changed = old["metadata"].get("labels") != new["metadata"].get("labels")
        if new["metadata"].get("deletionTimestamp"):
            self._pod_deleted(new)
            if labels_changed:
                self._pod_deleted(old)
            return
        old_ref, new_ref = owner_of(old), owner_of(new)
        if old_ref != new_ref and old_ref is not None:
            rs = self._resolve(old, old_ref)
            if rs is not None:
                self._enqueue(rs)
        if new_ref is not None:
            rs = self._resolve(new)
            if rs is None:
                return
            self._enqueue(rs)
            min_ready = rs["spec"].get("minReadySeconds", 0)
            if min_ready and not is_pod_ready(old) and is_pod_ready(new):
                # no pod event marks "available": look again once minReadySeconds have passed
                self.queue.add_after(key_of(rs), min_ready + 1)
            return
        if labels_changed or old_ref != new_ref:
            for rs in self._matching(new):
                self._enqueue(rs)

    def _pod_deleted(self, pod: dict) -> None:
        rs = self._resolve(pod)
        if rs is not None:
            self.expectations.deletion_observed(key_of(rs), key_of(pod))
            self._enqueue(rs)

    # -- sync -------------------------------------------------------------------------------
    def reconcile(self, key: str) -> None:
        cached = self.sets.get(key)
        if cached is None:
            self.expectations.delete(key)
            self.queue.sync_cost(key, 0)
            return
        needs_sync = self.expectations.satisfied(key)
        selector = self.selector_of(cached)
        ns = cached["metadata"]["namespace"]
        # light pods (status: phase and conditions) are enough to claim and count; the pods
        # ranked for deletion are read whole (manage_replicas)
        owned = self.pods.owned_by(cached["metadata"]["uid"], light=True)
        self.queue.sync_cost(key, len(owned))
        owned = [p for p in owned if is_pod_active(p)]
        orphans = [p for p in self.pod_orphans.list(ns) if is_pod_active(p)]
        pods = self.claims.claim(cached, selector, owned, orphans)
        error = None
        if needs_sync and not cached["metadata"].get("deletionTimestamp"):
            error = self.manage_replicas(pods, cached)
        rs = clone(cached)
        updated = self.update_status(rs, self.calculate_status(rs, pods, error))
        spec_replicas = updated["spec"].get("replicas", 1)
        st = updated.get("status") or {}
        min_ready = updated["spec"].get("minReadySeconds", 0)
        if error is None and min_ready > 0 and st.get("readyReplicas", 0) == spec_replicas and \
                st.get("availableReplicas", 0) != spec_replicas:
            wait = seconds_until_available(pods, min_ready, self.clock.now())
            self.queue.add_after(key, wait if wait is not None else min_ready)
        if error is not None:
            raise error

    def manage_replicas(self, pods: list[dict], rs: dict) -> ApiError | None:
        """Create or delete pods to close the gap; returns the first error (not raised)."""
        key, ns = key_of(rs), rs["metadata"]["namespace"]
        diff = len(pods) - rs["spec"].get("replicas", 1)
        if diff < 0:
            diff = min(-diff, self.burst)
            self.expectations.expect_creations(key, diff)

            def create_one():
                self.pod_control.create(ns, pod_from_template(rs["spec"].get("template") or {},
                                                              rs), rs)
            done, error = slow_start_batch(diff, create_one)
            for _ in range(diff - done):  # skipped or failed: never going to be observed
                self.expectations.creation_observed(key)
            return error
        if diff > 0:
            diff = min(diff, self.burst)
            whole = [self.pods.get(key_of(p)) or p for p in pods]
            victims = self.pods_to_delete(rs, whole, diff)
            self.expectations.expect_deletions(key, [key_of(p) for p in victims])
            error = None
            for pod in victims:
                try:
                    self.pod_control.delete(ns, pod["metadata"]["name"], rs)
                except ApiError as e:
                    self.expectations.deletion_observed(key, key_of(pod))
                    if e.code != 404:
                        error = error or e
            return error
        return None

    def pods_to_delete(self, rs: dict, pods: list[dict], diff: int) -> list[dict]:
        """getPodsToDelete: rank (unless all go) and take the first ``diff``."""
        now = self.clock.now()
        ranked = rank_for_deletion(pods, self.related_pods(rs), now)
        t = self.now()
        for i, facts in enumerate(ranked[:max(diff, 50) + 50]):  # enough to see the cut
            rec = {"time": t, "replicaset": key_of(rs), "position": i, "deleted": i < diff}
            rec.update(ranking_keys(facts, now))
            self.explain("replicaset-victims", rec)
        return [f.pod for f in ranked[:diff]]

    def related_pods(self, rs: dict) -> list[dict]:
        """Pods of every ReplicaSet with the same controller (a Deployment's old and new RSs):
        the co-location rank counts them per node. A ReplicaSet without a controller has no
        related pods (getIndirectlyRelatedPods), so its ranks are all 0."""
        ref = owner_of(rs)
        if ref is None:
            return []
        out, seen = [], set()
        for other in self.sets.list(rs["metadata"]["namespace"]):
            oref = owner_of(other)
            if oref is None or oref.get("uid") != ref.get("uid"):
                continue
            for p in self.pods.owned_by(other["metadata"]["uid"]):
                if p["metadata"]["uid"] not in seen:
                    seen.add(p["metadata"]["uid"])
                    out.append(p)
        return out

    # -- status -----------------------------------------------------------------------------
    def calculate_status(self, rs: dict, pods: list[dict], error: ApiError | None) -> dict:
        """calculateStatus, counting in one pass over the claimed pods."""
        template_labels = selector_from_map(((rs["spec"].get("template") or {}).get("metadata")
                                             or {}).get("labels"))
        min_ready, now = rs["spec"].get("minReadySeconds", 0), self.clock.now()
        fully = ready = available = 0
        for p in pods:
            if template_labels.matches(p["metadata"].get("labels")):
                fully += 1
            if is_pod_ready(p):
                ready += 1
                if not min_ready or is_pod_available(p, min_ready, now):
                    available += 1
        old = rs.get("status") or {}
        status = {"replicas": len(pods), "fullyLabeledReplicas": fully, "readyReplicas": ready,
                  "availableReplicas": available}
        conditions = [c for c in old.get("conditions") or () if c.get("type") != "ReplicaFailure"]
        failure = next((c for c in old.get("conditions") or ()
                        if c.get("type") == "ReplicaFailure"), None)
        if error is not None and failure is None:
            diff = len(pods) - rs["spec"].get("replicas", 1)
            reason = "FailedCreate" if diff < 0 else ("FailedDelete" if diff > 0 else "")
            conditions.append({"type": "ReplicaFailure", "status": "True",
                               "lastTransitionTime": self.now(), "reason": reason,
                               "message": error.message})
        elif error is not None:
            conditions.append(failure)
        if conditions:
            status["conditions"] = conditions
        return status

    def update_status(self, rs: dict, status: dict) -> dict:
        """Write the status when it changed or the generation was not yet observed."""
        old = rs.get("status") or {}
        gen = rs["metadata"].get("generation", 0)
        comparable = {k: v for k, v in old.items() if k != "observedGeneration"}
        if _omit_zero(status) == comparable and old.get("observedGeneration", 0) == gen:
            return rs
        status["observedGeneration"] = gen
        for attempt in (0, 1):  # statusUpdateRetries = 1
            rs["status"] = _omit_zero(status)
            try:
                return self.api.update(self.resource, rs, rs["metadata"]["namespace"],
                                       subresource="status", user=self.user)
            except ApiError:
                if attempt:
                    raise
                rs = self.api.get(self.resource, rs["metadata"]["name"],
                                  rs["metadata"]["namespace"], user=self.user)
        return rs


def _omit_zero(status: dict) -> dict:
    """JSON omitempty: zero counts vanish, except ``replicas`` (always present upstream)."""
    return {k: v for k, v in status.items() if v or k == "replicas"}
