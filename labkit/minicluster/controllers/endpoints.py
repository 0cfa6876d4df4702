"""The Endpoints controller: the classic list of "where a Service's traffic goes"
(pkg/controller/endpoint, v1.33).

For every Service with a selector, an ``Endpoints`` object of the same name lists the selected
pods' IPs under ``subsets``: ready pods in ``addresses``, the others in ``notReadyAddresses``
(``publishNotReadyAddresses: true`` puts every pod in ``addresses``, terminating ones included).
Each address carries ``nodeName`` and a ``targetRef`` to its pod; pods whose ``spec.hostname``
and ``spec.subdomain`` name the Service also carry ``hostname`` (that is how a StatefulSet pod
gets its own DNS name). Ports are the Service's, with named ``targetPort``s resolved against each
pod's container ports, so pods with different port numbers end up in different subsets.

A Service *without* a selector gets nothing from this controller: you write its Endpoints
yourself (that is how a Service can point outside the cluster). The object is labelled
``endpoints.kubernetes.io/managed-by: endpoint-controller`` and carries the Service's labels.
At most 1000 addresses are kept (annotation ``endpoints.kubernetes.io/over-capacity:
truncated``). The Endpoints API is deprecated since v1.33 in favour of EndpointSlices
(:mod:`.endpointslice`), but the controller still runs and ``kubectl get endpoints`` still works.

Simplification: addresses are sorted by IP then pod UID as upstream; subsets and ports are
sorted by port values rather than upstream's hash order.
"""
from __future__ import annotations

from ..errors import ApiError
from .endpointutil import (TRIGGER_TIME_ANNOTATION, ServicePodController, find_port, hostname_for,
                           pod_ip, pod_ready, service_selector, should_be_in_endpoints, target_ref)

MANAGED_BY_LABEL = "endpoints.kubernetes.io/managed-by"
CONTROLLER_NAME = "endpoint-controller"
MAX_CAPACITY = 1000  # maxCapacity
OVER_CAPACITY_ANNOTATION = "endpoints.kubernetes.io/over-capacity"


def _address(pod, svc) -> dict:
    addr = {"ip": pod_ip(pod)}
    hostname = hostname_for(pod, svc)
    if hostname:
        addr["hostname"] = hostname
    if pod["spec"].get("nodeName"):
        addr["nodeName"] = pod["spec"]["nodeName"]
    addr["targetRef"] = target_ref(pod)
    return addr


def _port(svc_port, number) -> dict:
    port = {"port": number, "protocol": svc_port.get("protocol", "TCP")}
    if svc_port.get("name"):
        port = {"name": svc_port["name"], **port}
    if svc_port.get("appProtocol"):
        port["appProtocol"] = svc_port["appProtocol"]
    return port


def pod_entry(pod, svc):
    """What one pod contributes: None, or (port key, ports, ready?, address)."""
    publish = bool((svc.get("spec") or {}).get("publishNotReadyAddresses"))
    if not should_be_in_endpoints(pod, include_terminating=publish):
        return None
    ports = []
    for sp in svc["spec"].get("ports") or ():
        number = find_port(pod, sp)
        if number is not None:
            ports.append(_port(sp, number))
    key = tuple(sorted((p.get("name", ""), p["port"], p["protocol"]) for p in ports))
    return key, ports, publish or pod_ready(pod), _address(pod, svc)


def build_subsets(entries) -> tuple[list[dict], int]:
    """(subsets, number of addresses) from the pods' entries, repacked by port set."""
    groups: dict[tuple, dict] = {}
    for entry in entries:
        if entry is None:
            continue
        key, ports, ready, address = entry
        group = groups.setdefault(key, {"addresses": [], "notReadyAddresses": [], "ports": ports})
        group["addresses" if ready else "notReadyAddresses"].append(address)
    subsets, count = [], 0
    for key in sorted(groups):
        g = groups[key]
        subset = {}
        for field in ("addresses", "notReadyAddresses"):
            if g[field]:
                subset[field] = sorted(g[field], key=lambda a: (a["ip"], a["targetRef"]["uid"]))
                count += len(subset[field])
        if g["ports"]:
            subset["ports"] = sorted(g["ports"], key=lambda p: (p.get("name", ""), p["port"]))
        subsets.append(subset)
    return subsets, count


def _truncate(subsets):
    """Keep at most MAX_CAPACITY addresses, ready ones first (endpoints controller)."""
    left = MAX_CAPACITY
    for subset in subsets:
        for field in ("addresses", "notReadyAddresses"):
            if field in subset:
                subset[field] = subset[field][:max(left, 0)]
                left -= len(subset[field])
                if not subset[field]:
                    del subset[field]
    return [s for s in subsets if s.get("addresses") or s.get("notReadyAddresses")]


class EndpointsController(ServicePodController):
    name = CONTROLLER_NAME

    def setup(self):
        super().setup()
        self.endpoints = self.informers["endpoints"]

    def reconcile(self, key):
        ns, name = key.split("/", 1)
        svc = self.services.get(name, ns)
        current = self.endpoints.get(name, ns)
        if svc is None:
            if current is not None:
                self._delete(ns, name)  # the Service is gone, and so are its Endpoints
            return
        if service_selector(svc) is None:
            return  # a Service without a selector: its Endpoints are user-managed
        subsets, count = build_subsets(self.derived(svc, p, pod_entry) for p in self.selected_pods(svc))
        annotations = dict((current or {}).get("metadata", {}).get("annotations") or {})
        annotations.pop(OVER_CAPACITY_ANNOTATION, None)
        if count > MAX_CAPACITY:
            subsets = _truncate(subsets)
            annotations[OVER_CAPACITY_ANNOTATION] = "truncated"
        labels = self.labels_for(svc, {MANAGED_BY_LABEL: CONTROLLER_NAME})
        if current is not None and (current.get("subsets") or []) == subsets and \
                (current["metadata"].get("labels") or {}) == labels and \
                (count > MAX_CAPACITY) == (OVER_CAPACITY_ANNOTATION in
                                           (current["metadata"].get("annotations") or {})):
            return
        annotations[TRIGGER_TIME_ANNOTATION] = self.now()
        obj = {"apiVersion": "v1", "kind": "Endpoints",
               "metadata": {"name": name, "namespace": ns, "labels": labels,
                            "annotations": annotations}}
        if subsets:
            obj["subsets"] = subsets
        if current is None:
            self._create(ns, obj)
        else:
            obj["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
            self.api.update("endpoints", obj, ns, user=self.user)

    def _create(self, ns, obj):
        try:
            self.api.create("endpoints", obj, ns, user=self.user)
        except ApiError as e:
            if e.code != 403:  # namespace terminating: nothing to publish
                raise

    def _delete(self, ns, name):
        try:
            self.api.delete("endpoints", name, ns, user=self.user)
        except ApiError as e:
            if e.code != 404:
                raise
