"""DaemonSet rolling updates and revision history (upstream pkg/controller/daemon/update.go and
pkg/controller/daemon/util/daemonset_util.go, v1.37).

A ``RollingUpdate`` DaemonSet replaces its pods node by node in one of two ways:

* **maxUnavailable** (``maxSurge: 0``, the default): delete an old pod, and let the core loop
  (:meth:`DaemonSetController.manage`) create the new one. At most ``maxUnavailable`` nodes are
  without an available pod at any time: the node runs nothing while the new pod starts.
* **maxSurge** (``maxUnavailable: 0``): *create* the new pod next to the old one first; once the
  new pod is available the old one is deleted. At most ``maxSurge`` nodes run two pods at once,
  and every node keeps an available pod throughout (the DaemonSet must tolerate two copies on
  one node, e.g. no ``hostPort``).

Validation forbids setting both to non-zero values and both to zero; should a stored object
still have both zero, the controller behaves as ``maxUnavailable: 1``. The core loop also knows
about surging: with ``maxSurge`` it tolerates an old *and* a new pod on a node, and removes the
old one as soon as the new one is available (``podsShouldBeOnNode``).
"""
from __future__ import annotations

from ..errors import ApiError
from ..objects import owner_reference
from ..selectors import from_label_selector
from ..upstream import CONTROLLER_REVISION_HASH_LABEL as HASH_LABEL
from . import history as hist
from .deployment_util import scaled_value
from .podcontrol import is_pod_available


def _rolling(ds: dict) -> dict | None:
    strategy = ds["spec"].get("updateStrategy") or {}
    if (strategy.get("type") or "RollingUpdate") != "RollingUpdate":
        return None
    return strategy.get("rollingUpdate")


def surge_count(ds: dict, desired: int) -> int:
    """util.SurgeCount: ``maxSurge`` scaled to the desired node count (percentages round up);
    0 when not a rolling update or not set."""
    ru = _rolling(ds)
    return scaled_value(ru.get("maxSurge"), desired, True) if ru else 0


def unavailable_count(ds: dict, desired: int) -> int:
    """util.UnavailableCount: ``maxUnavailable`` scaled to the desired node count, rounded up."""
    ru = _rolling(ds)
    return scaled_value(ru.get("maxUnavailable"), desired, True) if ru else 0


def allows_surge(ds: dict) -> bool:
    """util.AllowsSurge: may a node run more than one pod of this DaemonSet?"""
    try:
        return surge_count(ds, 1) > 0
    except ValueError:
        return False


class RollingUpdateMixin:
    """The update.go half of the DaemonSet controller (mixed into DaemonSetController)."""

    def find_updated_pods_on_node(self, ds: dict, pods: list[dict], h: str):
        """findUpdatedPodsOnNode → (new pod, old pod, ok): ``ok`` is False when a node has
        two new or two old pods (the core loop prunes them first). Terminating pods skipped."""
        new = old = None
        for pod in pods:
            if pod["metadata"].get("deletionTimestamp"):
                continue
            if self.is_updated(ds, pod, h):
                if new is not None:
                    return None, None, False
                new = pod
            else:
                if old is not None:
                    return None, None, False
                old = pod
        return new, old, True

    def desired_node_counts(self, ds: dict, nodes: list[dict], by_node: dict):
        """updatedDesiredNodeCounts → (maxSurge, maxUnavailable, desired); every node that
        should run a pod gets an entry in ``by_node``."""
        desired = 0
        for node in nodes:
            if self.should_run(node, ds)[0]:
                desired += 1
                by_node.setdefault(node["metadata"]["name"], [])
        max_unavailable = unavailable_count(ds, desired)
        max_surge = surge_count(ds, desired)
        if desired > 0 and max_unavailable == 0 and max_surge == 0:
            max_unavailable = 1  # an impossible configuration: accept unavailability
        return max_surge, max_unavailable, desired

    def rolling_update(self, ds: dict, nodes: list[dict], h: str) -> None:
        """rollingUpdate: old pods to delete (or, surging, nodes to create a new pod on)."""
        by_node = self.node_to_pods(ds)
        max_surge, max_unavailable, desired = self.desired_node_counts(ds, nodes, by_node)
        if max_surge == 0:
            delete = self._unavailable_plan(ds, by_node, h, max_unavailable)
            return self.sync_nodes(ds, delete, [], h)
        delete, create = self._surge_plan(ds, nodes, by_node, h, max_surge, desired)
        self.sync_nodes(ds, delete, create, h)

    def _unavailable_plan(self, ds: dict, by_node: dict, h: str, max_unavailable: int):
        """Without surge: delete old pods while at most ``maxUnavailable`` are unavailable
        (unavailable old pods are always replaceable)."""
        now, min_ready = self.clock.now(), ds["spec"].get("minReadySeconds", 0)
        unavailable, allowed, candidates = 0, [], []
        for _, pods in sorted(by_node.items()):
            new, old, ok = self.find_updated_pods_on_node(ds, pods, h)
            if not ok or (new is None) == (old is None):
                unavailable += 1  # the core loop creates or prunes here
            elif new is not None:
                unavailable += not is_pod_available(new, min_ready, now)
            elif not is_pod_available(old, min_ready, now):
                allowed.append(old["metadata"]["name"])
                unavailable += 1
            elif unavailable < max_unavailable:
                candidates.append(old["metadata"]["name"])
        remaining = max(min(max_unavailable - unavailable, len(candidates)), 0)
        return allowed + candidates[:remaining]

    def _surge_plan(self, ds: dict, nodes: list[dict], by_node: dict, h: str, max_surge: int,
                    desired: int):
        """With surge: a new pod beside each old one (at most ``maxSurge`` at a time, but
        always for an old pod that is unavailable anyway); an old pod goes once its node's new
        pod is available. Old pods on nodes that no longer qualify are deleted only while
        enough pods elsewhere are available (100% availability is the point of surging)."""
        now, min_ready = self.clock.now(), ds["spec"].get("minReadySeconds", 0)
        by_name = {n["metadata"]["name"]: n for n in nodes}
        delete, should_not_run, candidates, allowed = [], [], [], []
        surging = available = 0
        for name, pods in sorted(by_node.items()):
            new, old, ok = self.find_updated_pods_on_node(ds, pods, h)
            if not ok:
                surging += 1
                continue
            if old is not None or new is not None:
                available += is_pod_available(old if old is not None else new, min_ready, now)
            if old is None:
                continue  # nothing to replace; the core loop handles empty nodes
            node = by_name.get(name)
            runs = node is not None and self.should_run(node, ds)[0]
            if new is None:
                if not is_pod_available(old, min_ready, now):
                    if runs:
                        allowed.append(name)  # replace it at once, surge limit or not
                    else:
                        delete.append(old["metadata"]["name"])
                elif not runs:
                    should_not_run.append(old["metadata"]["name"])
                elif surging < max_surge:
                    candidates.append(name)
            elif not is_pod_available(new, min_ready, now):
                surging += 1  # waiting for the new pod
            else:
                delete.append(old["metadata"]["name"])
        deletable = min(available - desired, len(should_not_run))
        if deletable > 0:
            delete += should_not_run[:deletable]
        remaining = max(min(max_surge - surging, len(candidates)), 0)
        return delete, allowed + candidates[:remaining]

    # -- history ----------------------------------------------------------------------------
    def construct_history(self, ds: dict):
        """The ControllerRevision matching the current template (created if missing, its
        revision number raised if it is an old one), and the others."""
        sel = from_label_selector(ds["spec"].get("selector"))
        revs = self.rev_claims.claim(ds, sel, self.revisions.owned_by(ds["metadata"]["uid"]),
                                     self.rev_orphans.list(ds["metadata"]["namespace"]))
        want = hist.go_json(hist.template_patch(ds))
        current = [r for r in revs if hist.go_json(r.get("data")) == want]
        old = [r for r in revs if hist.go_json(r.get("data")) != want]
        number = max((r.get("revision", 0) for r in old), default=0) + 1
        if not current:
            return self.snapshot(ds, number), old
        cur = hist.sort_by_revision(current)[-1]
        if cur.get("revision", 0) < number:
            cur = hist.set_revision_number(self, cur, number)
        return cur, old

    def snapshot(self, ds: dict, number: int) -> dict:
        status = ds.setdefault("status", {})
        h = hist.compute_hash(ds["spec"]["template"], status.get("collisionCount"))
        labels = dict((ds["spec"]["template"].get("metadata") or {}).get("labels") or {})
        labels[HASH_LABEL] = h
        rev = {"apiVersion": "apps/v1", "kind": "ControllerRevision",
               "metadata": {"name": f"{ds['metadata']['name']}-{h}", "labels": labels,
                            "namespace": ds["metadata"]["namespace"],
                            "ownerReferences": [owner_reference(ds)]},
               "data": hist.template_patch(ds), "revision": number}
        if ds["metadata"].get("annotations"):
            rev["metadata"]["annotations"] = dict(ds["metadata"]["annotations"])
        try:
            return self.api.create("controllerrevisions", rev, ds["metadata"]["namespace"],
                                   user=self.user)
        except ApiError as e:
            if e.code != 409:
                raise
            existing = self.api.get("controllerrevisions", rev["metadata"]["name"],
                                    ds["metadata"]["namespace"], user=self.user)
            if hist.go_json(existing.get("data")) == hist.go_json(rev["data"]):
                return existing
            status["collisionCount"] = status.get("collisionCount", 0) + 1
            self.api.update("daemonsets", ds, ds["metadata"]["namespace"], subresource="status",
                            user=self.user)
            raise

    def cleanup_history(self, ds: dict, old: list[dict]) -> None:
        to_kill = len(old) - ds["spec"].get("revisionHistoryLimit", 10)
        if to_kill <= 0:
            return
        live = {(p["metadata"].get("labels") or {}).get(HASH_LABEL)
                for pods in self.node_to_pods(ds).values() for p in pods}
        for r in hist.sort_by_revision(old):
            if to_kill <= 0:
                break
            if r["metadata"].get("labels", {}).get(HASH_LABEL) in live:
                continue
            self.api.delete("controllerrevisions", r["metadata"]["name"],
                            ds["metadata"]["namespace"], user=self.user)
            to_kill -= 1
