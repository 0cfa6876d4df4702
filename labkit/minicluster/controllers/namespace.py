"""The namespace controller: empties a namespace that is being deleted, then lets it go.

``kubectl delete namespace dev`` does not delete anything by itself. The API server only marks
the namespace (``deletionTimestamp``, ``status.phase: Terminating``); the namespace keeps the
``kubernetes`` entry in ``spec.finalizers``, which is this controller's promise to clean up.
The controller then (pkg/controller/namespace, namespaced_resources_deleter.go, v1.33):

1. waits 5 s (``namespaceDeletionGracePeriod``) so every API server has seen the deletion;
2. deletes the pods first and waits until they are gone (OrderedNamespaceDeletion, beta and on
   by default in v1.33: a NetworkPolicy must not vanish while the pods it guards still run);
3. deletes every other namespaced resource type, one object at a time, with background
   propagation;
4. lists what is left and reports it in five status conditions
   (``NamespaceDeletionDiscoveryFailure`` ... ``NamespaceFinalizersRemaining``), e.g.
   ``Some content in the namespace has finalizers remaining: example.com/x in 1 resource
   instances`` - the message that explains a namespace "stuck in Terminating";
5. when nothing is left, removes ``kubernetes`` from ``spec.finalizers`` through the
   ``namespaces/{name}/finalize`` subresource; the API server then deletes the namespace.

While content remains it checks again after ``estimate/2 + 1`` seconds, where the estimate is
the pods' remaining grace period, or 15 s when objects wait on finalizers.

Simplifications: discovery never fails here (the registry is static), so the discovery and
group-version conditions are always the "ok" variants; deletecollection is done as a loop of
deletes (what upstream falls back to).
"""
from __future__ import annotations

from ..clock import parse_rfc3339
from ..errors import ApiError
from ..objects import clone
from ..resources import REGISTRY
from .base import Controller

FINALIZER_TOKEN = "kubernetes"
NAMESPACE_DELETION_GRACE_PERIOD = 5  # namespace_controller.go namespaceDeletionGracePeriod
FINALIZER_ESTIMATE_SECONDS = 15  # namespaced_resources_deleter.go finalizerEstimateSeconds
RETRY_SECONDS = 1  # rate-limited retry after an unexpected failure (simplified back-off)

#: (condition type, ok reason, ok message): status_condition_utils.go, in upstream order
CONDITIONS = (
    ("NamespaceDeletionDiscoveryFailure", "ResourcesDiscovered", "All resources successfully discovered"),
    ("NamespaceDeletionGroupVersionParsingFailure", "ParsedGroupVersions",
     "All legacy kube types successfully parsed"),
    ("NamespaceDeletionContentFailure", "ContentDeleted",
     "All content successfully deleted, may be waiting on finalization"),
    ("NamespaceContentRemaining", "ContentRemoved", "All content successfully removed"),
    ("NamespaceFinalizersRemaining", "ContentHasNoFinalizers", "All content-preserving finalizers finished"),
)


def deletable_namespaced_types():
    """Every namespaced resource type that can be deleted, one per storage (group/resource)."""
    seen, out = set(), []
    for rt in REGISTRY.all():
        if not rt.namespaced or "delete" not in rt.verbs or rt.group_resource in seen:
            continue
        seen.add(rt.group_resource)
        out.append(rt)
    return out


class Tally:
    """What one deletion pass found left over (allGVRDeletionMetadata)."""

    def __init__(self):
        self.remaining: dict[str, int] = {}  # "configmaps." / "deployments.apps" -> count
        self.finalizers: dict[str, int] = {}
        self.errors: list[str] = []
        self.estimate = 0

    def add(self, rt, items, estimate):
        self.estimate = max(self.estimate, estimate)
        if not items:
            return
        self.remaining[f"{rt.plural}.{rt.group}"] = len(items)
        with_finalizers = False
        for item in items:
            for f in item["metadata"].get("finalizers") or ():
                self.finalizers[f] = self.finalizers.get(f, 0) + 1
                with_finalizers = True
        if estimate == 0 and with_finalizers:
            self.estimate = max(self.estimate, FINALIZER_ESTIMATE_SECONDS)
        elif estimate == 0:
            self.errors.append(f"unexpected items still remain in namespace: {items[0]['metadata']['namespace']} "
                               f"for gvr: {rt.group}/{rt.version}, Resource={rt.plural}")

    def conditions(self) -> dict[str, tuple[str, str, str]]:
        """Failing conditions as {type: (status, reason, message)}; the rest are "ok"."""
        out = {}
        if self.errors:
            msgs = sorted(self.errors)
            out["NamespaceDeletionContentFailure"] = (
                "True", "ContentDeletionFailed",
                f"Failed to delete all resource types, {len(msgs)} remaining: {', '.join(msgs)}")
        if self.remaining:
            parts = sorted(f"{gr} has {n} resource instances" for gr, n in self.remaining.items())
            out["NamespaceContentRemaining"] = ("True", "SomeResourcesRemain",
                                                f"Some resources are remaining: {', '.join(parts)}")
        if self.finalizers:
            parts = sorted(f"{f} in {n} resource instances" for f, n in self.finalizers.items())
            out["NamespaceFinalizersRemaining"] = (
                "True", "SomeFinalizersRemain",
                f"Some content in the namespace has finalizers remaining: {', '.join(parts)}")
        return out


class NamespaceController(Controller):
    name = "namespace-controller"

    def setup(self):
        self.namespaces = self.informers["namespaces"]
        self.namespaces.add_handler(self._enqueue, lambda old, new: self._enqueue(new))

    def _enqueue(self, ns):
        if ns["metadata"].get("deletionTimestamp"):
            self.queue.add_after(ns["metadata"]["name"], NAMESPACE_DELETION_GRACE_PERIOD)

    # -- the deleter ------------------------------------------------------------------------
    def reconcile(self, name):
        try:
            ns = self.api.get("namespaces", name, user=self.user)
        except ApiError as e:
            if e.code == 404:
                return
            raise
        if not ns["metadata"].get("deletionTimestamp"):
            return
        ns = self._ensure_terminating(ns)
        if FINALIZER_TOKEN not in ((ns.get("spec") or {}).get("finalizers") or ()):
            return  # already finalized by us
        tally = self._delete_all_content(ns)
        self._update_conditions(ns, tally)
        if tally.estimate > 0 or tally.remaining or tally.errors:
            wait = tally.estimate // 2 + 1 if tally.estimate else RETRY_SECONDS
            self.queue.add_after(name, wait)
            return
        self._finalize(name)

    def _ensure_terminating(self, ns):
        if (ns.get("status") or {}).get("phase") == "Terminating":
            return ns
        ns = clone(ns)
        ns.setdefault("status", {})["phase"] = "Terminating"
        return self.api.update("namespaces", ns, subresource="status", user=self.user)

    def _delete_all_content(self, ns) -> Tally:
        """Pods first; everything else only once no pod is left (OrderedNamespaceDeletion)."""
        name = ns["metadata"]["name"]
        deleted_at = parse_rfc3339(ns["metadata"]["deletionTimestamp"])
        tally = Tally()
        types = deletable_namespaced_types()
        pods = [rt for rt in types if rt.group == "" and rt.plural == "pods"]
        for rt in pods:
            self._delete_type(rt, name, deleted_at, tally)
        if tally.remaining:
            return tally
        for rt in types:
            if rt not in pods:
                self._delete_type(rt, name, deleted_at, tally)
        return tally

    def _delete_type(self, rt, namespace, deleted_at, tally):
        estimate = self._estimate(rt, namespace, deleted_at)
        for item in self._list(rt, namespace):
            if item["metadata"].get("deletionTimestamp"):
                continue
            try:
                self.api.delete(rt, item["metadata"]["name"], namespace,
                                propagation_policy="Background", user=self.user)
            except ApiError as e:
                if e.code not in (404, 405):
                    tally.errors.append(e.message)
        tally.add(rt, self._list(rt, namespace), estimate)

    def _list(self, rt, namespace):
        try:
            return self.api.list(rt, namespace, user=self.user)["items"]
        except ApiError:
            return []

    def _estimate(self, rt, namespace, deleted_at) -> int:
        """Seconds the pods may still need to terminate gracefully (0 for other types, and
        0 once that much time has passed since the namespace was deleted)."""
        if rt.kind != "Pod":
            return 0
        estimate = 0
        for pod in self._list(rt, namespace):
            if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
                continue
            grace = pod["spec"].get("terminationGracePeriodSeconds", 30) or 0
            if pod["metadata"].get("deletionGracePeriodSeconds") is not None:
                grace = pod["metadata"]["deletionGracePeriodSeconds"]
            estimate = max(estimate, int(grace))
        if self.clock.now() - deleted_at >= estimate:
            return 0
        return estimate

    def _update_conditions(self, ns, tally):
        """Always write all five conditions, "ok" unless the tally says otherwise."""
        ns = clone(ns)
        status = ns.setdefault("status", {})
        conds = status.setdefault("conditions", [])
        failing = tally.conditions()
        changed = False
        now = self.now()
        for ctype, ok_reason, ok_message in CONDITIONS:
            want = failing.get(ctype, ("False", ok_reason, ok_message))
            old = next((c for c in conds if c["type"] == ctype), None)
            if old is None:
                conds.append({"type": ctype, "status": want[0], "lastTransitionTime": now,
                              "reason": want[1], "message": want[2]})
                changed = True
            elif (old["status"], old.get("reason"), old.get("message")) != want:
                if old["status"] != want[0]:
                    old["lastTransitionTime"] = now
                old.update(status=want[0], reason=want[1], message=want[2])
                changed = True
        if changed:
            self.api.update("namespaces", ns, subresource="status", user=self.user)

    def _finalize(self, name):
        """Remove our token from ``spec.finalizers`` via the finalize subresource."""
        ns = clone(self.api.get("namespaces", name, user=self.user))
        spec = ns.setdefault("spec", {})
        spec["finalizers"] = sorted(f for f in spec.get("finalizers") or () if f != FINALIZER_TOKEN)
        try:
            self.api.update("namespaces", ns, subresource="finalize", user=self.user)
        except ApiError as e:
            if e.code != 404:
                raise
