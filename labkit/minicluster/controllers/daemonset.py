"""The DaemonSet controller (upstream pkg/controller/daemon, v1.33).

One pod per eligible node. For every node the controller asks ``NodeShouldRunDaemonPod``:
the pod's ``nodeName`` (if set), ``nodeSelector`` and required node affinity must match the
node, and every ``NoSchedule``/``NoExecute`` taint must be tolerated. DaemonSet pods get
automatic tolerations (not-ready and unreachable ``NoExecute``; disk-, memory-, pid-pressure
and unschedulable ``NoSchedule``; network-unavailable with ``hostNetwork``), which is why they
still run on cordoned or struggling nodes.

Since v1.12 the controller does not bind pods itself: it pins each pod to its node with
``affinity.nodeAffinity ... matchFields: [{key: metadata.name, operator: In, values: [node]}]``
and lets the default scheduler bind it (ScheduleDaemonSetPods).

Pods carry ``controller-revision-hash`` (the template hash, see :mod:`.history`) and
``pod-template-generation``. Rolling updates (``maxUnavailable``, default 1, or ``maxSurge``)
and the revision history live in :mod:`.daemonset_update` (upstream update.go).
"""
from __future__ import annotations

from ..errors import ApiError
from ..objects import clone, key_of, owner_of
from ..selectors import from_label_selector
from ..upstream import (CONTROLLER_REVISION_HASH_LABEL as HASH_LABEL,
                        DAEMONSET_FAILED_POD_BACKOFF_SECONDS, DAEMONSET_FAILED_POD_MAX_BACKOFF_SECONDS,
                        DAEMONSET_TEMPLATE_GENERATION_LABEL, REPLICASET_BURST_REPLICAS)
from .base import Controller
from .daemonset_update import RollingUpdateMixin, allows_surge
from ..scheduler.helpers import node_selector_matches, tolerates
from .podcontrol import (ClaimManager, Expectations, OrphanIndex, PodControl, is_pod_available,
                         is_pod_ready, pod_from_template, seconds_until_available)

TEMPLATE_GENERATION_ANNOTATION = "deprecated.daemonset.template.generation"

#: AddOrUpdateDaemonPodTolerations, in upstream order
DAEMON_TOLERATIONS = [
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
]
NETWORK_UNAVAILABLE = {"key": "node.kubernetes.io/network-unavailable", "operator": "Exists",
                       "effect": "NoSchedule"}


# -- scheduling predicates -----------------------------------------------------------------------
def add_daemon_tolerations(spec: dict) -> None:
    tols = spec.setdefault("tolerations", [])
    extra = DAEMON_TOLERATIONS + ([NETWORK_UNAVAILABLE] if spec.get("hostNetwork") else [])
    for t in extra:
        if not any(_same_toleration(t, x) for x in tols):
            tols.append(dict(t))


def _same_toleration(a: dict, b: dict) -> bool:
    return all((a.get(k) or "") == (b.get(k) or "") for k in ("key", "operator", "value", "effect"))


def node_matches(spec: dict, node: dict) -> bool:
    """nodeSelector plus required node affinity (the scheduler's shared matching rules)."""
    labels = node["metadata"].get("labels") or {}
    if any(labels.get(k) != v for k, v in (spec.get("nodeSelector") or {}).items()):
        return False
    required = (((spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution"))
    return node_selector_matches(required, labels, node["metadata"]["name"])


def node_should_run(node: dict, ds: dict, spec: dict | None = None) -> tuple[bool, bool]:
    """NodeShouldRunDaemonPod → (should run, should continue running). ``spec``: the daemon
    pod spec (template + tolerations) if already built."""
    if spec is None:
        spec = clone(ds["spec"]["template"].get("spec") or {})
        add_daemon_tolerations(spec)
    name = node["metadata"]["name"]
    if spec.get("nodeName") and spec["nodeName"] != name:
        return False, False
    if not node_matches(spec, node):
        return False, False
    tols = spec.get("tolerations") or []
    untolerated = [t for t in node.get("spec", {}).get("taints") or []
                   if t.get("effect") in ("NoSchedule", "NoExecute") and
                   not any(tolerates(tol, t) for tol in tols)]
    if untolerated:
        return False, not any(t.get("effect") == "NoExecute" for t in untolerated)
    return True, True


def target_node(pod: dict) -> str:
    """GetTargetNodeName: ``spec.nodeName``, or the node the affinity pins the pod to."""
    if pod["spec"].get("nodeName"):
        return pod["spec"]["nodeName"]
    required = ((((pod["spec"].get("affinity") or {}).get("nodeAffinity") or {})
                 .get("requiredDuringSchedulingIgnoredDuringExecution")) or {})
    for term in required.get("nodeSelectorTerms") or []:
        for f in term.get("matchFields") or []:
            if f.get("key") == "metadata.name" and f.get("operator") == "In" and f.get("values"):
                return f["values"][0]
    return ""


def pin_to_node(spec: dict, node: str) -> None:
    """ReplaceDaemonSetPodNodeNameNodeAffinity."""
    term = {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}
    affinity = spec.setdefault("affinity", {})
    na = affinity.setdefault("nodeAffinity", {})
    req = na.get("requiredDuringSchedulingIgnoredDuringExecution")
    if req is None:
        na["requiredDuringSchedulingIgnoredDuringExecution"] = {"nodeSelectorTerms": [term]}
    else:
        req["nodeSelectorTerms"] = [term]


def pod_order(pod: dict):
    """podByCreationTimestampAndPhase: scheduled pods first, then oldest, then by name."""
    return (not pod["spec"].get("nodeName"), pod["metadata"].get("creationTimestamp") or "",
            pod["metadata"]["name"])


class _Backoff:
    """flowcontrol.Backoff for failed daemon pods: 1 s doubling up to 15 min, per node."""

    def __init__(self, clock):
        self.clock, self.entries = clock, {}

    def in_backoff(self, key) -> float:
        e = self.entries.get(key)
        if e is None:
            return 0
        left = e[1] + e[0] - self.clock.now()
        return left if left > 0 else 0

    def next(self, key) -> None:
        now, e = self.clock.now(), self.entries.get(key)
        if e is None or now - e[1] > 2 * DAEMONSET_FAILED_POD_MAX_BACKOFF_SECONDS:
            self.entries[key] = [DAEMONSET_FAILED_POD_BACKOFF_SECONDS, now]
        else:
            self.entries[key] = [min(e[0] * 2, DAEMONSET_FAILED_POD_MAX_BACKOFF_SECONDS), now]


class DaemonSetController(RollingUpdateMixin, Controller):
    name = "daemonset-controller"

    def setup(self) -> None:
        self.sets = self.informers["daemonsets"]
        self.pods = self.informers["pods"]
        self.nodes = self.informers["nodes"]
        self.revisions = self.informers["controllerrevisions"]
        self.pod_orphans = OrphanIndex.of(self.pods)
        self.rev_orphans = OrphanIndex.of(self.revisions)
        self.expectations = Expectations(self.clock)
        self.pod_control = PodControl(self)
        self.pod_claims = ClaimManager(self, "pods")
        self.rev_claims = ClaimManager(self, "controllerrevisions")
        self.backoff = _Backoff(self.clock)
        self._answers: dict = {}
        self._specs: dict = {}
        self.sets.add_handler(self._enqueue, lambda old, new: self._enqueue(new), self._enqueue)
        self.pods.add_handler(self._pod_added, self._pod_updated, self._pod_deleted)
        self.nodes.add_handler(self._node_added, self._node_updated, self._node_deleted)

    def should_run(self, node: dict, ds: dict) -> tuple[bool, bool]:
        """:func:`node_should_run`, remembered per version of the node and of the DaemonSet
        (the answer depends on nothing else; a 5,000-node sync asks it many times)."""
        nm, dm = node["metadata"], ds["metadata"]
        dkey = (dm.get("uid"), dm.get("resourceVersion"))
        key = (nm.get("uid"), nm.get("resourceVersion")) + dkey
        answer = self._answers.get(key)
        if answer is None:
            spec = self._specs.get(dkey)
            if spec is None:
                spec = clone(ds["spec"]["template"].get("spec") or {})
                add_daemon_tolerations(spec)
                self._specs[dkey] = spec
            if len(self._answers) > 200_000:
                self._answers.clear()
                self._specs.clear()
            answer = self._answers[key] = node_should_run(node, ds, spec)
        return answer

    # -- handlers ---------------------------------------------------------------------------
    def _enqueue(self, ds: dict) -> None:
        self.queue.add(key_of(ds))

    def _owner(self, pod: dict) -> dict | None:
        ref = owner_of(pod, "DaemonSet")
        if ref is None:
            return None
        ds = self.sets.get(ref["name"], pod["metadata"].get("namespace"))
        return ds if ds is not None and ds["metadata"]["uid"] == ref["uid"] else None

    def _orphan_owners(self, pod: dict) -> list[dict]:
        if owner_of(pod) is not None:
            return []
        return [ds for ds in self.sets.list(pod["metadata"].get("namespace"))
                if from_label_selector(ds["spec"].get("selector")).matches(
                    pod["metadata"].get("labels"))]

    def _pod_added(self, pod: dict) -> None:
        if pod["metadata"].get("deletionTimestamp"):
            return self._pod_deleted(pod)
        ds = self._owner(pod)
        if ds is not None:
            self.expectations.creation_observed(key_of(ds))
            return self._enqueue(ds)
        for ds in self._orphan_owners(pod):
            self._enqueue(ds)

    def _pod_updated(self, old: dict, new: dict) -> None:
        if new["metadata"].get("deletionTimestamp"):
            return self._pod_deleted(new)
        ds = self._owner(new)
        if ds is not None:
            self._enqueue(ds)
            min_ready = ds["spec"].get("minReadySeconds", 0)
            if min_ready and not is_pod_ready(old) and is_pod_ready(new):
                self.queue.add_after(key_of(ds), min_ready + 1)
            return
        for ds in self._orphan_owners(new):
            self._enqueue(ds)

    def _pod_deleted(self, pod: dict) -> None:
        ds = self._owner(pod)
        if ds is not None:
            self.expectations.deletion_observed(key_of(ds))
            self._enqueue(ds)

    def _node_added(self, node: dict) -> None:
        for ds in self.sets.list():
            if self.should_run(node, ds)[0]:
                self._enqueue(ds)

    def _node_updated(self, old: dict, new: dict) -> None:
        if old.get("spec") == new.get("spec") and \
                old["metadata"].get("labels") == new["metadata"].get("labels"):
            return
        for ds in self.sets.list():
            if self.should_run(old, ds) != self.should_run(new, ds):
                self._enqueue(ds)

    def _node_deleted(self, node: dict) -> None:
        for ds in self.sets.list():
            self._enqueue(ds)

    # -- sync -------------------------------------------------------------------------------
    def reconcile(self, key: str) -> None:
        cached = self.sets.get(key)
        if cached is None:
            self.expectations.delete(key)
            return
        ds = clone(cached)
        sel = ds["spec"].get("selector")
        if sel is not None and not sel.get("matchLabels") and not sel.get("matchExpressions"):
            self.event(ds, "Warning", "SelectingAll",
                       "This daemon set is selecting all pods. A non-empty selector is required.")
            return
        if ds["metadata"].get("deletionTimestamp"):
            return
        nodes = self.nodes.list()
        current, old = self.construct_history(ds)
        h = current["metadata"]["labels"][HASH_LABEL]
        if not self.expectations.satisfied(key):
            return self.update_status(ds, nodes, h, False)
        error = None
        try:
            self.manage(ds, nodes, h)
            if self.expectations.satisfied(key) and \
                    ((ds["spec"].get("updateStrategy") or {}).get("type") or "RollingUpdate") \
                    == "RollingUpdate":
                self.rolling_update(ds, nodes, h)
            self.cleanup_history(ds, old)
        except ApiError as e:
            error = e
        self.update_status(ds, nodes, h, True)
        if error is not None:
            raise error

    def node_to_pods(self, ds: dict, claim: bool = False) -> dict[str, list[dict]]:
        """getNodesToDaemonPods: our pods by target node (terminal deleted pods skipped).
        With ``claim`` orphans are adopted first (once per sync is enough)."""
        uid = ds["metadata"]["uid"]
        if claim:
            sel = from_label_selector(ds["spec"].get("selector"))
            pods = self.pod_claims.claim(ds, sel, self.pods.owned_by(uid),
                                         self.pod_orphans.list(ds["metadata"]["namespace"]))
        else:
            pods = [p for p in self.pods.owned_by(uid) if (owner_of(p) or {}).get("uid") == uid]
        out: dict[str, list[dict]] = {}
        for p in pods:
            if p["metadata"].get("deletionTimestamp") and \
                    (p.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
                continue
            out.setdefault(target_node(p), []).append(p)
        return out

    def manage(self, ds: dict, nodes: list[dict], h: str) -> None:
        by_node = self.node_to_pods(ds, claim=True)
        create, delete = [], []
        for node in nodes:
            c, d = self.pods_should_be_on_node(node, by_node, ds, h)
            create += c
            delete += d
        names = {n["metadata"]["name"] for n in nodes}
        for node, pods in sorted(by_node.items()):  # unscheduled pods aimed at vanished nodes
            if node not in names:
                delete += [p["metadata"]["name"] for p in pods if not p["spec"].get("nodeName")]
        self.sync_nodes(ds, delete, create, h)

    def pods_should_be_on_node(self, node: dict, by_node: dict, ds: dict, h: str):
        """podsShouldBeOnNode → (nodes needing a pod, pod names to delete) for one node."""
        name = node["metadata"]["name"]
        should_run, should_continue = self.should_run(node, ds)
        pods = by_node.get(name)
        create, delete = [], []
        if should_run and not pods:
            create.append(name)
        elif should_continue and pods:
            running = self._running_pods(ds, name, pods, delete)
            if not allows_surge(ds):
                running.sort(key=pod_order)  # more than one: keep the oldest
                delete += [p["metadata"]["name"] for p in running[1:]]
            elif not running and should_run:
                create.append(name)  # surging: at least one live pod on the node
            elif len(running) > 1:
                delete += self._surge_excess(ds, running, h)
        elif not should_continue and pods:
            delete += [p["metadata"]["name"] for p in pods
                       if not p["metadata"].get("deletionTimestamp")]
        return create, delete

    def _running_pods(self, ds: dict, name: str, pods: list[dict], delete: list[str]):
        """The node's live pods; failed ones (with back-off) and succeeded ones go to
        ``delete`` with a Warning/Normal event."""
        running = []
        for pod in pods:
            if pod["metadata"].get("deletionTimestamp"):
                continue
            phase = (pod.get("status") or {}).get("phase")
            pod_ref = f"{pod['metadata']['namespace']}/{pod['metadata']['name']}"
            if phase == "Failed":
                key = f"{ds['metadata']['uid']}/{name}"
                wait = self.backoff.in_backoff(key)
                if wait:
                    self.queue.add_after(key_of(ds), wait)
                    continue
                self.backoff.next(key)
                self.event(ds, "Warning", "FailedDaemonPod",
                           f"Found failed daemon pod {pod_ref} on node {name}, will try to kill it")
                delete.append(pod["metadata"]["name"])
            elif phase == "Succeeded":
                self.event(ds, "Normal", "SucceededDaemonPod",
                           f"Found succeeded daemon pod {pod_ref} on node {name}, "
                           "will try to delete it")
                delete.append(pod["metadata"]["name"])
            else:
                running.append(pod)
        return running

    def _surge_excess(self, ds: dict, running: list[dict], h: str) -> list[str]:
        """With surge a node may run the oldest new pod and the oldest old pod; the old one
        goes when it is not ready or the new one is available. Any other pod goes."""
        new = old = None
        delete = []
        for pod in sorted(running, key=pod_order):
            if (pod["metadata"].get("labels") or {}).get(HASH_LABEL) == h:
                if new is None:
                    new = pod
                    continue
            elif old is None:
                old = pod
                continue
            delete.append(pod["metadata"]["name"])
        if new is not None and old is not None and (
                not is_pod_ready(old) or
                is_pod_available(new, ds["spec"].get("minReadySeconds", 0), self.clock.now())):
            delete.append(old["metadata"]["name"])
        return delete

    def pod_template(self, ds: dict, h: str) -> dict:
        """CreatePodTemplate: tolerations, template-generation and hash labels."""
        tpl = clone(ds["spec"]["template"])
        add_daemon_tolerations(tpl.setdefault("spec", {}))
        labels = tpl.setdefault("metadata", {}).setdefault("labels", {})
        gen = (ds["metadata"].get("annotations") or {}).get(TEMPLATE_GENERATION_ANNOTATION)
        if gen is not None:
            labels[DAEMONSET_TEMPLATE_GENERATION_LABEL] = str(gen)
        labels[HASH_LABEL] = h
        return tpl

    def sync_nodes(self, ds: dict, delete: list[str], create: list[str], h: str) -> None:
        key, ns = key_of(ds), ds["metadata"]["namespace"]
        create, delete = create[:REPLICASET_BURST_REPLICAS], delete[:REPLICASET_BURST_REPLICAS]
        self.expectations.set(key, len(create), len(delete))
        template, error = self.pod_template(ds, h), None
        batch, i = 1, 0
        while i < len(create) and error is None:  # slow start: 1, 2, 4...
            for node in create[i:i + batch]:
                pod = pod_from_template(template, ds)
                pin_to_node(pod["spec"], node)
                try:
                    self.pod_control.create(ns, pod, ds)
                except ApiError as e:
                    self.expectations.creation_observed(key)
                    error = error or e
            i += batch
            batch *= 2
        for _ in range(len(create) - i if i < len(create) else 0):
            self.expectations.creation_observed(key)
        for name in delete:
            try:
                self.pod_control.delete(ns, name, ds)
            except ApiError as e:
                self.expectations.deletion_observed(key)
                if e.code != 404:
                    error = error or e
        if error is not None:
            raise error

    # -- rolling update ---------------------------------------------------------------------
    def is_updated(self, ds: dict, pod: dict, h: str) -> bool:
        labels = pod["metadata"].get("labels") or {}
        gen = (ds["metadata"].get("annotations") or {}).get(TEMPLATE_GENERATION_ANNOTATION)
        return labels.get(HASH_LABEL) == h or \
            (gen is not None and labels.get(DAEMONSET_TEMPLATE_GENERATION_LABEL) == str(gen))

    # -- status -----------------------------------------------------------------------------
    def update_status(self, ds: dict, nodes: list[dict], h: str, observed: bool) -> None:
        by_node = self.node_to_pods(ds)
        now, min_ready = self.clock.now(), ds["spec"].get("minReadySeconds", 0)
        c = dict.fromkeys(("desiredNumberScheduled", "currentNumberScheduled",
                           "numberMisscheduled", "numberReady", "updatedNumberScheduled",
                           "numberAvailable"), 0)
        for node in nodes:
            pods = by_node.get(node["metadata"]["name"]) or []
            if self.should_run(node, ds)[0]:
                c["desiredNumberScheduled"] += 1
                if not pods:
                    continue
                c["currentNumberScheduled"] += 1
                pod = min(pods, key=pod_order)
                if is_pod_ready(pod):
                    c["numberReady"] += 1
                    c["numberAvailable"] += is_pod_available(pod, min_ready, now)
                c["updatedNumberScheduled"] += self.is_updated(ds, pod, h)
            elif pods:
                c["numberMisscheduled"] += 1
        c["numberUnavailable"] = c["desiredNumberScheduled"] - c["numberAvailable"]
        old = ds.get("status") or {}
        keep = {"desiredNumberScheduled", "currentNumberScheduled", "numberMisscheduled",
                "numberReady"}  # no omitempty upstream
        new = {k: v for k, v in c.items() if v or k in keep}
        gen = ds["metadata"].get("generation", 0)
        new["observedGeneration"] = gen if observed else old.get("observedGeneration", 0)
        for k in ("collisionCount", "conditions"):
            if old.get(k) is not None:
                new[k] = old[k]
        if not new["observedGeneration"]:
            del new["observedGeneration"]
        if new != old:
            ds["status"] = new
            self.api.update("daemonsets", ds, ds["metadata"]["namespace"], subresource="status",
                            user=self.user)
        if min_ready and c["numberReady"] != c["numberAvailable"]:
            pods = [p for ps in by_node.values() for p in ps]
            wait = seconds_until_available(pods, min_ready, now)
            self.queue.add_after(key_of(ds), wait if wait is not None else min_ready)
