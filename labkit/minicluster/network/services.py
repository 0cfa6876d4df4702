"""Service addresses: ClusterIPs, NodePorts, the built-in Services, and cloud load balancers.

When you create a Service the API server itself (its service REST storage,
pkg/registry/core/service/storage/alloc.go; here :mod:`labkit.minicluster.admission.services`)
fills in what the manifest left out - that is why ``kubectl apply`` prints back a ``clusterIP``
you never wrote. It asks the network for free values (:class:`ServiceAddresses`):

- a ClusterIP: a random free address of ``10.96.0.0/12``, taken from the upper "dynamic" band
  (the first 256 addresses are left for addresses users choose, KEP-3070);
- a NodePort for each port of a NodePort or LoadBalancer Service: random in ``30000-32767``,
  above the static band of 128 ports.

``default/kubernetes`` (10.96.0.1, the API server's own Service, re-created if deleted, with its
Endpoints and EndpointSlice) and ``kube-system/kube-dns`` (10.96.0.10, CoreDNS's Service as
kubeadm installs it) exist from the start.

The *service controller* of a cloud provider gives a LoadBalancer Service an external address.
Kind has no cloud, so ``EXTERNAL-IP`` stays ``<pending>``; turn on the simulated cloud (like
cloud-provider-kind or MetalLB on kind) and Services get ``172.18.255.200``, ``.201``...

Simplifications: in-use values are read from the current Services instead of a bitmap with a
repair loop; IPv4 single-stack only; no IPAddress/ServiceCIDR objects.
"""
from __future__ import annotations

import ipaddress

from .. import errors
from ..objects import clone
from .ipam import BandAllocator, band_size, int_ip, ip_int

LB_FIRST_IP = "172.18.255.200"


class ServiceAddresses:
    """Picks free ClusterIPs and NodePorts for the API server's Service allocation step
    (:mod:`labkit.minicluster.admission.services` calls ``api.network.allocate_cluster_ip`` and
    ``allocate_node_port``). In-use values are read from the current Services."""

    def __init__(self, network, service_cidr="10.96.0.0/12", node_ports=(30000, 32767)):
        self.network = network
        self.cidr = ipaddress.IPv4Network(service_cidr)
        first, last = int(self.cidr.network_address) + 1, int(self.cidr.broadcast_address) - 1
        self.ips = BandAllocator(first, last, band_size(last - first + 1, 256), network.rng)
        lo, hi = self.node_port_range = node_ports
        self.ports = BandAllocator(lo, hi, band_size(hi - lo + 1, 128), network.rng)

    def _others(self, svc):
        me = ((svc.get("metadata") or {}).get("namespace"), (svc.get("metadata") or {}).get("name"))
        return [s for s in self.network.services.list()
                if (s["metadata"]["namespace"], s["metadata"]["name"]) != me]

    def allocate_cluster_ip(self, svc: dict) -> str:
        used = {ip_int(ip) for s in self._others(svc)
                for ip in (s.get("spec") or {}).get("clusterIPs") or () if ip and ip != "None"}
        value = self.ips.allocate(used)
        if value is None:
            raise errors.internal("failed to allocate a serviceIP: range is full")
        return int_ip(value)

    def used_node_ports(self, svc: dict) -> set[int]:
        """NodePorts (and health-check node ports) held by Services other than ``svc``: a
        deleted Service's ports are free again at once."""
        return node_ports_of(self._others(svc))

    def allocate_node_port(self, svc: dict) -> int:
        used = self.used_node_ports(svc) | node_ports_of([svc])
        port = self.ports.allocate(used)
        if port is None:
            raise errors.internal("failed to allocate a nodePort: range is full")
        return port


def node_ports_of(services) -> set[int]:
    used = set()
    for s in services:
        spec = s.get("spec") or {}
        used.update(p["nodePort"] for p in spec.get("ports") or ()
                    if isinstance(p, dict) and p.get("nodePort"))
        if spec.get("healthCheckNodePort"):
            used.add(spec["healthCheckNodePort"])
    return used


# -- the Services a cluster starts with ------------------------------------------------------
def kubernetes_service() -> dict:
    """``default/kubernetes``: the API server's own Service (created by its bootstrap controller)."""
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "kubernetes", "namespace": "default",
                         "labels": {"component": "apiserver", "provider": "kubernetes"}},
            "spec": {"clusterIP": "10.96.0.1", "type": "ClusterIP", "sessionAffinity": "None",
                     "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}]}}


def kubernetes_endpoints(apiserver_ip: str) -> list[tuple[str, dict]]:
    """The Endpoints and EndpointSlice the API server keeps for itself."""
    ep = {"apiVersion": "v1", "kind": "Endpoints",
          "metadata": {"name": "kubernetes", "namespace": "default",
                       "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}},
          "subsets": [{"addresses": [{"ip": apiserver_ip}],
                       "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}]}]}
    slc = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
           "metadata": {"name": "kubernetes", "namespace": "default",
                        "labels": {"kubernetes.io/service-name": "kubernetes"}},
           "addressType": "IPv4",
           "endpoints": [{"addresses": [apiserver_ip],
                          "conditions": {"ready": True, "serving": True, "terminating": False}}],
           "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}]}
    return [("endpoints", ep), ("endpointslices", slc)]


def kube_dns_service() -> dict:
    """``kube-system/kube-dns``: CoreDNS's Service as kubeadm (and so kind) installs it."""
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "kube-dns", "namespace": "kube-system",
                         "labels": {"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true",
                                    "kubernetes.io/name": "CoreDNS"},
                         "annotations": {"prometheus.io/port": "9153", "prometheus.io/scrape": "true"}},
            "spec": {"clusterIP": "10.96.0.10", "type": "ClusterIP", "sessionAffinity": "None",
                     "selector": {"k8s-app": "kube-dns"},
                     "ports": [{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                               {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
                               {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153}]}}


class CloudLoadBalancers:
    """A simulated cloud provider's service controller for ``type: LoadBalancer``."""

    name = "service-controller"

    def __init__(self, network):
        self.network = network
        self.enabled = False
        self.next = ip_int(LB_FIRST_IP)
        self.by_service: dict[str, str] = {}

    def on_service(self, svc):
        if self.enabled:
            self.network.ctx.loop.call_soon(self.sync, svc["metadata"]["namespace"], svc["metadata"]["name"])

    def sync(self, ns, name):
        svc = self.network.services.get(name, ns)
        key = f"{ns}/{name}"
        if svc is None or svc["spec"].get("type") != "LoadBalancer":
            self.by_service.pop(key, None)
            return
        ip = self.by_service.get(key)
        if ip is None:
            ip = self.by_service[key] = int_ip(self.next)
            self.next += 1
        want = {"ingress": [{"ip": ip, "ipMode": "VIP"}]}
        if (svc.get("status") or {}).get("loadBalancer") == want:
            return
        rec = self.network.ctx.recorder
        rec.record(svc, "Normal", "EnsuringLoadBalancer", "Ensuring load balancer", self.name)
        new = clone(svc)
        new.setdefault("status", {})["loadBalancer"] = want
        try:
            self.network.ctx.api.update("services", new, ns, subresource="status",
                                        user=self.network.user(self.name))
        except errors.ApiError:
            return
        rec.record(svc, "Normal", "EnsuredLoadBalancer", "Ensured load balancer", self.name)
