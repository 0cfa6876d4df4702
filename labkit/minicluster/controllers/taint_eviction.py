"""The taint-eviction controller: deletes pods from nodes with ``NoExecute`` taints they do not
tolerate (pkg/controller/tainteviction, its own controller since v1.29, formerly the
NoExecuteTaintManager of the node lifecycle controller).

A ``NoExecute`` taint means "nothing runs here". For every pod on such a node:

- if some taint is not tolerated, the pod is deleted right away;
- if all are tolerated, the pod may stay for the *smallest* ``tolerationSeconds`` among the
  tolerations that matched; one without ``tolerationSeconds`` tolerates forever. The
  DefaultTolerationSeconds admission plugin gives every pod 300 s for
  ``node.kubernetes.io/not-ready`` and ``node.kubernetes.io/unreachable``: that is why pods on a
  dead node are replaced about five minutes after it died.

When the time comes the controller records ``TaintManagerEviction`` "Marking for deletion Pod
default/web-x", adds the pod condition ``DisruptionTarget`` (reason ``DeletionByTaintManager``)
and deletes the pod (with its normal grace period). If the taint goes away first, the scheduled
deletion is cancelled ("Cancelling deletion of Pod default/web-x").

The timer starts when the controller *sees* the taint (not at the taint's ``timeAdded``), as
upstream. Simplification: re-processing a pod at the very instant its timer was created keeps
the timer instead of cancelling and re-adding it (upstream's clock never repeats an instant).
"""
from __future__ import annotations

from ..errors import ApiError
from ..objects import condition
from ..scheduler.helpers import tolerates  # v1 Toleration.ToleratesTaint
from .base import Controller


def matching_tolerations(taints, tolerations):
    """(all tolerated?, the tolerations used): v1helper.GetMatchingTolerations."""
    used = []
    for taint in taints:
        hit = [t for t in tolerations if tolerates(t, taint)]
        if not hit:
            return False, []
        used.extend(t for t in hit if t not in used)
    return True, used


def min_toleration_seconds(used) -> float:
    """Smallest tolerationSeconds; 0 when nothing was used or one is <= 0; -1 = forever."""
    if not used:
        return 0
    values = [t["tolerationSeconds"] for t in used if t.get("tolerationSeconds") is not None]
    if any(v <= 0 for v in values):
        return 0
    return min(values) if values else -1


def no_execute_taints(node) -> list[dict]:
    return [t for t in ((node or {}).get("spec") or {}).get("taints") or ()
            if t.get("effect") == "NoExecute"]


class TaintEvictionController(Controller):
    name = "taint-eviction-controller"

    def setup(self):
        self.nodes = self.informers["nodes"]
        self.pods = self.informers["pods"]
        self.tainted: dict[str, list] = {}  # node -> its NoExecute taints
        self.work: dict[str, tuple] = {}  # "ns/name" -> (created at, fire at, timer)
        self.nodes.add_handler(lambda n: self._on_node(None, n), self._on_node,
                               lambda n: self._on_node(n, None))
        self.pods.add_handler(lambda p: self._on_pod(None, p), self._on_pod,
                              lambda p: self._on_pod(p, None))

    def _on_node(self, old, new):
        name = (new or old)["metadata"]["name"]
        if old is not None and new is not None and no_execute_taints(old) == no_execute_taints(new):
            return
        self.queue.add(("node", name))

    def _on_pod(self, old, new):
        pod = new or old
        if old is not None and new is not None and \
                old["spec"].get("tolerations") == new["spec"].get("tolerations") and \
                old["spec"].get("nodeName") == new["spec"].get("nodeName"):
            return
        meta = pod["metadata"]
        self.queue.add(("pod", meta["namespace"], meta["name"], pod["spec"].get("nodeName") or ""))

    def reconcile(self, key):
        if key[0] == "node":
            self._handle_node(key[1])
        else:
            self._handle_pod(*key[1:])

    def _handle_node(self, name):
        node = self.nodes.get(name)
        if node is None:
            self.tainted.pop(name, None)
            return
        taints = no_execute_taints(node)
        if taints:
            self.tainted[name] = taints
        else:
            self.tainted.pop(name, None)
        pods = self.pods.on_node(name)
        if not taints:
            for pod in pods:
                self._cancel(pod["metadata"]["namespace"], pod["metadata"]["name"])
            return
        for pod in pods:
            self._process_pod(pod, taints)

    def _handle_pod(self, namespace, name, node_name):
        pod = self.pods.get(name, namespace)
        if pod is None:
            self._cancel(namespace, name)
            return
        if (pod["spec"].get("nodeName") or "") != node_name or not node_name:
            return
        taints = self.tainted.get(node_name)
        if taints:
            self._process_pod(pod, taints)

    def _process_pod(self, pod, taints):
        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        now = self.clock.now()
        ok, used = matching_tolerations(taints, pod["spec"].get("tolerations") or ())
        if not ok:
            self._cancel(ns, name)
            self._add_work(ns, name, now, now)
            return
        seconds = min_toleration_seconds(used)
        if seconds < 0:
            self._cancel(ns, name)
            return
        existing = self.work.get(f"{ns}/{name}")
        if existing is not None:
            if existing[0] + seconds <= now + seconds:
                return
            self._cancel(ns, name)
        self._add_work(ns, name, now, now + seconds)

    # -- the timed work queue ---------------------------------------------------------------
    def _add_work(self, ns, name, created, fire_at):
        key = f"{ns}/{name}"
        if key in self.work:
            return
        timer = self.loop.call_at(fire_at, self._fire, ns, name)
        self.work[key] = (created, fire_at, timer)

    def _cancel(self, ns, name):
        work = self.work.pop(f"{ns}/{name}", None)
        if work is not None:
            work[2].cancel()
            self._pod_event(ns, name, f"Cancelling deletion of Pod {ns}/{name}")

    def _fire(self, ns, name):
        self.work.pop(f"{ns}/{name}", None)
        self._pod_event(ns, name, f"Marking for deletion Pod {ns}/{name}")
        try:
            pod = self.api.get("pods", name, ns, user=self.user)
            if condition(pod, "DisruptionTarget") is None:  # utilpod.PatchPodStatus
                conds = list((pod.get("status") or {}).get("conditions") or ()) + [
                    {"type": "DisruptionTarget", "status": "True", "lastProbeTime": None,
                     "lastTransitionTime": self.now(), "reason": "DeletionByTaintManager",
                     "message": "Taint manager: deleting due to NoExecute taint"}]
                self.api.patch("pods", name, {"status": {"conditions": conds}}, "merge", ns,
                               subresource="status", user=self.user)
            self.api.delete("pods", name, ns, user=self.user)
        except ApiError:
            return  # gone already (upstream retries 5 times, then gives up too)

    def _pod_event(self, ns, name, message):
        ref = {"kind": "Pod", "apiVersion": "v1", "metadata": {"name": name, "namespace": ns}}
        self.event(ref, "Normal", "TaintManagerEviction", message)
