"""What the Endpoints and EndpointSlice controllers share (pkg/controller/util/endpoint,
pkg/api/v1/pod): which pods back a Service, which port each serves on, and a helper base class
that maps pod events to the Services selecting them.
"""
from __future__ import annotations

from ..objects import condition
from ..selectors import selector_from_map
from .base import Controller

HEADLESS_LABEL = "service.kubernetes.io/headless"  # v1.IsHeadlessService label
TRIGGER_TIME_ANNOTATION = "endpoints.kubernetes.io/last-change-trigger-time"


def service_selector(svc):
    """The Service's selector, or None when the Service selects no pods (no selector, or type
    ExternalName): its endpoints are then managed by hand, not by the controllers."""
    spec = svc.get("spec") or {}
    if spec.get("type") == "ExternalName" or not spec.get("selector"):
        return None
    return selector_from_map(spec["selector"])


def is_headless(svc) -> bool:
    return (svc.get("spec") or {}).get("clusterIP") == "None"


def pod_ip(pod) -> str | None:
    status = pod.get("status") or {}
    if status.get("podIP"):
        return status["podIP"]
    ips = status.get("podIPs") or []
    return ips[0].get("ip") if ips else None


def pod_ready(pod) -> bool:
    c = condition(pod, "Ready")
    return bool(c) and c.get("status") == "True"


def should_be_in_endpoints(pod, include_terminating: bool) -> bool:
    """ShouldPodBeInEndpoints: the pod has an IP, is not terminal, and (unless asked) is not
    being deleted."""
    if not pod_ip(pod):
        return False
    if not include_terminating and pod["metadata"].get("deletionTimestamp"):
        return False
    return (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed")


def find_port(pod, svc_port) -> int | None:
    """podutil.FindPort: a numeric targetPort is used as is; a named one is looked up among the
    containers' ports (same protocol). None when the pod has no such named port."""
    target = svc_port.get("targetPort", svc_port.get("port"))
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    protocol = svc_port.get("protocol", "TCP")
    for c in pod["spec"].get("containers") or ():
        for p in c.get("ports") or ():
            if p.get("name") == target and p.get("protocol", "TCP") == protocol:
                return p.get("containerPort")
    return None


def hostname_for(pod, svc) -> str | None:
    """A pod with ``spec.hostname`` and ``spec.subdomain`` equal to the Service's name gets a
    DNS name ``<hostname>.<service>.<ns>.svc.cluster.local`` (StatefulSet pods do)."""
    spec = pod["spec"]
    if spec.get("hostname") and spec.get("subdomain") == svc["metadata"]["name"]:
        return spec["hostname"]
    return None


def target_ref(pod) -> dict:
    meta = pod["metadata"]
    return {"kind": "Pod", "namespace": meta["namespace"], "name": meta["name"], "uid": meta["uid"]}


def _relevant(pod):
    """The parts of a pod that change its endpoints (podEndpointsChanged)."""
    meta, spec = pod["metadata"], pod["spec"]
    return (pod_ip(pod), pod_ready(pod), bool(meta.get("deletionTimestamp")),
            (pod.get("status") or {}).get("phase"), spec.get("nodeName"), spec.get("hostname"),
            spec.get("subdomain"))


class ServicePodController(Controller):
    """Queues a Service's key whenever the Service or one of its pods changes.

    It keeps, per Service, the set of pods its selector matches (updated from pod events, as
    upstream's informer handlers find the Services of a pod), and caches what a subclass
    derives from one pod for one Service until either changes: a reconcile then costs little
    per pod, even for a Service in front of thousands of pods.

    ``batch_period`` is kube-controller-manager's ``--endpoint-updates-batch-period`` /
    ``--endpointslice-updates-batch-period`` (default 0): pod changes within that many seconds
    are folded into one sync. Large simulations may raise it."""

    batch_period = 0.0

    def setup(self):
        self.services = self.informers["services"]
        self.pods = self.informers["pods"]
        self.members: dict[str, set] = {}  # "ns/svc" -> {"ns/pod"}
        self._selectors: dict[str, tuple] = {}  # "ns/svc" -> (namespace, Selector, uid)
        self._derived: dict[tuple, tuple] = {}  # (svc uid, pod uid) -> (stamp, value)
        self.services.add_handler(self._on_service, lambda old, new: self._on_service(new),
                                  self._on_service_deleted)
        self.pods.add_handler(lambda p: self._on_pod(None, p), self._on_pod,
                              lambda p: self._on_pod(p, None))

    @staticmethod
    def _key(obj) -> str:
        return f"{obj['metadata']['namespace']}/{obj['metadata']['name']}"

    def _on_service(self, svc):
        key, ns = self._key(svc), svc["metadata"]["namespace"]
        sel = service_selector(svc)
        if sel is None:
            self._selectors.pop(key, None)
            self.members[key] = set()
        elif key not in self._selectors or str(self._selectors[key][1]) != str(sel) or \
                self._selectors[key][2] != svc["metadata"]["uid"]:
            self._selectors[key] = (ns, sel, svc["metadata"]["uid"])
            self.members[key] = {self._key(p) for p in self.pods.list(ns, sel)}
        self.queue.add(key)

    def _on_service_deleted(self, svc):
        key, uid = self._key(svc), svc["metadata"]["uid"]
        for k in [k for k in self._derived if k[0] == uid]:
            del self._derived[k]
        self._selectors.pop(key, None)
        self.members.pop(key, None)
        self.queue.add(key)

    def _on_pod(self, old, new):
        pod = new or old
        if new is None:
            for _ns, _sel, svc_uid in self._selectors.values():
                self._derived.pop((svc_uid, pod["metadata"]["uid"]), None)
        ns = pod["metadata"]["namespace"]
        selecting = [(skey, sel) for skey, (sns, sel, _uid) in self._selectors.items() if sns == ns]
        if not selecting:  # no Service with a selector in the pod's namespace
            return
        pkey = self._key(pod)
        relevant_change = old is None or new is None or _relevant(old) != _relevant(new)
        labels = (new or {}).get("metadata", {}).get("labels") if new is not None else None
        has_ip = bool((old is not None and pod_ip(old)) or (new is not None and pod_ip(new)))
        for skey, sel in selecting:
            members = self.members[skey]
            now_in = new is not None and sel.matches(labels)
            was_in = pkey in members
            if now_in:
                members.add(pkey)
            else:
                members.discard(pkey)
            if (now_in != was_in or (now_in and relevant_change)) and has_ip:
                self.queue.add_after(skey, self.batch_period)  # (IP-less pods are in no list)

    def selected_pods(self, svc) -> list[dict]:
        cache = self.pods.cache
        return [cache[k] for k in sorted(self.members.get(self._key(svc), ())) if k in cache]

    def derived(self, svc, pod, compute):
        """``compute(pod, svc)``, cached until the pod or the Service changes."""
        stamp = (pod["metadata"]["uid"], pod["metadata"]["resourceVersion"],
                 svc["metadata"]["uid"], svc["metadata"]["resourceVersion"])
        key = (svc["metadata"]["uid"], pod["metadata"]["uid"])
        hit = self._derived.get(key)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        value = compute(pod, svc)
        self._derived[key] = (stamp, value)
        return value

    @staticmethod
    def labels_for(svc, extra: dict) -> dict:
        labels = dict(svc["metadata"].get("labels") or {})
        labels.update(extra)
        if is_headless(svc):
            labels[HEADLESS_LABEL] = ""
        else:
            labels.pop(HEADLESS_LABEL, None)
        return labels
