"""The StatefulSet controller (upstream pkg/controller/statefulset, v1.33).

A StatefulSet gives each replica a stable identity:

* **stable names** ``<set>-0``, ``<set>-1``... (ordinals from ``spec.ordinals.start``), with
  ``hostname`` = pod name and ``subdomain`` = ``spec.serviceName`` (DNS ``web-0.nginx``);
* **stable storage**: each ``volumeClaimTemplates`` entry becomes a PersistentVolumeClaim
  ``<template>-<set>-<ordinal>`` (``www-web-0``) created before the pod (binding is the storage
  controllers' job); by default claims outlive pods and the set, and
  ``persistentVolumeClaimRetentionPolicy`` hands them to the garbage collector
  (:mod:`.statefulset_claims`);
* **order** (``podManagementPolicy: OrderedReady``, the default): create ``web-0``, wait until it
  is Running and Ready, then ``web-1``...; scale down from the highest ordinal, one at a time.
  ``Parallel`` creates and deletes all at once;
* **updates** (``RollingUpdate``): pods are replaced from the highest ordinal down to
  ``partition``, one at a time, each waiting for the previous one to be healthy. ``OnDelete``
  only uses the new template when you delete a pod yourself.

Templates are remembered as ControllerRevisions (:mod:`.history`); pods carry
``controller-revision-hash=<revision name>``, ``statefulset.kubernetes.io/pod-name`` and
``apps.kubernetes.io/pod-index``. Simplification: ``maxUnavailable`` (alpha) is not implemented.
"""
from __future__ import annotations

import re

from ..errors import ApiError
from ..objects import clone, key_of, owner_of
from ..selectors import from_label_selector
from ..upstream import (CONTROLLER_REVISION_HASH_LABEL as REVISION_LABEL, POD_INDEX_LABEL,
                        STATEFULSET_POD_NAME_LABEL)
from . import history as hist
from .base import Controller
from .podcontrol import (ClaimManager, OrphanIndex, is_pod_available, is_pod_ready,
                         pod_from_template, seconds_until_available)
from .statefulset_claims import ClaimControl


# -- identity helpers (stateful_set_utils.go) --------------------------------------------------
def get_ordinal(set_name: str, pod: dict) -> int:
    m = re.fullmatch(rf"{re.escape(set_name)}-(\d+)", pod["metadata"]["name"])
    return int(m.group(1)) if m else -1


def pod_revision(pod: dict) -> str:
    return (pod["metadata"].get("labels") or {}).get(REVISION_LABEL, "")


def is_created(pod: dict | None) -> bool:
    return pod is not None and bool((pod.get("status") or {}).get("phase"))


def is_terminating(pod: dict) -> bool:
    return bool(pod["metadata"].get("deletionTimestamp"))


def is_running_and_ready(pod: dict) -> bool:
    return (pod.get("status") or {}).get("phase") == "Running" and is_pod_ready(pod)


def is_healthy(pod: dict) -> bool:
    return is_running_and_ready(pod) and not is_terminating(pod)


def claim_name(template: dict, set_name: str, ordinal: int) -> str:
    return f"{template['metadata']['name']}-{set_name}-{ordinal}"


class StatefulSetController(Controller):
    name = "statefulset-controller"

    def setup(self) -> None:
        self.sets = self.informers["statefulsets"]
        self.pods = self.informers["pods"]
        self.revisions = self.informers["controllerrevisions"]
        self.pod_orphans = OrphanIndex.of(self.pods)
        self.rev_orphans = OrphanIndex.of(self.revisions)
        self.pod_claims = ClaimManager(self, "pods")
        self.rev_claims = ClaimManager(self, "controllerrevisions")
        self.claim_control = ClaimControl(self)
        self.sets.add_handler(self._enqueue, lambda old, new: self._enqueue(new), self._enqueue)
        self.pods.add_handler(self._pod_event, self._pod_updated, self._pod_event)

    def _enqueue(self, obj: dict) -> None:
        self.queue.add(key_of(obj))

    def _owner(self, pod: dict) -> dict | None:
        ref = owner_of(pod, "StatefulSet")
        if ref is None:
            return None
        s = self.sets.get(ref["name"], pod["metadata"].get("namespace"))
        return s if s is not None and s["metadata"]["uid"] == ref["uid"] else None

    def _pod_event(self, pod: dict) -> None:
        s = self._owner(pod)
        if s is not None:
            return self._enqueue(s)
        if owner_of(pod) is None:
            for s in self.sets.list(pod["metadata"].get("namespace")):
                if from_label_selector(s["spec"].get("selector")).matches(
                        pod["metadata"].get("labels")):
                    self._enqueue(s)

    def _pod_updated(self, old: dict, new: dict) -> None:
        self._pod_event(new)
        s = self._owner(new)
        min_ready = (s or {}).get("spec", {}).get("minReadySeconds", 0)
        if s is not None and min_ready and not is_pod_ready(old) and is_pod_ready(new):
            self.queue.add_after(key_of(s), min_ready + 1)

    # -- sync -------------------------------------------------------------------------------
    def reconcile(self, key: str) -> None:
        cached = self.sets.get(key)
        if cached is None:
            return
        s = clone(cached)
        ns, uid = s["metadata"]["namespace"], s["metadata"]["uid"]
        sel = from_label_selector(s["spec"].get("selector"))
        pods = self.pod_claims.claim(s, sel, self.pods.owned_by(uid), self.pod_orphans.list(ns))
        pods = [p for p in pods if get_ordinal(s["metadata"]["name"], p) >= 0]
        revisions = hist.sort_by_revision(self.rev_claims.claim(
            s, sel, self.revisions.owned_by(uid), self.rev_orphans.list(ns)))
        current, update, collisions = self.get_revisions(s, revisions)
        status = self.update_stateful_set(s, current, update, collisions, pods)
        self.update_status(s, status)
        self.truncate_history(s, pods, revisions, current, update)
        min_ready = s["spec"].get("minReadySeconds", 0)
        if min_ready and status.get("availableReplicas", 0) != s["spec"].get("replicas", 1):
            wait = seconds_until_available(pods, min_ready, self.clock.now())
            self.queue.add_after(key, wait if wait is not None else min_ready)

    def get_revisions(self, s: dict, revisions: list[dict]):
        """(current revision, update revision, collision count): the update revision is the
        one matching the current template - reused, re-numbered (a rollback) or created."""
        collisions = [(s.get("status") or {}).get("collisionCount", 0)]
        wanted = self.new_revision(s, hist.next_revision(revisions), collisions[0])
        equal = hist.equal_revisions(revisions, wanted)
        if equal and revisions[-1]["metadata"]["name"] == equal[-1]["metadata"]["name"]:
            update = revisions[-1]
        elif equal:
            update = hist.set_revision_number(self, equal[-1], wanted["revision"])
        else:
            update = hist.create_revision(self, s, wanted, collisions)
        cur_name = (s.get("status") or {}).get("currentRevision")
        current = next((r for r in revisions if r["metadata"]["name"] == cur_name), update)
        return current, update, collisions[0]

    def new_revision(self, s: dict, number: int, collisions: int) -> dict:
        rev = hist.new_revision(s, (s["spec"]["template"].get("metadata") or {}).get("labels"),
                                hist.template_patch(s), number, collisions)
        if s["metadata"].get("annotations"):
            rev["metadata"]["annotations"] = dict(s["metadata"]["annotations"])
        return rev

    def update_stateful_set(self, s, current, update, collisions, pods) -> dict:
        """The ordered create / delete / update walk (updateStatefulSet)."""
        name, spec = s["metadata"]["name"], s["spec"]
        start = (spec.get("ordinals") or {}).get("start", 0)
        count = spec.get("replicas", 1)
        current_set, update_set = _apply(s, current), _apply(s, update)
        replicas: list = [None] * count
        condemned = []
        for pod in pods:
            o = get_ordinal(name, pod)
            if start <= o < start + count:
                replicas[o - start] = pod
            else:
                condemned.append(pod)
        for i in range(count):
            if replicas[i] is None:
                replicas[i] = self.new_pod(current_set, update_set, current, update, start + i)
        condemned.sort(key=lambda p: get_ordinal(name, p), reverse=True)
        status = {"observedGeneration": s["metadata"].get("generation", 0),
                  "currentRevision": current["metadata"]["name"],
                  "updateRevision": update["metadata"]["name"], "collisionCount": collisions}
        unhealthy = [p for p in replicas if not (is_created(p) and is_healthy(p))] + \
            [p for p in reversed(condemned) if not is_healthy(p)]
        first_unhealthy = unhealthy[0] if unhealthy else None
        monotonic = (spec.get("podManagementPolicy") or "OrderedReady") != "Parallel"

        def done():
            return self.compute_status(status, s, current, update, replicas + condemned)
        if s["metadata"].get("deletionTimestamp"):
            return done()
        for i in range(count):
            if self.process_replica(s, current_set, update_set, current, update, replicas, i,
                                    monotonic):
                return done()
        for pod in condemned:  # hand the claims of scaled-away pods to the garbage collector
            if not self.claim_control.match_retention_policy(s, pod):
                self.claim_control.update_for_retention_policy(s, pod)
        for i, pod in enumerate(condemned):
            if self.process_condemned(s, condemned, i, first_unhealthy, monotonic) and monotonic:
                return done()
        strategy = spec.get("updateStrategy") or {"type": "RollingUpdate"}
        if strategy.get("type") == "OnDelete":
            return done()
        partition = (strategy.get("rollingUpdate") or {}).get("partition", 0) or 0
        for i in range(count - 1, partition - 1, -1):
            pod = replicas[i]
            if pod_revision(pod) != update["metadata"]["name"] and not is_terminating(pod):
                replicas[i] = self.delete_pod(s, pod)
                return done()
            if not is_healthy(pod):
                return done()
        return done()

    def process_replica(self, s, current_set, update_set, current, update, replicas, i,
                        monotonic) -> bool:
        """Handle replica ``i``; True means "stop here and wait" (ordered mode)."""
        pod, set_name = replicas[i], s["metadata"]["name"]
        phase = (pod.get("status") or {}).get("phase")
        if phase in ("Failed", "Succeeded"):
            if phase == "Failed":
                self.event(s, "Warning", "RecreatingFailedPod",
                           f"StatefulSet {s['metadata']['namespace']}/{set_name} is recreating "
                           f"failed Pod {pod['metadata']['name']}")
            else:
                self.event(s, "Normal", "RecreatingTerminatedPod",
                           f"StatefulSet {s['metadata']['namespace']}/{set_name} is recreating "
                           f"terminated Pod {pod['metadata']['name']}")
            self.delete_pod(s, pod)
            replicas[i] = pod = self.new_pod(current_set, update_set, current, update,
                                             get_ordinal(set_name, pod))
        if not is_created(pod):
            if self.claim_control.pod_claim_is_stale(s, pod):
                return True  # the garbage collector has not yet removed the old pod's claim
            replicas[i] = self.create_pod(s, pod)
            return monotonic
        if phase == "Pending":  # createMissingPersistentVolumeClaims
            self._create_claims(s, pod, None)
            self._update_claims(s, pod)
        if is_terminating(pod) and monotonic:
            return True
        if (not is_running_and_ready(pod) or not is_pod_available(
                pod, s["spec"].get("minReadySeconds", 0), self.clock.now())) and monotonic:
            return True
        self.ensure_identity(s, pod)
        return False

    def process_condemned(self, s, condemned, i, first_unhealthy, monotonic) -> bool:
        pod = condemned[i]
        if is_terminating(pod):
            return monotonic
        healthy = is_running_and_ready(pod) and \
            is_pod_available(pod, s["spec"].get("minReadySeconds", 0), self.clock.now())
        if not healthy and monotonic and pod is not first_unhealthy:
            return True
        condemned[i] = self.delete_pod(s, pod)
        return True

    # -- pods and claims (stateful_pod_control.go) --------------------------------------------
    def new_pod(self, current_set, update_set, current, update, ordinal: int) -> dict:
        """newVersionedStatefulSetPod: below the partition the *current* template is used."""
        spec = current_set["spec"]
        ru = (spec.get("updateStrategy") or {"type": "RollingUpdate"})
        start = (spec.get("ordinals") or {}).get("start", 0)
        use_current = False
        if (ru.get("type") or "RollingUpdate") == "RollingUpdate":
            if ru.get("rollingUpdate") is None:
                use_current = ordinal < start + (current_set.get("status") or {}).get(
                    "currentReplicas", 0)
            else:
                use_current = ordinal < start + (ru["rollingUpdate"].get("partition") or 0)
        src, rev = (current_set, current) if use_current else (update_set, update)
        return self.stateful_pod(src, ordinal, rev["metadata"]["name"])

    def stateful_pod(self, s: dict, ordinal: int, revision: str) -> dict:
        name = f"{s['metadata']['name']}-{ordinal}"
        pod = pod_from_template(s["spec"]["template"], s)
        meta, spec = pod["metadata"], pod["spec"]
        del meta["generateName"]
        meta.update(name=name, namespace=s["metadata"]["namespace"])
        labels = meta.setdefault("labels", {})
        labels.update({STATEFULSET_POD_NAME_LABEL: name, POD_INDEX_LABEL: str(ordinal),
                       REVISION_LABEL: revision})
        spec["hostname"] = name
        if s["spec"].get("serviceName"):
            spec["subdomain"] = s["spec"]["serviceName"]
        claims = self.claims_for(s, ordinal)
        volumes = [{"name": t, "persistentVolumeClaim": {"claimName": c["metadata"]["name"]}}
                   for t, c in claims.items()]
        spec["volumes"] = volumes + [v for v in spec.get("volumes") or [] if v["name"] not in claims]
        if not spec["volumes"]:
            del spec["volumes"]
        return pod

    def claims_for(self, s: dict, ordinal: int) -> dict:
        """getPersistentVolumeClaims: template name → the PVC object for this ordinal."""
        out = {}
        match = (s["spec"].get("selector") or {}).get("matchLabels") or {}
        for t in s["spec"].get("volumeClaimTemplates") or []:
            c = clone(t)
            c.setdefault("apiVersion", "v1")
            c.setdefault("kind", "PersistentVolumeClaim")
            c.pop("status", None)
            meta = c.setdefault("metadata", {})
            meta["name"] = claim_name(t, s["metadata"]["name"], ordinal)
            meta["namespace"] = s["metadata"]["namespace"]
            meta["labels"] = {**(meta.get("labels") or {}), **match}
            out[t["metadata"]["name"]] = c
        return out

    def create_pod(self, s: dict, pod: dict) -> dict:
        """CreateStatefulPod: claims first (kept if they exist), the pod, then the claims' owner
        references as the retention policy wants (the set's reference, at this point)."""
        self._create_claims(s, pod, "create")
        subject = f"Pod {pod['metadata']['name']} in StatefulSet {s['metadata']['name']}"
        try:
            created = self.api.create("pods", pod, s["metadata"]["namespace"], user=self.user)
        except ApiError as e:
            if e.code != 409:  # AlreadyExists is silent
                self.event(s, "Warning", "FailedCreate", f"create {subject} failed error: {e.message}")
            raise
        self._update_claims(s, pod)
        self.event(s, "Normal", "SuccessfulCreate", f"create {subject} successful")
        return created

    def _create_claims(self, s: dict, pod: dict, verb: str | None) -> None:
        """Create the pod's missing claims; on failure record ``<verb> Pod ... failed error:``
        (no event without a verb) and retry later (errors aggregated like errorutils.NewAggregate)."""
        errs = self.claim_control.create_missing(s, pod)
        if not errs:
            return
        msg = errs[0] if len(errs) == 1 else "[" + ", ".join(errs) + "]"
        if verb:
            self.event(s, "Warning", f"Failed{verb.title()}", f"{verb} Pod {pod['metadata']['name']} "
                       f"in StatefulSet {s['metadata']['name']} failed error: {msg}")
        raise ApiError({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                        "code": 409, "reason": "Conflict", "message": msg})

    def _update_claims(self, s: dict, pod: dict) -> None:
        """UpdatePodClaimForRetentionPolicy; a failed claim write is an ``update Pod`` failure."""
        try:
            self.claim_control.update_for_retention_policy(s, pod)
        except ApiError as e:
            self.event(s, "Warning", "FailedUpdate", f"update Pod {pod['metadata']['name']} in StatefulSet "
                       f"{s['metadata']['name']} failed error: {e.message}")
            raise

    def delete_pod(self, s: dict, pod: dict) -> dict:
        """DeleteStatefulPod; returns our local view of the pod, now terminating."""
        subject = f"Pod {pod['metadata']['name']} in StatefulSet {s['metadata']['name']}"
        gone = {**pod, "metadata": {**pod["metadata"], "deletionTimestamp": self.now()}}
        try:
            self._recorded(s, "delete", f"{subject} successful", subject,
                           lambda: self.api.delete("pods", pod["metadata"]["name"],
                                                   s["metadata"]["namespace"], user=self.user))
        except ApiError as e:
            if e.code != 404:
                raise
        return gone

    def _recorded(self, s: dict, verb: str, ok: str, subject: str, call):
        """Run ``call``; record recordPodEvent / recordClaimEvent (``create Pod web-0 in
        StatefulSet web successful``, or ``... failed error: <why>``). NotFound is silent."""
        try:
            out = call()
        except ApiError as e:
            if e.code != 404:
                self.event(s, "Warning", f"Failed{verb.title()}",
                           f"{verb} {subject} failed error: {e.message}")
            raise
        self.event(s, "Normal", f"Successful{verb.title()}", f"{verb} {ok}")
        return out

    def ensure_identity(self, s: dict, pod: dict) -> None:
        """UpdateStatefulPod: restore the identity labels if someone removed them
        (identityMatches) and the claims' owner references if the retention policy changed."""
        name = pod["metadata"]["name"]
        want = {STATEFULSET_POD_NAME_LABEL: name,
                POD_INDEX_LABEL: str(get_ordinal(s["metadata"]["name"], pod))}
        labels = pod["metadata"].get("labels") or {}
        identity_ok = all(labels.get(k) == v for k, v in want.items())
        retention_ok = self.claim_control.match_retention_policy(s, pod)
        if identity_ok and retention_ok:
            return
        if not retention_ok:
            self._update_claims(s, pod)
        if not identity_ok:
            self.api.patch("pods", name, {"metadata": {"labels": want}}, "strategic",
                           s["metadata"]["namespace"], user=self.user)
        self.event(s, "Normal", "SuccessfulUpdate",
                   f"update Pod {name} in StatefulSet {s['metadata']['name']} successful")

    # -- status and history -------------------------------------------------------------------
    def compute_status(self, status, s, current, update, pods) -> dict:
        min_ready, now = s["spec"].get("minReadySeconds", 0), self.clock.now()
        counts = dict.fromkeys(("replicas", "readyReplicas", "availableReplicas",
                                "currentReplicas", "updatedReplicas"), 0)
        for pod in pods:
            if pod is None:
                continue
            created = is_created(pod)
            counts["replicas"] += created
            if is_running_and_ready(pod):
                counts["readyReplicas"] += 1
                counts["availableReplicas"] += is_pod_available(pod, min_ready, now)
            if created and not is_terminating(pod):
                counts["currentReplicas"] += pod_revision(pod) == current["metadata"]["name"]
                counts["updatedReplicas"] += pod_revision(pod) == update["metadata"]["name"]
        status.update(counts)
        strategy = s["spec"].get("updateStrategy") or {"type": "RollingUpdate"}
        if (strategy.get("type") or "RollingUpdate") == "RollingUpdate" and \
                status["updatedReplicas"] == status["replicas"] == status["readyReplicas"]:
            status["currentReplicas"] = status["updatedReplicas"]  # completeRollingUpdate
            status["currentRevision"] = status["updateRevision"]
        return status

    def update_status(self, s: dict, status: dict) -> None:
        keep = {"replicas", "availableReplicas", "collisionCount"}  # no omitempty upstream
        new = {k: v for k, v in status.items() if v or k in keep}
        if (s.get("status") or {}).get("conditions"):
            new["conditions"] = s["status"]["conditions"]
        if new == (s.get("status") or {}):
            return
        s["status"] = new
        self.api.update("statefulsets", s, s["metadata"]["namespace"], subresource="status",
                        user=self.user)

    def truncate_history(self, s, pods, revisions, current, update) -> None:
        """Delete the oldest revisions no pod uses, beyond ``revisionHistoryLimit``."""
        live = {current["metadata"]["name"], update["metadata"]["name"]} | \
            {pod_revision(p) for p in pods}
        old = [r for r in revisions if r["metadata"]["name"] not in live]
        limit = s["spec"].get("revisionHistoryLimit", 10)
        for r in old[:max(len(old) - limit, 0)]:
            try:
                self.api.delete("controllerrevisions", r["metadata"]["name"],
                                s["metadata"]["namespace"], user=self.user)
            except ApiError as e:
                if e.code != 404:
                    raise


def _apply(s: dict, revision: dict) -> dict:
    """ApplyRevision: the StatefulSet with the revision's template restored."""
    out = clone(s)
    out["spec"]["template"] = hist.template_of(revision)
    return out
