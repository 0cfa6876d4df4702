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
    """Queues a Service's key whenever the Service or one of its pods changes."""

    def setup(self):
        self.services = self.informers["services"]
        self.pods = self.informers["pods"]
        self.services.add_handler(self._on_service, lambda old, new: self._on_service(new),
                                  self._on_service)
        self.pods.add_handler(lambda p: self._on_pod(None, p), self._on_pod,
                              lambda p: self._on_pod(p, None))

    def _on_service(self, svc):
        self.queue.add(f"{svc['metadata']['namespace']}/{svc['metadata']['name']}")

    def _on_pod(self, old, new):
        if old is not None and new is not None and _relevant(old) == _relevant(new) and \
                old["metadata"].get("labels") == new["metadata"].get("labels"):
            return
        pod = new or old
        ns = pod["metadata"]["namespace"]
        labels = [p["metadata"].get("labels") for p in (old, new) if p is not None]
        for svc in self.services.list(ns):
            sel = service_selector(svc)
            if sel is not None and any(sel.matches(lb) for lb in labels):
                self.queue.add(f"{ns}/{svc['metadata']['name']}")

    def selected_pods(self, svc) -> list[dict]:
        sel = service_selector(svc)
        if sel is None:
            return []
        return self.pods.list(svc["metadata"]["namespace"], sel)

    @staticmethod
    def labels_for(svc, extra: dict) -> dict:
        labels = dict(svc["metadata"].get("labels") or {})
        labels.update(extra)
        if is_headless(svc):
            labels[HEADLESS_LABEL] = ""
        else:
            labels.pop(HEADLESS_LABEL, None)
        return labels
