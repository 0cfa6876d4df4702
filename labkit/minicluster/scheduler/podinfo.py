"""PodInfo: everything the scheduler needs from a Pod, parsed once.

The scheduler looks at the same pod many times (once per node it checks), so upstream parses
the parts it needs up front (pkg/scheduler/framework/types.go ``PodInfo``): resource requests as
plain numbers, affinity terms with compiled label selectors, tolerations. This module does the
same, so the per-node checks in the plugins are just comparisons of numbers and small dicts.

Resource requests follow k8s.io/component-helpers/resource ``PodRequests``:

- regular containers run together, so their requests are **summed**;
- init containers run one after another, so the pod needs the **largest** of them (plus any
  sidecars, ``restartPolicy: Always`` init containers, started before it);
- ``spec.overhead`` (RuntimeClass) is added on top.

Two flavours are kept: the real requests (for the NodeResourcesFit filter and for
BalancedAllocation) and the *non-zero* requests used by LeastAllocated scoring, where a container
that requests nothing counts as 100m CPU and 200 MB memory (pkg/scheduler/util/pod_resources.go),
so that best-effort pods still spread out.
"""
from __future__ import annotations

import sys

from ..objects import without_status
from ..quantity import parse_cpu, parse_memory
from ..selectors import Selector, from_label_selector
from ..upstream import DEFAULT_MEMORY_REQUEST, DEFAULT_MILLI_CPU_REQUEST

CPU, MEMORY, EPHEMERAL = "cpu", "memory", "ephemeral-storage"
_NO_LABELS: dict = {}
_NO_SCALARS: dict = {}  # shared, read-only: most pods request no extended resources

#: Equal label signatures and request figures of different pods are one object (the pods of a
#: ReplicaSet all have the same); cleared at :data:`_SHARED_LIMIT` entries to bound it.
_SHARED: dict = {}
_SHARED_LIMIT = 100_000


def _shared(value):
    """``value``, or the equal value another pod already holds (saves ~300 bytes per pod)."""
    hit = _SHARED.get(value)
    if hit is None:
        if len(_SHARED) >= _SHARED_LIMIT:
            _SHARED.clear()
        _SHARED[value] = hit = value
    return hit


def _parse(name: str, q) -> int:
    return parse_cpu(str(q)) if name == CPU else parse_memory(str(q))


def container_requests(c: dict, defaults: bool = False) -> dict:
    """One container's requests as integers (CPU in millicores, the rest in bytes/units).
    ``defaults=True`` fills in the scheduler's non-zero defaults for missing CPU/memory."""
    reqs = ((c.get("resources") or {}).get("requests")) or {}
    out = {name: _parse(name, q) for name, q in reqs.items()}
    if defaults:
        out.setdefault(CPU, DEFAULT_MILLI_CPU_REQUEST)
        out.setdefault(MEMORY, DEFAULT_MEMORY_REQUEST)
    return out


def _add(into: dict, more: dict) -> None:
    for k, v in more.items():
        into[k] = into.get(k, 0) + v


def _max(into: dict, other: dict) -> None:
    for k, v in other.items():
        if v > into.get(k, 0):
            into[k] = v


def pod_requests(spec: dict, defaults: bool = False) -> dict:
    """The pod's effective requests (component-helpers ``PodRequests``): sum of containers,
    max with each init container (plus the sidecars started before it), plus overhead."""
    reqs: dict = {}
    for c in spec.get("containers") or ():
        _add(reqs, container_requests(c, defaults))
    sidecars: dict = {}
    init_max: dict = {}
    for c in spec.get("initContainers") or ():
        creqs = container_requests(c, defaults)
        if c.get("restartPolicy") == "Always":  # a sidecar keeps running next to the app
            _add(reqs, creqs)
            _add(sidecars, creqs)
            step = dict(sidecars)
        else:
            step = dict(creqs)
            _add(step, sidecars)
        _max(init_max, step)
    _max(reqs, init_max)
    overhead = spec.get("overhead") or {}
    _add(reqs, {k: _parse(k, q) for k, q in overhead.items()})
    return reqs


def normalized_image_name(name: str) -> str:
    """``nginx`` → ``nginx:latest`` (plugins/imagelocality normalizedImageName)."""
    if name.rfind(":") <= name.rfind("/"):
        return name + ":latest"
    return name


class AffinityTerm:
    """A compiled ``PodAffinityTerm``: which pods (namespaces + selector) it is about, the
    topology key, and for preferred terms a weight (framework/types.go ``AffinityTerm``)."""

    __slots__ = ("namespaces", "ns_selector", "selector", "topology_key", "weight")

    def __init__(self, term: dict, pod_ns: str, pod_labels: dict, weight: int = 0):
        namespaces = term.get("namespaces") or ()
        ns_sel = term.get("namespaceSelector")
        # No namespaces and no namespaceSelector: "the namespace of this pod".
        self.namespaces = frozenset(namespaces) if (namespaces or ns_sel is not None) \
            else frozenset((pod_ns,))
        self.ns_selector = None if ns_sel is None else from_label_selector(ns_sel)
        self.selector = _selector_with_keys(term, pod_labels)
        self.topology_key = term.get("topologyKey") or ""
        self.weight = weight

    def matches(self, namespace: str, labels: dict, ns_labels: dict) -> bool:
        """Does a pod in ``namespace`` with ``labels`` fall under this term?"""
        if namespace in self.namespaces or (
                self.ns_selector is not None and self.ns_selector.matches(ns_labels)):
            return self.selector.matches(labels)
        return False


def _selector_with_keys(term: dict, pod_labels: dict) -> Selector:
    """The term's labelSelector plus ``matchLabelKeys``/``mismatchLabelKeys`` (values taken from
    the incoming pod's labels). Upstream v1.33 merges these in kube-apiserver at pod creation;
    merging again here is harmless and keeps the scheduler right if the API server did not."""
    sel = from_label_selector(term.get("labelSelector"))
    extra = [(k, "in", (pod_labels[k],)) for k in term.get("matchLabelKeys") or () if k in pod_labels]
    extra += [(k, "notin", (pod_labels[k],)) for k in term.get("mismatchLabelKeys") or ()
              if k in pod_labels]
    return Selector(sel.reqs + tuple(extra)) if extra else sel


def _terms(section: dict | None, key: str, ns: str, labels: dict, weighted: bool) -> tuple:
    if not section:
        return ()
    raw = section.get(key) or ()
    if weighted:
        return tuple(AffinityTerm(t.get("podAffinityTerm") or {}, ns, labels, int(t.get("weight") or 0))
                     for t in raw)
    return tuple(AffinityTerm(t, ns, labels) for t in raw)


class PodInfo:
    """A pod as the scheduler sees it. ``pod`` is the (read-only) API object itself."""

    __slots__ = ("pod", "key", "namespace", "name", "uid", "labels", "priority", "node_name",
                 "terminating", "cpu", "memory", "ephemeral", "scalars", "nz_cpu", "nz_memory",
                 "tolerations", "node_selector", "node_affinity", "required_affinity",
                 "required_anti_affinity", "preferred_affinity", "preferred_anti_affinity",
                 "spread_constraints", "host_ports", "scheduler_name", "sig", "gated",
                 "preemption_policy", "nominated_node", "start_time", "images", "started_at",
                 "preempted")

    def __init__(self, pod: dict):
        meta = pod.get("metadata") or {}
        spec = pod.get("spec") or {}
        status = pod.get("status") or {}
        self.observe_status(pod)  # sets self.pod
        self.namespace = meta.get("namespace") or "default"
        self.name = meta.get("name") or ""
        self.key = sys.intern(f"{self.namespace}/{self.name}")  # the informer's key string
        self.uid = meta.get("uid") or ""
        self.labels = meta.get("labels") or _NO_LABELS
        self.priority = int(spec.get("priority") or 0)
        self.node_name = spec.get("nodeName") or ""
        self.terminating = bool(meta.get("deletionTimestamp"))
        self.scheduler_name = spec.get("schedulerName") or "default-scheduler"
        self.gated = bool(spec.get("schedulingGates"))
        self.preemption_policy = spec.get("preemptionPolicy") or "PreemptLowerPriority"
        self.nominated_node = status.get("nominatedNodeName") or ""
        self.start_time = status.get("startTime") or meta.get("creationTimestamp") or ""
        self._requests(spec)
        self.tolerations = spec.get("tolerations") or ()
        self.node_selector = spec.get("nodeSelector") or _NO_LABELS
        affinity = spec.get("affinity") or {}
        self.node_affinity = affinity.get("nodeAffinity") or None
        self._pod_affinity(affinity)
        self.spread_constraints = spec.get("topologySpreadConstraints") or ()
        self.host_ports = _host_ports(spec)
        # Pods with the same namespace and labels are interchangeable for label selectors:
        # the snapshot counts pods per signature (see nodeinfo.LabelIndex).
        self.sig = _shared((self.namespace, tuple(sorted(self.labels.items())), self.terminating))
        self.images = None  # computed on first use (ImageLocality)

    def observe_status(self, pod: dict) -> None:
        """Keep what preemption reads of the status (the start time, a DisruptionTarget set by
        a scheduler); a bound pod is then kept without its status (objects.without_status),
        which the informer holds packed."""
        status = pod.get("status") or {}
        self.started_at = status.get("startTime")
        self.preempted = None
        for c in status.get("conditions") or ():
            if c.get("type") == "DisruptionTarget":
                self.preempted = c.get("status") == "True" and c.get("reason") == "PreemptionByScheduler"
        self.pod = without_status(pod) if (pod.get("spec") or {}).get("nodeName") else pod

    def _requests(self, spec: dict) -> None:
        reqs = pod_requests(spec)
        self.cpu = _shared(reqs.pop(CPU, 0))
        self.memory = _shared(reqs.pop(MEMORY, 0))
        self.ephemeral = reqs.pop(EPHEMERAL, 0)
        reqs.pop("pods", None)
        self.scalars = reqs or _NO_SCALARS
        nz = pod_requests(spec, defaults=True)
        self.nz_cpu, self.nz_memory = _shared(nz.get(CPU, 0)), _shared(nz.get(MEMORY, 0))

    def _pod_affinity(self, affinity: dict) -> None:
        ns, labels = self.namespace, self.labels
        pa, paa = affinity.get("podAffinity"), affinity.get("podAntiAffinity")
        req = "requiredDuringSchedulingIgnoredDuringExecution"
        pref = "preferredDuringSchedulingIgnoredDuringExecution"
        self.required_affinity = _terms(pa, req, ns, labels, False)
        self.required_anti_affinity = _terms(paa, req, ns, labels, False)
        self.preferred_affinity = _terms(pa, pref, ns, labels, True)
        self.preferred_anti_affinity = _terms(paa, pref, ns, labels, True)

    @property
    def has_affinity(self) -> bool:
        """Any pod (anti-)affinity term at all (NodeInfo.PodsWithAffinity)."""
        return bool(self.required_affinity or self.required_anti_affinity
                    or self.preferred_affinity or self.preferred_anti_affinity)

    @property
    def has_required_anti_affinity(self) -> bool:
        return bool(self.required_anti_affinity)

    def image_names(self) -> tuple:
        if self.images is None:
            spec = self.pod.get("spec") or {}
            self.images = tuple(normalized_image_name(c.get("image") or "")
                                for c in list(spec.get("initContainers") or ())
                                + list(spec.get("containers") or ()))
        return self.images

    def __repr__(self) -> str:
        return f"PodInfo({self.key})"


def _host_ports(spec: dict) -> tuple:
    """(hostIP, protocol, hostPort) for every container port with a hostPort
    (plugins/nodeports getContainerPorts; an empty hostIP means 0.0.0.0)."""
    out = []
    for c in list(spec.get("initContainers") or ()) + list(spec.get("containers") or ()):
        for p in c.get("ports") or ():
            hp = p.get("hostPort")
            if hp:
                out.append((p.get("hostIP") or "0.0.0.0", p.get("protocol") or "TCP", int(hp)))
    return tuple(out)


def pod_info(pod) -> PodInfo:
    """Accept a PodInfo or a pod dict."""
    return pod if isinstance(pod, PodInfo) else PodInfo(pod)
