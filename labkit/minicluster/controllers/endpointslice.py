"""The EndpointSlice controller: a Service's endpoints in scalable slices
(pkg/controller/endpointslice and staging/.../endpointslice reconciler, v1.33).

kube-proxy and CoreDNS read EndpointSlices, not Endpoints. For every Service with a selector
the controller keeps one or more ``EndpointSlice`` objects (``discovery.k8s.io/v1``), named
``<service>-<5 random chars>``, labelled ``kubernetes.io/service-name`` and
``endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io``, owned by the
Service (so the garbage collector removes them with it). Each endpoint is one pod::

    addresses: [10.244.1.3]
    conditions: {ready: true, serving: true, terminating: false}
    nodeName: node-1
    targetRef: {kind: Pod, namespace: default, name: web-..., uid: ...}
    zone: us-east-1a            # from the node's topology.kubernetes.io/zone label

Unlike Endpoints, terminating pods stay listed (``terminating: true``, ``ready: false``,
``serving`` = still passing readiness) so proxies can drain connections.
``publishNotReadyAddresses`` marks every endpoint ready. A slice holds at most 100 endpoints
(``--max-endpoints-per-slice``); pods whose named ports resolve to different numbers go to
different slices. A Service that selects nothing still gets one empty "placeholder" slice.

Simplifications: IPv4 only; endpoints are ordered by pod name and packed in order (upstream
packs to minimise churn); no topology hints.
"""
from __future__ import annotations

from ..errors import ApiError
from ..objects import clone
from .endpointutil import (TRIGGER_TIME_ANNOTATION, ServicePodController, find_port, hostname_for,
                           pod_ip, pod_ready, service_selector, should_be_in_endpoints, target_ref)

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
CONTROLLER_NAME = "endpointslice-controller.k8s.io"
MAX_ENDPOINTS_PER_SLICE = 100  # --max-endpoints-per-slice
ZONE_LABEL = "topology.kubernetes.io/zone"


def _ports(svc, pod) -> list[dict]:
    out = []
    for sp in svc["spec"].get("ports") or ():
        number = find_port(pod, sp)
        if number is None:
            continue
        port = {"name": sp.get("name", ""), "port": number, "protocol": sp.get("protocol", "TCP")}
        if sp.get("appProtocol"):
            port["appProtocol"] = sp["appProtocol"]
        out.append(port)
    return out


def _port_key(ports) -> tuple:
    return tuple(sorted((p.get("name", ""), p.get("port"), p.get("protocol")) for p in ports or ()))


class EndpointSliceController(ServicePodController):
    name = "endpointslice-controller"

    def setup(self):
        super().setup()
        self.slices = self.informers["endpointslices"]
        self.nodes = self.informers["nodes"]
        self._own_write = False  # the endpointSliceTracker: our own writes need no new sync
        self.slices.add_handler(self._on_slice, lambda old, new: self._on_slice(new), self._on_slice,
                                replay=False)

    def _on_slice(self, slc):
        if self._own_write:
            return
        labels = slc["metadata"].get("labels") or {}
        if labels.get(MANAGED_BY_LABEL) == CONTROLLER_NAME and labels.get(SERVICE_NAME_LABEL):
            self.queue.add(f"{slc['metadata']['namespace']}/{labels[SERVICE_NAME_LABEL]}")

    def _endpoint(self, pod, svc) -> dict:
        publish = bool(svc["spec"].get("publishNotReadyAddresses"))
        terminating = bool(pod["metadata"].get("deletionTimestamp"))
        serving = publish or pod_ready(pod)
        ep = {"addresses": [pod_ip(pod)],
              "conditions": {"ready": publish or (serving and not terminating),
                             "serving": serving, "terminating": terminating}}
        hostname = hostname_for(pod, svc)
        if hostname:
            ep["hostname"] = hostname
        node_name = pod["spec"].get("nodeName")
        if node_name:
            ep["nodeName"] = node_name
        ep["targetRef"] = target_ref(pod)
        zone = ((self.nodes.get(node_name or "") or {}).get("metadata", {}).get("labels") or {}).get(ZONE_LABEL)
        if zone:
            ep["zone"] = zone
        return ep

    def desired(self, svc) -> dict[tuple, tuple[list, list]]:
        """port key → (ports, endpoints), endpoints ordered by pod name."""
        groups: dict[tuple, tuple[list, list]] = {}
        for pod in self.selected_pods(svc):
            entry = self.derived(svc, pod, self._entry)
            if entry is not None:
                groups.setdefault(entry[0], (entry[1], []))[1].append(entry[2])
        return groups

    def _entry(self, pod, svc):
        """What one pod contributes: None, or (port key, ports, endpoint)."""
        if not should_be_in_endpoints(pod, include_terminating=True):
            return None
        ports = _ports(svc, pod)
        return _port_key(ports), ports, self._endpoint(pod, svc)

    def reconcile(self, key):
        ns, name = key.split("/", 1)
        svc = self.services.get(name, ns)
        mine = [s for s in self.slices.list(ns)
                if (s["metadata"].get("labels") or {}).get(SERVICE_NAME_LABEL) == name and
                (s["metadata"].get("labels") or {}).get(MANAGED_BY_LABEL) == CONTROLLER_NAME]
        if svc is None or service_selector(svc) is None:
            return  # deleted Services' slices go with the garbage collector (ownerReferences);
            # a Service without a selector gets its slices from someone else

        wanted = []  # (ports, endpoints or None)
        for pkey, (ports, eps) in sorted(self.desired(svc).items()):
            for i in range(0, len(eps), MAX_ENDPOINTS_PER_SLICE):
                wanted.append((ports, eps[i:i + MAX_ENDPOINTS_PER_SLICE]))
        if not wanted:
            wanted.append(([], None))  # the placeholder slice
        free = sorted(mine, key=lambda s: s["metadata"]["name"])
        for ports, eps in wanted:
            same = [s for s in free if _port_key(s.get("ports")) == _port_key(ports)]
            current = same[0] if same else None
            if current is not None:
                free.remove(current)
            self._write(svc, current, ports, eps)
        for s in free:
            self._delete(s)

    def _write(self, svc, current, ports, eps):
        labels = self.labels_for(svc, {SERVICE_NAME_LABEL: svc["metadata"]["name"],
                                       MANAGED_BY_LABEL: CONTROLLER_NAME})
        if current is not None and current.get("endpoints") == eps and \
                (current["metadata"].get("labels") or {}) == labels:
            return
        ns = svc["metadata"]["namespace"]
        if current is None:
            obj = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                   "metadata": {"generateName": f"{svc['metadata']['name']}-", "namespace": ns,
                                "labels": labels, "ownerReferences": [self._owner(svc)]},
                   "addressType": "IPv4"}
        else:
            obj = clone(current)
            obj["metadata"]["labels"] = labels
        obj["metadata"].setdefault("annotations", {})[TRIGGER_TIME_ANNOTATION] = self.now()
        obj["endpoints"] = eps
        if ports:
            obj["ports"] = ports
        else:
            obj.pop("ports", None)
        self._own_write = True
        try:
            if current is None:
                self.api.create("endpointslices", obj, ns, user=self.user)
            else:
                self.api.update("endpointslices", obj, ns, user=self.user)
        except ApiError as e:
            if e.code != 403:  # namespace terminating
                raise
        finally:
            self._own_write = False

    @staticmethod
    def _owner(svc) -> dict:
        return {"apiVersion": "v1", "kind": "Service", "name": svc["metadata"]["name"],
                "uid": svc["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}

    def _delete(self, slc):
        try:
            self.api.delete("endpointslices", slc["metadata"]["name"], slc["metadata"]["namespace"],
                            user=self.user)
        except ApiError as e:
            if e.code != 404:
                raise
